/**
 * Mini-GPT benchmark, side by side with PyTorch in the same run: a character-level GPT (4 layers, 4 heads,
 * width 128, context 128, batch 32, AdamW lr 1e-3) on Moby-Dick, trained by the course's `train` loop
 * (lib/training) on the course's `GPT` (lib/models/gpt) — the code the notebook runs — and by
 * bench/gpt_reference.py (Debian's python3-torch 1.13, CPU) on the SAME token ids and split, written to a
 * temporary folder, starting from OUR initial weights and training on OUR minibatches, so that the two runs
 * differ only by floating-point rounding (a third PyTorch run with its own initialisation and minibatches
 * shows how far apart two honest runs land). Reports:
 *  - training tokens/s of both (torch with 1 and 2 threads), `ratio` = ours / torch at 1 thread, each
 *    from the median step time (the machine is shared: a median ignores the steps another process slowed);
 *    PyTorch at 1 thread runs before and after ours and its faster run counts, against load drifting;
 *    then 3 paired rounds of 16 steps (PyTorch, then ours, back to back) give `pairedRatio`, the median of
 *    the rounds' ratios — the figure least disturbed by other processes on a shared machine — and
 *    `pairedRatioOneThreadEach`, ours restricted to one onnxruntime thread (the GPT trains through
 *    onnxruntime by default: ./lib/models/gpt/training-graph);
 *  - the ceiling at one thread each: the time of our step's matrix products (onnxruntime's profiler, by
 *    operator) against PyTorch's whole step, i.e. the ratio ours would reach if everything else took no
 *    time (both sides multiply the same matrices); PyTorch's own matrix products (torch.profiler) beside it;
 *  - the validation loss of both after the same number of steps, and their gap in %;
 *  - generation tokens/s of our model with and without the KV cache (greedy, 256 new tokens), and the speed-up.
 *
 * Run: `npm run bench -- gpt`, or `npx tsx bench/gpt.ts`. GPT_BENCH_STEPS changes the number of training
 * steps (default 100); GPT_BENCH_PYTHON picks the interpreter (default /usr/bin/python3).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { backendInfo, initBackend } from "../lib/backend";
import { loadMobyDick } from "../lib/data/books";
import { splitTokenStream, windowBatch } from "../lib/data/token-stream";
import { GPT } from "../lib/models/gpt";
import { gptConfig } from "../lib/models/gpt/config";
import { buildGptTrainingGraph } from "../lib/models/gpt/training-graph";
import { onnxRuntime } from "../lib/onnx/runtime";
import { int64Feed } from "../lib/onnx/training-layers";
import { Random } from "../lib/random";
import { CharTokenizer } from "../lib/tokenizers/char";
import { train } from "../lib/training/loop";
import { median, round } from "./support/figures";
import { machineLine, reportedRatio, shownRatio } from "./support/machine";
import { matrixProductMs, profileOperators } from "./support/onnx-profile";
import { runPythonReference } from "./support/python";

/** The benchmark's configuration. */
export const GPT_BENCH = {
  layers: 4,
  heads: 4,
  width: 128,
  blockSize: 128,
  batchSize: 32,
  lr: 1e-3,
  steps: 100,
  seed: 42,
  devFraction: 0.1,
  newTokens: 256,
  prompt: "Call me Ishmael. ",
};

/** Paired timing rounds after the main runs. */
const PAIRED = { rounds: 3, steps: 16 };

interface TorchResult {
  threads: number;
  seed: number;
  shared: boolean;
  steps: number;
  seconds: number;
  /** From the median step time. */
  tokensPerSecond: number;
  meanTokensPerSecond: number;
  valLoss: number;
  firstLoss: number;
  lastLosses: number[];
  parameters: number;
  torchVersion: string;
  /** With `profileSteps`: the self CPU time of the matrix products per step, and the (profiled) step. */
  matrixProductMsPerStep?: number;
  profiledStepMs?: number;
}

interface TorchJob {
  ids: Int32Array;
  trainEnd: number;
  config: Record<string, unknown>;
  steps: number;
  /** Our model's initial weights (a checkpoint folder) and the window offsets our run trained on, steps × batch. */
  init: string;
  offsets: Int32Array;
  runs: { threads: number; seed: number; shared: boolean }[];
  /** Measure the validation loss after training (default true; timing-only runs skip it). */
  evaluate?: boolean;
  /** After training, this many steps under torch.profiler (their matrix products' time comes back). */
  profileSteps?: number;
}

function writeInt32(file: string, values: ArrayLike<number>): void {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeInt32LE(values[i]!, i * 4);
  fs.writeFileSync(file, bytes);
}

/** Runs bench/gpt_reference.py; one result per run. */
function runTorch(dir: string, job: TorchJob): TorchResult[] {
  const python = process.env.GPT_BENCH_PYTHON ?? "/usr/bin/python3";
  writeInt32(path.join(dir, "ids.bin"), job.ids);
  writeInt32(path.join(dir, "offsets.bin"), job.offsets);
  const { ids: _ids, offsets: _offsets, ...rest } = job;
  return runPythonReference<TorchResult>("gpt_reference.py", path.join(dir, "job.json"), { ...rest, ids: path.join(dir, "ids.bin"), offsets: path.join(dir, "offsets.bin") }, python);
}


/** Greedy generation speed of `model` (new tokens per second), with or without the KV cache. */
function generationSpeed(model: GPT, prompt: number[], newTokens: number, useKvCache: boolean): { tokensPerSecond: number; ids: number[] } {
  model.generate(prompt, { maxNewTokens: 8, temperature: 0, useKvCache }); // warm-up: kernels, caches
  const start = process.hrtime.bigint();
  const { ids } = model.generate(prompt, { maxNewTokens: newTokens, temperature: 0, useKvCache });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { tokensPerSecond: ids.length / seconds, ids };
}

/** Runs the benchmark, printing a line per measurement; returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const steps = Number(process.env.GPT_BENCH_STEPS ?? GPT_BENCH.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`GPT_BENCH_STEPS must be an integer ≥ 1, got ${process.env.GPT_BENCH_STEPS}`);
  await initBackend({ quiet: true });
  const backend = backendInfo()!;
  const text = loadMobyDick();
  const tokenizer = CharTokenizer.fromText(text, { specialTokens: [] });
  const ids = tokenizer.encode(text);
  const { train: trainSet, dev, trainEnd } = splitTokenStream(ids, GPT_BENCH.blockSize, GPT_BENCH.devFraction);
  const V = tokenizer.vocabSize;
  const { layers, heads, width, blockSize, batchSize, lr, seed } = GPT_BENCH;
  const model = new GPT({ vocabSize: V, blockSize, layers, heads, width, seed });
  const oursThreads = model.trainingThreads ?? backend.threads ?? 1;
  const engine = model.trainingEngine === "onnxruntime" ? `onnxruntime, ${oursThreads} thread${oursThreads === 1 ? "" : "s"}` : backend.name;
  const tokensPerStep = batchSize * blockSize;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpt-bench-"));
  try {
    console.log(`Moby-Dick, characters: ${ids.length.toLocaleString("en")} ids, V = ${V}, train ${trainEnd.toLocaleString("en")} / validation ${(ids.length - trainEnd).toLocaleString("en")}`);
    console.log(
      `config: ${layers} layers, ${heads} heads, width ${width}, context ${blockSize}, batch ${batchSize} (${tokensPerStep} tokens/step), AdamW lr ${lr}, ${steps} steps, ` +
        `${model.parameterCount.toLocaleString("en")} parameters; ${backend.summary}; machine: ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`,
    );
    // PyTorch starts from these weights and trains on the same minibatches: the runs differ only by rounding.
    const initDir = path.join(dir, "init");
    model.save(initDir);
    // The minibatches the course's loop will draw (it takes batchSize × rng.int(size) per step from
    // Random(seed + 1)), drawn ahead so that PyTorch can run before ours too; checked against the real ones.
    const planned = new Random(seed + 1);
    const plannedOffsets = Int32Array.from({ length: Math.max(steps, PAIRED.steps) * batchSize }, () => planned.int(trainSet.size));
    const torchConfig = { vocabSize: V, blockSize, layers, heads, width, batchSize, lr, ...model.optimizerOptions, eps: model.optimizerOptions.epsilon, initStd: model.config.initStd };
    const torchJob = (runs: TorchJob["runs"]): TorchJob => ({ ids: Int32Array.from(ids), trainEnd, config: torchConfig, steps, init: initDir, offsets: plannedOffsets.subarray(0, steps * batchSize), runs });
    // The machine is shared and its load drifts: PyTorch runs before and after ours, and its faster run counts.
    let torch: TorchResult[] = [];
    let torchError = "";
    try {
      torch = runTorch(dir, torchJob([{ threads: 1, seed, shared: true }, { threads: 2, seed, shared: true }]));
      console.log(`PyTorch before ours: ${torch.map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""} ${r.tokensPerSecond.toFixed(0)} tokens/s`).join(", ")}; load ${os.loadavg()[0]!.toFixed(1)}`);
    } catch (error) {
      torchError = (error as Error).message;
      console.log(`PyTorch reference unavailable: ${torchError}`);
    }

    // Ours: the course's training loop, as the notebook calls it, on the model's own trainStep; the wrapper
    // only records each step's time and minibatch.
    const stepSeconds: number[] = [];
    const offsets: number[] = [];
    const timed = {
      trainStep: async (data: typeof trainSet, indices: Int32Array, rate: number) => {
        const start = process.hrtime.bigint();
        const loss = await model.trainStep(data, indices, rate);
        stepSeconds.push(Number(process.hrtime.bigint() - start) / 1e9);
        offsets.push(...indices);
        return loss;
      },
      evaluate: (data: typeof trainSet) => model.evaluate(data),
    };
    const history = await train(timed, { train: trainSet, steps, batchSize, lr, rng: new Random(seed + 1), progress: false, fastMode: false });
    const ours = tokensPerStep / median(stepSeconds);
    const oursMean = (history.steps.length * tokensPerStep) / history.seconds;
    const oursVal = model.evaluate(dev);
    console.log(
      `ours (${engine}): ${ours.toFixed(0)} tokens/s (median step ${(median(stepSeconds) * 1e3).toFixed(0)} ms; mean over the run ${oursMean.toFixed(0)} tokens/s), ` +
        `validation loss ${oursVal.toFixed(4)}; load ${os.loadavg()[0]!.toFixed(1)}`,
    );

    // Generation from the trained model: greedy, so both paths produce the same tokens while they fit in the context.
    const prompt = tokenizer.encode(GPT_BENCH.prompt);
    const cached = generationSpeed(model, prompt, GPT_BENCH.newTokens, true);
    const uncached = generationSpeed(model, prompt, GPT_BENCH.newTokens, false);
    const fit = blockSize - prompt.length;
    const agree = cached.ids.slice(0, fit + 1).every((id, i) => id === uncached.ids[i]);
    console.log(
      `generation, ${GPT_BENCH.newTokens} new tokens after a ${prompt.length}-token prompt: KV cache ${cached.tokensPerSecond.toFixed(1)} tokens/s, ` +
        `full recomputation ${uncached.tokensPerSecond.toFixed(1)} tokens/s, speed-up ${shownRatio(cached.tokensPerSecond / uncached.tokensPerSecond, 2, oursThreads)}; ` +
        `same tokens while in the context: ${agree}`,
    );
    console.log(`sample: ${JSON.stringify(GPT_BENCH.prompt + tokenizer.decode(cached.ids.slice(0, 80)))}`);

    const record: Record<string, unknown> = {
      backend: backend.name,
      backendSummary: backend.summary,
      trainingEngine: model.trainingEngine,
      threads: { ours: oursThreads, torch: [1, 2] },
      config: { ...GPT_BENCH, steps, vocabSize: V, parameters: model.parameterCount, trainTokens: trainEnd, validationTokens: ids.length - trainEnd },
      oursTokensPerSecond: round(ours, 1),
      oursMeanTokensPerSecond: round(oursMean, 1),
      oursMedianMsPerStep: round(median(stepSeconds) * 1e3, 1),
      oursValLoss: round(oursVal, 4),
      oursFinalTrainLoss: round(history.trainLoss[history.trainLoss.length - 1]!, 4),
      generation: {
        newTokens: GPT_BENCH.newTokens,
        promptTokens: prompt.length,
        kvCacheTokensPerSecond: round(cached.tokensPerSecond, 1),
        fullRecomputeTokensPerSecond: round(uncached.tokensPerSecond, 1),
        speedup: reportedRatio(cached.tokensPerSecond / uncached.tokensPerSecond, 2, oursThreads),
        sameTokensInContext: agree,
      },
    };
    model.dispose();
    if (!offsets.every((o, i) => o === plannedOffsets[i])) throw new Error("bench/gpt.ts: the training loop drew other minibatches than planned; PyTorch's run would not be comparable");

    if (torchError === "") {
      try {
        const after = runTorch(dir, torchJob([
          { threads: 1, seed, shared: true },
          // PyTorch's own initialisation and minibatches: how far apart two honest runs land.
          { threads: 1, seed, shared: false },
        ]));
        console.log(`PyTorch after ours: 1 thread ${after[0]?.tokensPerSecond.toFixed(0)} tokens/s; load ${os.loadavg()[0]!.toFixed(1)}`);
        torch.push(...after);
      } catch (error) {
        torchError = (error as Error).message;
        console.log(`PyTorch reference unavailable: ${torchError}`);
      }
    }
    if (torchError !== "") record.torchError = torchError;

    // Paired rounds: short PyTorch and course runs back to back, so that each pair sees about the same
    // load; the median of the per-round ratios is the figure least disturbed by the other processes.
    // Ours runs twice per round: with its default threads, and with 1 thread (the same resources as PyTorch's).
    if (torchError === "") {
      const rounds: { torch: number; ours: number; ours1: number; ratio: number; ratio1: number }[] = [];
      const timing = new GPT({ vocabSize: V, blockSize, layers, heads, width, seed });
      const timing1 = new GPT({ vocabSize: V, blockSize, layers, heads, width, seed, trainingThreads: 1 });
      const timeSteps = async (gpt: GPT) => {
        const times: number[] = [];
        for (let step = 0; step < PAIRED.steps; step++) {
          const start = process.hrtime.bigint();
          await gpt.trainStep(trainSet, plannedOffsets.subarray(step * batchSize, (step + 1) * batchSize), lr);
          times.push(Number(process.hrtime.bigint() - start) / 1e9);
        }
        return tokensPerStep / median(times.slice(1)); // the first step of a fresh model builds its optimiser and session
      };
      try {
        for (let round = 0; round < PAIRED.rounds; round++) {
          const [t] = runTorch(dir, { ...torchJob([{ threads: 1, seed, shared: true }]), steps: PAIRED.steps, offsets: plannedOffsets.subarray(0, PAIRED.steps * batchSize), evaluate: false });
          const oursRound = await timeSteps(timing);
          const ours1Round = await timeSteps(timing1);
          rounds.push({ torch: t!.tokensPerSecond, ours: oursRound, ours1: ours1Round, ratio: oursRound / t!.tokensPerSecond, ratio1: ours1Round / t!.tokensPerSecond });
        }
      } catch (error) {
        console.log(`paired rounds failed: ${(error as Error).message}`);
      } finally {
        timing.dispose();
        timing1.dispose();
      }
      if (rounds.length > 0) {
        const pairedRatio = median(rounds.map((r) => r.ratio));
        const pairedRatio1 = median(rounds.map((r) => r.ratio1));
        console.log(
          `paired rounds (${PAIRED.steps} steps each, PyTorch 1 thread, then ours with ${oursThreads} thread${oursThreads === 1 ? "" : "s"} and with 1): ` +
            rounds.map((r) => `${r.ours.toFixed(0)} & ${r.ours1.toFixed(0)} / ${r.torch.toFixed(0)} tokens/s`).join("; ") +
            `; median ratio ${shownRatio(pairedRatio, 3, oursThreads)} (1 thread each: ${shownRatio(pairedRatio1, 3, oursThreads)})`,
        );
        record.pairedRatio = reportedRatio(pairedRatio, 3, oursThreads);
        record.pairedRatioOneThreadEach = reportedRatio(pairedRatio1, 3, oursThreads);
        record.pairedRounds = rounds.map((r) => ({
          oursTokensPerSecond: round(r.ours, 1),
          ours1ThreadTokensPerSecond: round(r.ours1, 1),
          torch1TokensPerSecond: round(r.torch, 1),
        }));
      }
    }

    // The ceiling at one thread each. Both sides multiply the same matrices (the same FLOPs); if all of our
    // step but its matrix products took no time, ours would run at most torch's step / our products' time.
    if (torchError === "" && record.pairedRounds !== undefined) {
      try {
        const graph = buildGptTrainingGraph(gptConfig({ vocabSize: V, blockSize, layers, heads, width, seed }), batchSize, blockSize);
        const { inputs, targets } = windowBatch(trainSet, plannedOffsets.subarray(0, batchSize));
        const feeds: Record<string, import("onnxruntime-node").Tensor> = { inputs: int64Feed(inputs, [batchSize, blockSize]), targets: int64Feed(targets, [batchSize, blockSize]) };
        const rng = new Random(seed);
        for (const { name, dims } of graph.parameters) feeds[name] = new (onnxRuntime().Tensor)("float32", Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 0.02 * rng.normal()), dims);
        const ortTimes = await profileOperators(graph.bytes, feeds, { threads: 1, warmup: 3, runs: PAIRED.steps });
        const oursMatrixMs = matrixProductMs(ortTimes);
        const [profiled] = runTorch(dir, { ...torchJob([{ threads: 1, seed, shared: true }]), steps: PAIRED.steps, offsets: plannedOffsets.subarray(0, PAIRED.steps * batchSize), evaluate: false, profileSteps: PAIRED.steps });
        const torchStepMs = median((record.pairedRounds as { torch1TokensPerSecond: number }[]).map((r) => (tokensPerStep / r.torch1TokensPerSecond) * 1000));
        const ceiling = torchStepMs / oursMatrixMs;
        console.log(
          `matrix products at 1 thread: ours ${oursMatrixMs.toFixed(1)} ms per step (of ${ortTimes.kernelMsPerRun.toFixed(1)} ms in onnxruntime's kernels), PyTorch ${profiled!.matrixProductMsPerStep!.toFixed(1)} ms (of a ${profiled!.profiledStepMs!.toFixed(1)} ms profiled step); ` +
            `PyTorch's whole step takes ${torchStepMs.toFixed(1)} ms, so with everything but its matrix products free ours would be at most ${shownRatio(ceiling, 2, 1)} PyTorch at 1 thread each`,
        );
        record.matrixProducts = {
          oursMsPerStep: round(oursMatrixMs, 2),
          oursKernelMsPerStep: round(ortTimes.kernelMsPerRun, 2),
          torchMsPerStep: round(profiled!.matrixProductMsPerStep!, 2),
          torchProfiledStepMs: round(profiled!.profiledStepMs!, 2),
          torchStepMs: round(torchStepMs, 2),
          oneThreadCeiling: reportedRatio(ceiling, 3, 1),
        };
      } catch (error) {
        console.log(`matrix-product profile failed: ${(error as Error).message}`);
      }
    }

    const fastest = (runs: TorchResult[]) => (runs.length === 0 ? undefined : runs.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a)));
    const torch1 = fastest(torch.filter((r) => r.threads === 1 && r.shared));
    const torch2 = fastest(torch.filter((r) => r.threads === 2 && r.shared));
    const own = torch.find((r) => !r.shared);
    if (torch1 && torch2 && own) {
      const gap = ((oursVal - torch1.valLoss) / torch1.valLoss) * 100;
      const ownGap = ((oursVal - own.valLoss) / own.valLoss) * 100;
      console.log(`PyTorch ${torch1.torchVersion}, 1 thread:  ${torch1.tokensPerSecond.toFixed(0)} tokens/s (faster of 2 runs; mean ${torch1.meanTokensPerSecond.toFixed(0)}), validation loss ${torch1.valLoss.toFixed(4)} (same initial weights and minibatches)`);
      console.log(`PyTorch ${torch2.torchVersion}, 2 threads: ${torch2.tokensPerSecond.toFixed(0)} tokens/s (mean ${torch2.meanTokensPerSecond.toFixed(0)}), validation loss ${torch2.valLoss.toFixed(4)}`);
      console.log(`PyTorch, own initialisation and minibatches: validation loss ${own.valLoss.toFixed(4)} (ours ${ownGap >= 0 ? "+" : ""}${ownGap.toFixed(2)} %)`);
      console.log(`ratio ours (${oursThreads} thread${oursThreads === 1 ? "" : "s"}) / torch: ${shownRatio(ours / torch1.tokensPerSecond, 3, oursThreads)} (torch 1 thread), ${shownRatio(ours / torch2.tokensPerSecond, 3, oursThreads)} (torch 2 threads); validation loss gap ${gap.toFixed(2)} %`);
      console.log(machineLine({ ours: oursThreads, reference: "1 and 2 (PyTorch)" }));
      Object.assign(record, {
        ratio: reportedRatio(ours / torch1.tokensPerSecond, 3, oursThreads),
        ratio2Threads: reportedRatio(ours / torch2.tokensPerSecond, 3, oursThreads),
        torch1TokensPerSecond: round(torch1.tokensPerSecond, 1),
        torch1MeanTokensPerSecond: round(torch1.meanTokensPerSecond, 1),
        torch1RunsTokensPerSecond: torch.filter((r) => r.threads === 1 && r.shared).map((r) => round(r.tokensPerSecond, 1)),
        torch2TokensPerSecond: round(torch2.tokensPerSecond, 1),
        torch2MeanTokensPerSecond: round(torch2.meanTokensPerSecond, 1),
        torchValLoss: round(torch1.valLoss, 4),
        torch2ValLoss: round(torch2.valLoss, 4),
        valLossGapPercent: round(gap, 2),
        torchOwnInitValLoss: round(own.valLoss, 4),
        valLossGapOwnInitPercent: round(ownGap, 2),
        torchVersion: torch1.torchVersion,
        torchParameters: torch1.parameters,
      });
    } else if (!record.torchError) {
      record.torchError = "no result from bench/gpt_reference.py";
    }
    return record;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then((record) => console.log(JSON.stringify({ name: "gpt", ...record })));
}
