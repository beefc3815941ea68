import assert from "node:assert/strict";
import { after, test } from "node:test";
import { get_encoding } from "tiktoken";
import {
  apiCost,
  countTokens,
  formatBytes,
  fromTiktoken,
  loadTiktokenRanks,
  SLIDE_PRICES_USD,
  tiktokenDecode,
  tiktokenEncode,
  tokenCost,
  withTiktoken,
} from "@llm-course/lib/tokenizers";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { randomText, seededRandom } from "./random";

const SEED_TEXT = "We live in Paris but ewhd here";
const SEED_IDS = [1687, 3974, 304, 12366, 719, 37990, 16373, 1618];
const SEED_PIECES = ["We", " live", " in", " Paris", " but", " ew", "hd", " here"];

const reference = get_encoding("cl100k_base");
after(() => reference.free());

test("the seeds' cl100k example through the tiktoken wrapper", () => {
  const { ids, pieces, bytes } = tiktokenEncode("cl100k_base", SEED_TEXT);
  assert.deepEqual(ids, SEED_IDS);
  assert.deepEqual(pieces, SEED_PIECES);
  assert.deepEqual(bytes.map(formatBytes), ["b'We'", "b' live'", "b' in'", "b' Paris'", "b' but'", "b' ew'", "b'hd'", "b' here'"]);
  assert.equal(tiktokenDecode("cl100k_base", SEED_IDS), SEED_TEXT);
  assert.equal(countTokens(SEED_TEXT), 8);
  assert.equal(countTokens([SEED_TEXT, SEED_TEXT]), 16);
  // Special tokens: an error by default (tiktoken's rule), their id when allowed, plain text for countTokens.
  assert.throws(() => tiktokenEncode("cl100k_base", "hi <|endoftext|>"), /special token that is not allowed: <\|endoftext\|>/);
  assert.deepEqual(tiktokenEncode("cl100k_base", "hi <|endoftext|>", { allowedSpecial: "all" }).ids, [6151, 220, 100257]);
  assert.equal(countTokens("hi <|endoftext|>"), 7);
  assert.throws(() => tiktokenEncode("cl100k_base", "x\uD800"), /lone surrogate U\+D800 at index 1/);
  // The encoder is freed after use: using it afterwards fails inside the wasm module.
  const leaked = withTiktoken("cl100k_base", (encoding) => encoding);
  assert.throws(() => leaked.encode("x"));
});

test("the seeds' example through the course's own encoder loaded with cl100k ranks", () => {
  const cl100k = fromTiktoken("cl100k_base");
  assert.equal(cl100k.vocabSize, 100277);
  const ids = cl100k.encode(SEED_TEXT);
  assert.deepEqual(ids, SEED_IDS);
  assert.deepEqual(cl100k.decodePieces(ids), SEED_PIECES);
  assert.equal(formatBytes(cl100k.tokenBytes(12366)), "b' Paris'");
  assert.equal(cl100k.decode(ids), SEED_TEXT);
  assert.deepEqual(cl100k.encode("hi <|endoftext|>", { allowedSpecial: "all" }), [6151, 220, 100257]);
  assert.deepEqual(cl100k.encode("hi <|endoftext|>"), Array.from(reference.encode_ordinary("hi <|endoftext|>")));
  assert.equal(cl100k.specialTokenId("<|endofprompt|>"), 100276);
  assert.equal(fromTiktoken("cl100k_base"), cl100k, "loaded once");
  const ranks = loadTiktokenRanks("cl100k_base");
  assert.equal(ranks.tokens.length, 100256);
  assert.equal(ranks.tokens[0], "!");
  assert.throws(() => loadTiktokenRanks("cl50k" as "gpt2"), /Unknown tiktoken encoding "cl50k"/);
});

test("ids equal tiktoken's on the first 3,000 lines of Moby-Dick", () => {
  const cl100k = fromTiktoken("cl100k_base");
  const lines = loadMobyDick().split("\n").slice(0, 3000);
  for (let i = 0; i < lines.length; i++) {
    assert.deepEqual(cl100k.encode(lines[i]), Array.from(reference.encode_ordinary(lines[i])), `line ${i}: ${lines[i].slice(0, 60)}`);
  }
  const block = lines.join("\n");
  assert.deepEqual(cl100k.encode(block), Array.from(reference.encode_ordinary(block)));
});

test("ids equal tiktoken's on random strings (accents, CJK, emoji, odd whitespace) and long runs", () => {
  const cl100k = fromTiktoken("cl100k_base");
  const random = seededRandom(42);
  for (let i = 0; i < 1500; i++) {
    const text = randomText(random);
    const ids = cl100k.encode(text);
    assert.deepEqual(ids, Array.from(reference.encode_ordinary(text)), `case ${i}: ${JSON.stringify(text)}`);
    assert.equal(cl100k.decode(ids), text, `round trip ${i}`);
  }
  // Rust's case-insensitive contractions also match ſ (U+017F), the long s.
  for (const text of ["it'ſ", "IT'S", "we'Ve", "\u00a0\u00a0x", "a\u2028\u2029b", "\r\n\r\n  \t"]) {
    assert.deepEqual(cl100k.encode(text), Array.from(reference.encode_ordinary(text)), JSON.stringify(text));
  }
  for (const text of [" ".repeat(3000), "\n".repeat(500) + "x", "ab".repeat(2000), "🐳".repeat(300), "éàü".repeat(300)]) {
    assert.deepEqual(cl100k.encode(text), Array.from(reference.encode_ordinary(text)), JSON.stringify(text.slice(0, 10)));
  }
});

test("gpt2 and o200k ranks too: same ids as tiktoken on random strings", () => {
  for (const name of ["gpt2", "o200k_base"] as const) {
    const ours = fromTiktoken(name);
    const random = seededRandom(9);
    withTiktoken(name, (encoding) => {
      for (let i = 0; i < 300; i++) {
        const text = randomText(random) + " CamelCaseWords HTTPServer l'été";
        assert.deepEqual(ours.encode(text), Array.from(encoding.encode_ordinary(text)), `${name} case ${i}: ${JSON.stringify(text)}`);
      }
    });
  }
});

test("token cost: tokens × price per million", () => {
  assert.equal(tokenCost(1_000_000, 2.5), 2.5);
  assert.equal(tokenCost(1_500, 2.5), 0.00375);
  assert.equal(tokenCost(0, 10), 0);
  const gpt4o = SLIDE_PRICES_USD["gpt-4o"];
  // 1,000 in at $2.50/M + 500 out at $10/M = 0.0025 + 0.005
  assert.equal(apiCost({ inputTokens: 1000, outputTokens: 500 }, gpt4o), 0.0075);
  // 400 of the 1,000 input tokens cached at $1.25/M: 600 × 2.5 + 400 × 1.25 + 500 × 10 = 7,000 / 1e6
  assert.ok(Math.abs(apiCost({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 500 }, gpt4o) - 0.007) < 1e-15);
  assert.throws(() => tokenCost(-1, 2.5), /tokens must be a number ≥ 0, got -1/);
  assert.throws(() => apiCost({ inputTokens: 1, cachedInputTokens: 2, outputTokens: 0 }, gpt4o), /cachedInputTokens \(2\) cannot exceed inputTokens \(1\)/);
});
