/**
 * A thin wrapper over the `tiktoken` npm package (OpenAI's tokenizer compiled to WebAssembly): ids with the
 * bytes behind each one, as in the seeds' `decode_single_token_bytes`. Each wasm encoder holds memory
 * outside the JavaScript heap, so every helper frees the one it creates.
 */
import { get_encoding, type Tiktoken, type TiktokenEncoding } from "tiktoken";
import { assertIds, assertText } from "./text";

/** Ids of a text with each token's bytes, and those bytes as text (U+FFFD where a token cuts a character). */
export interface TiktokenTokens {
  ids: number[];
  pieces: string[];
  bytes: Uint8Array[];
}

/** Special tokens tiktoken may read in the text: "all", or a list. By default any special token in the text is an error. */
export type TiktokenAllowedSpecial = "all" | readonly string[];

/** Runs `fn` with a fresh tiktoken encoder and frees it afterwards, even if `fn` throws. */
export function withTiktoken<T>(encodingName: TiktokenEncoding, fn: (encoding: Tiktoken) => T): T {
  const encoding = get_encoding(encodingName);
  try {
    return fn(encoding);
  } finally {
    encoding.free();
  }
}

/**
 * Encodes with tiktoken: `tiktokenEncode("cl100k_base", "We live in Paris")` → ids [1687, 3974, 304, 12366]
 * and pieces ["We", " live", " in", " Paris"]. Rejects lone surrogates (tiktoken would silently turn
 * them into U+FFFD).
 */
export function tiktokenEncode(encodingName: TiktokenEncoding, text: string, options: { allowedSpecial?: TiktokenAllowedSpecial } = {}): TiktokenTokens {
  assertText(text, "tiktokenEncode");
  const decoder = new TextDecoder();
  return withTiktoken(encodingName, (encoding) => {
    const allowed = options.allowedSpecial;
    const ids = Array.from(allowed === undefined ? encoding.encode(text) : encoding.encode(text, allowed === "all" ? "all" : [...allowed]));
    const bytes = ids.map((id) => encoding.decode_single_token_bytes(id));
    return { ids, pieces: bytes.map((b) => decoder.decode(b)), bytes };
  });
}

/** Decodes ids with tiktoken. */
export function tiktokenDecode(encodingName: TiktokenEncoding, ids: readonly number[]): string {
  const checked = assertIds(ids, "tiktokenDecode");
  return withTiktoken(encodingName, (encoding) => new TextDecoder().decode(encoding.decode(Uint32Array.from(checked))));
}

/** How many tokens `text` (or each of several texts) takes in an encoding; special-token text counts as plain text. */
export function countTokens(text: string | readonly string[], encodingName: TiktokenEncoding = "cl100k_base"): number {
  const texts = typeof text === "string" ? [text] : text;
  texts.forEach((t) => assertText(t, "countTokens"));
  return withTiktoken(encodingName, (encoding) => texts.reduce((sum, t) => sum + encoding.encode_ordinary(t).length, 0));
}
