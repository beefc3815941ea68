/**
 * The plain encoder–decoder (Sutskever et al. 2014, Cho et al. 2014): the decoder starts from the
 * encoder's final state — the whole source squeezed into one vector — and at each step reads only the
 * previous target token:  s_t = cell(emb(y_{t−1}), s_{t−1}),  s_0 = h_S,  p(y_t) = softmax(W s_t + b).
 */
import * as tf from "@tensorflow/tfjs";
import type { RecurrentState } from "./cell";
import { EncoderDecoder, type DecoderStep, type EncoderMemory, type Seq2SeqOptions } from "./encoderDecoder";
import { runSequence } from "./sequence";

/** A GRU (or LSTM, or plain RNN) translator without attention. */
export class Seq2Seq extends EncoderDecoder {
  constructor(options: Seq2SeqOptions) {
    super("seq2seq", options, (embedding) => embedding, (_embedding, hidden) => hidden);
  }

  protected decoderStep(_memory: EncoderMemory, input: tf.Tensor2D, state: RecurrentState): DecoderStep {
    return tf.tidy(() => {
      const next = this.decoderCell.step(input, state);
      return { state: next, features: next.h };
    });
  }

  /** Every step's input is known in advance under teacher forcing: one sequence run, no per-step loop here. */
  protected override decodeTeacherForced(memory: EncoderMemory, embedded: tf.Tensor3D): { features: tf.Tensor3D; attention: null } {
    return { features: runSequence(this.decoderCell, embedded, { initial: memory.final }).outputs, attention: null };
  }
}
