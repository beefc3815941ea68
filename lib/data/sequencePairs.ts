/**
 * Parallel sentences for sequence-to-sequence models (TP5–TP7): each example is a source sequence and a
 * target sequence of token ids, and a minibatch is two padded rectangles with their masks:
 *
 *   source          x_1 … x_n </s> <pad> …       (encoder input; mask 1 on real tokens)
 *   decoder input   <s> y_1 … y_m <pad> …        (teacher forcing: the previous true token at each step)
 *   decoder target  y_1 … y_m </s> <pad> …       (what each step must predict; mask 1 on real tokens)
 */
import { BOS_TOKEN, EOS_TOKEN, PAD_TOKEN } from "../tokenizers/specialTokens";
import { padBatch } from "../tokenizers/batch";
import type { TextTokenizer } from "../tokenizers/types";
import type { Examples } from "../training/trainable";

/** The special ids a side needs. */
export interface SideSpecialIds {
  pad: number;
  bos: number;
  eos: number;
}

/** Pairs of token-id sequences with their texts, addressed by index like every training set of the course. */
export interface SequencePairDataset extends Examples {
  readonly size: number;
  /** Source ids, each ending with `</s>`. */
  readonly sources: readonly (readonly number[])[];
  /** Target ids, without `<s>` or `</s>` (the batch adds them). */
  readonly targets: readonly (readonly number[])[];
  readonly sourceTexts: readonly string[];
  readonly targetTexts: readonly string[];
  readonly sourceTokenizer: TextTokenizer;
  readonly targetTokenizer: TextTokenizer;
  readonly sourceIds: SideSpecialIds;
  readonly targetIds: SideSpecialIds;
}

/** A padded minibatch: row-major [batch, length] arrays. */
export interface SequencePairBatch {
  batchSize: number;
  /** Longest source, `</s>` included. */
  sourceLength: number;
  /** Longest target + 1 (for `<s>` on the input side, `</s>` on the target side). */
  targetLength: number;
  sourceIds: Int32Array;
  /** 1 on real source tokens, 0 on padding. */
  sourceMask: Float32Array;
  decoderInputs: Int32Array;
  decoderTargets: Int32Array;
  /** 1 where `decoderTargets` holds a real token (`</s>` included), 0 on padding. */
  targetMask: Float32Array;
}

function specialIds(tokenizer: TextTokenizer, side: string): SideSpecialIds {
  const id = (token: string): number => {
    const value = tokenizer.specialTokenId(token);
    if (value === undefined) throw new Error(`buildSequencePairs: the ${side} tokenizer has no ${token} token (seq2seq batches need <pad>, <s> and </s>)`);
    return value;
  };
  return { pad: id(PAD_TOKEN), bos: id(BOS_TOKEN), eos: id(EOS_TOKEN) };
}

/** Tokenizes parallel texts into a {@link SequencePairDataset}; sources get `</s>` appended. */
export function buildSequencePairs(
  sourceTexts: readonly string[],
  targetTexts: readonly string[],
  sourceTokenizer: TextTokenizer,
  targetTokenizer: TextTokenizer,
): SequencePairDataset {
  if (!Array.isArray(sourceTexts) || !Array.isArray(targetTexts)) throw new TypeError("buildSequencePairs: sourceTexts and targetTexts must be arrays of strings");
  if (sourceTexts.length !== targetTexts.length) {
    throw new RangeError(`buildSequencePairs: ${sourceTexts.length} source texts but ${targetTexts.length} target texts; they must pair up`);
  }
  if (sourceTexts.length === 0) throw new RangeError("buildSequencePairs: no pairs given");
  const sourceIds = specialIds(sourceTokenizer, "source");
  const targetIds = specialIds(targetTokenizer, "target");
  const sources = sourceTexts.map((text) => [...sourceTokenizer.encode(text), sourceIds.eos]);
  const targets = targetTexts.map((text) => targetTokenizer.encode(text));
  return {
    size: sources.length,
    sources,
    targets,
    sourceTexts: [...sourceTexts],
    targetTexts: [...targetTexts],
    sourceTokenizer,
    targetTokenizer,
    sourceIds,
    targetIds,
  };
}

function flatten(rows: number[][], width: number, out: Int32Array | Float32Array): void {
  rows.forEach((row, i) => out.set(row, i * width));
}

/** The examples `indices` of `data` as a padded batch with masks (padding on the right). */
export function sequencePairBatch(data: SequencePairDataset, indices: ArrayLike<number>): SequencePairBatch {
  if (data === null || typeof data !== "object" || !Array.isArray(data.sources) || !Array.isArray(data.targets)) {
    throw new TypeError("sequencePairBatch: data must be a SequencePairDataset (see buildSequencePairs)");
  }
  if (indices.length === 0) throw new RangeError("sequencePairBatch: no indices given");
  const sources: (readonly number[])[] = [];
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= data.size) throw new RangeError(`sequencePairBatch: index ${i} is outside the dataset's 0…${data.size - 1}`);
    const target = data.targets[i]!;
    sources.push(data.sources[i]!);
    inputs.push([data.targetIds.bos, ...target]);
    targets.push([...target, data.targetIds.eos]);
  }
  const source = padBatch(sources, { padId: data.sourceIds.pad });
  const input = padBatch(inputs, { padId: data.targetIds.pad });
  const target = padBatch(targets, { padId: data.targetIds.pad });
  const batchSize = indices.length;
  const sourceLength = source.inputIds[0]!.length;
  const targetLength = target.inputIds[0]!.length;
  const batch: SequencePairBatch = {
    batchSize,
    sourceLength,
    targetLength,
    sourceIds: new Int32Array(batchSize * sourceLength),
    sourceMask: new Float32Array(batchSize * sourceLength),
    decoderInputs: new Int32Array(batchSize * targetLength),
    decoderTargets: new Int32Array(batchSize * targetLength),
    targetMask: new Float32Array(batchSize * targetLength),
  };
  flatten(source.inputIds, sourceLength, batch.sourceIds);
  flatten(source.attentionMask, sourceLength, batch.sourceMask);
  flatten(input.inputIds, targetLength, batch.decoderInputs);
  flatten(target.inputIds, targetLength, batch.decoderTargets);
  flatten(target.attentionMask, targetLength, batch.targetMask);
  return batch;
}
