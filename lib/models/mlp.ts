/**
 * The character-level MLP language model of Bengio et al. (2003), as built in makemore part 2: each of the
 * B previous characters is looked up in an embedding table C (V × E), the B embeddings are concatenated,
 * a tanh hidden layer of H units reads them and a linear layer gives the V logits of the next character:
 *
 *   h = tanh(concat(C[x₁], …, C[x_B]) · W1 + b1)      logits = h · W2 + b2      loss = mean cross-entropy
 *
 * Training is plain minibatch SGD through {@link Trainable} (the course's training loop calls `trainStep`),
 * with optional L2 weight decay and dropout on the hidden layer to study over-fitting.
 *
 * No tfjs: the whole step (forward, backward, update) runs in one call of a WebAssembly SIMD kernel
 * (lib/kernels/mlp.as.ts), about as fast as PyTorch on a CPU (`npm run bench -- mlp`); where WebAssembly
 * SIMD is missing, the same step runs in plain TypeScript (lib/models/mlp-math.ts), which is also the
 * readable reference the kernel is tested against.
 */
import { MlpKernel, mlpKernelAvailable, mlpKernelUnavailableReason } from "../kernels/mlp";
import { Random } from "../random";
import { generateIds } from "../sampling/generate";
import type { ContextDataset, Trainable } from "../training/trainable";
import {
  dropoutThreshold,
  hiddenStride,
  mlpNllSum,
  mlpReferenceStep,
  parameterSizes,
  zeroParameters,
  type MlpParameters,
  type MlpShape,
} from "./mlp-math";

/**
 * Standard deviations of the initial parameters, each drawn from N(0, scale²) — PyTorch's
 * `torch.randn(shape) * scale`. Same distributions as the PyTorch reference (bench/mlp_reference.py),
 * not the same numbers: the course's generator is xoshiro128** with Box–Muller, PyTorch's is Mersenne
 * Twister, so runs agree statistically (final losses within noise), not digit for digit.
 */
export interface MlpInitScales {
  /** C (default 1, as makemore). */
  embedding: number;
  /** W1 (default (5/3)/√(B·E): the tanh gain over √fan-in, so pre-activations start with std ≈ 5/3 and tanh does not saturate). */
  hiddenWeight: number;
  /** b1 (default 0.01). */
  hiddenBias: number;
  /** W2 (default 0.01: near-uniform first predictions, initial loss ≈ ln V instead of tens of nats). */
  outputWeight: number;
  /** b2 (default 0). */
  outputBias: number;
}

/**
 * makemore part 2's initialisation, every parameter ~ N(0, 1) (`torch.randn`): tanh starts saturated and
 * the first steps' loss is high (the "hockey stick"), which part 3 fixes with the default scales.
 */
export const MAKEMORE_PART2_INIT: Readonly<MlpInitScales> = Object.freeze({
  embedding: 1,
  hiddenWeight: 1,
  hiddenBias: 1,
  outputWeight: 1,
  outputBias: 1,
});

/** The default initial scales for a given input size B·E (makemore part 3's "fixed" initialisation). */
export function defaultInitScales(inputSize: number): MlpInitScales {
  return { embedding: 1, hiddenWeight: 5 / 3 / Math.sqrt(inputSize), hiddenBias: 0.01, outputWeight: 0.01, outputBias: 0 };
}

/** Where the training step runs: the WebAssembly SIMD kernel or plain TypeScript. */
export type MlpBackend = "wasm" | "ts";

/** Configuration of {@link MlpLanguageModel}; makemore's values are the defaults. */
export interface MlpConfig {
  /** V: number of symbols (28 for the course's names). */
  vocabSize: number;
  /** B: previous characters seen (default 3). */
  contextSize?: number;
  /** E: embedding size (default 10). */
  embeddingSize?: number;
  /** H: hidden units (default 200). */
  hiddenSize?: number;
  /** Seed of the initial parameters and of the dropout masks (default 42). */
  seed?: number;
  /** Initial standard deviations; missing entries take {@link defaultInitScales}. */
  init?: Partial<MlpInitScales>;
  /** λ of the L2 penalty (λ/2)·(‖C‖² + ‖W1‖² + ‖W2‖²): each step adds λ·w to those gradients (default 0). */
  weightDecay?: number;
  /** Probability of zeroing each hidden unit in `trainStep` (inverted dropout; default 0). `evaluate` and `sample` never drop. */
  dropout?: number;
  /** "wasm" (default where WebAssembly SIMD runs) or "ts" (the plain TypeScript step). */
  backend?: MlpBackend;
}

/** The parameters in makemore's layout (copies): C [V×E], W1 [B·E × H], b1 [H], W2 [H × V], b2 [V]. */
export interface MlpWeights {
  C: Float32Array;
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
}

// What a backend provides: parameters in the shared layout, the dropout generator's state, the step, the loss.
interface Engine {
  readonly params: MlpParameters<Float32Array>;
  readonly rngState: Uint32Array;
  step(contexts: Int32Array, targets: Int32Array, rows: Int32Array, lr: number, weightDecay: number, dropout: number): number;
  nllSum(contexts: Int32Array, targets: Int32Array, start: number, end: number): number;
}

class WasmEngine implements Engine {
  private readonly kernel: MlpKernel;
  constructor(shape: MlpShape) {
    this.kernel = new MlpKernel(shape);
  }
  get params(): MlpParameters<Float32Array> {
    return this.kernel.params;
  }
  get rngState(): Uint32Array {
    return this.kernel.rngState;
  }
  step(contexts: Int32Array, targets: Int32Array, rows: Int32Array, lr: number, weightDecay: number, dropout: number): number {
    return this.kernel.trainStep(contexts, targets, rows, lr, weightDecay, dropoutThreshold(dropout), Math.fround(1 / (1 - dropout)));
  }
  nllSum(contexts: Int32Array, targets: Int32Array, start: number, end: number): number {
    return this.kernel.nllSum(contexts, targets, start, end);
  }
}

class TsEngine implements Engine {
  readonly params: MlpParameters<Float32Array>;
  readonly rngState = new Uint32Array(4);
  constructor(private readonly shape: MlpShape) {
    this.params = zeroParameters(shape, "float32") as MlpParameters<Float32Array>;
  }
  step(contexts: Int32Array, targets: Int32Array, rows: Int32Array, lr: number, weightDecay: number, dropout: number): number {
    return mlpReferenceStep(this.shape, this.params, contexts, targets, rows, lr, { weightDecay, dropout, rngState: this.rngState });
  }
  nllSum(contexts: Int32Array, targets: Int32Array, start: number, end: number): number {
    return mlpNllSum(this.shape, this.params, contexts, targets, start, end);
  }
}

function checkCount(value: unknown, name: string, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`MlpLanguageModel: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** The makemore MLP: embedding table, tanh hidden layer, softmax output; trains with the course's loop. */
export class MlpLanguageModel implements Trainable<ContextDataset> {
  readonly vocabSize: number;
  readonly contextSize: number;
  readonly embeddingSize: number;
  readonly hiddenSize: number;
  readonly seed: number;
  /** The initial standard deviations actually used. */
  readonly init: Readonly<MlpInitScales>;
  /** Where the step runs ("wasm" unless asked for "ts" or WebAssembly SIMD is missing). */
  readonly backend: MlpBackend;
  private readonly engine: Engine;
  private readonly shape: MlpShape;
  private weightDecayValue: number;
  private dropoutValue: number;
  private probabilities: Float64Array;

  constructor(config: MlpConfig) {
    if (config === null || typeof config !== "object") throw new TypeError("MlpLanguageModel: config must be an object such as { vocabSize: 28 }");
    const { contextSize = 3, embeddingSize = 10, hiddenSize = 200, seed = 42, init = {}, weightDecay = 0, dropout = 0, backend } = config;
    this.vocabSize = checkCount(config.vocabSize, "vocabSize", 2);
    this.contextSize = checkCount(contextSize, "contextSize", 1);
    this.embeddingSize = checkCount(embeddingSize, "embeddingSize", 1);
    this.hiddenSize = checkCount(hiddenSize, "hiddenSize", 1);
    if (typeof seed !== "number" || !Number.isFinite(seed)) throw new RangeError(`MlpLanguageModel: seed must be a finite number, got ${String(seed)}`);
    this.seed = seed;
    const scales = { ...defaultInitScales(this.contextSize * this.embeddingSize), ...init };
    for (const [name, value] of Object.entries(scales)) {
      if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) throw new RangeError(`MlpLanguageModel: init.${name} must be a finite number ≥ 0, got ${String(value)}`);
    }
    this.init = Object.freeze(scales);
    this.weightDecayValue = checkWeightDecay(weightDecay);
    this.dropoutValue = checkDropout(dropout);
    if (backend !== undefined && backend !== "wasm" && backend !== "ts") throw new RangeError(`MlpLanguageModel: backend must be "wasm" or "ts", got ${JSON.stringify(backend)}`);
    if (backend === "wasm" && !mlpKernelAvailable()) throw new Error(`MlpLanguageModel: the WebAssembly kernel cannot run here (${mlpKernelUnavailableReason()}); use backend "ts"`);
    this.backend = backend ?? (mlpKernelAvailable() ? "wasm" : "ts");
    this.shape = { vocabSize: this.vocabSize, contextSize: this.contextSize, embeddingSize: this.embeddingSize, hiddenSize: this.hiddenSize };
    this.engine = this.backend === "wasm" ? new WasmEngine(this.shape) : new TsEngine(this.shape);
    this.probabilities = new Float64Array(this.vocabSize);
    this.initialise();
  }

  // Draws in makemore's order and layouts (C, W1 as B·E × H, b1, W2 as H × V, b2), then seeds dropout.
  private initialise(): void {
    const rng = new Random(this.seed);
    const { embedding, hiddenWeight, hiddenBias, outputWeight, outputBias } = this.engine.params;
    const hs = hiddenStride(this.shape);
    const H = this.hiddenSize;
    const V = this.vocabSize;
    const s = this.init;
    // "+ 0" turns the −0 of a zero scale into 0; every draw is made whatever the scale, so changing one
    // scale leaves the other parameters' numbers unchanged.
    const draw = (scale: number) => rng.normal() * scale + 0;
    for (let i = 0; i < embedding.length; i++) embedding[i] = draw(s.embedding);
    for (let d = 0; d < this.contextSize * this.embeddingSize; d++) for (let h = 0; h < H; h++) hiddenWeight[d * hs + h] = draw(s.hiddenWeight);
    for (let h = 0; h < H; h++) hiddenBias[h] = draw(s.hiddenBias);
    for (let h = 0; h < H; h++) for (let v = 0; v < V; v++) outputWeight[v * hs + h] = draw(s.outputWeight);
    for (let v = 0; v < V; v++) outputBias[v] = draw(s.outputBias);
    const state = this.engine.rngState;
    for (let i = 0; i < 4; i++) state[i] = rng.nextUint32();
    if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) state[0] = 1; // xoshiro's one forbidden state
  }

  /** λ of the L2 penalty; may be changed between steps (e.g. to compare runs in a lesson). */
  get weightDecay(): number {
    return this.weightDecayValue;
  }
  set weightDecay(value: number) {
    this.weightDecayValue = checkWeightDecay(value);
  }

  /** Dropout probability of the hidden units during `trainStep`; may be changed between steps. */
  get dropout(): number {
    return this.dropoutValue;
  }
  set dropout(value: number) {
    this.dropoutValue = checkDropout(value);
  }

  /** Number of trainable numbers: V·E + B·E·H + H + H·V + V (12,108 at makemore's sizes with the course's V = 28; 11,897 with makemore's V = 27). */
  get parameterCount(): number {
    const V = this.vocabSize;
    const H = this.hiddenSize;
    return V * this.embeddingSize + this.contextSize * this.embeddingSize * H + H + H * V + V;
  }

  /**
   * One SGD step on examples `indices` of `data` at learning rate `lr` (dropout and weight decay as
   * configured); returns the minibatch's mean cross-entropy before the update, without the penalty.
   */
  trainStep(data: ContextDataset, indices: Int32Array, lr: number): number {
    this.checkData(data, "trainStep");
    if (!(indices instanceof Int32Array) || indices.length === 0) throw new RangeError("MlpLanguageModel.trainStep: indices must be a non-empty Int32Array of example numbers");
    if (typeof lr !== "number" || !Number.isFinite(lr)) throw new RangeError(`MlpLanguageModel.trainStep: lr must be a finite number, got ${String(lr)}`);
    const size = data.size;
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]!;
      if (!(row >= 0 && row < size)) throw new RangeError(`MlpLanguageModel.trainStep: indices[${i}] = ${row} is outside the dataset's examples 0…${size - 1}`);
      this.checkExample(data, row, "trainStep");
    }
    return this.engine.step(data.contexts, data.targets, indices, lr, this.weightDecayValue, this.dropoutValue);
  }

  /** Mean negative log-likelihood (nats) over every example of `data`; no dropout, no update. */
  evaluate(data: ContextDataset): number {
    this.checkData(data, "evaluate");
    if (data.size === 0) throw new RangeError("MlpLanguageModel.evaluate: the dataset is empty");
    for (let row = 0; row < data.size; row++) this.checkExample(data, row, "evaluate");
    return this.engine.nllSum(data.contexts, data.targets, 0, data.size) / data.size;
  }

  /** P(next symbol | context) for one context of `contextSize` ids (oldest first), as V probabilities. */
  nextProbabilities(context: ArrayLike<number>): Float64Array {
    if (context === null || typeof context !== "object" || context.length !== this.contextSize) {
      throw new RangeError(`MlpLanguageModel.nextProbabilities: the context must hold ${this.contextSize} ids, got ${context?.length}`);
    }
    const ids = new Int32Array(this.contextSize);
    for (let j = 0; j < this.contextSize; j++) {
      const id = context[j]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`MlpLanguageModel.nextProbabilities: context[${j}] = ${id} is not an id in 0…${this.vocabSize - 1}`);
      ids[j] = id;
    }
    const out = new Float64Array(this.vocabSize);
    mlpNllSum(this.shape, this.engine.params, ids, null, 0, 1, out);
    return out;
  }

  /**
   * One sequence drawn from the model, makemore's way: start from a context of boundaries (id 0, "."),
   * draw the next id, slide the window, stop at the next boundary or after `maxLength` ids. Returns the ids
   * without the final boundary; `vocab.decode(ids)` gives the name.
   */
  sample(rng: Random, maxLength = 50, temperature = 1): number[] {
    return generateIds((context) => this.nextProbabilitiesInto(context), { contextSize: this.contextSize, rng, maxLength, temperature });
  }

  /** The embedding table C as V rows of E numbers (row = symbol id), e.g. for a 2-D scatter plot when E = 2. */
  embeddings(): number[][] {
    const C = this.engine.params.embedding;
    const E = this.embeddingSize;
    return Array.from({ length: this.vocabSize }, (_, v) => Array.from(C.subarray(v * E, (v + 1) * E)));
  }

  /** Copies of the parameters in makemore's layout: C [V×E], W1 [B·E×H], b1 [H], W2 [H×V], b2 [V] (row-major). */
  weights(): MlpWeights {
    const p = this.engine.params;
    const hs = hiddenStride(this.shape);
    const H = this.hiddenSize;
    const V = this.vocabSize;
    const D = this.contextSize * this.embeddingSize;
    const W1 = new Float32Array(D * H);
    for (let d = 0; d < D; d++) W1.set(p.hiddenWeight.subarray(d * hs, d * hs + H), d * H);
    const W2 = new Float32Array(H * V);
    for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) W2[h * V + v] = p.outputWeight[v * hs + h]!;
    return { C: p.embedding.slice(), W1, b1: p.hiddenBias.slice(0, H), W2, b2: p.outputBias.slice() };
  }

  /**
   * The parameters in the kernel's layout (see lib/models/mlp-math.ts), live: writing into them changes
   * the model. With the wasm backend they are views into the kernel's memory, detached when a larger
   * batch than any before makes it grow, so take them again after training rather than keeping them.
   * For tests, gradient checks and tools; lessons should prefer {@link weights}.
   */
  rawParameters(): MlpParameters<Float32Array> {
    return this.engine.params;
  }

  /** Sizes of the raw parameter arrays, for callers of {@link rawParameters}. */
  rawParameterSizes(): { [K in keyof MlpParameters]: number } {
    return parameterSizes(this.shape);
  }

  private nextProbabilitiesInto(context: number[]): Float64Array {
    const ids = Int32Array.from(context);
    mlpNllSum(this.shape, this.engine.params, ids, null, 0, 1, this.probabilities);
    return this.probabilities;
  }

  private checkData(data: ContextDataset, where: string): void {
    if (data === null || typeof data !== "object" || !(data.contexts instanceof Int32Array) || !(data.targets instanceof Int32Array)) {
      throw new TypeError(`MlpLanguageModel.${where}: expected a ContextDataset { size, width, contexts, targets } (buildContextDataset(names, ${this.contextSize}, vocab))`);
    }
    if (data.width !== this.contextSize) {
      throw new RangeError(
        `MlpLanguageModel.${where}: the model reads ${this.contextSize} previous characters, but the dataset's context width is ${data.width} (build it with contextSize ${this.contextSize})`,
      );
    }
    if (!Number.isInteger(data.size) || data.size < 0 || data.contexts.length < data.size * data.width || data.targets.length < data.size) {
      throw new RangeError(`MlpLanguageModel.${where}: the dataset says ${data.size} examples but holds ${data.contexts.length} context ids and ${data.targets.length} targets`);
    }
  }

  // Every example the kernel reads is checked, so a bad id is reported by row instead of reading outside C.
  private checkExample(data: ContextDataset, row: number, where: string): void {
    const V = this.vocabSize;
    const B = this.contextSize;
    for (let j = 0; j < B; j++) {
      const id = data.contexts[row * B + j]!;
      if (!(id >= 0 && id < V)) throw new RangeError(`MlpLanguageModel.${where}: example ${row} has context id ${id} at position ${j}, outside the vocabulary 0…${V - 1}`);
    }
    const t = data.targets[row]!;
    if (!(t >= 0 && t < V)) throw new RangeError(`MlpLanguageModel.${where}: example ${row} has target id ${t}, outside the vocabulary 0…${V - 1}`);
  }
}

function checkWeightDecay(value: unknown): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) throw new RangeError(`MlpLanguageModel: weightDecay must be a finite number ≥ 0, got ${String(value)}`);
  return value;
}

function checkDropout(value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value < 1)) throw new RangeError(`MlpLanguageModel: dropout must be a probability in [0, 1), got ${String(value)}`);
  return value;
}
