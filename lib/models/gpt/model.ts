/**
 * The course's mini-GPT: a decoder-only Transformer in the GPT-2 layout (Radford et al. 2019; Karpathy's
 * nanoGPT), small enough to train on a laptop CPU:
 *
 *   x = E_tok[ids] + E_pos[0 … T−1]                          learned positions (or fixed sinusoids)
 *   N × { x = x + MHA(LN₁(x), causal mask)                  pre-LN: the residual path stays an identity
 *         x = x + W₂·GELU(W₁·LN₂(x) + b₁) + b₂ }
 *   logits = LN_f(x) · E_tokᵀ                                output head tied to the token table (or untied)
 *   loss = mean cross-entropy of the next token at every position
 *
 * Attention, LayerNorm, Linear and Embedding are the shared layers of ../attention and ../layers; this file
 * adds the GELU MLP, the GPT-2 initialisation, training (the course's {@link Trainable}, with AdamW from
 * ../optim inside the model), generation with or without a KV cache, and checkpoints.
 *
 * No dropout: a few thousand steps over a 1.2-million-character book barely over-fit a model this size.
 * Call `await initBackend()` (lib/backend) first. Training steps run on onnxruntime's native kernels when
 * it loads (./training-graph: the same maths as one compiled graph, ~5× faster than tfjs-wasm's autograd),
 * on tfjs otherwise; inference, generation and checkpoints are always tfjs.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { evaluationOffsets, windowBatch, type TokenStreamDataset } from "../../data/token-stream";
import { isWeightedRows, weightedRowsBatch, type WeightedRowsDataset } from "../../data/weighted-rows";
import { Random } from "../../random";
import { decodeTokens, type DecodeOptions, type DecodeResult, type NextTokenLogits } from "../../sampling/decode";
import type { Trainable } from "../../training/trainable";
import { MultiHeadAttention, sinusoidalPositionalEncoding, type KeyValues } from "../attention";
import { geluBackward, geluForward } from "../../kernels/layers";
import { chooseTrainingEngine } from "../../onnx/training-layers";
import { isCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointManifest } from "../checkpoint";
import { Embedding, frozenLinear, fusedLayerKernelsAvailable, LayerNorm, linear, Linear, normalValues, type Module } from "../layers";
import { AdamW, type AdamWOptions } from "../optim";
import { GPT_OPTIMIZER_DEFAULTS, gptConfig, gptParameterCount, type GptConfig, type GptOptions, type TrainingEngine } from "./config";
import { checkLossWeights, GptTrainingRunner } from "./training-graph";

/** 2·√(2/π) and 0.044715: GELU's tanh approximation written with a sigmoid (see {@link gelu}). */
const GELU_2C = 2 * Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

let geluOp: ((x: tf.Tensor) => tf.Tensor) | null = null;

/**
 * GELU, GPT-2's tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — PyTorch's
 * `F.gelu(x, approximate="tanh")` — computed as x·σ(z), z = 2√(2/π)·(x + 0.044715·x³), which is the same
 * function (½(1 + tanh u) = σ(2u)): tfjs's wasm sigmoid is vectorised, its tanh ~6× slower. The derivative
 * σ(z) + x·σ(z)(1 − σ(z))·z′ is written out rather than left to autograd.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fusedLayerKernelsAvailable() && x.dtype === "float32" && x.size > 0) return geluWithKernel(x);
  geluOp ??= tf.customGrad((...inputs) => {
    const [input, save] = inputs as [tf.Tensor, tf.GradSaveFunc];
    const s = tf.sigmoid(tf.mul(input, tf.add(tf.mul(tf.square(input), GELU_2C * GELU_A), GELU_2C)));
    save([input, s]);
    return {
      value: tf.mul(input, s),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, ss] = saved as [tf.Tensor, tf.Tensor];
        const dz = tf.add(tf.mul(tf.square(sx), 3 * GELU_2C * GELU_A), GELU_2C);
        const slope = tf.add(ss, tf.mul(tf.mul(sx, tf.mul(ss, tf.sub(1, ss))), dz));
        return [tf.mul(dy, slope)];
      },
    };
  }) as (x: tf.Tensor) => tf.Tensor;
  return geluOp(x);
}

/** {@link gelu} in one WebAssembly pass each way (lib/kernels/layers); x is read once and kept for the gradient. */
function geluWithKernel(x: tf.Tensor): tf.Tensor {
  const data = x.dataSync() as Float32Array;
  const shape = x.shape;
  const y = geluForward(data);
  const op = tf.customGrad((..._inputs) => ({
    value: tf.tensor(y, shape, "float32"),
    gradFunc: (dy: tf.Tensor) => [tf.tensor(geluBackward(data, dy.dataSync() as Float32Array), shape, "float32")],
  })) as (x: tf.Tensor) => tf.Tensor;
  return op(x);
}

function collect(...modules: Module[]): [string, tf.Variable][] {
  return modules.flatMap((m) => m.namedParameters());
}

/** One pre-LN decoder block: masked multi-head self-attention and a GELU MLP, each around a residual connection. */
export class GptBlock implements Module {
  readonly norm1: LayerNorm;
  readonly attention: MultiHeadAttention;
  readonly norm2: LayerNorm;
  readonly fc: Linear;
  readonly projection: Linear;

  constructor(config: GptConfig, rng: Random, name: string) {
    const { width, heads, mlpWidth } = config;
    this.norm1 = new LayerNorm(width, { name: `${name}.norm1` });
    this.attention = new MultiHeadAttention({ dModel: width, heads, rng, name: `${name}.attention`, smearKeys: config.smearKeys });
    this.norm2 = new LayerNorm(width, { name: `${name}.norm2` });
    this.fc = new Linear(width, mlpWidth, { rng, name: `${name}.mlp.fc` });
    this.projection = new Linear(mlpWidth, width, { rng, name: `${name}.mlp.projection` });
  }

  private mlp(x: tf.Tensor): tf.Tensor {
    return this.projection.apply(gelu(this.fc.apply(this.norm2.apply(x))));
  }

  /** x [batch, T, d] → [batch, T, d], every position attending to itself and the positions before it. */
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.applyWithWeights(x).output);
  }

  /** {@link apply}'s output and its attention weights [batch, heads, T, T]. */
  applyWithWeights(x: tf.Tensor): { output: tf.Tensor; weights: tf.Tensor } {
    return tf.tidy(() => {
      const { output, weights } = this.attention.forward(this.norm1.apply(x), null, { causal: true });
      const attended = tf.add(x, output);
      return { output: tf.add(attended, this.mlp(attended)), weights };
    });
  }

  /** New positions x [batch, Tnew, d] after the cached ones: the output and the extended cache. */
  step(x: tf.Tensor, past: KeyValues | null): { output: tf.Tensor; cache: KeyValues } {
    return tf.tidy(() => {
      const { output, cache } = this.attention.step(this.norm1.apply(x), past);
      const attended = tf.add(x, output);
      return { output: tf.add(attended, this.mlp(attended)), cache };
    });
  }

  namedParameters(): [string, tf.Variable][] {
    return collect(this.norm1, this.attention, this.norm2, this.fc, this.projection);
  }

  dispose(): void {
    for (const m of [this.norm1, this.attention, this.norm2, this.fc, this.projection]) m.dispose();
  }
}

/** Options of {@link GPT.generate}: the decoding loop's (lib/sampling) and the cache switch. */
export interface GptGenerateOptions extends DecodeOptions {
  /**
   * Keep each layer's keys and values (default true): the prompt is processed once, then only the newest
   * token per step. False recomputes the whole context at every step — the same tokens, much slower.
   */
  useKvCache?: boolean;
}

/** Windows per forward pass in `evaluate`. */
const EVAL_BATCH = 32;

/** The `format` field of a GPT checkpoint's config.json. */
export const GPT_CHECKPOINT_FORMAT = "gpt";

/** What a GPT trains on: windows of a token stream (pre-training) or weighted rows (supervised fine-tuning). */
export type GptDataset = TokenStreamDataset | WeightedRowsDataset;

/**
 * A decoder-only Transformer language model, trainable by the course's `train` loop on a
 * {@link TokenStreamDataset} (every next token counts) or a {@link WeightedRowsDataset} (the loss is the
 * weighted mean over the targets, e.g. only the assistant's tokens of a conversation).
 */
export class GPT implements Trainable<GptDataset>, Module {
  readonly config: GptConfig;
  readonly tokenEmbedding: Embedding;
  /** Learned position table [blockSize, width], or null with sinusoidal positions. */
  readonly positionEmbedding: Embedding | null;
  readonly blocks: GptBlock[];
  readonly finalNorm: LayerNorm;
  /** Output projection [width, vocabSize], or null when tied to the token table. */
  readonly head: Linear | null;
  readonly optimizerOptions: AdamWOptions;
  /** What computes the training step's gradients (see `GptOptions.trainingEngine`). */
  readonly trainingEngine: TrainingEngine;
  private readonly trainingRunner: GptTrainingRunner | null;
  private readonly sinusoids: tf.Tensor2D | null;
  private optimizer: AdamW | null = null;
  private disposed = false;

  constructor(options: GptOptions) {
    const config = gptConfig(options);
    this.config = config;
    this.optimizerOptions = { ...GPT_OPTIMIZER_DEFAULTS, ...options.optimizer };
    this.trainingEngine = chooseTrainingEngine(options.trainingEngine ?? "auto", "GPT");
    this.trainingRunner = this.trainingEngine === "onnxruntime" ? new GptTrainingRunner(config, options.trainingThreads ?? Math.min(8, os.cpus().length)) : null;
    const rng = new Random(config.seed);
    const { vocabSize, blockSize, width, layers } = config;
    this.tokenEmbedding = new Embedding(vocabSize, width, { rng, name: "tokenEmbedding" });
    this.positionEmbedding = config.positions === "learned" ? new Embedding(blockSize, width, { rng, name: "positionEmbedding" }) : null;
    this.sinusoids = config.positions === "sinusoidal" ? sinusoidalPositionalEncoding(blockSize, width) : null;
    this.blocks = Array.from({ length: layers }, (_, i) => new GptBlock(config, rng, `blocks.${i}`));
    this.finalNorm = new LayerNorm(width, { name: "finalNorm" });
    this.head = config.tiedEmbeddings ? null : new Linear(width, vocabSize, { rng, bias: false, name: "head" });
    this.initialise(rng);
  }

  /**
   * GPT-2's initialisation: matrices and embeddings ~ N(0, 0.02²), biases 0, LayerNorms (1, 0), and the two
   * projections that write into the residual stream (W_O, MLP projection) scaled by 1/√(2N), so the
   * residual sum of 2N sub-layers starts with about the variance of one. Small output logits make the
   * initial loss ≈ ln V: every token equally likely.
   */
  private initialise(rng: Random): void {
    const residualStd = this.config.initStd / Math.sqrt(2 * this.config.layers);
    for (const [name, variable] of this.namedParameters()) {
      if (name.endsWith(".gamma") || name.endsWith(".beta") || name.endsWith(".bias")) continue; // already 1, 0, 0
      const std = name.endsWith("attention.wo.weight") || name.endsWith("mlp.projection.weight") ? residualStd : this.config.initStd;
      tf.tidy(() => variable.assign(tf.tensor(normalValues(variable.size, std, rng), variable.shape)));
    }
  }

  namedParameters(): [string, tf.Variable][] {
    const modules: Module[] = [this.tokenEmbedding];
    if (this.positionEmbedding) modules.push(this.positionEmbedding);
    modules.push(...this.blocks, this.finalNorm);
    if (this.head) modules.push(this.head);
    return collect(...modules);
  }

  /** onnxruntime's threads for training steps, or null when tfjs trains. */
  get trainingThreads(): number | null {
    return this.trainingRunner?.threads ?? null;
  }

  /** Trainable numbers (equal to {@link gptParameterCount} of the config). */
  get parameterCount(): number {
    return this.namedParameters().reduce((total, [, v]) => total + v.size, 0);
  }

  /** The formula's count for this config, for comparison with {@link parameterCount}. */
  get expectedParameterCount(): number {
    return gptParameterCount(this.config);
  }

  private checkAlive(where: string): void {
    if (this.disposed) throw new Error(`GPT.${where}: the model was disposed`);
  }

  /** Token vectors plus the positions offset … offset + T − 1, [batch, T, d]. */
  private embed(ids: tf.Tensor2D, offset: number): tf.Tensor {
    const [, t] = ids.shape;
    const { blockSize, width } = this.config;
    if (offset + t > blockSize) throw new RangeError(`GPT: positions ${offset}…${offset + t - 1} go beyond the context of ${blockSize} tokens`);
    const table = this.positionEmbedding ? this.positionEmbedding.table : this.sinusoids!;
    return tf.add(this.tokenEmbedding.apply(ids), table.slice([offset, 0], [t, width]));
  }

  /** The vocabulary logits of normalised hidden states [..., d] → [..., V]. */
  private project(h: tf.Tensor): tf.Tensor {
    const { width, vocabSize } = this.config;
    const normalised = this.finalNorm.apply(h);
    if (this.head) return this.head.apply(normalised);
    const flat = normalised.reshape([-1, width]);
    // E_tokᵀ made explicitly: layers' linear keeps wasm on its fast, untransposed products. A frozen table
    // (fine-tuning adapters) skips the head's weight gradient.
    const project = this.tokenEmbedding.table.trainable ? linear : frozenLinear;
    return project(flat, tf.transpose(this.tokenEmbedding.table), null).reshape([...h.shape.slice(0, -1), vocabSize]);
  }

  private checkIds(ids: tf.Tensor, where: string): asserts ids is tf.Tensor2D {
    if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") {
      throw new TypeError(`GPT.${where}: ids must be an int32 tensor [batch, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} [${ids.shape.join(", ")}]` : typeof ids}`);
    }
    const t = ids.shape[1]!;
    if (t < 1 || t > this.config.blockSize) throw new RangeError(`GPT.${where}: T = ${t} must be in 1…${this.config.blockSize} (the context)`);
  }

  /** Logits [batch, T, V] of the next token at every position of `ids` (int32 [batch, T], T ≤ blockSize). */
  forward(ids: tf.Tensor2D): tf.Tensor3D {
    this.checkAlive("forward");
    this.checkIds(ids, "forward");
    return tf.tidy(() => {
      let x = this.embed(ids, 0);
      for (const block of this.blocks) x = block.apply(x);
      return this.project(x) as tf.Tensor3D;
    });
  }

  /**
   * Mean cross-entropy (nats) of `targets` under the logits of `inputs`, both int32 [batch, T]; with
   * `weights` (float32 [batch, T]), the weighted mean −Σ w·log p[target] / Σ w.
   */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D, weights?: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.forward(inputs).reshape([-1, this.config.vocabSize]);
      // One-hot labels: the gradient of tf.gather (picking log p[target]) is missing on wasm.
      const labels = tf.oneHot(targets.reshape([-1]), this.config.vocabSize).toFloat();
      if (weights === undefined) return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      const negativeLogLikelihood = tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1));
      const w = weights.reshape([-1]);
      return tf.div(tf.sum(tf.mul(negativeLogLikelihood, w)), tf.sum(w)) as tf.Scalar;
    });
  }

  /**
   * The input and target ids (and weights, for weighted rows) of the examples `indices`, row by row;
   * refuses rows longer than the context.
   */
  private batchIds(data: GptDataset, indices: ArrayLike<number>): { inputs: Int32Array; targets: Int32Array; weights?: Float32Array } {
    if (data.blockSize > this.config.blockSize) throw new RangeError(`GPT: the dataset's windows (${data.blockSize} tokens) are longer than the context (${this.config.blockSize})`);
    if (!isWeightedRows(data)) return windowBatch(data, indices);
    const batch = weightedRowsBatch(data, indices);
    checkLossWeights(batch.weights, batch.weights.length, "GPT");
    return batch;
  }

  private batchTensors(data: GptDataset, indices: ArrayLike<number>): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined] {
    const { inputs, targets, weights } = this.batchIds(data, indices);
    const shape: [number, number] = [indices.length, data.blockSize];
    return [tf.tensor2d(inputs, shape, "int32"), tf.tensor2d(targets, shape, "int32"), weights === undefined ? undefined : tf.tensor2d(weights, shape, "float32")];
  }

  /**
   * One AdamW step on the windows starting at `indices` at learning rate `lr`; resolves to the minibatch's
   * mean loss before the update. Steps must be awaited one after the other.
   */
  async trainStep(data: GptDataset, indices: Int32Array, lr: number): Promise<number> {
    this.checkAlive("trainStep");
    // Both engines train every parameter, and the compiled graph knows nothing of adapters.
    const adapted = this.blocks.some((b) => [b.attention.wq, b.attention.wk, b.attention.wv, b.attention.wo, b.fc, b.projection].some((l) => l.adapter !== null));
    if (adapted || this.namedParameters().some(([, v]) => !v.trainable)) {
      throw new Error("GPT.trainStep: the model has adapters or frozen weights; train it through lib/finetuning (prepareFineTuning), or merge / detach the adapters first");
    }
    this.optimizer ??= new AdamW(this.namedParameters(), this.optimizerOptions);
    const optimizer = this.optimizer;
    if (this.trainingRunner !== null) {
      const { inputs, targets, weights } = this.batchIds(data, indices);
      const values = optimizer.parameterValues();
      const { loss, gradients } = await this.trainingRunner.lossAndGradients(values, inputs, targets, indices.length, data.blockSize, weights);
      this.checkAlive("trainStep");
      optimizer.applyNamed(gradients, lr);
      return loss;
    }
    const loss = tf.tidy(() => {
      const [inputs, targets, weights] = this.batchTensors(data, indices);
      const { value, grads } = tf.variableGrads(() => this.loss(inputs, targets, weights), optimizer.variables);
      optimizer.apply(grads, lr);
      return value;
    });
    const result = loss.dataSync()[0]!;
    loss.dispose();
    return result;
  }

  /**
   * Forgets AdamW's moments and step count: the next {@link trainStep} starts a fresh optimiser, as a new
   * training phase on other data does (moments fitted to the last phase's gradients would steer the first
   * steps of the next one).
   */
  resetOptimizer(): void {
    this.checkAlive("resetOptimizer");
    this.optimizer?.dispose();
    this.optimizer = null;
  }

  /**
   * Mean next-token loss (nats) over the non-overlapping windows of a token stream (offsets 0, T, 2T, …):
   * every token predicted once, with 0 to T − 1 tokens of context; over weighted rows, the weighted mean
   * over every row. Updates nothing.
   */
  evaluate(data: GptDataset): number {
    this.checkAlive("evaluate");
    if (isWeightedRows(data)) return this.evaluateWeighted(data);
    const offsets = evaluationOffsets(data);
    let total = 0;
    for (let start = 0; start < offsets.length; start += EVAL_BATCH) {
      const chunk = offsets.subarray(start, Math.min(offsets.length, start + EVAL_BATCH));
      const loss = tf.tidy(() => {
        const [inputs, targets] = this.batchTensors(data, chunk);
        return this.loss(inputs, targets);
      });
      total += loss.dataSync()[0]! * chunk.length;
      loss.dispose();
    }
    return total / offsets.length;
  }

  private evaluateWeighted(data: WeightedRowsDataset): number {
    let total = 0;
    let weight = 0;
    for (let start = 0; start < data.size; start += EVAL_BATCH) {
      const rows = Int32Array.from({ length: Math.min(EVAL_BATCH, data.size - start) }, (_, i) => start + i);
      const rowWeight = data.weights.subarray(start * data.blockSize, (start + rows.length) * data.blockSize).reduce((a, b) => a + b, 0);
      if (rowWeight === 0) continue;
      const loss = tf.tidy(() => {
        const [inputs, targets, weights] = this.batchTensors(data, rows);
        return this.loss(inputs, targets, weights);
      });
      total += loss.dataSync()[0]! * rowWeight;
      weight += rowWeight;
      loss.dispose();
    }
    if (weight === 0) throw new RangeError("GPT.evaluate: every loss weight of the dataset is 0");
    return total / weight;
  }

  private checkPrompt(ids: readonly number[], where: string): void {
    if (!Array.isArray(ids) || ids.length === 0) throw new RangeError(`GPT.${where}: the prompt must be a non-empty array of token ids`);
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) throw new RangeError(`GPT.${where}: prompt[${i}] = ${id} is not a token id in 0…${this.config.vocabSize - 1}`);
    });
  }

  /**
   * Every layer's causal attention weights on one sequence of ids: maps[layer][head][query][key], each row
   * summing to 1 over the keys 0…query (0 after it) — what a heat-map of the heads shows (TP12 looks for an
   * induction head with it).
   */
  attentionMaps(ids: readonly number[]): number[][][][] {
    this.checkAlive("attentionMaps");
    this.checkPrompt(ids, "attentionMaps");
    if (ids.length > this.config.blockSize) throw new RangeError(`GPT.attentionMaps: ${ids.length} ids, more than the context of ${this.config.blockSize}`);
    const maps: number[][][][] = [];
    tf.tidy(() => {
      let x = this.embed(tf.tensor2d([[...ids]], [1, ids.length], "int32"), 0);
      for (const block of this.blocks) {
        const { output, weights } = block.applyWithWeights(x);
        maps.push((weights.arraySync() as number[][][][])[0]!);
        x = output;
      }
    });
    return maps;
  }

  /** Logits of the token after the last one of `ids`, recomputing over the last blockSize ids (no cache). */
  nextTokenLogits(ids: readonly number[]): Float32Array {
    this.checkAlive("nextTokenLogits");
    this.checkPrompt(ids, "nextTokenLogits");
    const context = ids.slice(-this.config.blockSize);
    const logits = tf.tidy(() => {
      const all = this.forward(tf.tensor2d([context], [1, context.length], "int32"));
      return all.slice([0, context.length - 1, 0], [1, 1, this.config.vocabSize]);
    });
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    return values;
  }

  /**
   * A decoding session: a function the decoding loop feeds with new ids, returning the next token's
   * logits, and a `dispose` for what it holds. With the cache, each layer keeps the keys and values of the
   * tokens seen so far and only new tokens are computed. A model with learned positions cannot slide its
   * cache past the context (every cached key was computed at its position), so once the sequence
   * outgrows blockSize the cache restarts from the last ⌈blockSize/2⌉ tokens — one full pass every
   * blockSize/2 tokens; without the cache every step recomputes the last blockSize tokens. Both give the
   * same logits while the sequence fits in the context.
   */
  decodingSession(useKvCache = true): { next: NextTokenLogits; dispose: () => void } {
    this.checkAlive("decodingSession");
    const sequence: number[] = [];
    if (!useKvCache) {
      return {
        next: (newIds) => {
          sequence.push(...newIds);
          return this.nextTokenLogits(sequence);
        },
        dispose: () => undefined,
      };
    }
    const { blockSize, vocabSize } = this.config;
    let caches: (KeyValues | null)[] = this.blocks.map(() => null);
    let position = 0;
    const release = () => {
      for (const cache of caches) if (cache) tf.dispose([cache.keys, cache.values]);
      caches = this.blocks.map(() => null);
      position = 0;
    };
    return {
      next: (newIds) => {
        this.checkAlive("generate");
        sequence.push(...newIds);
        let feed: number[] = [...newIds];
        if (position + feed.length > blockSize) {
          // A prompt longer than the context keeps its last blockSize tokens, as without the cache.
          const keep = position === 0 ? blockSize : Math.ceil(blockSize / 2);
          release();
          feed = sequence.slice(-Math.min(sequence.length, keep));
        }
        const result = tf.tidy(() => {
          let x = this.embed(tf.tensor2d([feed], [1, feed.length], "int32"), position);
          const next: KeyValues[] = [];
          this.blocks.forEach((block, i) => {
            const out = block.step(x, caches[i] ?? null);
            x = out.output;
            next.push(out.cache);
          });
          const last = x.slice([0, feed.length - 1, 0], [1, 1, this.config.width]);
          return { logits: this.project(last).reshape([vocabSize]), next };
        });
        for (const cache of caches) if (cache) tf.dispose([cache.keys, cache.values]);
        caches = result.next;
        position += feed.length;
        const values = result.logits.dataSync() as Float32Array;
        result.logits.dispose();
        return values;
      },
      dispose: release,
    };
  }

  /**
   * Generates up to `maxNewTokens` tokens after `promptIds` with temperature, top-k, top-p, stop sequences
   * and stop tokens (see `decodeTokens` in lib/sampling), with the KV cache unless `useKvCache: false`:
   * `model.generate(tokenizer.encode("Call me"), { maxNewTokens: 200, temperature: 0.8, topK: 20, rng, stop: "\n\n", decode: (ids) => tokenizer.decode(ids) })`.
   */
  generate(promptIds: readonly number[], options: GptGenerateOptions): DecodeResult {
    this.checkAlive("generate");
    this.checkPrompt(promptIds, "generate");
    if (options === null || typeof options !== "object") throw new TypeError("GPT.generate: options must be an object such as { maxNewTokens: 100, temperature: 0 }");
    const session = this.decodingSession(options.useKvCache ?? true);
    try {
      return decodeTokens(promptIds, session.next, options);
    } finally {
      session.dispose();
    }
  }

  /**
   * Writes a checkpoint folder (../checkpoint's format): config.json with the architecture, the optimiser
   * settings and the parameter table, and weights.bin with every parameter as little-endian float32.
   * `metadata` is stored alongside (a vocabulary, training figures). Returns the weights' size in bytes.
   */
  save(directory: string, metadata: Record<string, unknown> = {}): number {
    this.checkAlive("save");
    return saveCheckpoint(directory, GPT_CHECKPOINT_FORMAT, this.config, this.namedParameters(), { ...metadata, optimizer: this.optimizerOptions });
  }

  /** A model rebuilt from a folder written by {@link save} (the optimiser's moments are not saved: training restarts them). */
  static load(directory: string): GPT {
    return loadGptCheckpoint(directory).model;
  }

  /** Frees the parameters and the optimiser's moments. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [, variable] of this.namedParameters()) variable.dispose();
    this.optimizer?.dispose();
    this.sinusoids?.dispose();
    void this.trainingRunner?.dispose();
  }
}

/** A GPT and its checkpoint's manifest (configuration and metadata) from a folder written by `GPT.save`. */
export function loadGptCheckpoint(directory: string): { model: GPT; manifest: CheckpointManifest<GptConfig> } {
  const build = ({ config, metadata }: CheckpointManifest<GptConfig>) => new GPT({ ...config, optimizer: metadata?.optimizer as AdamWOptions | undefined });
  return loadCheckpoint(directory, GPT_CHECKPOINT_FORMAT, build);
}

/** True when `directory` holds a GPT checkpoint. */
export function isGptCheckpoint(directory: string): boolean {
  return isCheckpoint(directory, GPT_CHECKPOINT_FORMAT);
}
