/**
 * What the two TP5–TP6 translators share: source and target embedding tables, a recurrent encoder over
 * the source, a recurrent decoder started from the encoder's final state, a linear layer from decoder
 * features to target-token logits, the training step (teacher forcing, masked cross-entropy, gradient
 * clipping, Adam) and greedy decoding. Subclasses say what one decoder step reads: ./seq2seq only its
 * previous token and state, ./attentionSeq2seq also an attention-weighted mix of the encoder states.
 *
 * Training: each target position is predicted from the TRUE previous token (teacher forcing):
 *   decoder input  <s> y_1 … y_m   →   decoder target  y_1 … y_m </s>
 * Inference: greedy decoding feeds back the model's own most likely token until it writes </s>.
 *
 * Call `await initBackend()` (lib/backend) first so tfjs runs on the fastest backend.
 */
import * as tf from "@tensorflow/tfjs";
import { embeddingLookup } from "../../backend/embedding";
import { sequencePairBatch, type SequencePairBatch, type SequencePairDataset } from "../../data/sequencePairs";
import { Random } from "../../random";
import { BOS_TOKEN, EOS_TOKEN, PAD_TOKEN } from "../../tokenizers/specialTokens";
import { padBatch } from "../../tokenizers/batch";
import type { TextTokenizer } from "../../tokenizers/types";
import type { Trainable } from "../../training/trainable";
import { Adam, clipByGlobalNorm } from "./adam";
import { disposeState, type CellKind, type RecurrentCell, type RecurrentState } from "./cell";
import { GRUCell } from "./gruCell";
import { checkSize, normalVariable, uniformVariable, zerosVariable } from "./init";
import { maskedCrossEntropy, maskedTokenNll } from "./loss";
import { LSTMCell } from "./lstmCell";
import { RNNCell } from "./rnnCell";
import { runSequence } from "./sequence";
import { matMul2d } from "./matmul";

/** The two decoders of the course. */
export type Seq2SeqArchitecture = "seq2seq" | "attention";

/** Options shared by both translators. */
export interface Seq2SeqOptions {
  /** Encodes source texts; must have `<pad>` and `</s>`. */
  sourceTokenizer: TextTokenizer;
  /** Encodes/decodes target texts; must have `<pad>`, `<s>` and `</s>`. */
  targetTokenizer: TextTokenizer;
  /** Recurrent cell of encoder and decoder (default "gru"). */
  cell?: CellKind;
  /** Size of the token embeddings, both languages (default 64). */
  embeddingSize?: number;
  /** Size of the encoder and decoder states (default 128). */
  hiddenSize?: number;
  /** Seed of every initial weight (default 42). */
  seed?: number;
  /** Gradients are rescaled so their global norm is at most this (default 5). */
  clipNorm?: number;
  /** Greedy decoding stops after this many tokens when no </s> came (default 40). */
  maxOutputLength?: number;
}

/** Everything that defines a model's shapes and behaviour: saved in checkpoints, enough to rebuild it. */
export interface Seq2SeqConfig {
  architecture: Seq2SeqArchitecture;
  cell: CellKind;
  sourceVocabSize: number;
  targetVocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  /** Attention only: size of the additive-attention layer. */
  attentionSize?: number;
  seed: number;
  clipNorm: number;
  maxOutputLength: number;
}

/** What the encoder leaves for the decoder. */
export type EncoderMemory = {
  /** h_1 … h_S: [batch, source, hidden]. */
  outputs: tf.Tensor3D;
  /** The state after each source's last real token. */
  final: RecurrentState;
  /** [batch, source]: 1 on real tokens. */
  mask: tf.Tensor2D;
  /** Attention only: W_k h_j, computed once. */
  keys?: tf.Tensor3D;
  /** Attention only: the mask as a score bias (0 or −10⁹), computed once. */
  maskBias?: tf.Tensor2D;
};

/** One decoder step's result. */
export type DecoderStep = {
  state: RecurrentState;
  /** What the output layer reads: [batch, featureSize]. */
  features: tf.Tensor2D;
  /** Attention only: α over the source, [batch, source]. */
  attention?: tf.Tensor2D;
};

/** A batch's tensors. */
export type BatchTensors = {
  sourceIds: tf.Tensor2D;
  sourceMask: tf.Tensor2D;
  decoderInputs: tf.Tensor2D;
  decoderTargets: tf.Tensor1D;
  targetMask: tf.Tensor1D;
};

/** Greedy translations of a batch. */
export interface GreedyResult {
  /** Generated target ids per source, without </s>. */
  ids: number[][];
  /** Whether each translation ended with </s> (false: cut at maxLength). */
  finished: boolean[];
  /** With `attention: true` and an attention model: per source, one row of weights per generated token, over its real source positions. */
  attention: number[][][] | null;
}

/** A translation with what is needed to draw its attention heat-map. */
export interface Translation {
  /** The translated text. */
  text: string;
  /** Generated target tokens, without </s>. */
  tokens: string[];
  /** Source tokens as the encoder read them, </s> included (unknown words as <unk>). */
  sourceTokens: string[];
  /** attention[i][j]: weight of source token j when generating token i; null for a model without attention. */
  attention: number[][] | null;
  /** "eos": the model wrote </s>; "maxLength": it was cut. */
  stopped: "eos" | "maxLength";
}

/** Examples per forward pass in evaluate/greedy decoding: bounded memory whatever the split's size. */
const CHUNK = 500;

function specialId(tokenizer: TextTokenizer, token: string, side: string): number {
  const id = tokenizer?.specialTokenId?.(token);
  if (id === undefined) throw new Error(`seq2seq: the ${side} tokenizer has no ${token} token`);
  return id;
}

function makeCell(kind: CellKind, inputSize: number, hiddenSize: number, rng: Random): RecurrentCell {
  if (kind === "gru") return new GRUCell({ inputSize, hiddenSize, rng });
  if (kind === "lstm") return new LSTMCell({ inputSize, hiddenSize, rng });
  if (kind === "rnn") return new RNNCell({ inputSize, hiddenSize, rng });
  throw new RangeError(`seq2seq: unknown cell ${JSON.stringify(kind)}; use "gru", "lstm" or "rnn"`);
}

function prefixed(prefix: string, variables: Record<string, tf.Variable>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, v] of Object.entries(variables)) out[`${prefix}.${name}`] = v;
  return out;
}

/** The shared machinery; see ./seq2seq and ./attentionSeq2seq for the two decoders. */
export abstract class EncoderDecoder implements Trainable<SequencePairDataset> {
  readonly config: Seq2SeqConfig;
  readonly sourceTokenizer: TextTokenizer;
  readonly targetTokenizer: TextTokenizer;
  /** [source vocabulary, embedding]. */
  readonly sourceEmbedding: tf.Variable;
  /** [target vocabulary, embedding]. */
  readonly targetEmbedding: tf.Variable;
  readonly encoderCell: RecurrentCell;
  readonly decoderCell: RecurrentCell;
  /** [featureSize, target vocabulary]. */
  readonly outputWeight: tf.Variable;
  readonly outputBias: tf.Variable;
  /** Global norm of the last step's gradients, before clipping: above `config.clipNorm`, the step was clipped. */
  lastGradientNorm = NaN;
  protected readonly ids: { sourcePad: number; sourceEos: number; targetPad: number; targetBos: number; targetEos: number };
  /** Draws the initial weights; subclasses continue drawing from it after the shared layers. */
  protected readonly rng: Random;
  private optimizer: Adam | null = null;
  private disposed = false;

  /**
   * `decoderInputSize`: what the decoder cell reads at each step; `featureSize`: what the output layer reads
   * (both depend on the subclass, which computes them before any weight exists).
   */
  protected constructor(architecture: Seq2SeqArchitecture, options: Seq2SeqOptions, decoderInputSize: (embedding: number, hidden: number) => number, featureSize: (embedding: number, hidden: number) => number, attentionSize?: number) {
    if (options === null || typeof options !== "object") throw new TypeError("seq2seq: options must be an object { sourceTokenizer, targetTokenizer, … }");
    const caller = architecture === "seq2seq" ? "Seq2Seq" : "AttentionSeq2Seq";
    const { sourceTokenizer, targetTokenizer } = options;
    for (const [name, t] of [["sourceTokenizer", sourceTokenizer], ["targetTokenizer", targetTokenizer]] as const) {
      if (t === null || typeof t !== "object" || typeof t.encode !== "function" || typeof t.specialTokenId !== "function") {
        throw new TypeError(`${caller}: ${name} must be a tokenizer (e.g. new NumberWordsTokenizer("en"))`);
      }
    }
    const embeddingSize = checkSize(options.embeddingSize ?? 64, "embeddingSize", caller);
    const hiddenSize = checkSize(options.hiddenSize ?? 128, "hiddenSize", caller);
    const maxOutputLength = checkSize(options.maxOutputLength ?? 40, "maxOutputLength", caller);
    const clipNorm = options.clipNorm ?? 5;
    if (typeof clipNorm !== "number" || !(clipNorm > 0)) throw new RangeError(`${caller}: clipNorm must be > 0, got ${String(clipNorm)}`);
    const seed = options.seed ?? 42;
    if (typeof seed !== "number" || !Number.isFinite(seed)) throw new TypeError(`${caller}: seed must be a number, got ${String(seed)}`);
    const cell = options.cell ?? "gru";
    if (cell !== "gru" && cell !== "lstm" && cell !== "rnn") throw new RangeError(`${caller}: unknown cell ${JSON.stringify(cell)}; use "gru", "lstm" or "rnn"`);
    this.sourceTokenizer = sourceTokenizer;
    this.targetTokenizer = targetTokenizer;
    this.ids = {
      sourcePad: specialId(sourceTokenizer, PAD_TOKEN, "source"),
      sourceEos: specialId(sourceTokenizer, EOS_TOKEN, "source"),
      targetPad: specialId(targetTokenizer, PAD_TOKEN, "target"),
      targetBos: specialId(targetTokenizer, BOS_TOKEN, "target"),
      targetEos: specialId(targetTokenizer, EOS_TOKEN, "target"),
    };
    this.config = {
      architecture,
      cell,
      sourceVocabSize: sourceTokenizer.vocabSize,
      targetVocabSize: targetTokenizer.vocabSize,
      embeddingSize,
      hiddenSize,
      ...(attentionSize === undefined ? {} : { attentionSize }),
      seed,
      clipNorm,
      maxOutputLength,
    };
    this.rng = new Random(seed);
    this.sourceEmbedding = normalVariable(this.rng, [sourceTokenizer.vocabSize, embeddingSize], 1);
    this.targetEmbedding = normalVariable(this.rng, [targetTokenizer.vocabSize, embeddingSize], 1);
    this.encoderCell = makeCell(cell, embeddingSize, hiddenSize, this.rng);
    this.decoderCell = makeCell(cell, decoderInputSize(embeddingSize, hiddenSize), hiddenSize, this.rng);
    const features = featureSize(embeddingSize, hiddenSize);
    this.outputWeight = uniformVariable(this.rng, [features, targetTokenizer.vocabSize], 1 / Math.sqrt(features));
    this.outputBias = zerosVariable([targetTokenizer.vocabSize]);
  }

  /** One decoder step from the previous token's embedding [batch, embedding] and the previous state. */
  protected abstract decoderStep(memory: EncoderMemory, input: tf.Tensor2D, state: RecurrentState): DecoderStep;

  /** Variables beyond the shared ones (the attention layer), by name. */
  protected extraVariables(): Record<string, tf.Variable> {
    return {};
  }

  /** Adds what the decoder needs beyond the encoder states (attention: the projected keys). */
  protected prepareMemory(memory: EncoderMemory): EncoderMemory {
    return memory;
  }

  /** Every trainable tensor by a stable name ("encoder.Wx", "output.W"…): the checkpoint's keys. */
  variables(): Record<string, tf.Variable> {
    return {
      "embedding.source": this.sourceEmbedding,
      "embedding.target": this.targetEmbedding,
      ...prefixed("encoder", this.encoderCell.variables()),
      ...prefixed("decoder", this.decoderCell.variables()),
      ...this.extraVariables(),
      "output.W": this.outputWeight,
      "output.b": this.outputBias,
    };
  }

  /** Number of trainable numbers. */
  parameterCount(): number {
    return Object.values(this.variables()).reduce((sum, v) => sum + v.size, 0);
  }

  /** Encodes padded sources [batch, source] (int32) with their mask; call inside tf.tidy. */
  encode(sourceIds: tf.Tensor2D, sourceMask: tf.Tensor2D): EncoderMemory {
    this.checkAlive("encode");
    return tf.tidy(() => {
      const embedded = embeddingLookup(this.sourceEmbedding, sourceIds) as tf.Tensor3D;
      // The mask freezes the state on padding: the final state is each source's own, whatever the batch.
      const { outputs, final } = runSequence(this.encoderCell, embedded, { mask: sourceMask });
      return this.prepareMemory({ outputs, final, mask: sourceMask.clone() });
    });
  }

  /**
   * Teacher forcing: logits [batch, target, vocabulary] for every position of the decoder inputs
   * [batch, target] (int32, starting with <s>); `attention` [batch, target, source] for an attention model.
   */
  teacherForcing(sourceIds: tf.Tensor2D, sourceMask: tf.Tensor2D, decoderInputs: tf.Tensor2D): { logits: tf.Tensor3D; attention: tf.Tensor3D | null } {
    this.checkAlive("teacherForcing");
    const result = tf.tidy(() => {
      const memory = this.encode(sourceIds, sourceMask);
      const [batch, length] = decoderInputs.shape;
      const embedded = embeddingLookup(this.targetEmbedding, decoderInputs) as tf.Tensor3D;
      const { features, attention } = this.decodeTeacherForced(memory, embedded);
      const logits = this.outputLogits(features.reshape([batch * length, -1]) as tf.Tensor2D).reshape([batch, length, -1]) as tf.Tensor3D;
      return { logits, attention: attention ?? undefined };
    });
    return { logits: result.logits, attention: result.attention ?? null };
  }

  /** Features [batch, target, F] for all decoder inputs at once; the default runs decoderStep step by step. */
  protected decodeTeacherForced(memory: EncoderMemory, embedded: tf.Tensor3D): { features: tf.Tensor3D; attention: tf.Tensor3D | null } {
    const inputs = tf.unstack(embedded, 1) as tf.Tensor2D[];
    let state = memory.final;
    const features: tf.Tensor2D[] = [];
    const attention: tf.Tensor2D[] = [];
    for (const input of inputs) {
      const step = this.decoderStep(memory, input, state);
      state = step.state;
      features.push(step.features);
      if (step.attention !== undefined) attention.push(step.attention);
    }
    return { features: tf.stack(features, 1) as tf.Tensor3D, attention: attention.length > 0 ? (tf.stack(attention, 1) as tf.Tensor3D) : null };
  }

  /** Logits [rows, vocabulary] from decoder features [rows, F]. */
  protected outputLogits(features: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(matMul2d(features, this.outputWeight), this.outputBias) as tf.Tensor2D);
  }

  /** A padded batch as tensors. */
  batchTensors(batch: SequencePairBatch): BatchTensors {
    const { batchSize: b, sourceLength: s, targetLength: t } = batch;
    return {
      sourceIds: tf.tensor2d(batch.sourceIds, [b, s], "int32"),
      sourceMask: tf.tensor2d(batch.sourceMask, [b, s], "float32"),
      decoderInputs: tf.tensor2d(batch.decoderInputs, [b, t], "int32"),
      decoderTargets: tf.tensor1d(batch.decoderTargets, "int32"),
      targetMask: tf.tensor1d(batch.targetMask, "float32"),
    };
  }

  /** Mean NLL per real target token of a batch (teacher forcing). */
  batchLoss(tensors: BatchTensors): tf.Scalar {
    return tf.tidy(() => {
      const { logits } = this.teacherForcing(tensors.sourceIds, tensors.sourceMask, tensors.decoderInputs);
      const [b, t, v] = logits.shape;
      return maskedCrossEntropy(logits.reshape([b * t, v]) as tf.Tensor2D, tensors.decoderTargets, tensors.targetMask);
    });
  }

  /**
   * One Adam step on the examples `indices` at learning rate `lr`, gradients clipped to a global norm of
   * `config.clipNorm`; returns the minibatch's mean NLL per target token before the update.
   */
  trainStep(data: SequencePairDataset, indices: Int32Array, lr: number): number {
    this.checkAlive("trainStep");
    this.checkData(data, "trainStep");
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) throw new RangeError(`${this.name}.trainStep: lr must be a finite number ≥ 0, got ${lr}`);
    const batch = sequencePairBatch(data, indices);
    const params = this.variables();
    if (this.optimizer === null) this.optimizer = new Adam(params);
    const optimizer = this.optimizer;
    const names = Object.keys(params);
    let loss = NaN;
    tf.tidy(() => {
      const tensors = this.batchTensors(batch);
      const { value, grads } = tf.variableGrads(() => this.batchLoss(tensors), names.map((n) => params[n]!));
      // variableGrads keys gradients by tfjs' internal variable names; the optimizer wants ours.
      const named: Record<string, tf.Tensor> = {};
      for (const n of names) {
        const g = grads[params[n]!.name];
        if (g !== undefined) named[n] = g;
      }
      const { grads: clipped, norm } = clipByGlobalNorm(named, this.config.clipNorm);
      loss = value.dataSync()[0]!;
      this.lastGradientNorm = norm.dataSync()[0]!;
      if (Number.isFinite(loss)) optimizer.update(clipped, lr);
    });
    return loss;
  }

  /** Mean NLL per real target token over all of `data` (teacher forcing; nothing updated). exp of it is the perplexity. */
  evaluate(data: SequencePairDataset): number {
    this.checkAlive("evaluate");
    this.checkData(data, "evaluate");
    let total = 0;
    let tokens = 0;
    for (let start = 0; start < data.size; start += CHUNK) {
      const indices = Int32Array.from({ length: Math.min(CHUNK, data.size - start) }, (_, i) => start + i);
      const batch = sequencePairBatch(data, indices);
      total += tf.tidy(() => {
        const tensors = this.batchTensors(batch);
        const { logits } = this.teacherForcing(tensors.sourceIds, tensors.sourceMask, tensors.decoderInputs);
        const [b, t, v] = logits.shape;
        return tf.sum(maskedTokenNll(logits.reshape([b * t, v]) as tf.Tensor2D, tensors.decoderTargets, tensors.targetMask)).dataSync()[0]!;
      });
      for (let i = 0; i < batch.targetMask.length; i++) tokens += batch.targetMask[i]!;
    }
    return total / tokens;
  }

  /**
   * Greedy decoding of source id sequences (each ending with </s>, as in a SequencePairDataset): at each
   * step the most likely token is kept and fed back, until </s> or `maxLength` tokens.
   */
  greedyDecode(sources: readonly (readonly number[])[], options: { maxLength?: number; attention?: boolean } = {}): GreedyResult {
    this.checkAlive("greedyDecode");
    if (!Array.isArray(sources) || sources.length === 0) throw new RangeError(`${this.name}.greedyDecode: sources must be a non-empty array of id arrays`);
    const maxLength = checkSize(options.maxLength ?? this.config.maxOutputLength, "maxLength", `${this.name}.greedyDecode`);
    const result: GreedyResult = { ids: [], finished: [], attention: options.attention === true ? [] : null };
    for (let start = 0; start < sources.length; start += CHUNK) {
      const part = this.greedyChunk(sources.slice(start, start + CHUNK), maxLength, options.attention === true);
      result.ids.push(...part.ids);
      result.finished.push(...part.finished);
      if (result.attention !== null && part.attention !== null) result.attention.push(...part.attention);
    }
    return result;
  }

  private greedyChunk(sources: readonly (readonly number[])[], maxLength: number, keepAttention: boolean): GreedyResult {
    const vocab = this.config.sourceVocabSize;
    sources.forEach((row, i) => {
      if (!Array.isArray(row) || row.length === 0 || row.some((id) => !Number.isInteger(id) || id < 0 || id >= vocab)) {
        throw new RangeError(`${this.name}.greedyDecode: source ${i} must be a non-empty array of ids in 0…${vocab - 1}`);
      }
    });
    const padded = padBatch(sources, { padId: this.ids.sourcePad });
    const batch = sources.length;
    const length = padded.inputIds[0]!.length;
    const memory = tf.tidy(() => this.encode(tf.tensor2d(padded.inputIds.flat(), [batch, length], "int32"), tf.tensor2d(padded.attentionMask.flat(), [batch, length])));
    const ids: number[][] = sources.map(() => []);
    const finished = sources.map(() => false);
    const attention: number[][][] | null = keepAttention ? sources.map(() => []) : null;
    const previous = new Int32Array(batch).fill(this.ids.targetBos);
    let state = memory.final;
    try {
      for (let t = 0; t < maxLength && finished.some((f) => !f); t++) {
        const step = tf.tidy(() => {
          const input = embeddingLookup(this.targetEmbedding, tf.tensor1d(previous, "int32")) as tf.Tensor2D;
          const out = this.decoderStep(memory, input, state);
          return { state: out.state, next: tf.argMax(this.outputLogits(out.features), 1), attention: out.attention };
        });
        if (state !== memory.final) disposeState(state);
        state = step.state;
        const next = step.next.dataSync();
        step.next.dispose();
        const weights = step.attention !== undefined && attention !== null ? (step.attention.arraySync() as number[][]) : null;
        step.attention?.dispose();
        for (let i = 0; i < batch; i++) {
          if (finished[i]) continue;
          const id = next[i]!;
          previous[i] = id;
          if (id === this.ids.targetEos) {
            finished[i] = true;
            continue;
          }
          ids[i]!.push(id);
          if (weights !== null) attention![i]!.push(weights[i]!.slice(0, sources[i]!.length));
        }
      }
    } finally {
      if (state !== memory.final) disposeState(state);
      disposeMemory(memory);
    }
    return { ids, finished, attention };
  }

  /** Translates one text: its tokens, the text, and the attention matrix when the model has attention. */
  translate(text: string, options: { maxLength?: number } = {}): Translation {
    this.checkAlive("translate");
    if (typeof text !== "string") throw new TypeError(`${this.name}.translate: expected a string, got ${typeof text}`);
    const source = [...this.sourceTokenizer.encode(text), this.ids.sourceEos];
    const result = this.greedyDecode([source], { maxLength: options.maxLength, attention: true });
    const ids = result.ids[0]!;
    return {
      text: this.targetTokenizer.decode(ids),
      tokens: ids.map((id) => this.targetTokenizer.decode([id])),
      sourceTokens: source.map((id) => this.sourceTokenizer.decode([id])),
      attention: result.attention?.[0] && this.config.architecture === "attention" ? result.attention[0] : null,
      stopped: result.finished[0] ? "eos" : "maxLength",
    };
  }

  /** Frees every tensor of the model (and of its optimizer); the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const v of Object.values(this.variables())) v.dispose();
    this.optimizer?.dispose();
    this.disposed = true;
  }

  /** "Seq2Seq" or "AttentionSeq2Seq", for messages. */
  get name(): string {
    return this.config.architecture === "seq2seq" ? "Seq2Seq" : "AttentionSeq2Seq";
  }

  private checkAlive(where: string): void {
    if (this.disposed) throw new Error(`${this.name}.${where}: the model was disposed`);
  }

  private checkData(data: SequencePairDataset, where: string): void {
    if (data === null || typeof data !== "object" || !Array.isArray(data.sources) || !Array.isArray(data.targets)) {
      throw new TypeError(`${this.name}.${where}: expected a SequencePairDataset (numberTranslationData().train or buildSequencePairs(…))`);
    }
    if (data.size === 0) throw new RangeError(`${this.name}.${where}: the dataset is empty`);
    if (data.sourceTokenizer.vocabSize !== this.config.sourceVocabSize || data.targetTokenizer.vocabSize !== this.config.targetVocabSize) {
      throw new RangeError(
        `${this.name}.${where}: the dataset's vocabularies (${data.sourceTokenizer.vocabSize} → ${data.targetTokenizer.vocabSize}) do not match the model's (${this.config.sourceVocabSize} → ${this.config.targetVocabSize})`,
      );
    }
  }
}

/** Frees the tensors of an encoder memory. */
export function disposeMemory(memory: EncoderMemory): void {
  memory.outputs.dispose();
  disposeState(memory.final);
  memory.mask.dispose();
  memory.keys?.dispose();
  memory.maskBias?.dispose();
}
