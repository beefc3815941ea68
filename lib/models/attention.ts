/**
 * Attention in tfjs, the heart of every Transformer of the course (TP6 attention, TP7 encoder–decoder and
 * mini-GPT, BERT):
 *
 *   Attention(Q, K, V) = softmax(Q·Kᵀ / √d_k + M) · V
 *
 * where the additive mask M is 0 where a key may be seen and a large negative number (−1e9) where it may
 * not, so its softmax weight is exactly 0. Masks are given as 0/1 tensors (1 = visible): `paddingMask`
 * hides padding tokens, `causalMask` hides the future, and their product combines them.
 *
 * `MultiHeadAttention` projects x to Q, K, V, splits them into `heads` slices of d_model / heads, runs
 * attention in each slice in parallel and merges the slices through the output projection W_O. It serves
 * as self-attention, cross-attention (queries from the decoder, keys/values from the encoder) and
 * incremental decoding with a KV cache (`step`).
 *
 * The plain-number versions used by the lesson's worked examples live in ./attention-numbers; the
 * layers (Linear, LayerNorm, FeedForward, Embedding) in ./layers. Both are re-exported here.
 * Call `await initBackend()` (lib/backend) first.
 */
import * as tf from "@tensorflow/tfjs";
import { attentionKernelAvailable, causalAttentionBackward, causalAttentionForward } from "../kernels/attention";
import { Random } from "../random";
import { checkPositiveInteger, frozenLinear, layerNormParameterCount, feedForwardParameterCount, linear, Linear, linearParameterCount, matMul, shapeOf, variableFrom, type Module } from "./layers";
import { offLimitsDuringChecks } from "../grading/off-limits";

export * from "./attention-numbers";
export {
  countParameters,
  disableFusedLayerKernels,
  Embedding,
  FeedForward,
  feedForwardParameterCount,
  fusedLayerKernelsAvailable,
  glorotUniform,
  LayerNorm,
  layerNormParameterCount,
  linear,
  Linear,
  linearParameterCount,
  matMul,
  normalValues,
  sumRows,
  variableFrom,
} from "./layers";
export type { LayerOptions, Module } from "./layers";

/** What a masked score becomes before the softmax: exp(−1e9 − max) underflows to exactly 0 in float32. */
export const MASK_VALUE = -1e9;

/** The result of an attention call: the mixed values and the attention weights (rows sum to 1). A type alias, not an interface, so tf.tidy accepts it. */
export type AttentionOutput = {
  /** softmax(QKᵀ/√d_k)·V: [..., Tq, d_v]. */
  output: tf.Tensor;
  /** The attention weights [..., Tq, Tk] (multi-head: [batch, heads, Tq, Tk]). */
  weights: tf.Tensor;
};

function broadcastable(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i]!;
    const y = b[b.length - i]!;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/**
 * Scaled dot-product attention: softmax(q·kᵀ / √d_k + M)·v, for q [..., Tq, d_k], k [..., Tk, d_k],
 * v [..., Tk, d_v] with the same leading (batch, head) axes. `mask` (1 = visible, 0 = hidden) must
 * broadcast to the scores [..., Tq, Tk]: a causal [Tq, Tk] matrix, or [batch, 1, Tk] for padding with
 * [batch, Tq, Tk] scores. A query whose every key is hidden gets uniform weights (nothing to prefer).
 */
export const scaledDotProductAttention = offLimitsDuringChecks("scaledDotProductAttention", function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionOutput {
  for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const) {
    if (!(t instanceof tf.Tensor)) throw new TypeError(`scaledDotProductAttention: ${name} must be a tf.Tensor`);
    if (t.rank < 2) throw new RangeError(`scaledDotProductAttention: ${name} must have rank ≥ 2 ([..., T, d]), got shape ${shapeOf(t)}`);
  }
  if (q.rank !== k.rank || k.rank !== v.rank) {
    throw new RangeError(`scaledDotProductAttention: q, k and v must have the same rank, got q ${shapeOf(q)}, k ${shapeOf(k)}, v ${shapeOf(v)}`);
  }
  const r = q.rank;
  if (q.shape[r - 1] !== k.shape[r - 1]) {
    throw new RangeError(`scaledDotProductAttention: queries and keys need the same last axis d_k, got q ${shapeOf(q)} and k ${shapeOf(k)}`);
  }
  if (k.shape[r - 2] !== v.shape[r - 2]) {
    throw new RangeError(`scaledDotProductAttention: one value per key, got k ${shapeOf(k)} and v ${shapeOf(v)}`);
  }
  for (let axis = 0; axis < r - 2; axis++) {
    if (q.shape[axis] !== k.shape[axis] || k.shape[axis] !== v.shape[axis]) {
      throw new RangeError(`scaledDotProductAttention: leading axes differ: q ${shapeOf(q)}, k ${shapeOf(k)}, v ${shapeOf(v)}`);
    }
  }
  const scoreShape = [...q.shape.slice(0, -1), k.shape[r - 2]!];
  if (mask !== undefined) {
    if (!(mask instanceof tf.Tensor)) throw new TypeError("scaledDotProductAttention: mask must be a tf.Tensor of 0/1");
    if (mask.rank > r || !broadcastable(mask.shape, scoreShape)) {
      throw new RangeError(`scaledDotProductAttention: mask ${shapeOf(mask)} does not broadcast to the scores [${scoreShape.join(", ")}]`);
    }
  }
  return tf.tidy(() => {
    const dK = q.shape[r - 1]!;
    // Kᵀ transposed explicitly: see matMul in ./layers for why (wasm's transposed products are slow).
    const kT = tf.transpose(k, [...k.shape.slice(0, -2).map((_, i) => i), r - 1, r - 2]);
    let scores = tf.div(matMul(q, kT), Math.sqrt(dK));
    if (mask !== undefined) scores = tf.add(scores, tf.mul(tf.sub(1, mask.toFloat()), MASK_VALUE));
    const weights = tf.softmax(scores);
    return { output: matMul(weights, v), weights };
  });
});

/** Whether {@link causalSelfAttention} runs the WebAssembly kernel for operands whose last axis is `dK`. */
export function fusedCausalAttentionAvailable(dK: number): boolean {
  const backend = tf.getBackend();
  return (backend === "wasm" || backend === "cpu") && dK % 4 === 0 && attentionKernelAvailable();
}

/**
 * Causal self-attention: softmax(q·kᵀ/√d_k + M)·v with M hiding the future (query i sees keys 0…i), for q,
 * k, v of the same shape [..., T, d_k] — the same result as `scaledDotProductAttention(q, k, v, causalMask(T))`.
 * On the CPU backends (wasm, cpu), with d_k a multiple of 4, it runs a fused WebAssembly kernel
 * (lib/kernels/attention) that skips the hidden half of the scores and has its own gradient: tfjs's wasm
 * backend multiplies batched matrices with a scalar loop, which made attention most of a GPT step. Its
 * `weights` are for looking at (heat-maps): no gradient flows back through them on the kernel path.
 */
export const causalSelfAttention = offLimitsDuringChecks("causalSelfAttention", function causalSelfAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): AttentionOutput {
  for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const) {
    if (!(t instanceof tf.Tensor)) throw new TypeError(`causalSelfAttention: ${name} must be a tf.Tensor`);
  }
  if (q.rank < 2 || !q.shape.every((n, i) => n === k.shape[i] && n === v.shape[i]) || k.rank !== q.rank || v.rank !== q.rank) {
    throw new RangeError(`causalSelfAttention: q, k and v must share one shape [..., T, d_k], got q ${shapeOf(q)}, k ${shapeOf(k)}, v ${shapeOf(v)}`);
  }
  const shape = q.shape;
  const t = shape[shape.length - 2]!;
  const dK = shape[shape.length - 1]!;
  if (!fusedCausalAttentionAvailable(dK) || q.dtype !== "float32" || k.dtype !== "float32" || v.dtype !== "float32") {
    return tf.tidy(() => scaledDotProductAttention(q, k, v, causalMask(t)));
  }
  const kernelShape = { slices: q.size / (t * dK), length: t, dim: dK };
  const scale = 1 / Math.sqrt(dK);
  // The kernel reads plain arrays: the operands are copied out once and kept for the backward pass.
  const qData = q.dataSync() as Float32Array;
  const kData = k.dataSync() as Float32Array;
  const vData = v.dataSync() as Float32Array;
  const { output, probabilities } = causalAttentionForward(qData, kData, vData, kernelShape, scale);
  const op = tf.customGrad((..._inputs) => ({
    value: tf.tensor(output, shape, "float32"),
    gradFunc: (dy: tf.Tensor) => {
      const grads = causalAttentionBackward(qData, kData, vData, probabilities, dy.dataSync() as Float32Array, kernelShape, scale);
      return [tf.tensor(grads.dq, shape, "float32"), tf.tensor(grads.dk, shape, "float32"), tf.tensor(grads.dv, shape, "float32")];
    },
  })) as (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;
  return { output: op(q, k, v), weights: tf.tensor(probabilities, [...shape.slice(0, -1), t], "float32") };
});

/**
 * 0/1 mask [batch, 1, T] that hides the padding of `ids` ([batch, T] token ids, int32): 1 where
 * ids ≠ padId. The middle axis of 1 broadcasts over every query position.
 */
export function paddingMask(ids: tf.Tensor, padId = 0): tf.Tensor3D {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2) {
    throw new RangeError(`paddingMask: ids must be a 2-D tensor [batch, T], got ${ids instanceof tf.Tensor ? shapeOf(ids) : typeof ids}`);
  }
  if (!Number.isInteger(padId)) throw new RangeError(`paddingMask: padId must be an integer, got ${padId}`);
  return tf.tidy(() => tf.notEqual(ids, tf.scalar(padId, ids.dtype)).toFloat().expandDims(1) as tf.Tensor3D);
}

/** 0/1 mask [batch, 1, maxLength] from sequence lengths: position t of sequence b is visible when t < lengths[b]. */
export function lengthMask(lengths: readonly number[], maxLength: number): tf.Tensor3D {
  checkPositiveInteger(maxLength, "maxLength", "lengthMask");
  const data = new Float32Array(lengths.length * maxLength);
  lengths.forEach((n, b) => {
    if (!Number.isInteger(n) || n < 0 || n > maxLength) throw new RangeError(`lengthMask: lengths[${b}] = ${n} is not an integer in 0…${maxLength}`);
    data.fill(1, b * maxLength, b * maxLength + n);
  });
  return tf.tensor3d(data, [lengths.length, 1, maxLength]);
}

/**
 * Causal 0/1 mask [queries, keys], lower-triangular: query i sees keys 0 … i + (keys − queries). With
 * keys = queries (the default) that is the usual triangle; with a KV cache holding keys − queries earlier
 * positions, the new queries see the whole past and the new positions up to their own.
 */
export const causalMask = offLimitsDuringChecks("causalMask", function causalMask(queries: number, keys: number = queries): tf.Tensor2D {
  checkPositiveInteger(queries, "queries", "causalMask");
  checkPositiveInteger(keys, "keys", "causalMask");
  if (keys < queries) throw new RangeError(`causalMask: keys (${keys}) must be ≥ queries (${queries}): the queries are the last positions of the keys`);
  const offset = keys - queries;
  const data = new Float32Array(queries * keys);
  for (let i = 0; i < queries; i++) data.fill(1, i * keys, i * keys + i + offset + 1);
  return tf.tensor2d(data, [queries, keys]);
});

/**
 * Sinusoidal positional encodings [length, dModel] (Vaswani et al. 2017):
 * PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model)).
 * Each pair of columns is a rotation at its own frequency, so PE(pos + k) is a linear function of PE(pos):
 * relative offsets are easy for attention to read, and any length works without training.
 */
export function sinusoidalPositionalEncoding(length: number, dModel: number): tf.Tensor2D {
  checkPositiveInteger(length, "length", "sinusoidalPositionalEncoding");
  checkPositiveInteger(dModel, "dModel", "sinusoidalPositionalEncoding");
  const data = new Float32Array(length * dModel);
  for (let pos = 0; pos < length; pos++) {
    for (let d = 0; d < dModel; d++) {
      const angle = pos / Math.pow(10000, (d - (d % 2)) / dModel);
      data[pos * dModel + d] = d % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return tf.tensor2d(data, [length, dModel]);
}

/** Keys and values already projected and split into heads, [batch, heads, T, d_head] each: a KV cache, or an encoder memory. */
export type KeyValues = {
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
};

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Width d_model of the inputs and outputs. */
  dModel: number;
  /** Number of heads; must divide dModel (each head works in d_model / heads dimensions). */
  heads: number;
  /** Draws the initial projections (default new Random(42)). */
  rng?: Random;
  /** Prefix of the parameter names (default "attention"). */
  name?: string;
  /** Biases in the four projections (default true). */
  bias?: boolean;
  /**
   * Smeared keys (default false; self-attention only): each head's key at position t becomes
   * σ(s)·k_t + (1 − σ(s))·k_{t−1} (k_{−1} = 0), with one learned `${name}.smear` value s per head, starting
   * at 0 (an even mix). A key then also says which token came before its own, so one layer can match
   * "the token after an earlier occurrence of the current token": an induction head (Olsson et al. 2022,
   * "In-context Learning and Induction Heads", §"smeared keys"), which otherwise needs two layers and a
   * long training to appear.
   */
  smearKeys?: boolean;
}

/** Options of a {@link MultiHeadAttention} call. */
export interface AttentionCallOptions {
  /** 0/1 mask broadcasting to [batch, heads, Tq, Tk]; a [batch, Tq|1, Tk] mask gets its heads axis added. */
  mask?: tf.Tensor;
  /**
   * Hide the future: query i sees keys 0…i (needs Tq = Tk). The same as a `causalMask(T)` mask, but without
   * another mask it runs {@link causalSelfAttention}'s fused kernel on the CPU backends — a decoder's
   * self-attention should say `causal: true` rather than pass the triangle.
   */
  causal?: boolean;
}

/**
 * Multi-head attention: Q = x·W_Q, K = s·W_K, V = s·W_V (s = x for self-attention, the encoder output for
 * cross-attention), split into `heads` heads, attention in each, heads concatenated, then ·W_O.
 * Several heads let one layer look for several relations at once (one head may follow word order, another
 * the matching word), at the cost of one: the heads share the d_model dimensions.
 */
export class MultiHeadAttention implements Module {
  readonly dModel: number;
  readonly heads: number;
  readonly dHead: number;
  readonly name: string;
  readonly wq: Linear;
  readonly wk: Linear;
  readonly wv: Linear;
  readonly wo: Linear;
  /** The heads' key-smearing logits [heads] (see {@link MultiHeadAttentionOptions.smearKeys}), or null. */
  readonly smear: tf.Variable | null;

  constructor(options: MultiHeadAttentionOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("MultiHeadAttention: options must be an object such as { dModel: 64, heads: 4 }");
    const { dModel, heads } = options;
    checkPositiveInteger(dModel, "dModel", "MultiHeadAttention");
    checkPositiveInteger(heads, "heads", "MultiHeadAttention");
    if (dModel % heads !== 0) throw new RangeError(`MultiHeadAttention: heads (${heads}) must divide dModel (${dModel})`);
    const rng = options.rng ?? new Random(42);
    const bias = options.bias ?? true;
    this.dModel = dModel;
    this.heads = heads;
    this.dHead = dModel / heads;
    this.name = options.name ?? "attention";
    this.wq = new Linear(dModel, dModel, { rng, bias, name: `${this.name}.wq` });
    this.wk = new Linear(dModel, dModel, { rng, bias, name: `${this.name}.wk` });
    this.wv = new Linear(dModel, dModel, { rng, bias, name: `${this.name}.wv` });
    this.wo = new Linear(dModel, dModel, { rng, bias, name: `${this.name}.wo` });
    this.smear = options.smearKeys === true ? variableFrom(new Float32Array(heads), [heads]) : null;
  }

  /** Keys [batch, heads, T, d_head] as the scores read them: smeared with the previous position's when the layer smears keys. */
  private smeared(keys: tf.Tensor4D): tf.Tensor4D {
    if (this.smear === null) return keys;
    const current = tf.sigmoid(this.smear).reshape([1, this.heads, 1, 1]);
    const previous = tf.pad(keys, [[0, 0], [0, 0], [1, 0], [0, 0]]).slice([0, 0, 0, 0], keys.shape);
    return tf.add(previous, tf.mul(current, tf.sub(keys, previous))) as tf.Tensor4D;
  }

  private check3d(x: tf.Tensor, what: string): void {
    if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== this.dModel) {
      throw new RangeError(`MultiHeadAttention ${this.name}: ${what} must be [batch, T, ${this.dModel}], got ${x instanceof tf.Tensor ? shapeOf(x) : typeof x}`);
    }
  }

  /** [batch, T, d_model] → [batch, heads, T, d_head]. */
  splitHeads(x: tf.Tensor): tf.Tensor4D {
    this.check3d(x, "splitHeads input");
    const [b, t] = x.shape as [number, number, number];
    return tf.tidy(() => x.reshape([b, t, this.heads, this.dHead]).transpose([0, 2, 1, 3]) as tf.Tensor4D);
  }

  /** [batch, heads, T, d_head] → [batch, T, d_model] (the heads side by side). */
  mergeHeads(x: tf.Tensor): tf.Tensor3D {
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[1] !== this.heads || x.shape[3] !== this.dHead) {
      throw new RangeError(`MultiHeadAttention ${this.name}: mergeHeads input must be [batch, ${this.heads}, T, ${this.dHead}], got ${x instanceof tf.Tensor ? shapeOf(x) : typeof x}`);
    }
    const [b, , t] = x.shape as [number, number, number, number];
    return tf.tidy(() => x.transpose([0, 2, 1, 3]).reshape([b, t, this.dModel]) as tf.Tensor3D);
  }

  /** Keys and values of `source` [batch, T, d_model], projected and split into heads (an encoder memory for cross-attention, reused at every decoding step). */
  keyValues(source: tf.Tensor): KeyValues {
    this.check3d(source, "keys/values source");
    return tf.tidy(() => ({ keys: this.splitHeads(this.wk.apply(source)), values: this.splitHeads(this.wv.apply(source)) }));
  }

  /** Queries from `x` [batch, Tq, d_model] attend to already-projected keys/values; output [batch, Tq, d_model], weights [batch, heads, Tq, Tk]. */
  attend(x: tf.Tensor, kv: KeyValues, options: AttentionCallOptions = {}): AttentionOutput {
    this.check3d(x, "query input");
    const { keys, values } = kv;
    if (!(keys instanceof tf.Tensor) || keys.rank !== 4 || keys.shape[0] !== x.shape[0] || keys.shape[1] !== this.heads || keys.shape[3] !== this.dHead) {
      throw new RangeError(`MultiHeadAttention ${this.name}: keys must be [${x.shape[0]}, ${this.heads}, Tk, ${this.dHead}], got ${keys instanceof tf.Tensor ? shapeOf(keys) : typeof keys}`);
    }
    if (!(values instanceof tf.Tensor) || values.rank !== 4 || !keys.shape.every((n, i) => n === values.shape[i])) {
      throw new RangeError(`MultiHeadAttention ${this.name}: values must have the keys' shape ${shapeOf(keys)}, got ${values instanceof tf.Tensor ? shapeOf(values) : typeof values}`);
    }
    return tf.tidy(() => this.attendQueries(this.splitHeads(this.wq.apply(x)), kv, options));
  }

  /** Queries already split into heads attend to keys/values; the heads are merged and projected by W_O. */
  private attendQueries(q: tf.Tensor4D, kv: KeyValues, options: AttentionCallOptions): AttentionOutput {
    const { keys, values } = kv;
    if (options.causal && keys.shape[2] !== q.shape[2]) {
      throw new RangeError(`MultiHeadAttention ${this.name}: causal attention needs as many keys as queries, got ${keys.shape[2]} keys for ${q.shape[2]} queries (use step() with a KV cache)`);
    }
    let mask = this.headMask(options.mask);
    let attention: AttentionOutput;
    if (options.causal && mask === undefined) {
      attention = causalSelfAttention(q, keys, values);
    } else {
      if (options.causal) mask = tf.mul(mask!, causalMask(q.shape[2]));
      attention = scaledDotProductAttention(q, keys, values, mask);
    }
    return { output: this.wo.apply(this.mergeHeads(attention.output)), weights: attention.weights };
  }

  /**
   * Q, K and V of `x` in one product, the three projections side by side ([d, 3d]): the same numbers as
   * three Linear calls, but one pass over x and, in the gradient, one transposed copy of x instead of three.
   */
  private selfProjections(x: tf.Tensor): { queries: tf.Tensor4D; kv: KeyValues } {
    const [b, t] = x.shape as [number, number, number];
    const weight = tf.concat([this.wq.weight, this.wk.weight, this.wv.weight], 1);
    const bias = this.wq.bias && this.wk.bias && this.wv.bias ? tf.concat([this.wq.bias, this.wk.bias, this.wv.bias]) : null;
    const flat = x.reshape([b * t, this.dModel]) as tf.Tensor2D;
    // Frozen projections (fine-tuning adapters) skip their weight gradient; adapters add their own term.
    const frozen = !this.wq.weight.trainable && !this.wk.weight.trainable && !this.wv.weight.trainable;
    const [q, k, v] = tf.split((frozen ? frozenLinear : linear)(flat, weight, bias), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const heads = (y: tf.Tensor, layer: Linear) => this.splitHeads((layer.adapter === null ? y : tf.add(y, layer.adapter(flat))).reshape([b, t, this.dModel]));
    return { queries: heads(q, this.wq), kv: { keys: this.smeared(heads(k, this.wk)), values: heads(v, this.wv) } };
  }

  /**
   * Self-attention (`source` omitted) or cross-attention (`source` = the encoder output [batch, Ts, d_model]).
   * Returns the output [batch, Tq, d_model] and the weights [batch, heads, Tq, Tk].
   */
  forward(x: tf.Tensor, source?: tf.Tensor | null, options: AttentionCallOptions = {}): AttentionOutput {
    this.check3d(x, "input");
    if (source != null) {
      this.check3d(source, "cross-attention source");
      if (source.shape[0] !== x.shape[0]) throw new RangeError(`MultiHeadAttention ${this.name}: batch sizes differ, x ${shapeOf(x)} and source ${shapeOf(source)}`);
    }
    if (source != null && this.smear !== null) throw new Error(`MultiHeadAttention ${this.name}: smeared keys are for self-attention; this layer cannot attend to a cross-attention source`);
    return tf.tidy(() => {
      if (source != null) return this.attend(x, this.keyValues(source), options);
      this.checkSmearMask(options);
      const { queries, kv } = this.selfProjections(x);
      return this.attendQueries(queries, kv, options);
    });
  }

  /**
   * Incremental causal self-attention with a KV cache: `x` [batch, Tnew, d_model] holds the new positions,
   * `past` the keys/values of the earlier ones (null at the start). Returns the new positions' output, the
   * weights [batch, heads, Tnew, Tpast + Tnew] and the extended cache, equal to what full causal
   * self-attention over all positions computes for those rows — at O(T) cost per new token instead of O(T²).
   * Several new positions at once are masked causally among themselves; `options.mask` (e.g. padding
   * [batch, 1, Tpast + Tnew]) is combined with that. The caller owns the returned cache and disposes the old one.
   * With smeared keys the cache holds the keys before smearing (each step smears them all again).
   */
  step(x: tf.Tensor, past: KeyValues | null, options: AttentionCallOptions = {}): AttentionOutput & { cache: KeyValues } {
    this.check3d(x, "input");
    this.checkSmearMask(options);
    if (past !== null && past !== undefined) {
      const expected = [x.shape[0], this.heads, past.keys.shape[2], this.dHead];
      if (!past.keys.shape.every((n, i) => n === expected[i]) || !past.values.shape.every((n, i) => n === expected[i])) {
        throw new RangeError(`MultiHeadAttention ${this.name}: cache keys/values must be [${x.shape[0]}, ${this.heads}, Tpast, ${this.dHead}], got ${shapeOf(past.keys)} and ${shapeOf(past.values)}`);
      }
    }
    return tf.tidy(() => {
      const fresh = this.keyValues(x);
      const cache: KeyValues = past
        ? { keys: tf.concat([past.keys, fresh.keys], 2) as tf.Tensor4D, values: tf.concat([past.values, fresh.values], 2) as tf.Tensor4D }
        : fresh;
      const tNew = x.shape[1]!;
      const tAll = cache.keys.shape[2];
      let mask = options.mask === undefined ? undefined : this.headMask(options.mask);
      // One new position may see every cached one: no causal mask needed.
      if (tNew > 1) mask = mask === undefined ? causalMask(tNew, tAll) : tf.mul(mask, causalMask(tNew, tAll));
      const { output, weights } = this.attend(x, { keys: this.smeared(cache.keys), values: cache.values }, { mask });
      return { output, weights, cache };
    });
  }

  /** Smeared keys read the previous position's key, so a masked (padding) position would leak into the next one's. */
  private checkSmearMask(options: AttentionCallOptions): void {
    if (this.smear !== null && options.mask !== undefined) throw new Error(`MultiHeadAttention ${this.name}: smeared keys take no mask (a hidden position's key would leak into the next position's); use causal attention without padding`);
  }

  /** A [batch, Tq|1, Tk] mask gains the heads axis it needs to broadcast against [batch, heads, Tq, Tk]. */
  private headMask(mask: tf.Tensor | undefined): tf.Tensor | undefined {
    if (mask === undefined) return undefined;
    if (!(mask instanceof tf.Tensor)) throw new TypeError(`MultiHeadAttention ${this.name}: mask must be a tf.Tensor of 0/1`);
    if (mask.rank === 3) return mask.expandDims(1);
    if (mask.rank === 2 || mask.rank === 4) return mask;
    throw new RangeError(`MultiHeadAttention ${this.name}: mask must be [Tq, Tk], [batch, Tq|1, Tk] or [batch, heads|1, Tq|1, Tk], got ${shapeOf(mask)}`);
  }

  namedParameters(): [string, tf.Variable][] {
    const smear: [string, tf.Variable][] = this.smear === null ? [] : [[`${this.name}.smear`, this.smear]];
    return [...this.wq.namedParameters(), ...this.wk.namedParameters(), ...this.wv.namedParameters(), ...this.wo.namedParameters(), ...smear];
  }

  dispose(): void {
    for (const layer of [this.wq, this.wk, this.wv, this.wo]) layer.dispose();
    this.smear?.dispose();
  }
}

/** Parameters of one multi-head attention layer: four d_model × d_model projections with biases, 4·(d² + d); the head count does not change it. */
export const multiHeadAttentionParameterCount = offLimitsDuringChecks("multiHeadAttentionParameterCount", function multiHeadAttentionParameterCount(dModel: number, bias = true): number {
  return 4 * linearParameterCount(dModel, dModel, bias);
});

/** Parameters of a Transformer encoder layer: self-attention + feed-forward + two LayerNorms. */
export const encoderLayerParameterCount = offLimitsDuringChecks("encoderLayerParameterCount", function encoderLayerParameterCount(dModel: number, dFF: number): number {
  return multiHeadAttentionParameterCount(dModel) + feedForwardParameterCount(dModel, dFF) + 2 * layerNormParameterCount(dModel);
});

/** Parameters of a Transformer decoder layer: masked self-attention + cross-attention + feed-forward + three LayerNorms. */
export const decoderLayerParameterCount = offLimitsDuringChecks("decoderLayerParameterCount", function decoderLayerParameterCount(dModel: number, dFF: number): number {
  return 2 * multiHeadAttentionParameterCount(dModel) + feedForwardParameterCount(dModel, dFF) + 3 * layerNormParameterCount(dModel);
});
