// @ts-nocheck — AssemblyScript, not TypeScript: compiled to lib/kernels/mlp.wasm by lib/kernels/build.ts
// (`npm run build:kernels`). The TypeScript checker does not know its types (i32, f32, v128) or builtins.
//
// The makemore MLP's whole training step — embedding lookup, tanh layer, logits, softmax cross-entropy,
// backward pass and SGD update — in one call, so a batch-32 step pays one JS→wasm crossing instead of
// tens of tensor-op dispatches. lib/models/mlp-math.ts is the readable TypeScript version of the same
// maths; test/models/mlp.test.ts checks that both give the same loss and parameters.
//
// The module owns no state: lib/kernels/mlp.ts lays out parameters and workspaces in this module's memory
// and passes a descriptor (the i32 slots below). Every matrix is row-major; rows of hidden size are padded
// to HS (a multiple of 4, padding zero) so the SIMD loops over hidden units need no tail. The matrix
// products come in three forms, chosen so each reads contiguous rows:
//   nn:  C[m, :]  = bias + Σ_k A[m, k] · B[k, :]       (broadcast a scalar of A, 4 columns of B at a time)
//   nt:  C[m, n]  = bias + Σ_k A[m, k] · B[n, k]       (dot products along the padded hidden axis)
//   tn:  W[m, :] -= lr · (Σ_k A[k, m] · B[k, :] + λ W[m, :])   (weight gradient fused with the update)
// The first layer works per context position on the batch's distinct ids rather than on its rows (see
// groupContexts), which removes more than half of its multiply-adds on names.

import { at, exp4, hsum } from "./simd.as";
export { heapBase } from "./simd.as";

// Descriptor slots (i32 each); lib/kernels/mlp.ts writes them in the same order.
const V = 0; // vocabulary
const E = 1; // embedding size
const B = 2; // context size
const H = 3; // hidden units
const HS = 4; // hidden stride (H rounded up to 4)
const D = 5; // input size B·E
const VS = 6; // logit row stride (V rounded up to 4)
const ROWS = 7; // workspace capacity in rows
const P_C = 8;
const P_W1 = 9;
const P_B1 = 10;
const P_W2 = 11;
const P_B2 = 12;
const P_RNG = 13;
const P_CTX = 14;
const P_TGT = 15;
const P_RS = 16; // row of each (example, position) in the grouped buffers, ROWS × B i32
const P_A = 17;
const P_AD = 18;
const P_L = 19;
const P_DP = 20;
const P_U = 21; // distinct ids per context position, B × V i32
const P_M = 22;
const P_G = 23; // scratch: bias and embedding gradients, max(HS, VS, V·E) floats
const P_SLOT = 24; // id → its row in the grouped buffers, V i32
const P_GS = 25; // per distinct id: C[u] · W1_j forward, grouped ∂L/∂pre backward; V × HS
const P_CU = 26; // embeddings of the distinct ids, B × V × E
const P_DCT = 27; // their gradients, V × E
const P_COUNT = 28; // number of distinct ids per context position, B i32

@inline function slot(desc: usize, i: i32): i32 {
  return load<i32>(desc + (<usize>i << 2));
}

@inline function ptr(desc: usize, i: i32): usize {
  return <usize>load<i32>(desc + (<usize>i << 2));
}

// ---------------------------------------------------------------------------------------------------
// Elementwise maths.

// tanh as the rational minimax approximation Eigen uses for float (odd degree-13 over even degree-6),
// clamped where tanh rounds to ±1 in float32; max error a few ulp. pmin/pmax rather than min/max: they
// compile to single minps/maxps, where min/max's NaN and −0 rules cost several instructions per call.
@inline function tanh4(x: v128): v128 {
  const c = f32x4.splat(7.90531110763549805);
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.neg(c)), c);
  const x2 = f32x4.mul(xc, xc);
  let p = f32x4.add(f32x4.mul(x2, f32x4.splat(-2.76076847742355e-16)), f32x4.splat(2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(5.12229709037114e-8));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(1.48572235717979e-5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(6.37261928875436e-4));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(4.89352455891786e-3));
  p = f32x4.mul(p, xc);
  let q = f32x4.add(f32x4.mul(x2, f32x4.splat(1.19825839466702e-6)), f32x4.splat(1.18534705686654e-4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(2.268434632439e-3));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(4.89352518554385e-3));
  return f32x4.div(p, q);
}

// Lanes 0…3 of four accumulators' horizontal sums: [Σa, Σb, Σc, Σd].
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(f32x4.shuffle(a, b, 0, 4, 1, 5), f32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(f32x4.shuffle(c, d, 0, 4, 1, 5), f32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(ab, cd, 0, 1, 4, 5), f32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

// ---------------------------------------------------------------------------------------------------
// nn / tn: C[m, 4j…4j+3] over m < M, j < NV, with A[m, k] at A + (m·sam + k·sak) floats. Tiles of 4 rows
// × 8 columns keep 8 accumulators in registers; 2-row and 1-row tiles take the remaining rows.
// update = false: C = bias + A·B (bias 0 = none); update = true: C -= lr · (A·B + wd · C).

@inline function finish(c: usize, acc: v128, update: bool, lr: v128, wd: v128): void {
  if (update) {
    const w = v128.load(c);
    v128.store(c, f32x4.sub(w, f32x4.mul(lr, f32x4.add(acc, f32x4.mul(wd, w)))));
  } else {
    v128.store(c, acc);
  }
}

function gemmNN(
  A: usize, sam: i32, sak: i32,
  Bm: usize, ldb: i32,
  Cm: usize, ldc: i32,
  M: i32, K: i32, NV: i32,
  bias: usize, update: bool, lrs: f32, wds: f32,
): void {
  const lr = f32x4.splat(lrs);
  const wd = f32x4.splat(wds);
  const zero = f32x4.splat(0);
  const sa = <usize>sak << 2;
  const sb = <usize>ldb << 2;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const a0p = at(A, m * sam);
    const a1p = at(A, (m + 1) * sam);
    const a2p = at(A, (m + 2) * sam);
    const a3p = at(A, (m + 3) * sam);
    const c0 = at(Cm, m * ldc);
    const c1 = at(Cm, (m + 1) * ldc);
    const c2 = at(Cm, (m + 2) * ldc);
    const c3 = at(Cm, (m + 3) * ldc);
    let j = 0;
    for (; j + 2 <= NV; j += 2) {
      const col = <usize>j << 4;
      let i0 = zero, i1 = zero;
      if (bias != 0) {
        i0 = v128.load(bias + col);
        i1 = v128.load(bias + col, 16);
      }
      let x00 = i0, x01 = i1, x10 = i0, x11 = i1, x20 = i0, x21 = i1, x30 = i0, x31 = i1;
      let pa: usize = 0;
      let pb = Bm + col;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const a0 = v128.load32_splat(a0p + pa);
        x00 = f32x4.add(x00, f32x4.mul(a0, b0));
        x01 = f32x4.add(x01, f32x4.mul(a0, b1));
        const a1 = v128.load32_splat(a1p + pa);
        x10 = f32x4.add(x10, f32x4.mul(a1, b0));
        x11 = f32x4.add(x11, f32x4.mul(a1, b1));
        const a2 = v128.load32_splat(a2p + pa);
        x20 = f32x4.add(x20, f32x4.mul(a2, b0));
        x21 = f32x4.add(x21, f32x4.mul(a2, b1));
        const a3 = v128.load32_splat(a3p + pa);
        x30 = f32x4.add(x30, f32x4.mul(a3, b0));
        x31 = f32x4.add(x31, f32x4.mul(a3, b1));
        pa += sa;
        pb += sb;
      }
      finish(c0 + col, x00, update, lr, wd);
      finish(c0 + col + 16, x01, update, lr, wd);
      finish(c1 + col, x10, update, lr, wd);
      finish(c1 + col + 16, x11, update, lr, wd);
      finish(c2 + col, x20, update, lr, wd);
      finish(c2 + col + 16, x21, update, lr, wd);
      finish(c3 + col, x30, update, lr, wd);
      finish(c3 + col + 16, x31, update, lr, wd);
    }
    for (; j < NV; j++) {
      const col = <usize>j << 4;
      const i0 = bias != 0 ? v128.load(bias + col) : zero;
      let x0 = i0, x1 = i0, x2 = i0, x3 = i0;
      let pa: usize = 0;
      let pb = Bm + col;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(a0p + pa), b0));
        x1 = f32x4.add(x1, f32x4.mul(v128.load32_splat(a1p + pa), b0));
        x2 = f32x4.add(x2, f32x4.mul(v128.load32_splat(a2p + pa), b0));
        x3 = f32x4.add(x3, f32x4.mul(v128.load32_splat(a3p + pa), b0));
        pa += sa;
        pb += sb;
      }
      finish(c0 + col, x0, update, lr, wd);
      finish(c1 + col, x1, update, lr, wd);
      finish(c2 + col, x2, update, lr, wd);
      finish(c3 + col, x3, update, lr, wd);
    }
  }
  if (m + 2 <= M) {
    const a0p = at(A, m * sam);
    const a1p = at(A, (m + 1) * sam);
    const c0 = at(Cm, m * ldc);
    const c1 = at(Cm, (m + 1) * ldc);
    let j = 0;
    for (; j + 2 <= NV; j += 2) {
      const col = <usize>j << 4;
      let i0 = zero, i1 = zero;
      if (bias != 0) {
        i0 = v128.load(bias + col);
        i1 = v128.load(bias + col, 16);
      }
      let x00 = i0, x01 = i1, x10 = i0, x11 = i1;
      let pa: usize = 0;
      let pb = Bm + col;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const a0 = v128.load32_splat(a0p + pa);
        x00 = f32x4.add(x00, f32x4.mul(a0, b0));
        x01 = f32x4.add(x01, f32x4.mul(a0, b1));
        const a1 = v128.load32_splat(a1p + pa);
        x10 = f32x4.add(x10, f32x4.mul(a1, b0));
        x11 = f32x4.add(x11, f32x4.mul(a1, b1));
        pa += sa;
        pb += sb;
      }
      finish(c0 + col, x00, update, lr, wd);
      finish(c0 + col + 16, x01, update, lr, wd);
      finish(c1 + col, x10, update, lr, wd);
      finish(c1 + col + 16, x11, update, lr, wd);
    }
    for (; j < NV; j++) {
      const col = <usize>j << 4;
      const i0 = bias != 0 ? v128.load(bias + col) : zero;
      let x0 = i0, x1 = i0;
      let pa: usize = 0;
      let pb = Bm + col;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(a0p + pa), b0));
        x1 = f32x4.add(x1, f32x4.mul(v128.load32_splat(a1p + pa), b0));
        pa += sa;
        pb += sb;
      }
      finish(c0 + col, x0, update, lr, wd);
      finish(c1 + col, x1, update, lr, wd);
    }
    m += 2;
  }
  for (; m < M; m++) {
    const ap = at(A, m * sam);
    const c0 = at(Cm, m * ldc);
    for (let j = 0; j < NV; j++) {
      const col = <usize>j << 4;
      let x0 = bias != 0 ? v128.load(bias + col) : zero;
      let pa: usize = 0;
      let pb = Bm + col;
      for (let k = 0; k < K; k++) {
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(ap + pa), v128.load(pb)));
        pa += sa;
        pb += sb;
      }
      finish(c0 + col, x0, update, lr, wd);
    }
  }
}

// nt: C[m, n] = bias[n] + Σ_k A[m, k] · B[n, k] over m < M, n < N, k < 4·KV. Tiles of 2 rows of A × 4 rows of B.
function gemmNT(
  A: usize, lda: i32,
  Bm: usize, ldb: i32,
  Cm: usize, ldc: i32,
  M: i32, N: i32, KV: i32,
  bias: usize,
): void {
  const zero = f32x4.splat(0);
  let m = 0;
  for (; m + 2 <= M; m += 2) {
    const a0p = at(A, m * lda);
    const a1p = at(A, (m + 1) * lda);
    const c0 = at(Cm, m * ldc);
    const c1 = at(Cm, (m + 1) * ldc);
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const b0p = at(Bm, n * ldb);
      const b1p = at(Bm, (n + 1) * ldb);
      const b2p = at(Bm, (n + 2) * ldb);
      const b3p = at(Bm, (n + 3) * ldb);
      let x00 = zero, x01 = zero, x02 = zero, x03 = zero;
      let x10 = zero, x11 = zero, x12 = zero, x13 = zero;
      for (let k: usize = 0; k < (<usize>KV << 4); k += 16) {
        const a0 = v128.load(a0p + k);
        const a1 = v128.load(a1p + k);
        const b0 = v128.load(b0p + k);
        x00 = f32x4.add(x00, f32x4.mul(a0, b0));
        x10 = f32x4.add(x10, f32x4.mul(a1, b0));
        const b1 = v128.load(b1p + k);
        x01 = f32x4.add(x01, f32x4.mul(a0, b1));
        x11 = f32x4.add(x11, f32x4.mul(a1, b1));
        const b2 = v128.load(b2p + k);
        x02 = f32x4.add(x02, f32x4.mul(a0, b2));
        x12 = f32x4.add(x12, f32x4.mul(a1, b2));
        const b3 = v128.load(b3p + k);
        x03 = f32x4.add(x03, f32x4.mul(a0, b3));
        x13 = f32x4.add(x13, f32x4.mul(a1, b3));
      }
      let s0 = hsum4(x00, x01, x02, x03);
      let s1 = hsum4(x10, x11, x12, x13);
      if (bias != 0) {
        const bv = v128.load(at(bias, n));
        s0 = f32x4.add(s0, bv);
        s1 = f32x4.add(s1, bv);
      }
      v128.store(at(c0, n), s0);
      v128.store(at(c1, n), s1);
    }
    for (; n < N; n++) {
      const bp = at(Bm, n * ldb);
      let x0 = zero, x1 = zero;
      for (let k: usize = 0; k < (<usize>KV << 4); k += 16) {
        const b0 = v128.load(bp + k);
        x0 = f32x4.add(x0, f32x4.mul(v128.load(a0p + k), b0));
        x1 = f32x4.add(x1, f32x4.mul(v128.load(a1p + k), b0));
      }
      const bn: f32 = bias != 0 ? load<f32>(at(bias, n)) : 0;
      store<f32>(at(c0, n), hsum(x0) + bn);
      store<f32>(at(c1, n), hsum(x1) + bn);
    }
  }
  for (; m < M; m++) {
    const ap = at(A, m * lda);
    const c0 = at(Cm, m * ldc);
    for (let n = 0; n < N; n++) {
      const bp = at(Bm, n * ldb);
      let x0 = zero;
      for (let k: usize = 0; k < (<usize>KV << 4); k += 16) x0 = f32x4.add(x0, f32x4.mul(v128.load(ap + k), v128.load(bp + k)));
      const bn: f32 = bias != 0 ? load<f32>(at(bias, n)) : 0;
      store<f32>(at(c0, n), hsum(x0) + bn);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The layers.

// The batch's ids, grouped by context position: for each position j, the distinct ids U_j (in order of
// appearance), their embeddings CU_j = C[U_j], and for each example the row of its id in U_j. A batch of 32
// names holds about 13 distinct ids per position, so the first layer works on those instead of 96 rows.
function groupContexts(desc: usize, n: i32): void {
  const v = slot(desc, V);
  const e = slot(desc, E);
  const b = slot(desc, B);
  const C = ptr(desc, P_C);
  const ctx = ptr(desc, P_CTX);
  const RS = ptr(desc, P_RS);
  const U = ptr(desc, P_U);
  const CU = ptr(desc, P_CU);
  const COUNT = ptr(desc, P_COUNT);
  const SLOTS = ptr(desc, P_SLOT);
  for (let j = 0; j < b; j++) {
    memory.fill(SLOTS, 0xff, <usize>v << 2);
    let m = 0;
    for (let r = 0; r < n; r++) {
      const id = load<i32>(at(ctx, r * b + j));
      let s = load<i32>(at(SLOTS, id));
      if (s < 0) {
        s = m++;
        store<i32>(at(SLOTS, id), s);
        store<i32>(at(U, j * v + s), id);
        memory.copy(at(CU, (j * v + s) * e), at(C, id * e), <usize>e << 2);
      }
      store<i32>(at(RS, r * b + j), s);
    }
    store<i32>(at(COUNT, j), m);
  }
}

// A = tanh(X · W1 + b1) with X = concat(C[x₁], …, C[x_B]), computed as b1 + Σ_j (C[x_j] · W1_j), where
// W1_j is the E × HS block of W1 that reads position j and each C[u] · W1_j is computed once per distinct
// id. Then, in training with dropout, AD = A ⊙ mask with the mask drawn from the xoshiro128** state (row
// by row, unit by unit, like lib/models/mlp-math.ts).
function hiddenLayer(desc: usize, n: i32, dropThreshold: u32, dropScale: f32): void {
  const v = slot(desc, V);
  const e = slot(desc, E);
  const b = slot(desc, B);
  const hs = slot(desc, HS);
  const A = ptr(desc, P_A);
  const W1 = ptr(desc, P_W1);
  const b1 = ptr(desc, P_B1);
  const RS = ptr(desc, P_RS);
  const CU = ptr(desc, P_CU);
  const GS = ptr(desc, P_GS);
  const rowBytes = <usize>hs << 2;
  for (let j = 0; j < b; j++) {
    const m = load<i32>(at(ptr(desc, P_COUNT), j));
    gemmNN(at(CU, j * v * e), e, 1, at(W1, j * e * hs), hs, GS, hs, m, e, hs >> 2, 0, false, 0, 0);
    for (let r = 0; r < n; r++) {
      const dst = at(A, r * hs);
      const src = at(GS, load<i32>(at(RS, r * b + j)) * hs);
      const base = j == 0 ? b1 : dst;
      for (let i: usize = 0; i < rowBytes; i += 16) v128.store(dst + i, f32x4.add(v128.load(base + i), v128.load(src + i)));
    }
  }
  const end = A + (<usize>(n * hs) << 2);
  // Four independent vectors per iteration: one tanh is a long dependent chain (≈ 25 operations), and
  // interleaving four lets the core overlap them.
  let p = A;
  for (; p + 64 <= end; p += 64) {
    const t0 = tanh4(v128.load(p));
    const t1 = tanh4(v128.load(p, 16));
    const t2 = tanh4(v128.load(p, 32));
    const t3 = tanh4(v128.load(p, 48));
    v128.store(p, t0);
    v128.store(p, t1, 16);
    v128.store(p, t2, 32);
    v128.store(p, t3, 48);
  }
  for (; p < end; p += 16) v128.store(p, tanh4(v128.load(p)));
  if (dropThreshold == 0) return;
  const h = slot(desc, H);
  const M = ptr(desc, P_M);
  const AD = ptr(desc, P_AD);
  const rng = ptr(desc, P_RNG);
  let s0 = load<u32>(rng), s1 = load<u32>(rng, 4), s2 = load<u32>(rng, 8), s3 = load<u32>(rng, 12);
  for (let r = 0; r < n; r++) {
    const row = r * hs;
    for (let i = 0; i < h; i++) {
      const word = rotl<u32>(s1 * 5, 7) * 9;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl<u32>(s3, 11);
      const keep: f32 = word >= dropThreshold ? dropScale : 0;
      store<f32>(at(M, row + i), keep);
      store<f32>(at(AD, row + i), keep * load<f32>(at(A, row + i)));
    }
    for (let i = h; i < hs; i++) {
      store<f32>(at(M, row + i), 0);
      store<f32>(at(AD, row + i), 0);
    }
  }
  store<u32>(rng, s0);
  store<u32>(rng, s1, 4);
  store<u32>(rng, s2, 8);
  store<u32>(rng, s3, 12);
}

// Logits L = AD · W2ᵀ + b2, then per row the cross-entropy −log softmax(L)[target]. Returns the sum over
// rows; with gradient, L is overwritten by ∂(mean loss)/∂L = (softmax − onehot) / n (padding lanes 0).
function outputLayer(desc: usize, n: i32, activations: usize, gradient: bool): f64 {
  const v = slot(desc, V);
  const vs = slot(desc, VS);
  const hs = slot(desc, HS);
  const L = ptr(desc, P_L);
  const tgt = ptr(desc, P_TGT);
  gemmNT(activations, hs, ptr(desc, P_W2), hs, L, vs, n, v, hs >> 2, ptr(desc, P_B2));
  const lanes = i32x4(0, 1, 2, 3);
  const negInf = f32x4.splat(-Infinity);
  const zero = f32x4.splat(0);
  const inv = <f32>(1.0 / <f64>n);
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const row = at(L, r * vs);
    let mx = negInf;
    for (let j = 0; j < vs; j += 4) {
      const valid = i32x4.lt_s(i32x4.add(lanes, i32x4.splat(j)), i32x4.splat(v));
      mx = f32x4.pmax(mx, v128.bitselect(v128.load(at(row, j)), negInf, valid));
    }
    const m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    const mv = f32x4.splat(m);
    const target = load<i32>(at(tgt, r));
    const targetLogit = load<f32>(at(row, target));
    let sv = zero;
    for (let j = 0; j < vs; j += 4) {
      const valid = i32x4.lt_s(i32x4.add(lanes, i32x4.splat(j)), i32x4.splat(v));
      const ex = v128.bitselect(exp4(f32x4.sub(v128.load(at(row, j)), mv)), zero, valid);
      sv = f32x4.add(sv, ex);
      if (gradient) v128.store(at(row, j), ex);
    }
    const sum = hsum(sv);
    total += Math.log(<f64>sum) + <f64>(m - targetLogit);
    if (gradient) {
      const scale = f32x4.splat(inv / sum);
      for (let j = 0; j < vs; j += 4) v128.store(at(row, j), f32x4.mul(v128.load(at(row, j)), scale));
      store<f32>(at(row, target), load<f32>(at(row, target)) - inv);
    }
  }
  return total;
}

// Σ over rows of M[r, :] (4 columns at a time), for the bias gradients.
function columnSums(src: usize, ld: i32, n: i32, cols: i32, out: usize): void {
  for (let j = 0; j < cols; j += 4) {
    let s = f32x4.splat(0);
    for (let r = 0; r < n; r++) s = f32x4.add(s, v128.load(at(src, r * ld + j)));
    v128.store(at(out, j), s);
  }
}

// Backward through W1 and the embedding, one context position j at a time, with the grouping of
// groupContexts: the ∂L/∂pre rows of the examples holding the same id u at position j are summed first
// (GS[u]), then
//   ∂L/∂C[u]  += GS[u] · W1_jᵀ          ∂L/∂W1_j = Σ_u C[u]ᵀ · GS[u]
// — the same sums as example by example, in fewer multiply-adds. W1_j is updated right after its use (no
// other position reads it); C is updated at the end, after every position.
function firstLayerBackward(desc: usize, n: i32, lr: f32, weightDecay: f32): void {
  const v = slot(desc, V);
  const e = slot(desc, E);
  const b = slot(desc, B);
  const hs = slot(desc, HS);
  const C = ptr(desc, P_C);
  const W1 = ptr(desc, P_W1);
  const DP = ptr(desc, P_DP);
  const RS = ptr(desc, P_RS);
  const dC = ptr(desc, P_G);
  const U = ptr(desc, P_U);
  const GS = ptr(desc, P_GS);
  const CU = ptr(desc, P_CU);
  const DCT = ptr(desc, P_DCT);
  const rowBytes = <usize>hs << 2;
  memory.fill(dC, 0, <usize>(v * e) << 2);
  for (let j = 0; j < b; j++) {
    const m = load<i32>(at(ptr(desc, P_COUNT), j));
    memory.fill(GS, 0, <usize>(m * hs) << 2);
    for (let r = 0; r < n; r++) {
      const src = at(DP, r * hs);
      const dst = at(GS, load<i32>(at(RS, r * b + j)) * hs);
      for (let i: usize = 0; i < rowBytes; i += 16) v128.store(dst + i, f32x4.add(v128.load(dst + i), v128.load(src + i)));
    }
    const W1j = at(W1, j * e * hs);
    gemmNT(GS, hs, W1j, hs, DCT, e, m, e, hs >> 2, 0);
    for (let s = 0; s < m; s++) {
      const dst = at(dC, load<i32>(at(U, j * v + s)) * e);
      const src = at(DCT, s * e);
      for (let i = 0; i < e; i++) store<f32>(at(dst, i), load<f32>(at(dst, i)) + load<f32>(at(src, i)));
    }
    gemmNN(at(CU, j * v * e), 1, e, GS, hs, W1j, hs, e, m, hs >> 2, 0, true, lr, weightDecay);
  }
  const ce = v * e;
  for (let i = 0; i < ce; i++) {
    const c = load<f32>(at(C, i));
    store<f32>(at(C, i), c - lr * (load<f32>(at(dC, i)) + weightDecay * c));
  }
}

/**
 * One SGD step on the n examples in the descriptor's ctx/tgt buffers; returns their mean cross-entropy
 * before the update. dropThreshold = 0 disables dropout; otherwise a unit is kept when its 32-bit draw is
 * ≥ dropThreshold and scaled by dropScale = 1/(1 − p).
 */
export function trainStep(desc: usize, n: i32, lr: f32, weightDecay: f32, dropThreshold: u32, dropScale: f32): f64 {
  const v = slot(desc, V);
  const vs = slot(desc, VS);
  const hs = slot(desc, HS);
  const A = ptr(desc, P_A);
  const AD = dropThreshold != 0 ? ptr(desc, P_AD) : A;
  const L = ptr(desc, P_L);
  const DP = ptr(desc, P_DP);
  const W2 = ptr(desc, P_W2);

  groupContexts(desc, n);
  hiddenLayer(desc, n, dropThreshold, dropScale);
  const loss = outputLayer(desc, n, AD, true) / <f64>n;

  // ∂L/∂AD = dlogits · W2 (before W2 moves), then through dropout and tanh: ∂L/∂pre = ∂L/∂A ⊙ (1 − A²).
  gemmNN(L, vs, 1, W2, hs, DP, hs, n, v, hs >> 2, 0, false, 0, 0);
  const one = f32x4.splat(1);
  const M = ptr(desc, P_M);
  for (let i = 0; i < n * hs; i += 4) {
    const a = v128.load(at(A, i));
    let g = f32x4.mul(v128.load(at(DP, i)), f32x4.sub(one, f32x4.mul(a, a)));
    if (dropThreshold != 0) g = f32x4.mul(g, v128.load(at(M, i)));
    v128.store(at(DP, i), g);
  }

  // Output layer: W2[v, :] -= lr · (Σ_r dlogits[r, v] · AD[r, :] + λ W2[v, :]); b2 -= lr · Σ_r dlogits[r, :].
  gemmNN(L, 1, vs, AD, hs, W2, hs, v, n, hs >> 2, 0, true, lr, weightDecay);
  const grad = ptr(desc, P_G);
  const lrv = f32x4.splat(lr);
  const b2 = ptr(desc, P_B2);
  columnSums(L, vs, n, vs, grad);
  for (let j = 0; j < vs; j += 4) v128.store(at(b2, j), f32x4.sub(v128.load(at(b2, j)), f32x4.mul(lrv, v128.load(at(grad, j)))));

  const b1 = ptr(desc, P_B1);
  columnSums(DP, hs, n, hs, grad);
  for (let j = 0; j < hs; j += 4) v128.store(at(b1, j), f32x4.sub(v128.load(at(b1, j)), f32x4.mul(lrv, v128.load(at(grad, j)))));
  firstLayerBackward(desc, n, lr, weightDecay);
  return loss;
}

/** Sum of −log p(target) over the n examples in the ctx/tgt buffers, without dropout or update. */
export function nllSum(desc: usize, n: i32): f64 {
  groupContexts(desc, n);
  hiddenLayer(desc, n, 0, 1);
  return outputLayer(desc, n, ptr(desc, P_A), false);
}
