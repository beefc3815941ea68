/**
 * Cross-entropy over padded target sequences: each real target token contributes −log p(token), padding
 * contributes nothing, and the mean is over real tokens only, so a batch's loss does not depend on how
 * much padding it happens to hold. Perplexity = exp(mean NLL per target token).
 */
import * as tf from "@tensorflow/tfjs";

/** −log p(target) × mask for each row: logits [N, V], targets int32 [N], mask [N] (1 real, 0 padding). */
export function maskedTokenNll(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Tensor1D {
  const [rows, vocab] = logits.shape;
  if (targets.shape[0] !== rows || mask.shape[0] !== rows) {
    throw new RangeError(`maskedTokenNll: ${rows} rows of logits but ${targets.shape[0]} targets and ${mask.shape[0]} mask values`);
  }
  if (targets.dtype !== "int32") throw new TypeError(`maskedTokenNll: targets must be int32, got ${targets.dtype}`);
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(tf.oneHot(targets, vocab).toFloat(), logProbs), 1);
    // mul by the mask (not a gather of real rows) keeps the shapes static and the gradient of padding at 0.
    return tf.mul(tf.neg(picked), mask) as tf.Tensor1D;
  });
}

/** Mean NLL per real target token: Σ mask · nll / Σ mask. */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(maskedTokenNll(logits, targets, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar);
}

/** exp(mean NLL per token): the number of equally likely tokens the model hesitates between, on average. */
export function perplexityFromNll(meanNll: number): number {
  if (typeof meanNll !== "number" || Number.isNaN(meanNll)) throw new TypeError(`perplexityFromNll: expected a number, got ${String(meanNll)}`);
  return Math.exp(meanNll);
}
