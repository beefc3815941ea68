/**
 * The encoder–decoder Transformer's training step as one ONNX graph for onnxruntime-node, as the GPT's
 * (../gpt/training-graph): the forward pass, the label-smoothed loss and the backward pass written out with
 * the chain rule. Graph inputs are the padded minibatch (source, decoder input, labels, each label's weight
 * in the loss) and every parameter, named as `Transformer.namedParameters()` names them; outputs are the
 * loss and one gradient per parameter, `<name>.grad`. The formulas are those of ./model and ../attention,
 * so both engines give the same loss and gradients to float32 rounding — a test checks it.
 *
 * Its layers are lib/onnx/training-layers' (LayerNorm, linear, ReLU, self- and cross-attention, label-smoothed
 * cross-entropy, each with its backward pass); what is the Transformer's own, with ε the label smoothing:
 *
 *   x = √d·E[ids] + PE[0…L−1]                          dE = Σ over the rows that read it: √d·dx (the sinusoids are fixed)
 *   padding: scores + (−1e9 where the key is <pad>)    masked keys get P = 0, so dS = P·(…) = 0 there too
 *   memory m read by every cross-attention            dm = Σ over the decoder layers of dK·W_Kᵀ + dV·W_Vᵀ
 *   loss = Σ w·((1 − ε)·(−log p[label]) + ε·mean(−log p)) / Σ w,  w = 1 on real labels, 0 on padding
 *   post-LN x = LN(x + f(x))                           d(x + f(x)) = LNᵀ(dy), then dx = that + fᵀ(that)
 *
 * (the loss is ./model's lossSum divided by labelCount). Shapes are fixed per (batch, source length, target length): onnxruntime plans memory once per shape.
 */
import type * as Ort from "onnxruntime-node";
import { onnxRuntime } from "../../onnx/runtime";
import {
  int64Feed,
  MASKED_SCORE,
  TrainingGraphBuilder,
  TrainingGraphSessions,
  type CompiledTrainingGraph,
  type LossAndGradients,
  type TrainingGraphParameter,
} from "../../onnx/training-layers";
import { sinusoidalPositionalEncoding } from "../attention";
import type { PairBatch } from "./data";
import type { TransformerConfig } from "./model";

/** LayerNorm's ε in ../layers. */
const LAYER_NORM_EPSILON = 1e-5;

/** Names and shapes of a Transformer's parameters, in the order of `Transformer.namedParameters()`. */
export function transformerParameterShapes(config: TransformerConfig): TrainingGraphParameter[] {
  const { dModel: d, dFF: f } = config;
  const out: TrainingGraphParameter[] = [];
  const linear = (name: string, inFeatures: number, outFeatures: number) => out.push({ name: `${name}.weight`, dims: [inFeatures, outFeatures] }, { name: `${name}.bias`, dims: [outFeatures] });
  const attention = (name: string) => ["wq", "wk", "wv", "wo"].forEach((p) => linear(`${name}.${p}`, d, d));
  const norm = (name: string) => out.push({ name: `${name}.gamma`, dims: [d] }, { name: `${name}.beta`, dims: [d] });
  const feedForward = (name: string) => {
    linear(`${name}.inner`, d, f);
    linear(`${name}.outer`, f, d);
  };
  out.push({ name: "sourceEmbedding.table", dims: [config.sourceVocabSize, d] }, { name: "targetEmbedding.table", dims: [config.targetVocabSize, d] });
  for (let i = 0; i < config.encoderLayers; i++) {
    attention(`encoder.${i}.selfAttention`);
    feedForward(`encoder.${i}.feedForward`);
    norm(`encoder.${i}.norm1`);
    norm(`encoder.${i}.norm2`);
  }
  for (let i = 0; i < config.decoderLayers; i++) {
    attention(`decoder.${i}.selfAttention`);
    attention(`decoder.${i}.crossAttention`);
    feedForward(`decoder.${i}.feedForward`);
    for (const n of [1, 2, 3]) norm(`decoder.${i}.norm${n}`);
  }
  if (config.norm === "pre") {
    norm("encoderNorm");
    norm("decoderNorm");
  }
  linear("output", d, config.targetVocabSize);
  return out;
}

/** A sub-layer's output [rows, d] and its backward pass from d(output) to d(input). */
interface SubLayer {
  y: string;
  backward: (dy: string) => string;
}

/**
 * Builds the training graph of a Transformer with `config` and label smoothing `labelSmoothing` for
 * minibatches of `batch` pairs padded to `sourceLength` source and `targetLength` target positions.
 * Inputs: `source` int64 [batch, sourceLength], `decoderInput` and `labels` int64 [batch, targetLength],
 * `weights` float32 [batch, targetLength] (1 on real labels, 0 on padding), then the parameters.
 */
export function buildTransformerTrainingGraph(config: TransformerConfig, labelSmoothing: number, batch: number, sourceLength: number, targetLength: number): CompiledTrainingGraph {
  const { dModel: d, heads: H, dFF, targetVocabSize: V, maxLength } = config;
  const where = "buildTransformerTrainingGraph";
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${where}: batch must be an integer ≥ 1, got ${batch}`);
  for (const [name, length] of [["sourceLength", sourceLength], ["targetLength", targetLength]] as const) {
    if (!Number.isInteger(length) || length < 1 || length > maxLength) throw new RangeError(`${where}: ${name} must be an integer in 1…${maxLength}, got ${length}`);
  }
  const B = batch;
  const S = sourceLength;
  const T = targetLength;
  const t = new TrainingGraphBuilder(`transformer-training-${B}x${S}x${T}`);
  const g = t.g;

  const feedForward = (x: string, name: string): SubLayer => {
    const inner = t.linear(x, `${name}.inner`, d, dFF);
    const relu = t.relu(inner.y);
    const outer = t.linear(relu.y, `${name}.outer`, dFF, d);
    return { y: outer.y, backward: (dy) => t.linearBackward(t.reluBackward(t.linearBackward(dy, outer), relu), inner) };
  };
  const selfAttention = (x: string, length: number, mask: string, name: string): SubLayer => {
    const layer = t.selfAttention(x, name, { batch: B, length, heads: H, width: d }, mask);
    return { y: layer.y, backward: (dy) => t.selfAttentionBackward(dy, layer) };
  };
  /** The backward pass adds d(memory) to `dMemory`. */
  const crossAttention = (x: string, memory: string, mask: string, name: string, dMemory: string[]): SubLayer => {
    const layer = t.crossAttention(x, memory, name, { batch: B, queries: T, keys: S, heads: H, width: d }, mask);
    return {
      y: layer.y,
      backward: (dy) => {
        const { dx, dMemory: dm } = t.crossAttentionBackward(dy, layer);
        dMemory.push(dm);
        return dx;
      },
    };
  };
  /** A sub-layer inside its residual connection and LayerNorm, "pre" (x + f(LN(x))) or "post" (LN(x + f(x))), as ./model's `residual`. */
  const residual = (x: string, normName: string, sublayer: (h: string) => SubLayer): SubLayer => {
    if (config.norm === "pre") {
      const norm = t.layerNorm(x, normName, d, LAYER_NORM_EPSILON);
      const f = sublayer(norm.y);
      return { y: g.add(x, f.y), backward: (dy) => g.add(dy, t.layerNormBackward(f.backward(dy), norm.saved, normName)) };
    }
    const f = sublayer(x);
    const norm = t.layerNorm(g.add(x, f.y), normName, d, LAYER_NORM_EPSILON);
    return {
      y: norm.y,
      backward: (dy) => {
        const dSum = t.layerNormBackward(dy, norm.saved, normName);
        return g.add(dSum, f.backward(dSum));
      },
    };
  };
  /** √d·E[ids] + PE as [B·L, d]; the backward pass records the table's gradient. */
  const embed = (ids: string, length: number, table: string, vocabSize: number) => {
    const flatIds = g.reshape(ids, [B * length]);
    const encoding = sinusoidalPositionalEncoding(length, d);
    const positions = g.initializer(g.fresh("positions"), encoding.dataSync() as Float32Array, [length, d]);
    encoding.dispose();
    const weights = t.parameter(`${table}.table`, [vocabSize, d]);
    const tokens = g.mul(g.reshape(g.gather(weights, flatIds), [B, length, d]), g.scalar(Math.sqrt(d)));
    return {
      y: g.reshape(g.add(tokens, positions), [B * length, d]),
      backward: (dx: string) => t.setGradient(`${table}.table`, t.scatterAddRows(flatIds, g.mul(dx, g.scalar(Math.sqrt(d))), vocabSize, d)),
    };
  };
  /** The final LayerNorm of a pre-LN stack (none after post-LN layers, which end normalised). */
  const finalNorm = (x: string, name: string) => {
    if (config.norm !== "pre") return { y: x, backward: (dy: string) => dy };
    const norm = t.layerNorm(x, name, d, LAYER_NORM_EPSILON);
    return { y: norm.y, backward: (dy: string) => t.layerNormBackward(dy, norm.saved, name) };
  };

  const source = g.input("source", "int64", [B, S]);
  const decoderInput = g.input("decoderInput", "int64", [B, T]);
  const labels = g.input("labels", "int64", [B, T]);
  const labelWeights = g.input("weights", "float32", [B, T]);

  // Masks as additive biases: −1e9 on hidden keys, as ../attention adds (1 − mask)·MASK_VALUE.
  const padding = g.cast(g.op("Equal", [source, g.ints([config.padId], true)]), "float32");
  const sourceMask = g.reshape(g.mul(padding, g.scalar(MASKED_SCORE)), [B, 1, 1, S]);
  const causal = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = MASKED_SCORE;
  const causalMask = g.initializer("causal_mask", causal, [T, T]);

  // Forward.
  const sourceEmbedding = embed(source, S, "sourceEmbedding", config.sourceVocabSize);
  let x = sourceEmbedding.y;
  const encoderLayers: SubLayer[] = [];
  for (let i = 0; i < config.encoderLayers; i++) {
    const name = `encoder.${i}`;
    g.scope(name, () => {
      const attention = residual(x, `${name}.norm1`, (h) => selfAttention(h, S, sourceMask, `${name}.selfAttention`));
      const ffn = residual(attention.y, `${name}.norm2`, (h) => feedForward(h, `${name}.feedForward`));
      encoderLayers.push(attention, ffn);
      x = ffn.y;
    });
  }
  const encoderNorm = finalNorm(x, "encoderNorm");
  const memory = encoderNorm.y;
  const targetEmbedding = embed(decoderInput, T, "targetEmbedding", config.targetVocabSize);
  let y = targetEmbedding.y;
  const decoderLayers: SubLayer[] = [];
  const dMemory: string[] = [];
  for (let i = 0; i < config.decoderLayers; i++) {
    const name = `decoder.${i}`;
    g.scope(name, () => {
      const self = residual(y, `${name}.norm1`, (h) => selfAttention(h, T, causalMask, `${name}.selfAttention`));
      const cross = residual(self.y, `${name}.norm2`, (h) => crossAttention(h, memory, sourceMask, `${name}.crossAttention`, dMemory));
      const ffn = residual(cross.y, `${name}.norm3`, (h) => feedForward(h, `${name}.feedForward`));
      decoderLayers.push(self, cross, ffn);
      y = ffn.y;
    });
  }
  const decoderNorm = finalNorm(y, "decoderNorm");
  const output = t.linear(decoderNorm.y, "output", d, V);

  // Loss, then backward: the decoder, then the encoder from d(memory) summed over every cross-attention.
  const dLogits = t.labelSmoothedCrossEntropy(output.y, g.reshape(labels, [B * T]), V, g.reshape(labelWeights, [B * T]), labelSmoothing);
  let dy = decoderNorm.backward(t.linearBackward(dLogits, output));
  for (let i = decoderLayers.length - 1; i >= 0; i--) dy = g.scope(`decoder_grad${i}`, () => decoderLayers[i]!.backward(dy));
  targetEmbedding.backward(dy);
  let dx = encoderNorm.backward(dMemory.reduce((sum, term) => g.add(sum, term)));
  for (let i = encoderLayers.length - 1; i >= 0; i--) dx = g.scope(`encoder_grad${i}`, () => encoderLayers[i]!.backward(dx));
  sourceEmbedding.backward(dx);
  const graph = t.finish();
  // The layers declare their parameters as the forward pass reads them; list them as the model names them.
  const parameters = transformerParameterShapes(config);
  const declared = new Set(graph.parameters.map(({ name }) => name));
  if (parameters.length !== declared.size || parameters.some(({ name }) => !declared.has(name))) {
    throw new Error(`${where}: the graph's parameters (${[...declared].join(", ")}) are not the model's`);
  }
  return { bytes: graph.bytes, parameters };
}

/** Each label's weight in the loss: 1 on real labels, 0 on padding (the graph divides by their sum, the batch's labelCount). */
export function labelWeights(batch: PairBatch, padId: number): Float32Array {
  return Float32Array.from(batch.decoderOutput, (label) => (label === padId ? 0 : 1));
}

/**
 * Runs training graphs of one Transformer configuration with onnxruntime-node: one session per minibatch
 * shape (batch, source length, target length), built on first use (a few hundred ms) and reused.
 */
export class TransformerTrainingRunner {
  readonly config: TransformerConfig;
  readonly labelSmoothing: number;
  readonly threads: number;
  private readonly sessions: TrainingGraphSessions;

  constructor(config: TransformerConfig, labelSmoothing: number, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`Transformer: trainingThreads must be an integer ≥ 1, got ${threads}`);
    this.config = config;
    this.labelSmoothing = labelSmoothing;
    this.threads = threads;
    this.sessions = new TrainingGraphSessions("Transformer training graph", threads, (key) => {
      const [batch, sourceLength, targetLength] = JSON.parse(key) as [number, number, number];
      return buildTransformerTrainingGraph(config, labelSmoothing, batch, sourceLength, targetLength);
    });
  }

  /** Loss and gradients for the padded minibatch `batch` at the parameter values `parameters` (name → values, every parameter). */
  async lossAndGradients(parameters: ReadonlyMap<string, Float32Array>, batch: PairBatch): Promise<LossAndGradients> {
    const { batchSize: B, sourceLength: S, targetLength: T } = batch;
    if (batch.source.length !== B * S || batch.decoderInput.length !== B * T || batch.decoderOutput.length !== B * T) {
      throw new RangeError(`Transformer training graph: expected ${B}×${S} source ids and ${B}×${T} decoder inputs and labels, got ${batch.source.length}, ${batch.decoderInput.length} and ${batch.decoderOutput.length}`);
    }
    const weights = labelWeights(batch, this.config.padId);
    if (!weights.includes(1)) throw new RangeError("Transformer training graph: every label of the minibatch is padding, so there is nothing to learn from");
    const feeds: Record<string, Ort.Tensor> = {
      source: int64Feed(batch.source, [B, S]),
      decoderInput: int64Feed(batch.decoderInput, [B, T]),
      labels: int64Feed(batch.decoderOutput, [B, T]),
      weights: new (onnxRuntime().Tensor)("float32", weights, [B, T]),
    };
    return this.sessions.run(JSON.stringify([B, S, T]), feeds, parameters);
  }

  /** Frees the sessions (their planned memory); a later call builds them again. */
  async dispose(): Promise<void> {
    await this.sessions.dispose();
  }
}
