import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "@llm-course/lib/random";
import { applyTemperature, generateIds, sampleFromLogits, sampleFromProbabilities, softmax } from "@llm-course/lib/sampling";

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-12) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < tol, `index ${i}: ${actual[i]} vs ${e}`));
};

test("softmax: by hand, stable for large logits, temperature", () => {
  // e^0 : e^ln2 : e^ln5 = 1 : 2 : 5 → 1/8, 2/8, 5/8
  close(softmax([0, Math.log(2), Math.log(5)]), [1 / 8, 2 / 8, 5 / 8]);
  close(softmax([1000, 1000 + Math.log(3)]), [1 / 4, 3 / 4], 1e-9);
  // T = 2 takes square roots of the odds: 1 : 4 → 1 : 2.
  close(softmax([0, Math.log(4)], 2), [1 / 3, 2 / 3]);
  close(softmax([0, 3, 1], 0), [0, 1, 0]);
  assert.throws(() => softmax([]), /empty/);
  assert.throws(() => softmax([1, NaN]), /logit 1 is NaN/);
  assert.throws(() => softmax([1, 2], -1), /temperature/);
});

test("temperature on probabilities: p^(1/T) renormalised; counts work too", () => {
  close(applyTemperature([1, 4], 2), [1 / 3, 2 / 3]);
  close(applyTemperature([1, 3], 1), [1 / 4, 3 / 4]);
  close(applyTemperature([0.2, 0.8], 0.5), [0.04 / 0.68, 0.64 / 0.68]);
  close(applyTemperature([0.2, 0.5, 0.3], 0), [0, 1, 0]);
  assert.throws(() => applyTemperature([0, 0]), /every probability is 0/);
  assert.throws(() => applyTemperature([-1, 2]), /probability 0 is -1/);
});

test("sampling: seeded, frequencies follow the distribution, T = 0 is greedy", () => {
  const draw = (seed: number) => {
    const rng = new Random(seed);
    return Array.from({ length: 20 }, () => sampleFromProbabilities([0.1, 0.6, 0.3], rng));
  };
  assert.deepEqual(draw(3), draw(3));
  const rng = new Random(1);
  const counts = [0, 0, 0];
  for (let i = 0; i < 30000; i++) counts[sampleFromLogits([0, Math.log(6), Math.log(3)], rng)]! += 1;
  close(counts.map((c) => c / 30000), [0.1, 0.6, 0.3], 0.015);
  assert.equal(sampleFromProbabilities([0.1, 0.6, 0.3], new Random(1), 0), 1);
  assert.equal(sampleFromLogits([5, -1, 7], new Random(1), 0), 2);
  assert.equal(sampleFromProbabilities([0, 0, 1], new Random(9)), 2);
});

test("generateIds: makemore's loop slides the context and stops at the boundary", () => {
  // A deterministic "model": after context [a, b] it predicts (a + b + 1) mod 4, with 0 as the boundary.
  const seen: number[][] = [];
  const next = (context: number[]) => {
    seen.push(context);
    const p = [0, 0, 0, 0];
    p[(context[0]! + context[1]! + 1) % 4] = 1;
    return p;
  };
  // [0,0] → 1, [0,1] → 2, [1,2] → 0 (stop).
  assert.deepEqual(generateIds(next, { contextSize: 2, rng: new Random(0) }), [1, 2]);
  assert.deepEqual(seen, [[0, 0], [0, 1], [1, 2]]);
  // A model that never ends is cut at maxLength.
  assert.deepEqual(generateIds(() => [0, 1], { contextSize: 1, rng: new Random(0), maxLength: 3 }), [1, 1, 1]);
  assert.throws(() => generateIds(next, { contextSize: 0, rng: new Random(0) }), /contextSize/);
});
