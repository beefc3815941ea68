import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "@llm-course/lib/random";
import {
  decodeTokens,
  findStopSequence,
  greedyToken,
  nextTokenDistribution,
  nucleusCurve,
  rankTokens,
  sampleNextToken,
  topKFilter,
  topPFilter,
  topTokens,
} from "@llm-course/lib/sampling";

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-12) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < tol, `index ${i}: ${actual[i]} vs ${e}`));
};

test("top-p 0.9 on [0.5, 0.3, 0.15, 0.05] keeps 3 tokens, renormalised by 0.95", () => {
  close(topPFilter([0.5, 0.3, 0.15, 0.05], 0.9), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0]);
  const curve = nucleusCurve([0.5, 0.3, 0.15, 0.05], 0.9);
  assert.equal(curve.kept, 3);
  assert.deepEqual(curve.order, [0, 1, 2, 3]);
  close(curve.cumulative, [0.5, 0.8, 0.95, 1]);
  // Exactly reaching p counts: 0.5 + 0.3 = 0.8 keeps 2; a hair more needs the third.
  assert.equal(nucleusCurve([0.5, 0.3, 0.15, 0.05], 0.8).kept, 2);
  assert.equal(nucleusCurve([0.5, 0.3, 0.15, 0.05], 0.81).kept, 3);
  // 0.1 + 0.2 is 0.30000000000000004 in floating point; 0.7 + 0.2 + 0.1 ≥ 1 must still hold.
  assert.equal(nucleusCurve([0.7, 0.2, 0.1], 1).kept, 3);
  assert.equal(nucleusCurve([0.1, 0.2, 0.7], 0.9).kept, 2);
  // Unsorted input, counts instead of probabilities: order by probability, ties by id.
  const unsorted = nucleusCurve([1, 5, 3, 1], 0.5);
  assert.deepEqual(unsorted.order, [1, 2, 0, 3]);
  close(unsorted.probabilities, [0.5, 0.3, 0.1, 0.1]);
  assert.equal(unsorted.kept, 1);
  // The most probable token always survives: a tiny p is greedy.
  close(topPFilter([0.2, 0.5, 0.3], 1e-9), [0, 1, 0]);
  close(topPFilter([0.2, 0.5, 0.3], 1), [0.2, 0.5, 0.3]);
  assert.throws(() => topPFilter([0.5, 0.5], 0), /topP must be a number in \(0, 1\]/);
  assert.throws(() => topPFilter([0.5, 0.5], 1.5), /topP/);
  assert.throws(() => topPFilter([], 0.5), /empty/);
  assert.throws(() => topPFilter([0.5, -0.1], 0.5), /probability 1 is -0.1/);
});

test("top-k keeps the k most probable, ties by smaller id", () => {
  close(topKFilter([0.5, 0.3, 0.15, 0.05], 2), [0.625, 0.375, 0, 0]);
  close(topKFilter([0.05, 0.15, 0.3, 0.5], 1), [0, 0, 0, 1]);
  close(topKFilter([0.25, 0.25, 0.25, 0.25], 2), [0.5, 0.5, 0, 0]);
  close(topKFilter([1, 3], 10), [0.25, 0.75]);
  assert.deepEqual(rankTokens([0.1, 0.4, 0.1, 0.4]), [1, 3, 0, 2]);
  assert.throws(() => topKFilter([0.5, 0.5], 0), /topK must be an integer ≥ 1/);
  assert.throws(() => topKFilter([0.5, 0.5], 1.5), /topK/);
});

test("temperature, then top-k, then top-p", () => {
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
  close(nextTokenDistribution(logits), [0.5, 0.3, 0.15, 0.05]);
  close(nextTokenDistribution(logits, { topP: 0.9 }), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0]);
  // top-k 3 → [0.5, 0.3, 0.15]/0.95 ≈ [0.526, 0.316, 0.158]; top-p 0.8 then keeps 2 (0.526 + 0.316 = 0.842).
  close(nextTokenDistribution(logits, { topK: 3, topP: 0.8 }), [0.5 / 0.8, 0.3 / 0.8, 0, 0]);
  // T = 2 takes square roots of the odds: √0.5 : √0.3 : √0.15 : √0.05.
  const roots = [0.5, 0.3, 0.15, 0.05].map(Math.sqrt);
  const total = roots.reduce((a, b) => a + b, 0);
  close(nextTokenDistribution(logits, { temperature: 2 }), roots.map((r) => r / total));
  close(nextTokenDistribution(logits, { temperature: 0 }), [1, 0, 0, 0]);
  assert.throws(() => nextTokenDistribution(logits, { temperature: -1 }), /temperature/);
});

test("sampleNextToken: greedy draws nothing, draws are seeded and follow the filtered distribution", () => {
  assert.equal(greedyToken([1, 7, 7, 2]), 1);
  const rng = new Random(5);
  const before = new Random(5).next();
  assert.equal(sampleNextToken([0, 3, 1], rng, { temperature: 0 }), 1);
  assert.equal(rng.next(), before, "temperature 0 must not consume random numbers");

  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
  const draw = (seed: number) => {
    const r = new Random(seed);
    return Array.from({ length: 30 }, () => sampleNextToken(logits, r, { topK: 3 }));
  };
  assert.deepEqual(draw(11), draw(11));
  const counts = [0, 0, 0, 0];
  const r = new Random(3);
  for (let i = 0; i < 20000; i++) counts[sampleNextToken(logits, r, { topP: 0.9 })]! += 1;
  assert.equal(counts[3], 0, "top-p 0.9 never draws the 0.05 token");
  close(counts.map((c) => c / 20000), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], 0.015);
  assert.throws(() => sampleNextToken(logits, undefined as unknown as Random), /rng must be a Random/);
});

test("topTokens: the top-5 table", () => {
  const rows = topTokens([0, Math.log(3), Math.log(6)], 2);
  assert.deepEqual(rows.map((r) => r.id), [2, 1]);
  close(rows.map((r) => r.probability), [0.6, 0.3]);
  assert.equal(topTokens([1, 2], 5).length, 2);
});

// A deterministic "model" over the alphabet a..z: after token t it strongly predicts t + 1 (mod 26).
const alphabet = "abcdefghijklmnopqrstuvwxyz";
const decode = (ids: readonly number[]) => ids.map((i) => alphabet[i]).join("");
function successorModel(calls: number[][]) {
  let last = -1;
  return (newIds: readonly number[]) => {
    calls.push([...newIds]);
    last = newIds[newIds.length - 1]!;
    const logits = new Array<number>(26).fill(0);
    logits[(last + 1) % 26] = 10;
    return logits;
  };
}

test("decodeTokens: prompt once, then one token per call; max new tokens", () => {
  const calls: number[][] = [];
  const result = decodeTokens([0, 1], successorModel(calls), { maxNewTokens: 4, temperature: 0, decode });
  assert.deepEqual(result.ids, [2, 3, 4, 5]);
  assert.equal(result.text, "cdef");
  assert.equal(result.finishReason, "length");
  assert.deepEqual(calls, [[0, 1], [2], [3], [4]]);
  assert.deepEqual(decodeTokens([0], successorModel([]), { maxNewTokens: 0, temperature: 0 }).ids, []);
});

test("decodeTokens: stop sequences end generation, the text stops before them", () => {
  const result = decodeTokens([0], successorModel([]), { maxNewTokens: 20, temperature: 0, decode, stop: ["ef", "zz"] });
  assert.equal(result.text, "bcd");
  assert.deepEqual(result.ids, [1, 2, 3, 4, 5], "ids run up to the token that completed the stop sequence");
  assert.equal(result.finishReason, "stop");
  assert.deepEqual(result.stoppedBy, { sequence: "ef" });
  // The prompt is not searched: "a" in the prompt does not stop anything.
  const fromA = decodeTokens([0], successorModel([]), { maxNewTokens: 3, temperature: 0, decode, stop: "a" });
  assert.equal(fromA.text, "bcd");
  assert.equal(fromA.finishReason, "length");
  // A multi-character token that contains the stop sequence in the middle: cut inside the token's text.
  const words = ["Call", " me", " Ishmael. Some", " years"];
  const wordModel = (newIds: readonly number[]) => {
    const logits = [0, 0, 0, 0];
    logits[Math.min(3, newIds[newIds.length - 1]! + 1)] = 10;
    return logits;
  };
  const sentence = decodeTokens([0], wordModel, { maxNewTokens: 5, temperature: 0, decode: (ids) => ids.map((i) => words[i]).join(""), stop: "." });
  assert.equal(sentence.text, " me Ishmael");
  assert.deepEqual(findStopSequence("ab.cd\n", [".", "\n", "b."]), { index: 1, sequence: "b." });
  assert.equal(findStopSequence("abc", ["x"]), null);
});

test("decodeTokens: stop tokens, sampling options, errors", () => {
  const result = decodeTokens([0], successorModel([]), { maxNewTokens: 10, temperature: 0, stopTokenIds: [3], decode });
  assert.deepEqual(result.ids, [1, 2]);
  assert.equal(result.text, "bc");
  assert.deepEqual(result.stoppedBy, { tokenId: 3 });
  // Seeded sampling is reproducible; topK 1 is greedy whatever the seed.
  const sampled = (seed: number) => decodeTokens([0], () => [0, 0.5, 1], { maxNewTokens: 8, rng: new Random(seed) }).ids;
  assert.deepEqual(sampled(4), sampled(4));
  assert.deepEqual(decodeTokens([0], () => [0, 0.5, 1], { maxNewTokens: 3, rng: new Random(1), topK: 1 }).ids, [2, 2, 2]);
  const tokens: number[] = [];
  decodeTokens([0], successorModel([]), { maxNewTokens: 3, temperature: 0, onToken: (id) => tokens.push(id) });
  assert.deepEqual(tokens, [1, 2, 3]);
  assert.throws(() => decodeTokens([], successorModel([]), { maxNewTokens: 3, temperature: 0 }), /promptIds must be a non-empty/);
  assert.throws(() => decodeTokens([0], successorModel([]), { maxNewTokens: 3 }), /rng must be a Random/);
  assert.throws(() => decodeTokens([0], successorModel([]), { maxNewTokens: -1, temperature: 0 }), /maxNewTokens/);
  assert.throws(() => decodeTokens([0], successorModel([]), { maxNewTokens: 3, temperature: 0, stop: "." }), /need decode/);
  assert.throws(() => decodeTokens([0], successorModel([]), { maxNewTokens: 3, temperature: 0, decode, stop: [""] }), /non-empty string/);
});
