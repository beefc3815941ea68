import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "@llm-course/lib/random";
import { findLearningRate, sweepRate, type Examples, type Trainable } from "@llm-course/lib/training";

/** A model whose loss is (log10 lr + 1)²: lowest at lr = 0.1, as the sweep should find. */
class Bowl implements Trainable<Examples> {
  trainStep(_data: Examples, _indices: Int32Array, lr: number): number {
    return (Math.log10(lr) + 1) ** 2;
  }
  evaluate(): number {
    return 0;
  }
}

test("sweep rates: 10^-3 … 10^0 exponentially, makemore's 10 ** linspace(-3, 0, 1000)", () => {
  assert.equal(sweepRate(0, 1000), 0.001);
  assert.ok(Math.abs(sweepRate(999, 1000) - 1) < 1e-12);
  assert.ok(Math.abs(sweepRate(333, 1000) - 10 ** (-3 + (3 * 333) / 999)) < 1e-15);
  assert.ok(Math.abs(sweepRate(2, 5, -4, 0) - 0.01) < 1e-15);
});

test("findLearningRate: rates and losses per step, lowest smoothed loss near lr = 0.1", async () => {
  const sweep = await findLearningRate(new Bowl(), { train: { size: 10 }, batchSize: 2, rng: new Random(0), steps: 301, progress: false, fastMode: false });
  assert.equal(sweep.lrs.length, 301);
  assert.equal(sweep.losses.length, 301);
  assert.equal(sweep.lrs[0], 0.001);
  assert.ok(Math.abs(sweep.lrs[300]! - 1) < 1e-12);
  assert.ok(Math.abs(sweep.exponents[150]! - -1.5) < 1e-12);
  assert.equal(sweep.losses[0], 4);
  assert.ok(sweep.bestLr > 0.08 && sweep.bestLr < 0.125, `bestLr ${sweep.bestLr}`);
  const fast = await findLearningRate(new Bowl(), { train: { size: 10 }, batchSize: 2, rng: new Random(0), progress: false, fastMode: true });
  assert.equal(fast.lrs.length, 200, "fast mode: the same range in 200 steps");
  assert.ok(Math.abs(fast.lrs[199]! - 1) < 1e-12);
  await assert.rejects(findLearningRate(new Bowl(), { train: { size: 10 }, batchSize: 2, rng: new Random(0), minExponent: 0, maxExponent: -1 }), /minExponent < maxExponent/);
});
