/**
 * The course's OpenAI-compatible server: fastify routes with JSON-Schema-validated bodies in front of the
 * served models (./models), the batched generation engine (./engine) and the embedding pipelines.
 *
 *   const server = await startServer();                 // the course models, on a free loopback port
 *   const client = new OpenAI({ baseURL: server.baseURL, apiKey: "local" });
 *   …
 *   await server.close();
 *
 * Endpoints: GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions, POST /v1/completions,
 * POST /v1/embeddings. Errors are OpenAI's `{"error": {message, type, param, code}}` (./errors).
 */
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { timingSafeEqual } from "node:crypto";
import { chatCompletion } from "./chat";
import { completion } from "./completions";
import { createEngine as createBatchedEngine } from "./engine";
import { ApiError, toApiError, unknownModel } from "./errors";
import { closeModels, defaultModelSpecs, loadModels, type EmbeddingModel, type EngineFactory, type ModelSpec, type ServedModel } from "./models";
import { findModel } from "./request";
import type { GenerationEngine } from "./types";
import { CHAT_COMPLETION_SCHEMA, COMPLETION_SCHEMA, EMBEDDING_SCHEMA, MODEL_PARAMS_SCHEMA, type ChatCompletionBody, type CompletionBody, type EmbeddingBody } from "./schemas";

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1: this machine only). */
  host?: string;
  /** Model folders to serve (a folder, or {id, folder}); default: the course's chat-mini (when built), gpt-moby and bert-tiny. */
  models?: readonly ModelSpec[];
  /** When set, every request needs `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** Most sequences the engine runs in one forward pass (default 8). */
  maxBatch?: number;
  /** Most requests waiting for a slot before the server answers 429 (default 64). */
  maxQueue?: number;
  /** Weights: "fp32" (default) or "q8" (onnx/model_quantized.onnx). */
  dtype?: "fp32" | "q8";
  /** Largest request body in bytes (default 1 MiB; larger: 413). */
  bodyLimit?: number;
  /** Do not print the startup line. */
  quiet?: boolean;
  /** How decoder folders become generation engines (default: ./engine's createEngine). */
  createEngine?: EngineFactory;
}

/** A running server. */
export interface RunningServer {
  /** The API's base URL, e.g. http://127.0.0.1:8000/v1 (what OpenAI clients call baseURL). */
  url: string;
  /** Same as url. */
  baseURL: string;
  port: number;
  /** The ids of the served models. */
  models: string[];
  /** The engines of the decoder models by id (their stats() show batching). */
  engines: ReadonlyMap<string, GenerationEngine>;
  /** Stops the engines (running requests end), closes the connections and releases the models. */
  close(): Promise<void>;
}

const DEFAULTS = { port: 0, host: "127.0.0.1", maxBatch: 8, maxQueue: 64, dtype: "fp32" as const, bodyLimit: 1024 * 1024 };

function embeddingBase64(vector: Float32Array): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer.toString("base64");
}

async function embeddings(models: readonly ServedModel[], body: EmbeddingBody): Promise<unknown> {
  const model: EmbeddingModel = findModel(models, body.model, "embedding", "/v1/embeddings");
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  inputs.forEach((text, i) => {
    if (text === "") throw new ApiError(400, "'input' cannot contain an empty string.", typeof body.input === "string" ? "input" : `input[${i}]`, "invalid_value");
  });
  const { vectors, tokens } = await model.embed(inputs);
  const width = vectors[0]!.length;
  const dimensions = body.dimensions ?? width;
  if (dimensions > width) throw new ApiError(400, `'dimensions' is ${dimensions}, but the model '${model.id}' gives ${width}-dimensional embeddings.`, "dimensions", "invalid_value");
  return {
    object: "list",
    data: vectors.map((full, index) => {
      let vector = full;
      if (dimensions < width) {
        // Shortened as OpenAI's text-embedding-3 models do: the first dimensions, renormalised.
        vector = full.slice(0, dimensions);
        const norm = Math.hypot(...vector) || 1;
        vector = vector.map((v) => v / norm);
      }
      return { object: "embedding", index, embedding: body.encoding_format === "base64" ? embeddingBase64(vector) : Array.from(vector) };
    }),
    model: model.id,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function modelEntry(model: ServedModel): Record<string, unknown> {
  return { id: model.id, object: "model", created: model.created, owned_by: "llm-course" };
}

function bearerMatches(header: string | undefined, apiKey: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (match === null) return false;
  const given = Buffer.from(match[1]!.trim());
  const wanted = Buffer.from(apiKey);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** An AbortSignal that fires when the client goes away before its answer is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The fastify application over already loaded models (startServer loads them and listens). */
function buildApp(models: readonly ServedModel[], options: { apiKey?: string; bodyLimit?: number } = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    // close() ends every connection, also the idle ones a client opened ahead of time.
    forceCloseConnections: true,
    bodyLimit: options.bodyLimit ?? DEFAULTS.bodyLimit,
    // Types as the client sent them (no "0.5" → 0.5), nothing removed, defaults left to the handlers.
    ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) console.error(`server: ${request.method} ${request.url} failed:`, error);
    void reply.status(apiError.status).headers(apiError.headers).send(apiError.body());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(404, `Unknown request URL: ${request.method} ${request.url}. This server answers GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions, POST /v1/completions and POST /v1/embeddings.`, null, "unknown_url");
    void reply.status(404).send(error.body());
  });
  const apiKey = options.apiKey;
  if (apiKey !== undefined && apiKey !== "") {
    app.addHook("onRequest", async (request) => {
      if (!bearerMatches(request.headers.authorization, apiKey)) {
        throw new ApiError(401, "Incorrect API key provided: send it as the header 'Authorization: Bearer <key>'.", null, "invalid_api_key");
      }
    });
  }

  app.get("/v1/models", async () => ({ object: "list", data: models.map(modelEntry) }));
  app.get<{ Params: { id: string } }>("/v1/models/:id", { schema: { params: MODEL_PARAMS_SCHEMA } }, async (request) => {
    const model = models.find((m) => m.id === request.params.id);
    if (model === undefined) throw unknownModel(request.params.id, models.map((m) => m.id));
    return modelEntry(model);
  });
  app.post<{ Body: ChatCompletionBody }>("/v1/chat/completions", { schema: { body: CHAT_COMPLETION_SCHEMA } }, async (request, reply) => {
    const answer = await chatCompletion(models, request.body, reply, clientGone(reply));
    return answer === undefined ? reply : answer;
  });
  app.post<{ Body: CompletionBody }>("/v1/completions", { schema: { body: COMPLETION_SCHEMA } }, async (request, reply) => {
    const answer = await completion(models, request.body, reply, clientGone(reply));
    return answer === undefined ? reply : answer;
  });
  app.post<{ Body: EmbeddingBody }>("/v1/embeddings", { schema: { body: EMBEDDING_SCHEMA } }, async (request) => embeddings(models, request.body));
  return app;
}

function checkInteger(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`startServer: ${name} must be an integer ≥ ${min}, got ${value}`);
}

/**
 * Loads the models and serves them: `const server = await startServer({ port: 8000 })`. Prints one line
 * saying what is served where (unless quiet). Listens on 127.0.0.1 unless `host` says otherwise.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  if (options === null || typeof options !== "object") throw new TypeError("startServer: options must be an object such as { port: 8000 }");
  const port = options.port ?? DEFAULTS.port;
  const maxBatch = options.maxBatch ?? DEFAULTS.maxBatch;
  const maxQueue = options.maxQueue ?? DEFAULTS.maxQueue;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`startServer: port must be an integer in 0…65535 (0: a free port), got ${port}`);
  checkInteger(maxBatch, "maxBatch", 1);
  checkInteger(maxQueue, "maxQueue", 0);
  if (options.bodyLimit !== undefined) checkInteger(options.bodyLimit, "bodyLimit", 1);
  const specs = options.models ?? defaultModelSpecs();
  if (specs.length === 0) throw new Error("startServer: no model to serve: pass models: [folder, …], or run `npm run models` to build the course's models");
  const createEngine = options.createEngine ?? createBatchedEngine;
  const models = await loadModels(specs, createEngine, { maxBatch, maxQueue, dtype: options.dtype ?? DEFAULTS.dtype });
  const app = buildApp(models, { ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}), ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}) });
  const host = options.host ?? DEFAULTS.host;
  try {
    await app.listen({ port, host });
  } catch (error) {
    await closeModels(models);
    throw new Error(`startServer: cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const address = app.server.address();
  const actualPort = typeof address === "object" && address !== null ? address.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}/v1`;
  const ids = models.map((m) => m.id);
  if (!options.quiet) {
    const describe = (m: ServedModel): string => `${m.id} (${m.kind === "embedding" ? "embeddings" : m.chat ? "chat, completions" : "completions"})`;
    console.log(`OpenAI-compatible server at ${url} serving ${models.map(describe).join(", ")}${options.apiKey ? " — API key required" : ""}`);
  }
  let closing: Promise<void> | null = null;
  return {
    url,
    baseURL: url,
    port: actualPort,
    models: ids,
    engines: new Map(models.flatMap((m) => (m.kind === "generation" ? [[m.id, m.engine] as const] : []))),
    close() {
      // Engines first: running streams end at once, so the HTTP server has no request left to wait for.
      closing ??= closeModels(models).then(() => app.close());
      return closing;
    },
  };
}
