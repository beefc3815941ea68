// @ts-nocheck — AssemblyScript, not TypeScript: compiled to lib/kernels/attention.wasm by lib/kernels/build.ts
// (`npm run build:kernels`). The TypeScript checker does not know its types (i32, f32, v128) or builtins.
//
// Causal scaled dot-product attention, forward and backward, for `bh` independent (batch, head) slices of
// T positions and d dimensions (d a multiple of 4):
//   S = Q·Kᵀ·scale,  S[i, j] = −∞ for j > i,  P = softmax_rows(S),  O = P·V
//   dP = dO·Vᵀ,  dS = P ∘ (dP − rowsum(P ∘ dP)),  dQ = dS·K·scale,  dK = dSᵀ·Q·scale,  dV = Pᵀ·dO
// The same maths as scaledDotProductAttention in lib/models/attention.ts with a causal mask, which
// test/models/attention-kernel.test.ts compares it with; here the hidden upper triangle is never
// computed (half the multiply-adds) and the products run in f32x4 lanes. tfjs's wasm backend multiplies
// batched matrices with a scalar loop, which made attention most of a GPT training step.
//
// The module owns no state: lib/kernels/attention.ts lays the arrays out in this module's memory. Every
// array is row-major: Q, K, V, O, dO, dQ, dK, dV are [bh, T, d]; P is [bh, T, T] with zeros above the
// diagonal. Scratch: a transposed K (or V) [d, TP] and rows of TP floats, TP = T rounded up to 4.

import { at, exp4, hsum } from "./simd.as";
export { heapBase } from "./simd.as";

@inline function hmax(a: v128): f32 {
  return max(max(f32x4.extract_lane(a, 0), f32x4.extract_lane(a, 1)), max(f32x4.extract_lane(a, 2), f32x4.extract_lane(a, 3)));
}

// xt[c, j] = x[j, c] for j < t, zero for t ≤ j < tp: the keys (or values) as columns, so that one row of
// scores is a sum over c of a broadcast scalar times 4 consecutive columns.
function transposeInto(x: usize, xt: usize, t: i32, d: i32, tp: i32): void {
  for (let c = 0; c < d; c++) {
    const dst = at(xt, c * tp);
    for (let j = 0; j < t; j++) store<f32>(at(dst, j), load<f32>(at(x, j * d + c)));
    for (let j = t; j < tp; j++) store<f32>(at(dst, j), 0);
  }
}

// out[j] = scale · Σ_c a[c] · xt[c, j] for j < 4·nv (nv vectors of 4), 4 vectors at a time.
function rowTimesColumns(a: usize, xt: usize, out: usize, d: i32, tp: i32, nv: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  const zero = f32x4.splat(0);
  const stride = <usize>tp << 2;
  let jv = 0;
  for (; jv + 4 <= nv; jv += 4) {
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    let p = xt + (<usize>jv << 4);
    for (let c = 0; c < d; c++) {
      const x = v128.load32_splat(at(a, c));
      a0 = f32x4.add(a0, f32x4.mul(x, v128.load(p)));
      a1 = f32x4.add(a1, f32x4.mul(x, v128.load(p, 16)));
      a2 = f32x4.add(a2, f32x4.mul(x, v128.load(p, 32)));
      a3 = f32x4.add(a3, f32x4.mul(x, v128.load(p, 48)));
      p += stride;
    }
    const o = out + (<usize>jv << 4);
    v128.store(o, f32x4.mul(a0, s));
    v128.store(o, f32x4.mul(a1, s), 16);
    v128.store(o, f32x4.mul(a2, s), 32);
    v128.store(o, f32x4.mul(a3, s), 48);
  }
  for (; jv < nv; jv++) {
    let a0 = zero;
    let p = xt + (<usize>jv << 4);
    for (let c = 0; c < d; c++) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(at(a, c)), v128.load(p)));
      p += stride;
    }
    v128.store(out + (<usize>jv << 4), f32x4.mul(a0, s));
  }
}

// out[0 … d) = scale · Σ_{j<n} w[j] · x[j, 0 … d): a weighted sum of n rows, 4 vectors of d at a time.
function weightedRows(w: usize, x: usize, out: usize, n: i32, d: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  const zero = f32x4.splat(0);
  const stride = <usize>d << 2;
  let c = 0;
  for (; c + 16 <= d; c += 16) {
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    let p = at(x, c);
    for (let j = 0; j < n; j++) {
      const wj = v128.load32_splat(at(w, j));
      a0 = f32x4.add(a0, f32x4.mul(wj, v128.load(p)));
      a1 = f32x4.add(a1, f32x4.mul(wj, v128.load(p, 16)));
      a2 = f32x4.add(a2, f32x4.mul(wj, v128.load(p, 32)));
      a3 = f32x4.add(a3, f32x4.mul(wj, v128.load(p, 48)));
      p += stride;
    }
    const o = at(out, c);
    v128.store(o, f32x4.mul(a0, s));
    v128.store(o, f32x4.mul(a1, s), 16);
    v128.store(o, f32x4.mul(a2, s), 32);
    v128.store(o, f32x4.mul(a3, s), 48);
  }
  for (; c < d; c += 4) {
    let a0 = zero;
    let p = at(x, c);
    for (let j = 0; j < n; j++) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(at(w, j)), v128.load(p)));
      p += stride;
    }
    v128.store(at(out, c), f32x4.mul(a0, s));
  }
}

// out[j, 0 … d) = scale · Σ_{i=j}^{t−1} w[i·ws + j] · x[i, 0 … d) for every j: the transposed product
// of a lower-triangular weight matrix (row stride ws) with x, accumulated in registers per output row.
function lowerTransposeTimes(w: usize, ws: i32, x: usize, out: usize, t: i32, d: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  const zero = f32x4.splat(0);
  const stride = <usize>d << 2;
  const wstride = <usize>ws << 2;
  for (let j = 0; j < t; j++) {
    let c = 0;
    for (; c + 16 <= d; c += 16) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      let p = at(x, j * d + c);
      let q = at(w, j * ws + j);
      for (let i = j; i < t; i++) {
        const wi = v128.load32_splat(q);
        a0 = f32x4.add(a0, f32x4.mul(wi, v128.load(p)));
        a1 = f32x4.add(a1, f32x4.mul(wi, v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(wi, v128.load(p, 32)));
        a3 = f32x4.add(a3, f32x4.mul(wi, v128.load(p, 48)));
        p += stride;
        q += wstride;
      }
      const o = at(out, j * d + c);
      v128.store(o, f32x4.mul(a0, s));
      v128.store(o, f32x4.mul(a1, s), 16);
      v128.store(o, f32x4.mul(a2, s), 32);
      v128.store(o, f32x4.mul(a3, s), 48);
    }
    for (; c < d; c += 4) {
      let a0 = zero;
      let p = at(x, j * d + c);
      let q = at(w, j * ws + j);
      for (let i = j; i < t; i++) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(q), v128.load(p)));
        p += stride;
        q += wstride;
      }
      v128.store(at(out, j * d + c), f32x4.mul(a0, s));
    }
  }
}

/**
 * Forward pass over bh slices: O = softmax(causal(Q·Kᵀ·scale))·V, and P (the attention weights, zeros
 * above the diagonal). Scratch `kt` holds d·tp floats, `row` tp floats.
 */
export function forward(q: usize, k: usize, v: usize, o: usize, p: usize, kt: usize, row: usize, bh: i32, t: i32, d: i32, scale: f32): void {
  const tp = (t + 3) & ~3;
  const iota = i32x4(0, 1, 2, 3);
  const negInf = f32x4.splat(-Infinity);
  for (let b = 0; b < bh; b++) {
    const qb = at(q, b * t * d);
    const kb = at(k, b * t * d);
    const vb = at(v, b * t * d);
    const ob = at(o, b * t * d);
    const pb = at(p, b * t * t);
    transposeInto(kb, kt, t, d, tp);
    for (let i = 0; i < t; i++) {
      const n = i + 1;
      const nv = (n + 3) >> 2;
      rowTimesColumns(at(qb, i * d), kt, row, d, tp, nv, scale);
      // The last vector's lanes past the diagonal are hidden: −∞ before the maximum.
      const last = row + (<usize>(nv - 1) << 4);
      const visible = i32x4.lt_s(i32x4.add(iota, i32x4.splat((nv - 1) << 2)), i32x4.splat(n));
      v128.store(last, v128.bitselect(v128.load(last), negInf, visible));
      let m = negInf;
      for (let jv = 0; jv < nv; jv++) m = f32x4.max(m, v128.load(row + (<usize>jv << 4)));
      const mv = f32x4.splat(hmax(m));
      let sum = f32x4.splat(0);
      for (let jv = 0; jv < nv; jv++) {
        const r = row + (<usize>jv << 4);
        const e = exp4(f32x4.sub(v128.load(r), mv));
        v128.store(r, e);
        sum = f32x4.add(sum, e);
      }
      // exp4 floors its input at −87, so hidden lanes hold ≈ 1e-38 rather than 0: clear them.
      const lastExp = v128.load(last);
      sum = f32x4.sub(sum, v128.bitselect(f32x4.splat(0), lastExp, visible));
      v128.store(last, v128.bitselect(lastExp, f32x4.splat(0), visible));
      const inv = f32x4.splat(1 / hsum(sum));
      for (let jv = 0; jv < nv; jv++) {
        const r = row + (<usize>jv << 4);
        v128.store(r, f32x4.mul(v128.load(r), inv));
      }
      const prow = at(pb, i * t);
      memory.copy(prow, row, <usize>n << 2);
      if (n < t) memory.fill(at(prow, n), 0, <usize>(t - n) << 2);
      weightedRows(row, vb, at(ob, i * d), n, d, 1);
    }
  }
}

/**
 * Backward pass over bh slices: from dO and the forward's P, the gradients dQ, dK, dV. Scratch `vt` holds
 * d·tp floats, `ds` t·tp floats, `row` and `prow` tp floats each.
 */
export function backward(
  q: usize, k: usize, v: usize, p: usize, dout: usize,
  dq: usize, dk: usize, dv: usize,
  vt: usize, ds: usize, row: usize, prow: usize,
  bh: i32, t: i32, d: i32, scale: f32,
): void {
  const tp = (t + 3) & ~3;
  const zero = f32x4.splat(0);
  for (let b = 0; b < bh; b++) {
    const qb = at(q, b * t * d);
    const kb = at(k, b * t * d);
    const vb = at(v, b * t * d);
    const pb = at(p, b * t * t);
    const gb = at(dout, b * t * d);
    transposeInto(vb, vt, t, d, tp);
    for (let i = 0; i < t; i++) {
      const n = i + 1;
      const nv = (n + 3) >> 2;
      // This row of P, padded with zeros to whole vectors.
      memory.copy(prow, at(pb, i * t), <usize>n << 2);
      memory.fill(at(prow, n), 0, <usize>((nv << 2) - n) << 2);
      // dP[i, j] = dO[i]·V[j]; rowsum(P ∘ dP) = dO[i]·O[i].
      rowTimesColumns(at(gb, i * d), vt, row, d, tp, nv, 1);
      let dot = zero;
      for (let jv = 0; jv < nv; jv++) dot = f32x4.add(dot, f32x4.mul(v128.load(prow + (<usize>jv << 4)), v128.load(row + (<usize>jv << 4))));
      const dv4 = f32x4.splat(hsum(dot));
      // dS[i, j] = P[i, j]·(dP[i, j] − rowsum): zero wherever P is (above the diagonal, padding).
      const dsRow = at(ds, i * tp);
      for (let jv = 0; jv < nv; jv++) {
        const off = <usize>jv << 4;
        v128.store(dsRow + off, f32x4.mul(v128.load(prow + off), f32x4.sub(v128.load(row + off), dv4)));
      }
      weightedRows(dsRow, kb, at(dq, (b * t + i) * d), n, d, scale);
    }
    // dK[j] = scale·Σ_{i≥j} dS[i, j]·Q[i];  dV[j] = Σ_{i≥j} P[i, j]·dO[i].
    lowerTransposeTimes(ds, tp, qb, at(dk, b * t * d), t, d, scale);
    lowerTransposeTimes(pb, t, gb, at(dv, b * t * d), t, d, 1);
  }
}
