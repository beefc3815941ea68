/**
 * Loading the course's WebAssembly kernels. The stateless ones (attention.wasm, layers.wasm): one instance
 * each, whose memory the host lays arrays out in and grows to the largest call seen. word2vec.wasm keeps a
 * training's matrices in an instance of its own ({@link KernelModule}); mlp.wasm, which keeps a model's
 * parameters in its own instance, has its own loader.
 */
import * as fs from "node:fs";

// The few WebAssembly JS API members used here (lib/ has no DOM typings, which declare the namespace).
/** A kernel's linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** What every stateless kernel exports besides its functions. */
export interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
}

const PAGE = 65536;

/**
 * A compiled kernel module: compiled once, then instantiated on demand. A kernel that keeps state in its own
 * memory (the word2vec kernel keeps a training's matrices there) gives each user a fresh instance, whose
 * memory is freed with it; {@link KernelInstance} shares one instance of a stateless kernel.
 */
export class KernelModule<T extends KernelExports> {
  private module: object | null | undefined;
  private error = "";

  constructor(readonly file: string) {}

  private compiled(): object | null {
    if (this.module === undefined) {
      try {
        const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
        if (wasm === undefined) throw new Error("this JavaScript runtime has no WebAssembly");
        this.module = new wasm.Module(fs.readFileSync(this.file));
      } catch (error) {
        this.module = null;
        this.error = (error as Error).message;
      }
    }
    return this.module;
  }

  /** Whether this runtime can run the kernel (WebAssembly with SIMD, file present). */
  get available(): boolean {
    return this.compiled() !== null;
  }

  /** Why the kernel cannot run, or "" when it can. */
  get unavailableReason(): string {
    this.compiled();
    return this.error;
  }

  /** A new instance's exports, or an error naming the file and the reason, prefixed by `where`. */
  instantiate(where: string): T {
    const module = this.compiled();
    if (module === null) throw new Error(`${where}: the WebAssembly kernel ${this.file} cannot be loaded (${this.error})`);
    return new (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly.Instance(module, {}).exports as T;
  }
}

/** A lazily loaded stateless kernel: one shared instance's exports, or the reason it cannot run here. */
export class KernelInstance<T extends KernelExports> {
  private readonly module: KernelModule<T>;
  private instance: T | null | undefined;

  constructor(readonly file: string) {
    this.module = new KernelModule<T>(file);
  }

  /** The exports, or null when this runtime cannot run the kernel (no WebAssembly SIMD, file missing). */
  get exports(): T | null {
    if (this.instance === undefined) this.instance = this.module.available ? this.module.instantiate("KernelInstance") : null;
    return this.instance;
  }

  /** Why the kernel cannot run, or "" when it can. */
  get unavailableReason(): string {
    return this.module.unavailableReason;
  }

  /** The exports, or an error naming the file and the reason, prefixed by `where`. */
  require(where: string): T {
    const exports = this.exports;
    if (exports === null) throw new Error(`${where}: the WebAssembly kernel ${this.file} cannot be loaded (${this.unavailableReason})`);
    return exports;
  }
}

/** Byte offsets of arrays of `sizes` floats laid out one after the other from the heap base, 16-byte aligned; grows memory to fit. */
export function layoutFloats(kernel: KernelExports, sizes: readonly number[]): number[] {
  let offset = Math.ceil(kernel.heapBase() / 16) * 16;
  const offsets = sizes.map((floats) => {
    const at = offset;
    offset += Math.ceil((floats * 4) / 16) * 16;
    return at;
  });
  const memory = kernel.memory;
  if (offset > memory.buffer.byteLength) memory.grow(Math.ceil((offset - memory.buffer.byteLength) / PAGE));
  return offsets;
}

/**
 * One call of a stateless kernel function whose parameters are its arrays' byte offsets — inputs, then
 * outputs, then scratch space — followed by plain numbers: copies `inputs` into the kernel's memory, lays
 * out `outputs` and `scratch` (sizes in floats) after them, calls `run(...offsets, ...numbers)` and returns
 * copies of the outputs, in order.
 */
export function callKernel<Outputs extends readonly number[]>(
  kernel: KernelExports,
  run: (...args: number[]) => void,
  inputs: readonly Float32Array[],
  outputs: Outputs,
  scratch: readonly number[],
  numbers: readonly number[],
): { [K in keyof Outputs]: Float32Array } {
  const offsets = layoutFloats(kernel, [...inputs.map((array) => array.length), ...outputs, ...scratch]);
  // A view made after layoutFloats: growing the memory detaches the earlier buffer.
  const heap = new Float32Array(kernel.memory.buffer);
  inputs.forEach((array, i) => heap.set(array, offsets[i]! / 4));
  run(...offsets, ...numbers);
  return outputs.map((size, j) => {
    const start = offsets[inputs.length + j]! / 4;
    return heap.slice(start, start + size);
  }) as { [K in keyof Outputs]: Float32Array };
}
