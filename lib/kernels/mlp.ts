/**
 * Host side of the MLP's WebAssembly kernel (mlp.wasm, compiled from mlp.as.ts): loads the module once,
 * gives each model its own instance and memory, lays the parameters and workspaces out in that memory,
 * and calls the fused training step. Parameters stay in wasm memory between steps; the host only copies
 * the minibatch's context ids and targets in, so a step costs one call and no allocation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { hiddenStride, parameterSizes, type MlpParameters, type MlpShape } from "../models/mlp-math";

/** The compiled kernel, next to its source. */
export const MLP_WASM_PATH = path.join(__dirname, "mlp.wasm");

// The few WebAssembly JS API members used here: the course's lib targets ES2022 without DOM typings,
// which is where TypeScript declares the WebAssembly namespace.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
}

interface MlpExports {
  memory: WasmMemory;
  heapBase(): number;
  trainStep(desc: number, n: number, lr: number, weightDecay: number, dropThreshold: number, dropScale: number): number;
  nllSum(desc: number, n: number): number;
}

// Descriptor slots, in the order of the constants at the top of mlp.as.ts.
const SLOT = {
  vocab: 0, embed: 1, context: 2, hidden: 3, hiddenStride: 4, input: 5, logitStride: 6, rows: 7,
  C: 8, W1: 9, b1: 10, W2: 11, b2: 12, rng: 13, ctx: 14, tgt: 15,
  RS: 16, A: 17, AD: 18, L: 19, DP: 20, U: 21, M: 22, G: 23, SLOT: 24, GS: 25, CU: 26, DCT: 27, COUNT: 28,
} as const;
const DESC_BYTES = 128;
const PAGE = 65536;

let compiled: WasmModule | null | undefined;
let loadError = "";

/** The compiled module, or null when this runtime cannot run it (no WebAssembly SIMD, file missing). */
function kernelModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      if (wasm === undefined) throw new Error("this JavaScript runtime has no WebAssembly");
      compiled = new wasm.Module(fs.readFileSync(MLP_WASM_PATH));
    } catch (error) {
      compiled = null;
      loadError = (error as Error).message;
    }
  }
  return compiled;
}

/** Whether the WebAssembly kernel can run here (Node ≥ 16.4 and current browsers have WebAssembly SIMD). */
export function mlpKernelAvailable(): boolean {
  return kernelModule() !== null;
}

/** Why the kernel cannot run, or "" when it can. */
export function mlpKernelUnavailableReason(): string {
  kernelModule();
  return loadError;
}

const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** One model's kernel instance: its parameters (views into wasm memory) and the fused step. */
export class MlpKernel {
  readonly shape: MlpShape;
  private readonly exports: MlpExports;
  private readonly desc: number;
  private readonly paramBytes: number;
  private readonly paramOffsets: { [K in keyof MlpParameters]: number };
  private readonly rngOffset: number;
  private capacity = 0;
  private buffer: ArrayBuffer | null = null;
  private views: { params: MlpParameters<Float32Array>; rng: Uint32Array; i32: Int32Array; f32: Float32Array } | null = null;

  /** A zero-initialised instance for `shape`; throws when the kernel cannot run here (see {@link mlpKernelAvailable}). */
  constructor(shape: MlpShape) {
    const module = kernelModule();
    if (module === null) throw new Error(`MlpKernel: the WebAssembly kernel ${MLP_WASM_PATH} cannot be loaded (${loadError})`);
    this.shape = shape;
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly!;
    this.exports = new wasm.Instance(module, {}).exports as MlpExports;
    this.desc = align(this.exports.heapBase());
    const sizes = parameterSizes(shape);
    const logitStride = Math.ceil(shape.vocabSize / 4) * 4;
    let offset = this.desc + DESC_BYTES;
    const place = (floats: number) => {
      const at = offset;
      offset += align(floats * 4);
      return at;
    };
    this.paramOffsets = {
      embedding: place(sizes.embedding),
      hiddenWeight: place(sizes.hiddenWeight),
      hiddenBias: place(sizes.hiddenBias),
      outputWeight: place(sizes.outputWeight),
      // b2 is padded to the logit stride: the kernel updates it 4 lanes at a time.
      outputBias: place(logitStride),
    };
    this.rngOffset = place(4);
    this.paramBytes = offset;
    this.reserve(64);
  }

  /**
   * The parameters, as float32 views into the kernel's memory. A call that needs a larger workspace (a
   * bigger batch than before) grows the memory, which detaches views taken earlier: take them again.
   */
  get params(): MlpParameters<Float32Array> {
    return this.current().params;
  }

  /** The dropout generator's xoshiro128** state (4 words) in the kernel's memory. */
  get rngState(): Uint32Array {
    return this.current().rng;
  }

  /**
   * One fused SGD step on examples `rows` of (contexts, targets); returns their mean cross-entropy before
   * the update. Ids and rows must already be validated by the caller (the model does it).
   */
  trainStep(contexts: Int32Array, targets: Int32Array, rows: Int32Array, lr: number, weightDecay: number, dropThreshold: number, dropScale: number): number {
    const n = rows.length;
    this.reserve(n);
    const { i32 } = this.current();
    const b = this.shape.contextSize;
    let ctx = i32[this.desc / 4 + SLOT.ctx]! / 4;
    const tgt = i32[this.desc / 4 + SLOT.tgt]! / 4;
    for (let r = 0; r < n; r++) {
      const row = rows[r]!;
      for (let j = 0; j < b; j++) i32[ctx++] = contexts[row * b + j]!;
      i32[tgt + r] = targets[row]!;
    }
    return this.exports.trainStep(this.desc, n, lr, weightDecay, dropThreshold >>> 0, dropScale);
  }

  /** Σ −log p(target) over examples start … end − 1, in chunks of the workspace's size. */
  nllSum(contexts: Int32Array, targets: Int32Array, start: number, end: number): number {
    // Large enough that a call costs little per example, small enough to keep each model's memory ≈ 1 MB.
    const chunk = 256;
    this.reserve(Math.min(chunk, end - start));
    const b = this.shape.contextSize;
    let total = 0;
    for (let s = start; s < end; s += chunk) {
      const n = Math.min(chunk, end - s);
      const { i32 } = this.current();
      const ctx = i32[this.desc / 4 + SLOT.ctx]! / 4;
      const tgt = i32[this.desc / 4 + SLOT.tgt]! / 4;
      i32.set(contexts.subarray(s * b, (s + n) * b), ctx);
      i32.set(targets.subarray(s, s + n), tgt);
      total += this.exports.nllSum(this.desc, n);
    }
    return total;
  }

  // Workspaces for `rows` examples after the parameters; memory only ever grows.
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const { vocabSize: V, contextSize: B, embeddingSize: E, hiddenSize: H } = this.shape;
    const HS = hiddenStride(this.shape);
    const D = B * E;
    const VS = Math.ceil(V / 4) * 4;
    const R = Math.max(rows, this.capacity * 2);
    let offset = this.paramBytes;
    const place = (words: number) => {
      const at = offset;
      offset += align(words * 4);
      return at;
    };
    const slots: Partial<Record<keyof typeof SLOT, number>> = {
      vocab: V, embed: E, context: B, hidden: H, hiddenStride: HS, input: D, logitStride: VS, rows: R,
      C: this.paramOffsets.embedding, W1: this.paramOffsets.hiddenWeight, b1: this.paramOffsets.hiddenBias,
      W2: this.paramOffsets.outputWeight, b2: this.paramOffsets.outputBias, rng: this.rngOffset,
    };
    slots.ctx = place(R * B);
    slots.tgt = place(R);
    slots.RS = place(R * B);
    slots.A = place(R * HS);
    slots.AD = place(R * HS);
    slots.L = place(R * VS);
    slots.DP = place(R * HS);
    slots.U = place(B * V);
    slots.M = place(R * HS);
    slots.G = place(Math.max(HS, VS, V * E));
    slots.SLOT = place(V);
    slots.GS = place(V * HS);
    slots.CU = place(B * V * E);
    slots.DCT = place(V * E);
    slots.COUNT = place(B);
    const memory = this.exports.memory;
    if (offset > memory.buffer.byteLength) memory.grow(Math.ceil((offset - memory.buffer.byteLength) / PAGE));
    const { i32 } = this.current();
    for (const [name, value] of Object.entries(slots)) i32[this.desc / 4 + SLOT[name as keyof typeof SLOT]] = value;
    this.capacity = R;
  }

  private current(): NonNullable<MlpKernel["views"]> {
    const buffer = this.exports.memory.buffer;
    if (this.views === null || this.buffer !== buffer) {
      const sizes = parameterSizes(this.shape);
      const view = (name: keyof MlpParameters) => new Float32Array(buffer, this.paramOffsets[name], sizes[name]);
      this.views = {
        params: {
          embedding: view("embedding"),
          hiddenWeight: view("hiddenWeight"),
          hiddenBias: view("hiddenBias"),
          outputWeight: view("outputWeight"),
          outputBias: view("outputBias"),
        },
        rng: new Uint32Array(buffer, this.rngOffset, 4),
        i32: new Int32Array(buffer),
        f32: new Float32Array(buffer),
      };
      this.buffer = buffer;
    }
    return this.views;
  }
}
