/**
 * A tiny GPT as plain tfjs variables and functions, for TP7's exercises where the student writes the model
 * (Karpathy's "Let's build GPT"): the weights are given, the student writes the forward pass and the
 * training step, and these functions are the reference the checks compare with on the same weights.
 *
 *   x = E_tok[ids] + E_pos[0 … T−1]
 *   N × { x = x + (concat_h softmax(Q_h·K_hᵀ/√d_h + causal mask)·V_h)·W_O + b_O     Q = LN₁(x)·W_Q, K, V alike
 *         x = x + ReLU(LN₂(x)·W₁ + b₁)·W₂ + b₂ }
 *   logits = LN_f(x)·W_head + b_head
 *
 * Pre-LN (LayerNorm ε = 1e-5), heads as consecutive column blocks of Q, K and V (head h: columns
 * h·d_h … (h+1)·d_h − 1), no bias on the query, key and value projections, a ReLU MLP, an untied output
 * head — the layout of the video's model. The course's full GPT (./model) adds GELU, tied embeddings and
 * a compiled training engine; this one stays small enough to read in one sitting.
 */
import * as tf from "@tensorflow/tfjs";
import { embeddingLookup } from "../../backend/embedding";
import { offLimitsDuringChecks } from "../../grading/off-limits";
import { Random } from "../../random";
import { normalValues } from "../layers";

/** Sizes of a {@link TinyGptWeights} model. */
export interface TinyGptShape {
  vocabSize: number;
  /** Longest context T (rows of the position table). */
  blockSize: number;
  /** d, the width of the residual stream. */
  width: number;
  /** Number of attention heads; divides width. */
  heads: number;
  /** Number of blocks N. */
  layers: number;
  /** Width of the MLP's hidden layer (default 4·width). */
  mlpWidth?: number;
}

/** One block's weights. Matrices are stored [input, output]: a row of activations times W. */
export interface TinyGptBlockWeights {
  ln1Gamma: tf.Variable; ln1Beta: tf.Variable;
  /** Query, key and value projections [d, d], without bias. */
  wq: tf.Variable; wk: tf.Variable; wv: tf.Variable;
  /** Output projection of the attention [d, d] and its bias [d]. */
  wo: tf.Variable; bo: tf.Variable;
  ln2Gamma: tf.Variable; ln2Beta: tf.Variable;
  /** MLP: [d, h] and [h], then [h, d] and [d]. */
  w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable;
}

/** A tiny GPT's weights: what the student's forward pass reads and the training step updates. */
export interface TinyGptWeights {
  readonly shape: Required<TinyGptShape>;
  /** [V, d] */
  tokenEmbedding: tf.Variable;
  /** [T, d] */
  positionEmbedding: tf.Variable;
  blocks: TinyGptBlockWeights[];
  lnfGamma: tf.Variable; lnfBeta: tf.Variable;
  /** Output head [d, V] and its bias [V]. */
  head: tf.Variable; headBias: tf.Variable;
}

function checkShape(shape: TinyGptShape): Required<TinyGptShape> {
  for (const key of ["vocabSize", "blockSize", "width", "heads", "layers"] as const) {
    const value = shape[key];
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`tinyGptWeights: ${key} must be an integer ≥ 1, got ${value}`);
  }
  if (shape.width % shape.heads !== 0) throw new RangeError(`tinyGptWeights: heads (${shape.heads}) must divide width (${shape.width})`);
  const mlpWidth = shape.mlpWidth ?? 4 * shape.width;
  if (!Number.isInteger(mlpWidth) || mlpWidth < 1) throw new RangeError(`tinyGptWeights: mlpWidth must be an integer ≥ 1, got ${mlpWidth}`);
  return { ...shape, mlpWidth };
}

/**
 * Fresh weights with GPT-2's initialisation: matrices and embeddings ~ N(0, std²) (std 0.02 by default),
 * the two projections that write into the residual stream (W_O, W₂) scaled by 1/√(2N), biases 0,
 * LayerNorms γ = 1, β = 0. The same seed gives the same weights.
 */
export function tinyGptWeights(shape: TinyGptShape, rng: Random, options: { std?: number } = {}): TinyGptWeights {
  const full = checkShape(shape);
  const std = options.std ?? 0.02;
  const { vocabSize: V, blockSize: T, width: d, layers, mlpWidth: h } = full;
  const residualStd = std / Math.sqrt(2 * layers);
  const normal = (rows: number, cols: number, scale: number) => tf.variable(tf.tensor2d(normalValues(rows * cols, scale, rng), [rows, cols]));
  const filled = (n: number, value: number) => tf.variable(tf.fill([n], value));
  return {
    shape: full,
    tokenEmbedding: normal(V, d, std),
    positionEmbedding: normal(T, d, std),
    blocks: Array.from({ length: layers }, () => ({
      ln1Gamma: filled(d, 1), ln1Beta: filled(d, 0),
      wq: normal(d, d, std), wk: normal(d, d, std), wv: normal(d, d, std),
      wo: normal(d, d, residualStd), bo: filled(d, 0),
      ln2Gamma: filled(d, 1), ln2Beta: filled(d, 0),
      w1: normal(d, h, std), b1: filled(h, 0), w2: normal(h, d, residualStd), b2: filled(d, 0),
    })),
    lnfGamma: filled(d, 1), lnfBeta: filled(d, 0),
    head: normal(d, V, std), headBias: filled(V, 0),
  };
}

/** Every variable of the model with a readable name ("blocks.0.wq", "head"…), in a fixed order. */
export function tinyGptNamedVariables(weights: TinyGptWeights): [string, tf.Variable][] {
  const named: [string, tf.Variable][] = [["tokenEmbedding", weights.tokenEmbedding], ["positionEmbedding", weights.positionEmbedding]];
  weights.blocks.forEach((block, i) => {
    for (const [key, variable] of Object.entries(block)) named.push([`blocks.${i}.${key}`, variable as tf.Variable]);
  });
  named.push(["lnfGamma", weights.lnfGamma], ["lnfBeta", weights.lnfBeta], ["head", weights.head], ["headBias", weights.headBias]);
  return named;
}

/** Every variable of the model (for `tf.variableGrads(f, tinyGptVariables(w))`). */
export function tinyGptVariables(weights: TinyGptWeights): tf.Variable[] {
  return tinyGptNamedVariables(weights).map(([, variable]) => variable);
}

/** Number of parameters, counted on the variables: V·d + T·d + N·(4d² + 2·d·h + h + 6d) + 2d + d·V + V. */
export function tinyGptParameterCount(weights: TinyGptWeights): number {
  return tinyGptVariables(weights).reduce((sum, variable) => sum + variable.size, 0);
}

/** Frees every variable of the model. */
export function disposeTinyGpt(weights: TinyGptWeights): void {
  for (const variable of tinyGptVariables(weights)) variable.dispose();
}

/** Token ids [B, T] as nested arrays: rectangular, integers in 0 … V − 1, T ≤ blockSize. */
function checkIds(weights: TinyGptWeights, ids: readonly (readonly number[])[], where: string): void {
  if (!Array.isArray(ids) || ids.length === 0 || !Array.isArray(ids[0]) || ids[0].length === 0) throw new TypeError(`${where}: ids must be a non-empty array of non-empty rows of token ids`);
  const T = ids[0].length;
  if (T > weights.shape.blockSize) throw new RangeError(`${where}: rows of ${T} tokens exceed the context of ${weights.shape.blockSize}`);
  ids.forEach((row, b) => {
    if (!Array.isArray(row) || row.length !== T) throw new RangeError(`${where}: row ${b} has ${Array.isArray(row) ? row.length : "no"} tokens, row 0 has ${T}`);
  });
}

/** x [..., d] · W [d, k] + bias, as one 2-D product. */
function dense(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const d = x.shape[x.rank - 1]!;
  const y = tf.matMul(x.reshape([-1, d]), w).reshape([...x.shape.slice(0, -1), w.shape[1]!]);
  return bias ? tf.add(y, bias) : y;
}

function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/** [B, T, d] → [B, heads, T, d/heads]: head h reads columns h·d_h … (h+1)·d_h − 1. */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const [B, T, d] = x.shape as [number, number, number];
  return x.reshape([B, T, heads, d / heads]).transpose([0, 2, 1, 3]);
}

function causalSelfAttentionOf(x: tf.Tensor, block: TinyGptBlockWeights, heads: number): tf.Tensor {
  const [B, T, d] = x.shape as [number, number, number];
  const q = splitHeads(dense(x, block.wq), heads);
  const k = splitHeads(dense(x, block.wk), heads);
  const v = splitHeads(dense(x, block.wv), heads);
  const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d / heads));
  const hidden = tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)); // 1 above the diagonal: the future
  const weights = tf.softmax(tf.sub(scores, tf.mul(hidden, 1e9)));
  const mixed = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([B, T, d]);
  return dense(mixed, block.wo, block.bo);
}

/**
 * The logits [B, T, V] of the next token at every position of `ids` [B, T] (T ≤ blockSize): the
 * reference forward pass of TP7's exercise (the student writes their own).
 */
export const tinyGptForward = offLimitsDuringChecks("tinyGptForward", function tinyGptForward(weights: TinyGptWeights, ids: readonly (readonly number[])[]): tf.Tensor3D {
  checkIds(weights, ids, "tinyGptForward");
  return tf.tidy(() => {
    const T = ids[0]!.length;
    let x = tf.add(embeddingLookup(weights.tokenEmbedding, ids as number[][]), weights.positionEmbedding.slice([0, 0], [T, -1]));
    for (const block of weights.blocks) {
      x = tf.add(x, causalSelfAttentionOf(layerNorm(x, block.ln1Gamma, block.ln1Beta), block, weights.shape.heads));
      x = tf.add(x, dense(tf.relu(dense(layerNorm(x, block.ln2Gamma, block.ln2Beta), block.w1, block.b1)), block.w2, block.b2));
    }
    return dense(layerNorm(x, weights.lnfGamma, weights.lnfBeta), weights.head, weights.headBias) as tf.Tensor3D;
  });
});

/**
 * Mean next-token cross-entropy (nats) over windows of T + 1 ids: the first T are the inputs, the last T
 * the targets (window[t + 1] is the target at position t), every position counting once.
 */
export const tinyGptLoss = offLimitsDuringChecks("tinyGptLoss", function tinyGptLoss(weights: TinyGptWeights, windows: readonly (readonly number[])[]): tf.Scalar {
  if (!Array.isArray(windows) || windows.length === 0 || !Array.isArray(windows[0]) || windows[0].length < 2) throw new TypeError("tinyGptLoss: windows must be rows of at least 2 token ids (inputs, then the next token)");
  return tf.tidy(() => {
    const inputs = windows.map((row) => row.slice(0, -1));
    const targets = windows.map((row) => row.slice(1));
    const logits = tinyGptForward(weights, inputs);
    const V = weights.shape.vocabSize;
    const flat = logits.reshape([-1, V]);
    const logProbabilities = tf.sub(flat, tf.logSumExp(flat, -1, true));
    const picked = tf.sum(tf.mul(logProbabilities, tf.oneHot(tf.tensor1d(targets.flat(), "int32"), V)), -1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
});

/**
 * One training step on `windows` (see {@link tinyGptLoss}): the loss, its gradients with respect to every
 * variable (`tf.variableGrads`), then `optimizer.applyGradients`. Returns the loss before the update and
 * leaves no tensor behind (the optimizer's own state aside).
 */
export const tinyGptTrainStep = offLimitsDuringChecks("tinyGptTrainStep", function tinyGptTrainStep(weights: TinyGptWeights, windows: readonly (readonly number[])[], optimizer: tf.Optimizer): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tinyGptLoss(weights, windows), tinyGptVariables(weights));
    optimizer.applyGradients(grads);
    return value.dataSync()[0]!;
  });
});
