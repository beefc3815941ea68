/**
 * The course's OpenAI-compatible server (`npm run serve`, or from a notebook):
 * `import { startServer } from "@llm-course/lib/server";  const server = await startServer();`
 */
export { startServer } from "./app";
export type { RunningServer, ServerOptions } from "./app";
export { ApiError } from "./errors";
export type { ApiErrorBody } from "./errors";
export { createEngine } from "./engine";
export type { EngineOptions } from "./engine";
export { defaultModelSpecs } from "./models";
export type { EngineFactory, ModelSpec } from "./models";
export { QueueFullError } from "./types";
export type { FinishReason, GeneratedToken, GenerationEngine, GenerationHandle, GenerationRequest, SamplingParams, TokenConstraint } from "./types";
