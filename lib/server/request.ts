/**
 * What both generation endpoints share: the model lookup, sampling parameters as the engine takes them,
 * the parameters this server refuses rather than silently ignores, ids, usage and logprob entries.
 */
import { randomBytes } from "node:crypto";
import { ApiError, badParam, unknownModel } from "./errors";
import type { GenerationModel, ServedModel } from "./models";
import type { SamplingBody } from "./schemas";
import type { GeneratedToken, SamplingParams } from "./types";

/** The served model `id` of `kind`, or a 404 (unknown id) / 400 (a model of another kind). */
export function findModel<K extends ServedModel["kind"]>(models: readonly ServedModel[], id: string, kind: K, endpoint: string): Extract<ServedModel, { kind: K }> {
  const model = models.find((m) => m.id === id);
  if (model === undefined) throw unknownModel(id, models.map((m) => m.id));
  if (model.kind !== kind) {
    const fitting = models.filter((m) => m.kind === kind).map((m) => m.id);
    throw badParam("model", `The model '${id}' cannot serve ${endpoint}: it is ${model.kind === "embedding" ? "an embedding model (use /v1/embeddings)" : "a text generation model"}. Models for ${endpoint} here: ${fitting.join(", ") || "none"}.`, "model_not_supported");
  }
  return model as Extract<ServedModel, { kind: K }>;
}

/** The engine's sampling of choice `index` (seed + index, so that n choices differ and each is reproducible). */
export function samplingOf(body: SamplingBody, index: number): SamplingParams {
  const topP = body.top_p ?? 1;
  // top_p 0 keeps only the most likely token: greedy.
  const temperature = topP === 0 ? 0 : body.temperature ?? 1;
  return { temperature, topP: topP === 0 ? 1 : topP, topK: body.top_k ?? 0, ...(body.seed !== undefined && body.seed !== null ? { seed: body.seed + index } : {}) };
}

/** Rejects the OpenAI parameters this server does not implement, when they ask for more than their neutral value. */
export function refuseUnsupported(body: SamplingBody & { best_of?: number | null; suffix?: string | null }): void {
  for (const name of ["frequency_penalty", "presence_penalty"] as const) {
    const value = body[name];
    if (value !== undefined && value !== null && value !== 0) throw badParam(name, `'${name}' is not supported by this server (only 0); leave it out.`, "unsupported_parameter");
  }
  if (body.logit_bias && Object.keys(body.logit_bias).length > 0) throw badParam("logit_bias", "'logit_bias' is not supported by this server; leave it out.", "unsupported_parameter");
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== 1) throw badParam("best_of", "'best_of' is not supported by this server (only 1); ask for n choices instead.", "unsupported_parameter");
  if (body.suffix) throw badParam("suffix", "'suffix' (insertion) is not supported by this server.", "unsupported_parameter");
}

/** The stop strings of a request, as a list. */
export function stopsOf(stop: string | string[] | null | undefined): string[] {
  return stop === undefined || stop === null ? [] : typeof stop === "string" ? [stop] : stop;
}

/** A 400 when a prompt leaves no room to generate in the model's context. */
export function checkContext(model: GenerationModel, promptTokens: number, param: string): void {
  if (promptTokens >= model.engine.contextLength) {
    throw new ApiError(400, `This model's maximum context length is ${model.engine.contextLength} tokens, and the prompt has ${promptTokens}: shorten it to leave room for the answer.`, param, "context_length_exceeded");
  }
}

/** An id such as "chatcmpl-…" or "call_…". */
export function newId(prefix: string): string {
  return prefix + randomBytes(12).toString("hex");
}

/** The usage block every answer carries. */
export function usage(promptTokens: number, completionTokens: number): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** One token's text. */
function tokenText(model: GenerationModel, id: number): string {
  return model.tokenizer.decode([id], { skip_special_tokens: false });
}

/** A token as logprobs show it: its text and its bytes (the token's own bytes, so a piece of a character shows as bytes). */
export function tokenView(model: GenerationModel, id: number, logprob: number): { token: string; logprob: number; bytes: number[] } {
  const bytes = model.tokenBytes()[id];
  const token = tokenText(model, id);
  return { token, logprob, bytes: bytes ? [...bytes] : [...Buffer.from(token, "utf8")] };
}

/** Chat's `logprobs.content` entries. */
export function chatLogprobs(model: GenerationModel, tokens: readonly GeneratedToken[]): { token: string; logprob: number; bytes: number[]; top_logprobs: { token: string; logprob: number; bytes: number[] }[] }[] {
  return tokens.map((t) => ({ ...tokenView(model, t.id, t.logprob), top_logprobs: t.top.map((o) => tokenView(model, o.id, o.logprob)) }));
}

/** Completions' `logprobs` block; `offset` is where the first token's text starts in the choice's text. */
export function completionLogprobs(
  model: GenerationModel,
  tokens: readonly GeneratedToken[],
  offset: number,
): { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[]; text_offset: number[] } {
  const views = tokens.map((t) => tokenText(model, t.id));
  const textOffset: number[] = [];
  let at = offset;
  for (const view of views) {
    textOffset.push(at);
    at += view.length;
  }
  return {
    tokens: views,
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.top.map((o) => [tokenText(model, o.id), o.logprob]))),
    text_offset: textOffset,
  };
}
