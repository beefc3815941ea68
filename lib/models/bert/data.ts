/**
 * Datasets for BERT, in the shape the course's `train` loop samples from: fixed-width rows of token ids
 * ([CLS] … [SEP] then [PAD]), their lengths, and either the masking rules (pre-training) or one label per
 * row (classification). Minibatches are cut to their longest row, so short texts cost little.
 */
import { Random } from "../../random";
import { bertEncode, bertEncodePieces, bertSpecialIds, type WordTokenizer } from "../../tokenizers";
import type { Examples } from "../../training/trainable";
import { maskingRules, maskTokens, type MaskingRules, type MaskingShares } from "./masking";

/** Rows of token ids, each padded to `maxLength`. */
export interface SequenceDataset extends Examples {
  readonly size: number;
  /** Width of every row. */
  readonly maxLength: number;
  /** Row i is `ids[i·maxLength … (i+1)·maxLength − 1]`: the sequence, then padId. */
  readonly ids: Int32Array;
  /** Tokens of each row before the padding. */
  readonly lengths: Int32Array;
  readonly padId: number;
}

/** Sequences for masked-language-model pre-training. */
export interface MlmDataset extends SequenceDataset {
  readonly rules: MaskingRules;
  /** Draws the training masks: a sequence gets a new corruption each time it is sampled (dynamic masking, as RoBERTa). */
  readonly rng: Random;
  /** Seed of the evaluation masks: every evaluation corrupts the same positions the same way. */
  readonly evalSeed: number;
}

/** Sequences with one class label each. */
export interface ClassificationDataset extends SequenceDataset {
  /** Class of each row, 0 … numLabels − 1. */
  readonly labels: Int32Array;
  readonly numLabels: number;
}

/** Options shared by the dataset builders. */
export interface SequenceDatasetOptions {
  /** Row width: the model's maxPositions or less. */
  maxLength: number;
  /** Id written after each sequence. */
  padId: number;
}

/** Packs `sequences` (each ≤ maxLength ids) into a {@link SequenceDataset}. */
export function sequenceDataset(sequences: readonly (readonly number[])[], options: SequenceDatasetOptions): SequenceDataset {
  if (!Array.isArray(sequences) || sequences.length === 0) throw new RangeError("sequenceDataset: expected a non-empty array of id sequences");
  const { maxLength, padId } = options;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`sequenceDataset: maxLength must be an integer ≥ 1, got ${maxLength}`);
  if (!Number.isInteger(padId) || padId < 0) throw new RangeError(`sequenceDataset: padId must be an id ≥ 0, got ${padId}`);
  const ids = new Int32Array(sequences.length * maxLength).fill(padId);
  const lengths = new Int32Array(sequences.length);
  sequences.forEach((sequence, i) => {
    if (!Array.isArray(sequence) || sequence.length === 0) throw new RangeError(`sequenceDataset: sequence ${i} is empty or not an array`);
    if (sequence.length > maxLength) throw new RangeError(`sequenceDataset: sequence ${i} has ${sequence.length} ids, more than maxLength = ${maxLength}`);
    ids.set(sequence, i * maxLength);
    lengths[i] = sequence.length;
  });
  return { size: sequences.length, maxLength, ids, lengths, padId };
}

/** Options of {@link mlmDataset}. */
export interface MlmDatasetOptions extends SequenceDatasetOptions {
  rules: MaskingRules;
  /** Seed of the training masks; the evaluation masks use seed + 1 (default 0). */
  seed?: number;
}

/** A {@link MlmDataset} of `sequences` ([CLS] … [SEP], ≤ maxLength ids). */
export function mlmDataset(sequences: readonly (readonly number[])[], options: MlmDatasetOptions): MlmDataset {
  const seed = options.seed ?? 0;
  return { ...sequenceDataset(sequences, options), rules: options.rules, rng: new Random(seed), evalSeed: seed + 1 };
}

/** A {@link ClassificationDataset}: `labels[i]` is the class of `sequences[i]`. */
export function classificationDataset(sequences: readonly (readonly number[])[], labels: ArrayLike<number>, options: SequenceDatasetOptions & { numLabels?: number }): ClassificationDataset {
  if (labels === null || typeof labels !== "object" || labels.length !== sequences.length) {
    throw new RangeError(`classificationDataset: expected one label per sequence (${sequences.length}), got ${labels?.length}`);
  }
  const copy = Int32Array.from(labels);
  let largest = 0;
  copy.forEach((label, i) => {
    if (!Number.isInteger(labels[i]) || label < 0) throw new RangeError(`classificationDataset: labels[${i}] = ${labels[i]} is not a class index ≥ 0`);
    largest = Math.max(largest, label);
  });
  const numLabels = options.numLabels ?? Math.max(2, largest + 1);
  if (largest >= numLabels) throw new RangeError(`classificationDataset: label ${largest} is out of range for numLabels = ${numLabels}`);
  return { ...sequenceDataset(sequences, options), labels: copy, numLabels };
}

/** Rows of a batch, cut to the longest of them. */
export interface PaddedRows {
  /** [batch, length] ids, row-major. */
  ids: Int32Array;
  batch: number;
  length: number;
}

/** The rows `indices` of `data`, as a [batch, longest] block (the padding beyond every row's end dropped). */
export function batchRows(data: SequenceDataset, indices: ArrayLike<number>): PaddedRows {
  let length = 1;
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    if (!Number.isInteger(i) || i < 0 || i >= data.size) throw new RangeError(`batchRows: index ${i} is outside the dataset (0…${data.size - 1})`);
    length = Math.max(length, data.lengths[i]!);
  }
  const ids = new Int32Array(indices.length * length);
  for (let b = 0; b < indices.length; b++) {
    const start = indices[b]! * data.maxLength;
    ids.set(data.ids.subarray(start, start + length), b * length);
  }
  return { ids, batch: indices.length, length };
}

/** A masked-LM minibatch: padded rows with their chosen tokens corrupted, and what to predict where. */
export interface MaskedRows extends PaddedRows {
  /** Flat positions b·length + t of the chosen tokens, row by row. */
  positions: Int32Array;
  /** The original token at each of those positions. */
  targets: Int32Array;
}

/**
 * The rows `indices` of `data`, padded to the longest, each corrupted by {@link maskTokens} with `rng` in
 * row order (the draws BERT's training step makes: replaying them with a generator in the same state gives
 * the same minibatch, as the PyTorch benchmark does).
 */
export function maskedRows(data: MlmDataset, indices: ArrayLike<number>, rng: Random): MaskedRows {
  const rows = batchRows(data, indices);
  const positions: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < rows.batch; b++) {
    const row = rows.ids.subarray(b * rows.length, (b + 1) * rows.length);
    const masked = maskTokens(row, rng, data.rules);
    row.set(masked.inputs);
    for (const p of masked.positions) {
      positions.push(b * rows.length + p);
      targets.push(masked.labels[p]!);
    }
  }
  if (positions.length === 0) throw new Error("BERT: no token of this batch can be masked (only special tokens)");
  return { ...rows, positions: Int32Array.from(positions), targets: Int32Array.from(targets) };
}

/**
 * Pre-training sequences from documents: each document's words (no special tokens) cut into consecutive
 * pieces of maxLength − 2 tokens, each framed as [CLS] piece [SEP]. A last piece shorter than `minTokens`
 * is dropped unless it is the whole document.
 */
export function mlmSequences(documents: readonly (readonly number[])[], options: { maxLength: number; clsId: number; sepId: number; minTokens?: number }): number[][] {
  const { maxLength, clsId, sepId } = options;
  const minTokens = options.minTokens ?? 8;
  if (!Number.isInteger(maxLength) || maxLength < 3) throw new RangeError(`mlmSequences: maxLength must be an integer ≥ 3, got ${maxLength}`);
  const width = maxLength - 2;
  const out: number[][] = [];
  for (const words of documents) {
    if (words.length === 0) continue;
    for (let start = 0; start < words.length; start += width) {
      const piece = words.slice(start, start + width);
      if (piece.length < minTokens && start > 0) break;
      out.push([clsId, ...piece, sepId]);
    }
  }
  return out;
}

/** Options of {@link bertMlmData}. */
export interface BertMlmDataOptions extends MaskingShares {
  /** Row width (the model's maxPositions or less, default 128). */
  maxLength?: number;
  /** Seed of the masks (default 0). */
  seed?: number;
  /** Shortest trailing piece of a document kept (default 8 tokens). */
  minTokens?: number;
}

/**
 * Masked-LM data from raw texts with a BERT word tokenizer: texts cut into [CLS] … [SEP] pieces of at most
 * maxLength tokens, BERT's masking rule over the vocabulary (specials never chosen).
 */
export function bertMlmData(tokenizer: WordTokenizer, texts: readonly string[], options: BertMlmDataOptions = {}): MlmDataset {
  if (!Array.isArray(texts) || texts.length === 0) throw new RangeError("bertMlmData: expected a non-empty array of texts");
  const maxLength = options.maxLength ?? 128;
  const ids = bertSpecialIds(tokenizer);
  const sequences = mlmSequences(texts.map((text) => bertEncodePieces(tokenizer, text)), { maxLength, clsId: ids.cls, sepId: ids.sep, minTokens: options.minTokens });
  const specialIds = tokenizer.vocab.specialTokens.map((token) => tokenizer.vocab.id(token)!);
  const rules = maskingRules({ maskId: ids.mask, vocabSize: tokenizer.vocabSize, specialIds, probability: options.probability, maskShare: options.maskShare, randomShare: options.randomShare });
  return mlmDataset(sequences, { maxLength, padId: ids.pad, rules, seed: options.seed });
}

/** Classification data from texts and labels: each text as [CLS] … [SEP], cut to maxLength (default 128). */
export function bertClassificationData(tokenizer: WordTokenizer, texts: readonly string[], labels: ArrayLike<number>, options: { maxLength?: number; numLabels?: number } = {}): ClassificationDataset {
  if (!Array.isArray(texts) || texts.length === 0) throw new RangeError("bertClassificationData: expected a non-empty array of texts");
  const maxLength = options.maxLength ?? 128;
  const { pad } = bertSpecialIds(tokenizer);
  return classificationDataset(texts.map((text) => bertEncode(tokenizer, text, { maxLength })), labels, { maxLength, padId: pad, numLabels: options.numLabels });
}
