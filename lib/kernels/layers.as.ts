// @ts-nocheck — AssemblyScript, not TypeScript: compiled to lib/kernels/layers.wasm by lib/kernels/build.ts
// (`npm run build:kernels`). The TypeScript checker does not know its types (i32, f32, v128) or builtins.
//
// LayerNorm and GELU, forward and backward, each in one pass over the rows in f32x4 lanes. In tfjs each is
// a chain of 6 to 10 elementwise operations, every one a full trip through memory; on the wasm backend
// they cost a Transformer step more than its attention. The maths is that of LayerNorm in
// lib/models/layers.ts and gelu in lib/models/gpt/model.ts, which test/models/layers-kernel.test.ts
// compares with:
//   LayerNorm over rows of d: x̂ = (x − μ)·r, r = 1/√(σ² + ε), y = γ·x̂ + β
//     ∂x = r·(g − mean(g) − x̂·mean(g·x̂)) with g = γ·∂y;  ∂γ = Σ_rows ∂y·x̂;  ∂β = Σ_rows ∂y
//   GELU (tanh approximation) = x·σ(z), z = 2√(2/π)·(x + 0.044715·x³)
//     ∂x = ∂y·(σ(z) + x·σ(z)·(1 − σ(z))·z′),  z′ = 2√(2/π)·(1 + 3·0.044715·x²)
// d must be a multiple of 4 for LayerNorm; GELU takes any length (a scalar tail).

import { at, exp4, hsum } from "./simd.as";
export { heapBase } from "./simd.as";

/**
 * LayerNorm forward over n rows of d: y = γ·x̂ + β. Keeps x̂ [n, d] and r [n] for the backward pass.
 */
export function layerNormForward(x: usize, gamma: usize, beta: usize, y: usize, xhat: usize, rstd: usize, n: i32, d: i32, epsilon: f32): void {
  const inv = f32x4.splat(<f32>1 / <f32>d);
  for (let i = 0; i < n; i++) {
    const row = at(x, i * d);
    let s = f32x4.splat(0);
    for (let c = 0; c < d; c += 4) s = f32x4.add(s, v128.load(at(row, c)));
    const mean = f32x4.mul(f32x4.splat(hsum(s)), inv);
    let q = f32x4.splat(0);
    for (let c = 0; c < d; c += 4) {
      const t = f32x4.sub(v128.load(at(row, c)), mean);
      q = f32x4.add(q, f32x4.mul(t, t));
    }
    const r: f32 = <f32>1 / Mathf.sqrt(hsum(q) / <f32>d + epsilon);
    store<f32>(at(rstd, i), r);
    const rv = f32x4.splat(r);
    const hrow = at(xhat, i * d);
    const yrow = at(y, i * d);
    for (let c = 0; c < d; c += 4) {
      const h = f32x4.mul(f32x4.sub(v128.load(at(row, c)), mean), rv);
      v128.store(at(hrow, c), h);
      v128.store(at(yrow, c), f32x4.add(f32x4.mul(h, v128.load(at(gamma, c))), v128.load(at(beta, c))));
    }
  }
}

/** LayerNorm backward: ∂x [n, d], and ∂γ, ∂β [d] summed over the rows (overwritten, not accumulated). */
export function layerNormBackward(dy: usize, xhat: usize, rstd: usize, gamma: usize, dx: usize, dgamma: usize, dbeta: usize, n: i32, d: i32): void {
  memory.fill(dgamma, 0, <usize>d << 2);
  memory.fill(dbeta, 0, <usize>d << 2);
  const inv = f32x4.splat(<f32>1 / <f32>d);
  for (let i = 0; i < n; i++) {
    const gr = at(dy, i * d);
    const hr = at(xhat, i * d);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    for (let c = 0; c < d; c += 4) {
      const g = f32x4.mul(v128.load(at(gr, c)), v128.load(at(gamma, c)));
      s1 = f32x4.add(s1, g);
      s2 = f32x4.add(s2, f32x4.mul(g, v128.load(at(hr, c))));
    }
    const m1 = f32x4.mul(f32x4.splat(hsum(s1)), inv);
    const m2 = f32x4.mul(f32x4.splat(hsum(s2)), inv);
    const r = v128.load32_splat(at(rstd, i));
    const xr = at(dx, i * d);
    for (let c = 0; c < d; c += 4) {
      const dyc = v128.load(at(gr, c));
      const h = v128.load(at(hr, c));
      const g = f32x4.mul(dyc, v128.load(at(gamma, c)));
      v128.store(at(xr, c), f32x4.mul(r, f32x4.sub(f32x4.sub(g, m1), f32x4.mul(h, m2))));
      v128.store(at(dgamma, c), f32x4.add(v128.load(at(dgamma, c)), f32x4.mul(dyc, h)));
      v128.store(at(dbeta, c), f32x4.add(v128.load(at(dbeta, c)), dyc));
    }
  }
}

const GELU_2C: f32 = 1.5957691216057308; // 2·√(2/π)
const GELU_A: f32 = 0.044715;

// σ(z) for 4 lanes, stable on both sides: e = e^(−|z|) ≤ 1, σ = 1/(1 + e) for z ≥ 0 and e/(1 + e) below.
@inline function sigmoid4(z: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(z)));
  const inv = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(inv, f32x4.mul(e, inv), f32x4.ge(z, f32x4.splat(0)));
}

@inline function sigmoid1(z: f32): f32 {
  const e = Mathf.exp(-Mathf.abs(z));
  return z >= 0 ? <f32>1 / (<f32>1 + e) : e / (<f32>1 + e);
}

/** GELU forward over n numbers: y = x·σ(z). */
export function geluForward(x: usize, y: usize, n: i32): void {
  const c = f32x4.splat(GELU_2C);
  const ca = f32x4.splat(GELU_2C * GELU_A);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const z = f32x4.mul(v, f32x4.add(f32x4.mul(f32x4.mul(v, v), ca), c));
    v128.store(at(y, i), f32x4.mul(v, sigmoid4(z)));
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    store<f32>(at(y, i), v * sigmoid1(v * (v * v * GELU_2C * GELU_A + GELU_2C)));
  }
}

/** GELU backward over n numbers: ∂x = ∂y·(σ + x·σ(1 − σ)·z′), σ recomputed from x. */
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32): void {
  const c = f32x4.splat(GELU_2C);
  const ca = f32x4.splat(GELU_2C * GELU_A);
  const ca3 = f32x4.splat(3 * GELU_2C * GELU_A);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const v2 = f32x4.mul(v, v);
    const s = sigmoid4(f32x4.mul(v, f32x4.add(f32x4.mul(v2, ca), c)));
    const dz = f32x4.add(f32x4.mul(v2, ca3), c);
    const slope = f32x4.add(s, f32x4.mul(f32x4.mul(v, f32x4.mul(s, f32x4.sub(one, s))), dz));
    v128.store(at(dx, i), f32x4.mul(v128.load(at(dy, i)), slope));
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    const s = sigmoid1(v * (v * v * GELU_2C * GELU_A + GELU_2C));
    const dz = v * v * 3 * GELU_2C * GELU_A + GELU_2C;
    store<f32>(at(dx, i), load<f32>(at(dy, i)) * (s + v * s * (1 - s) * dz));
  }
}
