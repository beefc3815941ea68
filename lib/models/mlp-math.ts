/**
 * The makemore MLP's training step written out in plain TypeScript: forward pass, softmax cross-entropy,
 * backward pass by hand and the SGD update. This is the readable reference: the WebAssembly kernel
 * (lib/kernels/mlp.as.ts) computes the same step with SIMD and is tested against it, gradient checks
 * run on it in float64, and `MlpLanguageModel` falls back to it where WebAssembly SIMD is missing.
 *
 * Shapes, with V symbols, context B, embedding E, input D = B·E, hidden H:
 *   X = concat(C[x₁], …, C[x_B])        n × D
 *   A = tanh(X · W1 + b1)               n × H   (then dropout: A ⊙ mask / (1 − p) during training)
 *   logits = A · W2ᵀ + b2               n × V
 *   loss = mean over rows of −log softmax(logits)[target]
 *
 * Memory layout (shared with the kernel, so both paths read and write the same arrays): matrices are
 * row-major; every hidden-sized row is padded to `hiddenStride` = H rounded up to a multiple of 4 (the
 * kernel's SIMD width) with zeros that stay zero; W2 is stored output-major, V × hiddenStride, like
 * `torch.nn.Linear.weight`, so both layers' backward passes read contiguous rows.
 */
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Sizes of the model. */
export interface MlpShape {
  /** V: number of symbols (28 for the course's names). */
  readonly vocabSize: number;
  /** B: previous symbols the model sees. */
  readonly contextSize: number;
  /** E: size of each symbol's embedding. */
  readonly embeddingSize: number;
  /** H: hidden units. */
  readonly hiddenSize: number;
}

/** The trainable arrays in the layout described above (float32 in the model, float64 for gradient checks). */
export interface MlpParameters<A extends Float32Array | Float64Array = Float32Array> {
  /** C, V × E. */
  readonly embedding: A;
  /** W1, D × hiddenStride. */
  readonly hiddenWeight: A;
  /** b1, hiddenStride. */
  readonly hiddenBias: A;
  /** W2, V × hiddenStride (row v holds the weights of output v). */
  readonly outputWeight: A;
  /** b2, V. */
  readonly outputBias: A;
}

/** Regularisation of a training step. */
export interface MlpStepOptions {
  /** λ of the L2 penalty (λ/2)·Σw² on C, W1 and W2 (not the biases): each step adds λ·w to their gradients. */
  weightDecay?: number;
  /** Probability p of zeroing each hidden unit during training (inverted dropout: kept units are scaled by 1/(1 − p)). */
  dropout?: number;
  /**
   * xoshiro128** state (4 words) drawing the dropout masks, advanced in place; the kernel uses the same
   * generator and the same order (row by row, unit by unit), so both paths drop the same units.
   */
  rngState?: Uint32Array;
}

/** H rounded up to the kernel's SIMD width (4 floats). */
export function hiddenStride(shape: MlpShape): number {
  return Math.ceil(shape.hiddenSize / 4) * 4;
}

/** Number of floats of each parameter array. */
export function parameterSizes(shape: MlpShape): { [K in keyof MlpParameters]: number } {
  const hs = hiddenStride(shape);
  const d = shape.contextSize * shape.embeddingSize;
  return {
    embedding: shape.vocabSize * shape.embeddingSize,
    hiddenWeight: d * hs,
    hiddenBias: hs,
    outputWeight: shape.vocabSize * hs,
    outputBias: shape.vocabSize,
  };
}

/** Zeroed parameters (or gradients) of `shape`. */
export function zeroParameters(shape: MlpShape, type: "float32" | "float64" = "float32"): MlpParameters<Float32Array | Float64Array> {
  const sizes = parameterSizes(shape);
  const make = (n: number) => (type === "float32" ? new Float32Array(n) : new Float64Array(n));
  return {
    embedding: make(sizes.embedding),
    hiddenWeight: make(sizes.hiddenWeight),
    hiddenBias: make(sizes.hiddenBias),
    outputWeight: make(sizes.outputWeight),
    outputBias: make(sizes.outputBias),
  };
}

/**
 * The next word of a xoshiro128** generator held in `state` (the same algorithm as lib/random.ts, on a
 * state array the kernel can share).
 */
export function xoshiroNext(state: Uint32Array): number {
  const s1 = state[1]!;
  const x = Math.imul(s1, 5) >>> 0;
  const result = Math.imul(((x << 7) | (x >>> 25)) >>> 0, 9) >>> 0;
  const t = (s1 << 9) >>> 0;
  state[2] ^= state[0]!;
  state[3] ^= state[1]!;
  state[1] ^= state[2]!;
  state[0] ^= state[3]!;
  state[2] ^= t;
  const s3 = state[3]!;
  state[3] = (s3 << 11) | (s3 >>> 21);
  return result;
}

/** Below this 32-bit draw a unit is dropped: P(draw < threshold) = p. Shared with the kernel. */
export function dropoutThreshold(p: number): number {
  return Math.floor(p * 4294967296);
}

/** The loss of a minibatch and, when asked, the gradients of the mean loss (without the penalty). */
export interface MlpLossAndGradients {
  loss: number;
  gradients: MlpParameters<Float64Array>;
}

/**
 * Mean cross-entropy of examples `rows` of (contexts, targets) and its gradients with respect to every
 * parameter, by backpropagation through the layers above. `dropoutMask` (rows × H, values 0 or 1/(1 − p))
 * applies dropout; omit it for the plain model. Computed in float64 whatever the parameters' type.
 */
export const mlpLossAndGradients = offLimitsDuringChecks("mlpLossAndGradients", function mlpLossAndGradients(
  shape: MlpShape,
  params: MlpParameters<Float32Array | Float64Array>,
  contexts: Int32Array,
  targets: Int32Array,
  rows: Int32Array,
  dropoutMask?: Float64Array,
): MlpLossAndGradients {
  const { vocabSize: V, contextSize: B, embeddingSize: E, hiddenSize: H } = shape;
  const hs = hiddenStride(shape);
  const D = B * E;
  const n = rows.length;
  const { embedding: C, hiddenWeight: W1, hiddenBias: b1, outputWeight: W2, outputBias: b2 } = params;

  const X = new Float64Array(n * D);
  const A = new Float64Array(n * H); // tanh activations
  const Ad = new Float64Array(n * H); // after dropout
  const P = new Float64Array(n * V); // probabilities, then ∂loss/∂logits
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    for (let j = 0; j < B; j++) {
      const id = contexts[row * B + j]!;
      for (let e = 0; e < E; e++) X[r * D + j * E + e] = C[id * E + e]!;
    }
    for (let h = 0; h < H; h++) {
      let pre = b1[h]!;
      for (let d = 0; d < D; d++) pre += X[r * D + d]! * W1[d * hs + h]!;
      const a = Math.tanh(pre);
      A[r * H + h] = a;
      Ad[r * H + h] = dropoutMask ? a * dropoutMask[r * H + h]! : a;
    }
    // Softmax after subtracting the largest logit, so exp never overflows.
    let max = -Infinity;
    for (let v = 0; v < V; v++) {
      let logit = b2[v]!;
      for (let h = 0; h < H; h++) logit += Ad[r * H + h]! * W2[v * hs + h]!;
      P[r * V + v] = logit;
      if (logit > max) max = logit;
    }
    const target = targets[row]!;
    const targetLogit = P[r * V + target]!;
    let sum = 0;
    for (let v = 0; v < V; v++) {
      const p = Math.exp(P[r * V + v]! - max);
      P[r * V + v] = p;
      sum += p;
    }
    loss += Math.log(sum) + max - targetLogit;
    // ∂(mean loss)/∂logits = (softmax − onehot(target)) / n.
    for (let v = 0; v < V; v++) P[r * V + v] = P[r * V + v]! / sum / n;
    P[r * V + target] -= 1 / n;
  }

  const g = zeroParameters(shape, "float64") as MlpParameters<Float64Array>;
  const dPre = new Float64Array(n * H);
  for (let r = 0; r < n; r++) {
    for (let v = 0; v < V; v++) {
      const dl = P[r * V + v]!;
      g.outputBias[v] += dl;
      for (let h = 0; h < H; h++) g.outputWeight[v * hs + h] += dl * Ad[r * H + h]!;
    }
    for (let h = 0; h < H; h++) {
      let dA = 0;
      for (let v = 0; v < V; v++) dA += P[r * V + v]! * W2[v * hs + h]!;
      if (dropoutMask) dA *= dropoutMask[r * H + h]!;
      const a = A[r * H + h]!;
      dPre[r * H + h] = dA * (1 - a * a); // tanh′ = 1 − tanh²
    }
    for (let h = 0; h < H; h++) {
      const dp = dPre[r * H + h]!;
      g.hiddenBias[h] += dp;
      for (let d = 0; d < D; d++) g.hiddenWeight[d * hs + h] += X[r * D + d]! * dp;
    }
    // The embedding's gradient: each context position sends ∂loss/∂X back to the row of C it copied.
    const row = rows[r]!;
    for (let d = 0; d < D; d++) {
      let dX = 0;
      for (let h = 0; h < H; h++) dX += dPre[r * H + h]! * W1[d * hs + h]!;
      const id = contexts[row * B + Math.floor(d / E)]!;
      g.embedding[id * E + (d % E)] += dX;
    }
  }
  return { loss: loss / n, gradients: g };
});

/** p ← p − lr·(∂loss/∂p + λ·p) for C, W1, W2 and p ← p − lr·∂loss/∂p for the biases. */
export const sgdUpdate = offLimitsDuringChecks("sgdUpdate", function sgdUpdate(
  params: MlpParameters<Float32Array | Float64Array>,
  gradients: MlpParameters<Float64Array>,
  lr: number,
  weightDecay = 0,
): void {
  const decayed = (p: Float32Array | Float64Array, grad: Float64Array, decay: number) => {
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * (grad[i]! + decay * p[i]!);
  };
  decayed(params.embedding, gradients.embedding, weightDecay);
  decayed(params.hiddenWeight, gradients.hiddenWeight, weightDecay);
  decayed(params.hiddenBias, gradients.hiddenBias, 0);
  decayed(params.outputWeight, gradients.outputWeight, weightDecay);
  decayed(params.outputBias, gradients.outputBias, 0);
});

/** Dropout mask of n rows × H units, drawn from `rngState` in the kernel's order. */
export function dropoutMask(n: number, hiddenSize: number, p: number, rngState: Uint32Array): Float64Array {
  const mask = new Float64Array(n * hiddenSize);
  const threshold = dropoutThreshold(p);
  const scale = Math.fround(1 / (1 - p));
  for (let i = 0; i < mask.length; i++) mask[i] = xoshiroNext(rngState) >= threshold ? scale : 0;
  return mask;
}

/**
 * One training step in plain TypeScript: loss and gradients on examples `rows`, then the SGD update in
 * place. Returns the minibatch's mean cross-entropy before the update (the penalty is not included).
 */
export const mlpReferenceStep = offLimitsDuringChecks("mlpReferenceStep", function mlpReferenceStep(
  shape: MlpShape,
  params: MlpParameters<Float32Array | Float64Array>,
  contexts: Int32Array,
  targets: Int32Array,
  rows: Int32Array,
  lr: number,
  options: MlpStepOptions = {},
): number {
  const { weightDecay = 0, dropout = 0, rngState } = options;
  let mask: Float64Array | undefined;
  if (dropout > 0) {
    if (!rngState) throw new TypeError("mlpReferenceStep: dropout needs options.rngState (4 words of xoshiro128** state)");
    mask = dropoutMask(rows.length, shape.hiddenSize, dropout, rngState);
  }
  const { loss, gradients } = mlpLossAndGradients(shape, params, contexts, targets, rows, mask);
  sgdUpdate(params, gradients, lr, weightDecay);
  return loss;
});

/**
 * Sum of the negative log-likelihoods of examples start … end − 1 (no dropout), and the probabilities of
 * the last row in `lastProbabilities` when given (used for sampling).
 */
export function mlpNllSum(
  shape: MlpShape,
  params: MlpParameters<Float32Array | Float64Array>,
  contexts: Int32Array,
  targets: Int32Array | null,
  start: number,
  end: number,
  lastProbabilities?: Float64Array,
): number {
  const { vocabSize: V, contextSize: B, embeddingSize: E, hiddenSize: H } = shape;
  const hs = hiddenStride(shape);
  const D = B * E;
  const { embedding: C, hiddenWeight: W1, hiddenBias: b1, outputWeight: W2, outputBias: b2 } = params;
  const x = new Float64Array(D);
  const a = new Float64Array(H);
  const logits = new Float64Array(V);
  let total = 0;
  for (let row = start; row < end; row++) {
    for (let j = 0; j < B; j++) {
      const id = contexts[row * B + j]!;
      for (let e = 0; e < E; e++) x[j * E + e] = C[id * E + e]!;
    }
    for (let h = 0; h < H; h++) {
      let pre = b1[h]!;
      for (let d = 0; d < D; d++) pre += x[d]! * W1[d * hs + h]!;
      a[h] = Math.tanh(pre);
    }
    let max = -Infinity;
    for (let v = 0; v < V; v++) {
      let logit = b2[v]!;
      for (let h = 0; h < H; h++) logit += a[h]! * W2[v * hs + h]!;
      logits[v] = logit;
      if (logit > max) max = logit;
    }
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[v]! - max);
    if (targets) total += Math.log(sum) + max - logits[targets[row]!]!;
    if (lastProbabilities && row === end - 1) {
      for (let v = 0; v < V; v++) lastProbabilities[v] = Math.exp(logits[v]! - max) / sum;
    }
  }
  return total;
}
