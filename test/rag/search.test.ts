import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { bm25Retriever, cachedEmbedder, cosine, denseRetriever, evaluateRetriever, ExactIndex, HnswIndex, hybridRetriever, recursiveChunks, rerankedRetriever, termOverlapReranker, type RagQuestion } from "@llm-course/lib/rag";
import { Random } from "@llm-course/lib/random";
import { DOCUMENTS, letterEmbedder } from "./fixtures";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rag-search-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test("cosine is the seeds' formula; exact search ranks by it", () => {
  assert.equal(cosine([1, 0], [0, 1]), 0);
  assert.ok(Math.abs(cosine([1, 2, 3], [2, 4, 6]) - 1) < 1e-12);
  assert.ok(Math.abs(cosine([1, 1], [1, 0]) - Math.SQRT1_2) < 1e-12);
  const index = new ExactIndex(2);
  index.add(["x", "y", "z"], [[1, 0], [1, 1], [0, 1]]);
  assert.deepEqual(index.search([1, 0.1], 2).map((h) => h.id), ["x", "y"]);
  assert.throws(() => index.search([1, 0, 0], 2), /3 dimensions but the index holds 2-dimensional vectors/);
  assert.throws(() => new ExactIndex(2).search([1, 0], 1), /index is empty/);
});

test("HNSW finds the exact neighbours of random vectors (recall@10 ≥ 0.95 on 2,000 × 32)", () => {
  const rng = new Random(3);
  const vectors = Array.from({ length: 2000 }, () => Float32Array.from({ length: 32 }, () => rng.normal()));
  const ids = vectors.map((_, i) => `v${i}`);
  const exact = new ExactIndex(32);
  exact.add(ids, vectors);
  const hnsw = new HnswIndex(32, { connectivity: 16, expansionSearch: 64 });
  hnsw.add(ids, vectors);
  let found = 0;
  for (let q = 0; q < 50; q++) {
    const query = Float32Array.from({ length: 32 }, () => rng.normal());
    const truth = new Set(exact.search(query, 10).map((h) => h.id));
    found += hnsw.search(query, 10).filter((h) => truth.has(h.id)).length;
  }
  assert.ok(found / 500 >= 0.95, `recall@10 = ${found / 500}`);
  assert.ok(hnsw.byteSize() > 2000 * 32 * 4, "the serialised index holds at least the vectors");
  assert.throws(() => hnsw.search(new Float32Array(16), 5), /16 dimensions but the index holds 32-dimensional vectors/);
});

test("disk cache: a text is embedded once; a truncated cache file is reported", async () => {
  const inner = letterEmbedder();
  const first = cachedEmbedder(inner, scratch);
  const a = await first.embed(["abc", "bad", "abc"]);
  assert.equal(inner.calls, 2, "duplicates within a call are embedded once");
  const again = cachedEmbedder(inner, scratch);
  const b = await again.embed(["bad", "abc", "cab"]);
  assert.equal(inner.calls, 3, "only the new text reaches the model");
  assert.deepEqual(Array.from(b[1]!), Array.from(a[0]!));
  assert.deepEqual(again.stats, { hits: 2, computed: 1 });
  fs.appendFileSync(again.file, Buffer.from([1, 2, 3]));
  assert.throws(() => cachedEmbedder(inner, scratch), /embedding cache .* is corrupt \(.* is not a whole number of 64-byte records\): delete it/);
});

test("retrievers on the fixture: BM25, dense, hybrid and reranked, scored with gold chunks", async () => {
  const chunks = recursiveChunks(DOCUMENTS, { maxCharacters: 40 });
  const embedder = letterEmbedder();
  const vectors = await embedder.embed(chunks.map((c) => c.text));
  const bm25 = bm25Retriever(chunks);
  const dense = denseRetriever(chunks, vectors, embedder);
  const hybrid = hybridRetriever([bm25, dense]);
  const reranked = rerankedRetriever(hybrid, termOverlapReranker(), chunks);
  // Evidence "Emancipation will save the Union." is chunk 1862#1.
  const text = DOCUMENTS[1]!.text;
  const start = text.indexOf("Emancipation");
  const question: RagQuestion = { id: "q", question: "Who said emancipation will save the Union?", answer: "Abraham Lincoln", year: 1862, documentId: "1862", evidence: { start, end: start + 33 }, rule: "handwritten" };
  const scores = await evaluateRetriever(bm25, [question], chunks);
  assert.equal(scores.recallAt1, 1);
  assert.equal(scores.mrrAt10, 1);
  for (const retriever of [hybrid, reranked]) assert.equal((await retriever.search(question.question, 1))[0]!.id, "1862#1", retriever.name);
  assert.equal(reranked.name, "hybrid (BM25 + dense (letters)) + term overlap reranker");
  assert.throws(() => bm25Retriever([]), /no chunk to search \(the corpus is empty\)/);
});
