import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cooccurrenceMatrix,
  ppmi,
  SEEDS_SENTENCES,
  SEEDS_SVD_2D,
  SEEDS_VOCABULARY,
  SEEDS_WINDOW,
  svdProjection,
} from "@llm-course/lib/embeddings";

// The 22×22 matrix behind the slide's "cnn in crop analysis" example: sentence-level co-occurrence counts
// (worked back from the slide's SVD coordinates; see lib/embeddings/seedsCorpus.ts).
// prettier-ignore
const SEEDS_MATRIX = [
  // cnn in crop analysis and svm are widely used l_r performed along with for farm being monitoring do appear the same context
  [0, 2, 1, 1, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], // cnn
  [2, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], // in
  [1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0], // crop
  [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // analysis
  [1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0], // and
  [2, 1, 0, 0, 1, 0, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], // svm
  [1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // are
  [1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // widely
  [1, 0, 0, 0, 1, 2, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0], // used
  [1, 1, 1, 0, 1, 2, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1], // linear_regression
  [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], // performed
  [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], // along
  [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // with
  [0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 2, 1, 1, 0, 0, 0, 0, 0], // for
  [0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 2, 0, 1, 1, 0, 0, 0, 0, 0], // farm
  [0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0], // being
  [0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0], // monitoring
  [1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], // do
  [1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1], // appear
  [1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1], // the
  [1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1], // same
  [1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0], // context
];

test("the seeds' co-occurrence matrix, exactly, with the slide's vocabulary order", () => {
  const { vocabulary, counts } = cooccurrenceMatrix(SEEDS_SENTENCES, { window: SEEDS_WINDOW });
  assert.deepEqual(vocabulary, SEEDS_VOCABULARY);
  assert.equal(vocabulary.length, 22, "dim(vocabulaire) = 22 as on the slide");
  assert.deepEqual(counts, SEEDS_MATRIX);
  // The slide's readable rows agree with ours on the 22 columns (its printout has stray extra entries).
  assert.deepEqual(counts[3], [1, 1, 1, ...new Array(19).fill(0)], "analysis meets only cnn, in, crop");
  // Any window covering the longest sentence (9 words) is the same as whole sentences.
  assert.deepEqual(cooccurrenceMatrix(SEEDS_SENTENCES, { window: 8 }).counts, SEEDS_MATRIX);
  assert.notDeepEqual(cooccurrenceMatrix(SEEDS_SENTENCES, { window: 2 }).counts, SEEDS_MATRIX);
});

test("the seeds' 2-D SVD coordinates are reproduced to 1e-7", () => {
  const { counts } = cooccurrenceMatrix(SEEDS_SENTENCES, { window: SEEDS_WINDOW });
  const points = svdProjection(counts, 2);
  assert.equal(points.length, SEEDS_SVD_2D.length);
  points.forEach((point, i) => {
    for (let k = 0; k < 2; k++) {
      assert.ok(Math.abs(point[k]! - SEEDS_SVD_2D[i]![k]!) < 1e-7, `${SEEDS_VOCABULARY[i]}[${k}]: ${point[k]} vs the slide's ${SEEDS_SVD_2D[i]![k]}`);
    }
  });
  // Words used in exactly the same sentences land on the same point: are/widely, performed/along/with…
  for (const [a, b] of [[6, 7], [10, 11], [10, 12], [17, 21]]) {
    assert.ok(Math.hypot(points[a]![0]! - points[b]![0]!, points[a]![1]! - points[b]![1]!) < 1e-12, `${SEEDS_VOCABULARY[a]} vs ${SEEDS_VOCABULARY[b]}`);
  }
});

test("with the question's 'and' kept, the coordinates no longer match the slide", () => {
  const literal = SEEDS_SENTENCES.map((sentence, i) => (i === 5 ? ["do", "cnn", "svm", "and", "linear_regression", ...sentence.slice(4)] : sentence));
  const points = svdProjection(cooccurrenceMatrix(literal, { window: "sentence" }).counts, 2);
  assert.ok(Math.abs(points[0]![0]! - SEEDS_SVD_2D[0]![0]!) > 0.1);
});

test("symmetric window on a toy sentence, counted by hand", () => {
  const sentence = [["a", "b", "c", "a"]];
  assert.deepEqual(cooccurrenceMatrix(sentence, { window: 1 }).counts, [[0, 1, 1], [1, 0, 1], [1, 1, 0]]);
  // Window 2 adds (a₀, c₂) and (b₁, a₃).
  assert.deepEqual(cooccurrenceMatrix(sentence, { window: 2 }).counts, [[0, 2, 2], [2, 0, 1], [2, 1, 0]]);
  // Window 3 adds (a₀, a₃): a meets itself, in both directions.
  assert.deepEqual(cooccurrenceMatrix(sentence, { window: 3 }).counts, [[2, 2, 2], [2, 0, 1], [2, 1, 0]]);
  // Windows stop at sentence ends.
  assert.deepEqual(cooccurrenceMatrix([["a"], ["b"]], { window: 5 }).counts, [[0, 0], [0, 0]]);
  assert.deepEqual(cooccurrenceMatrix(sentence, { window: 1, vocabulary: ["c", "a"] }).counts, [[0, 1], [1, 0]]);
});

test("co-occurrence errors name the problem", () => {
  assert.throws(() => cooccurrenceMatrix([], { window: 2 }), /the corpus is empty/);
  assert.throws(() => cooccurrenceMatrix([["a"]], { window: 0 }), /window must be an integer ≥ 1 or "sentence", got 0/);
  assert.throws(() => cooccurrenceMatrix(["a b c"] as unknown as string[][], { window: 2 }), /sentence 0 is not an array of tokens/);
});

test("PPMI by hand", () => {
  // N = 4, rows [2, 2], columns [3, 1]: PPMI(0,0) = log₂((2/4) / (2/4 · 3/4)) = log₂(4/3);
  // (1,0) = log₂(2/3) < 0 → 0; (1,1) = log₂((1/4) / (2/4 · 1/4)) = 1; zero counts stay 0.
  const result = ppmi([[2, 0], [1, 1]]);
  assert.ok(Math.abs(result[0]![0]! - Math.log2(4 / 3)) < 1e-15);
  assert.deepEqual([result[0]![1], result[1]![0], result[1]![1]], [0, 0, 1]);
  assert.throws(() => ppmi([[0, 0]]), /all counts are zero/);
  assert.throws(() => ppmi([[1, -1]]), /counts must be finite numbers ≥ 0, got -1 at \[0\]\[1\]/);
});
