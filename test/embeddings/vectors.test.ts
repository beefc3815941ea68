import assert from "node:assert/strict";
import { test } from "node:test";
import { analogy, cosineSimilarity, dot, nearestNeighbours, norm, oneHot, oneHotOf, WordVectors } from "@llm-course/lib/embeddings";

const close = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

test("one-hot vectors: a single 1, and two different words are always orthogonal", () => {
  assert.deepEqual(oneHot(2, 5), [0, 0, 1, 0, 0]);
  const vocabulary = ["véhicule", "voiture", "maison"];
  const vehicle = oneHotOf("véhicule", vocabulary);
  const car = oneHotOf("voiture", vocabulary);
  assert.deepEqual(car, [0, 1, 0]);
  assert.equal(cosineSimilarity(vehicle, car), 0);
  assert.equal(cosineSimilarity(car, car), 1);
  assert.throws(() => oneHot(5, 5), /index must be an integer in \[0, 4\], got 5/);
  assert.throws(() => oneHotOf("vélo", vocabulary), /"vélo" is not in the vocabulary \(3 words\)/);
});

test("cosine similarity of hand vectors", () => {
  // [1,2,2]·[2,0,1] = 4, norms 3 and √5 → 4 / (3√5) = 0.596284…
  close(cosineSimilarity([1, 2, 2], [2, 0, 1]), 4 / (3 * Math.sqrt(5)), 1e-15);
  close(cosineSimilarity([1, 0], [1, 1]), Math.SQRT1_2, 1e-15);
  assert.equal(cosineSimilarity([1, 2], [-2, -4]), -1);
  assert.equal(cosineSimilarity(new Float32Array([3, 4]), [6, 8]), 1, "length does not matter, only direction");
  assert.equal(dot([1, 2, 3], [4, 5, 6]), 32);
  assert.equal(norm([3, 4]), 5);
  assert.throws(() => cosineSimilarity([0, 0], [1, 2]), /the first vector is zero/);
  assert.throws(() => cosineSimilarity([1, 2], [1, 2, 3]), /differ in length \(2 vs 3\)/);
});

test("nearest neighbours: top-k by cosine, the query word left out", () => {
  const vectors = WordVectors.fromRows(["a", "b", "c", "d"], [[1, 0], [0.9, 0.1], [0, 1], [-1, 0]]);
  const neighbours = nearestNeighbours(vectors, "a", 2);
  assert.deepEqual(neighbours.map((n) => n.word), ["b", "c"]);
  close(neighbours[0]!.similarity, 0.9 / Math.sqrt(0.82));
  close(neighbours[1]!.similarity, 0);
  // A vector query excludes nothing: [1, −1] is closest to a (cos 0.707), then b (0.8 / (√2·√0.82) = 0.625).
  assert.deepEqual(nearestNeighbours(vectors, [1, -1], 2).map((n) => n.word), ["a", "b"]);
  assert.deepEqual(nearestNeighbours(vectors, "a", 10).map((n) => n.word), ["b", "c", "d"], "k larger than the vocabulary");
  assert.deepEqual(nearestNeighbours(vectors, "a", 1, { exclude: ["b"] }).map((n) => n.word), ["c"]);
  assert.throws(() => nearestNeighbours(vectors, "z"), /nearestNeighbours: "z" is not in the vocabulary \(4 words/);
  assert.throws(() => nearestNeighbours(vectors, [1, 2, 3]), /must have 2 numbers, got 3/);
  assert.throws(() => nearestNeighbours(vectors, "a", 0), /k must be an integer ≥ 1/);
});

test("analogy king − man + woman = queen (3CosAdd on unit vectors, inputs excluded)", () => {
  const vectors = WordVectors.fromRows(
    ["king", "queen", "man", "woman", "apple"],
    [[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [0.1, -0.2, 0.3]],
  );
  const [best] = analogy(vectors, "king", "man", "woman");
  assert.equal(best!.word, "queen");
  // q = king/‖king‖ − man + woman = [1/√2, 1/√2 − 1, 1], ‖q‖² = 3 − √2; queen/‖queen‖ = [1/√2, 0, 1/√2].
  close(best!.similarity, (0.5 + Math.SQRT1_2) / Math.sqrt(3 - Math.SQRT2));
  assert.deepEqual(analogy(vectors, "king", "man", "woman", 5).map((n) => n.word), ["queen", "apple"], "only the two other words remain");
  assert.throws(() => analogy(vectors, "king", "man", "femme"), /analogy: "femme" is not in the vocabulary/);
});

test("WordVectors checks its shape and names missing words", () => {
  assert.throws(() => new WordVectors(["a", "b"], new Float32Array(3), 2), /2 words × 2 dims need 4 numbers, data has 3/);
  assert.throws(() => WordVectors.fromRows(["a", "a"], [[1], [2]]), /"a" appears twice/);
  const vectors = WordVectors.fromRows(["x", "y"], [[1, 2], [3, 4]]);
  assert.deepEqual(Array.from(vectors.vector("y")), [3, 4]);
  assert.throws(() => vectors.vector("w"), /"w" is not in the vocabulary \(2 words, e\.g\. "x"\)/);
  close(vectors.similarity("x", "y"), 11 / (Math.sqrt(5) * 5));
});
