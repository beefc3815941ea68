/**
 * word2vec (Mikolov et al. 2013): skip-gram or CBOW with negative sampling, trained by SGD one pair at a
 * time, exactly the recipe of the original C code and gensim — noise distribution U(w)^(3/4) from a
 * unigram table, subsampling of frequent words, a window shrunk at random for each word (so near
 * neighbours count more), and a learning rate decaying linearly to `minAlpha`.
 *
 * The loop below, in plain TypeScript over two Float32Arrays, is the readable reference (backend "ts").
 * Where WebAssembly SIMD is available (Node ≥ 16.4, current browsers) training runs the same loop compiled
 * from lib/kernels/word2vec.as.ts (backend "wasm", the default), with the same random draws, several times
 * faster; the two differ only by float rounding (test/embeddings/word2vec-kernel.test.ts).
 */
import { isNotebook } from "../notebook/display";
import { progress as startProgress, type ProgressOptions } from "../notebook/progress";
import { Random } from "../random";
import { negativeSamplingUpdate } from "./negativeSampling";
import { keepProbabilities } from "./subsampling";
import { UnigramTable } from "./unigramTable";
import { buildVocabulary, checkSentences, type WordCounts } from "./vocabulary";
import { WordVectors } from "./wordVectors";
import { offLimitsDuringChecks } from "../grading/off-limits";
import { longestSentence, Word2VecKernel, word2vecKernelAvailable, word2vecKernelUnavailableReason, type SentencesResult, type Word2VecKernelSetup } from "../kernels/word2vec";

/** Skip-gram predicts each context word from the center word; CBOW predicts the center word from its context's mean. */
export type Word2VecArchitecture = "skipgram" | "cbow";

/** Where the training loop runs: the WebAssembly SIMD kernel, or the TypeScript reference loop. */
export type Word2VecBackend = "wasm" | "ts";

/** Hyper-parameters of {@link trainWord2Vec}; defaults are gensim's (`Word2Vec(..., sg=1)` for skip-gram). */
export interface Word2VecOptions {
  /** Default "skipgram". */
  architecture?: Word2VecArchitecture;
  /** Dimension of the vectors. Default 100. */
  vectorSize?: number;
  /** Largest distance between center and context word (each word draws its own window in 1…window). Default 5. */
  window?: number;
  /** Negative samples per positive pair. Default 5. */
  negative?: number;
  /** Exponent of the noise distribution. Default 0.75. */
  nsExponent?: number;
  /** Words seen fewer times are dropped before training. Default 5. */
  minCount?: number;
  /** Passes over the corpus. Default 5. */
  epochs?: number;
  /** Initial learning rate. Default 0.025. */
  alpha?: number;
  /** Learning rate reached at the end (linear decay). Default 0.0001. */
  minAlpha?: number;
  /** Subsampling threshold (see keepProbability); 0 turns subsampling off. Default 1e-3. */
  sample?: number;
  /** Seed of the run's random generator (initialisation, subsampling, windows, negatives). Default 1. */
  seed?: number;
  /** Cells in the negative-sampling table (default 100 per word, at least 1e6). */
  tableSize?: number;
  /** Progress bar: false for none, or options for lib/notebook's `progress` (default: a bar labelled "word2vec"). */
  progress?: boolean | ProgressOptions;
  /** "wasm" (the default where WebAssembly SIMD is available) or "ts" (the reference loop, slower). */
  backend?: Word2VecBackend;
}

/** A trained model. */
export interface Word2VecModel {
  /** The input vectors ("syn0"), the ones used as word embeddings. */
  vectors: WordVectors;
  /** The output vectors ("syn1neg"), one row per word, same order. */
  outputVectors: Float32Array;
  /** The vocabulary and counts the model was trained with. */
  vocabulary: WordCounts;
  /** The options used, defaults filled in. */
  options: Required<Omit<Word2VecOptions, "progress" | "tableSize" | "backend">> & { tableSize: number };
  /** Where the training ran. */
  backend: Word2VecBackend;
  /** Mean loss per prediction (positive + negatives of one pair, in nats) for each epoch. */
  lossPerEpoch: number[];
  /** Training time in seconds (vocabulary and table included). */
  seconds: number;
  /** Words trained on after subsampling, all epochs together. */
  trainedWords: number;
}

function positiveInteger(value: number, name: string, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`trainWord2Vec: ${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

function resolveOptions(options: Word2VecOptions): Word2VecModel["options"] {
  const architecture = options.architecture ?? "skipgram";
  if (architecture !== "skipgram" && architecture !== "cbow") throw new RangeError(`trainWord2Vec: architecture must be "skipgram" or "cbow", got ${String(architecture)}`);
  const alpha = options.alpha ?? 0.025;
  const minAlpha = options.minAlpha ?? 0.0001;
  if (!(alpha > 0) || !(minAlpha >= 0) || minAlpha > alpha) {
    throw new RangeError(`trainWord2Vec: need 0 ≤ minAlpha ≤ alpha and alpha > 0, got alpha=${alpha}, minAlpha=${minAlpha}`);
  }
  const sample = options.sample ?? 1e-3;
  if (!(sample >= 0 && sample < 1)) throw new RangeError(`trainWord2Vec: sample must be in [0, 1), got ${sample}`);
  const nsExponent = options.nsExponent ?? 0.75;
  if (!Number.isFinite(nsExponent) || nsExponent < 0) throw new RangeError(`trainWord2Vec: nsExponent must be ≥ 0, got ${nsExponent}`);
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) throw new RangeError(`trainWord2Vec: seed must be a finite number, got ${seed}`);
  return {
    architecture,
    vectorSize: positiveInteger(options.vectorSize ?? 100, "vectorSize"),
    window: positiveInteger(options.window ?? 5, "window"),
    negative: positiveInteger(options.negative ?? 5, "negative", 0),
    nsExponent,
    minCount: positiveInteger(options.minCount ?? 5, "minCount"),
    epochs: positiveInteger(options.epochs ?? 5, "epochs"),
    alpha,
    minAlpha,
    sample,
    seed,
    tableSize: options.tableSize ?? 0,
  };
}

function resolveBackend(backend: Word2VecBackend | undefined): Word2VecBackend {
  if (backend !== undefined && backend !== "wasm" && backend !== "ts") throw new RangeError(`trainWord2Vec: backend must be "wasm" or "ts", got ${JSON.stringify(backend)}`);
  if (backend === "wasm" && !word2vecKernelAvailable()) {
    throw new Error(`trainWord2Vec: the WebAssembly kernel cannot run here (${word2vecKernelUnavailableReason()}); use backend "ts"`);
  }
  return backend ?? (word2vecKernelAvailable() ? "wasm" : "ts");
}

/** Hands control back to the event loop so a notebook can redraw the progress bar. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Trains word2vec on tokenized sentences (windows never cross sentences):
 * `const model = await trainWord2Vec(sentences, { architecture: "skipgram", vectorSize: 100 });`
 * then `nearestNeighbours(model.vectors, "whale")`. Same seed, same corpus → same vectors.
 */
export const trainWord2Vec = offLimitsDuringChecks("trainWord2Vec", async function trainWord2Vec(sentences: readonly (readonly string[])[], options: Word2VecOptions = {}): Promise<Word2VecModel> {
  const started = performance.now();
  checkSentences(sentences, "trainWord2Vec");
  const settings = resolveOptions(options);
  const backend = resolveBackend(options.backend);
  const vocabulary = buildVocabulary(sentences, settings.minCount);
  const { vectorSize: dim, window, negative, epochs, alpha, minAlpha } = settings;
  const vocabSize = vocabulary.words.length;
  const rng = new Random(settings.seed);
  const table = new UnigramTable(vocabulary.counts, { power: settings.nsExponent, ...(options.tableSize !== undefined ? { size: options.tableSize } : {}) });
  settings.tableSize = table.size;
  const cells = table.table;
  const keep = keepProbabilities(vocabulary.counts, settings.sample);

  // The corpus as word ids, out-of-vocabulary words removed (they are not there as far as windows go).
  const ids = new Int32Array(vocabulary.totalWords);
  const ends: number[] = [];
  {
    let at = 0;
    for (const sentence of sentences) {
      const start = at;
      for (const word of sentence) {
        const id = vocabulary.index.get(word);
        if (id !== undefined) ids[at++] = id;
      }
      if (at > start) ends.push(at);
    }
  }
  const sentenceEnds = Int32Array.from(ends);

  const cbow = settings.architecture === "cbow";
  // Both engines continue the same random stream from here, starting with the input vectors' initial values.
  const engine: SentenceTrainer =
    backend === "wasm"
      ? new Word2VecKernel({ vocabSize, dim, window, negative, cbow, table: cells, keep, ids, sentenceEnds, rngState: rng.state })
      : new TypeScriptTrainer({ vocabSize, dim, window, negative, cbow, table: cells, keep, ids, sentenceEnds, rng });

  // Like the C code, the learning rate decays over the in-vocabulary words (words under minCount were dropped
  // from `ids`), so it reaches minAlpha at the end of the last epoch and the bar reaches 100 %.
  const totalWork = epochs * ids.length;
  const showBar = options.progress !== false;
  const bar = showBar
    ? startProgress({ total: totalWork, label: `word2vec ${settings.architecture}`, unit: "word", ...(typeof options.progress === "object" ? options.progress : {}) })
    : null;
  const lossPerEpoch: number[] = [];
  let done = 0;
  let trainedWords = 0;
  let lastBreath = performance.now();

  for (let epoch = 0; epoch < epochs; epoch++) {
    let epochLoss = 0;
    let epochPredictions = 0;
    // Chunks of whole sentences, so the progress bar moves and a notebook can redraw it between them.
    for (let first = 0; first < sentenceEnds.length; ) {
      const chunkStart = first === 0 ? 0 : sentenceEnds[first - 1]!;
      let last = first + 1;
      while (last < sentenceEnds.length && sentenceEnds[last - 1]! - chunkStart < CHUNK_WORDS) last++;
      const chunk = engine.trainSentences(first, last, done, totalWork, alpha, minAlpha);
      epochLoss += chunk.loss;
      epochPredictions += chunk.predictions;
      trainedWords += chunk.trainedWords;
      done += sentenceEnds[last - 1]! - chunkStart;
      first = last;
      if (performance.now() - lastBreath > 100) {
        const lr = alpha - (alpha - minAlpha) * (done / totalWork);
        bar?.update(done, { loss: epochPredictions > 0 ? epochLoss / epochPredictions : NaN, lr, epoch: epoch + 1 });
        // Only a notebook needs the event loop to redraw; elsewhere the pause would only cost time.
        if (isNotebook()) await breathe();
        lastBreath = performance.now();
      }
    }
    lossPerEpoch.push(epochPredictions > 0 ? epochLoss / epochPredictions : NaN);
  }
  bar?.done({ loss: lossPerEpoch[lossPerEpoch.length - 1]! });
  const trained = engine.matrices();

  return {
    vectors: new WordVectors(vocabulary.words, trained.input, dim),
    outputVectors: trained.output,
    vocabulary,
    options: settings,
    backend,
    lossPerEpoch,
    seconds: (performance.now() - started) / 1000,
    trainedWords,
  };
});

/**
 * Corpus words per call of the training loop, a few milliseconds in WebAssembly: the bar updates between
 * calls, and short calls let V8 switch to its optimised compile of the kernel early in the first epoch.
 */
const CHUNK_WORDS = 2_000;

/** A training loop over ranges of sentences: the WebAssembly kernel (lib/kernels/word2vec.ts) or {@link TypeScriptTrainer}. */
interface SentenceTrainer {
  trainSentences(first: number, last: number, done: number, totalWork: number, alpha: number, minAlpha: number): SentencesResult;
  matrices(): { input: Float32Array; output: Float32Array };
}

/** The reference loop in TypeScript, on the same data as the kernel and drawing from `rng` in the same order. */
class TypeScriptTrainer implements SentenceTrainer {
  private readonly input: Float32Array;
  private readonly output: Float32Array;
  private readonly hidden: Float32Array;
  private readonly hiddenStep: Float32Array;
  private readonly targets: Int32Array;
  private readonly kept: Int32Array;

  constructor(
    private readonly data: Omit<Word2VecKernelSetup, "rngState"> & { rng: Random },
  ) {
    // word2vec's initialisation: uniform in ±0.5/dim for the input vectors, zero for the output vectors.
    this.input = new Float32Array(data.vocabSize * data.dim);
    for (let i = 0; i < this.input.length; i++) this.input[i] = (data.rng.next() - 0.5) / data.dim;
    this.output = new Float32Array(data.vocabSize * data.dim);
    this.hidden = new Float32Array(data.dim);
    this.hiddenStep = new Float32Array(data.dim);
    this.targets = new Int32Array(data.negative + 1);
    this.kept = new Int32Array(longestSentence(data.sentenceEnds));
  }

  trainSentences(first: number, last: number, done: number, totalWork: number, alpha: number, minAlpha: number): SentencesResult {
    const { dim, window, negative, cbow, table, keep, ids, sentenceEnds, rng } = this.data;
    const { input, output, hidden, hiddenStep, targets, kept } = this;
    let loss = 0;
    let predictions = 0;
    let trainedWords = 0;
    let sentenceStart = first === 0 ? 0 : sentenceEnds[first - 1]!;
    for (let s = first; s < last; s++) {
      const sentenceEnd = sentenceEnds[s]!;
      const lr = alpha - (alpha - minAlpha) * (done / totalWork);
      // Subsampling: each occurrence is kept with its word's probability, before windows are drawn.
      let length = 0;
      for (let i = sentenceStart; i < sentenceEnd; i++) {
        const word = ids[i]!;
        if (keep[word]! >= 1 || rng.next() < keep[word]!) kept[length++] = word;
      }
      const sentence = cbow
        ? cbowSentence(kept, length, input, output, dim, window, negative, table, rng, lr, targets, hidden, hiddenStep)
        : skipgramSentence(kept, length, input, output, dim, window, negative, table, rng, lr, targets, hiddenStep);
      loss += sentence.loss;
      predictions += sentence.predictions;
      trainedWords += length;
      done += sentenceEnd - sentenceStart;
      sentenceStart = sentenceEnd;
    }
    return { loss, predictions, trainedWords };
  }

  matrices(): { input: Float32Array; output: Float32Array } {
    return { input: this.input, output: this.output };
  }
}

/** Loss summed over a sentence's predictions, and how many there were. */
interface SentenceLoss {
  loss: number;
  predictions: number;
}

/** Fills `targets` with the word to predict then `negative` draws from the table, skipping the word itself; returns how many. */
function drawTargets(word: number, targets: Int32Array, negative: number, cells: Int32Array, rng: Random): number {
  targets[0] = word;
  let count = 1;
  for (let d = 0; d < negative; d++) {
    const sample = cells[rng.nextUint32() % cells.length]!;
    if (sample !== word) targets[count++] = sample;
  }
  return count;
}

// The two sentence loops are separate small functions taking everything as arguments: V8 optimises
// those far better than one big async function with closures (about 2× here).

function skipgramSentence(
  kept: Int32Array,
  length: number,
  input: Float32Array,
  output: Float32Array,
  dim: number,
  window: number,
  negative: number,
  cells: Int32Array,
  rng: Random,
  lr: number,
  targets: Int32Array,
  hiddenStep: Float32Array,
): SentenceLoss {
  let loss = 0;
  let predictions = 0;
  for (let pos = 0; pos < length; pos++) {
    const word = kept[pos]!;
    // As in the C code: b ∈ 1…window words on each side, uniform, so near words are seen more often.
    const reach = window - (rng.nextUint32() % window);
    const from = pos - reach < 0 ? 0 : pos - reach;
    const to = pos + reach >= length ? length - 1 : pos + reach;
    for (let c = from; c <= to; c++) {
      if (c === pos) continue;
      // As in the C code and gensim: the context word's input vector predicts the center word.
      const row = kept[c]! * dim;
      const count = drawTargets(word, targets, negative, cells, rng);
      hiddenStep.fill(0);
      loss += negativeSamplingUpdate(input, row, output, dim, targets, count, lr, hiddenStep);
      predictions++;
      for (let j = 0; j < dim; j++) input[row + j] += hiddenStep[j]!;
    }
  }
  return { loss, predictions };
}

function cbowSentence(
  kept: Int32Array,
  length: number,
  input: Float32Array,
  output: Float32Array,
  dim: number,
  window: number,
  negative: number,
  cells: Int32Array,
  rng: Random,
  lr: number,
  targets: Int32Array,
  hidden: Float32Array,
  hiddenStep: Float32Array,
): SentenceLoss {
  let loss = 0;
  let predictions = 0;
  for (let pos = 0; pos < length; pos++) {
    const word = kept[pos]!;
    const reach = window - (rng.nextUint32() % window);
    const from = pos - reach < 0 ? 0 : pos - reach;
    const to = pos + reach >= length ? length - 1 : pos + reach;
    if (to === from) continue;
    hidden.fill(0);
    for (let c = from; c <= to; c++) {
      if (c === pos) continue;
      const row = kept[c]! * dim;
      for (let j = 0; j < dim; j++) hidden[j] += input[row + j]!;
    }
    const scale = 1 / (to - from);
    for (let j = 0; j < dim; j++) hidden[j] *= scale;
    const count = drawTargets(word, targets, negative, cells, rng);
    hiddenStep.fill(0);
    loss += negativeSamplingUpdate(hidden, 0, output, dim, targets, count, lr, hiddenStep);
    predictions++;
    // gensim's cbow_mean=1: every context word gets the whole step (not divided by the count).
    for (let c = from; c <= to; c++) {
      if (c === pos) continue;
      const row = kept[c]! * dim;
      for (let j = 0; j < dim; j++) input[row + j] += hiddenStep[j]!;
    }
  }
  return { loss, predictions };
}
