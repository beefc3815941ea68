/**
 * The encoder–decoder Transformer of "Attention is all you need" (Vaswani et al. 2017), small enough to
 * train on a laptop CPU, for TP7's English → French translation:
 *
 *   encoder: x = Emb_src(source)·√d + PE;   N × [self-attention (padding masked), feed-forward]
 *   decoder: y = Emb_tgt(<s> target)·√d + PE; N × [masked self-attention, cross-attention to the encoder, feed-forward]
 *   logits = y·W_out + b_out;   loss = cross-entropy of the next target word, padding ignored
 *
 * Every sub-layer is wrapped in a residual connection with a LayerNorm, in one of two placements:
 * - "post" (the paper): x = LN(x + sublayer(x)). Needs a careful warm-up: gradients near the input are
 *   small at first and large learning rates diverge.
 * - "pre" (GPT-2 and most modern models; the default): x = x + sublayer(LN(x)), plus a final LN on each
 *   stack. The residual path is an identity from input to output, which trains reliably with less warm-up.
 *
 * Training implements the course's {@link Trainable}: `train(model, { train, dev, … })` from lib/training
 * runs it, with AdamW (./optim) at the learning rate the loop's schedule gives (use `warmupCosineLr`).
 * Decoding is greedy, with a KV cache in every decoder self-attention and the encoder's keys/values
 * computed once per sentence for the cross-attention.
 *
 * No dropout: the number-words corpus offers hundreds of thousands of pairs, more than a few minutes of
 * training can over-fit. Call `await initBackend()` (lib/backend) first.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../random";
import type { Trainable } from "../../training/trainable";
import {
  causalMask,
  decoderLayerParameterCount,
  encoderLayerParameterCount,
  MultiHeadAttention,
  sinusoidalPositionalEncoding,
  type KeyValues,
} from "../attention";
import { checkPositiveInteger, Embedding, FeedForward, LayerNorm, layerNormParameterCount, Linear, linearParameterCount, type Module } from "../layers";
import { loadCheckpoint, saveCheckpoint, type CheckpointManifest } from "../checkpoint";
import { AdamW, type AdamWOptions } from "../optim";
import { makePairBatch, type PairBatch, type SequencePairs, type SpecialIds } from "./data";
import { offLimitsDuringChecks } from "../../grading/off-limits";
import { chooseTrainingEngine, type TrainingEngine } from "../../onnx/training-layers";
import { TransformerTrainingRunner } from "./training-graph";

/** Where the LayerNorms sit: "post" = LN(x + f(x)) as in the paper, "pre" = x + f(LN(x)). */
export type NormPlacement = "pre" | "post";

/** The architecture: everything needed to rebuild the model (saved in checkpoints). */
export interface TransformerConfig {
  sourceVocabSize: number;
  targetVocabSize: number;
  /** Width of every token vector (default 64). */
  dModel: number;
  /** Attention heads per layer; must divide dModel (default 4). */
  heads: number;
  /** Hidden width of the feed-forward blocks (default 4·dModel). */
  dFF: number;
  /** Encoder layers N (default 2). */
  encoderLayers: number;
  /** Decoder layers N (default 2). */
  decoderLayers: number;
  /** Longest source, and longest target + 1 (for <s>), the model accepts: rows of the positional table (default 64). */
  maxLength: number;
  /** LayerNorm placement (default "pre"). */
  norm: NormPlacement;
  /** Padding id (both sides), start and end of the target (defaults 0, 1, 2: the course's `<pad> <s> </s> <unk>`). */
  padId: number;
  bosId: number;
  eosId: number;
  /** Seed of the initial weights (default 42). */
  seed: number;
}

/** Options of {@link Transformer}: the vocabulary sizes, anything else defaults. */
export type TransformerOptions = Pick<TransformerConfig, "sourceVocabSize" | "targetVocabSize"> & Partial<TransformerConfig> & {
  /** Optimiser settings (default AdamW β = (0.9, 0.98), weight decay 0.01, gradient clipping at norm 1). */
  optimizer?: AdamWOptions;
  /** Label smoothing ε of the training loss (default 0): the target gets 1 − ε, the rest ε spread over the vocabulary. */
  labelSmoothing?: number;
  /**
   * What computes the training step's gradients: "onnxruntime" (the step as one compiled ONNX graph,
   * ./training-graph, run by native kernels), "tfjs" (autograd on the tfjs backend), or "auto" (default:
   * onnxruntime when onnxruntime-node loads). Same numbers to float32 rounding.
   */
  trainingEngine?: TrainingEngine | "auto";
  /** onnxruntime threads for training (default: the machine's cores, at most 8). */
  trainingThreads?: number;
};

/** Fills the defaults and checks a configuration; throws naming the first bad field. */
export function transformerConfig(options: TransformerOptions): TransformerConfig {
  if (options === null || typeof options !== "object") throw new TypeError("Transformer: options must be an object such as { sourceVocabSize: 40, targetVocabSize: 40 }");
  const dModel = options.dModel ?? 64;
  const config: TransformerConfig = {
    sourceVocabSize: options.sourceVocabSize,
    targetVocabSize: options.targetVocabSize,
    dModel,
    heads: options.heads ?? 4,
    dFF: options.dFF ?? 4 * dModel,
    encoderLayers: options.encoderLayers ?? 2,
    decoderLayers: options.decoderLayers ?? 2,
    maxLength: options.maxLength ?? 64,
    norm: options.norm ?? "pre",
    padId: options.padId ?? 0,
    bosId: options.bosId ?? 1,
    eosId: options.eosId ?? 2,
    seed: options.seed ?? 42,
  };
  for (const key of ["sourceVocabSize", "targetVocabSize", "dModel", "heads", "dFF", "encoderLayers", "decoderLayers", "maxLength"] as const) {
    checkPositiveInteger(config[key], key, "Transformer");
  }
  if (config.dModel % config.heads !== 0) throw new RangeError(`Transformer: heads (${config.heads}) must divide dModel (${config.dModel})`);
  if (config.norm !== "pre" && config.norm !== "post") throw new RangeError(`Transformer: norm must be "pre" or "post", got ${String(config.norm)}`);
  for (const key of ["padId", "bosId", "eosId"] as const) {
    const id = config[key];
    if (!Number.isInteger(id) || id < 0 || id >= Math.min(config.sourceVocabSize, config.targetVocabSize)) {
      throw new RangeError(`Transformer: ${key} = ${id} is not an id of both vocabularies (sizes ${config.sourceVocabSize} and ${config.targetVocabSize})`);
    }
  }
  if (!Number.isFinite(config.seed)) throw new RangeError(`Transformer: seed must be a number, got ${config.seed}`);
  return config;
}

/** Trainable numbers of a configuration, by formula (equals `countParameters(model)`). */
export const transformerParameterCount = offLimitsDuringChecks("transformerParameterCount", function transformerParameterCount(options: TransformerOptions): number {
  const c = transformerConfig(options);
  const embeddings = (c.sourceVocabSize + c.targetVocabSize) * c.dModel;
  const layers = c.encoderLayers * encoderLayerParameterCount(c.dModel, c.dFF) + c.decoderLayers * decoderLayerParameterCount(c.dModel, c.dFF);
  const finalNorms = c.norm === "pre" ? 2 * layerNormParameterCount(c.dModel) : 0;
  return embeddings + layers + finalNorms + linearParameterCount(c.dModel, c.targetVocabSize);
});

/** Residual + LayerNorm around `sublayer`, in the configured placement. */
function residual(norm: NormPlacement, ln: LayerNorm, x: tf.Tensor, sublayer: (h: tf.Tensor) => tf.Tensor): tf.Tensor {
  return norm === "pre" ? tf.add(x, sublayer(ln.apply(x))) : ln.apply(tf.add(x, sublayer(x)));
}

function collect(...modules: Module[]): [string, tf.Variable][] {
  return modules.flatMap((m) => m.namedParameters());
}

/** One encoder layer: self-attention over the source, then a feed-forward block. */
export class EncoderLayer implements Module {
  readonly selfAttention: MultiHeadAttention;
  readonly feedForward: FeedForward;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;

  constructor(readonly config: TransformerConfig, rng: Random, name: string) {
    this.selfAttention = new MultiHeadAttention({ dModel: config.dModel, heads: config.heads, rng, name: `${name}.selfAttention` });
    this.feedForward = new FeedForward(config.dModel, config.dFF, { rng, name: `${name}.feedForward` });
    this.norm1 = new LayerNorm(config.dModel, { name: `${name}.norm1` });
    this.norm2 = new LayerNorm(config.dModel, { name: `${name}.norm2` });
  }

  /** x [batch, S, d] → [batch, S, d]; `weights` receives the self-attention weights [batch, heads, S, S]. */
  apply(x: tf.Tensor, sourceMask: tf.Tensor, weights?: tf.Tensor[]): tf.Tensor {
    const h = residual(this.config.norm, this.norm1, x, (z) => {
      const r = this.selfAttention.forward(z, null, { mask: sourceMask });
      weights?.push(r.weights);
      return r.output;
    });
    return residual(this.config.norm, this.norm2, h, (z) => this.feedForward.apply(z));
  }

  namedParameters(): [string, tf.Variable][] {
    return collect(this.selfAttention, this.feedForward, this.norm1, this.norm2);
  }

  dispose(): void {
    for (const m of [this.selfAttention, this.feedForward, this.norm1, this.norm2]) m.dispose();
  }
}

/** Attention weights of one decoder layer. */
interface DecoderWeights {
  self: tf.Tensor[];
  cross: tf.Tensor[];
}

/** One decoder layer: masked self-attention, cross-attention to the encoder output, feed-forward. */
export class DecoderLayer implements Module {
  readonly selfAttention: MultiHeadAttention;
  readonly crossAttention: MultiHeadAttention;
  readonly feedForward: FeedForward;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;

  constructor(readonly config: TransformerConfig, rng: Random, name: string) {
    const { dModel, heads } = config;
    this.selfAttention = new MultiHeadAttention({ dModel, heads, rng, name: `${name}.selfAttention` });
    this.crossAttention = new MultiHeadAttention({ dModel, heads, rng, name: `${name}.crossAttention` });
    this.feedForward = new FeedForward(dModel, config.dFF, { rng, name: `${name}.feedForward` });
    this.norm1 = new LayerNorm(dModel, { name: `${name}.norm1` });
    this.norm2 = new LayerNorm(dModel, { name: `${name}.norm2` });
    this.norm3 = new LayerNorm(dModel, { name: `${name}.norm3` });
  }

  /** Whole target at once (teacher forcing): y [batch, T, d], the encoder's keys/values, masks. */
  apply(y: tf.Tensor, memory: KeyValues, targetMask: tf.Tensor, sourceMask: tf.Tensor, weights?: DecoderWeights): tf.Tensor {
    const norm = this.config.norm;
    const a = residual(norm, this.norm1, y, (z) => {
      const r = this.selfAttention.forward(z, null, { mask: targetMask });
      weights?.self.push(r.weights);
      return r.output;
    });
    const b = residual(norm, this.norm2, a, (z) => {
      const r = this.crossAttention.attend(z, memory, { mask: sourceMask });
      weights?.cross.push(r.weights);
      return r.output;
    });
    return residual(norm, this.norm3, b, (z) => this.feedForward.apply(z));
  }

  /** New positions y [batch, Tnew, d] with this layer's self-attention cache; returns the output and the extended cache. */
  step(y: tf.Tensor, past: KeyValues | null, memory: KeyValues, sourceMask: tf.Tensor): { output: tf.Tensor; cache: KeyValues } {
    const norm = this.config.norm;
    let cache: KeyValues | null = null;
    const a = residual(norm, this.norm1, y, (z) => {
      const r = this.selfAttention.step(z, past);
      cache = r.cache;
      return r.output;
    });
    const b = residual(norm, this.norm2, a, (z) => this.crossAttention.attend(z, memory, { mask: sourceMask }).output);
    const output = residual(norm, this.norm3, b, (z) => this.feedForward.apply(z));
    return { output, cache: cache! };
  }

  namedParameters(): [string, tf.Variable][] {
    return collect(this.selfAttention, this.crossAttention, this.feedForward, this.norm1, this.norm2, this.norm3);
  }

  dispose(): void {
    for (const m of [this.selfAttention, this.crossAttention, this.feedForward, this.norm1, this.norm2, this.norm3]) m.dispose();
  }
}

/** Attention weights of a teacher-forced pass, as nested arrays: [layer][head][query][key]. */
export interface AttentionMaps {
  /** Encoder self-attention: [layer][head][source][source]. */
  encoderSelf: number[][][][];
  /** Decoder masked self-attention: [layer][head][output position][input position]. */
  decoderSelf: number[][][][];
  /** Cross-attention: [layer][head][output position][source position] — which source word each output word reads. */
  cross: number[][][][];
}

/** Greedy-decoding options. */
export interface DecodeOptions {
  /** Most tokens generated per sentence, </s> excluded (default maxLength − 1). */
  maxTokens?: number;
  /** Sentences decoded at once (default 256). */
  batchSize?: number;
  /** Recompute the whole prefix at every step instead of using the KV cache (slower; for checking the cache). */
  noCache?: boolean;
}

/** Exact-match result of {@link Transformer.exactMatch}. */
export interface ExactMatch {
  correct: number;
  total: number;
  /** correct / total. */
  accuracy: number;
  /** The decoded ids of each example, </s> excluded. */
  predictions: number[][];
}

/** The `format` field of a Transformer checkpoint's config.json. */
export const TRANSFORMER_FORMAT = "llm-course/transformer";

/** Examples per forward pass in `evaluate`, so a large dev set never needs one huge tensor. */
const EVAL_BATCH = 512;

function toArrays(t: tf.Tensor): number[][][][] {
  return t.arraySync() as number[][][][];
}

/** An encoder–decoder Transformer for sequence-to-sequence tasks, trainable by the course's `train` loop. */
export class Transformer implements Trainable<SequencePairs>, Module {
  readonly config: TransformerConfig;
  readonly sourceEmbedding: Embedding;
  readonly targetEmbedding: Embedding;
  readonly encoder: EncoderLayer[];
  readonly decoder: DecoderLayer[];
  /** Final LayerNorms of the two stacks (pre-LN only: post-LN layers already end normalised). */
  readonly encoderNorm: LayerNorm | null;
  readonly decoderNorm: LayerNorm | null;
  readonly output: Linear;
  readonly labelSmoothing: number;
  /** What computes the training step's gradients (see `TransformerOptions.trainingEngine`). */
  readonly trainingEngine: TrainingEngine;
  private readonly trainingRunner: TransformerTrainingRunner | null;
  private readonly positions: tf.Tensor2D;
  /** The optimiser's settings (AdamW's defaults, clipping at norm 1, and the options given). */
  readonly optimizerOptions: AdamWOptions;
  private optimizer: AdamW | null = null;
  private disposed = false;

  constructor(options: TransformerOptions) {
    const config = transformerConfig(options);
    const smoothing = options.labelSmoothing ?? 0;
    if (typeof smoothing !== "number" || !(smoothing >= 0 && smoothing < 1)) throw new RangeError(`Transformer: labelSmoothing must be in [0, 1), got ${smoothing}`);
    this.config = config;
    this.labelSmoothing = smoothing;
    this.optimizerOptions = { clipNorm: 1, ...options.optimizer };
    this.trainingEngine = chooseTrainingEngine(options.trainingEngine ?? "auto", "Transformer");
    this.trainingRunner = this.trainingEngine === "onnxruntime" ? new TransformerTrainingRunner(config, smoothing, options.trainingThreads ?? Math.min(8, os.cpus().length)) : null;
    const rng = new Random(config.seed);
    const { dModel } = config;
    this.sourceEmbedding = new Embedding(config.sourceVocabSize, dModel, { rng, name: "sourceEmbedding" });
    this.targetEmbedding = new Embedding(config.targetVocabSize, dModel, { rng, name: "targetEmbedding" });
    this.encoder = Array.from({ length: config.encoderLayers }, (_, i) => new EncoderLayer(config, rng, `encoder.${i}`));
    this.decoder = Array.from({ length: config.decoderLayers }, (_, i) => new DecoderLayer(config, rng, `decoder.${i}`));
    this.encoderNorm = config.norm === "pre" ? new LayerNorm(dModel, { name: "encoderNorm" }) : null;
    this.decoderNorm = config.norm === "pre" ? new LayerNorm(dModel, { name: "decoderNorm" }) : null;
    this.output = new Linear(dModel, config.targetVocabSize, { rng, name: "output" });
    this.positions = sinusoidalPositionalEncoding(config.maxLength, dModel);
  }

  /** onnxruntime's threads for training steps, or null when tfjs trains. */
  get trainingThreads(): number | null {
    return this.trainingRunner?.threads ?? null;
  }

  /** The special ids (padding, start, end). */
  get special(): SpecialIds {
    return { pad: this.config.padId, bos: this.config.bosId, eos: this.config.eosId };
  }

  namedParameters(): [string, tf.Variable][] {
    const modules: Module[] = [this.sourceEmbedding, this.targetEmbedding, ...this.encoder, ...this.decoder];
    if (this.encoderNorm) modules.push(this.encoderNorm);
    if (this.decoderNorm) modules.push(this.decoderNorm);
    modules.push(this.output);
    return collect(...modules);
  }

  private checkAlive(where: string): void {
    if (this.disposed) throw new Error(`Transformer.${where}: the model was disposed`);
  }

  /** Token vectors ·√d_model plus positions `offset …` (√d puts the embeddings on the scale of the ±1 encodings). */
  private embed(table: Embedding, ids: tf.Tensor2D, offset = 0): tf.Tensor {
    const [, t] = ids.shape;
    if (offset + t > this.config.maxLength) throw new RangeError(`Transformer: position ${offset + t - 1} is beyond maxLength ${this.config.maxLength}`);
    return tf.add(tf.mul(table.apply(ids), Math.sqrt(this.config.dModel)), this.positions.slice([offset, 0], [t, this.config.dModel]));
  }

  /** 0/1 source mask [batch, 1, S]: 1 on real tokens, 0 on padding. */
  private sourceMask(source: tf.Tensor2D): tf.Tensor {
    return tf.notEqual(source, tf.scalar(this.config.padId, "int32")).toFloat().expandDims(1);
  }

  /** Encoder output [batch, S, d] for source ids [batch, S]; `weights` receives each layer's self-attention. */
  encode(source: tf.Tensor2D, sourceMask: tf.Tensor, weights?: tf.Tensor[]): tf.Tensor {
    this.checkAlive("encode");
    return tf.tidy(() => {
      let x = this.embed(this.sourceEmbedding, source);
      for (const layer of this.encoder) x = layer.apply(x, sourceMask, weights);
      return this.encoderNorm ? this.encoderNorm.apply(x) : x;
    });
  }

  /** Teacher-forced logits [batch, T, V_target] for source ids [batch, S] and decoder inputs [batch, T] (<s> + target). */
  forward(source: tf.Tensor2D, decoderInput: tf.Tensor2D): tf.Tensor3D {
    this.checkAlive("forward");
    return tf.tidy(() => this.run(source, decoderInput));
  }

  /** forward without its own tidy scope, so that the attention weights it collects survive until the caller's scope ends. */
  private run(source: tf.Tensor2D, decoderInput: tf.Tensor2D, weights?: { encoder: tf.Tensor[]; decoder: DecoderWeights }): tf.Tensor3D {
    if (source.rank !== 2 || decoderInput.rank !== 2 || source.shape[0] !== decoderInput.shape[0]) {
      throw new RangeError(`Transformer.forward: source [batch, S] and decoderInput [batch, T] need the same batch, got [${source.shape.join(", ")}] and [${decoderInput.shape.join(", ")}]`);
    }
    const sourceMask = this.sourceMask(source);
    let x = this.embed(this.sourceEmbedding, source);
    for (const layer of this.encoder) x = layer.apply(x, sourceMask, weights?.encoder);
    const memory = this.encoderNorm ? this.encoderNorm.apply(x) : x;
    // Right padding: a real position never sees a later pad through the causal mask, so no target padding mask is needed.
    const targetMask = causalMask(decoderInput.shape[1]);
    let y = this.embed(this.targetEmbedding, decoderInput);
    for (const layer of this.decoder) y = layer.apply(y, layer.crossAttention.keyValues(memory), targetMask, sourceMask, weights?.decoder);
    if (this.decoderNorm) y = this.decoderNorm.apply(y);
    return this.output.apply(y) as tf.Tensor3D;
  }

  /**
   * Sum of −log p(label) over the non-padding labels of a batch (label smoothing mixes in the mean
   * −log p over the vocabulary), as a scalar tensor; divide by `batch.labelCount` for the mean.
   */
  private lossSum(batch: PairBatch, smoothing: number): tf.Scalar {
    return tf.tidy(() => {
      const { batchSize: b, sourceLength: s, targetLength: t } = batch;
      const source = tf.tensor2d(batch.source, [b, s], "int32");
      const input = tf.tensor2d(batch.decoderInput, [b, t], "int32");
      const labels = tf.tensor1d(batch.decoderOutput, "int32");
      const logits = this.forward(source, input).reshape([b * t, this.config.targetVocabSize]);
      const logProbs = tf.logSoftmax(logits);
      // A one-hot product picks log p(label): tf.gather's gradient is missing on wasm.
      const oneHot = tf.oneHot(labels, this.config.targetVocabSize).toFloat();
      let nll = tf.neg(tf.sum(tf.mul(oneHot, logProbs), 1));
      if (smoothing > 0) nll = tf.add(tf.mul(nll, 1 - smoothing), tf.mul(tf.neg(tf.mean(logProbs, 1)), smoothing));
      const keep = tf.notEqual(labels, tf.scalar(this.config.padId, "int32")).toFloat();
      return tf.sum(tf.mul(nll, keep)) as tf.Scalar;
    });
  }

  /** The training loss of a padded minibatch: mean label-smoothed −log p(label) over its non-padding labels. */
  loss(batch: PairBatch): tf.Scalar {
    this.checkAlive("loss");
    return tf.tidy(() => tf.div(this.lossSum(batch, this.labelSmoothing), batch.labelCount) as tf.Scalar);
  }

  /**
   * One AdamW step on the examples `indices` of `data` at learning rate `lr`; resolves to the mean token
   * loss before the update. Steps must be awaited one after the other.
   */
  async trainStep(data: SequencePairs, indices: Int32Array, lr: number): Promise<number> {
    this.checkAlive("trainStep");
    const batch = makePairBatch(data, indices, this.special, this.config.maxLength, this.config.maxLength);
    this.optimizer ??= new AdamW(this.namedParameters(), this.optimizerOptions);
    const optimizer = this.optimizer;
    if (this.trainingRunner !== null) {
      const values = optimizer.parameterValues();
      const { loss, gradients } = await this.trainingRunner.lossAndGradients(values, batch);
      this.checkAlive("trainStep");
      optimizer.applyNamed(gradients, lr);
      return loss;
    }
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.loss(batch), optimizer.variables);
      optimizer.apply(grads, lr);
      return value;
    });
    const result = loss.dataSync()[0]!;
    loss.dispose();
    return result;
  }

  /** Mean negative log-likelihood per target token (</s> included, padding excluded, no label smoothing), in nats. */
  evaluate(data: SequencePairs): number {
    this.checkAlive("evaluate");
    if (data.size < 1) throw new RangeError("Transformer.evaluate: empty dataset");
    let total = 0;
    let count = 0;
    for (let start = 0; start < data.size; start += EVAL_BATCH) {
      const indices = Int32Array.from({ length: Math.min(EVAL_BATCH, data.size - start) }, (_, i) => start + i);
      const batch = makePairBatch(data, indices, this.special, this.config.maxLength, this.config.maxLength);
      const sum = this.lossSum(batch, 0);
      total += sum.dataSync()[0]!;
      sum.dispose();
      count += batch.labelCount;
    }
    return total / count;
  }

  /** exp(mean token NLL): the number of equally likely words the model hesitates between, on average. */
  perplexity(data: SequencePairs): number {
    return Math.exp(this.evaluate(data));
  }

  /**
   * Greedy translation of each source (ids without specials): at each step the most probable next word,
   * until </s> or `maxTokens`. Returns the ids produced, </s> excluded.
   */
  greedyDecode(sources: readonly (readonly number[])[], options: DecodeOptions = {}): number[][] {
    this.checkAlive("greedyDecode");
    const maxTokens = options.maxTokens ?? this.config.maxLength - 1;
    if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > this.config.maxLength - 1) {
      throw new RangeError(`Transformer.greedyDecode: maxTokens must be an integer in 1…${this.config.maxLength - 1}, got ${maxTokens}`);
    }
    const batchSize = options.batchSize ?? 256;
    checkPositiveInteger(batchSize, "batchSize", "Transformer.greedyDecode");
    const results: number[][] = [];
    for (let start = 0; start < sources.length; start += batchSize) {
      const chunk = sources.slice(start, start + batchSize);
      results.push(...(options.noCache ? this.decodeWithoutCache(chunk, maxTokens) : this.decodeBatch(chunk, maxTokens)));
    }
    return results;
  }

  private sourceTensor(sources: readonly (readonly number[])[]): tf.Tensor2D {
    const data = { size: sources.length, sources, targets: sources.map(() => []) };
    const batch = makePairBatch(data, Int32Array.from(sources.keys()), this.special, this.config.maxLength);
    return tf.tensor2d(batch.source, [batch.batchSize, batch.sourceLength], "int32");
  }

  private decodeBatch(sources: readonly (readonly number[])[], maxTokens: number): number[][] {
    const b = sources.length;
    const { eosId, bosId } = this.config;
    const out: number[][] = sources.map(() => []);
    const done = new Array<boolean>(b).fill(false);
    // Tensors that live across steps: the source mask, each layer's cross-attention keys/values and self-attention cache.
    const { sourceMask, memories } = tf.tidy(() => {
      const source = this.sourceTensor(sources);
      const mask = this.sourceMask(source);
      const memory = this.encode(source, mask);
      return { sourceMask: mask, memories: this.decoder.map((layer) => layer.crossAttention.keyValues(memory)) };
    });
    let caches: (KeyValues | null)[] = this.decoder.map(() => null);
    let previous = new Int32Array(b).fill(bosId);
    try {
      for (let position = 0; position < maxTokens + 1; position++) {
        const next = tf.tidy(() => {
          let y = this.embed(this.targetEmbedding, tf.tensor2d(previous, [b, 1], "int32"), position);
          const fresh: KeyValues[] = [];
          this.decoder.forEach((layer, l) => {
            const r = layer.step(y, caches[l]!, memories[l]!, sourceMask);
            y = r.output;
            fresh.push(r.cache);
          });
          if (this.decoderNorm) y = this.decoderNorm.apply(y);
          const ids = tf.argMax(this.output.apply(y).reshape([b, this.config.targetVocabSize]), 1);
          return { ids, caches: fresh };
        });
        for (const c of caches) if (c) tf.dispose([c.keys, c.values]);
        caches = next.caches;
        const ids = next.ids.dataSync();
        next.ids.dispose();
        previous = new Int32Array(b);
        for (let i = 0; i < b; i++) {
          previous[i] = ids[i]!;
          if (done[i]) continue;
          if (ids[i] === eosId || position === maxTokens) done[i] = true;
          else out[i]!.push(ids[i]!);
        }
        if (done.every(Boolean)) break;
      }
    } finally {
      for (const c of caches) if (c) tf.dispose([c.keys, c.values]);
      tf.dispose([sourceMask, ...memories.flatMap((m) => [m.keys, m.values])]);
    }
    return out;
  }

  /** The same greedy decoding, re-running the full decoder on the whole prefix at each step: the reference for the KV cache. */
  private decodeWithoutCache(sources: readonly (readonly number[])[], maxTokens: number): number[][] {
    const b = sources.length;
    const prefixes = sources.map(() => [this.config.bosId]);
    const out: number[][] = sources.map(() => []);
    const done = new Array<boolean>(b).fill(false);
    const source = this.sourceTensor(sources);
    try {
      for (let position = 0; position < maxTokens + 1 && !done.every(Boolean); position++) {
        const ids = tf.tidy(() => {
          const input = tf.tensor2d(prefixes.flat(), [b, position + 1], "int32");
          const logits = this.forward(source, input);
          return tf.argMax(logits.slice([0, position, 0], [b, 1, this.config.targetVocabSize]).reshape([b, this.config.targetVocabSize]), 1).dataSync();
        });
        for (let i = 0; i < b; i++) {
          prefixes[i]!.push(ids[i]!);
          if (done[i]) continue;
          if (ids[i] === this.config.eosId || position === maxTokens) done[i] = true;
          else out[i]!.push(ids[i]!);
        }
      }
    } finally {
      source.dispose();
    }
    return out;
  }

  /** Greedy-decodes every source of `data` and counts exact matches with its target (same ids, same length). */
  exactMatch(data: SequencePairs, options: DecodeOptions = {}): ExactMatch {
    const predictions = this.greedyDecode(data.sources, options);
    let correct = 0;
    predictions.forEach((p, i) => {
      const target = data.targets[i]!;
      if (p.length === target.length && p.every((id, j) => id === target[j])) correct += 1;
    });
    return { correct, total: data.size, accuracy: data.size === 0 ? 0 : correct / data.size, predictions };
  }

  /**
   * Every attention map of one teacher-forced pass on (source, target): output position i is the
   * prediction of target word i (the last one is </s>), so cross[l][h][i][j] says how much producing
   * target word i read source word j — the heat-map of TP6/TP7.
   */
  attentionMaps(source: readonly number[], target: readonly number[]): AttentionMaps {
    this.checkAlive("attentionMaps");
    const batch = makePairBatch({ size: 1, sources: [source], targets: [target] }, [0], this.special, this.config.maxLength, this.config.maxLength);
    const { encoderLayers: ne, decoderLayers: nd } = this.config;
    // The weights must outlive forward's own scope: return them from one tidy, read them, free them.
    const weights = tf.tidy(() => {
      const encoder: tf.Tensor[] = [];
      const decoder: DecoderWeights = { self: [], cross: [] };
      this.run(tf.tensor2d(batch.source, [1, batch.sourceLength], "int32"), tf.tensor2d(batch.decoderInput, [1, batch.targetLength], "int32"), { encoder, decoder });
      return [...encoder, ...decoder.self, ...decoder.cross];
    });
    const arrays = weights.map((w) => toArrays(w)[0]!);
    tf.dispose(weights);
    return { encoderSelf: arrays.slice(0, ne), decoderSelf: arrays.slice(ne, ne + nd), cross: arrays.slice(ne + nd) };
  }

  /**
   * Writes the model to `dir`: config.json (configuration, parameter names and shapes, `metadata`) and
   * weights.bin (float32). The optimiser's state is not saved: a loaded model is for decoding or fresh
   * fine-tuning. Returns the weights' size in bytes.
   */
  save(dir: string, metadata: Record<string, unknown> = {}): number {
    this.checkAlive("save");
    return saveCheckpoint(dir, TRANSFORMER_FORMAT, this.config, this.namedParameters(), metadata);
  }

  /** Rebuilds a model saved by {@link Transformer.save}; its metadata comes back alongside. */
  static load(dir: string): { model: Transformer; metadata: Record<string, unknown> } {
    const { model, manifest } = loadCheckpoint(dir, TRANSFORMER_FORMAT, ({ config }: CheckpointManifest<TransformerConfig>) => new Transformer(config));
    return { model, metadata: manifest.metadata ?? {} };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [, v] of this.namedParameters()) v.dispose();
    this.positions.dispose();
    this.optimizer?.dispose();
    this.optimizer = null;
    void this.trainingRunner?.dispose();
  }
}
