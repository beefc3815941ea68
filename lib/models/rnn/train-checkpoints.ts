/**
 * Rebuilds the course's trained translators, reproducibly (fixed seeds and step counts; the wasm backend
 * computes the same numbers on every run):
 *
 *   data/models/tp05-rnn/         Seq2Seq, GRU encoder/decoder, no attention
 *   data/models/tp06-attention/   AttentionSeq2Seq, GRU encoder/decoder, Bahdanau attention
 *
 * Both train on 50,000 English → French number pairs (numberTranslationData, seed 42: 4 copies of each
 * short number — below 1,000 or a round thousand — not held out, then uniform draws) with the course's `train` loop, then record the dev perplexity
 * and the exact-match accuracy of greedy decoding on the 2,000 test numbers (uniform over 0 … 999,999,
 * none trained on) in config.json, which test/models/rnn/checkpoints.test.ts re-checks.
 *
 *   node --import tsx lib/models/rnn/train-checkpoints.ts [seq2seq|attention|both] [--steps N] [--out DIR]
 *
 * --steps overrides the recipe's step count (quick checks); --out writes DIR/tp05-rnn… instead of data/models.
 * Each model takes a few minutes on one CPU core; run one at a time on a shared machine.
 */
import * as path from "node:path";
import { initBackend } from "../../backend";
import { isShortNumber, numberPairs, numberTranslationData } from "../../data/numberTranslation";
import { PATHS } from "../../env";
import { Random } from "../../random";
import { train, type TrainHistory } from "../../training/loop";
import { cosineLr } from "../../training/schedules";
import { averageLoss } from "../../training/curves";
import { AttentionSeq2Seq } from "./attentionSeq2seq";
import { saveSeq2Seq } from "./checkpoint";
import type { EncoderDecoder } from "./encoderDecoder";
import { exactMatchAccuracy } from "./evaluate";
import { Seq2Seq } from "./seq2seq";

/** The data every checkpoint is trained and scored on. */
export const CHECKPOINT_DATA = { seed: 42, trainSize: 50_000, devSize: 1000, testSize: 2000, shortNumbers: 4 } as const;

/** One checkpoint's recipe. */
export interface CheckpointRecipe {
  architecture: "seq2seq" | "attention";
  folder: string;
  embeddingSize: number;
  hiddenSize: number;
  attentionSize?: number;
  steps: number;
  batchSize: number;
  maxLr: number;
  minLr: number;
}

/** The recipes of data/models/tp05-rnn and data/models/tp06-attention. */
export const RECIPES: Record<"seq2seq" | "attention", CheckpointRecipe> = {
  seq2seq: { architecture: "seq2seq", folder: "tp05-rnn", embeddingSize: 64, hiddenSize: 128, steps: 1500, batchSize: 64, maxLr: 3e-3, minLr: 1e-4 },
  attention: { architecture: "attention", folder: "tp06-attention", embeddingSize: 64, hiddenSize: 128, attentionSize: 64, steps: 600, batchSize: 64, maxLr: 3e-3, minLr: 1e-4 },
};

function compactHistory(history: TrainHistory): Record<string, number[]> {
  const window = Math.max(1, Math.ceil(history.trainLoss.length / 200));
  const curve = averageLoss(history.steps, history.trainLoss, window);
  const round = (xs: number[]) => xs.map((x) => Math.round(x * 1e4) / 1e4);
  return { steps: curve.x, trainLoss: round(curve.y), devSteps: history.devSteps, devLoss: round(history.devLoss) };
}

/** Trains one recipe, scores it and saves it under data/models/<folder>. */
export async function buildCheckpoint(recipe: CheckpointRecipe, stepsOverride?: number, outRoot = path.join(PATHS.data, "models")): Promise<EncoderDecoder> {
  const data = numberTranslationData(CHECKPOINT_DATA);
  const options = {
    sourceTokenizer: data.sourceTokenizer,
    targetTokenizer: data.targetTokenizer,
    cell: "gru" as const,
    embeddingSize: recipe.embeddingSize,
    hiddenSize: recipe.hiddenSize,
    seed: 42,
  };
  const model = recipe.architecture === "seq2seq" ? new Seq2Seq(options) : new AttentionSeq2Seq({ ...options, attentionSize: recipe.attentionSize });
  const steps = stepsOverride ?? recipe.steps;
  console.log(`${model.name}: ${model.parameterCount().toLocaleString("en-US")} parameters, ${steps} steps of ${recipe.batchSize}`);
  const history = await train(model, {
    train: data.train,
    dev: data.dev,
    steps,
    batchSize: recipe.batchSize,
    lr: cosineLr(recipe.maxLr, recipe.minLr),
    rng: new Random(7),
    evalEvery: Math.max(1, Math.round(steps / 10)),
    label: model.name,
    fastMode: false,
  });
  const devNll = history.devLoss[history.devLoss.length - 1]!;
  const started = Date.now();
  const test = exactMatchAccuracy(model, data.test, { keepMistakes: 20 });
  const testSeconds = (Date.now() - started) / 1000;
  // A sanity check of short inputs (trained on, but the uniform test split holds almost none).
  const shortNumbers = Array.from({ length: 1_000_000 }, (_, n) => n).filter(isShortNumber);
  const short = exactMatchAccuracy(model, numberPairs(shortNumbers, data.sourceTokenizer, data.targetTokenizer), { keepMistakes: 5 });
  const summary = {
    steps: history.steps.length,
    trainSeconds: Math.round(history.seconds * 10) / 10,
    batchSize: recipe.batchSize,
    lr: `cosine ${recipe.maxLr} → ${recipe.minLr}`,
    devPerplexity: Math.round(Math.exp(devNll) * 1e4) / 1e4,
    testExactMatch: test.accuracy,
    testCorrect: test.correct,
    testSize: test.total,
    shortNumbersExactMatch: short.accuracy,
  };
  console.log(`${model.name}:`, summary, `(greedy decoding of the test split: ${testSeconds.toFixed(1)} s)`);
  for (const m of [...test.mistakes.slice(0, 5), ...short.mistakes]) console.log(`  ${m.source} → ${m.predicted} (expected ${m.expected})`);
  const dir = path.join(outRoot, recipe.folder);
  saveSeq2Seq(model, dir, {
    ...summary,
    data: { ...CHECKPOINT_DATA, task: "English number words → French number words (lib/data/numberTranslation.ts)" },
    rebuild: "node --import tsx lib/models/rnn/train-checkpoints.ts",
    mistakes: test.mistakes,
    history: compactHistory(history),
  });
  console.log(`saved ${path.relative(PATHS.root, dir)}`);
  return model;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const which = args.find((a, i) => !a.startsWith("--") && !["--steps", "--out"].includes(args[i - 1] ?? "")) ?? "both";
  if (which !== "seq2seq" && which !== "attention" && which !== "both") throw new Error(`train-checkpoints: unknown model ${which}; use seq2seq, attention or both`);
  const stepsIndex = args.indexOf("--steps");
  const steps = stepsIndex >= 0 ? Number(args[stepsIndex + 1]) : undefined;
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new Error("train-checkpoints: --steps needs a positive integer");
  const outIndex = args.indexOf("--out");
  const out = outIndex >= 0 ? args[outIndex + 1] : undefined;
  if (outIndex >= 0 && (out === undefined || out.startsWith("--"))) throw new Error("train-checkpoints: --out needs a folder");
  await initBackend();
  const names: ("seq2seq" | "attention")[] = which === "both" ? ["seq2seq", "attention"] : [which];
  for (const name of names) {
    const model = await buildCheckpoint(RECIPES[name], steps, out === undefined ? undefined : path.resolve(out));
    model.dispose();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
