/**
 * The course's special tokens: markers that carry no text of their own and that the model learns to use.
 */

/** Padding: fills short sequences of a batch up to the same length; masked out by the attention mask. */
export const PAD_TOKEN = "<pad>";
/** Beginning of sequence. */
export const BOS_TOKEN = "<s>";
/** End of sequence: a generating model stops when it produces it. */
export const EOS_TOKEN = "</s>";
/** Unknown: stands for any symbol missing from a closed vocabulary (character- and word-level tokenizers). */
export const UNK_TOKEN = "<unk>";

/** `<pad> <s> </s> <unk>`, in this order: the default special tokens of the course's own tokenizers. */
export const COURSE_SPECIAL_TOKENS: readonly string[] = [PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN];

/** Throws unless `tokens` is a list of distinct non-empty strings. */
export function checkSpecialTokens(tokens: readonly string[], caller: string): void {
  if (!Array.isArray(tokens)) throw new TypeError(`${caller}: specialTokens must be an array of strings`);
  const seen = new Set<string>();
  for (const token of tokens) {
    if (typeof token !== "string" || token.length === 0) {
      throw new TypeError(`${caller}: special tokens must be non-empty strings, got ${JSON.stringify(token)}`);
    }
    if (seen.has(token)) throw new Error(`${caller}: special token ${JSON.stringify(token)} is listed twice`);
    seen.add(token);
  }
}
