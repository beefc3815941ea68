/**
 * makemore parts 3–4: the MLP language model with a BatchNorm layer between the hidden linear layer and
 * tanh, written with tfjs operations so that tfjs autograd can differentiate it and a hand-written backward
 * pass can be checked against it tensor by tensor (TP4's "backprop ninja" exercise).
 *
 *   embcat  = concat(C[x₁], …, C[x_B])                        n × D   (D = B·E; one-hot × C, see below)
 *   hprebn  = embcat · W1 + b1                                n × H
 *   bnMean  = mean of hprebn over the batch                   H
 *   bnVar   = mean of (hprebn − bnMean)² (biased, 1/n)        H
 *   bnRaw   = (hprebn − bnMean) · bnVarInv, bnVarInv = 1/√(bnVar + ε)
 *   hpreact = bnGain ⊙ bnRaw + bnBias                         n × H
 *   h       = tanh(hpreact)                                   n × H
 *   logits  = h · W2 + b2                                     n × V
 *   loss    = mean over rows of −log softmax(logits)[target]
 *
 * The embedding lookup is a one-hot matrix product: tfjs's wasm backend has no gradient for tf.gather.
 * At inference, `statistics` replaces the batch's mean and variance by fixed ones (the running or
 * calibrated statistics), so a batch of one example gives a sensible output.
 *
 * Call `await initBackend()` (lib/backend) first.
 */
import * as tf from "@tensorflow/tfjs";
import { offLimitsDuringChecks } from "../grading/off-limits";
import { Random } from "../random";

/** The seven parameters, names as in makemore part 4 (bngain → bnGain, bnbias → bnBias). */
export interface BatchNormMlpParams {
  /** V × E embedding table. */
  C: tf.Tensor2D;
  /** D × H hidden weights (D = B·E). */
  W1: tf.Tensor2D;
  /** H hidden bias (useless before BatchNorm, which subtracts the mean: its gradient is 0). */
  b1: tf.Tensor1D;
  /** H BatchNorm gain. */
  bnGain: tf.Tensor1D;
  /** H BatchNorm bias. */
  bnBias: tf.Tensor1D;
  /** H × V output weights. */
  W2: tf.Tensor2D;
  /** V output bias. */
  b2: tf.Tensor1D;
}

/** The same parameters as trainable tf.Variables (what {@link initBatchNormMlp} returns). */
export interface BatchNormMlpVariables extends BatchNormMlpParams {
  C: tf.Variable<tf.Rank.R2>;
  W1: tf.Variable<tf.Rank.R2>;
  b1: tf.Variable<tf.Rank.R1>;
  bnGain: tf.Variable<tf.Rank.R1>;
  bnBias: tf.Variable<tf.Rank.R1>;
  W2: tf.Variable<tf.Rank.R2>;
  b2: tf.Variable<tf.Rank.R1>;
}

/** The parameters' names in a fixed order (for tables, loops and tf.variableGrads). */
export const BATCHNORM_MLP_PARAMETERS = ["C", "W1", "b1", "bnGain", "bnBias", "W2", "b2"] as const;

/** Sizes of the model. */
export interface BatchNormMlpShape {
  /** V: number of symbols. */
  vocabSize: number;
  /** B: previous symbols seen. */
  contextSize: number;
  /** E: embedding size. */
  embeddingSize: number;
  /** H: hidden units. */
  hiddenSize: number;
}

/** Every intermediate of the forward pass (tensors the caller disposes, e.g. with `tf.dispose(forward)`). */
export interface BatchNormMlpForward {
  /** n × B context ids (int32). */
  contexts: tf.Tensor2D;
  /** n target ids (int32). */
  targets: tf.Tensor1D;
  embcat: tf.Tensor2D;
  hprebn: tf.Tensor2D;
  /** The statistics used: the batch's in training, the given ones at inference. */
  bnMean: tf.Tensor1D;
  bnVar: tf.Tensor1D;
  bnVarInv: tf.Tensor1D;
  bnRaw: tf.Tensor2D;
  hpreact: tf.Tensor2D;
  h: tf.Tensor2D;
  logits: tf.Tensor2D;
  /** softmax(logits), n × V. */
  probs: tf.Tensor2D;
  /** Mean cross-entropy. */
  loss: tf.Scalar;
}

/** Options of {@link batchNormMlpForward}. */
export interface BatchNormMlpForwardOptions {
  /** ε added to the variance (default 1e-5, PyTorch's). */
  eps?: number;
  /** Fixed statistics for inference; without them the batch's own mean and (biased) variance are used. */
  statistics?: { mean: tf.Tensor1D; variance: tf.Tensor1D };
}

function checkBatch(params: BatchNormMlpParams, contexts: readonly (readonly number[])[], targets: readonly number[]): void {
  const V = params.C.shape[0];
  const B = params.W1.shape[0] / params.C.shape[1];
  if (params.W2.shape[1] !== V) throw new RangeError(`batchNormMlpForward: W2 has ${params.W2.shape[1]} columns but C has ${V} rows (one logit per symbol)`);
  if (!Array.isArray(contexts) || contexts.length === 0) throw new RangeError("batchNormMlpForward: contexts must be a non-empty list of contexts (one list of ids per example)");
  if (!Array.isArray(targets) || targets.length !== contexts.length) {
    throw new RangeError(`batchNormMlpForward: ${contexts.length} contexts but ${Array.isArray(targets) ? targets.length : "no"} targets`);
  }
  contexts.forEach((context, row) => {
    if (!Array.isArray(context) || context.length !== B) throw new RangeError(`batchNormMlpForward: context ${row} must hold ${B} ids (W1 has ${params.W1.shape[0]} rows for embeddings of ${params.C.shape[1]})`);
    context.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`batchNormMlpForward: context ${row} has id ${id} at position ${j}, outside the vocabulary 0…${V - 1}`);
    });
    const t = targets[row]!;
    if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`batchNormMlpForward: target ${row} is ${t}, outside the vocabulary 0…${V - 1}`);
  });
}

/**
 * The forward pass above on one batch, every intermediate returned. Differentiable: inside
 * `tf.variableGrads(() => batchNormMlpForward(params, X, Y).loss)` tfjs computes every parameter's gradient.
 */
export const batchNormMlpForward = offLimitsDuringChecks("batchNormMlpForward", function batchNormMlpForward(
  params: BatchNormMlpParams,
  contexts: readonly (readonly number[])[],
  targets: readonly number[],
  options: BatchNormMlpForwardOptions = {},
): BatchNormMlpForward {
  checkBatch(params, contexts, targets);
  const eps = options.eps ?? 1e-5;
  const n = contexts.length;
  const V = params.C.shape[0];
  const B = contexts[0]!.length;
  const xb = tf.tensor2d(contexts.map((c) => [...c]), [n, B], "int32");
  const yb = tf.tensor1d([...targets], "int32");
  const embcat = tf.matMul(tf.oneHot(xb.flatten(), V), params.C).reshape([n, -1]) as tf.Tensor2D;
  const hprebn = tf.add(tf.matMul(embcat, params.W1), params.b1) as tf.Tensor2D;
  let bnMean: tf.Tensor1D;
  let bnVar: tf.Tensor1D;
  if (options.statistics) {
    bnMean = options.statistics.mean.clone();
    bnVar = options.statistics.variance.clone();
  } else {
    bnMean = tf.mean(hprebn, 0) as tf.Tensor1D;
    bnVar = tf.mean(tf.square(tf.sub(hprebn, bnMean)), 0) as tf.Tensor1D;
  }
  const bnVarInv = tf.rsqrt(tf.add(bnVar, eps)) as tf.Tensor1D;
  const bnRaw = tf.mul(tf.sub(hprebn, bnMean), bnVarInv) as tf.Tensor2D;
  const hpreact = tf.add(tf.mul(params.bnGain, bnRaw), params.bnBias) as tf.Tensor2D;
  const h = tf.tanh(hpreact) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(h, params.W2), params.b2) as tf.Tensor2D;
  const logProbs = tf.logSoftmax(logits) as tf.Tensor2D;
  const probs = tf.exp(logProbs) as tf.Tensor2D;
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(yb, V), logProbs), 1))) as tf.Scalar;
  return { contexts: xb, targets: yb, embcat, hprebn, bnMean, bnVar, bnVarInv, bnRaw, hpreact, h, logits, probs, loss };
});

/**
 * Parameters as tf.Variables, drawn from the course's generator with makemore part 4's initialisation:
 * C ~ N(0, 1), W1 ~ N(0, 1)·(5/3)/√D (Kaiming for tanh), b1, W2, b2, bnBias ~ N(0, 0.1²), bnGain ~ 1 + N(0, 0.1²).
 * Part 4 makes the biases and the output layer non-zero on purpose, so that a wrong gradient cannot hide
 * behind a zero.
 */
export function initBatchNormMlp(shape: BatchNormMlpShape, seed: number): BatchNormMlpVariables {
  const { vocabSize: V, contextSize: B, embeddingSize: E, hiddenSize: H } = shape;
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`initBatchNormMlp: ${name} must be an integer ≥ 1, got ${String(value)}`);
  }
  const rng = new Random(seed);
  const D = B * E;
  const draw = (size: number, scale: number, offset = 0) => Float32Array.from({ length: size }, () => offset + scale * rng.normal());
  // tf.tidy frees the initial tensors; the variables survive it.
  return tf.tidy(() => ({
    C: tf.variable(tf.tensor2d(draw(V * E, 1), [V, E])),
    W1: tf.variable(tf.tensor2d(draw(D * H, 5 / 3 / Math.sqrt(D)), [D, H])),
    b1: tf.variable(tf.tensor1d(draw(H, 0.1))),
    bnGain: tf.variable(tf.tensor1d(draw(H, 0.1, 1))),
    bnBias: tf.variable(tf.tensor1d(draw(H, 0.1))),
    W2: tf.variable(tf.tensor2d(draw(H * V, 0.1), [H, V])),
    b2: tf.variable(tf.tensor1d(draw(V, 0.1))),
  }));
}
