/**
 * The plain (Elman) recurrent cell, written out:  h_t = tanh(W_hx x_t + W_hh h_{t−1} + b).
 * The same weights are used at every time step; h_t summarises x_1 … x_t. Gradients through many tanh
 * steps shrink or explode, which is what LSTM and GRU cells (and gradient clipping) address.
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../random";
import type { RecurrentCell, RecurrentState } from "./cell";
import { checkSize, uniformVariable, zerosVariable } from "./init";
import { checkMatrix, checkVector } from "./weights";
import { matMul2d } from "./matmul";

/** Sizes and seed of a cell. */
export interface CellOptions {
  inputSize: number;
  hiddenSize: number;
  /** Seed of the initial weights, uniform in ±1/√hidden as PyTorch (default 42). */
  seed?: number;
  /** Draw the weights from this generator instead of a new one seeded with `seed`. */
  rng?: Random;
}

/** The weights of an RNN cell in the equations' layout: W_hx [hidden, input], W_hh [hidden, hidden], b [hidden]. */
export interface RnnWeights {
  Whx: number[][];
  Whh: number[][];
  b: number[];
}

/** h_t = tanh(W_hx x_t + W_hh h_{t−1} + b). Stored transposed (x · W_hxᵀ) because tensors hold row vectors. */
export class RNNCell implements RecurrentCell {
  readonly kind = "rnn" as const;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** W_hxᵀ: [input, hidden]. */
  readonly Wx: tf.Variable;
  /** W_hhᵀ: [hidden, hidden]. */
  readonly Wh: tf.Variable;
  readonly b: tf.Variable;

  constructor(options: CellOptions) {
    const inputSize = checkSize(options?.inputSize, "inputSize", "RNNCell");
    const hiddenSize = checkSize(options.hiddenSize, "hiddenSize", "RNNCell");
    const rng = options.rng ?? new Random(options.seed ?? 42);
    const scale = 1 / Math.sqrt(hiddenSize);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.Wx = uniformVariable(rng, [inputSize, hiddenSize], scale);
    this.Wh = uniformVariable(rng, [hiddenSize, hiddenSize], scale);
    this.b = zerosVariable([hiddenSize]);
  }

  /** A cell with exactly these weights (the equations' layout), e.g. for a hand-computed example. */
  static fromWeights(weights: RnnWeights): RNNCell {
    const Whh = checkMatrix(weights?.Whh, "Whh", "RNNCell.fromWeights");
    const hidden = Whh.rows;
    if (Whh.cols !== hidden) throw new RangeError(`RNNCell.fromWeights: Whh must be square [hidden, hidden], got [${Whh.rows}, ${Whh.cols}]`);
    const Whx = checkMatrix(weights.Whx, "Whx", "RNNCell.fromWeights", hidden);
    const b = checkVector(weights.b, "b", "RNNCell.fromWeights", hidden);
    const cell = new RNNCell({ inputSize: Whx.cols, hiddenSize: hidden });
    cell.Wx.assign(tf.tidy(() => tf.tensor2d(weights.Whx).transpose()));
    cell.Wh.assign(tf.tidy(() => tf.tensor2d(weights.Whh).transpose()));
    cell.b.assign(tf.tidy(() => tf.tensor1d(b)));
    return cell;
  }

  step(x: tf.Tensor2D, state: RecurrentState): RecurrentState {
    return tf.tidy(() => this.stepProjected(this.projectInputs(x), state));
  }

  /** W_hx x + b for every row of x. */
  projectInputs(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(matMul2d(x, this.Wx), this.b));
  }

  stepProjected(projected: tf.Tensor2D, state: RecurrentState): RecurrentState {
    return { h: tf.tidy(() => tf.tanh(tf.add(projected, matMul2d(state.h, this.Wh))) as tf.Tensor2D) };
  }

  initialState(batch: number): RecurrentState {
    return { h: tf.zeros([batch, this.hiddenSize]) };
  }

  variables(): Record<string, tf.Variable> {
    return { Wx: this.Wx, Wh: this.Wh, b: this.b };
  }
}
