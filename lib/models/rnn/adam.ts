/**
 * Adam (Kingma & Ba 2015) written out, with the learning rate given at every step so the course's training
 * loop and its schedules drive it, and gradient clipping by global norm (Pascanu et al. 2013), which keeps
 * one exploding gradient through a long recurrence from wrecking the weights:
 *
 *   g ← g · min(1, maxNorm / ‖g‖)        m ← β₁ m + (1 − β₁) g        v ← β₂ v + (1 − β₂) g²
 *   θ ← θ − lr · m̂ / (√v̂ + ε)            with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)
 */
import * as tf from "@tensorflow/tfjs";

/** Adam's constants. */
export type AdamOptions = {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
};

/** Scales every gradient by min(1, maxNorm / ‖g‖), ‖g‖ the norm of all of them together; returns the norm before clipping. */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  if (!(maxNorm > 0)) throw new RangeError(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((name) => tf.sum(tf.square(grads[name]!))))) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
    const clipped: Record<string, tf.Tensor> = {};
    for (const name of names) clipped[name] = tf.mul(grads[name]!, scale);
    return { grads: clipped, norm };
  });
}

/** Adam over a fixed set of named variables; the moments m and v live beside them. */
export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Updates done. */
  stepCount = 0;
  private readonly params: Record<string, tf.Variable>;
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};

  constructor(params: Record<string, tf.Variable>, options: AdamOptions = {}) {
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new RangeError(`Adam: beta1 and beta2 must be in [0, 1), got ${beta1} and ${beta2}`);
    if (!(epsilon > 0)) throw new RangeError(`Adam: epsilon must be > 0, got ${epsilon}`);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.params = { ...params };
    for (const [name, p] of Object.entries(params)) {
      this.m[name] = zerosLikeVariable(p);
      this.v[name] = zerosLikeVariable(p);
    }
  }

  /** One update with gradients keyed like the parameters; a missing gradient leaves its parameter as it is. */
  update(grads: Record<string, tf.Tensor>, lr: number): void {
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) throw new RangeError(`Adam.update: lr must be a finite number ≥ 0, got ${lr}`);
    this.stepCount++;
    const correction1 = 1 - Math.pow(this.beta1, this.stepCount);
    const correction2 = 1 - Math.pow(this.beta2, this.stepCount);
    tf.tidy(() => {
      for (const [name, g] of Object.entries(grads)) {
        const p = this.params[name];
        if (p === undefined) throw new Error(`Adam.update: gradient for unknown parameter "${name}"`);
        const m = this.m[name]!;
        const v = this.v[name]!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const step = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), this.epsilon));
        p.assign(tf.sub(p, tf.mul(step, lr)));
      }
    });
  }

  /** Frees the moments (not the parameters). */
  dispose(): void {
    for (const t of [...Object.values(this.m), ...Object.values(this.v)]) t.dispose();
  }
}

/** A non-trainable variable of zeros shaped like `p` (the initial tensor's handle freed, so nothing leaks). */
function zerosLikeVariable(p: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(p);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}
