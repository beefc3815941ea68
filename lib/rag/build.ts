/**
 * The default database: every speech, cut into fixed chunks of 256 tokens overlapping by 32, embedded by
 * the Universal Sentence Encoder (through the disk cache), in data/rag/lancedb. `npm run rag -- build`
 * rebuilds it from scratch.
 */
import * as path from "node:path";
import { PATHS } from "../env";
import { fixedTokenChunks } from "./chunking";
import { sotuDocuments, type RagDocument } from "./corpus";
import { cachedEmbedder, universalSentenceEncoder } from "./embedders";
import { RagStore } from "./store";

/** Where the default database lives (git-ignored). */
export const DEFAULT_STORE_DIR = path.join(PATHS.data, "rag", "lancedb");

/** The default chunking: 256 tokens with 32 shared between neighbours. */
export const DEFAULT_CHUNKING = { size: 256, overlap: 32 } as const;

/** Builds the default database (or one of `documents`) in `folder`; embeddings come from the cache when known. */
export async function buildDefaultStore(options: { folder?: string; documents?: readonly RagDocument[]; onProgress?: (done: number, total: number) => void } = {}): Promise<RagStore> {
  const documents = options.documents ?? sotuDocuments();
  const chunks = fixedTokenChunks(documents, DEFAULT_CHUNKING);
  const embedder = cachedEmbedder(await universalSentenceEncoder());
  const chunking = `fixed ${DEFAULT_CHUNKING.size} tokens (cl100k_base), overlap ${DEFAULT_CHUNKING.overlap}`;
  return RagStore.build(options.folder ?? DEFAULT_STORE_DIR, chunks, embedder, { chunking, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
}
