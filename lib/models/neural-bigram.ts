/**
 * The bigram as a neural network (makemore part 1, second half): one linear layer W of V×V weights,
 * logits = onehot(x) · W, softmax into probabilities, mean negative log-likelihood of the targets, and
 * gradient descent on W with autograd (tfjs). Row x of exp(W) plays the role of the count row of x, so
 * full-batch training converges to the count model's probabilities and NLL; an L2 penalty λ·mean(W²)
 * pulls W toward 0, i.e. toward uniform rows, as add-k smoothing does for counts.
 *
 * Call `await initBackend()` (lib/backend) first so tfjs runs on the fastest backend.
 */
import * as tf from "@tensorflow/tfjs";
import type { CharVocabulary } from "../data/names";
import { Random } from "../random";
import { generateIds } from "../sampling/generate";
import { softmax } from "../sampling/temperature";
import type { ContextDataset, Trainable } from "../training/trainable";

/** Options of {@link NeuralBigram}. */
export interface NeuralBigramOptions {
  /** Number of symbols V (28 for the course's names). */
  vocabSize: number;
  /** Seed of the initial weights W ~ N(0, 1), as makemore's `torch.randn((27, 27), generator=g)` (default 42). */
  seed?: number;
  /** Standard deviation of the initial weights (default 1, makemore's randn); 0 starts from uniform rows, loss ln V. */
  initScale?: number;
  /** λ of the L2 penalty λ·mean(W²) added to the training loss (default 0; makemore uses 0.01). */
  regularization?: number;
}

/** Rows evaluated at once by `evaluate`, so a large dataset never needs one huge tensor. */
const EVAL_CHUNK = 65536;

/** A V×V weight matrix trained by gradient descent to predict the next character from the previous one. */
export class NeuralBigram implements Trainable<ContextDataset> {
  /** The weights: row x holds the logits of the character after x. */
  readonly W: tf.Variable<tf.Rank.R2>;
  readonly vocabSize: number;
  readonly regularization: number;
  private disposed = false;

  constructor(options: NeuralBigramOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("NeuralBigram: options must be an object such as { vocabSize: 28 }");
    const { vocabSize, seed = 42, regularization = 0, initScale = 1 } = options;
    if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new RangeError(`NeuralBigram: vocabSize must be an integer ≥ 2, got ${vocabSize}`);
    if (typeof regularization !== "number" || !(regularization >= 0) || !Number.isFinite(regularization)) {
      throw new RangeError(`NeuralBigram: regularization must be a finite number ≥ 0, got ${regularization}`);
    }
    if (typeof initScale !== "number" || !(initScale >= 0) || !Number.isFinite(initScale)) {
      throw new RangeError(`NeuralBigram: initScale must be a finite number ≥ 0, got ${initScale}`);
    }
    const rng = new Random(seed);
    const init = new Float32Array(vocabSize * vocabSize);
    for (let i = 0; i < init.length; i++) init[i] = initScale * rng.normal();
    this.vocabSize = vocabSize;
    this.regularization = regularization;
    // tf.variable shares the initial tensor's data but not its handle: free the handle, or it leaks.
    const initial = tf.tensor2d(init, [vocabSize, vocabSize]);
    this.W = tf.variable(initial, true);
    initial.dispose();
  }

  /**
   * Logits [batch, V] for previous-character ids `x`: onehot(x) · W. Multiplying by a one-hot row just
   * picks row x of W (W[x] would be faster), but written as a matmul it is visibly a linear layer.
   */
  logits(x: tf.Tensor1D): tf.Tensor2D {
    this.checkAlive("logits");
    return tf.tidy(() => tf.matMul(tf.oneHot(x, this.vocabSize).toFloat(), this.W));
  }

  /**
   * Mean NLL of targets `y` given `x`: −mean(log softmax(logits)[i, y_i]). logSoftmax computes
   * logits − logsumexp(logits) in one stable step, where exp(logits) / Σ exp would overflow for large logits.
   */
  nll(x: tf.Tensor1D, y: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const logProbs = tf.logSoftmax(this.logits(x));
      const picked = tf.sum(tf.mul(tf.oneHot(y, this.vocabSize).toFloat(), logProbs), 1);
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    });
  }

  /**
   * One gradient-descent step W ← W − lr · ∂loss/∂W on the examples `indices`, the loss being the mean
   * NLL plus λ·mean(W²). Returns the minibatch NLL before the update, without the penalty, so the
   * training curve and `evaluate` measure the same quantity.
   */
  trainStep(data: ContextDataset, indices: Int32Array, lr: number): number {
    this.checkAlive("trainStep");
    checkDataset(data, this.vocabSize, "NeuralBigram.trainStep");
    if (!(indices instanceof Int32Array) || indices.length === 0) throw new RangeError("NeuralBigram.trainStep: indices must be a non-empty Int32Array");
    if (typeof lr !== "number" || !Number.isFinite(lr)) throw new RangeError(`NeuralBigram.trainStep: lr must be a finite number, got ${lr}`);
    const xs = new Int32Array(indices.length);
    const ys = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i]!;
      if (j < 0 || j >= data.size) throw new RangeError(`NeuralBigram.trainStep: index ${j} is outside the dataset's 0…${data.size - 1}`);
      xs[i] = data.contexts[j]!;
      ys[i] = data.targets[j]!;
    }
    let nllValue = NaN;
    tf.tidy(() => {
      const x = tf.tensor1d(xs, "int32");
      const y = tf.tensor1d(ys, "int32");
      let kept: tf.Scalar | null = null;
      const { grads } = tf.variableGrads(() => {
        // Kept so its value can be read after the gradient's forward scope has disposed its intermediates.
        kept = tf.keep(this.nll(x, y));
        if (this.regularization === 0) return kept;
        return tf.add(kept, tf.mul(this.regularization, tf.mean(tf.square(this.W)))) as tf.Scalar;
      }, [this.W]);
      this.W.assign(tf.sub(this.W, tf.mul(grads[this.W.name]!, lr)));
      const nll = kept as tf.Scalar | null;
      if (nll !== null) {
        nllValue = nll.dataSync()[0]!;
        nll.dispose();
      }
    });
    return nllValue;
  }

  /** Mean NLL over every example of `data` (no penalty, no update). */
  evaluate(data: ContextDataset): number {
    this.checkAlive("evaluate");
    checkDataset(data, this.vocabSize, "NeuralBigram.evaluate");
    if (data.size === 0) throw new RangeError("NeuralBigram.evaluate: the dataset is empty");
    let total = 0;
    for (let start = 0; start < data.size; start += EVAL_CHUNK) {
      const end = Math.min(data.size, start + EVAL_CHUNK);
      const mean = tf.tidy(() => {
        const x = tf.tensor1d(data.contexts.subarray(start, end), "int32");
        const y = tf.tensor1d(data.targets.subarray(start, end), "int32");
        return this.nll(x, y).dataSync()[0]!;
      });
      total += mean * (end - start);
    }
    return total / data.size;
  }

  /** softmax of every row of W: P(b | a) as a V×V table, comparable with the count model's. */
  probabilityMatrix(): number[][] {
    this.checkAlive("probabilityMatrix");
    const w = this.W.arraySync();
    return w.map((row) => Array.from(softmax(row)));
  }

  /** One name drawn from softmax(W[previous] / T), makemore's sampling loop with a seeded generator. */
  sample(vocab: CharVocabulary, rng: Random, options: { temperature?: number; maxLength?: number } = {}): string {
    this.checkAlive("sample");
    if (vocab === null || typeof vocab !== "object" || vocab.size !== this.vocabSize) {
      throw new RangeError(`NeuralBigram.sample: the vocabulary has ${vocab?.size} symbols but the model ${this.vocabSize}`);
    }
    const w = this.W.arraySync();
    const ids = generateIds((context) => softmax(w[context[0]!]!), { contextSize: 1, rng, temperature: options.temperature, maxLength: options.maxLength });
    return vocab.decode(ids);
  }

  /** Frees W; the model cannot be used afterwards. */
  dispose(): void {
    if (!this.disposed) {
      this.W.dispose();
      this.disposed = true;
    }
  }

  private checkAlive(where: string): void {
    if (this.disposed) throw new Error(`NeuralBigram.${where}: the model was disposed`);
  }
}

function checkDataset(data: ContextDataset, vocabSize: number, where: string): void {
  if (data === null || typeof data !== "object" || !(data.contexts instanceof Int32Array) || !(data.targets instanceof Int32Array)) {
    throw new TypeError(`${where}: expected a ContextDataset { size, width, contexts, targets } (buildContextDataset(names, 1, vocab))`);
  }
  if (data.width !== 1) throw new RangeError(`${where}: a bigram looks at 1 previous character, but the dataset's context width is ${data.width} (build it with contextSize 1)`);
  // Ids are checked once per dataset object: trainStep runs thousands of times on the same data.
  if (checked.get(data) === vocabSize) return;
  for (let i = 0; i < data.size; i++) {
    const a = data.contexts[i]!;
    const b = data.targets[i]!;
    if (a < 0 || a >= vocabSize || b < 0 || b >= vocabSize) throw new RangeError(`${where}: example ${i} (${a} → ${b}) has an id outside 0…${vocabSize - 1}`);
  }
  checked.set(data, vocabSize);
}

const checked = new WeakMap<ContextDataset, number>();
