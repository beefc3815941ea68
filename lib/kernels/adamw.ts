/**
 * Host side of the AdamW WebAssembly kernel (adamw.wasm, compiled from adamw.as.ts): one instance per
 * optimizer, whose memory holds every parameter's weights, moments and gradient for the whole training, so
 * that a step copies the gradients in and each parameter's new weights out, and nothing else.
 * lib/models/optim.ts (`AdamW.applyNamed`) drives it.
 */
import * as path from "node:path";
import { KernelModule, layoutFloats, type KernelExports } from "./instance";

/** The compiled kernel, next to its source. */
export const ADAMW_WASM_PATH = path.join(__dirname, "adamw.wasm");

interface AdamwExports extends KernelExports {
  sumOfSquares(g: number, n: number): number;
  adamwUpdate(w: number, m: number, v: number, g: number, n: number, scale: number, beta1: number, beta2: number, stepSize: number, epsilon: number, decay: number): void;
}

const kernel = new KernelModule<AdamwExports>(ADAMW_WASM_PATH);

/** AdamW's hyper-parameters of one update, bias corrections folded in (see adamw.as.ts). */
export interface AdamwStep {
  /** The gradients' clipping scale (1: no clipping). */
  scale: number;
  beta1: number;
  beta2: number;
  stepSize: number;
  epsilon: number;
}

/**
 * The weights, moments and gradient of each parameter (sizes given once), as views into the kernel's
 * memory: write the weights and gradients through the views, then call {@link update}.
 */
export class AdamwKernelState {
  readonly weights: Float32Array[];
  readonly m: Float32Array[];
  readonly v: Float32Array[];
  readonly gradients: Float32Array[];
  private readonly exports: AdamwExports;
  /** Byte offsets of each parameter's w, m, v, g, and their padded length in floats (a multiple of 4). */
  private readonly layout: { w: number; m: number; v: number; g: number; padded: number }[];

  constructor(sizes: readonly number[]) {
    this.exports = kernel.instantiate("AdamW");
    // Each array starts 16-byte aligned, so the kernel's f32x4 loops may run over the padded length.
    const offsets = layoutFloats(this.exports, sizes.flatMap((size) => [size, size, size, size]));
    this.layout = sizes.map((size, i) => ({ w: offsets[4 * i]!, m: offsets[4 * i + 1]!, v: offsets[4 * i + 2]!, g: offsets[4 * i + 3]!, padded: Math.ceil(size / 4) * 4 }));
    // Views made after the one growth: growing detaches earlier buffers, and this memory never grows again.
    const view = (byteOffset: number, size: number) => new Float32Array(this.exports.memory.buffer, byteOffset, size);
    this.weights = this.layout.map((l, i) => view(l.w, sizes[i]!));
    this.m = this.layout.map((l, i) => view(l.m, sizes[i]!));
    this.v = this.layout.map((l, i) => view(l.v, sizes[i]!));
    this.gradients = this.layout.map((l, i) => view(l.g, sizes[i]!));
  }

  /** Σ g² of parameter `index`'s gradient. */
  sumOfSquares(index: number): number {
    const l = this.layout[index]!;
    return this.exports.sumOfSquares(l.g, l.padded);
  }

  /** One AdamW update of parameter `index` in place, `decay` its weight decay times the learning rate. */
  update(index: number, step: AdamwStep, decay: number): void {
    const l = this.layout[index]!;
    this.exports.adamwUpdate(l.w, l.m, l.v, l.g, l.padded, step.scale, step.beta1, step.beta2, step.stepSize, step.epsilon, decay);
  }
}
