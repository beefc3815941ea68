/**
 * A 2-D matrix product whose backward pass is fast on the wasm backend. tfjs differentiates
 * C = A·B into dA = dC·Bᵀ and dB = Aᵀ·dC, computed as matMul with transposeA/transposeB flags; the wasm
 * backend runs only the untransposed product through XNNPACK and falls back to a plain loop otherwise,
 * 6–10× slower at the sizes of these models (measured: 64×128 by 128×384, 2 ms vs 0.25 ms). Here the
 * gradients transpose first (a cheap copy) and multiply without flags. Same values, same gradients.
 */
import * as tf from "@tensorflow/tfjs";

let product: ((a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) | null = null;

function op(): (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D {
  if (product !== null) return product;
  const f = tf.customGrad((...inputs) => {
    const [a, b, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedA, savedB] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(savedB)), tf.matMul(tf.transpose(savedA), dy as tf.Tensor2D)];
      },
    };
  });
  product = (a, b) => f(a, b) as tf.Tensor2D;
  return product;
}

/** A·B for A [m, k] and B [k, n], differentiable, with flag-free matrix products in its gradient. */
export function matMul2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2) throw new RangeError(`matMul2d: both operands must be 2-D, got [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`);
  if (a.shape[1] !== b.shape[0]) throw new RangeError(`matMul2d: inner sizes differ: [${a.shape.join(", ")}] · [${b.shape.join(", ")}]`);
  return op()(a as tf.Tensor2D, b as tf.Tensor2D);
}
