/**
 * BERT masked-LM pre-training benchmark, side by side with PyTorch in the same run: bert-tiny's
 * architecture and data (lib/models/bert/build: 2 layers, 4 heads, width 128, rows of ≤ 64 tokens of the
 * SpamAssassin training split, batch 32, 15 % of the tokens to predict) trained by the course's
 * `BERT.trainStep` — the compiled onnxruntime step by default (lib/models/bert/training-graph), with its
 * default threads and with one — and by bench/bert_reference.py (Debian's python3-torch 1.13, CPU) with 1
 * and 2 threads, starting from OUR initial weights and training on OUR minibatches (the same corrupted
 * rows, positions and targets, replayed from the masking generator), so that the runs differ only by
 * floating-point rounding. Reports:
 *  - training sequences/s of each side from the median step time (the machine is shared), PyTorch before
 *    and after ours (its faster run counts), and the ratios at equal threads (1 and 2), withheld when other
 *    processes took too much of the CPU (bench/support/machine.ts);
 *  - each run's loss at every step and the largest gap between ours and PyTorch's over the run, and the
 *    mean of the last 10 steps' losses (the same minibatches, so the same numbers up to rounding).
 *
 * Run: `npm run bench -- bert`, or `npx tsx bench/bert.ts`. BERT_BENCH_STEPS changes the number of steps
 * (default 40); BERT_BENCH_PYTHON picks the interpreter (default /usr/bin/python3).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../lib/backend";
import { loadSpamAssassin, splitMail } from "../lib/data/spam";
import { BERT, bertMlmData, maskedRows, type BertConfig, type MaskedRows, type MlmDataset } from "../lib/models/bert";
import { BERT_TINY_RECIPE } from "../lib/models/bert/build";
import { Random } from "../lib/random";
import { trainBertWordTokenizer } from "../lib/tokenizers";
import { median, round } from "./support/figures";
import { machineLine, reportedRatio, shownRatio } from "./support/machine";
import { runPythonReference } from "./support/python";

/** The benchmark's configuration: bert-tiny's recipe, a constant learning rate. */
export const BERT_BENCH = { steps: 40, batchSize: BERT_TINY_RECIPE.training.batchSize, lr: 1e-3, seed: 42 };

interface TorchResult {
  threads: number;
  steps: number;
  seconds: number;
  medianStepSeconds: number;
  losses: number[];
  parameters: number;
  torchVersion: string;
}

/** The minibatches as bench/bert_reference.py reads them: per step batch, length, predicted, ids, positions, targets (int32 LE). */
function writeBatches(file: string, batches: readonly MaskedRows[]): void {
  const values: number[] = [];
  for (const b of batches) values.push(b.batch, b.length, b.positions.length, ...b.ids, ...b.positions, ...b.targets);
  fs.writeFileSync(file, Buffer.from(Int32Array.from(values).buffer));
}

function runTorch(dir: string, job: Record<string, unknown>): TorchResult[] {
  return runPythonReference<TorchResult>("bert_reference.py", path.join(dir, "job.json"), job, process.env.BERT_BENCH_PYTHON ?? "/usr/bin/python3");
}

/** Trains a fresh model with `config` (its seed gives the benchmark's initial weights) on the rows `indices`, step by step; its losses and median step time. */
async function runOurs(config: BertConfig, trainingThreads: number, data: MlmDataset, indices: readonly Int32Array[], lr: number) {
  const model = new BERT({ ...config, trainingThreads });
  const losses: number[] = [];
  const times: number[] = [];
  for (const batch of indices) {
    const start = process.hrtime.bigint();
    losses.push(await model.trainStep(data, batch, lr));
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const engine = model.trainingEngine;
  model.dispose();
  // The first step builds the session and the optimiser's moments.
  return { losses, medianStepSeconds: median(times.slice(1)), engine };
}

/** Mean of the last 10 losses. */
function lastMean(losses: readonly number[]): number {
  const last = losses.slice(-10);
  return last.reduce((a, b) => a + b, 0) / last.length;
}

export async function run(): Promise<Record<string, unknown>> {
  const steps = Number(process.env.BERT_BENCH_STEPS ?? BERT_BENCH.steps);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`BERT_BENCH_STEPS must be an integer ≥ 2, got ${process.env.BERT_BENCH_STEPS}`);
  await initBackend({ quiet: true });
  const recipe = BERT_TINY_RECIPE;
  const { batchSize, lr, seed } = BERT_BENCH;
  const splits = splitMail(loadSpamAssassin(), recipe.split);
  const texts = splits.train.map((m) => m.text);
  const tokenizer = trainBertWordTokenizer(texts.join("\n"), recipe.vocabulary);
  const dataOptions = { maxLength: recipe.data.maxLength, seed: recipe.data.seed };
  const model = new BERT({ vocabSize: tokenizer.vocabSize, ...recipe.model, padId: tokenizer.specialTokenId("[PAD]") });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bert-bench-"));
  try {
    const initDir = path.join(dir, "init");
    model.save(initDir);
    const parameters = model.parameterCount;
    const defaultThreads = model.trainingThreads ?? 1;
    const optimizer = model.optimizerOptions;
    const config = model.config;
    model.dispose();
    // The minibatches: row indices drawn ahead, and the masks BERT.trainStep will draw from the dataset's
    // generator, replayed on an identical dataset (same seed), for PyTorch.
    const rng = new Random(seed);
    const replay = bertMlmData(tokenizer, texts, dataOptions);
    const indices = Array.from({ length: steps }, () => Int32Array.from({ length: batchSize }, () => rng.int(replay.size)));
    const batches = indices.map((rows) => maskedRows(replay, rows, replay.rng));
    const meanLength = batches.reduce((n, b) => n + b.length, 0) / steps;
    console.log(
      `bert-tiny's recipe: ${parameters.toLocaleString("en")} parameters, V = ${tokenizer.vocabSize}, ${replay.size.toLocaleString("en")} training rows of ≤ ${recipe.data.maxLength} tokens; ` +
        `batch ${batchSize} (mean padded length ${meanLength.toFixed(1)}, ${(batches.reduce((n, b) => n + b.positions.length, 0) / steps).toFixed(0)} predicted tokens per step), AdamW lr ${lr} (clip ${optimizer.clipNorm}), ${steps} steps`,
    );
    writeBatches(path.join(dir, "batches.bin"), batches);
    const torchJob = (threads: number[]) => ({
      init: initDir,
      batches: path.join(dir, "batches.bin"),
      steps,
      config: { lr, beta1: optimizer.beta1, beta2: optimizer.beta2, eps: optimizer.epsilon, weightDecay: optimizer.weightDecay, clipNorm: optimizer.clipNorm, padId: tokenizer.specialTokenId("[PAD]") },
      runs: threads.map((t) => ({ threads: t })),
    });

    let torch: TorchResult[] = [];
    let torchError = "";
    try {
      torch = runTorch(dir, torchJob([1, 2]));
      console.log(`PyTorch before ours: ${torch.map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""} ${(batchSize / r.medianStepSeconds).toFixed(1)} sequences/s`).join(", ")}; load ${os.loadavg()[0]!.toFixed(1)}`);
    } catch (error) {
      torchError = (error as Error).message;
      console.log(`PyTorch reference unavailable: ${torchError}`);
    }

    const oursRuns: { threads: number; losses: number[]; medianStepSeconds: number; engine: string }[] = [];
    for (const threads of [...new Set([defaultThreads, 1])]) {
      const data = bertMlmData(tokenizer, texts, dataOptions);
      const ours = await runOurs(config, threads, data, indices, lr);
      oursRuns.push({ threads, ...ours });
      console.log(`ours (${ours.engine}, ${threads} thread${threads > 1 ? "s" : ""}): ${(batchSize / ours.medianStepSeconds).toFixed(1)} sequences/s (median step ${(ours.medianStepSeconds * 1e3).toFixed(0)} ms); load ${os.loadavg()[0]!.toFixed(1)}`);
    }

    if (torchError === "") {
      try {
        const after = runTorch(dir, torchJob([1, 2]));
        console.log(`PyTorch after ours: ${after.map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""} ${(batchSize / r.medianStepSeconds).toFixed(1)} sequences/s`).join(", ")}; load ${os.loadavg()[0]!.toFixed(1)}`);
        torch.push(...after);
      } catch (error) {
        torchError = (error as Error).message;
        console.log(`PyTorch reference unavailable: ${torchError}`);
      }
    }

    const record: Record<string, unknown> = {
      config: { ...BERT_BENCH, steps, ...recipe.model, vocabSize: tokenizer.vocabSize, parameters, maxLength: recipe.data.maxLength, meanPaddedLength: round(meanLength, 1) },
      trainingEngine: oursRuns[0]!.engine,
      threads: { ours: oursRuns.map((r) => r.threads), torch: [1, 2] },
    };
    const reference = torch.length === 0 ? null : torch.filter((r) => r.threads === 1)[0]!;
    const torchBy = new Map([1, 2].map((t) => [t, torch.filter((r) => r.threads === t).reduce<TorchResult | null>((a, b) => (a === null || b.medianStepSeconds < a.medianStepSeconds ? b : a), null)] as const));
    const ratios: Record<string, number | null> = {};
    record.ours = oursRuns.map((ours) => {
      const same = torchBy.get(ours.threads) ?? null;
      const ratio = same === null ? null : same.medianStepSeconds / ours.medianStepSeconds;
      const gap = reference === null ? null : Math.max(...ours.losses.map((loss, i) => Math.abs(loss - reference.losses[i]!)));
      const label = `${ours.threads} thread${ours.threads > 1 ? "s" : ""}`;
      if (ratio !== null) ratios[`${ours.threads}ThreadEach`] = reportedRatio(ratio, 3, ours.threads);
      console.log(
        `ours ${label}: loss ${ours.losses[0]!.toFixed(4)} → ${lastMean(ours.losses).toFixed(4)} (mean of the last 10 steps)` +
          (reference === null ? "" : `, PyTorch ${reference.losses[0]!.toFixed(4)} → ${lastMean(reference.losses).toFixed(4)}, largest gap over the run ${gap!.toExponential(2)}`) +
          (ratio === null ? "" : `; speed ${shownRatio(ratio, 3, ours.threads)} PyTorch's at ${label}`),
      );
      return { threads: ours.threads, sequencesPerSecond: round(batchSize / ours.medianStepSeconds, 2), medianMsPerStep: round(ours.medianStepSeconds * 1e3, 1), lastLossesMean: round(lastMean(ours.losses), 4), largestLossGapToTorch: gap === null ? null : Number(gap.toExponential(2)) };
    });
    console.log(machineLine({ ours: oursRuns.map((r) => r.threads).join(" and "), reference: "1 and 2 (PyTorch)" }));
    if (torchError !== "") record.torchError = torchError;
    if (reference !== null) {
      Object.assign(record, {
        ratios,
        torch: [1, 2].map((t) => ({
          threads: t,
          sequencesPerSecond: round(batchSize / torchBy.get(t)!.medianStepSeconds, 2),
          runsSequencesPerSecond: torch.filter((r) => r.threads === t).map((r) => round(batchSize / r.medianStepSeconds, 2)),
          lastLossesMean: round(lastMean(torchBy.get(t)!.losses), 4),
        })),
        torchVersion: reference.torchVersion,
        torchParameters: reference.parameters,
      });
    }
    return record;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then((record) => console.log(JSON.stringify({ name: "bert", ...record })));
}
