/**
 * The GRU cell, with the seeds' equations:
 *
 *   z_t = σ(W_z · [h_{t−1}, x_t] + b_z)              update gate
 *   r_t = σ(W_r · [h_{t−1}, x_t] + b_r)              reset gate
 *   h̃_t = tanh(W · [r_t * h_{t−1}, x_t] + b)         candidate state, reading a reset-scaled past
 *   h_t = (1 − z_t) * h_{t−1} + z_t * h̃_t
 *
 * (PyTorch swaps the roles of z and 1 − z; this is Cho et al. 2014's and the seeds' convention.) One gate
 * fewer than the LSTM and no separate memory cell. Stored as in ./lstmCell: the three input parts side by
 * side in [input, 3 × hidden] (z, r, h̃); the state parts of z and r in [hidden, 2 × hidden], and the
 * candidate's in its own [hidden, hidden] because it multiplies r * h, known only after r.
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../random";
import type { RecurrentCell, RecurrentState } from "./cell";
import { checkSize, uniformVariable, zerosVariable } from "./init";
import type { CellOptions } from "./rnnCell";
import { checkMatrix, checkVector, transposedColumns } from "./weights";
import { matMul2d } from "./matmul";
import { offLimitsDuringChecks } from "../../grading/off-limits";

/** The gates of one GRU step, each [batch, hidden]. */
export type GruGates = {
  z: tf.Tensor2D;
  r: tf.Tensor2D;
  hTilde: tf.Tensor2D;
  h: tf.Tensor2D;
};

/** The seeds' weights: W_z, W_r, W each [hidden, hidden + input] acting on [h, x]; biases [hidden]. */
export interface GruWeights {
  Wz: number[][];
  Wr: number[][];
  W: number[][];
  bz: number[];
  br: number[];
  b: number[];
}

/** A GRU cell; its state is { h }. */
export class GRUCell implements RecurrentCell {
  readonly kind = "gru" as const;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** [input, 3·hidden]: W_zxᵀ | W_rxᵀ | W_xᵀ. */
  readonly Wx: tf.Variable;
  /** [hidden, 2·hidden]: W_zhᵀ | W_rhᵀ. */
  readonly Whzr: tf.Variable;
  /** [hidden, hidden]: W_hᵀ, the candidate's state part. */
  readonly Whh: tf.Variable;
  /** [3·hidden]: b_z | b_r | b. */
  readonly b: tf.Variable;

  constructor(options: CellOptions) {
    const inputSize = checkSize(options?.inputSize, "inputSize", "GRUCell");
    const hiddenSize = checkSize(options.hiddenSize, "hiddenSize", "GRUCell");
    const rng = options.rng ?? new Random(options.seed ?? 42);
    const scale = 1 / Math.sqrt(hiddenSize);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.Wx = uniformVariable(rng, [inputSize, 3 * hiddenSize], scale);
    this.Whzr = uniformVariable(rng, [hiddenSize, 2 * hiddenSize], scale);
    this.Whh = uniformVariable(rng, [hiddenSize, hiddenSize], scale);
    this.b = zerosVariable([3 * hiddenSize]);
  }

  /** A cell with exactly the seeds' weights W_z, W_r, W ([hidden, hidden + input]) and biases. */
  static fromWeights(weights: GruWeights): GRUCell {
    const caller = "GRUCell.fromWeights";
    const hidden = checkMatrix(weights?.Wz, "Wz", caller).rows;
    const width = checkMatrix(weights.Wz, "Wz", caller).cols;
    if (width <= hidden) throw new RangeError(`${caller}: each W must be [hidden, hidden + input] = [${hidden}, ${hidden} + input], got ${width} columns`);
    const input = width - hidden;
    checkMatrix(weights.Wr, "Wr", caller, hidden, width);
    checkMatrix(weights.W, "W", caller, hidden, width);
    const biases = [checkVector(weights.bz, "bz", caller, hidden), checkVector(weights.br, "br", caller, hidden), checkVector(weights.b, "b", caller, hidden)];
    const cell = new GRUCell({ inputSize: input, hiddenSize: hidden });
    tf.tidy(() => {
      const x = (m: number[][]) => tf.tensor2d(transposedColumns(m, hidden, width), [input, hidden]);
      const h = (m: number[][]) => tf.tensor2d(transposedColumns(m, 0, hidden), [hidden, hidden]);
      cell.Wx.assign(tf.concat([x(weights.Wz), x(weights.Wr), x(weights.W)], 1));
      cell.Whzr.assign(tf.concat([h(weights.Wz), h(weights.Wr)], 1));
      cell.Whh.assign(h(weights.W));
      cell.b.assign(tf.tensor1d(biases.flat()));
    });
    return cell;
  }

  step(x: tf.Tensor2D, state: RecurrentState): RecurrentState {
    return tf.tidy(() => this.stepProjected(this.projectInputs(x), state));
  }

  /** Every gate of one step (for teaching and tests). */
  gates(x: tf.Tensor2D, state: RecurrentState): GruGates {
    return tf.tidy(() => this.gatesProjected(this.projectInputs(x), state));
  }

  projectInputs(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(matMul2d(x, this.Wx), this.b));
  }

  stepProjected(projected: tf.Tensor2D, state: RecurrentState): RecurrentState {
    return tf.tidy(() => ({ h: this.gatesProjected(projected, state).h }));
  }

  private gatesProjected(projected: tf.Tensor2D, state: RecurrentState): GruGates {
    const H = this.hiddenSize;
    return tf.tidy(() => {
      const previous = state.h;
      const [xzr, xh] = tf.split(projected, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
      const zr = tf.sigmoid(tf.add(xzr, matMul2d(previous, this.Whzr)));
      const [z, r] = tf.split(zr, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const hTilde = tf.tanh(tf.add(xh, matMul2d(tf.mul(r, previous), this.Whh))) as tf.Tensor2D;
      // (1 − z) * h + z * h̃, written h + z * (h̃ − h): one multiplication fewer.
      const h = tf.add(previous, tf.mul(z, tf.sub(hTilde, previous))) as tf.Tensor2D;
      return { z, r, hTilde, h };
    });
  }

  initialState(batch: number): RecurrentState {
    return { h: tf.zeros([batch, this.hiddenSize]) };
  }

  variables(): Record<string, tf.Variable> {
    return { Wx: this.Wx, Whzr: this.Whzr, Whh: this.Whh, b: this.b };
  }
}

// TP5's gru_encode exercise runs a GRU by hand: the library's cell built from the same weights is disabled during its check.
GRUCell.fromWeights = offLimitsDuringChecks("GRUCell.fromWeights", GRUCell.fromWeights);
