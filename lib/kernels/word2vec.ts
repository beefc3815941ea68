/**
 * Host side of the word2vec WebAssembly kernel (word2vec.wasm, compiled from word2vec.as.ts): one instance
 * per training, whose memory holds the input and output matrices, the corpus as word ids, the unigram
 * table and the keep probabilities for the whole training — copied in once, the matrices copied out once
 * at the end — so training a range of sentences costs one call. lib/embeddings/word2vec.ts drives it.
 */
import * as path from "node:path";
import { KernelModule, type KernelExports } from "./instance";

/** The compiled kernel, next to its source. */
export const WORD2VEC_WASM_PATH = path.join(__dirname, "word2vec.wasm");

interface Word2VecExports extends KernelExports {
  initInput(desc: number, vocabSize: number, vectorSize: number): void;
  trainSentences(desc: number, first: number, last: number, done: number, totalWork: number, alpha: number, minAlpha: number): void;
}

const kernel = new KernelModule<Word2VecExports>(WORD2VEC_WASM_PATH);

/** Whether the kernel can run here (WebAssembly with SIMD). */
export function word2vecKernelAvailable(): boolean {
  return kernel.available;
}

/** Why the kernel cannot run, or "" when it can. */
export function word2vecKernelUnavailableReason(): string {
  return kernel.unavailableReason;
}

// Descriptor slots, in the order of the constants at the top of word2vec.as.ts; results from byte 64.
const SLOT = {
  dim: 0, window: 1, negative: 2, cbow: 3, tableSize: 4, input: 5, output: 6, table: 7, keep: 8, ids: 9,
  ends: 10, kept: 11, hidden: 12, step: 13, targets: 14, rng: 15,
} as const;
const DESC_BYTES = 96;
const RESULTS = 64;
const PAGE = 65536;
const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Everything a training needs, as lib/embeddings/word2vec.ts prepares it. */
export interface Word2VecKernelSetup {
  vocabSize: number;
  /** The vector size. */
  dim: number;
  window: number;
  negative: number;
  cbow: boolean;
  /** Unigram table cells (word ids). */
  table: Int32Array;
  /** Keep probability of each word (subsampling). */
  keep: Float64Array;
  /** The corpus as word ids, out-of-vocabulary words removed. */
  ids: Int32Array;
  /** End (exclusive) of each non-empty sentence in `ids`. */
  sentenceEnds: Int32Array;
  /**
   * The xoshiro128** state to continue from (lib/random's `Random.state`): the kernel first draws the input
   * vectors' initial values with it, as the TypeScript loop does (the output vectors start at zero).
   */
  rngState: Uint32Array;
}

/** The length of the longest sentence, from the sentences' ends (the size of the subsampled-sentence buffer). */
export function longestSentence(sentenceEnds: Int32Array): number {
  let longest = 0;
  for (let i = 0; i < sentenceEnds.length; i++) longest = Math.max(longest, sentenceEnds[i]! - (i === 0 ? 0 : sentenceEnds[i - 1]!));
  return longest;
}

/** What training a range of sentences gave. */
export interface SentencesResult {
  /** Loss summed over the predictions, in nats. */
  loss: number;
  predictions: number;
  /** Words kept by subsampling. */
  trainedWords: number;
}

/** One training's kernel instance. */
export class Word2VecKernel {
  private readonly exports: Word2VecExports;
  private readonly desc: number;
  private readonly vocabSize: number;
  private readonly dim: number;
  private readonly stride: number;
  private readonly inputAt: number;
  private readonly outputAt: number;

  /** Lays `setup` out in a new instance's memory; throws when the kernel cannot run here (see {@link word2vecKernelAvailable}). */
  constructor(setup: Word2VecKernelSetup) {
    this.exports = kernel.instantiate("Word2VecKernel");
    const { vocabSize, dim } = setup;
    this.vocabSize = vocabSize;
    this.dim = dim;
    this.stride = Math.ceil(dim / 4) * 4;
    const longest = longestSentence(setup.sentenceEnds);
    this.desc = align(this.exports.heapBase());
    let offset = this.desc + DESC_BYTES;
    const place = (bytes: number) => {
      const at = offset;
      offset += align(bytes);
      return at;
    };
    const slots: Record<keyof typeof SLOT, number> = {
      dim: this.stride,
      window: setup.window,
      negative: setup.negative,
      cbow: setup.cbow ? 1 : 0,
      tableSize: setup.table.length,
      input: place(vocabSize * this.stride * 4),
      output: place(vocabSize * this.stride * 4),
      table: place(setup.table.length * 4),
      keep: place(setup.keep.length * 8),
      ids: place(setup.ids.length * 4),
      ends: place(setup.sentenceEnds.length * 4),
      kept: place(longest * 4),
      hidden: place(this.stride * 4),
      step: place(this.stride * 4),
      targets: place((setup.negative + 1) * 4),
      rng: place(16),
    };
    const memory = this.exports.memory;
    if (offset > memory.buffer.byteLength) {
      try {
        memory.grow(Math.ceil((offset - memory.buffer.byteLength) / PAGE));
      } catch (error) {
        throw new RangeError(
          `Word2VecKernel: this training needs ${(offset / 2 ** 20).toFixed(0)} MiB of WebAssembly memory (matrices, corpus, unigram table), ` +
            `more than the runtime gives (${(error as Error).message}); use a smaller tableSize or backend "ts"`,
        );
      }
    }
    const buffer = memory.buffer;
    const i32 = new Int32Array(buffer);
    for (const [name, value] of Object.entries(slots)) i32[this.desc / 4 + SLOT[name as keyof typeof SLOT]] = value;
    // A fresh instance's memory is zero: the output matrix and the rows' padding need no writing.
    this.inputAt = slots.input;
    this.outputAt = slots.output;
    i32.set(setup.table, slots.table / 4);
    new Float64Array(buffer, slots.keep, setup.keep.length).set(setup.keep);
    i32.set(setup.ids, slots.ids / 4);
    i32.set(setup.sentenceEnds, slots.ends / 4);
    new Uint32Array(buffer, slots.rng, 4).set(setup.rngState);
    this.exports.initInput(this.desc, vocabSize, dim);
  }

  /**
   * Trains sentences first … last − 1 (indices into `sentenceEnds`); `done` corpus words were trained
   * before them out of `totalWork`, which sets each sentence's learning rate on the linear decay.
   */
  trainSentences(first: number, last: number, done: number, totalWork: number, alpha: number, minAlpha: number): SentencesResult {
    this.exports.trainSentences(this.desc, first, last, done, totalWork, alpha, minAlpha);
    const results = new Float64Array(this.exports.memory.buffer, this.desc + RESULTS, 3);
    return { loss: results[0]!, predictions: results[1]!, trainedWords: results[2]! };
  }

  /** Copies of the input ("syn0") and output ("syn1neg") matrices, vocabSize × dim each. */
  matrices(): { input: Float32Array; output: Float32Array } {
    const unpad = (at: number) => {
      const padded = new Float32Array(this.exports.memory.buffer, at, this.vocabSize * this.stride);
      if (this.stride === this.dim) return padded.slice();
      const rows = new Float32Array(this.vocabSize * this.dim);
      for (let w = 0; w < this.vocabSize; w++) rows.set(padded.subarray(w * this.stride, w * this.stride + this.dim), w * this.dim);
      return rows;
    };
    return { input: unpad(this.inputAt), output: unpad(this.outputAt) };
  }
}
