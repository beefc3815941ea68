import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { recursiveChunks, RagStore, STORE_MANIFEST, VECTOR_INDEX, type Chunk } from "@llm-course/lib/rag";
import { DOCUMENTS, letterEmbedder } from "./fixtures";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rag-store-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const chunks = recursiveChunks(DOCUMENTS, { maxCharacters: 40 });

test("LanceDB store: vector, BM25 and hybrid search, year filter, reopened from disk", async () => {
  const folder = path.join(scratch, "db");
  const embedder = letterEmbedder();
  const built = await RagStore.build(folder, chunks, embedder, { chunking: "recursive 40 characters" });
  built.close();
  const store = await RagStore.open(folder);
  assert.equal(store.manifest.chunks, chunks.length);
  assert.equal(store.manifest.embedder, "letters");
  const keyword = await store.textSearch("emancipation", 3);
  assert.equal(keyword[0]!.id, "1862#1");
  assert.equal(keyword[0]!.text, "Emancipation will save the Union.");
  assert.equal(keyword[0]!.president, "Abraham Lincoln");
  // A chunk's own vector finds it first, with cosine 1.
  const target = chunks.find((c) => c.id === "1964#1")!;
  const [vector] = await embedder.embed([`[State of the Union 1964 (Lyndon B Johnson) (Democratic)] ${target.text}`]);
  const dense = await store.vectorSearch(vector!, 2);
  assert.equal(dense[0]!.id, "1964#1");
  assert.ok(Math.abs(dense[0]!.score - 1) < 1e-5);
  // "war" is in 1862 and 1964; the filter keeps 1964 only.
  const war = await store.textSearch("war", 5);
  assert.deepEqual(new Set(war.map((h) => h.year)), new Set([1862, 1964]));
  const filtered = await store.hybridSearch("war", vector!, 5, { filter: { from: 1900 } });
  assert.ok(filtered.length > 0 && filtered.every((h) => h.year === 1964));
  const hybrid = await store.hybridSearch("war on poverty", vector!, 3);
  assert.equal(hybrid[0]!.id, "1964#0", "first for BM25 (war, poverty) and near the top by vector");
  store.close();
});

test("a large database gets an IVF vector index (√n partitions, a few probed) that still finds a chunk's own vector first", async () => {
  // Distinct letter mixes: the letter embedder's 8 dimensions are counts of a…h.
  const words = ["ab", "cd", "ef", "gh", "ace", "bdf", "ceg", "dfh", "abc", "fgh"];
  const many: Chunk[] = Array.from({ length: VECTOR_INDEX.minRows }, (_, i) => {
    const text = `${words[i % 10]} ${words[Math.floor(i / 10) % 10]} ${words[Math.floor(i / 100) % 10]} ${"a".repeat(1 + (i % 7))}`;
    return { id: `d#${i}`, documentId: "d", index: i, year: 1900 + (i % 100), president: "P", party: "none", start: 0, end: text.length, text };
  });
  const embedder = letterEmbedder();
  const folder = path.join(scratch, "large");
  const built = await RagStore.build(folder, many, embedder, { chunking: "synthetic" });
  built.close();
  const store = await RagStore.open(folder);
  assert.equal(store.manifest.vectorIndex, `IVF_FLAT, ${Math.round(Math.sqrt(many.length))} partitions, ${VECTOR_INDEX.nprobes} probed`);
  const target = many[1234]!;
  const [vector] = await embedder.embed([`[State of the Union ${target.year} (P) (none)] ${target.text}`]);
  const hits = await store.vectorSearch(vector!, 5);
  assert.ok(Math.abs(hits[0]!.score - 1) < 1e-5, `the nearest has cosine 1 (got ${hits[0]!.score})`);
  store.close();
  const small = await RagStore.build(path.join(scratch, "small"), chunks, embedder, { chunking: "recursive 40 characters" });
  assert.equal(small.manifest.vectorIndex, "none (exact search)");
  small.close();
});

test("store errors: empty corpus, another model's query, missing and corrupt databases", async () => {
  await assert.rejects(RagStore.build(path.join(scratch, "empty"), [], letterEmbedder(), { chunking: "none" }), /no chunk to store \(the corpus is empty\)/);
  const folder = path.join(scratch, "db2");
  const store = await RagStore.build(folder, chunks, letterEmbedder(), { chunking: "recursive 40 characters" });
  await assert.rejects(store.vectorSearch(new Float32Array(384), 3), /384 dimensions but the index holds 8-dimensional vectors — was it embedded with another model\?/);
  await assert.rejects(store.embedQuery(letterEmbedder("other", 8), "war"), /was embedded with letters \(8-d\); the query embedder is other \(8-d\)/);
  store.close();
  await assert.rejects(RagStore.open(path.join(scratch, "nowhere")), /no RAG database at .*nowhere: rebuild it with `npm run rag -- build`/);
  fs.mkdirSync(path.join(scratch, "plain"));
  await assert.rejects(RagStore.open(path.join(scratch, "plain")), /is not a RAG database \(no rag.json\)/);
  // A damaged manifest, then a deleted table.
  const manifest = path.join(folder, STORE_MANIFEST);
  const saved = fs.readFileSync(manifest, "utf8");
  fs.writeFileSync(manifest, "{ not json");
  await assert.rejects(RagStore.open(folder), /RAG database at .* is corrupt \(rag.json: .*\): rebuild it/);
  fs.writeFileSync(manifest, saved);
  fs.rmSync(path.join(folder, "chunks.lance"), { recursive: true, force: true });
  await assert.rejects(RagStore.open(folder), /is corrupt \(no "chunks" table \(found: none\)\): rebuild it/);
});
