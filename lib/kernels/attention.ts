/**
 * Host side of the causal-attention WebAssembly kernel (attention.wasm, compiled from attention.as.ts):
 * loads the module once, keeps one instance whose memory grows to the largest call seen, copies the
 * operands in and the results out. Plain Float32Arrays in and out: lib/models/attention.ts wraps these
 * functions as a tfjs operation with a gradient.
 */
import * as path from "node:path";
import { callKernel, KernelInstance, type KernelExports } from "./instance";

/** The compiled kernel, next to its source. */
export const ATTENTION_WASM_PATH = path.join(__dirname, "attention.wasm");

interface AttentionExports extends KernelExports {
  forward(q: number, k: number, v: number, o: number, p: number, kt: number, row: number, bh: number, t: number, d: number, scale: number): void;
  backward(
    q: number, k: number, v: number, p: number, dout: number,
    dq: number, dk: number, dv: number,
    vt: number, ds: number, row: number, prow: number,
    bh: number, t: number, d: number, scale: number,
  ): void;
}

const kernel = new KernelInstance<AttentionExports>(ATTENTION_WASM_PATH);

/** Whether the kernel can run here (WebAssembly with SIMD: Node ≥ 16.4, current browsers). */
export function attentionKernelAvailable(): boolean {
  return kernel.exports !== null;
}

/** Why the kernel cannot run, or "" when it can. */
export function attentionKernelUnavailableReason(): string {
  return kernel.unavailableReason;
}

/** Shape of a kernel call: `slices` independent (batch, head) pairs of `length` positions × `dim` numbers. */
export interface AttentionShape {
  slices: number;
  length: number;
  /** Must be a multiple of 4 (the kernel works in lanes of 4). */
  dim: number;
}

function checkShape(shape: AttentionShape, arrays: Record<string, Float32Array>, where: string): void {
  const { slices, length, dim } = shape;
  for (const [name, value] of [["slices", slices], ["length", length], ["dim", dim]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${where}: ${name} must be an integer ≥ 1, got ${value}`);
  }
  if (dim % 4 !== 0) throw new RangeError(`${where}: dim must be a multiple of 4, got ${dim}`);
  for (const [name, array] of Object.entries(arrays)) {
    const expected = name === "probabilities" ? slices * length * length : slices * length * dim;
    if (!(array instanceof Float32Array) || array.length !== expected) {
      throw new RangeError(`${where}: ${name} must be a Float32Array of ${expected} numbers, got ${array instanceof Float32Array ? array.length : typeof array}`);
    }
  }
}

/**
 * Causal attention forward: for each slice, O = softmax(Q·Kᵀ·scale with the future hidden)·V. Returns O
 * [slices, length, dim] and the weights P [slices, length, length] (zeros above the diagonal).
 */
export function causalAttentionForward(q: Float32Array, k: Float32Array, v: Float32Array, shape: AttentionShape, scale: number): { output: Float32Array; probabilities: Float32Array } {
  const where = "causalAttentionForward";
  checkShape(shape, { q, k, v }, where);
  const wasm = kernel.require(where);
  const { slices, length: t, dim: d } = shape;
  const n = slices * t * d;
  const tp = Math.ceil(t / 4) * 4;
  const [output, probabilities] = callKernel(wasm, wasm.forward, [q, k, v], [n, slices * t * t] as const, [d * tp, tp], [slices, t, d, scale]);
  return { output, probabilities };
}

/** Causal attention backward: from the forward's inputs and weights and the output's gradient dO, the gradients of Q, K and V. */
export function causalAttentionBackward(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  probabilities: Float32Array,
  dOutput: Float32Array,
  shape: AttentionShape,
  scale: number,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const where = "causalAttentionBackward";
  checkShape(shape, { q, k, v, probabilities, dOutput }, where);
  const wasm = kernel.require(where);
  const { slices, length: t, dim: d } = shape;
  const n = slices * t * d;
  const tp = Math.ceil(t / 4) * 4;
  const [dq, dk, dv] = callKernel(wasm, wasm.backward, [q, k, v, probabilities, dOutput], [n, n, n] as const, [d * tp, t * tp, tp, tp], [slices, t, d, scale]);
  return { dq, dk, dv };
}
