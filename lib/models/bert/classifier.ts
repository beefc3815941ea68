/**
 * Fine-tuning BERT for classification (Devlin et al. 2019, §4): the [CLS] vector of the last layer goes
 * through BERT's pooler (a d×d layer with tanh) and a linear classifier, and the whole network — encoder
 * included — is trained on the labelled examples with cross-entropy:
 *
 *   p(class | text) = softmax(W_c · tanh(W_p · h_[CLS] + b_p) + b_c)
 *
 * The [CLS] position attends to every token in every layer, so after fine-tuning its vector summarises
 * what the task needs. The pooler is new here: BERT trains it with next-sentence prediction, which the
 * course's pre-training leaves out. The masked-LM head is not used and not updated. Training steps run on
 * the encoder's engine (onnxruntime's compiled graph, ./training-graph, or tfjs autograd).
 */
import * as tf from "@tensorflow/tfjs";
import { chooseTrainingEngine, type TrainingEngine } from "../../onnx/training-layers";
import { Random } from "../../random";
import type { Trainable } from "../../training/trainable";
import { Linear, normalValues, type Module } from "../layers";
import { AdamW, type AdamWOptions } from "../optim";
import { batchRows, type ClassificationDataset, type SequenceDataset } from "./data";
import { defaultTrainingThreads, type BERT } from "./model";
import { BertTrainingRunner } from "./training-graph";

/** Options of {@link BertClassifier}. */
export interface BertClassifierOptions {
  /** Number of classes (default 2). */
  numLabels?: number;
  /** Seed of the pooler's and classifier's initial weights (default 0). */
  seed?: number;
  /** AdamW settings (default: the encoder's). */
  optimizer?: AdamWOptions;
  /** What computes the training step (default: the encoder's engine; see `BertOptions.trainingEngine`). */
  trainingEngine?: TrainingEngine | "auto";
  /** onnxruntime threads for training (default: the encoder's, else the machine's cores, at most 8). */
  trainingThreads?: number;
}

/** Rows per forward pass when predicting. */
const PREDICT_BATCH = 64;

/** A BERT with a [CLS] classification head, trainable end to end by the course's `train` loop on a {@link ClassificationDataset}. */
export class BertClassifier implements Trainable<ClassificationDataset>, Module {
  /** The encoder, shared: fine-tuning changes its weights in place. */
  readonly bert: BERT;
  readonly pooler: Linear;
  readonly classifier: Linear;
  readonly numLabels: number;
  readonly optimizerOptions: AdamWOptions;
  /** What computes the training step's gradients. */
  readonly trainingEngine: TrainingEngine;
  private readonly trainingRunner: BertTrainingRunner | null;
  private optimizer: AdamW | null = null;
  private disposed = false;

  constructor(bert: BERT, options: BertClassifierOptions = {}) {
    if (bert === null || typeof bert !== "object" || typeof bert.hiddenStates !== "function") throw new TypeError("BertClassifier: expected a BERT from lib/models/bert");
    const numLabels = options.numLabels ?? 2;
    if (!Number.isInteger(numLabels) || numLabels < 2) throw new RangeError(`BertClassifier: numLabels must be an integer ≥ 2, got ${numLabels}`);
    const { width, initStd } = bert.config;
    const rng = new Random(options.seed ?? 0);
    this.bert = bert;
    this.numLabels = numLabels;
    this.optimizerOptions = { ...bert.optimizerOptions, ...options.optimizer };
    this.trainingEngine = chooseTrainingEngine(options.trainingEngine ?? bert.trainingEngine, "BertClassifier");
    const threads = options.trainingThreads ?? bert.trainingThreads ?? defaultTrainingThreads();
    this.trainingRunner = this.trainingEngine === "onnxruntime" ? new BertTrainingRunner(bert.config, threads) : null;
    this.pooler = new Linear(width, width, { rng, name: "pooler" });
    this.classifier = new Linear(width, numLabels, { rng, name: "classifier" });
    // BERT's initialisation for the new layers too: N(0, 0.02²), biases 0.
    for (const layer of [this.pooler, this.classifier]) {
      tf.tidy(() => layer.weight.assign(tf.tensor(normalValues(layer.weight.size, initStd, rng), layer.weight.shape)));
    }
  }

  /** The encoder's weights (without the unused masked-LM head), then the pooler's and the classifier's. */
  namedParameters(): [string, tf.Variable][] {
    const encoder = [...this.bert.embeddings.namedParameters(), ...this.bert.layers.flatMap((layer) => layer.namedParameters())];
    return [...encoder, ...this.pooler.namedParameters(), ...this.classifier.namedParameters()];
  }

  private checkAlive(where: string): void {
    if (this.disposed) throw new Error(`BertClassifier.${where}: the classifier was disposed`);
  }

  /** Class logits [batch, numLabels] of `ids` [batch, T] (int32; [PAD] hidden unless `attentionMask` says otherwise). */
  logits(ids: tf.Tensor2D, attentionMask?: tf.Tensor2D): tf.Tensor2D {
    this.checkAlive("logits");
    return tf.tidy(() => {
      const hidden = this.bert.hiddenStates(ids, attentionMask);
      const cls = hidden.slice([0, 0, 0], [hidden.shape[0], 1, this.bert.config.width]).reshape([hidden.shape[0], this.bert.config.width]);
      return this.classifier.apply(tf.tanh(this.pooler.apply(cls))) as tf.Tensor2D;
    });
  }

  private checkData(data: SequenceDataset): void {
    if (data.maxLength > this.bert.config.maxPositions) throw new RangeError(`BertClassifier: the dataset's rows (${data.maxLength} tokens) are longer than the position table (${this.bert.config.maxPositions})`);
  }

  private batchLoss(data: ClassificationDataset, indices: ArrayLike<number>): tf.Scalar {
    const rows = batchRows(data, indices);
    const ids = tf.tensor2d(rows.ids, [rows.batch, rows.length], "int32");
    const labels = tf.oneHot(tf.tensor1d(Array.from(indices, (i) => data.labels[i]!), "int32"), this.numLabels).toFloat();
    return tf.losses.softmaxCrossEntropy(labels, this.logits(ids)) as tf.Scalar;
  }

  /**
   * One AdamW step on the rows `indices` at learning rate `lr`; resolves to the minibatch's mean loss
   * before the update. Steps must be awaited one after the other.
   */
  async trainStep(data: ClassificationDataset, indices: Int32Array, lr: number): Promise<number> {
    this.checkAlive("trainStep");
    this.checkData(data);
    if (data.numLabels !== this.numLabels) throw new RangeError(`BertClassifier: the dataset has ${data.numLabels} classes, the classifier ${this.numLabels}`);
    this.optimizer ??= new AdamW(this.namedParameters(), this.optimizerOptions);
    const optimizer = this.optimizer;
    if (this.trainingRunner !== null) {
      const rows = batchRows(data, indices);
      const labels = Int32Array.from(indices, (i) => data.labels[i]!);
      const values = optimizer.parameterValues();
      const { loss, gradients } = await this.trainingRunner.classificationLossAndGradients(values, rows.ids, labels, this.numLabels, rows.batch, rows.length);
      this.checkAlive("trainStep");
      optimizer.applyNamed(gradients, lr);
      return loss;
    }
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.batchLoss(data, indices), optimizer.variables);
      optimizer.apply(grads, lr);
      return value;
    });
    const result = loss.dataSync()[0]!;
    loss.dispose();
    return result;
  }

  /** Class probabilities of every row of `data`, row-major [size × numLabels]. */
  predictProbabilities(data: SequenceDataset): Float32Array {
    this.checkAlive("predictProbabilities");
    this.checkData(data);
    const out = new Float32Array(data.size * this.numLabels);
    for (let start = 0; start < data.size; start += PREDICT_BATCH) {
      const indices = Int32Array.from({ length: Math.min(PREDICT_BATCH, data.size - start) }, (_, i) => start + i);
      const probabilities = tf.tidy(() => {
        const rows = batchRows(data, indices);
        return tf.softmax(this.logits(tf.tensor2d(rows.ids, [rows.batch, rows.length], "int32")));
      });
      out.set(probabilities.dataSync() as Float32Array, start * this.numLabels);
      probabilities.dispose();
    }
    return out;
  }

  /** The most probable class of every row of `data`. */
  predict(data: SequenceDataset): Int32Array {
    const probabilities = this.predictProbabilities(data);
    return Int32Array.from({ length: data.size }, (_, i) => {
      let best = 0;
      for (let c = 1; c < this.numLabels; c++) if (probabilities[i * this.numLabels + c]! > probabilities[i * this.numLabels + best]!) best = c;
      return best;
    });
  }

  /** Mean cross-entropy (nats) over `data`. Updates nothing. */
  evaluate(data: ClassificationDataset): number {
    const probabilities = this.predictProbabilities(data);
    let total = 0;
    for (let i = 0; i < data.size; i++) total -= Math.log(Math.max(probabilities[i * this.numLabels + data.labels[i]!]!, 1e-30));
    return total / data.size;
  }

  /** Frees the pooler, the classifier and the optimiser's moments; the encoder stays (dispose it separately). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pooler.dispose();
    this.classifier.dispose();
    this.optimizer?.dispose();
    void this.trainingRunner?.dispose();
  }
}
