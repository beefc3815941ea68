/**
 * In-memory retrievers over one chunking, behind one interface so they can be compared on the same
 * questions: BM25 (keywords), dense (exact cosine over an embedder's vectors), hybrid (both fused by
 * reciprocal rank) and reranked (a reranker reorders a retriever's first candidates). The LanceDB store
 * (./store) offers the same three searches on disk; these are the lesson's reference implementations.
 */
import { Bm25Index, searchTerms } from "./bm25";
import { chunkSearchText, type Chunk } from "./chunking";
import type { Embedder } from "./embedders";
import { reciprocalRankFusion } from "./fusion";
import { scoreRetrieval, type RetrievalScores } from "./metrics";
import { goldChunkIds, type RagQuestion } from "./questions";
import { ExactIndex, topK, type Hit } from "./vectors";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Ranks chunk ids for a question. */
export interface Retriever {
  readonly name: string;
  /** The `k` best chunks (ids and scores), best first. */
  search(question: string, k: number): Promise<Hit[]>;
}

function checkChunks(chunks: readonly Chunk[], where: string): void {
  if (chunks.length === 0) throw new Error(`${where}: no chunk to search (the corpus is empty)`);
}

/** BM25 over the chunks' search texts (header + text). */
export function bm25Retriever(chunks: readonly Chunk[]): Retriever {
  checkChunks(chunks, "bm25Retriever");
  const index = new Bm25Index();
  index.add(chunks.map((c) => c.id), chunks.map(chunkSearchText));
  return { name: "BM25", search: async (question, k) => index.search(question, k) };
}

/** Exact cosine search over the chunks' vectors (`vectors[i]` is chunk i's, from `embedder`). */
export function denseRetriever(chunks: readonly Chunk[], vectors: readonly Float32Array[], embedder: Embedder): Retriever {
  checkChunks(chunks, "denseRetriever");
  const index = new ExactIndex(embedder.dimension);
  index.add(chunks.map((c) => c.id), vectors);
  return { name: `dense (${embedder.id})`, search: async (question, k) => index.search((await embedder.embed([question]))[0]!, k) };
}

/** Reciprocal rank fusion of several retrievers' top `candidates` (default 50). */
export const hybridRetriever = offLimitsDuringChecks("hybridRetriever", function hybridRetriever(retrievers: readonly Retriever[], candidates = 50): Retriever {
  if (retrievers.length < 2) throw new Error("hybridRetriever: fuse at least two retrievers");
  return {
    name: `hybrid (${retrievers.map((r) => r.name).join(" + ")})`,
    async search(question, k) {
      const rankings = await Promise.all(retrievers.map(async (r) => (await r.search(question, candidates)).map((hit) => hit.id)));
      return reciprocalRankFusion(rankings, { limit: k });
    },
  };
});

/** Scores (question, chunk) pairs by reading both together. */
export interface Reranker {
  readonly name: string;
  score(question: string, chunks: readonly Chunk[]): Promise<number[]>;
}

/**
 * A lexical reranker that reads the question and the chunk together, which a bi-encoder never does: the
 * share of the question's terms found in the chunk, plus the share of the question's consecutive term
 * pairs found consecutive in the chunk (phrases count more than scattered words).
 */
export function termOverlapReranker(): Reranker {
  return {
    name: "term overlap",
    async score(question, chunks) {
      const terms = [...new Set(searchTerms(question))];
      const pairs = terms.slice(1).map((term, i) => `${terms[i]} ${term}`);
      return chunks.map((chunk) => {
        const chunkTerms = searchTerms(chunkSearchText(chunk));
        const present = new Set(chunkTerms);
        const chunkPairs = new Set(chunkTerms.slice(1).map((term, i) => `${chunkTerms[i]} ${term}`));
        const coverage = terms.length === 0 ? 0 : terms.filter((t) => present.has(t)).length / terms.length;
        const phrases = pairs.length === 0 ? 0 : pairs.filter((p) => chunkPairs.has(p)).length / pairs.length;
        return coverage + phrases;
      });
    },
  };
}

/** `first`'s top `candidates` (default 20), reordered by `reranker` (ties keep the first ranking's order). */
export function rerankedRetriever(first: Retriever, reranker: Reranker, chunks: readonly Chunk[], candidates = 20): Retriever {
  const byId = new Map(chunks.map((c) => [c.id, c]));
  return {
    name: `${first.name} + ${reranker.name} reranker`,
    async search(question, k) {
      const hits = await first.search(question, candidates);
      const scores = await reranker.score(question, hits.map((h) => byId.get(h.id)!));
      // A tiny bonus by first rank breaks ties in the first retriever's favour.
      return topK(hits.map((h, i) => ({ id: h.id, score: scores[i]! - i * 1e-9 })), k);
    },
  };
}

/** Mean retrieval metrics of `retriever` on `questions`, gold chunks taken from `chunks`. */
export async function evaluateRetriever(retriever: Retriever, questions: readonly RagQuestion[], chunks: readonly Chunk[]): Promise<RetrievalScores> {
  const runs: string[][] = [];
  for (const question of questions) runs.push((await retriever.search(question.question, 10)).map((hit) => hit.id));
  return scoreRetrieval(runs, questions.map((q) => goldChunkIds(q, chunks)));
}
