/**
 * Encoder–decoder Transformer benchmark, side by side with PyTorch in the same run: TP7's translator (the
 * recipe of data/models/tp07-transformer: d 64, 4 heads, FFN 128, 2 + 2 layers, pre-LN) on TP7's English →
 * French number words, minibatches of 64 pairs, AdamW at a constant learning rate with the model's own
 * settings (β (0.9, 0.98), weight decay 0.01, clipping at norm 1). The course's `Transformer.trainStep` — the
 * code the notebook's training loop calls, through the compiled onnxruntime graph
 * (lib/models/transformer/training-graph) — and bench/transformer_reference.py (Debian's python3-torch 1.13,
 * CPU) start from the SAME initial weights (our checkpoint) and train on the SAME padded minibatches, so the
 * two runs differ only by floating-point rounding. Reports:
 *  - training pairs/s of ours and of PyTorch at 1 and at 2 threads each, from the median step time (the
 *    machine is shared: a median ignores the steps another process slowed); PyTorch at 1 thread runs before
 *    and after ours and its faster run counts;
 *  - 3 paired rounds of 16 steps (PyTorch at 1 and 2 threads, then ours at 1 and 2, back to back): the
 *    median of the rounds' ratios at equal threads, the figures least disturbed by other processes;
 *  - ours with the tfjs autograd engine (`trainingEngine: "tfjs"`), for the compiled graph's speed-up;
 *  - the largest gap between the two sides' training losses step by step, and both validation losses
 *    (the 1,000 dev pairs) after the run.
 *
 * Run: `npm run bench -- transformer`, or `npx tsx bench/transformer.ts`. TRANSFORMER_BENCH_STEPS changes
 * the number of training steps (default 100); TRANSFORMER_BENCH_PYTHON picks the interpreter (default
 * /usr/bin/python3).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../lib/backend";
import { numberPairs, numberTranslationSplits } from "../lib/data/numberTranslation";
import { NumberWordsTokenizer } from "../lib/data/numberTokenizer";
import { makePairBatch, Transformer, type PairBatch, type SequencePairs, type TransformerOptions } from "../lib/models/transformer";
import { TP07_RECIPE } from "../lib/models/transformer/tp07";
import { Random } from "../lib/random";
import { median, round } from "./support/figures";
import { machineLine, reportedRatio, shownRatio } from "./support/machine";
import { runPythonReference } from "./support/python";

/** The benchmark's configuration: TP7's model, a constant learning rate. */
export const TRANSFORMER_BENCH = {
  model: TP07_RECIPE.model,
  data: TP07_RECIPE.data,
  batchSize: 64,
  lr: 1e-3,
  steps: 100,
  seed: 42,
  /** Steps of the tfjs-autograd comparison (slow: a few suffice). */
  tfjsSteps: 12,
};

/** Paired timing rounds after the main runs. */
const PAIRED = { rounds: 3, steps: 16 };

interface TorchResult {
  threads: number;
  steps: number;
  seconds: number;
  medianStepSeconds: number;
  losses: number[];
  valLoss: number | null;
  parameters: number;
  torchVersion: string;
}

/** Minibatches as the reference reads them: one int32 file (source, decoder input, labels of each in turn) and their shapes. */
function writeBatches(file: string, batches: readonly PairBatch[]): number[][] {
  const total = batches.reduce((n, b) => n + b.source.length + 2 * b.decoderInput.length, 0);
  const bytes = Buffer.alloc(total * 4);
  let offset = 0;
  for (const b of batches) {
    for (const part of [b.source, b.decoderInput, b.decoderOutput]) {
      for (const id of part) offset = bytes.writeInt32LE(id, offset);
    }
  }
  fs.writeFileSync(file, bytes);
  return batches.map((b) => [b.batchSize, b.sourceLength, b.targetLength]);
}

/** Runs bench/transformer_reference.py; one result per run. */
function runTorch(jobFile: string, job: Record<string, unknown>): TorchResult[] {
  return runPythonReference<TorchResult>("transformer_reference.py", jobFile, job, process.env.TRANSFORMER_BENCH_PYTHON ?? "/usr/bin/python3");
}

/** Trains `model` on `indices` (one Int32Array per step) at `lr`; the step times (s) and losses. */
async function timedSteps(model: Transformer, data: SequencePairs, indices: readonly Int32Array[], lr: number): Promise<{ seconds: number[]; losses: number[] }> {
  const seconds: number[] = [];
  const losses: number[] = [];
  for (const batch of indices) {
    const start = process.hrtime.bigint();
    losses.push(await model.trainStep(data, batch, lr));
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { seconds, losses };
}

/** Runs the benchmark, printing a line per measurement; returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const steps = Number(process.env.TRANSFORMER_BENCH_STEPS ?? TRANSFORMER_BENCH.steps);
  if (!Number.isInteger(steps) || steps < PAIRED.steps) throw new Error(`TRANSFORMER_BENCH_STEPS must be an integer ≥ ${PAIRED.steps}, got ${process.env.TRANSFORMER_BENCH_STEPS}`);
  await initBackend({ quiet: true });
  const { batchSize, lr, seed } = TRANSFORMER_BENCH;
  const splits = numberTranslationSplits(TRANSFORMER_BENCH.data);
  const sourceTokenizer = new NumberWordsTokenizer("en");
  const targetTokenizer = new NumberWordsTokenizer("fr");
  const trainSet = numberPairs(splits.train, sourceTokenizer, targetTokenizer);
  const dev = numberPairs(splits.dev, sourceTokenizer, targetTokenizer);
  const { pad, bos, eos } = trainSet.targetIds;
  const options = { ...TRANSFORMER_BENCH.model, sourceVocabSize: sourceTokenizer.vocabSize, targetVocabSize: targetTokenizer.vocabSize, padId: pad, bosId: bos, eosId: eos };
  const make = (extra: Partial<TransformerOptions> = {}) => new Transformer({ ...options, ...extra });
  const model = make({ trainingThreads: 2 });
  if (model.trainingEngine !== "onnxruntime") throw new Error("bench/transformer.ts: onnxruntime-node is not available, so the compiled training engine cannot run (npm install)");
  const parameters = model.namedParameters().reduce((n, [, v]) => n + v.size, 0);

  // The planned minibatches, padded as trainStep pads them, for both sides.
  const planned = new Random(seed + 1);
  const indices = Array.from({ length: steps }, () => Int32Array.from({ length: batchSize }, () => planned.int(trainSet.size)));
  const special = model.special;
  const batches = indices.map((i) => makePairBatch(trainSet, i, special, model.config.maxLength, model.config.maxLength));
  const devBatches = Array.from({ length: Math.ceil(dev.size / 500) }, (_, k) =>
    makePairBatch(dev, Int32Array.from({ length: Math.min(500, dev.size - 500 * k) }, (_, i) => 500 * k + i), special, model.config.maxLength, model.config.maxLength),
  );
  const labelsPerStep = batches.reduce((n, b) => n + b.labelCount, 0) / batches.length;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "transformer-bench-"));
  try {
    const initDir = path.join(dir, "init");
    model.save(initDir);
    const shapes = writeBatches(path.join(dir, "batches.bin"), batches);
    const devShapes = writeBatches(path.join(dir, "dev.bin"), devBatches);
    const o = model.optimizerOptions;
    const job = (runs: { threads: number }[], jobSteps: number, evaluate: boolean) => ({
      config: { ...model.config, labelSmoothing: model.labelSmoothing, lr, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.98, eps: o.epsilon ?? 1e-9, weightDecay: o.weightDecay ?? 0.01, clipNorm: o.clipNorm },
      init: initDir,
      batches: path.join(dir, "batches.bin"),
      shapes,
      dev: evaluate ? { ids: path.join(dir, "dev.bin"), shapes: devShapes } : undefined,
      steps: jobSteps,
      runs,
    });
    const jobFile = path.join(dir, "job.json");
    console.log(
      `TP7 number words: ${trainSet.size.toLocaleString("en")} training pairs, ${dev.size} dev; model ${options.dModel}-d, ${options.heads} heads, FFN ${options.dFF}, ` +
        `${options.encoderLayers} + ${options.decoderLayers} layers, ${options.norm}-LN, ${parameters.toLocaleString("en")} parameters; batch ${batchSize} pairs ` +
        `(${labelsPerStep.toFixed(0)} labels per step on average), AdamW lr ${lr} constant, clip ${o.clipNorm}, ${steps} steps`,
    );

    let torch: TorchResult[] = [];
    let torchError = "";
    try {
      torch = runTorch(jobFile, job([{ threads: 1 }, { threads: 2 }], steps, true));
      console.log(`PyTorch before ours: ${torch.map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""} ${(batchSize / r.medianStepSeconds).toFixed(0)} pairs/s`).join(", ")}; load ${os.loadavg()[0]!.toFixed(1)}`);
    } catch (error) {
      torchError = (error as Error).message;
      console.log(`PyTorch reference unavailable: ${torchError}`);
    }

    // Ours at 2 threads (trained on every planned minibatch, then evaluated), and at 1 thread from the same weights.
    const ours2 = await timedSteps(model, trainSet, indices, lr);
    const oursVal = model.evaluate(dev);
    model.dispose();
    const one = make({ trainingThreads: 1 });
    const ours1 = await timedSteps(one, trainSet, indices, lr);
    one.dispose();
    const speed = (times: number[]) => batchSize / median(times.slice(1)); // the first step builds the optimiser and a session
    console.log(
      `ours (onnxruntime): 2 threads ${speed(ours2.seconds).toFixed(0)} pairs/s, 1 thread ${speed(ours1.seconds).toFixed(0)} pairs/s ` +
        `(median steps ${(median(ours2.seconds.slice(1)) * 1e3).toFixed(1)} / ${(median(ours1.seconds.slice(1)) * 1e3).toFixed(1)} ms); validation loss ${oursVal.toFixed(4)}; load ${os.loadavg()[0]!.toFixed(1)}`,
    );
    const tfjsModel = make({ trainingEngine: "tfjs" });
    const tfjs = await timedSteps(tfjsModel, trainSet, indices.slice(0, TRANSFORMER_BENCH.tfjsSteps), lr);
    tfjsModel.dispose();
    const tfjsSpeed = speed(tfjs.seconds);
    const tfjsGap = Math.max(...tfjs.losses.map((loss, i) => Math.abs(loss - ours2.losses[i]!)));
    console.log(`ours (tfjs autograd, ${TRANSFORMER_BENCH.tfjsSteps} steps): ${tfjsSpeed.toFixed(0)} pairs/s; onnxruntime at 1 thread is ${shownRatio(speed(ours1.seconds) / tfjsSpeed, 2, 1)} that; largest loss gap to onnxruntime ${tfjsGap.toExponential(1)}`);

    const record: Record<string, unknown> = {
      trainingEngine: "onnxruntime",
      threads: { ours: [1, 2], torch: [1, 2] },
      config: { ...TRANSFORMER_BENCH, steps, parameters, trainPairs: trainSet.size, devPairs: dev.size, labelsPerStep: round(labelsPerStep, 1) },
      ours2ThreadsPairsPerSecond: round(speed(ours2.seconds), 1),
      ours1ThreadPairsPerSecond: round(speed(ours1.seconds), 1),
      oursTfjsPairsPerSecond: round(tfjsSpeed, 1),
      compiledOverTfjsOneThread: reportedRatio(speed(ours1.seconds) / tfjsSpeed, 2, 1),
      oursValLoss: round(oursVal, 4),
      oursFinalTrainLoss: round(ours2.losses[ours2.losses.length - 1]!, 4),
      threadsLossGap: Math.max(...ours1.losses.map((loss, i) => Math.abs(loss - ours2.losses[i]!))),
    };

    if (torchError === "") {
      try {
        const [after] = runTorch(jobFile, job([{ threads: 1 }], steps, false));
        console.log(`PyTorch after ours: 1 thread ${(batchSize / after!.medianStepSeconds).toFixed(0)} pairs/s; load ${os.loadavg()[0]!.toFixed(1)}`);
        torch.push(after!);
      } catch (error) {
        torchError = (error as Error).message;
        console.log(`PyTorch reference unavailable: ${torchError}`);
      }
    }

    // Paired rounds: PyTorch then ours, back to back, so that each pair sees about the same load.
    if (torchError === "") {
      const rounds: { torch1: number; torch2: number; ours1: number; ours2: number }[] = [];
      const timing1 = make({ trainingThreads: 1 });
      const timing2 = make({ trainingThreads: 2 });
      const roundIndices = indices.slice(0, PAIRED.steps);
      try {
        for (let r = 0; r < PAIRED.rounds; r++) {
          const [t1, t2] = runTorch(jobFile, job([{ threads: 1 }, { threads: 2 }], PAIRED.steps, false));
          const o1 = await timedSteps(timing1, trainSet, roundIndices, lr);
          const o2 = await timedSteps(timing2, trainSet, roundIndices, lr);
          rounds.push({ torch1: batchSize / t1!.medianStepSeconds, torch2: batchSize / t2!.medianStepSeconds, ours1: speed(o1.seconds), ours2: speed(o2.seconds) });
        }
      } catch (error) {
        console.log(`paired rounds failed: ${(error as Error).message}`);
      } finally {
        timing1.dispose();
        timing2.dispose();
      }
      if (rounds.length > 0) {
        const paired1 = median(rounds.map((r) => r.ours1 / r.torch1));
        const paired2 = median(rounds.map((r) => r.ours2 / r.torch2));
        console.log(
          `paired rounds (${PAIRED.steps} steps each; ours / PyTorch pairs/s at 1 thread, at 2 threads): ` +
            rounds.map((r) => `${r.ours1.toFixed(0)} / ${r.torch1.toFixed(0)}, ${r.ours2.toFixed(0)} / ${r.torch2.toFixed(0)}`).join("; ") +
            `; median ratio 1 thread each ${shownRatio(paired1, 3, 1)}, 2 threads each ${shownRatio(paired2, 3, 2)}`,
        );
        record.pairedRatioOneThreadEach = reportedRatio(paired1, 3, 1);
        record.pairedRatioTwoThreadsEach = reportedRatio(paired2, 3, 2);
        record.pairedRounds = rounds.map((r) => ({
          ours1ThreadPairsPerSecond: round(r.ours1, 1),
          torch1ThreadPairsPerSecond: round(r.torch1, 1),
          ours2ThreadsPairsPerSecond: round(r.ours2, 1),
          torch2ThreadsPairsPerSecond: round(r.torch2, 1),
        }));
      }
    }

    const fastest = (runs: TorchResult[]) => (runs.length === 0 ? undefined : runs.reduce((a, b) => (b.medianStepSeconds < a.medianStepSeconds ? b : a)));
    const torch1 = fastest(torch.filter((r) => r.threads === 1));
    const torch2 = fastest(torch.filter((r) => r.threads === 2));
    const evaluated = torch.find((r) => r.valLoss !== null && r.threads === 1);
    if (torch1 && torch2 && evaluated) {
      const t1 = batchSize / torch1.medianStepSeconds;
      const t2 = batchSize / torch2.medianStepSeconds;
      const lossGap = Math.max(...evaluated.losses.map((loss, i) => Math.abs(loss - ours2.losses[i]!)));
      const valGap = ((oursVal - evaluated.valLoss!) / evaluated.valLoss!) * 100;
      console.log(`PyTorch ${torch1.torchVersion}: 1 thread ${t1.toFixed(0)} pairs/s (faster of 2 runs), 2 threads ${t2.toFixed(0)} pairs/s; validation loss ${evaluated.valLoss!.toFixed(4)} (same initial weights and minibatches)`);
      console.log(
        `ratio ours / PyTorch: ${shownRatio(speed(ours1.seconds) / t1, 3, 1)} at 1 thread each, ${shownRatio(speed(ours2.seconds) / t2, 3, 2)} at 2 threads each; ` +
          `training losses step by step within ${lossGap.toExponential(1)} (first ${ours2.losses[0]!.toFixed(5)} vs ${evaluated.losses[0]!.toFixed(5)}), validation loss gap ${valGap.toFixed(2)} %`,
      );
      Object.assign(record, {
        ratioOneThreadEach: reportedRatio(speed(ours1.seconds) / t1, 3, 1),
        ratioTwoThreadsEach: reportedRatio(speed(ours2.seconds) / t2, 3, 2),
        torch1ThreadPairsPerSecond: round(t1, 1),
        torch1ThreadRunsPairsPerSecond: torch.filter((r) => r.threads === 1).map((r) => round(batchSize / r.medianStepSeconds, 1)),
        torch2ThreadsPairsPerSecond: round(t2, 1),
        torchValLoss: round(evaluated.valLoss!, 4),
        valLossGapPercent: round(valGap, 2),
        trainLossMaxGap: lossGap,
        torchVersion: torch1.torchVersion,
        torchParameters: torch1.parameters,
      });
      if (torch1.parameters !== parameters) throw new Error(`bench/transformer.ts: PyTorch's model has ${torch1.parameters} parameters, ours ${parameters}`);
    } else {
      record.torchError = torchError || "no result from bench/transformer_reference.py";
    }
    console.log(machineLine({ ours: "1 and 2 (onnxruntime)", reference: "1 and 2 (PyTorch)" }));
    return record;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then((record) => console.log(JSON.stringify({ name: "transformer", ...record })));
}
