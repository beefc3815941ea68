// @ts-nocheck — AssemblyScript, not TypeScript: compiled to lib/kernels/adamw.wasm by lib/kernels/build.ts
// (`npm run build:kernels`). The TypeScript checker does not know its types (i32, f32, v128) or builtins.
//
// AdamW's update over a parameter's weights w, moments m and v and gradient g, in f32x4 lanes: the
// compiled training steps (lib/onnx/training-layers) return plain gradients, and a JavaScript loop over
// them cost a small model's step as much as a fifth of its graph. The maths is that of AdamW.apply, the
// tfjs path (lib/models/optim.ts); test/models/adamw-kernel.test.ts compares the kernel with a float64 loop,
// and test/models/transformer.test.ts AdamW.applyNamed (which drives it) with AdamW.apply:
//   g ← s·g (s: the clipping scale);  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
//   w ← w − α·m / (√v + ε) − λ·w      (α and ε folded with the bias corrections by the host)
// Arrays are multiples of 4 floats long (the host pads them).

import { at } from "./simd.as";
export { heapBase } from "./simd.as";

/** Σ g² over n floats, accumulated in f64 (millions of squares: an f32 sum would drift). */
export function sumOfSquares(g: usize, n: i32): f64 {
  let low = f64x2.splat(0);
  let high = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const x = v128.load(at(g, i));
    const squares = f32x4.mul(x, x);
    low = f64x2.add(low, f64x2.promote_low_f32x4(squares));
    high = f64x2.add(high, f64x2.promote_low_f32x4(v128.shuffle<f32>(squares, squares, 2, 3, 0, 1)));
  }
  const sum = f64x2.add(low, high);
  return f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
}

/** One AdamW update of n floats in place (w, m, v), from the gradient g. */
export function adamwUpdate(w: usize, m: usize, v: usize, g: usize, n: i32, scale: f32, beta1: f32, beta2: f32, stepSize: f32, epsilon: f32, decay: f32): void {
  const s = f32x4.splat(scale);
  const b1 = f32x4.splat(beta1);
  const c1 = f32x4.splat(<f32>1 - beta1);
  const b2 = f32x4.splat(beta2);
  const c2 = f32x4.splat(<f32>1 - beta2);
  const alpha = f32x4.splat(stepSize);
  const eps = f32x4.splat(epsilon);
  const keep = f32x4.splat(<f32>1 - decay);
  for (let i = 0; i < n; i += 4) {
    const gi = f32x4.mul(v128.load(at(g, i)), s);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(at(m, i))), f32x4.mul(c1, gi));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(at(v, i))), f32x4.mul(c2, f32x4.mul(gi, gi)));
    v128.store(at(m, i), mi);
    v128.store(at(v, i), vi);
    const step = f32x4.div(f32x4.mul(alpha, mi), f32x4.add(f32x4.sqrt(vi), eps));
    v128.store(at(w, i), f32x4.sub(f32x4.mul(keep, v128.load(at(w, i))), step));
  }
}
