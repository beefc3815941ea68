/**
 * The contract between the OpenAI-compatible HTTP layer (./app) and the generation engine (./engine) that
 * runs a transformers.js model folder's ONNX decoder with dynamic batching. The HTTP layer turns requests
 * into token ids and {@link GenerationRequest}s; the engine turns them into tokens, many sequences per
 * forward pass.
 */

/** How the next token is drawn. temperature 0 is greedy (top_p, top_k and seed are then irrelevant). */
export interface SamplingParams {
  /** ≥ 0 (OpenAI allows 0…2). */
  temperature: number;
  /** Nucleus: keep the smallest set of tokens whose probability reaches topP (1 = off). */
  topP: number;
  /** Keep the topK most likely tokens (0 = off). */
  topK: number;
  /** Seed of this sequence's random generator; the same seed and request give the same tokens. */
  seed?: number;
}

/**
 * Restricts which tokens may come next (constrained decoding, e.g. JSON). The engine calls `allowed` before
 * each token, draws among the allowed ones, then calls `advance` with the drawn id.
 */
export interface TokenConstraint {
  /** Writes 1 for every allowed token id and 0 for the others into `mask` (length = vocabulary size). */
  allowed(mask: Uint8Array): void;
  /** Moves past token `id` (one `allowed` said 1 to). */
  advance(id: number): void;
  /** True when the text so far is complete (a stop token is then allowed). */
  done(): boolean;
}

/** One sequence to generate. */
export interface GenerationRequest {
  /** The prompt's token ids (≥ 1, at most the context length minus maxTokens is not required: the engine stops at the context). */
  promptIds: readonly number[];
  /** The most new tokens (≥ 1). */
  maxTokens: number;
  sampling: SamplingParams;
  /** Generation stops when one of these is drawn; it is not part of the output. */
  stopTokenIds: readonly number[];
  /** 0: no log-probabilities; k ≥ 1: the drawn token's log-probability and the k most likely (k ≤ 20). */
  topLogprobs: number;
  constraint?: TokenConstraint;
  /** Aborting frees the sequence's slot at the next step (client gone, stop string found). */
  signal?: AbortSignal;
}

/** A generated token with its log-probability under the model (after temperature, before top-k/top-p). */
export interface GeneratedToken {
  id: number;
  logprob: number;
  /** The topLogprobs most likely tokens at this step, most likely first (empty when not asked). */
  top: { id: number; logprob: number }[];
}

/** Why a sequence ended: a stop token, maxTokens or the context, or an abort. */
export type FinishReason = "stop" | "length" | "abort";

/** What the engine gives back for one request: tokens as they come, then the outcome. */
export interface GenerationHandle {
  tokens: AsyncIterable<GeneratedToken>;
  finished: Promise<{ reason: FinishReason; promptTokens: number; completionTokens: number }>;
}

/** Thrown by {@link GenerationEngine.submit} when the waiting queue is full (the HTTP layer answers 429). */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`the server is busy: too many requests are waiting; retry in ${retryAfterSeconds} s`);
    this.name = "QueueFullError";
  }
}

/** A decoder-only model that generates for many requests at once. */
export interface GenerationEngine {
  readonly vocabSize: number;
  /** The most tokens (prompt + generated) a sequence may hold. */
  readonly contextLength: number;
  /** Queues a request; its tokens start at a later step, batched with the sequences already running. */
  submit(request: GenerationRequest): GenerationHandle;
  /** Sequences running now and waiting, forward passes so far, and the largest batch seen. */
  stats(): { active: number; queued: number; steps: number; largestBatch: number };
  /** Stops everything (running sequences end with "abort") and releases the model. */
  close(): Promise<void>;
}
