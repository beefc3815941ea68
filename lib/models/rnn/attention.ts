/**
 * Additive attention (Bahdanau, Cho & Bengio 2015). At each decoder step the previous decoder state s
 * (the query) scores every encoder state h_j (the keys):
 *
 *   e_j = vᵀ tanh(W_q s + W_k h_j)         α = softmax(e) over the source positions     c = Σ_j α_j h_j
 *
 * so the decoder reads a different mix c of the source at each step instead of one fixed summary.
 * Padding positions get e_j = −10⁹ before the softmax: their weights are exactly 0 (exp underflows).
 * W_k h_j does not depend on the step, so `projectKeys` computes it once per source batch.
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../random";
import { checkSize, uniformVariable } from "./init";
import { matMul2d } from "./matmul";

/** Sizes of the attention layer. */
export type AdditiveAttentionOptions = {
  /** Size of the query s (the decoder state). */
  querySize: number;
  /** Size of each key h_j (an encoder state). */
  keySize: number;
  /** Size of the hidden layer inside the score (W_q s and W_k h live there). */
  attentionSize: number;
  seed?: number;
  rng?: Random;
};

/** What one attention read returns. */
export type AttentionRead = {
  /** c: [batch, keySize]. */
  context: tf.Tensor2D;
  /** α: [batch, sourceLength], each row sums to 1, 0 on padding. */
  weights: tf.Tensor2D;
};

/** The score added to padded positions: far below any real score, finite so gradients stay finite. */
const MASKED_SCORE = -1e9;

/** The score bias of a mask [batch, source]: 0 on real tokens, −10⁹ on padding. */
export function maskBias(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sub(1, mask), MASKED_SCORE) as tf.Tensor2D);
}

/** e_j = vᵀ tanh(W_q s + W_k h_j), masked softmax, context vector. */
export class AdditiveAttention {
  readonly querySize: number;
  readonly keySize: number;
  readonly attentionSize: number;
  /** W_qᵀ: [querySize, attentionSize]. */
  readonly Wq: tf.Variable;
  /** W_kᵀ: [keySize, attentionSize]. */
  readonly Wk: tf.Variable;
  /** v: [attentionSize, 1]. */
  readonly v: tf.Variable;

  constructor(options: AdditiveAttentionOptions) {
    this.querySize = checkSize(options?.querySize, "querySize", "AdditiveAttention");
    this.keySize = checkSize(options.keySize, "keySize", "AdditiveAttention");
    this.attentionSize = checkSize(options.attentionSize, "attentionSize", "AdditiveAttention");
    const rng = options.rng ?? new Random(options.seed ?? 42);
    this.Wq = uniformVariable(rng, [this.querySize, this.attentionSize], 1 / Math.sqrt(this.querySize));
    this.Wk = uniformVariable(rng, [this.keySize, this.attentionSize], 1 / Math.sqrt(this.keySize));
    this.v = uniformVariable(rng, [this.attentionSize, 1], 1 / Math.sqrt(this.attentionSize));
  }

  /** W_k h_j for every source position: [batch, source, attentionSize] from [batch, source, keySize]. */
  projectKeys(keys: tf.Tensor3D): tf.Tensor3D {
    const [batch, length, size] = keys.shape;
    if (size !== this.keySize) throw new RangeError(`AdditiveAttention.projectKeys: keys have ${size} features, expected ${this.keySize}`);
    return tf.tidy(() => matMul2d(keys.reshape([batch * length, size]) as tf.Tensor2D, this.Wk).reshape([batch, length, this.attentionSize]));
  }

  /**
   * Attention weights and context for queries [batch, querySize] over `values` [batch, source, keySize]
   * (the encoder states), given their projected keys and the source mask [batch, source] (1 = real token).
   */
  attend(query: tf.Tensor2D, projectedKeys: tf.Tensor3D, values: tf.Tensor3D, mask: tf.Tensor2D): AttentionRead {
    return this.attendWithBias(query, projectedKeys, values, mask, maskBias(mask));
  }

  /**
   * {@link attend} with the mask's score bias precomputed by {@link maskBias}: a decoder computes it once
   * per source batch instead of once per step.
   */
  attendWithBias(query: tf.Tensor2D, projectedKeys: tf.Tensor3D, values: tf.Tensor3D, mask: tf.Tensor2D, bias: tf.Tensor2D): AttentionRead {
    const [batch, length] = values.shape;
    if (query.shape[0] !== batch || query.shape[1] !== this.querySize) {
      throw new RangeError(`AdditiveAttention.attend: query must be [${batch}, ${this.querySize}], got [${query.shape.join(", ")}]`);
    }
    if (mask.shape[0] !== batch || mask.shape[1] !== length) throw new RangeError(`AdditiveAttention.attend: mask must be [${batch}, ${length}], got [${mask.shape.join(", ")}]`);
    return tf.tidy(() => {
      const q = matMul2d(query, this.Wq).expandDims(1); // [batch, 1, A], broadcast over the source
      const hidden = tf.tanh(tf.add(projectedKeys, q)); // [batch, source, A]
      const scores = matMul2d(hidden.reshape([batch * length, this.attentionSize]) as tf.Tensor2D, this.v).reshape([batch, length]);
      const masked = tf.add(scores, bias);
      const weights = tf.softmax(masked) as tf.Tensor2D;
      // Σ_j α_j h_j as a weighted sum: a batched matMul here would take wasm's slow untiled path.
      const context = tf.sum(tf.mul(weights.expandDims(2), values), 1) as tf.Tensor2D;
      return { context, weights };
    });
  }

  /** The trainable tensors by name. */
  variables(): Record<string, tf.Variable> {
    return { Wq: this.Wq, Wk: this.Wk, v: this.v };
  }
}
