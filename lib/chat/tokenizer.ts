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
 * appear — the model can then compose number words and compare years digit by digit instead of memorising
 * digit groups.
 */
export const CHAT_SPLIT_PATTERN = CL100K_SPLIT_PATTERN.replace(String.raw`\p{N}{1,3}`, String.raw`\p{N}`);

/**
 * Trains a byte-level BPE tokenizer of `vocabSize` ids (the 8 special tokens included) on `text`, then moves
 * the special tokens to ids 0…7 (the trainer puts them after the learned tokens).
 */
export function trainChatTokenizer(text: string, vocabSize: number): ByteBpeTokenizer {
  const specials = CHAT_SPECIAL_TOKEN_LIST;
  const { model } = trainByteBpeModel(text, vocabSize, { specialTokens: specials, pattern: CHAT_SPLIT_PATTERN });
  const shift = specials.length;
  const learned = model.tokens.slice(0, Math.min(...Object.values(model.specialTokens)));
  if (learned.some((bytes) => bytes === undefined)) throw new Error("trainChatTokenizer: expected the trainer to put the special tokens after the learned ones");
  return new ByteBpeTokenizer({
    pattern: model.pattern,
    tokens: [...new Array<undefined>(shift), ...learned],
    merges: model.merges.map(([left, right]) => [left + shift, right + shift] as const),
    specialTokens: Object.fromEntries(specials.map((token, id) => [token, id])),
  });
}

/** A rendered conversation → ids, its special tokens (`<|user|>`, `<tool_call>`…) as single ids. */
export function encodeChat(tokenizer: ByteBpeTokenizer, text: string): number[] {
  return tokenizer.encode(text, { allowedSpecial: "all" });
}
