/**
 * The mini-GPT's training step as one ONNX graph: the forward pass, the loss, and the backward pass written
 * out layer by layer with the chain rule, for onnxruntime-node's native CPU kernels (the runtime
 * transformers.js uses). Graph inputs are the token ids, the targets and every parameter (named as
 * `GPT.namedParameters()` names them); outputs are the mean loss and one gradient per parameter,
 * `<name>.grad`. The layers and their backward formulas are the shared ones of lib/onnx/training-layers,
 * written as the tfjs model computes (./model, ../layers, ../attention), so both give the same loss and
 * gradients to float32 rounding — a test checks it. The embeddings' backward pass, with M = batch·T rows:
 *
 *   x = E_tok[ids] + E_pos[0…T−1]                      dE_tok += onehot(ids)ᵀ·dx,  dE_pos = Σ_batch dx
 *
 * Shapes are fixed per (batch, T): onnxruntime plans memory once and reuses it at every step.
 */
import type * as Ort from "onnxruntime-node";
import { int64Feed, MASKED_SCORE, TrainingGraphBuilder, TrainingGraphSessions, type CompiledTrainingGraph, type LossAndGradients } from "../../onnx/training-layers";
import { onnxRuntime } from "../../onnx/runtime";
import { sinusoidalPositionalEncoding } from "../attention";
import type { GptConfig } from "./config";

export type { LossAndGradients, TrainingGraphParameter } from "../../onnx/training-layers";

/** LayerNorm's ε in ../layers. */
const LAYER_NORM_EPSILON = 1e-5;

/** The graph's bytes and its parameters in the order of `GPT.namedParameters()`. */
export type GptTrainingGraph = CompiledTrainingGraph;

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
  const t = new TrainingGraphBuilder(`gpt-training-${B}x${T}`);
  const g = t.g;

  const inputs = g.input("inputs", "int64", [B, T]);
  const targets = g.input("targets", "int64", [B, T]);
  const inputIds = g.reshape(inputs, [M]);

  // Embeddings.
  const tokenTable = t.parameter("tokenEmbedding.table", [V, d]);
  let positions: string;
  if (config.positions === "learned") {
    const positionTable = t.parameter("positionEmbedding.table", [blockSize, d]);
    positions = T === blockSize ? positionTable : g.slice(positionTable, [0], [T], [0]);
  } else {
    const table = sinusoidalPositionalEncoding(T, d);
    positions = g.initializer("sinusoids", table.dataSync() as Float32Array, [T, d]);
    table.dispose();
  }
  let x = g.reshape(g.add(g.reshape(g.gather(tokenTable, inputIds), [B, T, d]), positions), [M, d]);

  // Blocks, forward, keeping what the backward pass reads.
  const causalMask = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causalMask[i * T + j] = MASKED_SCORE;
  const mask = g.initializer("causal_mask", causalMask, [T, T]);
  const shape = { batch: B, length: T, heads, width: d, smearKeys: config.smearKeys };

  const saved = Array.from({ length: layers }, (_, layer) =>
    g.scope(`block${layer}`, () => {
      const name = `blocks.${layer}`;
      const norm1 = t.layerNorm(x, `${name}.norm1`, d, LAYER_NORM_EPSILON);
      const attention = t.selfAttention(norm1.y, `${name}.attention`, shape, mask);
      const x1 = g.add(x, attention.y);
      const norm2 = t.layerNorm(x1, `${name}.norm2`, d, LAYER_NORM_EPSILON);
      const fc = t.linear(norm2.y, `${name}.mlp.fc`, d, h);
      const gelu = t.gelu(fc.y);
      const projection = t.linear(gelu.y, `${name}.mlp.projection`, h, d);
      x = g.add(x1, projection.y);
      return { name, norm1, attention, norm2, fc, gelu, projection };
    }),
  );

  // Head and loss.
  const finalNorm = t.layerNorm(x, "finalNorm", d, LAYER_NORM_EPSILON);
  const headWeight = config.tiedEmbeddings ? null : t.parameter("head.weight", [d, V]);
  const logits = headWeight === null ? t.gemm(finalNorm.y, tokenTable, 0, 1) : g.matMul(finalNorm.y, headWeight);
  const flatTargets = g.reshape(targets, [M]);
  const dLogits = t.softmaxCrossEntropy(logits, flatTargets, V, weighted ? { weights: g.input("weights", "float32", [B, T]) } : { rows: M });

  // Backward.
  let dTokenTable: string | null = null;
  let dx: string;
  if (headWeight === null) {
    dTokenTable = t.gemm(dLogits, finalNorm.y, 1, 0);
    dx = t.layerNormBackward(g.matMul(dLogits, tokenTable), finalNorm.saved, "finalNorm");
  } else {
    t.setGradient("head.weight", t.gemm(finalNorm.y, dLogits, 1, 0));
    dx = t.layerNormBackward(t.gemm(dLogits, headWeight, 0, 1), finalNorm.saved, "finalNorm");
  }
  for (let layer = layers - 1; layer >= 0; layer--) {
    const s = saved[layer]!;
    dx = g.scope(`block${layer}_grad`, () => {
      const dGelu = t.linearBackward(dx, s.projection);
      const dx1 = g.add(dx, t.layerNormBackward(t.linearBackward(t.geluBackward(dGelu, s.gelu), s.fc), s.norm2.saved, `${s.name}.norm2`));
      return g.add(dx1, t.layerNormBackward(t.selfAttentionBackward(dx1, s.attention), s.norm1.saved, `${s.name}.norm1`));
    });
  }
  const dEmbedded = t.gemm(t.oneHot(inputIds, V), dx, 1, 0);
  t.setGradient("tokenEmbedding.table", dTokenTable === null ? dEmbedded : g.add(dTokenTable, dEmbedded));
  if (config.positions === "learned") {
    const dPositions = g.op("ReduceSum", [g.reshape(dx, [B, T, d]), g.ints([0])], { keepdims: 0 });
    t.setGradient("positionEmbedding.table", T === blockSize ? dPositions : g.op("Pad", [dPositions, g.ints([0, 0, blockSize - T, 0])]));
  }
  return t.finish();
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

/**
 * Runs training graphs of one GPT configuration with onnxruntime-node, building one session per minibatch
 * shape on first use (a few hundred ms) and reusing it.
 */
export class GptTrainingRunner {
  readonly config: GptConfig;
  readonly threads: number;
  private readonly sessions: TrainingGraphSessions;

  constructor(config: GptConfig, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`GPT: trainingThreads must be an integer ≥ 1, got ${threads}`);
    this.config = config;
    this.threads = threads;
    this.sessions = new TrainingGraphSessions("GPT training graph", threads, (key) => {
      const [batch, length, weighted] = JSON.parse(key) as [number, number, boolean];
      return buildGptTrainingGraph(config, batch, length, weighted);
    });
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
    const feeds: Record<string, Ort.Tensor> = { inputs: int64Feed(inputs, [batch, length]), targets: int64Feed(targets, [batch, length]) };
    if (weights !== undefined) feeds.weights = new (onnxRuntime().Tensor)("float32", weights, [batch, length]);
    return this.sessions.run(JSON.stringify([batch, length, weights !== undefined]), feeds, parameters);
  }

  /** Frees the sessions (their planned memory); a later call builds them again. */
  async dispose(): Promise<void> {
    await this.sessions.dispose();
  }
}
