/**
 * BERT's side of tokenization for the course's encoder (TP8): the five special tokens, a lower-cased
 * word-level vocabulary (the course's {@link WordTokenizer} with `[UNK]` for unseen words), inputs framed as
 * `[CLS] … [SEP]`, and the Hugging Face `tokenizer.json` that makes transformers.js cut text exactly as
 * `WordTokenizer.encode` does:
 *
 *   normalizer      Lowercase                      (String.prototype.toLowerCase, as WordTokenizer)
 *   pre_tokenizer   Split on WORD_PATTERN, inverted  (the matches are the pieces; whitespace is dropped)
 *   model           WordPiece over whole words       (no "##" pieces: a word missing from the vocabulary is [UNK])
 *   post_processor  TemplateProcessing              [CLS] A [SEP] (pairs: [CLS] A [SEP] B [SEP], type ids 0/1)
 *   decoder         WordPiece without clean-up     (tokens joined by spaces, as WordTokenizer.decode)
 *
 * WordPiece rather than a "WordLevel" model because transformers.js has no WordLevel model; a WordPiece
 * vocabulary without continuation pieces behaves as one. Special tokens written in the text ("the [MASK]
 * of") are recognised as their ids, by {@link bertEncode} here and by transformers.js there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { padBatch, type Batch } from "./batch";
import { addedTokensJson } from "./huggingFace";
import { assertText } from "./text";
import { splitWords, WORD_PATTERN, WordTokenizer } from "./word";

/** Padding: fills short rows of a batch; the attention mask hides it. */
export const BERT_PAD_TOKEN = "[PAD]";
/** Any word missing from the vocabulary. */
export const BERT_UNK_TOKEN = "[UNK]";
/** First token of every input: its last-layer vector is what a classifier reads. */
export const BERT_CLS_TOKEN = "[CLS]";
/** Ends each segment (sentence A, sentence B). */
export const BERT_SEP_TOKEN = "[SEP]";
/** The placeholder of masked-language modelling: the model predicts the word it hides. */
export const BERT_MASK_TOKEN = "[MASK]";

/** `[PAD] [UNK] [CLS] [SEP] [MASK]`, ids 0 to 4 in the course's BERT vocabularies (bert-base-uncased has them at 0, 100–103). */
export const BERT_SPECIAL_TOKENS: readonly string[] = Object.freeze([BERT_PAD_TOKEN, BERT_UNK_TOKEN, BERT_CLS_TOKEN, BERT_SEP_TOKEN, BERT_MASK_TOKEN]);

/** transformers.js (like BERT's own tokenizer) gives up on longer words: they become [UNK]. */
const MAX_WORD_CHARACTERS = 100;

/** Options of {@link trainBertWordTokenizer}. */
export interface BertWordTokenizerOptions {
  /** Keep at most this many words, the most frequent (default 4000). */
  maxWords?: number;
  /** Keep only words seen at least this often (default 2). */
  minFrequency?: number;
}

/** The ids of the five special tokens of a BERT vocabulary. */
export interface BertSpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

/**
 * A lower-cased word-level vocabulary for BERT from `text`: the five special tokens, then the most
 * frequent words (ties in order of first appearance). Unseen words encode as [UNK].
 */
export function trainBertWordTokenizer(text: string, options: BertWordTokenizerOptions = {}): WordTokenizer {
  assertText(text, "trainBertWordTokenizer");
  const maxWords = options.maxWords ?? 4000;
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(maxWords) || maxWords < 1) throw new RangeError(`trainBertWordTokenizer: maxWords must be an integer ≥ 1, got ${maxWords}`);
  if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new RangeError(`trainBertWordTokenizer: minFrequency must be an integer ≥ 1, got ${minFrequency}`);
  const counts = new Map<string, number>();
  for (const word of splitWords(text, { lowercase: true })) {
    if ([...word].length <= MAX_WORD_CHARACTERS) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  // Array.prototype.sort is stable: equally frequent words keep their order of first appearance.
  const words = [...counts]
    .filter(([, count]) => count >= minFrequency)
    .sort((a, b) => b[1] - a[1])
    .slice(0, maxWords)
    .map(([word]) => word);
  return new WordTokenizer(words, { lowercase: true, specialTokens: BERT_SPECIAL_TOKENS, unkToken: BERT_UNK_TOKEN });
}

/** The special ids of `tokenizer`; throws naming the first special token it lacks. */
export function bertSpecialIds(tokenizer: Pick<WordTokenizer, "specialTokenId">): BertSpecialIds {
  const id = (token: string): number => {
    const found = tokenizer.specialTokenId(token);
    if (found === undefined) throw new Error(`BERT tokenizer: the vocabulary has no ${token} special token (expected ${BERT_SPECIAL_TOKENS.join(" ")}; use trainBertWordTokenizer)`);
    return found;
  };
  return { pad: id(BERT_PAD_TOKEN), unk: id(BERT_UNK_TOKEN), cls: id(BERT_CLS_TOKEN), sep: id(BERT_SEP_TOKEN), mask: id(BERT_MASK_TOKEN) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Ids of `text` without [CLS]/[SEP]: special tokens written in the text become their ids, the rest is encoded word by word. */
export function bertEncodePieces(tokenizer: WordTokenizer, text: string): number[] {
  assertText(text, "bertEncode");
  const specials = tokenizer.vocab.specialTokens;
  if (specials.length === 0) return tokenizer.encode(text);
  const splitter = new RegExp(`(${specials.map(escapeRegExp).join("|")})`);
  const ids: number[] = [];
  text.split(splitter).forEach((piece, i) => {
    // split() with one capture group alternates text, special, text, …
    if (i % 2 === 1) ids.push(tokenizer.vocab.id(piece)!);
    else if (piece.length > 0) ids.push(...tokenizer.encode(piece));
  });
  return ids;
}

/** Options of {@link bertEncode}. */
export interface BertEncodeOptions {
  /** Most ids per sequence, [CLS] and [SEP] included (the model's position table); longer texts are cut at the end. */
  maxLength?: number;
}

/**
 * `[CLS] ids(text) [SEP]` as transformers.js's tokenizer writes it for the exported folder (truncation keeps
 * the start of the text and the final [SEP]). Special tokens in the text ("[MASK]") are read as such.
 */
export function bertEncode(tokenizer: WordTokenizer, text: string, options: BertEncodeOptions = {}): number[] {
  const { cls, sep } = bertSpecialIds(tokenizer);
  const maxLength = options.maxLength ?? Infinity;
  if (maxLength !== Infinity && (!Number.isInteger(maxLength) || maxLength < 2)) throw new RangeError(`bertEncode: maxLength must be an integer ≥ 2 ([CLS] and [SEP]), got ${maxLength}`);
  const ids = bertEncodePieces(tokenizer, text);
  return [cls, ...(ids.length > maxLength - 2 ? ids.slice(0, maxLength - 2) : ids), sep];
}

/** A batch of `[CLS] … [SEP]` sequences padded with [PAD] on the right, with the attention mask (1 = token, 0 = padding). */
export function bertEncodeBatch(tokenizer: WordTokenizer, texts: readonly string[], options: BertEncodeOptions = {}): Batch {
  if (!Array.isArray(texts)) throw new TypeError("bertEncodeBatch: texts must be an array of strings");
  const { pad } = bertSpecialIds(tokenizer);
  return padBatch(texts.map((text) => bertEncode(tokenizer, text, options)), { padId: pad, padding: "longest" });
}

/** The Hugging Face files of a BERT word tokenizer. */
export interface BertTokenizerJson {
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/**
 * tokenizer.json and tokenizer_config.json (BertTokenizer class, so transformers.js also returns
 * token_type_ids) for a vocabulary from {@link trainBertWordTokenizer}; `maxLength` is the model's
 * position table, which the tokenizer truncates to.
 */
export function bertTokenizerJson(tokenizer: WordTokenizer, maxLength: number): BertTokenizerJson {
  if (!(tokenizer instanceof WordTokenizer)) throw new TypeError("bertTokenizerJson: expected a WordTokenizer from trainBertWordTokenizer");
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new RangeError(`bertTokenizerJson: maxLength must be an integer ≥ 2, got ${maxLength}`);
  const ids = bertSpecialIds(tokenizer);
  const { tokens, specialTokens, unkToken } = tokenizer.vocab;
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    vocab[token] = id;
  });
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: "A" | "B", typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    tokenizer: {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: addedTokensJson(specialTokens.map((content) => [content, tokenizer.vocab.id(content)!] as const)),
      normalizer: tokenizer.lowercase ? { type: "Lowercase" } : null,
      // invert: the pattern's matches are the pieces and what lies between them (whitespace) is dropped.
      pre_tokenizer: { type: "Split", pattern: { Regex: WORD_PATTERN.source }, behavior: "Removed", invert: true },
      post_processor: {
        type: "TemplateProcessing",
        single: [special(BERT_CLS_TOKEN, 0), sequence("A", 0), special(BERT_SEP_TOKEN, 0)],
        pair: [special(BERT_CLS_TOKEN, 0), sequence("A", 0), special(BERT_SEP_TOKEN, 0), sequence("B", 1), special(BERT_SEP_TOKEN, 1)],
        special_tokens: {
          [BERT_CLS_TOKEN]: { id: BERT_CLS_TOKEN, ids: [ids.cls], tokens: [BERT_CLS_TOKEN] },
          [BERT_SEP_TOKEN]: { id: BERT_SEP_TOKEN, ids: [ids.sep], tokens: [BERT_SEP_TOKEN] },
        },
      },
      decoder: { type: "WordPiece", prefix: "##", cleanup: false },
      model: { type: "WordPiece", unk_token: unkToken, continuing_subword_prefix: "##", max_input_chars_per_word: MAX_WORD_CHARACTERS, vocab },
    },
    tokenizerConfig: {
      tokenizer_class: "BertTokenizer",
      do_lower_case: tokenizer.lowercase,
      model_max_length: maxLength,
      clean_up_tokenization_spaces: false,
      pad_token: BERT_PAD_TOKEN,
      unk_token: BERT_UNK_TOKEN,
      cls_token: BERT_CLS_TOKEN,
      sep_token: BERT_SEP_TOKEN,
      mask_token: BERT_MASK_TOKEN,
    },
  };
}

/** A BERT word tokenizer back from a parsed tokenizer.json written by {@link bertTokenizerJson}; `source` names it in errors. */
export function bertWordTokenizerFromJson(json: unknown, source: string): WordTokenizer {
  const fail = (problem: string): never => {
    throw new Error(`${source}: ${problem} (expected a tokenizer.json written by bertTokenizerJson)`);
  };
  if (json === null || typeof json !== "object") fail("not a JSON object");
  const root = json as { model?: { type?: unknown; vocab?: unknown; unk_token?: unknown }; added_tokens?: { id: number; content: string }[]; normalizer?: { type?: string } | null };
  if (root.model?.type !== "WordPiece" || root.model.vocab === null || typeof root.model.vocab !== "object") fail("model.type must be WordPiece with a vocab");
  const vocab = root.model!.vocab as Record<string, number>;
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || id < 0 || tokens[id] !== undefined) fail(`token ${JSON.stringify(token)} has a bad or repeated id ${id}`);
    tokens[id] = token;
  }
  for (let id = 0; id < tokens.length; id++) if (tokens[id] === undefined) fail(`no token has id ${id}`);
  const specials = [...(root.added_tokens ?? [])].sort((a, b) => a.id - b.id);
  specials.forEach((added, i) => {
    if (added.id !== i || tokens[i] !== added.content) fail(`special token ${JSON.stringify(added.content)} must have id ${i}`);
  });
  const unkToken = typeof root.model!.unk_token === "string" ? root.model!.unk_token : BERT_UNK_TOKEN;
  return new WordTokenizer(tokens.slice(specials.length), {
    lowercase: root.normalizer?.type === "Lowercase",
    specialTokens: specials.map((s) => s.content),
    unkToken,
  });
}

/** The BERT word tokenizer of a model folder (or of a tokenizer.json file). */
export function loadBertWordTokenizer(location: string): WordTokenizer {
  const file = fs.existsSync(location) && fs.statSync(location).isDirectory() ? path.join(location, "tokenizer.json") : location;
  if (!fs.existsSync(file)) throw new Error(`loadBertWordTokenizer: no tokenizer file at ${file}`);
  return bertWordTokenizerFromJson(JSON.parse(fs.readFileSync(file, "utf8")), file);
}

/** Writes tokenizer.json and tokenizer_config.json into `directory` (created if needed). */
export function saveBertWordTokenizer(tokenizer: WordTokenizer, directory: string, maxLength: number): void {
  const files = bertTokenizerJson(tokenizer, maxLength);
  fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(path.join(directory, "tokenizer.json"), `${JSON.stringify(files.tokenizer)}\n`);
  fs.writeFileSync(path.join(directory, "tokenizer_config.json"), `${JSON.stringify(files.tokenizerConfig, null, 2)}\n`);
}
