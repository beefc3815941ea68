/**
 * Host side of the LayerNorm and GELU WebAssembly kernel (layers.wasm, compiled from layers.as.ts): plain
 * Float32Arrays in and out. lib/models/layers.ts (LayerNorm) and lib/models/gpt (GELU) wrap these as tfjs
 * operations with gradients on the CPU backends.
 */
import * as path from "node:path";
import { KernelInstance, layoutFloats, type KernelExports } from "./instance";

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
  const [px, pg, pb, py, ph, pr] = layoutFloats(wasm, [n, dim, dim, n, n, rows]) as [number, number, number, number, number, number];
  const heap = new Float32Array(wasm.memory.buffer);
  heap.set(x, px / 4);
  heap.set(gamma, pg / 4);
  heap.set(beta, pb / 4);
  wasm.layerNormForward(px, pg, pb, py, ph, pr, rows, dim, epsilon);
  return { y: heap.slice(py / 4, py / 4 + n), normalised: heap.slice(ph / 4, ph / 4 + n), inverseStd: heap.slice(pr / 4, pr / 4 + rows) };
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
  const n = rows * dim;
  const [pdy, ph, pr, pg, pdx, pdg, pdb] = layoutFloats(wasm, [n, n, rows, dim, n, dim, dim]) as [number, number, number, number, number, number, number];
  const heap = new Float32Array(wasm.memory.buffer);
  heap.set(dy, pdy / 4);
  heap.set(normalised, ph / 4);
  heap.set(inverseStd, pr / 4);
  heap.set(gamma, pg / 4);
  wasm.layerNormBackward(pdy, ph, pr, pg, pdx, pdg, pdb, rows, dim);
  return { dx: heap.slice(pdx / 4, pdx / 4 + n), dGamma: heap.slice(pdg / 4, pdg / 4 + dim), dBeta: heap.slice(pdb / 4, pdb / 4 + dim) };
}

/** GELU (tanh approximation, as x·σ(z)) of every number of x. */
export function geluForward(x: Float32Array): Float32Array {
  const wasm = kernel.require("geluForward");
  if (!(x instanceof Float32Array) || x.length === 0) throw new RangeError("geluForward: x must be a non-empty Float32Array");
  const [px, py] = layoutFloats(wasm, [x.length, x.length]) as [number, number];
  const heap = new Float32Array(wasm.memory.buffer);
  heap.set(x, px / 4);
  wasm.geluForward(px, py, x.length);
  return heap.slice(py / 4, py / 4 + x.length);
}

/** GELU's backward: ∂x = ∂y·gelu′(x). */
export function geluBackward(x: Float32Array, dy: Float32Array): Float32Array {
  const wasm = kernel.require("geluBackward");
  if (!(x instanceof Float32Array) || x.length === 0) throw new RangeError("geluBackward: x must be a non-empty Float32Array");
  checkLength(dy, x.length, "dy", "geluBackward");
  const [px, pdy, pdx] = layoutFloats(wasm, [x.length, x.length, x.length]) as [number, number, number];
  const heap = new Float32Array(wasm.memory.buffer);
  heap.set(x, px / 4);
  heap.set(dy, pdy / 4);
  wasm.geluBackward(px, pdy, pdx, x.length);
  return heap.slice(pdx / 4, pdx / 4 + x.length);
}
