/**
 * TP7's trained translator: the recipe of the committed checkpoint (data/models/tp07-transformer/, written by
 * `tsx lib/models/transformer/train-cli.ts`), loading it with its tokenizers, and scoring translations of
 * numbers by exact match on the whole French string.
 */
import * as path from "node:path";
import { NumberWordsTokenizer } from "../../data/numberTokenizer";
import { englishNumberWords, frenchNumberWords } from "../../data/numberWords";
import { PATHS } from "../../env";
import { Random } from "../../random";
import { Transformer, type TransformerOptions } from "./model";

/** Everything that defines the committed model: change a value, re-run the training script, commit the new checkpoint. */
export const TP07_RECIPE = {
  /** numberTranslationData options: the test numbers are the seeded permutation's first 2,000. */
  data: { seed: 42, trainSize: 50_000, devSize: 1000, testSize: 2000 },
  model: { dModel: 64, heads: 4, dFF: 128, encoderLayers: 2, decoderLayers: 2, maxLength: 32, norm: "pre", seed: 7 } satisfies Partial<TransformerOptions>,
  /** Extra training numbers (see {@link shortTrainingNumbers}): 0 … 999 and the multiples of 1,000 `repeat` times, `perLength` of 4 and of 5 digits. */
  shortNumbers: { repeat: 8, perLength: 2000, seed: 3 },
  training: { steps: 800, batchSize: 64, peakLr: 3e-3, warmupSteps: 100, minLr: 1e-4, seed: 2 },
  /** The checkpoint test re-scores the first `subsetSize` test numbers. */
  subsetSize: 300,
} as const;

/**
 * Short numbers to add to the uniform training split. Drawn uniformly from 0 … 999,999, 90 % of numbers
 * have six digits and 0.1 % fewer than four, so a model trained on such a split alone learns that every
 * sentence is long: it translates "eighty" as "quatre-vingt-neuf mille quatre-vingt-quatre" (and round
 * thousands, another 0.1 %, as "deux cents mille"). With every number below 1,000 and every multiple of
 * 1,000, `repeat` times (so that a short run sees each several times), and `perLength` numbers of 4 and
 * of 5 digits — none of them in `exclude`, the dev and test numbers — short inputs get short, right
 * answers and the test stays unseen. Zero comes 10 × `repeat` times: "zero"/"zéro" is the only word pair
 * no other number uses, and with `repeat` copies the model still answered "six".
 */
export function shortTrainingNumbers(options: { repeat: number; perLength: number; seed: number }, exclude: ReadonlySet<number>): number[] {
  const { repeat, perLength, seed } = options;
  if (!Number.isInteger(repeat) || repeat < 0) throw new RangeError(`shortTrainingNumbers: repeat must be an integer ≥ 0, got ${repeat}`);
  if (!Number.isInteger(perLength) || perLength < 0 || perLength > 9000) throw new RangeError(`shortTrainingNumbers: perLength must be an integer in 0…9000, got ${perLength}`);
  const rng = new Random(seed);
  const below = Array.from({ length: 1000 }, (_, n) => n);
  const rare = [...below, ...below.slice(1).map((n) => 1000 * n)].filter((n) => !exclude.has(n));
  const out = Array.from({ length: repeat }, () => rare).flat();
  if (!exclude.has(0)) out.push(...new Array<number>(9 * repeat).fill(0));
  for (const [low, high] of [[1000, 10_000], [10_000, 100_000]] as const) {
    const picked = new Set<number>();
    while (picked.size < perLength) {
      const n = low + rng.int(high - low);
      if (!exclude.has(n)) picked.add(n);
    }
    out.push(...picked);
  }
  return out;
}

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
  /** Exact match on 300 numbers of 4, 5 and 6 digits that are in no split (never trained on), by digit count. */
  unseenByDigits: Record<string, number>;
  /** Exact match on 0 … 999 (trained on, dev and test excepted: a check that short inputs work). */
  belowThousand: number;
  /** Exact match on 1,000 · 1 … 999 (trained on, dev and test excepted). */
  roundThousands: number;
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

/** English number words → French, greedy: `translateNumberWords(model, ["twenty-one"])` → `["vingt et un"]`. */
export function translateNumberWords(
  model: Transformer,
  english: readonly string[],
  sourceTokenizer = new NumberWordsTokenizer("en"),
  targetTokenizer = new NumberWordsTokenizer("fr"),
): string[] {
  const eos = sourceTokenizer.specialTokenId("</s>")!;
  return model.greedyDecode(english.map((text) => [...sourceTokenizer.encode(text), eos])).map((ids) => targetTokenizer.decode(ids));
}

/**
 * Heat-map labels must be distinct, but a sentence repeats tokens ("quatre - vingt - dix"): the k-th
 * repeat of a token gets k zero-width spaces appended, so it prints the same and stays its own column.
 */
export function distinctLabels(tokens: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return tokens.map((token) => {
    const k = seen.get(token) ?? 0;
    seen.set(token, k + 1);
    return token + "\u200b".repeat(k);
  });
}

/** One translation's cross-attention, ready for `heatmap(matrix, sourceLabels, targetLabels)` (lib/notebook). */
export interface CrossAttentionPicture {
  /** The model's French (greedy). */
  translation: string;
  /** [output token][source token]: the attention weights, one head or the mean over heads. */
  matrix: number[][];
  /** English tokens, </s> included (columns). */
  sourceLabels: string[];
  /** French tokens produced, then </s> (rows): row i is the step that produced token i. */
  targetLabels: string[];
}

/**
 * Where each French word "looks" in the English sentence: the cross-attention weights of decoder layer
 * `layer` (default: the last) for the model's own translation of `english`, for one `head` or averaged
 * over heads (default).
 */
export function crossAttentionPicture(
  model: Transformer,
  english: string,
  options: { layer?: number; head?: number | "mean" } = {},
  sourceTokenizer = new NumberWordsTokenizer("en"),
  targetTokenizer = new NumberWordsTokenizer("fr"),
): CrossAttentionPicture {
  const layer = options.layer ?? model.config.decoderLayers - 1;
  const head = options.head ?? "mean";
  if (!Number.isInteger(layer) || layer < 0 || layer >= model.config.decoderLayers) {
    throw new RangeError(`crossAttentionPicture: layer must be in 0…${model.config.decoderLayers - 1}, got ${layer}`);
  }
  if (head !== "mean" && (!Number.isInteger(head) || head < 0 || head >= model.config.heads)) {
    throw new RangeError(`crossAttentionPicture: head must be "mean" or in 0…${model.config.heads - 1}, got ${head}`);
  }
  const eos = sourceTokenizer.specialTokenId("</s>")!;
  const source = [...sourceTokenizer.encode(english), eos];
  const [output] = model.greedyDecode([source]);
  const maps = model.attentionMaps(source, output!).cross[layer]!;
  const heads = head === "mean" ? maps : [maps[head]!];
  const matrix = heads[0]!.map((row, i) => row.map((_, j) => heads.reduce((sum, h) => sum + h[i]![j]!, 0) / heads.length));
  const targetTokens = [...targetTokenizer.vocab.tokensOf(output!), "</s>"];
  return {
    translation: targetTokenizer.decode(output!),
    matrix,
    sourceLabels: distinctLabels(sourceTokenizer.vocab.tokensOf(source)),
    targetLabels: distinctLabels(targetTokens),
  };
}
