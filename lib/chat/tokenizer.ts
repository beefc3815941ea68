/**
 * The course chat model's tokenizer: byte-level BPE trained by lib/tokenizers, with the chat special tokens
 * (lib/chat/template) at ids 0…7 — where the template's documentation and the model's generation config
 * expect them — and the 256 bytes and the learned merges after them.
 */
import { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { CL100K_SPLIT_PATTERN } from "../tokenizers/patterns";
import { trainByteBpeModel } from "../tokenizers/train";
import { CHAT_SPECIAL_TOKEN_LIST, CHAT_SPECIAL_TOKENS } from "./template";

/** The special tokens' ids: `CHAT_TOKEN_IDS.end` is the assistant's stop token. */
export const CHAT_TOKEN_IDS = Object.freeze(Object.fromEntries(Object.entries(CHAT_SPECIAL_TOKENS).map(([role, token]) => [role, CHAT_SPECIAL_TOKEN_LIST.indexOf(token)]))) as Readonly<
  Record<keyof typeof CHAT_SPECIAL_TOKENS, number>
>;

/**
 * GPT-4's pre-tokenization with every digit its own chunk (as LLaMA 1–2's SentencePiece tokenizer does, with
 * split_digits): "556" is "5" "5" "6", never "55" "6", so a number's digits are the same tokens wherever they
 * appear — the model can then compose number words and copy digits instead of memorising digit groups.
 */
export const CHAT_SPLIT_PATTERN = CL100K_SPLIT_PATTERN.replace(String.raw`\p{N}{1,3}`, String.raw`\p{N}`);

/** The years that are one token each (see {@link CHAT_YEAR_SPLIT_PATTERN}): the speeches' (1790–2021) and those the reader's made-up headers use. */
export const CHAT_YEARS = { first: 1700, last: 2099 } as const;

/**
 * {@link CHAT_SPLIT_PATTERN} where a number of exactly four digits from 1700 to 2099 — a year — is one chunk,
 * that the year merges (see {@link trainChatTokenizer}) make one token. Why: a reader answers "who gave the
 * speech of 2005?" by finding the passage whose header holds the question's year; with one token per digit
 * it must match four tokens in a row, which a 4-layer model did not learn (at most 39 % of short look-ups
 * after 4,000 steps), while one token matching another is what an attention head does at once. Other
 * numbers keep one token per digit (the tasks' numbers have at most three digits, or five).
 */
export const CHAT_YEAR_SPLIT_PATTERN = CHAT_SPLIT_PATTERN.replace(String.raw`|\p{N}|`, String.raw`|(?<![0-9])(?:1[7-9]|20)[0-9]{2}(?![0-9])|\p{N}|`);

/** Options of {@link trainChatTokenizer}. */
export interface ChatTokenizerOptions {
  /** Make every year of {@link CHAT_YEARS} one token (default false: one token per digit). */
  yearTokens?: boolean;
}

/** The tokens a year needs beyond the digits: its first two digits, three, then all four ("19", "199", "1999"). */
function yearTokenBytes(): string[] {
  const prefixes = new Set<string>();
  const tokens: string[] = [];
  for (let year = CHAT_YEARS.first; year <= CHAT_YEARS.last; year++) {
    const digits = String(year);
    for (const length of [2, 3]) {
      const prefix = digits.slice(0, length);
      if (!prefixes.has(prefix)) {
        prefixes.add(prefix);
        tokens.push(prefix);
      }
    }
    tokens.push(digits);
  }
  return tokens;
}

/** How many ids the year tokens take: 4 two-digit prefixes, 40 three-digit ones, 400 years. */
export const CHAT_YEAR_TOKEN_COUNT = yearTokenBytes().length;

/**
 * Trains a byte-level BPE tokenizer of `vocabSize` ids (the 8 special tokens, and the year tokens when asked,
 * included) on `text`, then moves the special tokens to ids 0…7 (the trainer puts them after the learned
 * tokens). Year tokens come last, each built by merging its prefix with its last digit; the merges are
 * learned with one token per digit, so no learned merge joins digits.
 */
export function trainChatTokenizer(text: string, vocabSize: number, options: ChatTokenizerOptions = {}): ByteBpeTokenizer {
  const specials = CHAT_SPECIAL_TOKEN_LIST;
  const years = options.yearTokens === true ? yearTokenBytes() : [];
  if (vocabSize < specials.length + 256 + years.length) {
    throw new RangeError(`trainChatTokenizer: vocabSize ${vocabSize} is below the ${specials.length} special tokens, 256 bytes and ${years.length} year tokens`);
  }
  const { model } = trainByteBpeModel(text, vocabSize - years.length, { specialTokens: specials, pattern: CHAT_SPLIT_PATTERN });
  const shift = specials.length;
  const learned = model.tokens.slice(0, Math.min(...Object.values(model.specialTokens)));
  if (learned.some((bytes) => bytes === undefined)) throw new Error("trainChatTokenizer: expected the trainer to put the special tokens after the learned ones");
  const tokens: (string | undefined)[] = [...new Array<undefined>(shift), ...learned];
  const merges = model.merges.map(([left, right]) => [left + shift, right + shift] as const);
  const idOf = new Map<string, number>();
  tokens.forEach((bytes, id) => {
    if (bytes !== undefined) idOf.set(bytes, id);
  });
  for (const bytes of years) {
    merges.push([idOf.get(bytes.slice(0, -1))!, idOf.get(bytes.slice(-1))!] as const);
    idOf.set(bytes, tokens.length);
    tokens.push(bytes);
  }
  return new ByteBpeTokenizer({
    pattern: years.length > 0 ? CHAT_YEAR_SPLIT_PATTERN : model.pattern,
    tokens,
    merges,
    specialTokens: Object.fromEntries(specials.map((token, id) => [token, id])),
  });
}

/** A rendered conversation → ids, its special tokens (`<|user|>`, `<tool_call>`…) as single ids. */
export function encodeChat(tokenizer: ByteBpeTokenizer, text: string): number[] {
  return tokenizer.encode(text, { allowedSpecial: "all" });
}
