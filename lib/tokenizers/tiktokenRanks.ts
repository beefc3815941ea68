/**
 * OpenAI's vocabularies in the course's own encoder: the `tiktoken` npm package ships each encoding's
 * ranks (base64 token bytes, the rank being the id), its split regex and its special tokens in
 * `tiktoken/encoders/<name>.json`. Loading them into a {@link ByteBpeTokenizer} shows that a production
 * tokenizer is nothing more than this table plus the BPE loop.
 */
import * as fs from "node:fs";
import { ByteBpeTokenizer } from "./byteBpe";

/** The encodings whose ranks ship with the tiktoken package. */
export type TiktokenEncodingName = "gpt2" | "r50k_base" | "p50k_base" | "p50k_edit" | "cl100k_base" | "o200k_base";

/** An encoding's raw data: token bytes by rank (latin1 strings), split pattern and special tokens. */
export interface TiktokenRanks {
  name: TiktokenEncodingName;
  pattern: string;
  /** Token bytes (latin1 string: char code = byte) indexed by rank, which is the token id. */
  tokens: (string | undefined)[];
  specialTokens: Record<string, number>;
}

const ENCODINGS: readonly TiktokenEncodingName[] = ["gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base"];
const loaded = new Map<TiktokenEncodingName, ByteBpeTokenizer>();

/**
 * Parses `tiktoken/encoders/<name>.json`. Its `bpe_ranks` field holds lines "<skip> <first rank> <base64
 * token> <base64 token>…", each token's rank being the first rank plus its position on the line.
 */
export function loadTiktokenRanks(name: TiktokenEncodingName): TiktokenRanks {
  if (!ENCODINGS.includes(name)) {
    throw new Error(`Unknown tiktoken encoding ${JSON.stringify(name)}; expected one of ${ENCODINGS.join(", ")}`);
  }
  let file: string;
  try {
    file = require.resolve(`tiktoken/encoders/${name}.json`);
  } catch {
    throw new Error(`The ranks of ${name} come from the npm package tiktoken, which is not installed: run \`npm install\` at the course root`);
  }
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as { pat_str: string; special_tokens: Record<string, number>; bpe_ranks: string };
  const tokens: (string | undefined)[] = [];
  for (const line of data.bpe_ranks.split("\n")) {
    if (line === "") continue;
    const fields = line.split(" ");
    const first = Number.parseInt(fields[1], 10);
    for (let i = 2; i < fields.length; i++) tokens[first + i - 2] = Buffer.from(fields[i], "base64").toString("latin1");
  }
  return { name, pattern: data.pat_str, tokens: Array.from(tokens), specialTokens: { ...data.special_tokens } };
}

/**
 * The course's byte-level BPE encoder with one of OpenAI's vocabularies: `fromTiktoken("cl100k_base")`
 * gives GPT-4's ids, equal to tiktoken's. It follows tiktoken's rules: a pre-token found whole in the
 * vocabulary is one token, otherwise adjacent parts merge lowest rank first. Loaded once per encoding.
 */
export function fromTiktoken(name: TiktokenEncodingName): ByteBpeTokenizer {
  let tokenizer = loaded.get(name);
  if (tokenizer === undefined) {
    const ranks = loadTiktokenRanks(name);
    tokenizer = new ByteBpeTokenizer({
      pattern: ranks.pattern,
      tokens: ranks.tokens,
      merges: [],
      specialTokens: ranks.specialTokens,
      mergeMode: "ranks",
      ignoreMerges: true,
    });
    loaded.set(name, tokenizer);
  }
  return tokenizer;
}
