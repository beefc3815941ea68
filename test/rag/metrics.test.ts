import assert from "node:assert/strict";
import { test } from "node:test";
import { Bm25Index, ndcgAtK, percentile, recallAtK, reciprocalRank, reciprocalRankFusion, scoreRetrieval } from "@llm-course/lib/rag";

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

// Ranking a b c d e, relevant {b, d, x}: x is never retrieved.
const ranked = ["a", "b", "c", "d", "e"];
const relevant = new Set(["b", "d", "x"]);

test("recall@k = relevant found in the top k / all relevant (BEIR)", () => {
  close(recallAtK(ranked, relevant, 1), 0, "recall@1");
  close(recallAtK(ranked, relevant, 2), 1 / 3, "recall@2");
  close(recallAtK(ranked, relevant, 5), 2 / 3, "recall@5");
  close(recallAtK(ranked, relevant, 10), 2 / 3, "recall@10 (ranking shorter than k)");
});

test("reciprocal rank = 1 / rank of the first relevant id within k", () => {
  close(reciprocalRank(ranked, relevant, 10), 1 / 2, "RR@10");
  close(reciprocalRank(ranked, relevant, 1), 0, "RR@1");
  close(reciprocalRank(["b"], relevant, 10), 1, "first is relevant");
});

test("nDCG@5 = (1/log2 3 + 1/log2 5) / (1 + 1/log2 3 + 1/log2 4) = 0.498189…", () => {
  close(ndcgAtK(ranked, relevant, 5), 1.0616063116448506 / (1 + 1 / Math.log2(3) + 0.5), "nDCG@5");
  close(ndcgAtK(ranked, relevant, 5), 0.49818925746641285, "nDCG@5 (value)");
  close(ndcgAtK(["b", "d", "x"], relevant, 10), 1, "perfect ranking");
  close(ndcgAtK(["a", "c"], relevant, 10), 0, "nothing relevant");
  // One relevant id at rank 2: IDCG counts only min(k, |relevant|) = 1 ideal position.
  close(ndcgAtK(["a", "b"], new Set(["b"]), 10), 1 / Math.log2(3), "one relevant at rank 2");
});

test("scoreRetrieval averages over questions", () => {
  const scores = scoreRetrieval([ranked, ["d", "b"]], [relevant, new Set(["d"])]);
  assert.equal(scores.questions, 2);
  close(scores.recallAt1, (0 + 1) / 2, "recall@1");
  close(scores.recallAt5, (2 / 3 + 1) / 2, "recall@5");
  close(scores.mrrAt10, (1 / 2 + 1) / 2, "MRR@10");
  close(scores.ndcgAt10, (0.49818925746641285 + 1) / 2, "nDCG@10");
});

test("metrics refuse bad input with clear errors", () => {
  assert.throws(() => recallAtK(ranked, new Set(), 5), /gold set is empty/);
  assert.throws(() => recallAtK(ranked, relevant, 0), /k must be a positive integer/);
  assert.throws(() => ndcgAtK(["a", "a"], relevant, 5), /repeats an id/);
  assert.throws(() => scoreRetrieval([ranked], []), /1 rankings for 0 gold sets/);
});

test("reciprocal rank fusion: 1/(60 + rank) summed over rankings", () => {
  const fused = reciprocalRankFusion([["a", "b", "c"], ["b", "c", "d"]]);
  assert.deepEqual(fused.map((h) => h.id), ["b", "c", "a", "d"]);
  close(fused[0]!.score, 1 / 62 + 1 / 61, "b");
  close(fused[1]!.score, 1 / 63 + 1 / 62, "c");
  close(fused[2]!.score, 1 / 61, "a");
  close(fused[3]!.score, 1 / 63, "d");
  assert.deepEqual(reciprocalRankFusion([["a", "b"], ["b", "a"]], { k: 0, limit: 1 }).map((h) => h.score), [1.5]);
  assert.throws(() => reciprocalRankFusion([["a", "a"]]), /appears twice/);
});

test("BM25 with Lucene's idf on a three-document corpus, computed by hand", () => {
  const index = new Bm25Index();
  index.add(["d1", "d2", "d3"], ["cat cat dog", "dog bird", "fish"]);
  // N = 3, avgdl = 2; idf(cat) = ln(1 + 2.5/1.5), idf(dog) = ln(1 + 1.5/2.5).
  close(index.idf("cat"), Math.log(1 + 2.5 / 1.5), "idf(cat)");
  const cat = index.search("cat", 10);
  assert.deepEqual(cat.map((h) => h.id), ["d1"]);
  close(cat[0]!.score, 1.1823695104798893, "cat in d1: idf·2·2.2 / (2 + 1.2·(0.25 + 0.75·3/2))");
  const dog = index.search("Dog!", 10);
  assert.deepEqual(dog.map((h) => h.id), ["d2", "d1"]);
  close(dog[0]!.score, 0.47000362924573563, "dog in d2 (length = average: the score is idf)");
  close(dog[1]!.score, 0.39019169220400696, "dog in d1");
  assert.deepEqual(index.search("the and of", 10), [], "stop words only");
  assert.throws(() => new Bm25Index().search("cat", 3), /index is empty/);
});

test("nearest-rank percentiles", () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(values, 50), 5, "⌈0.5 · 10⌉ = 5th smallest");
  assert.equal(percentile(values, 95), 10, "⌈9.5⌉ = 10th");
  assert.equal(percentile(values, 90), 9);
  assert.equal(percentile([3], 1), 3);
  assert.throws(() => percentile([], 50), /no values/);
  assert.throws(() => percentile(values, 0), /p must be in \(0, 100\]/);
});
