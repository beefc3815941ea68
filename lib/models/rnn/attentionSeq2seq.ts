/**
 * The encoder–decoder with additive attention (Bahdanau et al. 2015): at each step the previous decoder
 * state s_{t−1} attends over ALL encoder states h_1 … h_S, and the context c_t = Σ α_tj h_j joins the
 * previous token at the decoder's input and the new state at the output layer:
 *
 *   α_t = softmax_j(vᵀ tanh(W_q s_{t−1} + W_k h_j))    c_t = Σ_j α_tj h_j
 *   s_t = cell([emb(y_{t−1}); c_t], s_{t−1})            p(y_t) = softmax(W [s_t; c_t] + b)
 *
 * The decoder still starts from the encoder's final state; α_t (one row per generated token) is the
 * heat-map `translate` returns.
 */
import * as tf from "@tensorflow/tfjs";
import { AdditiveAttention, maskBias } from "./attention";
import type { RecurrentState } from "./cell";
import { EncoderDecoder, type DecoderStep, type EncoderMemory, type Seq2SeqOptions } from "./encoderDecoder";
import { checkSize } from "./init";

/** Options of {@link AttentionSeq2Seq}. */
export interface AttentionSeq2SeqOptions extends Seq2SeqOptions {
  /** Size of the attention layer's hidden units (default: hiddenSize). */
  attentionSize?: number;
}

/** A GRU (or LSTM, or plain RNN) translator with Bahdanau attention. */
export class AttentionSeq2Seq extends EncoderDecoder {
  readonly attention: AdditiveAttention;

  constructor(options: AttentionSeq2SeqOptions) {
    const hidden = options?.hiddenSize ?? 128;
    const attentionSize = checkSize(options?.attentionSize ?? hidden, "attentionSize", "AttentionSeq2Seq");
    super("attention", options, (embedding, h) => embedding + h, (_embedding, h) => 2 * h, attentionSize);
    this.attention = new AdditiveAttention({ querySize: this.config.hiddenSize, keySize: this.config.hiddenSize, attentionSize, rng: this.rng });
  }

  protected override extraVariables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, v] of Object.entries(this.attention.variables())) out[`attention.${name}`] = v;
    return out;
  }

  protected override prepareMemory(memory: EncoderMemory): EncoderMemory {
    return { ...memory, keys: this.attention.projectKeys(memory.outputs), maskBias: maskBias(memory.mask) };
  }

  protected decoderStep(memory: EncoderMemory, input: tf.Tensor2D, state: RecurrentState): DecoderStep {
    const { keys, maskBias: bias } = memory;
    if (keys === undefined || bias === undefined) throw new Error("AttentionSeq2Seq: the encoder memory has no projected keys (use model.encode)");
    return tf.tidy(() => {
      const { context, weights } = this.attention.attendWithBias(state.h, keys, memory.outputs, memory.mask, bias);
      const next = this.decoderCell.step(tf.concat([input, context], 1) as tf.Tensor2D, state);
      return { state: next, features: tf.concat([next.h, context], 1) as tf.Tensor2D, attention: weights };
    });
  }
}
