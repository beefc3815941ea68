/**
 * Mini-GPT benchmark, side by side with PyTorch in the same run: a character-level GPT (4 layers, 4 heads,
 * width 128, context 128, batch 32, AdamW lr 1e-3) on Moby-Dick, trained by the course's `train` loop
 * (lib/training) on the course's `GPT` (lib/models/gpt) — the code the notebook runs — and by
 * bench/gpt_reference.py (Debian's python3-torch 1.13, CPU) on the SAME token ids and split, written to a
 * temporary file. Reports:
 *  - training tokens/s of both (torch with 1 and 2 threads), `ratio` = ours / torch at 1 thread;
 *  - the validation loss of both after the same number of steps, and their gap in %;
 *  - generation tokens/s of our model with and without the KV cache (greedy, 256 new tokens), and the speed-up.
 *
 * Run: `npm run bench -- gpt`, or `npx tsx bench/gpt.ts`. GPT_BENCH_STEPS changes the number of training
 * steps (default 100); GPT_BENCH_PYTHON picks the interpreter (default /usr/bin/python3).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { backendInfo, initBackend } from "../lib/backend";
import { loadMobyDick } from "../lib/data/books";
import { splitTokenStream } from "../lib/data/token-stream";
import { GPT } from "../lib/models/gpt";
import { Random } from "../lib/random";
import { CharTokenizer } from "../lib/tokenizers/char";
import { train } from "../lib/training/loop";

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

interface TorchResult {
  threads: number;
  steps: number;
  seconds: number;
  tokensPerSecond: number;
  valLoss: number;
  firstLoss: number;
  lastLosses: number[];
  parameters: number;
  torchVersion: string;
}

/** Runs bench/gpt_reference.py on the ids; one result per entry of `threads`. */
function runTorch(ids: Int32Array, trainEnd: number, config: Record<string, unknown>, steps: number, threads: number[]): TorchResult[] {
  const python = process.env.GPT_BENCH_PYTHON ?? "/usr/bin/python3";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpt-bench-"));
  try {
    const idsFile = path.join(dir, "ids.bin");
    const bytes = Buffer.alloc(ids.length * 4);
    ids.forEach((id, i) => bytes.writeInt32LE(id, i * 4));
    fs.writeFileSync(idsFile, bytes);
    const jobFile = path.join(dir, "job.json");
    fs.writeFileSync(jobFile, JSON.stringify({ ids: idsFile, trainEnd, config, steps, runs: threads.map((t) => ({ threads: t, seed: GPT_BENCH.seed })) }));
    const result = spawnSync(python, [path.join(__dirname, "gpt_reference.py"), jobFile], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (result.error) throw new Error(`cannot run ${python}: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`bench/gpt_reference.py failed (exit ${result.status}):\n${result.stderr.trim().split("\n").slice(-5).join("\n")}`);
    return result.stdout
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as TorchResult);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

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
  const tokensPerStep = batchSize * blockSize;
  console.log(`Moby-Dick, characters: ${ids.length.toLocaleString("en")} ids, V = ${V}, train ${trainEnd.toLocaleString("en")} / validation ${(ids.length - trainEnd).toLocaleString("en")}`);
  console.log(
    `config: ${layers} layers, ${heads} heads, width ${width}, context ${blockSize}, batch ${batchSize} (${tokensPerStep} tokens/step), AdamW lr ${lr}, ${steps} steps, ` +
      `${model.parameterCount.toLocaleString("en")} parameters; ${backend.summary}; machine: ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`,
  );

  // Ours: the course's training loop, as the notebook calls it (no dev evaluation inside the timed run).
  const history = await train(model, { train: trainSet, steps, batchSize, lr, rng: new Random(seed + 1), progress: false, fastMode: false });
  const ours = (history.steps.length * tokensPerStep) / history.seconds;
  const oursVal = model.evaluate(dev);
  console.log(`ours (${backend.name}): ${ours.toFixed(0)} tokens/s (${((history.seconds / history.steps.length) * 1e3).toFixed(0)} ms/step), validation loss ${oursVal.toFixed(4)}`);

  // Generation from the trained model: greedy, so both paths produce the same tokens while they fit in the context.
  const prompt = tokenizer.encode(GPT_BENCH.prompt);
  const cached = generationSpeed(model, prompt, GPT_BENCH.newTokens, true);
  const uncached = generationSpeed(model, prompt, GPT_BENCH.newTokens, false);
  const fit = blockSize - prompt.length;
  const agree = cached.ids.slice(0, fit + 1).every((id, i) => id === uncached.ids[i]);
  console.log(
    `generation, ${GPT_BENCH.newTokens} new tokens after a ${prompt.length}-token prompt: KV cache ${cached.tokensPerSecond.toFixed(1)} tokens/s, ` +
      `full recomputation ${uncached.tokensPerSecond.toFixed(1)} tokens/s, speed-up ×${(cached.tokensPerSecond / uncached.tokensPerSecond).toFixed(2)}; ` +
      `same tokens while in the context: ${agree}`,
  );
  console.log(`sample: ${JSON.stringify(GPT_BENCH.prompt + tokenizer.decode(cached.ids.slice(0, 80)))}`);

  const record: Record<string, unknown> = {
    backend: backend.name,
    backendSummary: backend.summary,
    threads: { ours: backend.threads ?? 1, torch: [1, 2] },
    config: { ...GPT_BENCH, steps, vocabSize: V, parameters: model.parameterCount, trainTokens: trainEnd, validationTokens: ids.length - trainEnd },
    loadAverage: round(os.loadavg()[0]!, 2),
    oursTokensPerSecond: round(ours, 1),
    oursMsPerStep: round((history.seconds / history.steps.length) * 1e3, 1),
    oursValLoss: round(oursVal),
    oursFinalTrainLoss: round(history.trainLoss[history.trainLoss.length - 1]!),
    generation: {
      newTokens: GPT_BENCH.newTokens,
      promptTokens: prompt.length,
      kvCacheTokensPerSecond: round(cached.tokensPerSecond, 1),
      fullRecomputeTokensPerSecond: round(uncached.tokensPerSecond, 1),
      speedup: round(cached.tokensPerSecond / uncached.tokensPerSecond, 2),
      sameTokensInContext: agree,
    },
  };
  model.dispose();

  const torchConfig = { vocabSize: V, blockSize, layers, heads, width, batchSize, lr, ...model.optimizerOptions, eps: model.optimizerOptions.epsilon, initStd: model.config.initStd };
  let torch: TorchResult[] = [];
  try {
    torch = runTorch(Int32Array.from(ids), trainEnd, torchConfig, steps, [1, 2]);
  } catch (error) {
    record.torchError = (error as Error).message;
    console.log(`PyTorch reference unavailable: ${record.torchError}`);
  }
  const torch1 = torch.find((r) => r.threads === 1);
  const torch2 = torch.find((r) => r.threads === 2);
  if (torch1 && torch2) {
    const gap = ((oursVal - torch1.valLoss) / torch1.valLoss) * 100;
    console.log(`PyTorch ${torch1.torchVersion}, 1 thread:  ${torch1.tokensPerSecond.toFixed(0)} tokens/s, validation loss ${torch1.valLoss.toFixed(4)} (${torch1.parameters.toLocaleString("en")} parameters)`);
    console.log(`PyTorch ${torch2.torchVersion}, 2 threads: ${torch2.tokensPerSecond.toFixed(0)} tokens/s, validation loss ${torch2.valLoss.toFixed(4)}`);
    console.log(`ratio ours / torch: ${(ours / torch1.tokensPerSecond).toFixed(3)} (1 thread), ${(ours / torch2.tokensPerSecond).toFixed(3)} (2 threads); validation loss gap ${gap.toFixed(2)} %`);
    Object.assign(record, {
      ratio: round(ours / torch1.tokensPerSecond, 3),
      ratio2Threads: round(ours / torch2.tokensPerSecond, 3),
      torch1TokensPerSecond: round(torch1.tokensPerSecond, 1),
      torch2TokensPerSecond: round(torch2.tokensPerSecond, 1),
      torchValLoss: round(torch1.valLoss),
      torch2ValLoss: round(torch2.valLoss),
      valLossGapPercent: round(gap, 2),
      torchVersion: torch1.torchVersion,
      torchParameters: torch1.parameters,
    });
  } else if (!record.torchError) {
    record.torchError = "no result from bench/gpt_reference.py";
  }
  return record;
}

if (require.main === module) {
  run().then((record) => console.log(JSON.stringify({ name: "gpt", ...record })));
}
