/**
 * The mini-GPT's training step as one ONNX graph: the forward pass, the loss, and the backward pass written
 * out layer by layer with the chain rule, for onnxruntime-node's native CPU kernels (the runtime
 * transformers.js uses). Graph inputs are the token ids, the targets and every parameter (named as
 * `GPT.namedParameters()` names them); outputs are the mean loss and one gradient per parameter,
 * `<name>.grad`. The formulas are those of the tfjs model (./model, ../layers, ../attention), so both give
 * the same loss and gradients to float32 rounding — a test checks it.
 *
 * The backward pass, with M = batch·T rows, x̂ the normalised LayerNorm input and ρ = 1/√(var + ε):
 *
 *   loss = −(1/M)·Σ log softmax(logits)[target]      dlogits = (softmax(logits) − onehot(target)) / M
 *   weighted: loss = −Σ w·log p[target] / Σ w          dlogits = (softmax(logits) − onehot(target))·w / Σ w
 *   y = x·W + b                                       dW = xᵀ·dy,  db = Σ_rows dy,  dx = dy·Wᵀ
 *   y = x̂·γ + β  (LayerNorm)                          dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy,
 *                                                      dx = ρ·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)),  dx̂ = dy·γ
 *   y = u·σ(z),  z = c₀u + c₁u³  (GELU)               du = dy·(σ + u·σ(1 − σ)·(c₀ + 3c₁u²))
 *   P = softmax(Q·Kᵀ·s + mask),  O = P·V               dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P·(dP − Σ_row dP·P)·s,
 *                                                      dQ = dS·K,  dK = dSᵀ·Q
 *   x = E_tok[ids] + E_pos[0…T−1]                      dE_tok += onehot(ids)ᵀ·dx,  dE_pos = Σ_batch dx
 *
 * Shapes are fixed per (batch, T): onnxruntime plans memory once and reuses it at every step.
 */
import type * as Ort from "onnxruntime-node";
import { GraphBuilder } from "../../onnx/builder";
import { createSession, onnxRuntime } from "../../onnx/runtime";
import { sinusoidalPositionalEncoding } from "../attention";
import type { GptConfig } from "./config";

/** GELU's constants as the tfjs model writes it (x·σ(z), z = 2√(2/π)·(x + 0.044715·x³)). */
const GELU_C0 = 2 * Math.sqrt(2 / Math.PI);
const GELU_C1 = GELU_C0 * 0.044715;
/** LayerNorm's ε in ../layers. */
const LAYER_NORM_EPSILON = 1e-5;
/** Added to the scores of future positions: exp underflows to exactly 0, as with tfjs's mask. */
const MASKED = -1e9;

/** One parameter input of the training graph. */
export interface TrainingGraphParameter {
  name: string;
  dims: number[];
}

/** The graph's bytes and its parameters in the order of `GPT.namedParameters()`. */
export interface GptTrainingGraph {
  bytes: Uint8Array;
  parameters: TrainingGraphParameter[];
}

/** What a LayerNorm's forward pass keeps for its backward pass. */
interface NormSaved {
  normalised: string;
  inverseStd: string;
  gamma: string;
}

/**
 * Builds the training graph of a GPT with `config` for minibatches of `batch` windows of `length` tokens
 * (length ≤ blockSize). Inputs: `inputs` and `targets` (int64 [batch, length]) and the parameters; with
 * `weighted`, also `weights` (float32 [batch, length]): each target's weight in the loss (0 leaves it out,
 * as the prompt tokens of supervised fine-tuning), the loss being the weighted mean. Without it the graph
 * is exactly the unweighted one (the same nodes, so the same roundings as before weights existed).
 */
export function buildGptTrainingGraph(config: GptConfig, batch: number, length: number, weighted = false): GptTrainingGraph {
  const { vocabSize: V, blockSize, layers, heads, width: d, mlpWidth: h } = config;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`buildGptTrainingGraph: batch must be an integer ≥ 1, got ${batch}`);
  if (!Number.isInteger(length) || length < 1 || length > blockSize) throw new RangeError(`buildGptTrainingGraph: length must be an integer in 1…${blockSize}, got ${length}`);
  const B = batch;
  const T = length;
  const M = B * T;
  const H = heads;
  const hd = d / heads;
  const g = new GraphBuilder(`gpt-training-${B}x${T}`);
  const parameters: TrainingGraphParameter[] = [];
  const grads = new Map<string, string>();
  const param = (name: string, dims: number[]): string => {
    parameters.push({ name, dims });
    return g.input(name, "float32", dims);
  };

  const gemm = (a: string, b: string, transA = 0, transB = 0, c?: string) => g.op("Gemm", c === undefined ? [a, b] : [a, b, c], { transA, transB });
  const sumRows = (x: string) => g.op("ReduceSum", [x, g.ints([0])], { keepdims: 0 });
  const meanLast = (x: string) => g.op("ReduceMean", [x], { axes: [-1], keepdims: 1 });
  const swapLast = (x: string) => g.transpose(x, [0, 1, 3, 2]);
  const oneHot = (ids: string) => g.op("OneHot", [ids, g.ints([V], true), g.initializer(g.fresh("onehot_values"), new Float32Array([0, 1]), [2])], { axis: -1 });

  const layerNorm = (x: string, name: string): { y: string; saved: NormSaved } => {
    const gamma = param(`${name}.gamma`, [d]);
    const beta = param(`${name}.beta`, [d]);
    const [y, mean, inverseStd] = g.node("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: { float: LAYER_NORM_EPSILON } }, { outputs: 3 });
    return { y: y!, saved: { normalised: g.mul(g.sub(x, mean!), inverseStd!), inverseStd: inverseStd!, gamma } };
  };
  const layerNormBackward = (dy: string, saved: NormSaved, name: string): string => {
    grads.set(`${name}.gamma`, sumRows(g.mul(dy, saved.normalised)));
    grads.set(`${name}.beta`, sumRows(dy));
    const dNormalised = g.mul(dy, saved.gamma);
    const centred = g.sub(g.sub(dNormalised, meanLast(dNormalised)), g.mul(saved.normalised, meanLast(g.mul(dNormalised, saved.normalised))));
    return g.mul(centred, saved.inverseStd);
  };
  /** x·W + b and what its backward pass needs. */
  const linearLayer = (x: string, name: string, inFeatures: number, outFeatures: number) => {
    const weight = param(`${name}.weight`, [inFeatures, outFeatures]);
    const bias = param(`${name}.bias`, [outFeatures]);
    return { y: gemm(x, weight, 0, 0, bias), x, weight, name };
  };
  const linearBackward = (dy: string, layer: { x: string; weight: string; name: string }): string => {
    grads.set(`${layer.name}.weight`, gemm(layer.x, dy, 1, 0));
    grads.set(`${layer.name}.bias`, sumRows(dy));
    return gemm(dy, layer.weight, 0, 1);
  };

  const inputs = g.input("inputs", "int64", [B, T]);
  const targets = g.input("targets", "int64", [B, T]);
  const inputIds = g.reshape(inputs, [M]);

  // Embeddings.
  const tokenTable = param("tokenEmbedding.table", [V, d]);
  let positions: string;
  if (config.positions === "learned") {
    const positionTable = param("positionEmbedding.table", [blockSize, d]);
    positions = T === blockSize ? positionTable : g.slice(positionTable, [0], [T], [0]);
  } else {
    const table = sinusoidalPositionalEncoding(T, d);
    positions = g.initializer("sinusoids", table.dataSync() as Float32Array, [T, d]);
    table.dispose();
  }
  let x = g.reshape(g.add(g.reshape(g.gather(tokenTable, inputIds), [B, T, d]), positions), [M, d]);

  // Blocks, forward, keeping what the backward pass reads.
  const causalMask = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causalMask[i * T + j] = MASKED;
  const mask = g.initializer("causal_mask", causalMask, [T, T]);
  const scale = g.scalar(1 / Math.sqrt(hd));
  const toHeads = (y: string) => g.transpose(g.reshape(y, [B, T, H, hd]), [0, 2, 1, 3]);
  const fromHeads = (y: string) => g.reshape(g.transpose(y, [0, 2, 1, 3]), [M, d]);

  const saved = Array.from({ length: layers }, (_, layer) =>
    g.scope(`block${layer}`, () => {
      const name = `blocks.${layer}`;
      const norm1 = layerNorm(x, `${name}.norm1`);
      const a = `${name}.attention`;
      const qkvWeights = (["wq", "wk", "wv"] as const).map((p) => ({ weight: param(`${a}.${p}.weight`, [d, d]), bias: param(`${a}.${p}.bias`, [d]) }));
      const wo = param(`${a}.wo.weight`, [d, d]);
      const bo = param(`${a}.wo.bias`, [d]);
      const wqkv = g.concat(qkvWeights.map((w) => w.weight), 1);
      const bqkv = g.concat(qkvWeights.map((w) => w.bias), 0);
      const qkv = g.transpose(g.reshape(gemm(norm1.y, wqkv, 0, 0, bqkv), [B, T, 3, H, hd]), [2, 0, 3, 1, 4]);
      const [q, k, v] = g.node("Split", [qkv], { axis: 0 }, { outputs: 3 }).map((part) => g.reshape(part, [B, H, T, hd])) as [string, string, string];
      const probabilities = g.softmax(g.add(g.mul(g.matMul(q, swapLast(k)), scale), mask), -1);
      const attended = fromHeads(g.matMul(probabilities, v));
      const x1 = g.add(x, gemm(attended, wo, 0, 0, bo));

      const norm2 = layerNorm(x1, `${name}.norm2`);
      const fc = linearLayer(norm2.y, `${name}.mlp.fc`, d, h);
      const u = fc.y;
      const sigma = g.op("Sigmoid", [g.mul(u, g.add(g.mul(g.mul(u, u), g.scalar(GELU_C1)), g.scalar(GELU_C0)))]);
      const projection = linearLayer(g.mul(u, sigma), `${name}.mlp.projection`, h, d);
      x = g.add(x1, projection.y);
      return { name, norm1, norm2, wqkv, wo, q, k, v, probabilities, attended, fc, u, sigma, projection };
    }),
  );

  // Head and loss.
  const finalNorm = layerNorm(x, "finalNorm");
  const headWeight = config.tiedEmbeddings ? null : param("head.weight", [d, V]);
  const logits = headWeight === null ? gemm(finalNorm.y, tokenTable, 0, 1) : g.matMul(finalNorm.y, headWeight);
  const logProbabilities = g.op("LogSoftmax", [logits], { axis: -1 });
  const targetOneHot = oneHot(g.reshape(targets, [M]));
  let dLogits: string;
  if (weighted) {
    const weights = g.input("weights", "float32", [B, T]);
    // Each row's weight divided by Σ w: the loss is Σ rowWeight·(−log p) and dlogits scales by it.
    const rowWeights = g.op("Div", [g.reshape(weights, [M, 1]), g.op("ReduceSum", [weights], { keepdims: 0 })]);
    g.mul(g.op("ReduceSum", [g.mul(g.mul(logProbabilities, targetOneHot), rowWeights)], { keepdims: 0 }), g.scalar(-1), "loss");
    dLogits = g.mul(g.sub(g.op("Exp", [logProbabilities]), targetOneHot), rowWeights);
  } else {
    g.mul(g.op("ReduceSum", [g.mul(logProbabilities, targetOneHot)], { keepdims: 0 }), g.scalar(-1 / M), "loss");
    dLogits = g.mul(g.sub(g.op("Exp", [logProbabilities]), targetOneHot), g.scalar(1 / M));
  }

  // Backward.
  let dTokenTable: string | null = null;
  let dx: string;
  if (headWeight === null) {
    dTokenTable = gemm(dLogits, finalNorm.y, 1, 0);
    dx = layerNormBackward(g.matMul(dLogits, tokenTable), finalNorm.saved, "finalNorm");
  } else {
    grads.set("head.weight", gemm(finalNorm.y, dLogits, 1, 0));
    dx = layerNormBackward(gemm(dLogits, headWeight, 0, 1), finalNorm.saved, "finalNorm");
  }
  for (let layer = layers - 1; layer >= 0; layer--) {
    const s = saved[layer]!;
    dx = g.scope(`block${layer}_grad`, () => {
      // MLP.
      const dGelu = linearBackward(dx, s.projection);
      const slope = g.add(s.sigma, g.mul(g.mul(s.u, g.mul(s.sigma, g.sub(g.scalar(1), s.sigma))), g.add(g.mul(g.mul(s.u, s.u), g.scalar(3 * GELU_C1)), g.scalar(GELU_C0))));
      const dx1 = g.add(dx, layerNormBackward(linearBackward(g.mul(dGelu, slope), s.fc), s.norm2.saved, `${s.name}.norm2`));
      // Attention.
      const a = `${s.name}.attention`;
      grads.set(`${a}.wo.weight`, gemm(s.attended, dx1, 1, 0));
      grads.set(`${a}.wo.bias`, sumRows(dx1));
      const dAttended = toHeads(gemm(dx1, s.wo, 0, 1));
      const dv = g.matMul(swapLast(s.probabilities), dAttended);
      const dProbabilities = g.matMul(dAttended, swapLast(s.v));
      const rowDot = g.op("ReduceSum", [g.mul(dProbabilities, s.probabilities), g.ints([-1])], { keepdims: 1 });
      const dScores = g.mul(g.mul(s.probabilities, g.sub(dProbabilities, rowDot)), scale);
      const dq = g.matMul(dScores, s.k);
      const dk = g.matMul(swapLast(dScores), s.q);
      const stacked = g.concat([dq, dk, dv].map((part) => g.unsqueeze(part, [0])), 0);
      const dqkv = g.reshape(g.transpose(stacked, [1, 3, 0, 2, 4]), [M, 3 * d]);
      const [dwq, dwk, dwv] = g.node("Split", [gemm(s.norm1.y, dqkv, 1, 0)], { axis: 1 }, { outputs: 3 });
      const [dbq, dbk, dbv] = g.node("Split", [sumRows(dqkv)], { axis: 0 }, { outputs: 3 });
      grads.set(`${a}.wq.weight`, dwq!);
      grads.set(`${a}.wk.weight`, dwk!);
      grads.set(`${a}.wv.weight`, dwv!);
      grads.set(`${a}.wq.bias`, dbq!);
      grads.set(`${a}.wk.bias`, dbk!);
      grads.set(`${a}.wv.bias`, dbv!);
      return g.add(dx1, layerNormBackward(gemm(dqkv, s.wqkv, 0, 1), s.norm1.saved, `${s.name}.norm1`));
    });
  }
  const dEmbedded = gemm(oneHot(inputIds), dx, 1, 0);
  grads.set("tokenEmbedding.table", dTokenTable === null ? dEmbedded : g.add(dTokenTable, dEmbedded));
  if (config.positions === "learned") {
    const dPositions = g.op("ReduceSum", [g.reshape(dx, [B, T, d]), g.ints([0])], { keepdims: 0 });
    grads.set("positionEmbedding.table", T === blockSize ? dPositions : g.op("Pad", [dPositions, g.ints([0, 0, blockSize - T, 0])]));
  }

  g.output("loss", "float32", []);
  for (const { name, dims } of parameters) {
    const grad = grads.get(name);
    if (grad === undefined) throw new Error(`buildGptTrainingGraph: no gradient for ${name}`);
    g.op("Identity", [grad], {}, `${name}.grad`);
    g.output(`${name}.grad`, "float32", dims);
  }
  return { bytes: g.toBytes(), parameters };
}

/** Checks per-target loss weights: `count` finite values ≥ 0 that do not sum to 0 (the loss divides by the sum). */
export function checkLossWeights(weights: Float32Array, count: number, where: string): void {
  if (!(weights instanceof Float32Array) || weights.length !== count) throw new RangeError(`${where}: expected ${count} loss weights (a Float32Array), got ${weights instanceof Float32Array ? weights.length : typeof weights}`);
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`${where}: loss weight ${i} is ${w}; weights must be finite and ≥ 0`);
    total += w;
  }
  if (total === 0) throw new RangeError(`${where}: every loss weight of the minibatch is 0, so there is no target to learn from`);
}

/** The loss of a minibatch and the gradient of every parameter, by parameter name. */
export interface LossAndGradients {
  loss: number;
  gradients: Map<string, Float32Array>;
}

/**
 * Runs training graphs of one GPT configuration with onnxruntime-node, building one session per minibatch
 * shape on first use (a few hundred ms) and reusing it.
 */
export class GptTrainingRunner {
  readonly config: GptConfig;
  readonly threads: number;
  private readonly sessions = new Map<string, Promise<{ session: Ort.InferenceSession; graph: GptTrainingGraph }>>();

  constructor(config: GptConfig, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`GPT: trainingThreads must be an integer ≥ 1, got ${threads}`);
    this.config = config;
    this.threads = threads;
  }

  private session(batch: number, length: number, weighted: boolean) {
    const key = `${batch}x${length}${weighted ? "w" : ""}`;
    let entry = this.sessions.get(key);
    if (entry === undefined) {
      const graph = buildGptTrainingGraph(this.config, batch, length, weighted);
      entry = createSession(graph.bytes, { threads: this.threads }).then((session) => ({ session, graph }));
      this.sessions.set(key, entry);
      // A failed build is not cached: the next call tries again and reports its own error.
      entry.catch(() => this.sessions.delete(key));
    }
    return entry;
  }

  /**
   * Loss and gradients for `batch` windows of `length` tokens (`inputs`, `targets`: batch·length ids, row
   * by row) at the parameter values `parameters` (name → values, every parameter of the model). `weights`
   * (batch·length, ≥ 0, not all 0) weighs each target in the loss; without it every target counts once.
   */
  async lossAndGradients(
    parameters: ReadonlyMap<string, Float32Array>,
    inputs: Int32Array,
    targets: Int32Array,
    batch: number,
    length: number,
    weights?: Float32Array,
  ): Promise<LossAndGradients> {
    if (inputs.length !== batch * length || targets.length !== batch * length) {
      throw new RangeError(`GPT training graph: expected ${batch}×${length} input and target ids, got ${inputs.length} and ${targets.length}`);
    }
    if (weights !== undefined) checkLossWeights(weights, batch * length, "GPT training graph");
    const { session, graph } = await this.session(batch, length, weights !== undefined);
    const ort = onnxRuntime();
    const feeds: Record<string, Ort.Tensor> = {
      inputs: new ort.Tensor("int64", BigInt64Array.from(inputs, (id) => BigInt(id)), [batch, length]),
      targets: new ort.Tensor("int64", BigInt64Array.from(targets, (id) => BigInt(id)), [batch, length]),
    };
    if (weights !== undefined) feeds.weights = new ort.Tensor("float32", weights, [batch, length]);
    for (const { name, dims } of graph.parameters) {
      const values = parameters.get(name);
      const size = dims.reduce((a, b) => a * b, 1);
      if (values === undefined || values.length !== size) throw new Error(`GPT training graph: parameter ${name} needs ${size} values, got ${values?.length ?? "none"}`);
      feeds[name] = new ort.Tensor("float32", values, dims);
    }
    const results = await session.run(feeds);
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
