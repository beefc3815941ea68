/**
 * A long text as one stream of token ids, cut into training windows as GPT is trained (nanoGPT's
 * `get_batch`): example i is the window ids[i … i + blockSize] of blockSize + 1 tokens, whose first
 * blockSize tokens are the input and whose last blockSize tokens are the targets — blockSize next-token
 * predictions per window, each with all the context before it inside the window.
 *
 * The training loop (lib/training) draws window offsets uniformly with replacement; evaluation uses the
 * non-overlapping windows at offsets 0, blockSize, 2·blockSize, … so every token of the split is predicted
 * exactly once (but the first, and the fewer than blockSize left after the last whole window).
 */
import type { Examples } from "../training/trainable";

/** A token stream cut into windows of blockSize + 1 tokens: window i starts at ids[i] (0 ≤ i < size). */
export interface TokenStreamDataset extends Examples {
  /** The stream's ids. */
  readonly ids: Int32Array;
  /** Input length T of a window (the model's context); a window holds T + 1 ids. */
  readonly blockSize: number;
  /** Number of windows: ids.length − blockSize. */
  readonly size: number;
}

function checkBlockSize(blockSize: number, where: string): void {
  if (typeof blockSize !== "number" || !Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`${where}: blockSize must be an integer ≥ 1, got ${blockSize}`);
}

/** The windows of `ids` (at least blockSize + 1 non-negative integer ids). `ids` is copied into an Int32Array. */
export function tokenStreamDataset(ids: ArrayLike<number>, blockSize: number): TokenStreamDataset {
  checkBlockSize(blockSize, "tokenStreamDataset");
  if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") throw new TypeError("tokenStreamDataset: ids must be an array of token ids");
  if (ids.length < blockSize + 1) {
    throw new RangeError(`tokenStreamDataset: ${ids.length} ids cannot fill one window of blockSize + 1 = ${blockSize + 1} tokens`);
  }
  const stream = Int32Array.from(ids);
  for (let i = 0; i < stream.length; i++) {
    if (stream[i]! < 0 || stream[i] !== ids[i]) throw new RangeError(`tokenStreamDataset: ids[${i}] = ${ids[i]} is not a non-negative integer id`);
  }
  return { ids: stream, blockSize, size: stream.length - blockSize };
}

/** A stream split in two in reading order, as nanoGPT splits a text: the first part trains, the rest validates. */
export interface TokenStreamSplits {
  train: TokenStreamDataset;
  dev: TokenStreamDataset;
  /** ids[0 … trainEnd − 1] train, ids[trainEnd …] validate. */
  trainEnd: number;
}

/**
 * Splits `ids` at ⌊(1 − devFraction)·length⌋ (default devFraction 0.1): the last tenth of the text is held
 * out. Contiguous rather than random so that no validation window overlaps a training window.
 */
export function splitTokenStream(ids: ArrayLike<number>, blockSize: number, devFraction = 0.1): TokenStreamSplits {
  checkBlockSize(blockSize, "splitTokenStream");
  if (typeof devFraction !== "number" || !(devFraction > 0 && devFraction < 1)) throw new RangeError(`splitTokenStream: devFraction must be in (0, 1), got ${devFraction}`);
  const trainEnd = Math.floor((1 - devFraction) * ids.length);
  if (trainEnd < blockSize + 1 || ids.length - trainEnd < blockSize + 1) {
    throw new RangeError(`splitTokenStream: ${ids.length} ids split at ${trainEnd} leave a part shorter than one window of ${blockSize + 1} tokens`);
  }
  const all = Int32Array.from(ids);
  return {
    train: tokenStreamDataset(all.subarray(0, trainEnd), blockSize),
    dev: tokenStreamDataset(all.subarray(trainEnd), blockSize),
    trainEnd,
  };
}

/** Offsets of the non-overlapping windows 0, T, 2T, … that fit in the stream: evaluation predicts each token once. */
export function evaluationOffsets(data: TokenStreamDataset): Int32Array {
  const count = Math.floor((data.ids.length - 1) / data.blockSize);
  return Int32Array.from({ length: count }, (_, i) => i * data.blockSize);
}

/**
 * The inputs and targets of the windows starting at `offsets`, row-major [offsets.length, blockSize] each:
 * inputs[r, t] = ids[offset_r + t], targets[r, t] = ids[offset_r + t + 1].
 */
export function windowBatch(data: TokenStreamDataset, offsets: ArrayLike<number>): { inputs: Int32Array; targets: Int32Array } {
  const T = data.blockSize;
  const inputs = new Int32Array(offsets.length * T);
  const targets = new Int32Array(offsets.length * T);
  for (let r = 0; r < offsets.length; r++) {
    const start = offsets[r]!;
    if (!Number.isInteger(start) || start < 0 || start >= data.size) throw new RangeError(`windowBatch: offset ${start} is outside 0…${data.size - 1}`);
    inputs.set(data.ids.subarray(start, start + T), r * T);
    targets.set(data.ids.subarray(start + 1, start + T + 1), r * T);
  }
  return { inputs, targets };
}
