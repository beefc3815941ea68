/**
 * Batching: a model takes a rectangle of ids, so sequences of different lengths are cut (truncation) and
 * filled with the padding id (padding), and an attention mask says which positions are real tokens (1)
 * and which are padding (0) that attention must ignore.
 */
import { BOS_TOKEN, EOS_TOKEN, PAD_TOKEN } from "./specialTokens";
import { assertText } from "./text";
import type { TextTokenizer } from "./types";

/** A padded batch: one row per sequence, all rows the same length unless padding is off. */
export interface Batch {
  inputIds: number[][];
  /** 1 where `inputIds` holds a real token, 0 where it holds padding. */
  attentionMask: number[][];
}

/** Which end of a sequence to pad or to cut. */
export type Side = "left" | "right";

/** How to shape a batch. */
export interface PaddingOptions {
  /** Pad to the longest sequence, to `maxLength`, or not at all (ragged rows). Default "longest". */
  padding?: "longest" | "max_length" | false;
  /** Length limit for truncation and for `padding: "max_length"`. */
  maxLength?: number;
  /** Cut sequences longer than `maxLength`: `true`/"right" keeps the start, "left" keeps the end. Default false. */
  truncation?: boolean | Side;
  /** Where padding goes. Default "right"; decoder-only models generating from a batch want "left". */
  paddingSide?: Side;
}

/** {@link PaddingOptions} plus the id to pad with. */
export interface PadBatchOptions extends PaddingOptions {
  padId: number;
}

/** Truncates and pads already-encoded sequences into a {@link Batch}. */
export function padBatch(sequences: readonly (readonly number[])[], options: PadBatchOptions): Batch {
  const { padId } = options;
  if (!Number.isInteger(padId) || padId < 0) throw new TypeError(`padBatch: padId must be an integer ≥ 0, got ${padId}`);
  if (!Array.isArray(sequences)) throw new TypeError("padBatch: sequences must be an array of id arrays");
  const shape = checkShape(options, 0);
  const rows = sequences.map((ids, i) => {
    if (!Array.isArray(ids)) throw new TypeError(`padBatch: sequence ${i} is not an array of ids`);
    return cut(ids, shape.maxLength, shape.truncation, i);
  });
  return pad(rows, rows.map((row) => row.map(() => 1)), padId, shape);
}

/** Options of {@link encodeBatch}. */
export interface EncodeBatchOptions extends PaddingOptions {
  /** Id to pad with. Default: the tokenizer's `<pad>`. */
  padId?: number;
  /** Start each sequence with `<s>`. Default false. */
  addBos?: boolean;
  /** End each sequence with `</s>`. Default false. */
  addEos?: boolean;
}

/**
 * Encodes texts and pads them into a {@link Batch}. With truncation, `<s>`/`</s>` are kept: the text's
 * tokens are cut to leave room for them.
 */
export function encodeBatch(tokenizer: TextTokenizer, texts: readonly string[], options: EncodeBatchOptions = {}): Batch {
  if (!Array.isArray(texts)) throw new TypeError("encodeBatch: texts must be an array of strings");
  const padId = options.padId ?? tokenizer.specialTokenId(PAD_TOKEN);
  if (padId === undefined) {
    throw new Error(`encodeBatch: the tokenizer has no ${PAD_TOKEN} token; pass { padId } (for tiktoken vocabularies, e.g. the <|endoftext|> id)`);
  }
  const special = (token: string): number => {
    const id = tokenizer.specialTokenId(token);
    if (id === undefined) throw new Error(`encodeBatch: the tokenizer has no ${token} token`);
    return id;
  };
  const prefix = options.addBos === true ? [special(BOS_TOKEN)] : [];
  const suffix = options.addEos === true ? [special(EOS_TOKEN)] : [];
  const reserved = prefix.length + suffix.length;
  const shape = checkShape(options, reserved);
  const rows = texts.map((text, i) => {
    assertText(text, "encodeBatch");
    const ids = cut(tokenizer.encode(text), shape.maxLength - reserved, shape.truncation, i);
    return [...prefix, ...ids, ...suffix];
  });
  return pad(rows, rows.map((row) => row.map(() => 1)), padId, shape);
}

interface Shape {
  padding: "longest" | "max_length" | false;
  maxLength: number;
  truncation: Side | false;
  paddingSide: Side;
}

function checkShape(options: PaddingOptions, reserved: number): Shape {
  const padding = options.padding ?? "longest";
  if (padding !== "longest" && padding !== "max_length" && padding !== false) {
    throw new TypeError(`padding must be "longest", "max_length" or false, got ${JSON.stringify(padding)}`);
  }
  const truncation = options.truncation === true ? "right" : options.truncation ?? false;
  if (truncation !== false && truncation !== "left" && truncation !== "right") {
    throw new TypeError(`truncation must be true, false, "left" or "right", got ${JSON.stringify(options.truncation)}`);
  }
  const paddingSide = options.paddingSide ?? "right";
  if (paddingSide !== "left" && paddingSide !== "right") throw new TypeError(`paddingSide must be "left" or "right", got ${JSON.stringify(paddingSide)}`);
  const maxLength = options.maxLength ?? Infinity;
  if (options.maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < Math.max(1, reserved))) {
    throw new RangeError(`maxLength must be an integer ≥ ${Math.max(1, reserved)}, got ${options.maxLength}`);
  }
  if ((padding === "max_length" || truncation !== false) && options.maxLength === undefined) {
    throw new Error(`${padding === "max_length" ? 'padding: "max_length"' : "truncation"} needs maxLength`);
  }
  return { padding, maxLength, truncation, paddingSide };
}

function cut(ids: readonly number[], limit: number, truncation: Side | false, index: number): number[] {
  if (ids.length <= limit) return [...ids];
  if (truncation === false) {
    throw new RangeError(`sequence ${index} has ${ids.length} tokens, more than maxLength allows (${limit}); set truncation: "right" or "left"`);
  }
  return truncation === "right" ? ids.slice(0, limit) : ids.slice(ids.length - limit);
}

function pad(rows: number[][], masks: number[][], padId: number, shape: Shape): Batch {
  if (shape.padding === false) return { inputIds: rows, attentionMask: masks };
  const width = shape.padding === "max_length" ? shape.maxLength : Math.max(0, ...rows.map((row) => row.length));
  const fill = <T>(row: T[], value: T): T[] => {
    const extra: T[] = new Array(width - row.length).fill(value);
    return shape.paddingSide === "right" ? [...row, ...extra] : [...extra, ...row];
  };
  return { inputIds: rows.map((row) => fill(row, padId)), attentionMask: masks.map((mask) => fill(mask, 0)) };
}
