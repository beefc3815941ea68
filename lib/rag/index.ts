/**
 * Retrieval-augmented generation over the State of the Union speeches (TP12): corpus, chunkers, embedders
 * with a disk cache, exact / HNSW / BM25 / hybrid search, reranking, the LanceDB store, the question set,
 * BEIR metrics and grounded answers with citations.
 * `import { sotuDocuments, fixedTokenChunks, RagStore } from "@llm-course/lib/rag";`
 */
export { assertCorpus, documentsBetween, sotuDocuments, type RagDocument } from "./corpus";
export { chunksFromSpans, chunkSearchText, fixedTokenChunks, RECURSIVE_SEPARATORS, recursiveChunks, semanticChunks, sentenceSpans } from "./chunking";
export type { Chunk, FixedChunkOptions, RecursiveChunkOptions, SemanticChunkOptions, Span } from "./chunking";
export { cachedEmbedder, embeddingKey, pipelineEmbedder, RAG_CACHE_DIR, universalSentenceEncoder, type CachedEmbedder, type Embedder } from "./embedders";
export { RAG_CACHE_VARIABLE } from "../env";
export { assertDimension, cosine, ExactIndex, topK, unitVector, type Hit } from "./vectors";
export { HnswIndex, type HnswOptions } from "./hnsw";
export { Bm25Index, searchTerms, STOP_WORDS, type Bm25Options } from "./bm25";
export { reciprocalRankFusion } from "./fusion";
export { ndcgAtK, recallAtK, reciprocalRank, scoreRetrieval, type RetrievalScores } from "./metrics";
// Latencies in TP12 and bench/rag: the course's one percentile (lib/stats).
export { percentile } from "../stats/summary";
export { generateQuestions, goldChunkIds, HANDWRITTEN_QUESTIONS, handwrittenQuestions, type GenerateQuestionsOptions, type RagQuestion } from "./questions";
export { bm25Retriever, denseRetriever, evaluateRetriever, hybridRetriever, rerankedRetriever, termOverlapReranker, type Reranker, type Retriever } from "./retrievers";
export { RagStore, STORE_MANIFEST, VECTOR_INDEX, type StoreHit, type StoreManifest, type YearFilter } from "./store";
export { chunkPassage, citedPassages, closedBookAnswer, groundedAnswer, isUnknownAnswer, scoreAnswers, speakerQuestion, yearQuestions } from "./answer";
export type { AnswerModel, AnswerRecord, AnswerScores, YearQuestion } from "./answer";
export { buildDefaultStore, DEFAULT_CHUNKING, DEFAULT_STORE_DIR } from "./build";
