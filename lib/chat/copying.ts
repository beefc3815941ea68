/**
 * Copying documents: a line of random first names (the makemore names), then the same line again, with the
 * loss on the second copy only — which only a model that looks back at what followed the current token's
 * earlier occurrence can predict (an induction head, Olsson et al. 2022). chat-mini reads them between
 * pre-training and fine-tuning, and some more mixed into fine-tuning (see ./build's recipe): natural text
 * rarely rewards copying within 256 tokens, and its reader must copy names and years from its passages.
 */
import { loadNames } from "../data/names";
import type { Random } from "../random";
import type { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import type { MaskedConversation } from "./sft";
import { capitalised, pick } from "./tasks/types";
import { CHAT_TOKEN_IDS, encodeChat } from "./tokenizer";

/** Names per line, at least and at most. */
export const COPY_LINE_NAMES = { min: 6, max: 35 } as const;

/**
 * `count` copying documents: ids = line, line, `<|endoftext|>`; the mask is 1 on the second copy's tokens
 * but its first (nothing announces where a copy starts). Half the names are capitalised, as a header's are.
 */
export function copyingDocuments(tokenizer: ByteBpeTokenizer, count: number, rng: Random): MaskedConversation[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`copyingDocuments: count must be an integer ≥ 0, got ${count}`);
  const names = loadNames();
  return Array.from({ length: count }, () => {
    const n = COPY_LINE_NAMES.min + rng.int(COPY_LINE_NAMES.max - COPY_LINE_NAMES.min + 1);
    const words = Array.from({ length: n }, () => {
      const name = pick(names, rng);
      return rng.next() < 0.5 ? capitalised(name) : name;
    });
    const line = encodeChat(tokenizer, `${words.join(" ")}\n`);
    const L = line.length;
    const ids = [...line, ...line, CHAT_TOKEN_IDS.endOfText];
    return { ids, mask: ids.map((_, i) => (i > L && i < 2 * L ? 1 : 0)) };
  });
}
