/**
 * POST /v1/completions: plain text continuation of one prompt or several (strings or token ids), n choices
 * each, answered as a `text_completion` or streamed.
 */
import type { FastifyReply } from "fastify";
import { badParam } from "./errors";
import { readAll, readChoice, submitChoices, type ChoiceSpec } from "./generation";
import type { ServedModel } from "./models";
import { checkContext, completionLogprobs, findModel, newId, refuseUnsupported, samplingOf, stopsOf, usage } from "./request";
import type { CompletionBody } from "./schemas";
import { openEventStream } from "./sse";

/** OpenAI's default for /v1/completions. */
const DEFAULT_MAX_TOKENS = 16;

/** The prompts of a request (strings, or token id lists: one list, or a list of lists), each with its parameter name. */
function promptsOf(prompt: CompletionBody["prompt"]): { prompt: string | number[]; param: string }[] {
  if (typeof prompt === "string") return [{ prompt, param: "prompt" }];
  if (prompt.every((p) => typeof p === "number")) return [{ prompt: prompt as number[], param: "prompt" }];
  return prompt.map((p, i) => {
    if (typeof p === "number") throw badParam(`prompt[${i}]`, "'prompt' mixes token ids and texts: send a string, a list of strings, a list of token ids, or a list of lists of token ids.");
    return { prompt: p, param: `prompt[${i}]` };
  });
}

/** Answers a completion request (JSON), or streams it (SSE) and returns undefined. */
export async function completion(models: readonly ServedModel[], body: CompletionBody, reply: FastifyReply, signal: AbortSignal): Promise<unknown> {
  const model = findModel(models, body.model, "generation", "/v1/completions");
  refuseUnsupported(body);
  const logprobs = body.logprobs ?? null;
  if (body.echo && logprobs !== null) throw badParam("echo", "'echo' with 'logprobs' is not supported: this server does not score prompt tokens.", "unsupported_parameter");
  const prompts = promptsOf(body.prompt).map(({ prompt, param }) => {
    const ids = typeof prompt === "string" ? model.tokenizer.encode(prompt) : prompt;
    if (ids.length === 0) throw badParam(param, "The prompt is empty: a model needs at least one token to continue.");
    const outOfVocabulary = ids.find((id) => id >= model.engine.vocabSize);
    if (outOfVocabulary !== undefined) throw badParam(param, `Token id ${outOfVocabulary} is not in the vocabulary of '${model.id}' (${model.engine.vocabSize} tokens).`);
    checkContext(model, ids.length, param);
    return { ids, text: typeof prompt === "string" ? prompt : model.tokenizer.decode(ids, { skip_special_tokens: false }) };
  });
  const n = body.n ?? 1;
  const specs: ChoiceSpec[] = prompts.flatMap((prompt) =>
    Array.from({ length: n }, (_, i) => ({
      request: {
        promptIds: prompt.ids,
        maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
        sampling: samplingOf(body, i),
        stopTokenIds: model.stopTokenIds,
        // logprobs: 0 asks for the chosen tokens' log-probabilities only; the engine gives one alternative then.
        topLogprobs: logprobs === null ? 0 : Math.max(1, logprobs),
      },
      stops: stopsOf(body.stop),
      toolMarker: null,
    })),
  );
  const submitted = submitChoices(model.engine, specs, signal);
  const id = newId("cmpl-");
  const created = Math.floor(Date.now() / 1000);
  const echoOf = (index: number): string => (body.echo ? prompts[Math.floor(index / n)]!.text : "");
  const logprobsOf = (tokens: Parameters<typeof completionLogprobs>[1], offset: number) => {
    if (logprobs === null) return null;
    const block = completionLogprobs(model, tokens, offset);
    if (logprobs === 0) block.top_logprobs = block.top_logprobs.map(() => ({}));
    return block;
  };
  const promptTokens = prompts.reduce((sum, p) => sum + p.ids.length, 0);

  if (!body.stream) {
    const results = await readAll(submitted, (choice) => readChoice(choice, model.streamingDecoder()));
    return {
      id,
      object: "text_completion",
      created,
      model: model.id,
      system_fingerprint: null,
      choices: results.map((result, index) => ({
        index,
        text: echoOf(index) + result.content,
        logprobs: logprobsOf(result.tokens, echoOf(index).length),
        finish_reason: result.finishReason,
      })),
      usage: usage(promptTokens, results.reduce((sum, r) => sum + r.completionTokens, 0)),
    };
  }

  const stream = openEventStream(reply);
  const includeUsage = body.stream_options?.include_usage === true;
  const send = (choices: unknown[], extra: Record<string, unknown> = {}): void =>
    stream.send({ id, object: "text_completion", created, model: model.id, system_fingerprint: null, choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  try {
    const results = await readAll(submitted, async (choice, index) => {
      let offset = echoOf(index).length;
      if (body.echo) send([{ index, text: echoOf(index), logprobs: null, finish_reason: null }]);
      const result = await readChoice(choice, model.streamingDecoder(), (piece) => {
        const logprobsBlock = logprobsOf(piece.tokens, offset);
        if (piece.content !== "" || logprobsBlock !== null) send([{ index, text: piece.content, logprobs: logprobsBlock, finish_reason: null }]);
        offset += piece.content.length;
      });
      send([{ index, text: "", logprobs: null, finish_reason: result.finishReason }]);
      return result;
    });
    if (includeUsage) send([], { usage: usage(promptTokens, results.reduce((sum, r) => sum + r.completionTokens, 0)) });
    stream.end();
  } catch (error) {
    stream.fail(error);
  }
  return undefined;
}
