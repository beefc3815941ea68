// @ts-nocheck — AssemblyScript, not TypeScript: imported by the kernels (mlp.as.ts, attention.as.ts,
// layers.as.ts) and compiled into each of their .wasm files by lib/kernels/build.ts; not a kernel itself.
//
// The helpers every kernel uses: addressing float arrays laid out by the host, a horizontal sum of f32x4
// lanes, and a vectorised exp for x ≤ 0.

/** Address of float `index` of the array at `base`. */
@inline export function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Σ of the four lanes. */
@inline export function hsum(a: v128): f32 {
  return f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
}

// exp for x ≤ 0 (logits or scores minus their row maximum): Cephes' expf — x = n·ln2 + r with |r| ≤ ln2/2,
// a degree-6 polynomial for e^r, 2^n built in the exponent bits. Inputs below −87 give ≈ 1e-38. Adding
// 1.5·2²³ rounds x·log2(e) to the integer n and leaves n in the low mantissa bits, which replaces a
// rounding and a (slow, saturating) float→int conversion.
@inline export function exp4(x: v128): v128 {
  const magic = f32x4.splat(12582912.0);
  const xc = f32x4.pmax(x, f32x4.splat(-87.0));
  const shifted = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(shifted, magic);
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.add(f32x4.mul(r, f32x4.splat(1.9875691500e-4)), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  // bits(shifted) = 0x4B400000 + n; the float 2^n has bits (n + 127) << 23.
  const pow2n = i32x4.shl(i32x4.add(shifted, i32x4.splat(127 - 0x4b400000)), 23);
  return f32x4.mul(y, pow2n);
}

/** Where the host may start laying out buffers (re-exported by every kernel). */
export function heapBase(): usize {
  return __heap_base;
}
