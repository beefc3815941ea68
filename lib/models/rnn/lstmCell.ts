/**
 * The LSTM cell, with the seeds' equations (W · [h_{t−1}, x_t] concatenates the previous state and the input):
 *
 *   f_t = σ(W_f · [h_{t−1}, x_t] + b_f)        forget gate: how much of C_{t−1} to keep
 *   i_t = σ(W_i · [h_{t−1}, x_t] + b_i)        input gate: how much of the candidate to add
 *   C̃_t = tanh(W_C · [h_{t−1}, x_t] + b_C)     candidate memory
 *   C_t = f_t * C_{t−1} + i_t * C̃_t            the memory is updated additively, so gradients flow through it
 *   o_t = σ(W_o · [h_{t−1}, x_t] + b_o)        output gate
 *   h_t = o_t * tanh(C_t)
 *
 * W_g · [h, x] = W_gh · h + W_gx · x: the four gates' input parts are stored side by side in one
 * [input, 4 × hidden] matrix (order f, i, C̃, o) and their state parts in one [hidden, 4 × hidden] matrix,
 * so a step costs two matrix products instead of eight.
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../random";
import type { RecurrentCell, RecurrentState } from "./cell";
import { checkSize, uniformVariable, variableFrom } from "./init";
import type { CellOptions } from "./rnnCell";
import { checkMatrix, checkVector, transposedColumns } from "./weights";
import { matMul2d } from "./matmul";

/** The gates of one LSTM step, each [batch, hidden]. */
export type LstmGates = {
  f: tf.Tensor2D;
  i: tf.Tensor2D;
  cTilde: tf.Tensor2D;
  o: tf.Tensor2D;
  c: tf.Tensor2D;
  h: tf.Tensor2D;
};

/** The seeds' weights: each W_g is [hidden, hidden + input] acting on [h_{t−1}, x_t]; each b_g is [hidden]. */
export interface LstmWeights {
  Wf: number[][];
  Wi: number[][];
  Wc: number[][];
  Wo: number[][];
  bf: number[];
  bi: number[];
  bc: number[];
  bo: number[];
}

const GATES = ["f", "i", "c", "o"] as const;

/** An LSTM cell; its state is { h, c }. */
export class LSTMCell implements RecurrentCell {
  readonly kind = "lstm" as const;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** [input, 4·hidden]: W_fxᵀ | W_ixᵀ | W_Cxᵀ | W_oxᵀ. */
  readonly Wx: tf.Variable;
  /** [hidden, 4·hidden]: W_fhᵀ | W_ihᵀ | W_Chᵀ | W_ohᵀ. */
  readonly Wh: tf.Variable;
  /** [4·hidden]: b_f | b_i | b_C | b_o. */
  readonly b: tf.Variable;

  constructor(options: CellOptions) {
    const inputSize = checkSize(options?.inputSize, "inputSize", "LSTMCell");
    const hiddenSize = checkSize(options.hiddenSize, "hiddenSize", "LSTMCell");
    const rng = options.rng ?? new Random(options.seed ?? 42);
    const scale = 1 / Math.sqrt(hiddenSize);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.Wx = uniformVariable(rng, [inputSize, 4 * hiddenSize], scale);
    this.Wh = uniformVariable(rng, [hiddenSize, 4 * hiddenSize], scale);
    // A forget bias of 1 starts the cell remembering (f ≈ 0.73), a common choice since Jozefowicz et al. 2015.
    const bias = new Float32Array(4 * hiddenSize);
    bias.fill(1, 0, hiddenSize);
    this.b = variableFrom(bias, [4 * hiddenSize]);
  }

  /** A cell with exactly the seeds' weights W_f, W_i, W_C, W_o ([hidden, hidden + input]) and biases. */
  static fromWeights(weights: LstmWeights): LSTMCell {
    const caller = "LSTMCell.fromWeights";
    const hidden = checkMatrix(weights?.Wf, "Wf", caller).rows;
    const width = checkMatrix(weights.Wf, "Wf", caller, hidden).cols;
    if (width <= hidden) throw new RangeError(`${caller}: each W must be [hidden, hidden + input] = [${hidden}, ${hidden} + input], got ${width} columns`);
    const input = width - hidden;
    const matrices = [weights.Wf, weights.Wi, weights.Wc, weights.Wo];
    matrices.forEach((m, g) => checkMatrix(m, `W${GATES[g]}`, caller, hidden, width));
    const biases = [weights.bf, weights.bi, weights.bc, weights.bo].map((b, g) => checkVector(b, `b${GATES[g]}`, caller, hidden));
    const cell = new LSTMCell({ inputSize: input, hiddenSize: hidden });
    tf.tidy(() => {
      cell.Wx.assign(tf.concat(matrices.map((m) => tf.tensor2d(transposedColumns(m, hidden, width), [input, hidden])), 1));
      cell.Wh.assign(tf.concat(matrices.map((m) => tf.tensor2d(transposedColumns(m, 0, hidden), [hidden, hidden])), 1));
      cell.b.assign(tf.tensor1d(biases.flat()));
    });
    return cell;
  }

  step(x: tf.Tensor2D, state: RecurrentState): RecurrentState {
    return tf.tidy(() => this.stepProjected(this.projectInputs(x), state));
  }

  /** Every gate of one step (for teaching and tests; `step` keeps only h and C). */
  gates(x: tf.Tensor2D, state: RecurrentState): LstmGates {
    return tf.tidy(() => this.gatesProjected(this.projectInputs(x), state));
  }

  projectInputs(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(matMul2d(x, this.Wx), this.b));
  }

  stepProjected(projected: tf.Tensor2D, state: RecurrentState): RecurrentState {
    return tf.tidy(() => {
      const { c, h } = this.gatesProjected(projected, state);
      return { h, c };
    });
  }

  private gatesProjected(projected: tf.Tensor2D, state: RecurrentState): LstmGates {
    if (state.c === undefined) throw new Error("LSTMCell: the state has no memory cell c (use cell.initialState(batch))");
    const previousC = state.c;
    return tf.tidy(() => {
      const pre = tf.add(projected, matMul2d(state.h, this.Wh));
      const [preF, preI, preC, preO] = tf.split(pre, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const f = tf.sigmoid(preF);
      const i = tf.sigmoid(preI);
      const cTilde = tf.tanh(preC);
      const o = tf.sigmoid(preO);
      const c = tf.add(tf.mul(f, previousC), tf.mul(i, cTilde)) as tf.Tensor2D;
      const h = tf.mul(o, tf.tanh(c)) as tf.Tensor2D;
      return { f, i, cTilde, o, c, h };
    });
  }

  initialState(batch: number): RecurrentState {
    return { h: tf.zeros([batch, this.hiddenSize]), c: tf.zeros([batch, this.hiddenSize]) };
  }

  variables(): Record<string, tf.Variable> {
    return { Wx: this.Wx, Wh: this.Wh, b: this.b };
  }
}
