/**
 * The building blocks of compiled training steps: a model's forward pass, its loss and its backward pass
 * written out layer by layer with the chain rule as one ONNX graph, run by onnxruntime-node's native CPU
 * kernels (see lib/models/gpt/training-graph for a whole model). A {@link TrainingGraphBuilder} declares
 * each parameter as a graph input, its layers keep what their backward pass reads, their backward methods
 * record each parameter's gradient, and `finish` declares the outputs `loss` and `<name>.grad`.
 * {@link TrainingGraphSessions} runs such graphs, one session per minibatch shape.
 *
 * The formulas are those of the tfjs layers (lib/models/layers, attention, gpt/model's GELU), so a graph
 * gives tfjs autograd's loss and gradients to float32 rounding. With M rows, x̂ the normalised LayerNorm
 * input and ρ = 1/√(var + ε):
 *
 *   loss = −(1/M)·Σ log softmax(logits)[target]      dlogits = (softmax(logits) − onehot(target)) / M
 *   weighted: loss = −Σ w·log p[target] / Σ w          dlogits = (softmax(logits) − onehot(target))·w / Σ w
 *   y = x·W + b                                       dW = xᵀ·dy,  db = Σ_rows dy,  dx = dy·Wᵀ
 *   y = x̂·γ + β  (LayerNorm)                          dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy,
 *                                                      dx = ρ·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)),  dx̂ = dy·γ
 *   y = u·σ(z),  z = c₀u + c₁u³  (GELU)               du = dy·(σ + u·σ(1 − σ)·(c₀ + 3c₁u²))
 *   P = softmax(Q·Kᵀ·s + mask),  O = P·V               dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P·(dP − Σ_row dP·P)·s,
 *                                                      dQ = dS·K,  dK = dSᵀ·Q
 *   y = E[ids]  (lookup)                               dE = Σ over the rows that read it: onehot(ids)ᵀ·dy
 */
import type * as Ort from "onnxruntime-node";
import { GraphBuilder } from "./builder";
import { float } from "./proto";
import { createSession, onnxRuntime, onnxRuntimeAvailable } from "./runtime";
import { tensorProto } from "./tensor";

/** GELU's constants as the tfjs models write it (x·σ(z), z = 2√(2/π)·(x + 0.044715·x³)). */
const GELU_C0 = 2 * Math.sqrt(2 / Math.PI);
const GELU_C1 = GELU_C0 * 0.044715;

/** Added to the scores of hidden keys: exp underflows to exactly 0, as with tfjs's masks. */
export const MASKED_SCORE = -1e9;

/** One parameter input of a training graph. */
export interface TrainingGraphParameter {
  name: string;
  dims: number[];
}

/** A training graph's bytes and its parameters in input order. */
export interface CompiledTrainingGraph {
  bytes: Uint8Array;
  parameters: TrainingGraphParameter[];
}

/** What a LayerNorm's forward pass keeps for its backward pass. */
export interface NormSaved {
  normalised: string;
  inverseStd: string;
  gamma: string;
}

/** A linear layer's output and what its backward pass reads. */
export interface LinearLayer {
  y: string;
  x: string;
  weight: string;
  name: string;
}

/** GELU's output and what its backward pass reads. */
export interface GeluSaved {
  y: string;
  u: string;
  sigma: string;
}

/** Scaled dot-product attention's output [.., Tq, dHead] and what its backward pass reads. */
export interface AttentionCore {
  output: string;
  q: string;
  k: string;
  v: string;
  probabilities: string;
  scale: string;
}

/** Sizes of a self-attention layer over `batch` sequences of `length` positions. */
export interface AttentionShape {
  batch: number;
  length: number;
  heads: number;
  width: number;
  /** Smeared keys (lib/models/attention's `smearKeys`): a parameter `${name}.smear` [heads]. */
  smearKeys?: boolean;
}

/** What the backward pass of smeared keys reads: σ(s) [1, heads, 1, 1] and the keys minus the previous ones [batch, heads, length, dHead]. */
export interface SmearedKeys {
  current: string;
  change: string;
}

/** A self-attention layer's output [batch·length, width] and what its backward pass reads. */
export interface SelfAttentionLayer {
  y: string;
  name: string;
  x: string;
  wqkv: string;
  core: AttentionCore;
  output: LinearLayer;
  shape: AttentionShape;
  smear: SmearedKeys | null;
}

/** ReLU's output and the 0/1 mask of its positive inputs. */
export interface ReluSaved {
  y: string;
  active: string;
}

/** Sizes of a cross-attention layer: `batch` pairs, `queries` positions attending to `keys` positions. */
export interface CrossAttentionShape {
  batch: number;
  queries: number;
  keys: number;
  heads: number;
  width: number;
}

/** A cross-attention layer's output [batch·queries, width] and what its backward pass reads. */
export interface CrossAttentionLayer {
  y: string;
  name: string;
  memory: string;
  wkv: string;
  query: LinearLayer;
  core: AttentionCore;
  output: LinearLayer;
  shape: CrossAttentionShape;
}

/** How {@link TrainingGraphBuilder.softmaxCrossEntropy} averages: over `rows` fixed rows, by weights (any shape, one per row), or over however many rows the run brings. */
export type LossAverage = { rows: number } | { weights: string } | { dynamicRows: true };

/** The forward pass, loss and backward pass of one training step, built layer by layer (see the module comment). */
export class TrainingGraphBuilder {
  readonly g: GraphBuilder;
  readonly parameters: TrainingGraphParameter[] = [];
  private readonly gradients = new Map<string, string>();

  constructor(name: string) {
    this.g = new GraphBuilder(name);
  }

  /** Declares a float32 parameter input (in the order the model names its parameters); returns its name. */
  parameter(name: string, dims: number[]): string {
    this.parameters.push({ name, dims });
    return this.g.input(name, "float32", dims);
  }

  /** Records the gradient of parameter `name` (once). */
  setGradient(name: string, gradient: string): void {
    if (this.gradients.has(name)) throw new Error(`${this.g.name}: the gradient of ${name} is already set (use addGradient for a shared parameter)`);
    this.gradients.set(name, gradient);
  }

  /** Adds `gradient` to what parameter `name` already has (a parameter read in several places, as a tied table). */
  addGradient(name: string, gradient: string): void {
    const existing = this.gradients.get(name);
    this.gradients.set(name, existing === undefined ? gradient : this.g.add(existing, gradient));
  }

  /** op(a)·op(b) (+ c), op transposing when its flag is 1: a 2-D product with an optional broadcast bias. */
  gemm(a: string, b: string, transA = 0, transB = 0, c?: string): string {
    return this.g.op("Gemm", c === undefined ? [a, b] : [a, b, c], { transA, transB });
  }

  /** Σ over axis 0 (the rows), that axis removed. */
  sumRows(x: string): string {
    return this.g.op("ReduceSum", [x, this.g.ints([0])], { keepdims: 0 });
  }

  private meanLast(x: string): string {
    return this.g.op("ReduceMean", [x], { axes: [-1], keepdims: 1 });
  }

  /** float32 one-hot rows [..., depth] of int64 `ids`. */
  oneHot(ids: string, depth: number): string {
    const g = this.g;
    return g.op("OneHot", [ids, g.ints([depth], true), g.initializer(g.fresh("onehot_values"), new Float32Array([0, 1]), [2])], { axis: -1 });
  }

  /** LayerNorm over the last axis with parameters `${name}.gamma` and `${name}.beta` [width]. */
  layerNorm(x: string, name: string, width: number, epsilon: number): { y: string; saved: NormSaved } {
    const g = this.g;
    const gamma = this.parameter(`${name}.gamma`, [width]);
    const beta = this.parameter(`${name}.beta`, [width]);
    const [y, mean, inverseStd] = g.node("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: float(epsilon) }, { outputs: 3 });
    return { y: y!, saved: { normalised: g.mul(g.sub(x, mean!), inverseStd!), inverseStd: inverseStd!, gamma } };
  }

  /** The LayerNorm `name`'s backward pass for 2-D dy: records dγ, dβ and returns dx. */
  layerNormBackward(dy: string, saved: NormSaved, name: string): string {
    const g = this.g;
    this.setGradient(`${name}.gamma`, this.sumRows(g.mul(dy, saved.normalised)));
    this.setGradient(`${name}.beta`, this.sumRows(dy));
    const dNormalised = g.mul(dy, saved.gamma);
    const centred = g.sub(g.sub(dNormalised, this.meanLast(dNormalised)), g.mul(saved.normalised, this.meanLast(g.mul(dNormalised, saved.normalised))));
    return g.mul(centred, saved.inverseStd);
  }

  /** x·W + b for 2-D x, with parameters `${name}.weight` [in, out] and `${name}.bias` [out]. */
  linear(x: string, name: string, inFeatures: number, outFeatures: number): LinearLayer {
    const weight = this.parameter(`${name}.weight`, [inFeatures, outFeatures]);
    const bias = this.parameter(`${name}.bias`, [outFeatures]);
    return { y: this.gemm(x, weight, 0, 0, bias), x, weight, name };
  }

  /** A linear layer's backward pass: records dW, db and returns dx. */
  linearBackward(dy: string, layer: LinearLayer): string {
    this.setGradient(`${layer.name}.weight`, this.gemm(layer.x, dy, 1, 0));
    this.setGradient(`${layer.name}.bias`, this.sumRows(dy));
    return this.gemm(dy, layer.weight, 0, 1);
  }

  /** GELU (tanh form, as u·σ(z), the tfjs models' formula). */
  gelu(u: string): GeluSaved {
    const g = this.g;
    const sigma = g.op("Sigmoid", [g.mul(u, g.add(g.mul(g.mul(u, u), g.scalar(GELU_C1)), g.scalar(GELU_C0)))]);
    return { y: g.mul(u, sigma), u, sigma };
  }

  /** GELU's backward pass: du. */
  geluBackward(dy: string, saved: GeluSaved): string {
    const g = this.g;
    const { u, sigma } = saved;
    const slope = g.add(sigma, g.mul(g.mul(u, g.mul(sigma, g.sub(g.scalar(1), sigma))), g.add(g.mul(g.mul(u, u), g.scalar(3 * GELU_C1)), g.scalar(GELU_C0))));
    return g.mul(dy, slope);
  }

  /** softmax(q·kᵀ·scale + mask)·v over the last two axes (q [.., Tq, dHead], k and v [.., Tk, dHead]); `mask` is additive and broadcasts to the scores. */
  attentionCore(q: string, k: string, v: string, mask: string | null, scale: number): AttentionCore {
    const g = this.g;
    const s = g.scalar(scale);
    const scores = g.mul(g.matMul(q, this.swapLast(k)), s);
    const probabilities = g.softmax(mask === null ? scores : g.add(scores, mask), -1);
    return { output: g.matMul(probabilities, v), q, k, v, probabilities, scale: s };
  }

  /** The attention core's backward pass: dq, dk, dv from the output's gradient. */
  attentionCoreBackward(dOutput: string, saved: AttentionCore): { dq: string; dk: string; dv: string } {
    const g = this.g;
    const dv = g.matMul(this.swapLast(saved.probabilities), dOutput);
    const dProbabilities = g.matMul(dOutput, this.swapLast(saved.v));
    const rowDot = g.op("ReduceSum", [g.mul(dProbabilities, saved.probabilities), g.ints([-1])], { keepdims: 1 });
    const dScores = g.mul(g.mul(saved.probabilities, g.sub(dProbabilities, rowDot)), saved.scale);
    return { dq: g.matMul(dScores, saved.k), dk: g.matMul(this.swapLast(dScores), saved.q), dv };
  }

  private swapLast(x: string): string {
    return this.g.transpose(x, [0, 1, 3, 2]);
  }

  /**
   * Multi-head self-attention of x [batch·length, width] with parameters `${name}.wq|wk|wv|wo.weight|bias`
   * (lib/models/attention's names and [in, out] layout); the three input projections run as one product.
   * `mask` is additive, broadcasting to the scores [batch, heads, length, length] (a causal [T, T], a padding
   * [batch, 1, 1, T], their sum), or null.
   */
  selfAttention(x: string, name: string, shape: AttentionShape, mask: string | null): SelfAttentionLayer {
    const g = this.g;
    const { batch: B, length: T, heads: H, width: d } = shape;
    const hd = d / H;
    if (!Number.isInteger(hd)) throw new RangeError(`${g.name}: heads (${H}) must divide width (${d}) in ${name}`);
    const qkvWeights = (["wq", "wk", "wv"] as const).map((p) => ({ weight: this.parameter(`${name}.${p}.weight`, [d, d]), bias: this.parameter(`${name}.${p}.bias`, [d]) }));
    const wo = this.parameter(`${name}.wo.weight`, [d, d]);
    const bo = this.parameter(`${name}.wo.bias`, [d]);
    const wqkv = g.concat(qkvWeights.map((w) => w.weight), 1);
    const bqkv = g.concat(qkvWeights.map((w) => w.bias), 0);
    const qkv = g.transpose(g.reshape(this.gemm(x, wqkv, 0, 0, bqkv), [B, T, 3, H, hd]), [2, 0, 3, 1, 4]);
    const [q, k, v] = g.node("Split", [qkv], { axis: 0 }, { outputs: 3 }).map((part) => g.reshape(part, [B, H, T, hd])) as [string, string, string];
    let keys = k;
    let smear: SmearedKeys | null = null;
    if (shape.smearKeys === true) {
      // k'_t = k_{t−1} + σ(s)·(k_t − k_{t−1}), k_{−1} = 0.
      const current = g.reshape(g.op("Sigmoid", [this.parameter(`${name}.smear`, [H])]), [1, H, 1, 1]);
      const previous = g.op("Pad", [g.slice(k, [0], [T - 1], [2]), g.ints([0, 0, 1, 0, 0, 0, 0, 0])]);
      const change = g.sub(k, previous);
      keys = g.add(previous, g.mul(current, change));
      smear = { current, change };
    }
    const core = this.attentionCore(q, keys, v, mask, 1 / Math.sqrt(hd));
    const attended = g.reshape(g.transpose(core.output, [0, 2, 1, 3]), [B * T, d]);
    const output: LinearLayer = { y: this.gemm(attended, wo, 0, 0, bo), x: attended, weight: wo, name: `${name}.wo` };
    return { y: output.y, name, x, wqkv, core, output, shape, smear };
  }

  /** Self-attention's backward pass: records the gradients of its eight parameters and returns dx [batch·length, width]. */
  selfAttentionBackward(dy: string, layer: SelfAttentionLayer): string {
    const g = this.g;
    const { batch: B, length: T, heads: H, width: d } = layer.shape;
    const hd = d / H;
    const dAttended = g.transpose(g.reshape(this.linearBackward(dy, layer.output), [B, T, H, hd]), [0, 2, 1, 3]);
    const core = this.attentionCoreBackward(dAttended, layer.core);
    const { dq, dv } = core;
    let dk = core.dk;
    if (layer.smear !== null) {
      // dk_t = σ·dk'_t + (1 − σ)·dk'_{t+1};  ds = Σ dk'·(k_t − k_{t−1})·σ(1 − σ).
      const { current, change } = layer.smear;
      const previousShare = g.sub(g.scalar(1), current);
      const rest = g.mul(previousShare, dk);
      const dSmear = g.op("ReduceSum", [g.mul(dk, change), g.ints([0, 2, 3])], { keepdims: 0 });
      this.setGradient(`${layer.name}.smear`, g.mul(dSmear, g.reshape(g.mul(current, previousShare), [H])));
      dk = g.add(g.mul(current, dk), g.op("Pad", [g.slice(rest, [1], [T], [2]), g.ints([0, 0, 0, 0, 0, 0, 1, 0])]));
    }
    const stacked = g.concat([dq, dk, dv].map((part) => g.unsqueeze(part, [0])), 0);
    const dqkv = g.reshape(g.transpose(stacked, [1, 3, 0, 2, 4]), [B * T, 3 * d]);
    const [dwq, dwk, dwv] = g.node("Split", [this.gemm(layer.x, dqkv, 1, 0)], { axis: 1 }, { outputs: 3 });
    const [dbq, dbk, dbv] = g.node("Split", [this.sumRows(dqkv)], { axis: 0 }, { outputs: 3 });
    const a = layer.name;
    this.setGradient(`${a}.wq.weight`, dwq!);
    this.setGradient(`${a}.wk.weight`, dwk!);
    this.setGradient(`${a}.wv.weight`, dwv!);
    this.setGradient(`${a}.wq.bias`, dbq!);
    this.setGradient(`${a}.wk.bias`, dbk!);
    this.setGradient(`${a}.wv.bias`, dbv!);
    return this.gemm(dqkv, layer.wqkv, 0, 1);
  }

  /**
   * Cross-entropy of int64 `targets` (one per row of `logits` [rows, classes]) under softmax(logits), written
   * to the graph value `loss`; returns dlogits. `average` says how rows are averaged (see {@link LossAverage}).
   */
  softmaxCrossEntropy(logits: string, targets: string, classes: number, average: LossAverage): string {
    const g = this.g;
    const logProbabilities = g.op("LogSoftmax", [logits], { axis: -1 });
    const targetOneHot = this.oneHot(targets, classes);
    if ("weights" in average) {
      // Each row's weight divided by Σ w: the loss is Σ rowWeight·(−log p) and dlogits scales by it.
      const rowWeights = g.op("Div", [g.reshape(average.weights, [-1, 1]), g.op("ReduceSum", [average.weights], { keepdims: 0 })]);
      g.mul(g.op("ReduceSum", [g.mul(g.mul(logProbabilities, targetOneHot), rowWeights)], { keepdims: 0 }), g.scalar(-1), "loss");
      return g.mul(g.sub(g.op("Exp", [logProbabilities]), targetOneHot), rowWeights);
    }
    if ("rows" in average) {
      g.mul(g.op("ReduceSum", [g.mul(logProbabilities, targetOneHot)], { keepdims: 0 }), g.scalar(-1 / average.rows), "loss");
      return g.mul(g.sub(g.op("Exp", [logProbabilities]), targetOneHot), g.scalar(1 / average.rows));
    }
    const inverseRows = g.reshape(g.div(g.scalar(1), g.cast(g.shape(targets, 0, 1), "float32")), []);
    g.mul(g.op("ReduceSum", [g.mul(logProbabilities, targetOneHot)], { keepdims: 0 }), g.mul(inverseRows, g.scalar(-1)), "loss");
    return g.mul(g.sub(g.op("Exp", [logProbabilities]), targetOneHot), inverseRows);
  }

  /**
   * dTable [rows, width] of a lookup `table[ids]` whose output gradient is dy [n, width] (int64 `ids` [n]):
   * the rows of dy added into the rows they read, by a scatter (cheaper than onehot(ids)ᵀ·dy for wide tables).
   */
  scatterAddRows(ids: string, dy: string, rows: number, width: number): string {
    const g = this.g;
    const zeros = g.op("ConstantOfShape", [g.ints([rows, width])], { value: tensorProto("zero", new Float32Array([0]), [1]) });
    return g.op("ScatterND", [zeros, g.unsqueeze(ids, [1]), dy], { reduction: "add" });
  }

  /** ReLU, max(u, 0), keeping the 0/1 mask of the positive inputs its backward pass multiplies by. */
  relu(u: string): ReluSaved {
    const g = this.g;
    const active = g.cast(g.op("Greater", [u, g.scalar(0)]), "float32");
    return { y: g.mul(u, active), active };
  }

  /** ReLU's backward pass: du = dy·[u > 0] (tfjs's step(0) = 0). */
  reluBackward(dy: string, saved: ReluSaved): string {
    return this.g.mul(dy, saved.active);
  }

  /**
   * Multi-head cross-attention: queries from x [batch·queries, width], keys and values from `memory`
   * [batch·keys, width] (an encoder's output), with parameters `${name}.wq|wk|wv|wo.weight|bias`; the key and
   * value projections run as one product. `mask` is additive, broadcasting to [batch, heads, queries, keys]
   * (a source padding mask [batch, 1, 1, keys]), or null.
   */
  crossAttention(x: string, memory: string, name: string, shape: CrossAttentionShape, mask: string | null): CrossAttentionLayer {
    const g = this.g;
    const { batch: B, queries: Tq, keys: Tk, heads: H, width: d } = shape;
    const hd = d / H;
    if (!Number.isInteger(hd)) throw new RangeError(`${g.name}: heads (${H}) must divide width (${d}) in ${name}`);
    const query = this.linear(x, `${name}.wq`, d, d);
    const kvWeights = (["wk", "wv"] as const).map((p) => ({ weight: this.parameter(`${name}.${p}.weight`, [d, d]), bias: this.parameter(`${name}.${p}.bias`, [d]) }));
    const wkv = g.concat(kvWeights.map((w) => w.weight), 1);
    const bkv = g.concat(kvWeights.map((w) => w.bias), 0);
    const kv = g.transpose(g.reshape(this.gemm(memory, wkv, 0, 0, bkv), [B, Tk, 2, H, hd]), [2, 0, 3, 1, 4]);
    const [k, v] = g.node("Split", [kv], { axis: 0 }, { outputs: 2 }).map((part) => g.reshape(part, [B, H, Tk, hd])) as [string, string];
    const q = g.transpose(g.reshape(query.y, [B, Tq, H, hd]), [0, 2, 1, 3]);
    const core = this.attentionCore(q, k, v, mask, 1 / Math.sqrt(hd));
    const attended = g.reshape(g.transpose(core.output, [0, 2, 1, 3]), [B * Tq, d]);
    const wo = this.linear(attended, `${name}.wo`, d, d);
    return { y: wo.y, name, memory, wkv, query, core, output: wo, shape };
  }

  /** Cross-attention's backward pass: records its eight parameters' gradients; returns dx and d(memory) (to add up over the layers that read it). */
  crossAttentionBackward(dy: string, layer: CrossAttentionLayer): { dx: string; dMemory: string } {
    const g = this.g;
    const { batch: B, queries: Tq, keys: Tk, heads: H, width: d } = layer.shape;
    const hd = d / H;
    const dAttended = g.transpose(g.reshape(this.linearBackward(dy, layer.output), [B, Tq, H, hd]), [0, 2, 1, 3]);
    const { dq, dk, dv } = this.attentionCoreBackward(dAttended, layer.core);
    const dx = this.linearBackward(g.reshape(g.transpose(dq, [0, 2, 1, 3]), [B * Tq, d]), layer.query);
    const dkv = g.reshape(g.transpose(g.concat([dk, dv].map((part) => g.unsqueeze(part, [0])), 0), [1, 3, 0, 2, 4]), [B * Tk, 2 * d]);
    const [dwk, dwv] = g.node("Split", [this.gemm(layer.memory, dkv, 1, 0)], { axis: 1 }, { outputs: 2 });
    const [dbk, dbv] = g.node("Split", [this.sumRows(dkv)], { axis: 0 }, { outputs: 2 });
    this.setGradient(`${layer.name}.wk.weight`, dwk!);
    this.setGradient(`${layer.name}.wv.weight`, dwv!);
    this.setGradient(`${layer.name}.wk.bias`, dbk!);
    this.setGradient(`${layer.name}.wv.bias`, dbv!);
    return { dx, dMemory: this.gemm(dkv, layer.wkv, 0, 1) };
  }

  /**
   * Label-smoothed cross-entropy, weighted: loss = Σ w·((1 − ε)·(−log p[target]) + ε·mean(−log p)) / Σ w,
   * written to `loss`; returns dlogits = (softmax − (1 − ε)·onehot − ε/classes)·w / Σ w. With ε = 0 it is
   * {@link softmaxCrossEntropy} by weights. `weights`: one per row of `logits` [rows, classes] (0 leaves a row out).
   */
  labelSmoothedCrossEntropy(logits: string, targets: string, classes: number, weights: string, smoothing: number): string {
    if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(`${this.g.name}: label smoothing must be in [0, 1), got ${smoothing}`);
    if (smoothing === 0) return this.softmaxCrossEntropy(logits, targets, classes, { weights });
    const g = this.g;
    const logProbabilities = g.op("LogSoftmax", [logits], { axis: -1 });
    const targetOneHot = this.oneHot(targets, classes);
    const rowWeights = g.op("Div", [g.reshape(weights, [-1, 1]), g.op("ReduceSum", [weights], { keepdims: 0 })]);
    const targetTerm = g.mul(g.op("ReduceSum", [g.mul(logProbabilities, targetOneHot), g.ints([-1])], { keepdims: 1 }), g.scalar(-(1 - smoothing)));
    const rowLoss = g.add(targetTerm, g.mul(this.meanLast(logProbabilities), g.scalar(-smoothing)));
    g.op("ReduceSum", [g.mul(rowLoss, rowWeights)], { keepdims: 0 }, "loss");
    const smoothed = g.sub(g.sub(g.op("Exp", [logProbabilities]), g.mul(targetOneHot, g.scalar(1 - smoothing))), g.scalar(smoothing / classes));
    return g.mul(smoothed, rowWeights);
  }

  /** Declares the outputs `loss` and one `<name>.grad` per parameter (each must have its gradient), and returns the graph. */
  finish(): CompiledTrainingGraph {
    const g = this.g;
    g.output("loss", "float32", []);
    for (const { name, dims } of this.parameters) {
      const gradient = this.gradients.get(name);
      if (gradient === undefined) throw new Error(`${g.name}: no gradient for ${name}`);
      g.op("Identity", [gradient], {}, `${name}.grad`);
      g.output(`${name}.grad`, "float32", dims);
    }
    return { bytes: g.toBytes(), parameters: [...this.parameters] };
  }
}

/** The loss of a minibatch and the gradient of every parameter, by parameter name. */
export interface LossAndGradients {
  loss: number;
  gradients: Map<string, Float32Array>;
}

/**
 * Runs the training graphs of one model with onnxruntime-node: `build(key)` makes the graph of one
 * minibatch shape, built and compiled into a session on first use (a few hundred ms) and reused.
 */
export class TrainingGraphSessions {
  /** Names the model in errors ("GPT training graph"). */
  readonly label: string;
  readonly threads: number;
  private readonly build: (key: string) => CompiledTrainingGraph;
  private readonly sessions = new Map<string, Promise<{ session: Ort.InferenceSession; graph: CompiledTrainingGraph }>>();

  constructor(label: string, threads: number, build: (key: string) => CompiledTrainingGraph) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`${label}: threads must be an integer ≥ 1, got ${threads}`);
    this.label = label;
    this.threads = threads;
    this.build = build;
  }

  private session(key: string) {
    let entry = this.sessions.get(key);
    if (entry === undefined) {
      const graph = this.build(key);
      entry = createSession(graph.bytes, { threads: this.threads }).then((session) => ({ session, graph }));
      this.sessions.set(key, entry);
      // A failed build is not cached: the next call tries again and reports its own error.
      entry.catch(() => this.sessions.delete(key));
    }
    return entry;
  }

  /** Runs the graph of `key` on the data `feeds` and the parameter values `parameters` (name → values, every parameter of the graph). */
  async run(key: string, feeds: Record<string, Ort.Tensor>, parameters: ReadonlyMap<string, Float32Array>): Promise<LossAndGradients> {
    const { session, graph } = await this.session(key);
    const ort = onnxRuntime();
    const all: Record<string, Ort.Tensor> = { ...feeds };
    for (const { name, dims } of graph.parameters) {
      const values = parameters.get(name);
      const size = dims.reduce((a, b) => a * b, 1);
      if (values === undefined || values.length !== size) throw new Error(`${this.label}: parameter ${name} needs ${size} values, got ${values?.length ?? "none"}`);
      all[name] = new ort.Tensor("float32", values, dims);
    }
    const results = await session.run(all);
    const gradients = new Map<string, Float32Array>();
    for (const { name } of graph.parameters) gradients.set(name, results[`${name}.grad`]!.data as Float32Array);
    return { loss: (results.loss!.data as Float32Array)[0]!, gradients };
  }

  /** Frees the sessions (their planned memory); a later call builds them again. */
  async dispose(): Promise<void> {
    const entries = [...this.sessions.values()];
    this.sessions.clear();
    for (const entry of entries) {
      // A session that failed to build holds nothing; one that fails to release has nothing left to free.
      const built = await entry.catch(() => null);
      if (built) await built.session.release().catch(() => undefined);
    }
  }
}

/** int64 tensor of `ids` with shape `dims`, for a training graph's feeds. */
export function int64Feed(ids: ArrayLike<number>, dims: number[]): Ort.Tensor {
  return new (onnxRuntime().Tensor)("int64", BigInt64Array.from(ids, (id) => BigInt(id)), dims);
}

/** What computes a model's training step: the compiled graph on onnxruntime-node, or tfjs autograd. */
export type TrainingEngine = "onnxruntime" | "tfjs";

/**
 * The engine for a requested one: "auto" is onnxruntime when onnxruntime-node loads, tfjs otherwise;
 * "onnxruntime" without it is an error. `model` names the model in errors ("GPT").
 */
export function chooseTrainingEngine(requested: TrainingEngine | "auto", model: string): TrainingEngine {
  if (requested !== "auto" && requested !== "onnxruntime" && requested !== "tfjs") {
    throw new RangeError(`${model}: trainingEngine must be "auto", "onnxruntime" or "tfjs", got ${String(requested)}`);
  }
  if (requested === "tfjs") return "tfjs";
  if (onnxRuntimeAvailable()) return "onnxruntime";
  if (requested === "onnxruntime") throw new Error(`${model}: trainingEngine "onnxruntime" needs onnxruntime-node (npm install); use "tfjs" or "auto"`);
  return "tfjs";
}
