import assert from "node:assert/strict";
import { test } from "node:test";
import { fixedTokenChunks, recursiveChunks, semanticChunks, sentenceSpans, type Chunk, type Embedder, type RagDocument } from "@llm-course/lib/rag";
import { tiktokenEncode } from "@llm-course/lib/tokenizers";
import { DOCUMENTS } from "./fixtures";

function assertSourced(chunks: readonly Chunk[], documents: readonly RagDocument[]): void {
  for (const chunk of chunks) {
    const document = documents.find((d) => d.id === chunk.documentId)!;
    assert.equal(chunk.text, document.text.slice(chunk.start, chunk.end), `${chunk.id}: text = slice of its offsets`);
    assert.equal(chunk.year, document.year);
    assert.equal(chunk.president, document.president);
  }
}

test("fixed chunks: 8 tokens, no overlap, tile the tokens of each document", () => {
  const chunks = fixedTokenChunks(DOCUMENTS, { size: 8 });
  assertSourced(chunks, DOCUMENTS);
  for (const document of DOCUMENTS) {
    const own = chunks.filter((c) => c.documentId === document.id);
    const tokens = tiktokenEncode("cl100k_base", document.text).ids.length;
    assert.equal(own.length, Math.ceil(tokens / 8), `${document.id}: ⌈${tokens} / 8⌉ chunks`);
    // Re-joined with the whitespace between them, the chunks give the document back.
    assert.equal(own.map((c) => c.text).join(" "), document.text);
    assert.deepEqual(own.map((c) => c.id), own.map((_, i) => `${document.id}#${i}`));
  }
  // "The navy sails to Tripoli." is 7 tokens in cl100k_base (The, navy, sails, to, Trip, oli, .): the 8th is " Pirates".
  assert.equal(chunks[0]!.text, "The navy sails to Tripoli. Pirates");
});

test("fixed chunks with overlap: consecutive chunks share `overlap` tokens", () => {
  const document = DOCUMENTS[1]!;
  const chunks = fixedTokenChunks([document], { size: 6, overlap: 2 });
  assertSourced(chunks, [document]);
  const pieces = tiktokenEncode("cl100k_base", document.text).pieces;
  // Chunk i starts at token 4i.
  chunks.forEach((chunk, i) => assert.equal(chunk.text, pieces.slice(4 * i, 4 * i + 6).join("").trim(), `chunk ${i}`));
  assert.equal(chunks.at(-1)!.end, document.text.length);
});

test("fixed chunks refuse bad sizes and an empty corpus", () => {
  assert.throws(() => fixedTokenChunks([], { size: 8 }), /corpus is empty/);
  assert.throws(() => fixedTokenChunks(DOCUMENTS, { size: 8, overlap: 8 }), /overlap must be an integer in \[0, size\)/);
  assert.throws(() => fixedTokenChunks(DOCUMENTS, { size: 0 }), /size must be a positive integer/);
  assert.throws(() => fixedTokenChunks([{ ...DOCUMENTS[0]!, text: "  " }], { size: 8 }), /has no text/);
});

test("fixed chunks map tokens to characters across multi-byte text", () => {
  const document = { ...DOCUMENTS[0]!, text: "Déjà vu — l'été à Noël 🎄 est très français. ".repeat(3).trim() };
  const chunks = fixedTokenChunks([document], { size: 5 });
  assertSourced(chunks, [document]);
  // The chunks tile the text (only whitespace between them) and never cut a surrogate pair (🎄).
  assert.equal(chunks[0]!.start, 0);
  assert.equal(chunks.at(-1)!.end, document.text.length);
  chunks.slice(1).forEach((chunk, i) => assert.match(document.text.slice(chunks[i]!.end, chunk.start), /^\s*$/));
  for (const chunk of chunks) assert.ok(!/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(chunk.text), `${chunk.id} cuts a surrogate pair`);
});

test("sentence spans split after . ! ? before a capital", () => {
  const text = "It works. Does it? Yes! 3 cases.";
  assert.deepEqual(sentenceSpans(text).map((s) => text.slice(s.start, s.end)), ["It works.", "Does it?", "Yes!", "3 cases."]);
});

test("recursive chunks: sentences merged up to the limit, words when a sentence is too long", () => {
  const document = DOCUMENTS[2]!;
  // Pieces keep their separator: "We declare war on poverty. " (27) + "Schools and hospitals need money. " (34) = 61.
  const chunks = recursiveChunks([document], { maxCharacters: 61 });
  assertSourced(chunks, [document]);
  assert.deepEqual(chunks.map((c) => c.text), ["We declare war on poverty. Schools and hospitals need money.", "Every child deserves a chance."]);
  const words = recursiveChunks([document], { maxCharacters: 20 });
  assert.ok(words.every((c) => c.text.length <= 20));
  assert.equal(words[0]!.text, "We declare war on");
  assert.throws(() => recursiveChunks(DOCUMENTS, { maxCharacters: 0 }), /maxCharacters must be a positive integer/);
});

test("semantic chunks split where consecutive sentences drift apart", async () => {
  // Sentences about the sea get one direction, the others another: the split falls between the two topics.
  const topic: Embedder = { id: "topic", dimension: 2, embed: async (texts) => texts.map((t) => (/navy|sea|ships|Tripoli/i.test(t) ? Float32Array.of(1, 0) : Float32Array.of(0, 1))) };
  const document: RagDocument = { ...DOCUMENTS[0]!, text: "The navy sails to Tripoli. Our ships cross the sea. Taxes will fall. Farmers grow wheat." };
  const chunks = await semanticChunks([document], { embedder: topic, percentile: 50 });
  assertSourced(chunks, [document]);
  assert.deepEqual(chunks.map((c) => c.text), ["The navy sails to Tripoli. Our ships cross the sea.", "Taxes will fall. Farmers grow wheat."]);
  const capped = await semanticChunks([document], { embedder: topic, percentile: 100, maxCharacters: 30 });
  assert.equal(capped.length, 4, "the cap closes a chunk at every sentence");
});
