/**
 * What every recurrent cell (plain RNN, LSTM, GRU) offers, so the encoder, the decoders and the sequence
 * runner take any of them. Tensors are batches of row vectors: x is [batch, input], h is [batch, hidden].
 *
 * A cell's equations multiply x_t by input weights at every step; those products do not depend on the
 * previous state, so `projectInputs` computes them for all time steps in one large matrix product and
 * `stepProjected` does the rest. `step(x, state)` = `stepProjected(projectInputs(x), state)` is the
 * textbook one-step equation.
 */
import type * as tf from "@tensorflow/tfjs";

/** The recurrent state: h, plus the memory cell c for an LSTM. */
export type RecurrentState = {
  h: tf.Tensor2D;
  /** LSTM only: the cell state C_t. */
  c?: tf.Tensor2D;
};

/** The three cells of TP5. */
export type CellKind = "rnn" | "lstm" | "gru";

/** A recurrent cell: parameters plus the equations of one time step. */
export interface RecurrentCell {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** One time step: the new state from input x_t [batch, input] and the previous state. */
  step(x: tf.Tensor2D, state: RecurrentState): RecurrentState;
  /** The input-weight part of every gate, biases included: [rows, gates × hidden] for x [rows, input]. */
  projectInputs(x: tf.Tensor2D): tf.Tensor2D;
  /** One time step from `projectInputs(x_t)`. */
  stepProjected(projected: tf.Tensor2D, state: RecurrentState): RecurrentState;
  /** The all-zero state h_0 (and c_0) for `batch` sequences. */
  initialState(batch: number): RecurrentState;
  /** The trainable tensors by name (stable names: checkpoints use them). */
  variables(): Record<string, tf.Variable>;
}

/** Frees the tensors of a state. */
export function disposeState(state: RecurrentState): void {
  state.h.dispose();
  state.c?.dispose();
}
