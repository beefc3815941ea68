/**
 * `tokenizer.json` and `tokenizer_config.json` for the course's tokenizers, in the Hugging Face format that
 * transformers.js (and Python `tokenizers`) load:
 *
 * - byte-level BPE (`ByteBpeTokenizer`): its own `toHuggingFaceJson()` (see lib/tokenizers/huggingFace);
 * - characters (`CharTokenizer`): a BPE model without merges whose vocabulary is the characters, so each
 *   character is one token and any other becomes `<unk>`; no pre-tokenizer (spaces and newlines are
 *   ordinary characters), no post-processor (no `<s>` added), and a `Fuse` decoder that joins the tokens
 *   with nothing between them.
 *
 * One difference remains for both: transformers.js reads special tokens written in the text ("<s>") as
 * their ids, where the course's `encode` spells them out character by character (or byte by byte).
 */
import { ByteBpeTokenizer, CharTokenizer } from "../tokenizers";
import { addedTokensJson, tokenizerConfigJson } from "../tokenizers/huggingFace";

/** A tokenizer the export can write: byte-level BPE or characters. */
export type ExportableTokenizer = ByteBpeTokenizer | CharTokenizer;

/** The two JSON files and the special tokens' ids (for config.json and generation_config.json). */
export interface TokenizerFiles {
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  specialTokens: ReadonlyMap<string, number>;
  vocabSize: number;
}

function charTokenizerJson(tokenizer: CharTokenizer): Record<string, unknown> {
  const { tokens, specialTokens } = tokenizer.vocab;
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    vocab[token] = id;
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokensJson(specialTokens.map((content) => [content, tokenizer.vocab.id(content)!] as const)),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Fuse" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: tokenizer.vocab.unkId === undefined ? null : tokenizer.vocab.tokens[tokenizer.vocab.unkId],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

/** The tokenizer files of a course tokenizer; throws for any other kind of tokenizer. */
export function tokenizerFiles(tokenizer: ExportableTokenizer): TokenizerFiles {
  if (tokenizer instanceof ByteBpeTokenizer) {
    return {
      tokenizer: tokenizer.toHuggingFaceJson() as unknown as Record<string, unknown>,
      tokenizerConfig: tokenizerConfigJson(tokenizer.specialTokens),
      specialTokens: tokenizer.specialTokens,
      vocabSize: tokenizer.vocabSize,
    };
  }
  if (tokenizer instanceof CharTokenizer) {
    const specialTokens = new Map(tokenizer.vocab.specialTokens.map((token) => [token, tokenizer.vocab.id(token)!] as const));
    return { tokenizer: charTokenizerJson(tokenizer), tokenizerConfig: tokenizerConfigJson(specialTokens), specialTokens, vocabSize: tokenizer.vocabSize };
  }
  throw new TypeError("tokenizerFiles: expected a ByteBpeTokenizer or a CharTokenizer from lib/tokenizers");
}
