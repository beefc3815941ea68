/**
 * Optimisation for the tfjs models of the course (Transformers): AdamW with optional gradient clipping,
 * and learning-rate schedules with a warm-up, as Transformers need.
 *
 * Why a warm-up: at the start Adam's second-moment estimates rest on a handful of gradients, and the
 * attention logits of a fresh network are unstable, so full-size steps can wreck the first layers; a
 * learning rate that grows linearly over the first few hundred steps avoids it (Vaswani et al. 2017,
 * "Attention is all you need", §5.3). Why "W": weight decay is applied to the weights directly
 * (p ← p − lr·λ·p), decoupled from Adam's per-parameter scaling (Loshchilov & Hutter 2019), so every
 * weight decays at the same rate whatever its gradient history.
 */
import * as tf from "@tensorflow/tfjs";
import { AdamwKernelState } from "../kernels/adamw";
import type { LearningRateSchedule } from "../training/schedules";

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Decay of the gradient's running mean (default 0.9). */
  beta1?: number;
  /** Decay of the squared gradient's running mean (default 0.98, as in the Transformer paper). */
  beta2?: number;
  /** Added to √v̂ so tiny second moments do not blow the step up (default 1e-9). */
  epsilon?: number;
  /** λ of the decoupled weight decay (default 0.01; 0 = plain Adam). */
  weightDecay?: number;
  /** Which parameters decay (default: matrices only — biases, LayerNorm gains and offsets do not). */
  decays?: (name: string, variable: tf.Variable) => boolean;
  /** Rescale the gradients when their global L2 norm exceeds this (default: no clipping). */
  clipNorm?: number;
}

interface Slot {
  name: string;
  variable: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  decays: boolean;
  /** The identity (dataId) of the variable's tensor whose values the kernel state's weights hold. */
  weightsOf: object | null;
}

/**
 * Adam with decoupled weight decay over a fixed list of named variables; the learning rate is given at
 * each step, so any schedule (warm-up, cosine) drives it.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly clipNorm: number | null;
  private readonly slots: Slot[];
  private t = 0;
  /**
   * The compiled path's state (see {@link applyNamed}): weights, moments and gradients in the AdamW kernel's
   * memory, in the order of `slots`; null while the moments live in the tfjs variables.
   */
  private kernelState: AdamwKernelState | null = null;

  constructor(parameters: readonly [string, tf.Variable][], options: AdamWOptions = {}) {
    const { beta1 = 0.9, beta2 = 0.98, epsilon = 1e-9, weightDecay = 0.01 } = options;
    for (const [name, value, ok] of [
      ["beta1", beta1, beta1 >= 0 && beta1 < 1],
      ["beta2", beta2, beta2 >= 0 && beta2 < 1],
      ["epsilon", epsilon, epsilon > 0],
      ["weightDecay", weightDecay, weightDecay >= 0],
    ] as const) {
      if (typeof value !== "number" || !ok || !Number.isFinite(value)) throw new RangeError(`AdamW: ${name} is out of range: ${value}`);
    }
    if (options.clipNorm !== undefined && !(options.clipNorm > 0)) throw new RangeError(`AdamW: clipNorm must be > 0, got ${options.clipNorm}`);
    if (parameters.length === 0) throw new RangeError("AdamW: no parameters to optimise");
    const decays = options.decays ?? ((_name: string, variable: tf.Variable) => variable.rank >= 2);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.clipNorm = options.clipNorm ?? null;
    this.slots = parameters.map(([name, variable]) => ({
      name,
      variable,
      m: tf.variable(tf.zerosLike(variable), false),
      v: tf.variable(tf.zerosLike(variable), false),
      decays: decays(name, variable),
      weightsOf: null,
    }));
  }

  /** The variables being optimised, in order (pass them to `tf.variableGrads`). */
  get variables(): tf.Variable[] {
    return this.slots.map((s) => s.variable);
  }

  /** Updates done so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * One update with gradients keyed by variable name (as `tf.variableGrads` returns them) at learning
   * rate `lr`. A variable without a gradient (unused this step) is left alone. Disposes nothing it is given.
   */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    if (typeof lr !== "number" || !(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`AdamW.apply: lr must be a finite number ≥ 0, got ${lr}`);
    this.momentsToTensors();
    this.t += 1;
    const t = this.t;
    tf.tidy(() => {
      let scale: tf.Scalar | null = null;
      if (this.clipNorm !== null) {
        const squares = this.slots.filter((s) => grads[s.variable.name]).map((s) => tf.sum(tf.square(grads[s.variable.name]!)));
        const norm = tf.sqrt(tf.addN(squares));
        // min(1, clip / norm) without reading the norm back: no GPU/CPU sync in the step.
        scale = tf.minimum(1, tf.div(this.clipNorm, tf.maximum(norm, 1e-12))) as tf.Scalar;
      }
      const correction1 = 1 - Math.pow(this.beta1, t);
      const correction2 = 1 - Math.pow(this.beta2, t);
      const stepSize = (lr * Math.sqrt(correction2)) / correction1;
      for (const slot of this.slots) {
        let g = grads[slot.variable.name];
        if (!g) continue;
        if (scale) g = tf.mul(g, scale);
        slot.m.assign(tf.add(tf.mul(slot.m, this.beta1), tf.mul(g, 1 - this.beta1)));
        slot.v.assign(tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        // Bias-corrected Adam step, folded into one scalar: lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε').
        let update = tf.mul(tf.div(slot.m, tf.add(tf.sqrt(slot.v), this.epsilon * Math.sqrt(correction2))), stepSize);
        if (slot.decays && this.weightDecay > 0) update = tf.add(update, tf.mul(slot.variable, lr * this.weightDecay));
        slot.variable.assign(tf.sub(slot.variable, update));
      }
    });
  }

  /**
   * {@link apply} with gradients keyed by parameter name as plain arrays (what a compiled training graph
   * returns, lib/onnx/training-layers); every parameter needs one. The same update, computed by a WebAssembly
   * SIMD kernel (lib/kernels/adamw) instead of a dozen tfjs operations per parameter, which took a third of a
   * small model's compiled step. The weights and moments stay in the kernel's memory between steps (reading
   * them back out of the tfjs backend at every step cost as much as the update): a step copies the gradients
   * in and gives each variable its new weights with one assignment; a variable assigned by something else
   * meanwhile is read again.
   */
  applyNamed(gradients: ReadonlyMap<string, Float32Array>, lr: number): void {
    if (typeof lr !== "number" || !(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`AdamW.applyNamed: lr must be a finite number ≥ 0, got ${lr}`);
    for (const { name, variable } of this.slots) {
      const values = gradients.get(name);
      if (values === undefined || values.length !== variable.size) throw new RangeError(`AdamW.applyNamed: parameter ${name} needs a gradient of ${variable.size} values, got ${values?.length ?? "none"}`);
    }
    const state = this.stateWithCurrentWeights();
    this.slots.forEach((slot, i) => state.gradients[i]!.set(gradients.get(slot.name)!));
    this.t += 1;
    const t = this.t;
    let scale = 1;
    if (this.clipNorm !== null) {
      let squares = 0;
      for (let i = 0; i < this.slots.length; i++) squares += state.sumOfSquares(i);
      scale = Math.min(1, this.clipNorm / Math.max(Math.sqrt(squares), 1e-12));
    }
    const correction2 = 1 - Math.pow(this.beta2, t);
    const step = {
      scale,
      beta1: this.beta1,
      beta2: this.beta2,
      // Bias-corrected Adam step, folded into one scalar: lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε').
      stepSize: (lr * Math.sqrt(correction2)) / (1 - Math.pow(this.beta1, t)),
      epsilon: this.epsilon * Math.sqrt(correction2),
    };
    this.slots.forEach((slot, i) => {
      state.update(i, step, slot.decays ? lr * this.weightDecay : 0);
      // A copy: a backend may keep the array it is given (tfjs's cpu backend does), and ours changes next step.
      tf.tidy(() => slot.variable.assign(tf.tensor(state.weights[i]!.slice(), slot.variable.shape, "float32")));
      slot.weightsOf = dataIdOf(slot.variable);
    });
  }

  /**
   * The parameters' current values by name, as plain arrays (what a compiled training graph is fed): views
   * of the optimizer's own copies. Read-only, and valid until the next update, which writes into them.
   */
  parameterValues(): Map<string, Float32Array> {
    const state = this.stateWithCurrentWeights();
    return new Map(this.slots.map((slot, i) => [slot.name, state.weights[i]!]));
  }

  /** The kernel state, made on first use from the variables and moments; weights read again where a variable was assigned elsewhere. */
  private stateWithCurrentWeights(): AdamwKernelState {
    if (this.kernelState === null) {
      const state = new AdamwKernelState(this.slots.map((slot) => slot.variable.size));
      this.slots.forEach((slot, i) => {
        state.m[i]!.set(slot.m.dataSync() as Float32Array);
        state.v[i]!.set(slot.v.dataSync() as Float32Array);
        slot.weightsOf = null;
      });
      this.kernelState = state;
    }
    const state = this.kernelState;
    this.slots.forEach((slot, i) => {
      if (slot.weightsOf === dataIdOf(slot.variable)) return;
      state.weights[i]!.set(slot.variable.dataSync() as Float32Array);
      slot.weightsOf = dataIdOf(slot.variable);
    });
    return state;
  }

  /** Hands the moments kept by the kernel back to their tfjs variables (before a tfjs update). */
  private momentsToTensors(): void {
    const state = this.kernelState;
    if (state === null) return;
    this.slots.forEach((slot, i) => {
      tf.tidy(() => {
        slot.m.assign(tf.tensor(state.m[i]!.slice(), slot.m.shape, "float32"));
        slot.v.assign(tf.tensor(state.v[i]!.slice(), slot.v.shape, "float32"));
      });
    });
    this.kernelState = null;
  }

  /** Frees the moment estimates (not the parameters). */
  dispose(): void {
    for (const slot of this.slots) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.kernelState = null;
  }
}

/** The identity of the tensor a variable holds now: tfjs gives a variable a new dataId at every assign. */
function dataIdOf(variable: tf.Variable): object {
  return (variable as unknown as { dataId: object }).dataId;
}

/**
 * Linear warm-up from 0 to `peak` over `warmup` steps (a count, or a fraction of the run when < 1), then
 * half a cosine down to `min` at the last step: `warmupCosineLr(3e-3, 200)`.
 */
export function warmupCosineLr(peak: number, warmup: number, min = 0): LearningRateSchedule {
  if (!(peak >= 0) || !Number.isFinite(peak)) throw new RangeError(`warmupCosineLr: peak must be a finite number ≥ 0, got ${peak}`);
  if (!(min >= 0) || min > peak) throw new RangeError(`warmupCosineLr: min must be in [0, peak], got ${min}`);
  if (!(warmup >= 0) || !Number.isFinite(warmup)) throw new RangeError(`warmupCosineLr: warmup must be a number of steps ≥ 0 (or a fraction < 1), got ${warmup}`);
  return (step, totalSteps) => {
    const warm = warmup < 1 ? Math.round(warmup * totalSteps) : Math.min(warmup, totalSteps);
    if (step < warm) return (peak * (step + 1)) / warm;
    const span = Math.max(1, totalSteps - 1 - warm);
    const progress = Math.min(1, (step - warm) / span);
    return min + ((peak - min) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

/**
 * The Transformer paper's schedule: lr = factor · d_model^(−½) · min(step^(−½), step · warmup^(−3/2)),
 * rising linearly for `warmup` steps, then decaying as 1/√step (steps counted from 1).
 */
export function noamLr(dModel: number, warmup: number, factor = 1): LearningRateSchedule {
  if (!Number.isInteger(dModel) || dModel < 1) throw new RangeError(`noamLr: dModel must be an integer ≥ 1, got ${dModel}`);
  if (!Number.isInteger(warmup) || warmup < 1) throw new RangeError(`noamLr: warmup must be an integer ≥ 1, got ${warmup}`);
  if (!(factor > 0)) throw new RangeError(`noamLr: factor must be > 0, got ${factor}`);
  return (step) => {
    const s = step + 1;
    return factor * Math.pow(dModel, -0.5) * Math.min(Math.pow(s, -0.5), s * Math.pow(warmup, -1.5));
  };
}
