/**
 * Seeded parameters for the recurrent models: every weight comes from the course's Random, so the same
 * seed gives the same initial model on every machine and backend.
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../../random";

/**
 * A trainable [rows, cols] matrix drawn uniformly from ±scale (PyTorch's RNN/GRU/LSTM draw ±1/√hidden).
 * tf.variable copies the handle of the initial tensor, which is then freed, so nothing leaks.
 */
export function uniformVariable(rng: Random, shape: readonly number[], scale: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * scale;
  return variableFrom(values, shape);
}

/** A trainable tensor holding `values` (a copy), e.g. a zero bias or loaded weights. */
export function variableFrom(values: Float32Array | number[], shape: readonly number[]): tf.Variable {
  const initial = tf.tensor(values, [...shape], "float32");
  const variable = tf.variable(initial, true);
  initial.dispose();
  return variable;
}

/** A trainable tensor of zeros. */
export function zerosVariable(shape: readonly number[]): tf.Variable {
  return variableFrom(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

/** Throws unless `value` is an integer ≥ 1, naming it. */
export function checkSize(value: unknown, name: string, caller: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new RangeError(`${caller}: ${name} must be an integer ≥ 1, got ${String(value)}`);
  return value;
}

/** A trainable tensor drawn from N(0, std²) (PyTorch's nn.Embedding uses std 1). */
export function normalVariable(rng: Random, shape: readonly number[], std: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = std * rng.normal();
  return variableFrom(values, shape);
}
