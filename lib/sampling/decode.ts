/**
 * The autoregressive decoding loop of every GPT-style model: feed the prompt, draw a token from the
 * logits, feed that token, draw again — until `maxNewTokens` tokens, a stop token, or a stop sequence.
 *
 * The model is a function that receives only the ids it has not seen yet (the whole prompt on the first
 * call, then the one token just drawn) and returns the logits of the next token. That is exactly what a
 * model with a KV cache needs; a model without one keeps the sequence and recomputes it all each call.
 *
 * Stop sequences follow the OpenAI API: generation stops as soon as the generated text (the prompt is not
 * searched) contains one of them — for a character model, when it ends with one — and the returned text
 * stops just before it. `finishReason` says why generation ended: "stop" or "length".
 */
import { Random } from "../random";
import { sampleNextToken, type SamplingOptions } from "./filters";
import { offLimitsDuringChecks } from "../grading/off-limits";

/**
 * A language model as the decoding loop sees it: given the ids appended since the last call (the prompt
 * first, then one token per call), the logits of the next token.
 */
export type NextTokenLogits = (newIds: readonly number[]) => ArrayLike<number>;

/** Options of {@link decodeTokens}. */
export interface DecodeOptions extends SamplingOptions {
  /** Most tokens to generate (an integer ≥ 0). */
  maxNewTokens: number;
  /** Draws the tokens; required unless temperature is 0 (greedy). */
  rng?: Random;
  /** Stop when the generated text contains one of these (non-empty) strings; needs `decode`. */
  stop?: string | readonly string[];
  /** Turns generated ids into text, for stop sequences and `text` (e.g. `(ids) => tokenizer.decode(ids)`). */
  decode?: (ids: readonly number[]) => string;
  /** Token ids that end generation when drawn (an end-of-text token); they are not part of the result. */
  stopTokenIds?: readonly number[];
  /** Called after each drawn token (streaming): its id and its index among the new tokens. */
  onToken?: (id: number, index: number) => void;
}

/** What {@link decodeTokens} generated. */
export interface DecodeResult {
  /**
   * The generated ids, prompt excluded. With a stop sequence they run up to the token that completed it
   * (that token included: tokens are not split); with a stop token, that token is left out.
   */
  ids: number[];
  /** decode(ids) cut just before the stop sequence; undefined without `decode`. */
  text?: string;
  /** "stop": a stop sequence or stop token ended generation; "length": maxNewTokens was reached. */
  finishReason: "stop" | "length";
  /** The stop sequence or stop token that ended generation, if one did. */
  stoppedBy?: { sequence: string } | { tokenId: number };
}

/** The stop sequences as a list, checked. */
export function normalizeStop(stop: string | readonly string[] | undefined, where: string): string[] {
  if (stop === undefined) return [];
  const list = typeof stop === "string" ? [stop] : stop;
  if (!Array.isArray(list)) throw new TypeError(`${where}: stop must be a string or an array of strings`);
  list.forEach((s, i) => {
    if (typeof s !== "string" || s.length === 0) throw new TypeError(`${where}: stop[${i}] must be a non-empty string, got ${JSON.stringify(s)}`);
  });
  return [...list];
}

/**
 * Where the earliest stop sequence starts in `text`, and which one (the longest when several start there),
 * or null. `findStopSequence("Call me Ishmael.", ["."])` → { index: 15, sequence: "." }.
 */
export function findStopSequence(text: string, stop: readonly string[]): { index: number; sequence: string } | null {
  let found: { index: number; sequence: string } | null = null;
  for (const sequence of stop) {
    const index = text.indexOf(sequence);
    if (index < 0) continue;
    if (found === null || index < found.index || (index === found.index && sequence.length > found.sequence.length)) found = { index, sequence };
  }
  return found;
}

/**
 * Generates up to `maxNewTokens` tokens after `promptIds` (at least one id: a model needs something to
 * condition on) with the sampling options (temperature, topK, topP), stop sequences and stop tokens.
 * `decodeTokens(prompt, (ids) => model.step(ids), { maxNewTokens: 200, temperature: 0.8, topP: 0.9, rng, stop: "\n\n", decode })`.
 */
export const decodeTokens = offLimitsDuringChecks("decodeTokens", function decodeTokens(promptIds: readonly number[], next: NextTokenLogits, options: DecodeOptions): DecodeResult {
  const where = "decodeTokens";
  if (!Array.isArray(promptIds) || promptIds.length === 0) throw new RangeError(`${where}: promptIds must be a non-empty array of token ids`);
  if (typeof next !== "function") throw new TypeError(`${where}: next must be a function (new ids) → logits`);
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object such as { maxNewTokens: 100 }`);
  const { maxNewTokens, rng, decode, onToken } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new RangeError(`${where}: maxNewTokens must be an integer ≥ 0, got ${maxNewTokens}`);
  const temperature = options.temperature ?? 1;
  if (temperature !== 0 && !(rng instanceof Random)) throw new TypeError(`${where}: rng must be a Random (new Random(seed)) unless temperature is 0`);
  const stop = normalizeStop(options.stop, where);
  if (stop.length > 0 && typeof decode !== "function") throw new TypeError(`${where}: stop sequences need decode (ids → text) to read the generated text`);
  if (decode !== undefined && typeof decode !== "function") throw new TypeError(`${where}: decode must be a function ids → text`);
  const stopTokenIds = new Set(options.stopTokenIds ?? []);
  const sampling: SamplingOptions = { temperature, topK: options.topK, topP: options.topP };
  // A throwaway generator for greedy decoding: sampleNextToken draws nothing at temperature 0.
  const draw = rng ?? new Random(0);

  const ids: number[] = [];
  const finish = (result: Omit<DecodeResult, "ids" | "text">, text?: string): DecodeResult => ({
    ids,
    text: text ?? (decode ? decode(ids) : undefined),
    ...result,
  });
  let pending: readonly number[] = promptIds;
  while (ids.length < maxNewTokens) {
    const id = sampleNextToken(next(pending), draw, sampling);
    if (stopTokenIds.has(id)) return finish({ finishReason: "stop", stoppedBy: { tokenId: id } });
    ids.push(id);
    onToken?.(id, ids.length - 1);
    if (stop.length > 0) {
      const text = decode!(ids);
      const found = findStopSequence(text, stop);
      if (found) return finish({ finishReason: "stop", stoppedBy: { sequence: found.sequence } }, text.slice(0, found.index));
    }
    pending = [id];
  }
  return finish({ finishReason: "length" });
});
