import assert from "node:assert/strict";
import { test } from "node:test";
import { pcaProjection, reconstruct, svd, truncatedSvd } from "@llm-course/lib/embeddings";
import { Random } from "../../lib/random";

function assertClose(actual: number[][], expected: number[][], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: rows`);
  actual.forEach((row, i) =>
    row.forEach((x, j) => assert.ok(Math.abs(x - expected[i]![j]!) <= tolerance, `${what}[${i}][${j}] = ${x}, expected ${expected[i]![j]}`)),
  );
}

function gram(columnsOf: number[][]): number[][] {
  const k = columnsOf[0]!.length;
  return Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => columnsOf.reduce((sum, row) => sum + row[a]! * row[b]!, 0)));
}

const identity = (k: number) => Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)));

test("2×2 by hand: [[3, 0], [4, 5]] has σ = √45, √5", () => {
  // AᵀA = [[25, 20], [20, 25]]: eigenvalues 45 and 5 with eigenvectors (1, 1)/√2 and (1, −1)/√2;
  // u = Av/σ: (3, 9)/(√2·√45) = (1, 3)/√10 and (3, −1)/(√2·√5) = (3, −1)/√10.
  const { u, s, v } = svd([[3, 0], [4, 5]]);
  assert.ok(Math.abs(s[0]! - Math.sqrt(45)) < 1e-14 && Math.abs(s[1]! - Math.sqrt(5)) < 1e-14, `s = ${s}`);
  const r10 = Math.sqrt(10);
  assertClose(u, [[1 / r10, 3 / r10], [3 / r10, -1 / r10]], 1e-14, "U");
  assertClose(v, [[Math.SQRT1_2, Math.SQRT1_2], [Math.SQRT1_2, -Math.SQRT1_2]], 1e-14, "V");
});

test("2×3 by hand: [[3, 2, 2], [2, 3, −2]] has σ = 5, 3", () => {
  // AAᵀ = [[17, 8], [8, 17]]: eigenvalues 25 and 9; v₁ = (1, 1, 0)/√2, v₂ = ±(1, −1, 4)/√18.
  const a = [[3, 2, 2], [2, 3, -2]];
  const { u, s, v } = svd(a);
  assert.ok(Math.abs(s[0]! - 5) < 1e-14 && Math.abs(s[1]! - 3) < 1e-14, `s = ${s}`);
  assertClose(u.map((row) => [row[0]!]), [[Math.SQRT1_2], [Math.SQRT1_2]], 1e-14, "u₁");
  assertClose(v.map((row) => [row[0]!]), [[Math.SQRT1_2], [Math.SQRT1_2], [0]], 1e-14, "v₁");
  // The second pair's sign is a convention; its outer product u₂v₂ᵀ is not: (1, −1)ᵀ(1, −1, 4) / 6.
  const outer = u.map((ur) => v.map((vr) => ur[1]! * vr[1]!));
  assertClose(outer, [[1 / 6, -1 / 6, 4 / 6], [-1 / 6, 1 / 6, -4 / 6]], 1e-14, "u₂v₂ᵀ");
  assertClose(reconstruct({ u, s, v }), a, 1e-13, "UΣVᵀ");
});

test("3×3 rank 1: σ = 9, 0, 0 and U stays orthonormal", () => {
  // [[1,2,2],[2,4,4],[2,4,4]] = x xᵀ with x = (1, 2, 2), ‖x‖² = 9: σ₁ = 9, u₁ = v₁ = x/3.
  const { u, s, v } = svd([[1, 2, 2], [2, 4, 4], [2, 4, 4]]);
  assert.ok(Math.abs(s[0]! - 9) < 1e-13 && Math.abs(s[1]!) < 1e-13 && Math.abs(s[2]!) < 1e-13, `s = ${s}`);
  assertClose(u.map((row) => [row[0]!]), [[1 / 3], [2 / 3], [2 / 3]], 1e-14, "u₁");
  assertClose(v.map((row) => [row[0]!]), [[1 / 3], [2 / 3], [2 / 3]], 1e-14, "v₁");
  assertClose(gram(u), identity(3), 1e-12, "UᵀU");
});

test("random matrices: reconstruction to 1e-12, orthonormal factors, Eckart–Young error of the truncation", () => {
  const rng = new Random(3);
  for (const [m, n] of [[7, 5], [5, 7], [12, 12]] as const) {
    const a = Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
    const full = svd(a);
    const r = Math.min(m, n);
    assert.equal(full.s.length, r);
    assertClose(reconstruct(full), a, 1e-12, `${m}×${n} UΣVᵀ`);
    assertClose(gram(full.u), identity(r), 1e-12, "UᵀU");
    assertClose(gram(full.v), identity(r), 1e-12, "VᵀV");
    for (let k = 1; k < r; k++) assert.ok(full.s[k - 1]! >= full.s[k]!, "singular values sorted");
    // ‖A − A₂‖_F² = σ₃² + … + σᵣ² (the best rank-2 approximation).
    const approx = reconstruct(truncatedSvd(a, 2));
    const error = a.reduce((sum, row, i) => sum + row.reduce((acc, x, j) => acc + (x - approx[i]![j]!) ** 2, 0), 0);
    const dropped = full.s.slice(2).reduce((sum, x) => sum + x * x, 0);
    assert.ok(Math.abs(error - dropped) < 1e-10 * dropped, `${error} vs ${dropped}`);
  }
});

test("svd errors name the problem", () => {
  assert.throws(() => svd([]), /non-empty matrix/);
  assert.throws(() => svd([[1, 2], [3]]), /row 1 has 1 entries, row 0 has 2/);
  assert.throws(() => svd([[1, NaN]]), /entry \[0\]\[1\] is not a finite number/);
  assert.throws(() => truncatedSvd([[1, 2], [3, 4]], 3), /k must be an integer in \[1, 2\], got 3/);
});

test("PCA: points on a line have all their spread on the first component", () => {
  // (5 + t, 5 + 2t) for t = −1, 0, 2: centred (mean t = 1/3), they lie on (1, 2)/√5 at t′·√5 with
  // t′ = −4/3, −1/3, 5/3 (sign: the largest coordinate is positive), and nothing on the second axis.
  const points = pcaProjection([[4, 3], [5, 5], [7, 9]]);
  const r5 = Math.sqrt(5);
  assertClose(points, [[(-4 / 3) * r5, 0], [(-1 / 3) * r5, 0], [(5 / 3) * r5, 0]], 1e-12, "PCA");
  assert.throws(() => pcaProjection([[1, 2]]), /need at least 2 vectors/);
  // 200 vectors of 100 numbers (a word2vec picture) project quickly.
  const rng = new Random(4);
  const rows = Array.from({ length: 200 }, () => Array.from({ length: 100 }, () => rng.normal()));
  assert.equal(pcaProjection(rows).length, 200);
});
