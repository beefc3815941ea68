/**
 * The course's BERT: an encoder-only Transformer in the layout of Devlin et al. 2019 (and of Hugging Face's
 * BertForMaskedLM), small enough to pre-train on a laptop CPU:
 *
 *   x = LN_emb(E_tok[ids] + E_pos[0 … T−1] + E_seg[segment ids])
 *   N × { x = LN₁(x + MHA(x, padding mask))                   post-LN, as BERT: no causal mask, every
 *         x = LN₂(x + W₂·GELU(W₁·x + b₁) + b₂) }               token sees the whole sequence both ways
 *   last_hidden_state = x                                       the contextual vectors (feature extraction)
 *   MLM logits = LN_t(GELU(W_t·x + b_t))·E_tokᵀ + b_out          the prediction head, tied to the token table
 *   loss = mean cross-entropy of the original token at the masked positions only (see ./masking)
 *
 * Attention, LayerNorm, Linear and Embedding are the shared layers of ../attention and ../layers, GELU is
 * the mini-GPT's (the tanh form, fast on wasm: Hugging Face's "gelu_new", which BERT configs accept),
 * AdamW comes from ../optim, checkpoints from ../checkpoint. Training steps run on onnxruntime's native
 * kernels when it loads (./training-graph: the same maths as one compiled graph), on tfjs otherwise. No next-sentence prediction (RoBERTa showed
 * it is not needed) and no dropout (a few minutes of pre-training do not over-fit). The classification
 * head for fine-tuning is ./classifier. Call `await initBackend()` (lib/backend) first.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { chooseTrainingEngine, type TrainingEngine } from "../../onnx/training-layers";
import { embeddingLookup } from "../../backend/embedding";
import { Random } from "../../random";
import type { Trainable } from "../../training/trainable";
import { MultiHeadAttention } from "../attention";
import { isCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointManifest } from "../checkpoint";
import { gelu } from "../gpt/model";
import { Embedding, LayerNorm, Linear, matMul, normalValues, variableFrom, type Module } from "../layers";
import { AdamW, type AdamWOptions } from "../optim";
import { BERT_OPTIMIZER_DEFAULTS, bertConfig, bertParameterCount, type BertConfig, type BertOptions } from "./config";
import { maskedRows, type MaskedRows, type MlmDataset } from "./data";
import { BertTrainingRunner } from "./training-graph";

/** onnxruntime's threads for training when none are asked for: the machine's cores, at most 8. */
export function defaultTrainingThreads(): number {
  return Math.min(8, os.cpus().length);
}

function collect(...modules: Module[]): [string, tf.Variable][] {
  return modules.flatMap((m) => m.namedParameters());
}

/** Token + position + segment embeddings, summed then normalised (BERT normalises before the first layer). */
export class BertEmbeddings implements Module {
  readonly word: Embedding;
  readonly position: Embedding;
  readonly tokenType: Embedding;
  readonly norm: LayerNorm;

  constructor(config: BertConfig, rng: Random) {
    const { vocabSize, maxPositions, typeVocabSize, width, initStd, layerNormEpsilon } = config;
    this.word = new Embedding(vocabSize, width, { rng, std: initStd, name: "embeddings.word" });
    this.position = new Embedding(maxPositions, width, { rng, std: initStd, name: "embeddings.position" });
    this.tokenType = new Embedding(typeVocabSize, width, { rng, std: initStd, name: "embeddings.tokenType" });
    this.norm = new LayerNorm(width, { name: "embeddings.norm", epsilon: layerNormEpsilon });
  }

  /** ids [batch, T] (and segment ids [batch, T], default all 0) → [batch, T, d]. */
  apply(ids: tf.Tensor2D, tokenTypeIds?: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const t = ids.shape[1];
      const width = this.word.dim;
      const positions = this.position.table.slice([0, 0], [t, width]);
      // Segment 0 everywhere is one row, broadcast: the same numbers as a lookup, without one.
      const segments = tokenTypeIds ? this.tokenType.apply(tokenTypeIds) : this.tokenType.table.slice([0, 0], [1, width]);
      return this.norm.apply(tf.add(tf.add(this.word.apply(ids), positions), segments)) as tf.Tensor3D;
    });
  }

  namedParameters(): [string, tf.Variable][] {
    return collect(this.word, this.position, this.tokenType, this.norm);
  }

  dispose(): void {
    for (const m of [this.word, this.position, this.tokenType, this.norm]) m.dispose();
  }
}

/** One post-LN encoder layer: bidirectional multi-head self-attention and a GELU MLP, each followed by Add & Norm. */
export class BertLayer implements Module {
  readonly attention: MultiHeadAttention;
  readonly attentionNorm: LayerNorm;
  readonly fc: Linear;
  readonly projection: Linear;
  readonly outputNorm: LayerNorm;

  constructor(config: BertConfig, rng: Random, name: string) {
    const { width, heads, mlpWidth, layerNormEpsilon: epsilon } = config;
    this.attention = new MultiHeadAttention({ dModel: width, heads, rng, name: `${name}.attention` });
    this.attentionNorm = new LayerNorm(width, { name: `${name}.attentionNorm`, epsilon });
    this.fc = new Linear(width, mlpWidth, { rng, name: `${name}.mlp.fc` });
    this.projection = new Linear(mlpWidth, width, { rng, name: `${name}.mlp.projection` });
    this.outputNorm = new LayerNorm(width, { name: `${name}.outputNorm`, epsilon });
  }

  /** x [batch, T, d] → [batch, T, d]; `mask` [batch, 1, T] hides padding keys (1 = token, 0 = padding). */
  apply(x: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const attended = this.attentionNorm.apply(tf.add(x, this.attention.forward(x, null, { mask }).output));
      return this.outputNorm.apply(tf.add(attended, this.projection.apply(gelu(this.fc.apply(attended)))));
    });
  }

  namedParameters(): [string, tf.Variable][] {
    return collect(this.attention, this.attentionNorm, this.fc, this.projection, this.outputNorm);
  }

  dispose(): void {
    for (const m of [this.attention, this.attentionNorm, this.fc, this.projection, this.outputNorm]) m.dispose();
  }
}

/** BERT's masked-LM head: a d×d transform with GELU and LayerNorm, then the token table transposed plus a bias per token. */
export class MlmHead implements Module {
  readonly transform: Linear;
  readonly norm: LayerNorm;
  readonly bias: tf.Variable;

  constructor(config: BertConfig, rng: Random) {
    this.transform = new Linear(config.width, config.width, { rng, name: "mlm.transform" });
    this.norm = new LayerNorm(config.width, { name: "mlm.norm", epsilon: config.layerNormEpsilon });
    this.bias = variableFrom(new Float32Array(config.vocabSize), [config.vocabSize]);
  }

  /** Hidden states [n, d] → logits [n, V], with `table` = the token embeddings [V, d]. */
  apply(hidden: tf.Tensor2D, table: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.norm.apply(gelu(this.transform.apply(hidden)));
      // Eᵀ made explicitly: layers' matMul keeps wasm on its fast, untransposed path.
      return tf.add(matMul(h, tf.transpose(table)), this.bias) as tf.Tensor2D;
    });
  }

  namedParameters(): [string, tf.Variable][] {
    return [...collect(this.transform, this.norm), ["mlm.bias", this.bias]];
  }

  dispose(): void {
    this.transform.dispose();
    this.norm.dispose();
    this.bias.dispose();
  }
}

/** Sequences per forward pass in `evaluate`. */
const EVAL_BATCH = 32;

/** The `format` field of a BERT checkpoint's config.json. */
export const BERT_CHECKPOINT_FORMAT = "bert";

/** What {@link BERT.evaluateMlm} measures. */
export interface MlmEvaluation {
  /** Mean cross-entropy (nats) over the predicted positions. */
  loss: number;
  /** Share of predicted positions whose most likely token is the original one. */
  accuracy: number;
  /** Positions predicted. */
  predicted: number;
}

function checkIds(ids: unknown, maxPositions: number, where: string): asserts ids is tf.Tensor2D {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") {
    throw new TypeError(`BERT.${where}: ids must be an int32 tensor [batch, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} [${ids.shape.join(", ")}]` : typeof ids}`);
  }
  const t = ids.shape[1]!;
  if (t < 1 || t > maxPositions) throw new RangeError(`BERT.${where}: T = ${t} must be in 1…${maxPositions} (the position table)`);
}

/** An encoder-only Transformer with its masked-LM head, trainable by the course's `train` loop on a {@link MlmDataset}. */
export class BERT implements Trainable<MlmDataset>, Module {
  readonly config: BertConfig;
  readonly embeddings: BertEmbeddings;
  readonly layers: BertLayer[];
  readonly mlmHead: MlmHead;
  readonly optimizerOptions: AdamWOptions;
  /** What computes the training step's gradients (see `BertOptions.trainingEngine`). */
  readonly trainingEngine: TrainingEngine;
  private readonly trainingRunner: BertTrainingRunner | null;
  private optimizer: AdamW | null = null;
  private disposed = false;

  constructor(options: BertOptions) {
    const config = bertConfig(options);
    this.config = config;
    this.optimizerOptions = { ...BERT_OPTIMIZER_DEFAULTS, ...options.optimizer };
    this.trainingEngine = chooseTrainingEngine(options.trainingEngine ?? "auto", "BERT");
    this.trainingRunner = this.trainingEngine === "onnxruntime" ? new BertTrainingRunner(config, options.trainingThreads ?? defaultTrainingThreads()) : null;
    const rng = new Random(config.seed);
    this.embeddings = new BertEmbeddings(config, rng);
    this.layers = Array.from({ length: config.layers }, (_, i) => new BertLayer(config, rng, `layers.${i}`));
    this.mlmHead = new MlmHead(config, rng);
    this.initialise(rng);
  }

  /** BERT's initialisation: every matrix and table ~ N(0, 0.02²), biases 0, LayerNorms (1, 0). */
  private initialise(rng: Random): void {
    for (const [, variable] of this.namedParameters()) {
      if (variable.rank < 2) continue; // biases and LayerNorms are already 0 and (1, 0)
      tf.tidy(() => variable.assign(tf.tensor(normalValues(variable.size, this.config.initStd, rng), variable.shape)));
    }
  }

  namedParameters(): [string, tf.Variable][] {
    return collect(this.embeddings, ...this.layers, this.mlmHead);
  }

  /** onnxruntime's threads for training steps, or null when tfjs trains. */
  get trainingThreads(): number | null {
    return this.trainingRunner?.threads ?? null;
  }

  /** Trainable numbers (equal to {@link bertParameterCount} of the config). */
  get parameterCount(): number {
    return this.namedParameters().reduce((total, [, v]) => total + v.size, 0);
  }

  /** The formula's count for this config, for comparison with {@link parameterCount}. */
  get expectedParameterCount(): number {
    return bertParameterCount(this.config);
  }

  private checkAlive(where: string): void {
    if (this.disposed) throw new Error(`BERT.${where}: the model was disposed`);
  }

  /**
   * The contextual vectors [batch, T, d] of `ids` (int32 [batch, T]). `attentionMask` [batch, T] (1 = token,
   * 0 = padding) defaults to ids ≠ padId; `tokenTypeIds` [batch, T] to segment 0 everywhere.
   */
  hiddenStates(ids: tf.Tensor2D, attentionMask?: tf.Tensor2D, tokenTypeIds?: tf.Tensor2D): tf.Tensor3D {
    this.checkAlive("hiddenStates");
    checkIds(ids, this.config.maxPositions, "hiddenStates");
    for (const [name, t] of [["attentionMask", attentionMask], ["tokenTypeIds", tokenTypeIds]] as const) {
      if (t !== undefined && (!(t instanceof tf.Tensor) || t.rank !== 2 || t.shape[0] !== ids.shape[0] || t.shape[1] !== ids.shape[1])) {
        throw new RangeError(`BERT.hiddenStates: ${name} must be a [${ids.shape.join(", ")}] tensor like ids`);
      }
    }
    return tf.tidy(() => {
      const visible = attentionMask ? attentionMask.toFloat() : tf.notEqual(ids, tf.scalar(this.config.padId, "int32")).toFloat();
      const mask = visible.expandDims(1); // [batch, 1, T]: one row of visible keys for every query
      let x: tf.Tensor = this.embeddings.apply(ids, tokenTypeIds);
      for (const layer of this.layers) x = layer.apply(x, mask);
      return x as tf.Tensor3D;
    });
  }

  /** MLM logits of hidden states [..., d] → [..., V]. */
  mlmLogits(hidden: tf.Tensor): tf.Tensor {
    this.checkAlive("mlmLogits");
    const { width, vocabSize } = this.config;
    return tf.tidy(() => this.mlmHead.apply(hidden.reshape([-1, width]) as tf.Tensor2D, this.embeddings.word.table as tf.Tensor2D).reshape([...hidden.shape.slice(0, -1), vocabSize]));
  }

  /** MLM logits [batch, T, V] at every position (what the exported ONNX graph's `logits` output holds). */
  forward(ids: tf.Tensor2D, attentionMask?: tf.Tensor2D, tokenTypeIds?: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.mlmLogits(this.hiddenStates(ids, attentionMask, tokenTypeIds)) as tf.Tensor3D);
  }

  /**
   * Mean cross-entropy (nats) of the original tokens `targets` at the flat positions `positions`
   * (b·T + t, int32 [M]) of the corrupted `inputs` [batch, T]. Only those M positions go through the
   * V-wide output layer, the costliest product of a small model.
   */
  mlmLoss(inputs: tf.Tensor2D, positions: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const hidden = this.hiddenStates(inputs).reshape([-1, this.config.width]);
      // A gather whose gradient works on wasm (tf.gather's needs a kernel wasm lacks).
      const picked = embeddingLookup(hidden, positions) as tf.Tensor2D;
      const logits = this.mlmHead.apply(picked, this.embeddings.word.table as tf.Tensor2D);
      const labels = tf.oneHot(targets, this.config.vocabSize).toFloat();
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    });
  }

  /** {@link maskedRows} of `data` after checking that its rows fit the position table. */
  private maskedRows(data: MlmDataset, indices: ArrayLike<number>, rng: Random): MaskedRows {
    if (data.maxLength > this.config.maxPositions) throw new RangeError(`BERT: the dataset's rows (${data.maxLength} tokens) are longer than the position table (${this.config.maxPositions})`);
    return maskedRows(data, indices, rng);
  }

  /** {@link maskedRows} as tensors. */
  private maskedBatch(data: MlmDataset, indices: ArrayLike<number>, rng: Random): { inputs: tf.Tensor2D; positions: tf.Tensor1D; targets: tf.Tensor1D; count: number } {
    const rows = this.maskedRows(data, indices, rng);
    return {
      inputs: tf.tensor2d(rows.ids, [rows.batch, rows.length], "int32"),
      positions: tf.tensor1d(rows.positions, "int32"),
      targets: tf.tensor1d(rows.targets, "int32"),
      count: rows.positions.length,
    };
  }

  /**
   * One AdamW step on the rows `indices` of `data`, freshly masked with `data.rng`, at learning rate `lr`;
   * resolves to the loss before the update. Steps must be awaited one after the other.
   */
  async trainStep(data: MlmDataset, indices: Int32Array, lr: number): Promise<number> {
    this.checkAlive("trainStep");
    this.optimizer ??= new AdamW(this.namedParameters(), this.optimizerOptions);
    const optimizer = this.optimizer;
    if (this.trainingRunner !== null) {
      const rows = this.maskedRows(data, indices, data.rng);
      const values = optimizer.parameterValues();
      const { loss, gradients } = await this.trainingRunner.mlmLossAndGradients(values, rows.ids, rows.positions, rows.targets, rows.batch, rows.length);
      this.checkAlive("trainStep");
      optimizer.applyNamed(gradients, lr);
      return loss;
    }
    const loss = tf.tidy(() => {
      const { inputs, positions, targets } = this.maskedBatch(data, indices, data.rng);
      const { value, grads } = tf.variableGrads(() => this.mlmLoss(inputs, positions, targets), optimizer.variables);
      optimizer.apply(grads, lr);
      return value;
    });
    const result = loss.dataSync()[0]!;
    loss.dispose();
    return result;
  }

  /**
   * Masked-LM loss and accuracy over every row of `data`, with the evaluation masks (seeded by
   * `data.evalSeed`: the same corruption at every call). Updates nothing.
   */
  evaluateMlm(data: MlmDataset): MlmEvaluation {
    this.checkAlive("evaluateMlm");
    const rng = new Random(data.evalSeed);
    let total = 0;
    let correct = 0;
    let predicted = 0;
    for (let start = 0; start < data.size; start += EVAL_BATCH) {
      const indices = Int32Array.from({ length: Math.min(EVAL_BATCH, data.size - start) }, (_, i) => start + i);
      const batch = this.maskedBatch(data, indices, rng);
      const [loss, hits] = tf.tidy(() => {
        const hidden = this.hiddenStates(batch.inputs).reshape([-1, this.config.width]);
        const logits = this.mlmHead.apply(tf.gather(hidden, batch.positions) as tf.Tensor2D, this.embeddings.word.table as tf.Tensor2D);
        const labels = tf.oneHot(batch.targets, this.config.vocabSize).toFloat();
        const sum = tf.losses.softmaxCrossEntropy(labels, logits, undefined, undefined, tf.Reduction.SUM);
        return [sum, tf.sum(tf.equal(tf.argMax(logits, 1).toInt(), batch.targets).toInt())];
      });
      total += loss.dataSync()[0]!;
      correct += hits.dataSync()[0]!;
      predicted += batch.count;
      tf.dispose([loss, hits, batch.inputs, batch.positions, batch.targets]);
    }
    return { loss: total / predicted, accuracy: correct / predicted, predicted };
  }

  /** Mean masked-LM loss (nats) over `data` with its evaluation masks (see {@link evaluateMlm}). */
  evaluate(data: MlmDataset): number {
    return this.evaluateMlm(data).loss;
  }

  /**
   * Writes a checkpoint folder (../checkpoint's format): config.json with the architecture, the optimiser
   * settings and the parameter table, and weights.bin with every parameter as little-endian float32.
   * Returns the weights' size in bytes.
   */
  save(directory: string, metadata: Record<string, unknown> = {}): number {
    this.checkAlive("save");
    return saveCheckpoint(directory, BERT_CHECKPOINT_FORMAT, this.config, this.namedParameters(), { ...metadata, optimizer: this.optimizerOptions });
  }

  /** A model rebuilt from a folder written by {@link save} (the optimiser's moments are not saved). */
  static load(directory: string): BERT {
    const build = ({ config, metadata }: CheckpointManifest<BertConfig>) => new BERT({ ...config, optimizer: metadata?.optimizer as AdamWOptions | undefined });
    return loadCheckpoint(directory, BERT_CHECKPOINT_FORMAT, build).model;
  }

  /** Frees the parameters and the optimiser's moments. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [, variable] of this.namedParameters()) variable.dispose();
    this.optimizer?.dispose();
    void this.trainingRunner?.dispose();
  }
}

/** True when `directory` holds a BERT checkpoint. */
export function isBertCheckpoint(directory: string): boolean {
  return isCheckpoint(directory, BERT_CHECKPOINT_FORMAT);
}
