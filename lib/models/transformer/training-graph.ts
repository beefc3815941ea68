/**
 * The encoder–decoder Transformer's training step as one ONNX graph for onnxruntime-node, as the GPT's
 * (../gpt/training-graph): the forward pass, the label-smoothed loss and the backward pass written out with
 * the chain rule. Graph inputs are the padded minibatch (source, decoder input, labels, each label's weight
 * in the loss) and every parameter, named as `Transformer.namedParameters()` names them; outputs are the
 * loss and one gradient per parameter, `<name>.grad`. The formulas are those of ./model and ../attention,
 * so both engines give the same loss and gradients to float32 rounding — a test checks it.
 *
 * What the GPT's graph does not have, with M rows (batch·length) and ε the label smoothing:
 *
 *   x = √d·E[ids] + PE[0…L−1]                          dE += √d·onehot(ids)ᵀ·dx (the sinusoids are fixed)
 *   padding: scores + (−1e9 where the key is <pad>)    masked keys get P = 0, so dS = P·(…) = 0 there too
 *   cross-attention Q = y·W_Q, K/V = m·W_K/V           dm = dK·W_Kᵀ + dV·W_Vᵀ, summed over the decoder layers
 *   FFN h = relu(x·W₁ + b₁)                            du = dh·[u > 0]
 *   loss = Σ w·((1 − ε)·(−log p[label]) + ε·mean(−log p))     dlogits = w·(softmax − (1 − ε)·onehot − ε/V)
 *   post-LN x = LN(x + f(x))                           d(x + f(x)) = LNᵀ(dy), then dx = that + fᵀ(that)
 *
 * with w = 1/labelCount on real labels and 0 on padding (./model's lossSum divided by labelCount).
 * Shapes are fixed per (batch, source length, target length): onnxruntime plans memory once per shape.
 */
import type * as Ort from "onnxruntime-node";
import { GraphBuilder } from "../../onnx/builder";
import { float } from "../../onnx/proto";
import { createSession, onnxRuntime } from "../../onnx/runtime";
import { MASK_VALUE, sinusoidalPositionalEncoding } from "../attention";
import type { PairBatch } from "./data";
import type { TransformerConfig } from "./model";

/** LayerNorm's ε in ../layers. */
const LAYER_NORM_EPSILON = 1e-5;

/** One parameter input of the training graph. */
export interface TransformerGraphParameter {
  name: string;
  dims: number[];
}

/** The graph's bytes and its parameters in the order of `Transformer.namedParameters()`. */
export interface TransformerTrainingGraph {
  bytes: Uint8Array;
  parameters: TransformerGraphParameter[];
}

/** Names and shapes of a Transformer's parameters, in the order of `Transformer.namedParameters()`. */
export function transformerParameterShapes(config: TransformerConfig): TransformerGraphParameter[] {
  const { dModel: d, dFF: f } = config;
  const out: TransformerGraphParameter[] = [];
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

/** What a LayerNorm's forward pass keeps for its backward pass. */
interface NormSaved {
  name: string;
  normalised: string;
  inverseStd: string;
  gamma: string;
}

/** What a sub-layer's forward pass returns: its output [rows, d] and the backward pass from d(output) to d(input). */
interface SubLayer {
  y: string;
  backward: (dy: string) => string;
}

/**
 * Builds the training graph of a Transformer with `config` and label smoothing `labelSmoothing` for
 * minibatches of `batch` pairs padded to `sourceLength` source and `targetLength` target positions.
 * Inputs: `source` int64 [batch, sourceLength], `decoderInput` and `labels` int64 [batch, targetLength],
 * `weights` float32 [batch, targetLength] (each label's weight in the loss: 1/labelCount, 0 on padding),
 * then the parameters.
 */
export function buildTransformerTrainingGraph(config: TransformerConfig, labelSmoothing: number, batch: number, sourceLength: number, targetLength: number): TransformerTrainingGraph {
  const { dModel: d, heads: H, targetVocabSize: V, maxLength } = config;
  const where = "buildTransformerTrainingGraph";
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${where}: batch must be an integer ≥ 1, got ${batch}`);
  for (const [name, length] of [["sourceLength", sourceLength], ["targetLength", targetLength]] as const) {
    if (!Number.isInteger(length) || length < 1 || length > maxLength) throw new RangeError(`${where}: ${name} must be an integer in 1…${maxLength}, got ${length}`);
  }
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new RangeError(`${where}: labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  const B = batch;
  const S = sourceLength;
  const T = targetLength;
  const hd = d / H;
  const g = new GraphBuilder(`transformer-training-${B}x${S}x${T}`);
  const parameters = transformerParameterShapes(config);
  const weight = new Map(parameters.map(({ name, dims }) => [name, g.input(name, "float32", dims)]));
  const p = (name: string): string => {
    const value = weight.get(name);
    if (value === undefined) throw new Error(`${where}: no parameter ${name}`);
    return value;
  };
  const grads = new Map<string, string>();
  /** Adds `value` to the gradient of `name` (an embedding table is reached from several places). */
  const addGrad = (name: string, value: string) => {
    const existing = grads.get(name);
    grads.set(name, existing === undefined ? value : g.add(existing, value));
  };

  const gemm = (a: string, b: string, transA = 0, transB = 0, c?: string) => g.op("Gemm", c === undefined ? [a, b] : [a, b, c], { transA, transB });
  const sumRows = (x: string) => g.op("ReduceSum", [x, g.ints([0])], { keepdims: 0 });
  const meanLast = (x: string) => g.op("ReduceMean", [x], { axes: [-1], keepdims: 1 });
  const swapLast = (x: string) => g.transpose(x, [0, 1, 3, 2]);
  const oneHot = (ids: string, depth: number) => g.op("OneHot", [ids, g.ints([depth], true), g.initializer(g.fresh("onehot_values"), new Float32Array([0, 1]), [2])], { axis: -1 });
  const scale = g.scalar(1 / Math.sqrt(hd));
  /** [B·L, width] → [B, H, L, width/H] (width = d for one projection). */
  const toHeads = (y: string, L: number) => g.transpose(g.reshape(y, [B, L, H, hd]), [0, 2, 1, 3]);
  const fromHeads = (y: string, L: number) => g.reshape(g.transpose(y, [0, 2, 1, 3]), [B * L, d]);

  const layerNorm = (x: string, name: string): { y: string; saved: NormSaved } => {
    const gamma = p(`${name}.gamma`);
    const [y, mean, inverseStd] = g.node("LayerNormalization", [x, gamma, p(`${name}.beta`)], { axis: -1, epsilon: float(LAYER_NORM_EPSILON) }, { outputs: 3 });
    return { y: y!, saved: { name, normalised: g.mul(g.sub(x, mean!), inverseStd!), inverseStd: inverseStd!, gamma } };
  };
  const layerNormBackward = (dy: string, saved: NormSaved): string => {
    addGrad(`${saved.name}.gamma`, sumRows(g.mul(dy, saved.normalised)));
    addGrad(`${saved.name}.beta`, sumRows(dy));
    const dNormalised = g.mul(dy, saved.gamma);
    const centred = g.sub(g.sub(dNormalised, meanLast(dNormalised)), g.mul(saved.normalised, meanLast(g.mul(dNormalised, saved.normalised))));
    return g.mul(centred, saved.inverseStd);
  };
  /** y = x·W + b; the backward pass records dW, db and returns dx. */
  const linear = (x: string, name: string): SubLayer => {
    const w = p(`${name}.weight`);
    return {
      y: gemm(x, w, 0, 0, p(`${name}.bias`)),
      backward: (dy) => {
        addGrad(`${name}.weight`, gemm(x, dy, 1, 0));
        addGrad(`${name}.bias`, sumRows(dy));
        return gemm(dy, w, 0, 1);
      },
    };
  };
  const feedForward = (x: string, name: string): SubLayer => {
    const inner = linear(x, `${name}.inner`);
    const active = g.cast(g.op("Greater", [inner.y, g.scalar(0)]), "float32");
    const outer = linear(g.mul(inner.y, active), `${name}.outer`);
    return { y: outer.y, backward: (dy) => inner.backward(g.mul(outer.backward(dy), active)) };
  };
  /** softmax(q·kᵀ/√hd + bias)·v and its backward pass from d(output) to dq, dk, dv (all [B, H, L, hd]). */
  const attend = (q: string, k: string, v: string, bias: string) => {
    const probabilities = g.softmax(g.add(g.mul(g.matMul(q, swapLast(k)), scale), bias), -1);
    return {
      output: g.matMul(probabilities, v),
      backward: (dOutput: string) => {
        const dv = g.matMul(swapLast(probabilities), dOutput);
        const dProbabilities = g.matMul(dOutput, swapLast(v));
        const rowDot = g.op("ReduceSum", [g.mul(dProbabilities, probabilities), g.ints([-1])], { keepdims: 1 });
        const dScores = g.mul(g.mul(probabilities, g.sub(dProbabilities, rowDot)), scale);
        return { dq: g.matMul(dScores, k), dk: g.matMul(swapLast(dScores), q), dv };
      },
    };
  };
  /** Projections side by side: [d, n·d] weights and [n·d] biases of `names`, one product for all. */
  const fused = (name: string, parts: readonly string[]) => ({
    weight: g.concat(parts.map((part) => p(`${name}.${part}.weight`)), 1),
    bias: g.concat(parts.map((part) => p(`${name}.${part}.bias`)), 0),
  });
  /** [B·L, n·d] of n projections → n tensors [B, H, L, hd]. */
  const splitProjections = (y: string, L: number, n: number) =>
    g.node("Split", [g.transpose(g.reshape(y, [B, L, n, H, hd]), [2, 0, 3, 1, 4])], { axis: 0 }, { outputs: n }).map((part) => g.reshape(part, [B, H, L, hd]));
  /** n gradients [B, H, L, hd] → [B·L, n·d], the layout of {@link splitProjections}' input. */
  const joinProjections = (parts: readonly string[], L: number) =>
    g.reshape(g.transpose(g.concat(parts.map((part) => g.unsqueeze(part, [0])), 0), [1, 3, 0, 2, 4]), [B * L, parts.length * d]);
  /** Records the gradients of fused projections from x·W_fused + b_fused's output gradient; returns dx. */
  const fusedBackward = (x: string, dy: string, name: string, parts: readonly string[], weights: { weight: string }) => {
    const n = parts.length;
    g.node("Split", [gemm(x, dy, 1, 0)], { axis: 1 }, { outputs: n }).forEach((dw, i) => addGrad(`${name}.${parts[i]}.weight`, dw));
    g.node("Split", [sumRows(dy)], { axis: 0 }, { outputs: n }).forEach((db, i) => addGrad(`${name}.${parts[i]}.bias`, db));
    return gemm(dy, weights.weight, 0, 1);
  };
  const selfAttention = (x: string, L: number, bias: string, name: string): SubLayer => {
    const qkv = fused(name, ["wq", "wk", "wv"]);
    const [q, k, v] = splitProjections(gemm(x, qkv.weight, 0, 0, qkv.bias), L, 3) as [string, string, string];
    const attention = attend(q, k, v, bias);
    const projection = linear(fromHeads(attention.output, L), `${name}.wo`);
    return {
      y: projection.y,
      backward: (dy) => {
        const { dq, dk, dv } = attention.backward(toHeads(projection.backward(dy), L));
        return fusedBackward(x, joinProjections([dq, dk, dv], L), name, ["wq", "wk", "wv"], qkv);
      },
    };
  };
  /** Queries from x [B·T, d], keys and values from the encoder output [B·S, d]; the backward pass adds to dMemory. */
  const crossAttention = (x: string, memory: string, bias: string, name: string, dMemory: string[]): SubLayer => {
    const query = linear(x, `${name}.wq`);
    const kv = fused(name, ["wk", "wv"]);
    const [k, v] = splitProjections(gemm(memory, kv.weight, 0, 0, kv.bias), S, 2) as [string, string];
    const attention = attend(toHeads(query.y, T), k, v, bias);
    const projection = linear(fromHeads(attention.output, T), `${name}.wo`);
    return {
      y: projection.y,
      backward: (dy) => {
        const { dq, dk, dv } = attention.backward(toHeads(projection.backward(dy), T));
        dMemory.push(fusedBackward(memory, joinProjections([dk, dv], S), name, ["wk", "wv"], kv));
        return query.backward(fromHeads(dq, T));
      },
    };
  };
  /** A sub-layer inside its residual connection and LayerNorm, "pre" (x + f(LN(x))) or "post" (LN(x + f(x))). */
  const residual = (x: string, normName: string, sublayer: (h: string) => SubLayer): SubLayer => {
    if (config.norm === "pre") {
      const norm = layerNorm(x, normName);
      const f = sublayer(norm.y);
      return { y: g.add(x, f.y), backward: (dy) => g.add(dy, layerNormBackward(f.backward(dy), norm.saved)) };
    }
    const f = sublayer(x);
    const norm = layerNorm(g.add(x, f.y), normName);
    return {
      y: norm.y,
      backward: (dy) => {
        const dSum = layerNormBackward(dy, norm.saved);
        return g.add(dSum, f.backward(dSum));
      },
    };
  };
  /** √d·E[ids] + PE: [B·L, d]; the backward pass records the table's gradient. */
  const embed = (ids: string, L: number, table: string) => {
    const flatIds = g.reshape(ids, [B * L]);
    const encoding = sinusoidalPositionalEncoding(L, d);
    const positions = g.initializer(g.fresh("positions"), encoding.dataSync() as Float32Array, [L, d]);
    encoding.dispose();
    const vocab = table === "sourceEmbedding" ? config.sourceVocabSize : config.targetVocabSize;
    const tokens = g.mul(g.reshape(g.gather(p(`${table}.table`), flatIds), [B, L, d]), g.scalar(Math.sqrt(d)));
    return {
      y: g.reshape(g.add(tokens, positions), [B * L, d]),
      backward: (dx: string) => addGrad(`${table}.table`, g.op("Gemm", [oneHot(flatIds, vocab), dx], { transA: 1, alpha: float(Math.sqrt(d)) })),
    };
  };

  const source = g.input("source", "int64", [B, S]);
  const decoderInput = g.input("decoderInput", "int64", [B, T]);
  const labels = g.input("labels", "int64", [B, T]);
  const labelWeights = g.input("weights", "float32", [B, T]);

  // Masks as additive biases: −1e9 on hidden keys, as ../attention adds (1 − mask)·MASK_VALUE.
  const padding = g.cast(g.op("Equal", [source, g.ints([config.padId], true)]), "float32");
  const sourceBias = g.reshape(g.mul(padding, g.scalar(MASK_VALUE)), [B, 1, 1, S]);
  const causal = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = MASK_VALUE;
  const causalBias = g.initializer("causal_bias", causal, [T, T]);

  // Encoder.
  const sourceEmbedding = embed(source, S, "sourceEmbedding");
  let x = sourceEmbedding.y;
  const encoderLayers: SubLayer[] = [];
  for (let i = 0; i < config.encoderLayers; i++) {
    g.scope(`encoder${i}`, () => {
      const name = `encoder.${i}`;
      const attention = residual(x, `${name}.norm1`, (h) => selfAttention(h, S, sourceBias, `${name}.selfAttention`));
      const ffn = residual(attention.y, `${name}.norm2`, (h) => feedForward(h, `${name}.feedForward`));
      encoderLayers.push(attention, ffn);
      x = ffn.y;
    });
  }
  const encoderNorm = config.norm === "pre" ? layerNorm(x, "encoderNorm") : null;
  const memory = encoderNorm === null ? x : encoderNorm.y;

  // Decoder.
  const targetEmbedding = embed(decoderInput, T, "targetEmbedding");
  let y = targetEmbedding.y;
  const decoderLayers: SubLayer[] = [];
  const dMemory: string[] = [];
  for (let i = 0; i < config.decoderLayers; i++) {
    g.scope(`decoder${i}`, () => {
      const name = `decoder.${i}`;
      const self = residual(y, `${name}.norm1`, (h) => selfAttention(h, T, causalBias, `${name}.selfAttention`));
      const cross = residual(self.y, `${name}.norm2`, (h) => crossAttention(h, memory, sourceBias, `${name}.crossAttention`, dMemory));
      const ffn = residual(cross.y, `${name}.norm3`, (h) => feedForward(h, `${name}.feedForward`));
      decoderLayers.push(self, cross, ffn);
      y = ffn.y;
    });
  }
  const decoderNorm = config.norm === "pre" ? layerNorm(y, "decoderNorm") : null;
  const output = linear(decoderNorm === null ? y : decoderNorm.y, "output");

  // Loss: Σ w·((1 − ε)·(−log p[label]) + ε·mean(−log p)).
  const M = B * T;
  const logProbabilities = g.op("LogSoftmax", [output.y], { axis: -1 });
  const labelOneHot = oneHot(g.reshape(labels, [M]), V);
  const rowWeights = g.reshape(labelWeights, [M, 1]);
  const epsilon = labelSmoothing;
  let rowLoss = g.mul(g.op("ReduceSum", [g.mul(logProbabilities, labelOneHot), g.ints([-1])], { keepdims: 1 }), g.scalar(-1));
  let dLogits = g.sub(g.op("Exp", [logProbabilities]), labelOneHot);
  if (epsilon > 0) {
    rowLoss = g.add(g.mul(rowLoss, g.scalar(1 - epsilon)), g.mul(meanLast(logProbabilities), g.scalar(-epsilon)));
    dLogits = g.sub(g.sub(g.op("Exp", [logProbabilities]), g.mul(labelOneHot, g.scalar(1 - epsilon))), g.scalar(epsilon / V));
  }
  g.op("ReduceSum", [g.mul(rowLoss, rowWeights)], { keepdims: 0 }, "loss");

  // Backward: decoder, then the encoder through the gradient of its output collected from every cross-attention.
  let dy = output.backward(g.mul(dLogits, rowWeights));
  if (decoderNorm !== null) dy = layerNormBackward(dy, decoderNorm.saved);
  for (let i = decoderLayers.length - 1; i >= 0; i--) dy = g.scope(`decoder_grad${i}`, () => decoderLayers[i]!.backward(dy));
  targetEmbedding.backward(dy);
  let dx = dMemory.reduce((sum, term) => g.add(sum, term));
  if (encoderNorm !== null) dx = layerNormBackward(dx, encoderNorm.saved);
  for (let i = encoderLayers.length - 1; i >= 0; i--) dx = g.scope(`encoder_grad${i}`, () => encoderLayers[i]!.backward(dx));
  sourceEmbedding.backward(dx);

  g.output("loss", "float32", []);
  for (const { name, dims } of parameters) {
    const grad = grads.get(name);
    if (grad === undefined) throw new Error(`${where}: no gradient for ${name}`);
    g.op("Identity", [grad], {}, `${name}.grad`);
    g.output(`${name}.grad`, "float32", dims);
  }
  return { bytes: g.toBytes(), parameters };
}

/** Each label's weight in the mean loss: 1/labelCount on real labels, 0 on padding (./model's lossSum / labelCount). */
export function labelWeights(batch: PairBatch, padId: number): Float32Array {
  const weights = new Float32Array(batch.decoderOutput.length);
  for (let i = 0; i < weights.length; i++) if (batch.decoderOutput[i] !== padId) weights[i] = 1 / batch.labelCount;
  return weights;
}

/** The loss of a minibatch and the gradient of every parameter, by parameter name. */
export interface TransformerLossAndGradients {
  loss: number;
  gradients: Map<string, Float32Array>;
}

/** Sessions kept at once: minibatches padded to their longest pair come in a few dozen shapes. */
const MAX_SESSIONS = 32;

/**
 * Runs training graphs of one Transformer configuration with onnxruntime-node, building one session per
 * minibatch shape (batch, source length, target length) on first use (a few hundred ms) and reusing it;
 * past {@link MAX_SESSIONS} shapes the least recently used session is released. Steps run one at a time.
 */
export class TransformerTrainingRunner {
  readonly config: TransformerConfig;
  readonly labelSmoothing: number;
  readonly threads: number;
  private readonly sessions = new Map<string, Promise<{ session: Ort.InferenceSession; graph: TransformerTrainingGraph }>>();

  constructor(config: TransformerConfig, labelSmoothing: number, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`Transformer: trainingThreads must be an integer ≥ 1, got ${threads}`);
    this.config = config;
    this.labelSmoothing = labelSmoothing;
    this.threads = threads;
  }

  private session(batch: number, sourceLength: number, targetLength: number) {
    const key = `${batch}x${sourceLength}x${targetLength}`;
    let entry = this.sessions.get(key);
    if (entry !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.sessions.delete(key);
      this.sessions.set(key, entry);
      return entry;
    }
    const graph = buildTransformerTrainingGraph(this.config, this.labelSmoothing, batch, sourceLength, targetLength);
    entry = createSession(graph.bytes, { threads: this.threads }).then((session) => ({ session, graph }));
    this.sessions.set(key, entry);
    // A failed build is not cached: the next call tries again and reports its own error.
    entry.catch(() => this.sessions.delete(key));
    if (this.sessions.size > MAX_SESSIONS) {
      const [oldestKey, oldest] = this.sessions.entries().next().value!;
      this.sessions.delete(oldestKey);
      void oldest.then((built) => built.session.release()).catch(() => undefined);
    }
    return entry;
  }

  /** Loss and gradients for the padded minibatch `batch` at the parameter values `parameters` (name → values, every parameter). */
  async lossAndGradients(parameters: ReadonlyMap<string, Float32Array>, batch: PairBatch): Promise<TransformerLossAndGradients> {
    const { batchSize: B, sourceLength: S, targetLength: T } = batch;
    if (batch.source.length !== B * S || batch.decoderInput.length !== B * T || batch.decoderOutput.length !== B * T) {
      throw new RangeError(`Transformer training graph: expected ${B}×${S} source ids and ${B}×${T} decoder inputs and labels, got ${batch.source.length}, ${batch.decoderInput.length} and ${batch.decoderOutput.length}`);
    }
    if (!(batch.labelCount > 0)) throw new RangeError(`Transformer training graph: the minibatch has no label (labelCount ${batch.labelCount})`);
    const { session, graph } = await this.session(B, S, T);
    const ort = onnxRuntime();
    const ids = (values: Int32Array, dims: number[]) => new ort.Tensor("int64", BigInt64Array.from(values, (id) => BigInt(id)), dims);
    const feeds: Record<string, Ort.Tensor> = {
      source: ids(batch.source, [B, S]),
      decoderInput: ids(batch.decoderInput, [B, T]),
      labels: ids(batch.decoderOutput, [B, T]),
      weights: new ort.Tensor("float32", labelWeights(batch, this.config.padId), [B, T]),
    };
    for (const { name, dims } of graph.parameters) {
      const values = parameters.get(name);
      const size = dims.reduce((a, b) => a * b, 1);
      if (values === undefined || values.length !== size) throw new Error(`Transformer training graph: parameter ${name} needs ${size} values, got ${values?.length ?? "none"}`);
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
