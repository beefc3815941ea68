import assert from "node:assert/strict";
import { test } from "node:test";
import { pearson, ranks, spearman } from "@llm-course/lib/stats";

test("ranks: 1 for the smallest, ties share the mean of their ranks", () => {
  assert.deepEqual(Array.from(ranks([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
  assert.deepEqual(Array.from(ranks([7, 7, 7])), [2, 2, 2]);
  assert.deepEqual(Array.from(ranks([3, 1, 2])), [3, 1, 2]);
});

test("Spearman on a hand example with a tie equals scipy.stats.spearmanr", () => {
  // ranks(y) = [1, 2, 3.5, 5, 3.5]; centred: x [-2, -1, 0, 1, 2], y [-2, -1, 0.5, 2, 0.5]
  // ρ = Σ dx·dy / √(Σdx² Σdy²) = 8 / √(10 · 9.5) = 0.820782681668…, scipy's value.
  const rho = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]);
  assert.ok(Math.abs(rho - 8 / Math.sqrt(95)) < 1e-15);
  assert.ok(Math.abs(rho - 0.8207826816681233) < 1e-15);
});

test("Spearman sees any increasing relation as 1, Pearson only a linear one", () => {
  const x = [1, 2, 3, 4, 5, 6];
  const y = x.map((v) => Math.exp(v));
  assert.equal(spearman(x, y), 1);
  assert.ok(pearson(x, y) < 0.9);
  assert.equal(spearman(x, y.map((v) => -v)), -1);
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-15);
  assert.ok(Number.isNaN(spearman([1, 2, 3], [4, 4, 4])), "a constant list has no correlation");
});

test("correlation errors name the problem", () => {
  assert.throws(() => spearman([1, 2], [1, 2, 3]), /differ in length \(2 vs 3\)/);
  assert.throws(() => spearman([1], [1]), /at least 2 pairs/);
  assert.throws(() => pearson([1, NaN], [1, 2]), /value 1 is not a finite number/);
});
