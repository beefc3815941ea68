/**
 * Host side of the LayerNorm and GELU WebAssembly kernel (layers.wasm, compiled from layers.as.ts): plain
 * Float32Arrays in and out. lib/models/layers.ts (LayerNorm) and lib/models/gpt (GELU) wrap these as tfjs
 * operations with gradients on the CPU backends.
 */
import * as path from "node:path";
import { callKernel, KernelInstance, type KernelExports } from "./instance";

/** The compiled kernel, next to its source. */
export const LAYERS_WASM_PATH = path.join(__dirname, "layers.wasm");

interface LayersExports extends KernelExports {
  layerNormForward(x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, n: number, d: number, epsilon: number): void;
  layerNormBackward(dy: number, xhat: number, rstd: number, gamma: number, dx: number, dgamma: number, dbeta: number, n: number, d: number): void;
  geluForward(x: number, y: number, n: number): void;
  geluBackward(x: number, dy: number, dx: number, n: number): void;
}

const kernel = new KernelInstance<LayersExports>(LAYERS_WASM_PATH);

/** Whether the kernel can run here (WebAssembly with SIMD). */
export function layersKernelAvailable(): boolean {
  return kernel.exports !== null;
}

function checkLength(array: Float32Array, expected: number, name: string, where: string): void {
  if (!(array instanceof Float32Array) || array.length !== expected) {
    throw new RangeError(`${where}: ${name} must be a Float32Array of ${expected} numbers, got ${array instanceof Float32Array ? array.length : typeof array}`);
  }
}

function checkRows(rows: number, dim: number, where: string): void {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`${where}: rows must be an integer ≥ 1, got ${rows}`);
  if (!Number.isInteger(dim) || dim < 4 || dim % 4 !== 0) throw new RangeError(`${where}: dim must be a multiple of 4, got ${dim}`);
}

/** LayerNorm of `rows` rows of `dim` numbers: y, and the normalised rows x̂ and 1/σ the backward pass needs. */
export function layerNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  rows: number,
  dim: number,
  epsilon: number,
): { y: Float32Array; normalised: Float32Array; inverseStd: Float32Array } {
  const where = "layerNormForward";
  checkRows(rows, dim, where);
  checkLength(x, rows * dim, "x", where);
  checkLength(gamma, dim, "gamma", where);
  checkLength(beta, dim, "beta", where);
  const wasm = kernel.require(where);
  const n = rows * dim;
  const [y, normalised, inverseStd] = callKernel(wasm, wasm.layerNormForward, [x, gamma, beta], [n, n, rows] as const, [], [rows, dim, epsilon]);
  return { y, normalised, inverseStd };
}

/** LayerNorm backward from the forward's x̂ and 1/σ: ∂x, and ∂γ, ∂β summed over the rows. */
export function layerNormBackward(
  dy: Float32Array,
  normalised: Float32Array,
  inverseStd: Float32Array,
  gamma: Float32Array,
  rows: number,
  dim: number,
): { dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array } {
  const where = "layerNormBackward";
  checkRows(rows, dim, where);
  checkLength(dy, rows * dim, "dy", where);
  checkLength(normalised, rows * dim, "normalised", where);
  checkLength(inverseStd, rows, "inverseStd", where);
  checkLength(gamma, dim, "gamma", where);
  const wasm = kernel.require(where);
  const [dx, dGamma, dBeta] = callKernel(wasm, wasm.layerNormBackward, [dy, normalised, inverseStd, gamma], [rows * dim, dim, dim] as const, [], [rows, dim]);
  return { dx, dGamma, dBeta };
}

/** GELU (tanh approximation, as x·σ(z)) of every number of x. */
export function geluForward(x: Float32Array): Float32Array {
  const wasm = kernel.require("geluForward");
  if (!(x instanceof Float32Array) || x.length === 0) throw new RangeError("geluForward: x must be a non-empty Float32Array");
  return callKernel(wasm, wasm.geluForward, [x], [x.length] as const, [], [x.length])[0];
}

/** GELU's backward: ∂x = ∂y·gelu′(x). */
export function geluBackward(x: Float32Array, dy: Float32Array): Float32Array {
  const wasm = kernel.require("geluBackward");
  if (!(x instanceof Float32Array) || x.length === 0) throw new RangeError("geluBackward: x must be a non-empty Float32Array");
  checkLength(dy, x.length, "dy", "geluBackward");
  return callKernel(wasm, wasm.geluBackward, [x, dy], [x.length] as const, [], [x.length])[0];
}
