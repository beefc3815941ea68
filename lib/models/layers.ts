/**
 * The small tfjs building blocks of the course's Transformers (encoder–decoder in TP7, mini-GPT, BERT):
 * Linear, Embedding, LayerNorm, FeedForward, each a {@link Module} that owns named tf.Variables.
 *
 * Written by hand rather than with tf.layers so that every parameter is a plain variable with a course
 * name ("encoder.0.selfAttention.wq.weight"), the training step can hand them to any optimiser, and a
 * checkpoint is just those names and numbers. Initial values come from the course's seeded {@link Random},
 * so a model built twice with the same seed is the same model.
 *
 * Call `await initBackend()` (lib/backend) before building one.
 */
import * as tf from "@tensorflow/tfjs";
import { embeddingLookup } from "../backend/embedding";
import { layerNormBackward, layerNormForward, layersKernelAvailable } from "../kernels/layers";
import { Random } from "../random";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Something that owns trainable variables, listed by stable names (checkpoints and optimisers rely on the order). */
export interface Module {
  /** Every trainable variable with its dotted name, in a fixed order. */
  namedParameters(): [string, tf.Variable][];
  /** Frees every variable. */
  dispose(): void;
}

/** Total number of trainable numbers of a module (or of a list of tensors). */
export const countParameters = offLimitsDuringChecks("countParameters", function countParameters(source: Module | readonly tf.Tensor[]): number {
  const tensors = Array.isArray(source) ? (source as readonly tf.Tensor[]) : (source as Module).namedParameters().map(([, v]) => v);
  return tensors.reduce((total, t) => total + t.size, 0);
});

/** "Shape [2, 3]" in error messages. */
export function shapeOf(t: tf.Tensor): string {
  return `[${t.shape.join(", ")}]`;
}

export function checkPositiveInteger(value: unknown, name: string, where: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new RangeError(`${where}: ${name} must be an integer ≥ 1, got ${String(value)}`);
}

function checkTensor(x: unknown, where: string): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new TypeError(`${where}: expected a tf.Tensor, got ${x === null ? "null" : typeof x}`);
}

/** A trainable variable holding `values`; the temporary tensor is freed (tf.variable copies its handle, not ownership). */
export function variableFrom(values: Float32Array, shape: number[]): tf.Variable {
  const initial = tf.tensor(values, shape, "float32");
  const variable = tf.variable(initial, true);
  initial.dispose();
  return variable;
}

/** Glorot/Xavier uniform values in ±√(6 / (fanIn + fanOut)): activations keep about the same variance through a layer. */
export function glorotUniform(fanIn: number, fanOut: number, rng: Random): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/** Normal values N(0, std²) from the seeded generator. */
export function normalValues(size: number, std: number, rng: Random): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = std * rng.normal();
  return out;
}

function prefixed(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return tf.transpose(x, perm);
}

let fastMatMulOp: ((a: tf.Tensor, b: tf.Tensor) => tf.Tensor) | null = null;

/**
 * a·b for same-rank a [..., m, k] and b [..., k, n] (equal leading axes), with a gradient that never asks
 * tf.matMul to transpose an operand. On the wasm backend a transposed operand leaves XNNPACK's fast path:
 * 960×64·64×64 takes 0.5 ms plain and 3–4 ms with transposeA or transposeB (10–30× slower on larger
 * shapes), and autograd's matMul gradient uses exactly those transposed products. Transposing explicitly
 * (a cheap copy) then multiplying keeps every product on the fast path: a Transformer step runs ~4× faster.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank < 2 || a.rank !== b.rank || a.shape[a.rank - 1] !== b.shape[b.rank - 2] || !a.shape.slice(0, -2).every((n, i) => n === b.shape[i])) {
    throw new RangeError(`matMul: expected a [..., m, k] and b [..., k, n] with equal leading axes, got ${shapeOf(a)} and ${shapeOf(b)}`);
  }
  fastMatMulOp ??= tf.customGrad((...inputs) => {
    const [x, y, save] = inputs as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor, tf.Tensor];
        return [tf.matMul(dy, swapLastAxes(sy)), tf.matMul(swapLastAxes(sx), dy)];
      },
    };
  }) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return fastMatMulOp(a, b);
}

/**
 * Σ over the rows of a [n, k] matrix, as the product ones[1, n]·x. The gradients of a broadcast bias or
 * LayerNorm gain are such sums, and tfjs's wasm backend reduces a leading axis by transposing first:
 * 4096×512 takes ~37 ms that way against ~1 ms for this product on XNNPACK's fast path.
 */
export function sumRows(x: tf.Tensor): tf.Tensor1D {
  if (!(x instanceof tf.Tensor) || x.rank !== 2) throw new RangeError(`sumRows: expected a 2-D tensor, got ${x instanceof tf.Tensor ? shapeOf(x) : typeof x}`);
  return tf.tidy(() => tf.matMul(tf.ones([1, x.shape[0]!]), x).reshape([x.shape[1]!]) as tf.Tensor1D);
}

let linearOps: { bias: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor; plain: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor } | null = null;

/** ∂W [in, out] (and ∂b [out]) of y = x·W (+ b) for x [n, in], ∂y [n, out], transposing the smaller of x and ∂y. */
function linearParameterGradients(x: tf.Tensor, dy: tf.Tensor, withBias: boolean): { dW: tf.Tensor; db: tf.Tensor | null } {
  const [n, inFeatures] = x.shape as [number, number];
  const outFeatures = dy.shape[1]!;
  if (inFeatures <= outFeatures) {
    const xT = tf.transpose(x);
    if (!withBias) return { dW: tf.matMul(xT, dy), db: null };
    // A ones row under xᵀ makes the product's last row Σ_rows ∂y: the bias gradient without a row sum.
    const both = tf.matMul(tf.concat([xT, tf.ones([1, n])], 0), dy);
    return { dW: both.slice([0, 0], [inFeatures, outFeatures]), db: both.slice([inFeatures, 0], [1, outFeatures]).reshape([outFeatures]) };
  }
  // A down-projection (x wider than ∂y): ∂Wᵀ = ∂yᵀ·x copies the narrower matrix.
  const dyT = tf.transpose(dy);
  return {
    dW: tf.transpose(tf.matMul(dyT, x)),
    db: withBias ? tf.matMul(dyT, tf.ones([n, 1])).reshape([outFeatures]) : null,
  };
}

/**
 * x [n, in]·W [in, out] + b [out] as one operation whose gradient stays on wasm's fast, untransposed
 * matrix products (see {@link matMul}) and sums no rows: ∂x = ∂y·Wᵀ, and ∂W with ∂b come out of one
 * product. Linear layers use it; `bias` null leaves the bias out.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  if (x.rank !== 2 || weight.rank !== 2 || x.shape[1] !== weight.shape[0] || (bias !== null && (bias.rank !== 1 || bias.shape[0] !== weight.shape[1]))) {
    throw new RangeError(`linear: expected x [n, in], weight [in, out] and bias [out], got ${shapeOf(x)}, ${shapeOf(weight)}${bias ? ` and ${shapeOf(bias)}` : ""}`);
  }
  linearOps ??= {
    bias: tf.customGrad((...inputs) => {
      const [xi, w, b, save] = inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([xi, w]);
      return {
        value: tf.add(tf.matMul(xi, w), b),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw] = saved as [tf.Tensor, tf.Tensor];
          const { dW, db } = linearParameterGradients(sx, dy, true);
          return [tf.matMul(dy, tf.transpose(sw)), dW, db!];
        },
      };
    }) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor,
    plain: tf.customGrad((...inputs) => {
      const [xi, w, save] = inputs as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([xi, w]);
      return {
        value: tf.matMul(xi, w),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw] = saved as [tf.Tensor, tf.Tensor];
          return [tf.matMul(dy, tf.transpose(sw)), linearParameterGradients(sx, dy, false).dW];
        },
      };
    }) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor,
  };
  return bias === null ? linearOps.plain(x, weight) : linearOps.bias(x, weight, bias);
}

/**
 * x [n, in]·W [in, out] + b [out] for a frozen W (and b): the gradient flows to x only (∂x = ∂y·Wᵀ, with
 * an explicit transpose to stay on wasm's fast path). {@link linear}'s gradient always computes ∂W too —
 * as much work as ∂x — which a fine-tuning that trains adapters around frozen weights would throw away.
 */
export function frozenLinear(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  if (x.rank !== 2 || weight.rank !== 2 || x.shape[1] !== weight.shape[0] || (bias !== null && (bias.rank !== 1 || bias.shape[0] !== weight.shape[1]))) {
    throw new RangeError(`frozenLinear: expected x [n, in], weight [in, out] and bias [out], got ${shapeOf(x)}, ${shapeOf(weight)}${bias ? ` and ${shapeOf(bias)}` : ""}`);
  }
  const op = tf.customGrad((...inputs) => {
    const [xi, save] = inputs as [tf.Tensor, tf.GradSaveFunc];
    // Saved (kept past the forward pass's tidy), not captured: W may be a temporary such as E_tokᵀ.
    save([weight]);
    const product = tf.matMul(xi, weight);
    return {
      value: bias === null ? product : tf.add(product, bias),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(saved[0]!))],
    };
  }) as (x: tf.Tensor) => tf.Tensor;
  return op(x);
}

/**
 * A correction added to a {@link Linear}'s output, computed from the same (flattened) input x [n, in]:
 * y = x·W + b + adapter(x). LoRA (lib/finetuning) plugs its low-rank product here.
 */
export type LinearAdapter = (x: tf.Tensor2D) => tf.Tensor;

/** Options shared by the layers: where initial values come from and the parameter-name prefix. */
export interface LayerOptions {
  /** Draws the initial weights (default: new Random(42)). Pass one generator to a whole model. */
  rng?: Random;
  /** Prefix of the parameter names, e.g. "encoder.0.feedForward". */
  name?: string;
}

/** y = x·W + b over the last axis of x (any rank ≥ 1): W [inFeatures, outFeatures], b [outFeatures]. */
export class Linear implements Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly name: string;
  /** Added to the output when set (see {@link LinearAdapter}); null: the plain layer. */
  adapter: LinearAdapter | null = null;

  constructor(inFeatures: number, outFeatures: number, options: LayerOptions & { bias?: boolean } = {}) {
    checkPositiveInteger(inFeatures, "inFeatures", "Linear");
    checkPositiveInteger(outFeatures, "outFeatures", "Linear");
    const rng = options.rng ?? new Random(42);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.name = options.name ?? "linear";
    this.weight = variableFrom(glorotUniform(inFeatures, outFeatures, rng), [inFeatures, outFeatures]);
    this.bias = options.bias === false ? null : variableFrom(new Float32Array(outFeatures), [outFeatures]);
  }

  apply(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `Linear ${this.name}`);
    const last = x.shape[x.rank - 1];
    if (x.rank < 1 || last !== this.inFeatures) {
      throw new RangeError(`Linear ${this.name}: input's last axis must have ${this.inFeatures} features, got shape ${shapeOf(x)}`);
    }
    return tf.tidy(() => {
      // tf.matMul wants 2-D (or equal-rank batched) operands: fold every leading axis into one.
      const flat = x.reshape([-1, this.inFeatures]) as tf.Tensor2D;
      // A weight marked non-trainable (variable.trainable = false) skips its gradient.
      const base = this.weight.trainable ? linear(flat, this.weight, this.bias) : frozenLinear(flat, this.weight, this.bias);
      const y = this.adapter === null ? base : tf.add(base, this.adapter(flat));
      return y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
    });
  }

  namedParameters(): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [[prefixed(this.name, "weight"), this.weight]];
    if (this.bias) out.push([prefixed(this.name, "bias"), this.bias]);
    return out;
  }

  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}

/** A table of `vocabSize` trainable vectors of `dim` numbers; rows are looked up with {@link embeddingLookup} (trainable on wasm). */
export class Embedding implements Module {
  readonly table: tf.Variable;
  readonly vocabSize: number;
  readonly dim: number;
  readonly name: string;

  /** Initial rows ~ N(0, std²); default std 1/√dim, so that a Transformer's ×√dim scaling gives unit-variance inputs. */
  constructor(vocabSize: number, dim: number, options: LayerOptions & { std?: number } = {}) {
    checkPositiveInteger(vocabSize, "vocabSize", "Embedding");
    checkPositiveInteger(dim, "dim", "Embedding");
    this.vocabSize = vocabSize;
    this.dim = dim;
    this.name = options.name ?? "embedding";
    const std = options.std ?? 1 / Math.sqrt(dim);
    this.table = variableFrom(normalValues(vocabSize * dim, std, options.rng ?? new Random(42)), [vocabSize, dim]);
  }

  /** Rows for int32 `ids` of any shape: output shape = ids' shape + [dim]. */
  apply(ids: tf.Tensor): tf.Tensor {
    checkTensor(ids, `Embedding ${this.name}`);
    return embeddingLookup(this.table, ids);
  }

  namedParameters(): [string, tf.Variable][] {
    return [[prefixed(this.name, "table"), this.table]];
  }

  dispose(): void {
    this.table.dispose();
  }
}

/**
 * LayerNorm of the rows of x [n, d] as one operation with its gradient written out:
 *   x̂ = (x − μ)·r, r = 1/√(σ² + ε);  y = γ·x̂ + β
 *   ∂x = r·(g − mean(g) − x̂·mean(g·x̂)) with g = γ·∂y;  ∂γ = Σ_rows ∂y·x̂;  ∂β = Σ_rows ∂y
 * Autograd through tf.moments takes about twice the operations, and its row sums are slow on wasm.
 */
function layerNormOp(epsilon: number): (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...inputs) => {
    const [x, gamma, beta, save] = inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(x, -1, true);
    const r = tf.rsqrt(tf.add(variance, epsilon));
    const normalised = tf.mul(tf.sub(x, mean), r);
    save([normalised, r, gamma]);
    return {
      value: tf.add(tf.mul(normalised, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHat, rs, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dxHat = tf.mul(dy, g);
        const centred = tf.sub(dxHat, tf.mean(dxHat, -1, true));
        const dx = tf.mul(tf.sub(centred, tf.mul(xHat, tf.mean(tf.mul(dxHat, xHat), -1, true))), rs);
        return [dx, sumRows(tf.mul(dy, xHat)), sumRows(dy)];
      },
    };
  }) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
}

/**
 * Whether LayerNorm (and the GPT's GELU) run the WebAssembly kernel of lib/kernels/layers: on the CPU
 * backends (wasm, cpu), where tfjs runs each of their 6–10 elementwise operations as a separate pass.
 */
export function fusedLayerKernelsAvailable(): boolean {
  if (fusedLayerKernelsDisabled) return false;
  const backend = tf.getBackend();
  return (backend === "wasm" || backend === "cpu") && layersKernelAvailable();
}

let fusedLayerKernelsDisabled = false;

/** Runs LayerNorm and GELU through plain tfjs operations even on the CPU backends (`false` restores the kernel): tests compare both paths. */
export function disableFusedLayerKernels(disabled = true): void {
  fusedLayerKernelsDisabled = disabled;
}

/** {@link layerNormOp}'s maths in one WebAssembly pass each way; the operands are read once and kept for the gradient. */
function layerNormWithKernel(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const [rows, dim] = x.shape as [number, number];
  const gammaData = gamma.dataSync() as Float32Array;
  const { y, normalised, inverseStd } = layerNormForward(x.dataSync() as Float32Array, gammaData, beta.dataSync() as Float32Array, rows, dim, epsilon);
  const op = tf.customGrad((..._inputs) => ({
    value: tf.tensor2d(y, [rows, dim]),
    gradFunc: (dy: tf.Tensor) => {
      const g = layerNormBackward(dy.dataSync() as Float32Array, normalised, inverseStd, gammaData, rows, dim);
      return [tf.tensor2d(g.dx, [rows, dim]), tf.tensor1d(g.dGamma), tf.tensor1d(g.dBeta)];
    },
  })) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
  return op(x, gamma, beta);
}

/**
 * Layer normalisation (Ba et al. 2016) over the last axis: each position's vector is centred and scaled to
 * unit variance, then γ·x̂ + β. Unlike batch norm it needs no batch statistics, so it behaves the same in
 * training, in evaluation and for a batch of one during decoding.
 */
export class LayerNorm implements Module {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly dim: number;
  readonly epsilon: number;
  readonly name: string;
  private op: ((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor) | null = null;

  constructor(dim: number, options: { name?: string; epsilon?: number } = {}) {
    checkPositiveInteger(dim, "dim", "LayerNorm");
    this.dim = dim;
    this.epsilon = options.epsilon ?? 1e-5;
    this.name = options.name ?? "layerNorm";
    this.gamma = variableFrom(new Float32Array(dim).fill(1), [dim]);
    this.beta = variableFrom(new Float32Array(dim), [dim]);
  }

  apply(x: tf.Tensor): tf.Tensor {
    checkTensor(x, `LayerNorm ${this.name}`);
    if (x.shape[x.rank - 1] !== this.dim) throw new RangeError(`LayerNorm ${this.name}: input's last axis must have ${this.dim} features, got shape ${shapeOf(x)}`);
    if (fusedLayerKernelsAvailable() && this.dim % 4 === 0 && x.dtype === "float32") {
      return tf.tidy(() => layerNormWithKernel(x.reshape([-1, this.dim]), this.gamma, this.beta, this.epsilon).reshape(x.shape));
    }
    this.op ??= layerNormOp(this.epsilon);
    const op = this.op;
    return tf.tidy(() => op(x.reshape([-1, this.dim]), this.gamma, this.beta).reshape(x.shape));
  }

  namedParameters(): [string, tf.Variable][] {
    return [
      [prefixed(this.name, "gamma"), this.gamma],
      [prefixed(this.name, "beta"), this.beta],
    ];
  }

  dispose(): void {
    this.gamma.dispose();
    this.beta.dispose();
  }
}

/** The position-wise feed-forward block of a Transformer: Linear(d → d_ff), ReLU, Linear(d_ff → d). */
export class FeedForward implements Module {
  readonly inner: Linear;
  readonly outer: Linear;
  readonly name: string;

  constructor(dModel: number, dFF: number, options: LayerOptions = {}) {
    checkPositiveInteger(dModel, "dModel", "FeedForward");
    checkPositiveInteger(dFF, "dFF", "FeedForward");
    const rng = options.rng ?? new Random(42);
    this.name = options.name ?? "feedForward";
    this.inner = new Linear(dModel, dFF, { rng, name: prefixed(this.name, "inner") });
    this.outer = new Linear(dFF, dModel, { rng, name: prefixed(this.name, "outer") });
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.outer.apply(tf.relu(this.inner.apply(x))));
  }

  namedParameters(): [string, tf.Variable][] {
    return [...this.inner.namedParameters(), ...this.outer.namedParameters()];
  }

  dispose(): void {
    this.inner.dispose();
    this.outer.dispose();
  }
}

/** Parameters of a Linear layer: in·out weights + out biases. */
export function linearParameterCount(inFeatures: number, outFeatures: number, bias = true): number {
  return inFeatures * outFeatures + (bias ? outFeatures : 0);
}

/** Parameters of a LayerNorm over `dim` features: γ and β. */
export function layerNormParameterCount(dim: number): number {
  return 2 * dim;
}

/** Parameters of a feed-forward block: d·d_ff + d_ff + d_ff·d + d. */
export const feedForwardParameterCount = offLimitsDuringChecks("feedForwardParameterCount", function feedForwardParameterCount(dModel: number, dFF: number): number {
  return linearParameterCount(dModel, dFF) + linearParameterCount(dFF, dModel);
});
