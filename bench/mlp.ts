/**
 * MLP language model benchmark, side by side with PyTorch in the same run: makemore part 2's model and
 * schedule (B = 3, E = 10, H = 200, batch 32, SGD lr 0.1 then 0.01, 20,000 steps) trained as the notebook
 * trains it — the course's loop (`train`, lib/training/loop) calling `MlpLanguageModel.trainStep` — and by
 * bench/mlp_reference.py (torch 1.13 CPU, Debian's python3-torch) on the SAME split, which this script
 * writes to a temporary JSON file. Reports training steps/s of both (torch at 1 and 2 threads, best of
 * two runs each) as `ratio` = ours / torch at 1 thread, and both dev losses with their gap in %.
 *
 * Run: `npm run bench -- mlp`, or `npx tsx bench/mlp.ts`. MLP_BENCH_STEPS shortens the run;
 * MLP_BENCH_PYTHON picks the interpreter (default /usr/bin/python3).
 * `npx tsx bench/mlp.ts --write-fixture` only runs PyTorch (3 seeds, 1 thread) and writes
 * test/fixtures/mlp/pytorch-reference.json, which test/models/mlp-training.test.ts compares against, so
 * `npm test` never needs torch.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nameDatasets } from "../lib/data/names";
import { MlpLanguageModel, type MlpInitScales } from "../lib/models/mlp";
import { Random } from "../lib/random";
import { stepDecayLr, train as trainLoop } from "../lib/training/loop";
import type { ContextDataset } from "../lib/training/trainable";
import { runPythonReference } from "./support/python";
import { machineLine, reportedRatio, shownRatio } from "./support/machine";
import { round } from "./support/figures";

/** makemore part 2's settings. */
export const MAKEMORE_MLP = {
  contextSize: 3,
  embeddingSize: 10,
  hiddenSize: 200,
  batchSize: 32,
  steps: 20000,
  lrs: [0.1, 0.01] as const,
  seed: 42,
  splitSeed: 42,
};

export const FIXTURE_PATH = path.join(__dirname, "..", "test", "fixtures", "mlp", "pytorch-reference.json");

/** lr for each segment of equal length: 0.1 for the first half, 0.01 for the second. */
export function scheduleOf(steps: number): { steps: number; lr: number }[] {
  const first = Math.floor(steps / 2);
  return [
    { steps: first, lr: MAKEMORE_MLP.lrs[0] },
    { steps: steps - first, lr: MAKEMORE_MLP.lrs[1] },
  ];
}

function makemoreModel(vocabSize: number, seed: number): MlpLanguageModel {
  return new MlpLanguageModel({
    vocabSize,
    contextSize: MAKEMORE_MLP.contextSize,
    embeddingSize: MAKEMORE_MLP.embeddingSize,
    hiddenSize: MAKEMORE_MLP.hiddenSize,
    seed,
  });
}

/**
 * Trains a fresh model for `steps` steps as the notebook does: the course's loop (`train` from
 * lib/training/loop, minibatches of 32 drawn with replacement from a seeded Random, `stepDecayLr(0.1, 0.01)`)
 * calling `MlpLanguageModel.trainStep`, without progress bar or dev evaluations. Returns the model and
 * the training seconds.
 */
export async function trainMakemore(data: ContextDataset, vocabSize: number, steps: number, seed = MAKEMORE_MLP.seed): Promise<{ model: MlpLanguageModel; seconds: number }> {
  const model = makemoreModel(vocabSize, seed);
  const start = process.hrtime.bigint();
  await trainLoop(model, {
    train: data,
    steps,
    batchSize: MAKEMORE_MLP.batchSize,
    lr: stepDecayLr(MAKEMORE_MLP.lrs[0], MAKEMORE_MLP.lrs[1]),
    rng: new Random(seed + 1),
    progress: false,
    fastMode: false,
  });
  return { model, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** The same run as {@link trainMakemore} with a bare loop around `trainStep`: the loop's own cost, by difference. */
function trainStepLoop(data: ContextDataset, vocabSize: number, steps: number, seed = MAKEMORE_MLP.seed): number {
  const model = makemoreModel(vocabSize, seed);
  const rng = new Random(seed + 1);
  const indices = new Int32Array(MAKEMORE_MLP.batchSize);
  const start = process.hrtime.bigint();
  for (const segment of scheduleOf(steps)) {
    for (let s = 0; s < segment.steps; s++) {
      for (let i = 0; i < indices.length; i++) indices[i] = rng.int(data.size);
      model.trainStep(data, indices, segment.lr);
    }
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface TorchResult {
  threads: number;
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  trainLoss: number;
  devLoss: number;
  torchVersion: string;
}

/** Runs bench/mlp_reference.py on the split; one result per entry of `threads`. */
function runTorch(train: ContextDataset, dev: ContextDataset, vocabSize: number, init: MlpInitScales, steps: number, seed: number, threads: number[]): TorchResult[] {
  const python = process.env.MLP_BENCH_PYTHON ?? "/usr/bin/python3";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlp-bench-"));
  const file = path.join(dir, "split.json");
  try {
    const spec = {
      config: {
        vocabSize,
        contextSize: MAKEMORE_MLP.contextSize,
        embeddingSize: MAKEMORE_MLP.embeddingSize,
        hiddenSize: MAKEMORE_MLP.hiddenSize,
        batchSize: MAKEMORE_MLP.batchSize,
        seed,
        init,
        schedule: scheduleOf(steps),
      },
      threads,
      train: { contexts: Array.from(train.contexts.subarray(0, train.size * train.width)), targets: Array.from(train.targets.subarray(0, train.size)) },
      dev: { contexts: Array.from(dev.contexts.subarray(0, dev.size * dev.width)), targets: Array.from(dev.targets.subarray(0, dev.size)) },
    };
    return runPythonReference<TorchResult>("mlp_reference.py", file, spec, python);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}


/** Runs the benchmark, printing a line per measurement; returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const steps = Number(process.env.MLP_BENCH_STEPS ?? MAKEMORE_MLP.steps);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`MLP_BENCH_STEPS must be an integer ≥ 2, got ${process.env.MLP_BENCH_STEPS}`);
  const { vocab, train, dev } = nameDatasets(MAKEMORE_MLP.contextSize, { seed: MAKEMORE_MLP.splitSeed });
  const V = vocab.size;
  console.log(`names split (seed ${MAKEMORE_MLP.splitSeed}): ${train.size} train / ${dev.size} dev examples, V = ${V}`);
  console.log(
    `config: B = ${MAKEMORE_MLP.contextSize}, E = ${MAKEMORE_MLP.embeddingSize}, H = ${MAKEMORE_MLP.hiddenSize}, batch ${MAKEMORE_MLP.batchSize}, ` +
      `${steps} steps, lr ${MAKEMORE_MLP.lrs[0]} then ${MAKEMORE_MLP.lrs[1]}`,
  );

  // Ours twice around torch's runs, best time kept: the machine is shared, so single runs are noisy.
  const first = await trainMakemore(train, V, steps);
  const model = first.model;
  console.log(`ours (${model.backend}, lib/training/loop → trainStep), run 1: ${(steps / first.seconds).toFixed(0)} steps/s`);
  let torch: TorchResult[] = [];
  let torchError = "";
  try {
    torch = runTorch(train, dev, V, model.init, steps, MAKEMORE_MLP.seed, [1, 2, 1, 2]);
  } catch (error) {
    torchError = (error as Error).message;
    console.log(`PyTorch reference unavailable: ${torchError}`);
  }
  const second = await trainMakemore(train, V, steps);
  console.log(`ours (${model.backend}, lib/training/loop → trainStep), run 2: ${(steps / second.seconds).toFixed(0)} steps/s`);
  const bareSeconds = Math.min(trainStepLoop(train, V, steps), trainStepLoop(train, V, steps));
  console.log(`ours, bare trainStep loop (no history, no progress bar): ${(steps / bareSeconds).toFixed(0)} steps/s`);
  const oursSeconds = Math.min(first.seconds, second.seconds);
  const ours = steps / oursSeconds;
  const oursDev = model.evaluate(dev);
  const oursTrain = model.evaluate(train);

  const best = (threads: number) => {
    const runs = torch.filter((r) => r.threads === threads);
    return runs.length === 0 ? null : runs.reduce((a, b) => (b.stepsPerSecond > a.stepsPerSecond ? b : a));
  };
  const torch1 = best(1);
  const torch2 = best(2);
  console.log(`ours:    ${ours.toFixed(0)} steps/s (${((oursSeconds / steps) * 1e3).toFixed(4)} ms/step), dev loss ${oursDev.toFixed(4)}, train loss ${oursTrain.toFixed(4)}`);
  // Our TypeScript step runs on the calling thread; torch runs at 1 then 2 threads.
  console.log(machineLine({ ours: 1, reference: "1 and 2 (PyTorch)" }));
  const record: Record<string, unknown> = {
    backend: model.backend,
    threads: { ours: 1, torch: [1, 2] },
    config: { ...MAKEMORE_MLP, steps, vocabSize: V, init: model.init, trainExamples: train.size, devExamples: dev.size },
    oursStepsPerSecond: round(ours, 1),
    oursMsPerStep: round((oursSeconds / steps) * 1e3, 5),
    oursBareTrainStepStepsPerSecond: round(steps / bareSeconds, 1),
    oursDevLoss: round(oursDev, 4),
    oursTrainLoss: round(oursTrain, 4),
  };
  if (torch1 && torch2) {
    const gap = ((oursDev - torch1.devLoss) / torch1.devLoss) * 100;
    console.log(`PyTorch ${torch1.torchVersion}, 1 thread:  ${torch1.stepsPerSecond.toFixed(0)} steps/s, dev loss ${torch1.devLoss.toFixed(4)}, train loss ${torch1.trainLoss.toFixed(4)}`);
    console.log(`PyTorch ${torch2.torchVersion}, 2 threads: ${torch2.stepsPerSecond.toFixed(0)} steps/s`);
    console.log(`ratio ours / torch: ${shownRatio(ours / torch1.stepsPerSecond)} (1 thread), ${shownRatio(ours / torch2.stepsPerSecond)} (2 threads); dev loss gap ${gap.toFixed(2)} %`);
    Object.assign(record, {
      ratio: reportedRatio(ours / torch1.stepsPerSecond, 3),
      ratio2Threads: reportedRatio(ours / torch2.stepsPerSecond, 3),
      torch1StepsPerSecond: round(torch1.stepsPerSecond, 1),
      torch2StepsPerSecond: round(torch2.stepsPerSecond, 1),
      torchDevLoss: round(torch1.devLoss, 4),
      torchTrainLoss: round(torch1.trainLoss, 4),
      devLossGapPercent: round(gap, 3),
      torchVersion: torch1.torchVersion,
    });
  } else {
    Object.assign(record, { ratio: null, torchError: torchError || "no result from bench/mlp_reference.py" });
  }
  return record;
}

/** Writes the PyTorch fixture: torch's final losses at makemore's settings for 3 seeds, and their mean. */
function writeFixture(): void {
  const { vocab, train, dev } = nameDatasets(MAKEMORE_MLP.contextSize, { seed: MAKEMORE_MLP.splitSeed });
  const init = new MlpLanguageModel({ vocabSize: vocab.size, backend: "ts", hiddenSize: MAKEMORE_MLP.hiddenSize }).init;
  const seeds = [1, 2, 3];
  const runs = seeds.map((seed) => {
    const [r] = runTorch(train, dev, vocab.size, init, MAKEMORE_MLP.steps, seed, [1]);
    if (!r) throw new Error("no result from bench/mlp_reference.py");
    console.log(`seed ${seed}: dev ${r.devLoss.toFixed(4)}, train ${r.trainLoss.toFixed(4)}`);
    return { seed, devLoss: round(r.devLoss, 4), trainLoss: round(r.trainLoss, 4) };
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fixture = {
    producedBy: "npx tsx bench/mlp.ts --write-fixture (bench/mlp_reference.py)",
    torchVersion: runTorch(train, dev, vocab.size, init, 2, 1, [1])[0]?.torchVersion,
    config: { ...MAKEMORE_MLP, seed: undefined, vocabSize: vocab.size, init, trainExamples: train.size, devExamples: dev.size },
    runs,
    meanDevLoss: round(mean(runs.map((r) => r.devLoss)), 4),
    meanTrainLoss: round(mean(runs.map((r) => r.trainLoss)), 4),
  };
  fs.mkdirSync(path.dirname(FIXTURE_PATH), { recursive: true });
  fs.writeFileSync(FIXTURE_PATH, JSON.stringify(fixture, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), FIXTURE_PATH)}`);
}

if (require.main === module) {
  if (process.argv.includes("--write-fixture")) {
    writeFixture();
  } else {
    run().then((record) => console.log(JSON.stringify({ name: "mlp", ...record })));
  }
}
