/**
 * Can a GPT copy what it has just read? The induction test of Olsson et al. ("In-context learning and
 * induction heads", 2022): each token sequence s is shown twice, s s, and the model's loss is measured on
 * each copy. The first copy is only as predictable as the model's knowledge of the language; a model with
 * induction heads (a head that finds the earlier occurrence of the current token and copies the token
 * that followed it) predicts the second copy almost perfectly, whatever s is — names it never saw
 * included. A model without them scores both copies alike. Copying is what a reader needs in RAG: the
 * answer is in the passage, not in the weights.
 */
import * as tf from "@tensorflow/tfjs";
import { weightedRowsDataset, type WeightedRowsDataset } from "../../data/weighted-rows";
import type { Random } from "../../random";
import type { GPT } from "./model";

/** Mean loss (nats per token) on each copy of the repeated sequences. */
export interface RepeatedSequenceLoss {
  /** Tokens 2…L of the first copy (the first has no context). */
  firstCopy: number;
  /** Tokens 2…L of the second copy (its first token follows the end of the first copy: no cue to copy it). */
  secondCopy: number;
  sequences: number;
}

/**
 * {@link RepeatedSequenceLoss} of `model` on `sequences` (token ids, all of one length L ≥ 2, 2L ≤ the
 * model's context), every row s s scored in one batch.
 */
export function repeatedSequenceLoss(model: GPT, sequences: readonly (readonly number[])[]): RepeatedSequenceLoss {
  if (!Array.isArray(sequences as unknown) || sequences.length === 0) throw new RangeError("repeatedSequenceLoss: expected at least one token sequence");
  const length = sequences[0]!.length;
  if (length < 2 || sequences.some((s) => s.length !== length)) throw new RangeError(`repeatedSequenceLoss: every sequence must have the same length ≥ 2, got lengths ${[...new Set(sequences.map((s) => s.length))].join(", ")}`);
  const { blockSize, vocabSize } = model.config;
  if (2 * length - 1 > blockSize) throw new RangeError(`repeatedSequenceLoss: a sequence of ${length} tokens shown twice needs ${2 * length - 1} positions, more than the context of ${blockSize}`);
  sequences.forEach((s, row) => {
    const bad = s.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
    if (bad >= 0) throw new RangeError(`repeatedSequenceLoss: sequences[${row}][${bad}] = ${String(s[bad])} is not a token id (0…${vocabSize - 1})`);
  });
  // Target t of a row is token t + 1 of s s: targets 0…L−2 are the first copy's tokens 2…L, target L − 1 is
  // the second copy's first token, targets L…2L−2 its tokens 2…L.
  const rows = sequences.map((s) => [...s, ...s]);
  const width = 2 * length - 1;
  const copyWeights = (copy: 0 | 1) => Array.from({ length: width }, (_, t) => (copy === 0 ? t < length - 1 : t >= length) ? 1 : 0);
  const [firstCopy, secondCopy] = tf.tidy(() => {
    const inputs = tf.tensor2d(rows.map((r) => r.slice(0, width)), [rows.length, width], "int32");
    const targets = tf.tensor2d(rows.map((r) => r.slice(1)), [rows.length, width], "int32");
    const lossOf = (copy: 0 | 1) => model.loss(inputs, targets, tf.tensor2d(rows.map(() => copyWeights(copy)), [rows.length, width], "float32")).dataSync()[0]!;
    return [lossOf(0), lossOf(1)];
  });
  return { firstCopy, secondCopy, sequences: sequences.length };
}

/** Options of {@link repeatedSequenceRows}. */
export interface RepeatedSequenceRowsOptions {
  /** Rows to make. */
  rows: number;
  /** Token ids 0…vocabSize − 1, drawn uniformly. */
  vocabSize: number;
  /** Tokens per row (the context the model trains on). */
  length: number;
  /** Shortest and longest repeated sequence (default 6 and 24; 2·longest ≤ length). */
  shortest?: number;
  longest?: number;
}

/**
 * Training rows for copying: random ids holding a random sequence s of `shortest`…`longest` ids twice in a
 * row (s s) at a random offset, the loss only on the second copy's tokens 2…L — predictable by an
 * induction head alone. A model learns from them how to copy, whatever the ids.
 */
export function repeatedSequenceRows(options: RepeatedSequenceRowsOptions, rng: Random): WeightedRowsDataset {
  const { rows, vocabSize, length, shortest = 6, longest = 24 } = options;
  if (!Number.isInteger(shortest) || shortest < 2 || !Number.isInteger(longest) || longest < shortest || 2 * longest > length) {
    throw new RangeError(`repeatedSequenceRows: sequences of ${shortest}…${longest} ids shown twice must fit rows of ${length} ids (shortest ≥ 2)`);
  }
  const ids: number[][] = [];
  const weights: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const n = shortest + rng.int(longest - shortest + 1);
    const offset = rng.int(length + 1 - 2 * n);
    const sequence = Array.from({ length: n }, () => rng.int(vocabSize));
    const row = [...Array.from({ length: offset }, () => rng.int(vocabSize)), ...sequence, ...sequence];
    while (row.length < length + 1) row.push(rng.int(vocabSize));
    ids.push(row);
    // Target t is id t + 1: the second copy's ids 2…n are targets offset + n … offset + 2n − 2.
    weights.push(Array.from({ length }, (_, t) => (t >= offset + n && t < offset + 2 * n - 1 ? 1 : 0)));
  }
  return weightedRowsDataset(ids, weights, length);
}
