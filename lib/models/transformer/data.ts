/**
 * Sequence-pair data for translation models: examples are (source ids, target ids) pairs addressed by
 * index, so the course's training loop samples minibatches of them like any other dataset; a batch is
 * padded to its longest sequence and the target is shifted for teacher forcing:
 *
 *   target          un  mille  deux                   (ids of the words, no special tokens)
 *   decoder input   <s> un     mille  deux
 *   decoder output  un  mille  deux   </s>           (what each position must predict)
 */
import type { SequencePairDataset } from "../../data/sequencePairs";

/**
 * What the Transformer reads of lib/data's {@link SequencePairDataset} (TP5–TP7's number-words pairs from
 * `numberTranslationData`): source ids (those end with </s>; any ids work) and target ids without <s>/</s>,
 * which the batches add. {@link sequencePairs} builds one by hand for small experiments and tests.
 */
export type SequencePairs = Pick<SequencePairDataset, "size" | "sources" | "targets">;

/** A {@link SequencePairs} over two parallel arrays, checked to have the same length and integer ids. */
export function sequencePairs(sources: readonly (readonly number[])[], targets: readonly (readonly number[])[]): SequencePairs {
  if (!Array.isArray(sources) || !Array.isArray(targets)) throw new TypeError("sequencePairs: sources and targets must be arrays of id arrays");
  if (sources.length !== targets.length) throw new RangeError(`sequencePairs: ${sources.length} sources but ${targets.length} targets`);
  for (const [name, list] of [["sources", sources], ["targets", targets]] as const) {
    list.forEach((ids, i) => {
      if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0)) throw new TypeError(`sequencePairs: ${name}[${i}] must be an array of integer ids ≥ 0`);
    });
  }
  return { size: sources.length, sources, targets };
}

/** Special ids of the target side (and the padding id of both sides). */
export interface SpecialIds {
  pad: number;
  bos: number;
  eos: number;
}

/** A padded minibatch: flat row-major int32 arrays. */
export interface PairBatch {
  batchSize: number;
  /** Longest source in the batch (columns of `source`). */
  sourceLength: number;
  /** Longest target + 1 (columns of `decoderInput` / `decoderOutput`). */
  targetLength: number;
  /** [batch, sourceLength] source ids, right-padded with `pad`. */
  source: Int32Array;
  /** [batch, targetLength]: <s> then the target, right-padded. */
  decoderInput: Int32Array;
  /** [batch, targetLength]: the target then </s>, right-padded: the labels (pad = ignored). */
  decoderOutput: Int32Array;
  /** Non-padding labels (the number of predictions the loss averages over). */
  labelCount: number;
}

/** Pads and shifts the examples `indices` of `data` into one {@link PairBatch}. */
export function makePairBatch(data: SequencePairs, indices: ArrayLike<number>, special: SpecialIds, maxSourceLength = Infinity, maxTargetLength = Infinity): PairBatch {
  const b = indices.length;
  if (b === 0) throw new RangeError("makePairBatch: no examples");
  let sourceLength = 1;
  let targetLength = 1;
  for (let i = 0; i < b; i++) {
    const k = indices[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= data.size) throw new RangeError(`makePairBatch: index ${k} is outside the dataset (size ${data.size})`);
    const src = data.sources[k]!;
    const tgt = data.targets[k]!;
    if (src.length === 0) throw new RangeError(`makePairBatch: source ${k} is empty`);
    if (src.length > maxSourceLength) throw new RangeError(`makePairBatch: source ${k} has ${src.length} tokens, more than the model's ${maxSourceLength} positions`);
    if (tgt.length + 1 > maxTargetLength) throw new RangeError(`makePairBatch: target ${k} has ${tgt.length} tokens; with <s> that exceeds the model's ${maxTargetLength} positions`);
    sourceLength = Math.max(sourceLength, src.length);
    targetLength = Math.max(targetLength, tgt.length + 1);
  }
  const source = new Int32Array(b * sourceLength).fill(special.pad);
  const decoderInput = new Int32Array(b * targetLength).fill(special.pad);
  const decoderOutput = new Int32Array(b * targetLength).fill(special.pad);
  let labelCount = 0;
  for (let i = 0; i < b; i++) {
    const k = indices[i]!;
    const src = data.sources[k]!;
    const tgt = data.targets[k]!;
    source.set(src, i * sourceLength);
    decoderInput[i * targetLength] = special.bos;
    decoderInput.set(tgt, i * targetLength + 1);
    decoderOutput.set(tgt, i * targetLength);
    decoderOutput[i * targetLength + tgt.length] = special.eos;
    labelCount += tgt.length + 1;
  }
  return { batchSize: b, sourceLength, targetLength, source, decoderInput, decoderOutput, labelCount };
}
