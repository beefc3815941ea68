/**
 * Fixed-length rows of token ids with a loss weight per target, for supervised fine-tuning: row i holds
 * blockSize + 1 ids (inputs ids[0 … T − 1], targets ids[1 … T]) and T weights, one per target. A weight of
 * 0 leaves a target out of the loss — the prompt tokens of a conversation, the padding after it — so the
 * model learns only what it must generate. Conversations are packed into rows by lib/chat/sft.
 */
import type { Examples } from "../training/trainable";

/** Rows of blockSize + 1 ids with blockSize target weights each. */
export interface WeightedRowsDataset extends Examples {
  /** Tells this dataset from a token stream. */
  readonly kind: "weighted-rows";
  /** size × (blockSize + 1) ids, row by row. */
  readonly ids: Int32Array;
  /** size × blockSize weights, row by row: weights[i, t] weighs the target ids[i, t + 1]. */
  readonly weights: Float32Array;
  /** Input length T of a row (the model's context). */
  readonly blockSize: number;
  /** Number of rows. */
  readonly size: number;
}

/** Checks and wraps rows of ids and weights (copied into typed arrays); throws naming the first bad row. */
export function weightedRowsDataset(rows: readonly (readonly number[])[], weights: readonly (readonly number[])[], blockSize: number): WeightedRowsDataset {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`weightedRowsDataset: blockSize must be an integer ≥ 1, got ${blockSize}`);
  if (!Array.isArray(rows) || rows.length === 0 || rows.length !== weights.length) {
    throw new RangeError(`weightedRowsDataset: expected as many rows of ids as rows of weights (at least one), got ${rows?.length} and ${weights?.length}`);
  }
  const ids = new Int32Array(rows.length * (blockSize + 1));
  const w = new Float32Array(rows.length * blockSize);
  rows.forEach((row, i) => {
    if (row.length !== blockSize + 1) throw new RangeError(`weightedRowsDataset: row ${i} has ${row.length} ids, not blockSize + 1 = ${blockSize + 1}`);
    if (weights[i]!.length !== blockSize) throw new RangeError(`weightedRowsDataset: row ${i} has ${weights[i]!.length} weights, not blockSize = ${blockSize}`);
    row.forEach((id: number, t: number) => {
      if (!Number.isInteger(id) || id < 0) throw new RangeError(`weightedRowsDataset: row ${i}, position ${t}: ${id} is not a token id`);
    });
    ids.set(row, i * (blockSize + 1));
    w.set(weights[i]!, i * blockSize);
  });
  return { kind: "weighted-rows", ids, weights: w, blockSize, size: rows.length };
}

/** True for a {@link WeightedRowsDataset} (a token stream has no `kind`). */
export function isWeightedRows(data: unknown): data is WeightedRowsDataset {
  return data !== null && typeof data === "object" && (data as { kind?: unknown }).kind === "weighted-rows";
}

/** The inputs, targets and weights of rows `indices`, row-major [indices.length, blockSize] each. */
export function weightedRowsBatch(data: WeightedRowsDataset, indices: ArrayLike<number>): { inputs: Int32Array; targets: Int32Array; weights: Float32Array } {
  const T = data.blockSize;
  const inputs = new Int32Array(indices.length * T);
  const targets = new Int32Array(indices.length * T);
  const weights = new Float32Array(indices.length * T);
  for (let r = 0; r < indices.length; r++) {
    const row = indices[r]!;
    if (!Number.isInteger(row) || row < 0 || row >= data.size) throw new RangeError(`weightedRowsBatch: row ${row} is outside 0…${data.size - 1}`);
    const start = row * (T + 1);
    inputs.set(data.ids.subarray(start, start + T), r * T);
    targets.set(data.ids.subarray(start + 1, start + T + 1), r * T);
    weights.set(data.weights.subarray(row * T, row * T + T), r * T);
  }
  return { inputs, targets, weights };
}
