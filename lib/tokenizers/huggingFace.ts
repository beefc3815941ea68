/**
 * The Hugging Face `tokenizer.json` format for byte-level BPE, read and written: the format transformers.js,
 * Python `tokenizers` and the course's ONNX exports share. Token bytes are stored as GPT-2 byte-level
 * strings (" Paris" → "ĠParis"), merges as "left right" strings, special tokens in `added_tokens`, and the
 * split regex in a `Split` pre-tokenizer followed by a `ByteLevel` one (the layout Llama 3 uses).
 */
import { byteLevelToLatin1, latin1ToByteLevel } from "./bytesToUnicode";
import type { ByteBpeModel } from "./byteBpe";
import { GPT2_SPLIT_PATTERN } from "./patterns";
import { BOS_TOKEN, EOS_TOKEN, PAD_TOKEN, UNK_TOKEN } from "./specialTokens";

/** An entry of `added_tokens`. */
export interface HuggingFaceAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The parts of `tokenizer.json` this module writes (Hugging Face tokenizers format 1.0). */
export interface HuggingFaceTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: HuggingFaceAddedToken[];
  normalizer: null;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: "BPE";
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

/** What {@link toHuggingFaceJson} needs from a tokenizer. */
export type HuggingFaceExportable = Pick<ByteBpeModel, "pattern" | "tokens" | "merges" | "specialTokens" | "ignoreMerges">;

/** A byte-level BPE model as a `tokenizer.json` object. */
export function toHuggingFaceJson(model: HuggingFaceExportable): HuggingFaceTokenizerJson {
  const vocab: Record<string, number> = {};
  const strings: (string | undefined)[] = model.tokens.map((bytes) => (bytes === undefined ? undefined : latin1ToByteLevel(bytes)));
  strings.forEach((token, id) => {
    if (token !== undefined) vocab[token] = id;
  });
  const specials = Object.entries(model.specialTokens).sort((a, b) => a[1] - b[1]);
  // GPT-2 lists its special token in the model vocabulary too; skip one whose text an ordinary token already spells.
  for (const [content, id] of specials) if (!(content in vocab)) vocab[content] = id;
  const merges = model.merges.map(([left, right]) => `${strings[left]} ${strings[right]}`);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokensJson(specials),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: model.pattern }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: model.ignoreMerges ?? false,
      vocab,
      merges,
    },
  };
}

/** tokenizer.json's `added_tokens`: special tokens matched whole, before any other rule. */
export function addedTokensJson(specials: readonly (readonly [string, number])[]): HuggingFaceAddedToken[] {
  return specials.map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
}

/**
 * A minimal `tokenizer_config.json` naming the roles of the special tokens it finds (`<pad> <s> </s>
 * <unk>`, or GPT-2's `<|endoftext|>` as begin and end), with no clean-up of spaces when decoding.
 */
export function tokenizerConfigJson(specialTokens: ReadonlyMap<string, number>): Record<string, unknown> {
  const config: Record<string, unknown> = {
    tokenizer_class: "PreTrainedTokenizerFast",
    clean_up_tokenization_spaces: false,
    model_max_length: 1_000_000,
  };
  const has = (token: string) => specialTokens.has(token);
  if (has(PAD_TOKEN)) config.pad_token = PAD_TOKEN;
  if (has(BOS_TOKEN)) config.bos_token = BOS_TOKEN;
  else if (has("<|endoftext|>")) config.bos_token = "<|endoftext|>";
  if (has(EOS_TOKEN)) config.eos_token = EOS_TOKEN;
  else if (has("<|endoftext|>")) config.eos_token = "<|endoftext|>";
  if (has(UNK_TOKEN)) config.unk_token = UNK_TOKEN;
  return config;
}

/** Reads a parsed `tokenizer.json` into a model; `source` names the file in error messages. */
export function fromHuggingFaceJson(json: unknown, source: string): ByteBpeModel {
  const fail = (problem: string): never => {
    throw new Error(`${source}: ${problem}`);
  };
  if (typeof json !== "object" || json === null) fail("expected a JSON object");
  const root = json as Record<string, unknown>;
  const model = root.model as Record<string, unknown> | undefined;
  if (model === undefined || model.type !== "BPE") fail(`model.type must be "BPE", got ${JSON.stringify(model?.type)}`);
  const vocab = model!.vocab as Record<string, number> | undefined;
  if (typeof vocab !== "object" || vocab === null) fail("model.vocab is missing");
  if (root.normalizer !== null && root.normalizer !== undefined) fail(`normalizers are not supported (found ${JSON.stringify((root.normalizer as { type?: string }).type)})`);
  const decoder = root.decoder as { type?: string } | null | undefined;
  if (decoder?.type !== "ByteLevel") fail(`only the ByteLevel decoder is supported, found ${JSON.stringify(decoder?.type ?? null)}`);

  const specialTokens: Record<string, number> = {};
  const specialIds = new Set<number>();
  for (const added of (root.added_tokens ?? []) as HuggingFaceAddedToken[]) {
    specialTokens[added.content] = added.id;
    specialIds.add(added.id);
  }
  const tokens: (string | undefined)[] = [];
  for (const [token, id] of Object.entries(vocab!)) {
    if (specialIds.has(id)) continue;
    tokens[id] = byteLevelToLatin1(token);
  }
  const idOf = (token: string, rank: number): number => {
    const id = vocab![token];
    if (id === undefined || specialIds.has(id)) fail(`merge ${rank} uses ${JSON.stringify(token)}, which is not in model.vocab`);
    return id;
  };
  const merges = ((model!.merges ?? []) as (string | [string, string])[]).map((merge, rank) => {
    // Byte-level tokens never hold a plain space (it is "Ġ"), so the old "left right" form splits safely.
    const pair = typeof merge === "string" ? merge.split(" ") : merge;
    if (pair.length !== 2) fail(`merge ${rank} ${JSON.stringify(merge)} is not a pair`);
    return [idOf(pair[0], rank), idOf(pair[1], rank)] as const;
  });
  return {
    pattern: splitPattern(root.pre_tokenizer, fail),
    tokens: Array.from(tokens),
    merges,
    specialTokens,
    mergeMode: "pairs",
    ignoreMerges: model!.ignore_merges === true,
  };
}

function splitPattern(preTokenizer: unknown, fail: (problem: string) => never): string {
  const steps = (preTokenizer as { type?: string; pretokenizers?: unknown[] } | null)?.type === "Sequence"
    ? ((preTokenizer as { pretokenizers: unknown[] }).pretokenizers as Record<string, unknown>[])
    : [preTokenizer as Record<string, unknown> | null];
  let pattern: string | undefined;
  let byteLevel = false;
  for (const step of steps) {
    if (step?.type === "Split") {
      const p = step.pattern as { Regex?: string; String?: string };
      if (pattern !== undefined) fail("more than one Split pre-tokenizer is not supported");
      if (step.behavior !== "Isolated" || step.invert === true) fail("only Split pre-tokenizers with behavior Isolated are supported");
      pattern = p.Regex ?? (p.String !== undefined ? p.String.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : undefined);
    } else if (step?.type === "ByteLevel") {
      if (step.add_prefix_space === true) fail("ByteLevel add_prefix_space=true is not supported");
      byteLevel = true;
      if (step.use_regex !== false) {
        if (pattern !== undefined) fail("a Split and a ByteLevel pre-tokenizer with use_regex=true together are not supported");
        pattern = GPT2_SPLIT_PATTERN;
      }
    } else {
      fail(`pre-tokenizer ${JSON.stringify(step?.type ?? null)} is not supported (expected ByteLevel, or Split + ByteLevel)`);
    }
  }
  if (!byteLevel || pattern === undefined) fail("a byte-level BPE tokenizer needs a ByteLevel pre-tokenizer and a split regex");
  return pattern!;
}
