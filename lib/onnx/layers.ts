/**
 * Transformer layers as ONNX subgraphs, written with the same formulas as the tfjs layers of
 * lib/models (so that the exported logits match the trained model's to float32 rounding):
 *
 *   linear        x·W + b                                  W stored [in, out], as lib/models/layers keeps it
 *   layerNorm     opset 17's LayerNormalization             (x − mean)/√(var + ε)·γ + β
 *   geluTanh      0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))  GPT-2's GELU (opset 20's Gelu is too new)
 *   geluErf       0.5·x·(1 + erf(x/√2))                     BERT's exact GELU
 *   attentionMask the additive causal + padding mask of the new positions after a KV cache, from shapes
 *   attention     softmax(q·kᵀ/√d_head + mask)·v over heads, with the past keys/values concatenated
 */
import type { GraphBuilder } from "./builder";

/** A linear layer's numbers: weight [inFeatures, outFeatures] (x·W), optional bias [outFeatures]. */
export interface LinearWeights {
  weight: Float32Array;
  bias: Float32Array | null;
  inFeatures: number;
  outFeatures: number;
}

/** A LayerNorm's numbers. */
export interface LayerNormWeights {
  gamma: Float32Array;
  beta: Float32Array;
  epsilon: number;
}

/** x·W (+ b), with W and b stored as initializers `${name}.weight` and `${name}.bias`. */
export function linear(g: GraphBuilder, x: string, layer: LinearWeights, name: string, output?: string): string {
  const { weight, bias, inFeatures, outFeatures } = layer;
  if (weight.length !== inFeatures * outFeatures) throw new RangeError(`linear ${name}: weight has ${weight.length} values, not ${inFeatures}×${outFeatures}`);
  if (bias && bias.length !== outFeatures) throw new RangeError(`linear ${name}: bias has ${bias.length} values, not ${outFeatures}`);
  const w = g.initializer(`${name}.weight`, weight, [inFeatures, outFeatures]);
  if (!bias) return g.matMul(x, w, output);
  return g.add(g.matMul(x, w), g.initializer(`${name}.bias`, bias, [outFeatures]), output);
}

/** LayerNorm over the last axis with γ, β stored as `${name}.gamma` / `${name}.beta`. */
export function layerNorm(g: GraphBuilder, x: string, norm: LayerNormWeights, name: string, output?: string): string {
  if (norm.gamma.length !== norm.beta.length) throw new RangeError(`layerNorm ${name}: gamma (${norm.gamma.length}) and beta (${norm.beta.length}) differ in length`);
  const gamma = g.initializer(`${name}.gamma`, norm.gamma, [norm.gamma.length]);
  const beta = g.initializer(`${name}.beta`, norm.beta, [norm.beta.length]);
  return g.layerNormalization(x, gamma, beta, norm.epsilon, output);
}

/** GPT-2's tanh approximation of GELU, the formula of `gelu` in lib/models/gpt. */
export function geluTanh(g: GraphBuilder, x: string, output?: string): string {
  const c = Math.sqrt(2 / Math.PI);
  // √(2/π)·(x + 0.044715·x³) written x·(x²·0.044715·√(2/π) + √(2/π)), in the tfjs model's order of operations.
  const inner = g.mul(x, g.add(g.mul(g.mul(x, x), g.scalar(0.044715 * c)), g.scalar(c)));
  const t = g.op("Tanh", [inner]);
  return g.mul(g.mul(x, g.scalar(0.5)), g.add(t, g.scalar(1)), output);
}

/** The exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (BERT). */
export function geluErf(g: GraphBuilder, x: string, output?: string): string {
  const e = g.op("Erf", [g.div(x, g.scalar(Math.SQRT2))]);
  return g.mul(g.mul(x, g.scalar(0.5)), g.add(e, g.scalar(1)), output);
}

/** [batch, T, heads·dHead] → [batch, heads, T, dHead]. */
export function splitHeads(g: GraphBuilder, x: string, heads: number, dHead: number, output?: string): string {
  return g.transpose(g.reshape(x, [0, 0, heads, dHead]), [0, 2, 1, 3], output);
}

/** [batch, heads, T, dHead] → [batch, T, heads·dHead]. */
export function mergeHeads(g: GraphBuilder, x: string, width: number, output?: string): string {
  return g.reshape(g.transpose(x, [0, 2, 1, 3]), [0, 0, width], output);
}

/** What {@link attentionMask} reads. */
export interface AttentionMaskInputs {
  /** int64 scalar: positions already in the cache (0 on the first call). */
  pastLength: string;
  /** int64 scalar: new positions T in this call. */
  queryLength: string;
  /** int64 [batch, past + T] of 1 (a token) / 0 (padding), or null for no padding. */
  attentionMask: string | null;
  /** Hide the future (decoder, default) or not (encoder). */
  causal: boolean;
}

/**
 * The additive mask [batch | 1, 1, T, past + T] of the T new queries: 0 where a key may be seen, −1e9 where
 * not (after a future key in a decoder, or a padding key). Built from shapes with Range, so one graph
 * serves every prompt length and cache length: query i (position past + i) sees key j when j ≤ past + i.
 */
export function attentionMask(g: GraphBuilder, inputs: AttentionMaskInputs): string {
  return g.scope("mask", () => {
    const total = g.add(inputs.pastLength, inputs.queryLength);
    const zero = g.ints([0], true);
    const one = g.ints([1], true);
    let visible: string | null = null;
    if (inputs.causal) {
      const keys = g.op("Range", [zero, total, one]);
      const queries = g.op("Range", [inputs.pastLength, total, one]);
      visible = g.op("LessOrEqual", [g.unsqueeze(keys, [0]), g.unsqueeze(queries, [1])]); // [T, past + T]
    }
    if (inputs.attentionMask !== null) {
      const tokens = g.unsqueeze(g.cast(inputs.attentionMask, "bool"), [1, 2]); // [batch, 1, 1, past + T]
      visible = visible === null ? tokens : g.op("And", [visible, tokens]);
    }
    if (visible === null) throw new Error("attentionMask: neither causal nor padding: there is nothing to mask");
    // −1e9 as in lib/models/attention: exp(−1e9 − max) is exactly 0 in float32, and no NaN when a row is all hidden.
    const additive = g.where(visible, g.scalar(0), g.scalar(-1e9));
    return inputs.causal && inputs.attentionMask === null ? g.unsqueeze(additive, [0, 1]) : additive;
  });
}

/** softmax(q·kᵀ/√dHead + mask)·v for q [batch, heads, T, dHead] and k, v [batch, heads, Tk, dHead]. */
export function scaledDotProductAttention(g: GraphBuilder, q: string, k: string, v: string, mask: string | null, dHead: number): string {
  const scores = g.div(g.matMul(q, g.transpose(k, [0, 1, 3, 2])), g.scalar(Math.sqrt(dHead)));
  const weights = g.softmax(mask === null ? scores : g.add(scores, mask), -1);
  return g.matMul(weights, v);
}

/** Keys [batch, heads, Tk, dHead] smeared with the previous position's (see {@link selfAttention}); `tokens` [batch, Tk] zeroes padding keys first. */
function smearedKeys(g: GraphBuilder, k: string, smear: Float32Array, heads: number, tokens: string | null, name: string): string {
  if (smear.length !== heads) throw new RangeError(`selfAttention ${name}: ${smear.length} smearing values for ${heads} heads`);
  return g.scope(`${name}.smear`, () => {
    const current = g.reshape(g.op("Sigmoid", [g.initializer(`${name}.smear`, smear, [heads])]), [1, heads, 1, 1]);
    const kept = tokens === null ? k : g.mul(k, g.unsqueeze(g.cast(tokens, "float32"), [1, 3]));
    const length = g.shape(k, 2, 3);
    const previous = g.op("Pad", [g.op("Slice", [kept, g.ints([0]), g.sub(length, g.ints([1])), g.ints([2])]), g.ints([0, 0, 1, 0, 0, 0, 0, 0])]);
    return g.add(previous, g.mul(current, g.sub(k, previous)));
  });
}

/** The four projections of a multi-head attention layer. */
export interface AttentionWeights {
  wq: LinearWeights;
  wk: LinearWeights;
  wv: LinearWeights;
  wo: LinearWeights;
  /** Smeared keys' logits, one per head (lib/models/attention's `smearKeys`); absent or null: plain keys. */
  smear?: Float32Array | null;
}

/** Keys and values, [batch, heads, T, dHead] each. */
export interface KeyValueNames {
  key: string;
  value: string;
}

/**
 * Multi-head self-attention of x [batch, T, width] with a KV cache: the new keys/values are appended to
 * `past` along the time axis, written under the names `present` (graph outputs, the next call's past),
 * and the new queries attend to all of them through `mask`. Returns the output [batch, T, width].
 * With smeared keys the cache holds the keys before smearing, and every call smears them all: key t becomes
 * k_{t−1} + σ(s)·(k_t − k_{t−1}), where a padding position's key (0 in `tokens`, the int64 attention_mask
 * [batch, past + T]) counts as 0, so that a left-padded row gets the same keys as the row alone.
 */
export function selfAttention(
  g: GraphBuilder,
  x: string,
  weights: AttentionWeights,
  shape: { heads: number; width: number },
  cache: { past: KeyValueNames; present: KeyValueNames } | null,
  mask: string | null,
  name: string,
  tokens: string | null = null,
): string {
  const { heads, width } = shape;
  const dHead = width / heads;
  if (!Number.isInteger(dHead)) throw new RangeError(`selfAttention ${name}: heads (${heads}) must divide width (${width})`);
  const q = splitHeads(g, linear(g, x, weights.wq, `${name}.wq`), heads, dHead);
  let k = splitHeads(g, linear(g, x, weights.wk, `${name}.wk`), heads, dHead);
  let v = splitHeads(g, linear(g, x, weights.wv, `${name}.wv`), heads, dHead);
  if (cache) {
    k = g.concat([cache.past.key, k], 2, cache.present.key);
    v = g.concat([cache.past.value, v], 2, cache.present.value);
  }
  if (weights.smear) k = smearedKeys(g, k, weights.smear, heads, tokens, name);
  const context = scaledDotProductAttention(g, q, k, v, mask, dHead);
  return linear(g, mergeHeads(g, context, width), weights.wo, `${name}.wo`);
}
