/**
 * TP7's trained translator: the recipe of the committed checkpoint (data/models/tp07-transformer/, written by
 * `tsx lib/models/transformer/train-cli.ts`), loading it with its tokenizers, and scoring translations of
 * numbers by exact match on the whole French string.
 */
import * as path from "node:path";
import { NumberWordsTokenizer } from "../../data/numberTokenizer";
import { englishNumberWords, frenchNumberWords } from "../../data/numberWords";
import { PATHS } from "../../env";
import { Transformer, type TransformerOptions } from "./model";

/** Everything that defines the committed model: change a value, re-run the training script, commit the new checkpoint. */
export const TP07_RECIPE = {
  /** numberTranslationData options: the test numbers are the seeded permutation's first 2,000. */
  data: { seed: 42, trainSize: 50_000, devSize: 1000, testSize: 2000 },
  model: { dModel: 64, heads: 4, dFF: 128, encoderLayers: 2, decoderLayers: 2, maxLength: 32, norm: "pre", seed: 7 } satisfies Partial<TransformerOptions>,
  training: { steps: 400, batchSize: 64, peakLr: 3e-3, warmupSteps: 100, minLr: 1e-4, seed: 2 },
  /** The checkpoint test re-scores the first `subsetSize` test numbers. */
  subsetSize: 300,
} as const;

/** Where the committed checkpoint lives. */
export const TP07_CHECKPOINT_DIR = path.join(PATHS.data, "models", "tp07-transformer");

/** The figures the training script measured, kept in the checkpoint's metadata. */
export interface Tp07Figures {
  steps: number;
  trainingSeconds: number;
  devLoss: number;
  devPerplexity: number;
  testSize: number;
  testExactMatch: number;
  subsetSize: number;
  subsetExactMatch: number;
  backend: string;
}

/** Exact-match translations of numbers. */
export interface NumberTranslationScore {
  numbers: number[];
  /** The model's French, decoded. */
  texts: string[];
  correct: boolean[];
  /** Share of texts equal to `frenchNumberWords(n)`. */
  accuracy: number;
}

/** Greedy-translates the English words of each number and compares the whole French string with the reference. */
export function scoreNumberTranslations(
  model: Transformer,
  numbers: readonly number[],
  sourceTokenizer = new NumberWordsTokenizer("en"),
  targetTokenizer = new NumberWordsTokenizer("fr"),
): NumberTranslationScore {
  const eos = sourceTokenizer.specialTokenId("</s>");
  if (eos === undefined) throw new Error("scoreNumberTranslations: the source tokenizer has no </s>");
  // Sources end with </s>, as lib/data's sequence pairs build them for training.
  const sources = numbers.map((n) => [...sourceTokenizer.encode(englishNumberWords(n)), eos]);
  const texts = model.greedyDecode(sources).map((ids) => targetTokenizer.decode(ids));
  const correct = texts.map((text, i) => text === frenchNumberWords(numbers[i]!));
  return { numbers: [...numbers], texts, correct, accuracy: correct.filter(Boolean).length / Math.max(1, correct.length) };
}

/** The committed model with its tokenizers and training figures. Call `await initBackend()` first. */
export function loadTp07Transformer(dir: string = TP07_CHECKPOINT_DIR): {
  model: Transformer;
  figures: Tp07Figures;
  sourceTokenizer: NumberWordsTokenizer;
  targetTokenizer: NumberWordsTokenizer;
} {
  const { model, metadata } = Transformer.load(dir);
  const sourceTokenizer = new NumberWordsTokenizer("en");
  const targetTokenizer = new NumberWordsTokenizer("fr");
  // The ids the weights were trained on must still mean the same words.
  for (const [side, tokenizer, saved] of [
    ["source", sourceTokenizer, metadata.sourceTokens],
    ["target", targetTokenizer, metadata.targetTokens],
  ] as const) {
    if (JSON.stringify(tokenizer.vocab.tokens) !== JSON.stringify(saved)) {
      model.dispose();
      throw new Error(`loadTp07Transformer: the ${side} vocabulary changed since ${dir} was trained; re-run lib/models/transformer/train-cli.ts`);
    }
  }
  return { model, figures: metadata.figures as Tp07Figures, sourceTokenizer, targetTokenizer };
}
