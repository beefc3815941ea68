import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ByteBpeTokenizer,
  bytesToTokenString,
  CL100K_SPLIT_PATTERN,
  formatBytes,
  GPT2_SPLIT_PATTERN,
  PairTable,
  splitPreTokens,
  trainByteBpe,
  trainByteBpeModel,
  type ByteBpeModel,
} from "@llm-course/lib/tokenizers";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { randomText, seededRandom } from "./random";

const BYTES = Array.from({ length: 256 }, (_, b) => bytesToTokenString([b]));

/** A hand-made model: the 256 bytes plus the merges given as strings, in order. */
function handModel(merges: Array<[string, string]>, specialTokens: Record<string, number> = {}): ByteBpeModel {
  const tokens = [...BYTES];
  const id = (s: string) => tokens.indexOf(s);
  const pairs = merges.map(([a, b]) => {
    const pair = [id(a), id(b)] as const;
    if (!tokens.includes(a + b)) tokens.push(a + b);
    return pair;
  });
  return { pattern: GPT2_SPLIT_PATTERN, tokens, merges: pairs, specialTokens };
}

test("pre-tokenization: GPT-2 and GPT-4 (cl100k) patterns cut text as tiktoken does", () => {
  assert.deepEqual(splitPreTokens("Hello world's  end!!\n\n", GPT2_SPLIT_PATTERN), ["Hello", " world", "'s", " ", " end", "!!", "\n\n"]);
  // cl100k: numbers by groups of 3, contractions in any case, newlines apart from the punctuation run.
  assert.deepEqual(splitPreTokens("I'LL pay 12345$.\n\nOK", CL100K_SPLIT_PATTERN), ["I", "'LL", " pay", " ", "123", "45", "$.\n\n", "OK"]);
  // \s is Unicode White_Space as in Rust: U+0085 is a space, U+FEFF is not.
  assert.deepEqual(splitPreTokens("a\u0085 b\ufeffc", CL100K_SPLIT_PATTERN), ["a", "\u0085", " b", "\ufeffc"]);
});

test("encoding with hand-made merges: lowest rank first, leftmost on a tie", () => {
  const tok = new ByteBpeTokenizer(handModel([["a", "a"], ["aa", "a"], ["b", "c"], ["a", "b"]]));
  // Ids: aa=256, aaa=257, bc=258, ab=259.
  assert.deepEqual(tok.encode("aaaa"), [256, 256]); // (a,a) at 0 and 2 before (aa,a)
  assert.deepEqual(tok.encode("aaa"), [257]);
  // "abc": (b,c) has rank 2 < (a,b) rank 3, so bc merges and a stays alone.
  assert.deepEqual(tok.encode("abc"), [97, 258]);
  assert.deepEqual(tok.encode("ab"), [259]);
  assert.deepEqual(tok.encode("ab abc"), [259, 32, 97, 258]);
  assert.equal(tok.decode([97, 258]), "abc");
  assert.equal(tok.vocabSize, 260);
  assert.deepEqual(tok.merges, [[97, 97], [256, 97], [98, 99], [97, 98]]);
});

test("a long pre-token (heap path) merges exactly like a short one", () => {
  const tok = new ByteBpeTokenizer(handModel([["a", "b"], ["ab", "ab"], ["b", "a"], ["abab", "a"]]));
  const unit = "ababa";
  const short = tok.encode(unit);
  assert.deepEqual(short, [259]); // ab ab a → abab a → ababa
  const long = tok.encode(unit.repeat(40)); // one 200-byte word
  assert.deepEqual(long, new Array(40).fill(259));
  // Odd runs: the last a joins nothing.
  assert.deepEqual(tok.encode("a".repeat(60)), new Array(60).fill(97));
  // b (ab)×29 a: the 29 ab pair up left to right into 14 abab, one ab and the final a stay.
  assert.deepEqual(tok.encode("ba".repeat(30)), [98, ...new Array(14).fill(257), 256, 97]);
});

test("random words over {a, b, c}: the encoder agrees with the naive lecture loop at every length", () => {
  const merges: Array<[string, string]> = [["a", "b"], ["b", "a"], ["ab", "c"], ["c", "c"], ["ab", "ab"], ["ba", "a"], ["cc", "ab"], ["abab", "abc"]];
  const tok = new ByteBpeTokenizer(handModel(merges));
  // minbpe's loop: merge the earliest-learned pair present, everywhere, left to right; repeat.
  const naive = (word: string): number[] => {
    let ids = Array.from(word, (ch) => ch.charCodeAt(0));
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = tok.merges.findIndex(([l, r]) => l === ids[i] && r === ids[i + 1]);
        if (rank >= 0 && (best < 0 || rank < best)) best = rank;
      }
      if (best < 0) return ids;
      const [l, r] = tok.merges[best];
      const out: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === l && ids[i + 1] === r) {
          out.push(256 + best);
          i++;
        } else out.push(ids[i]);
      }
      ids = out;
    }
  };
  const random = seededRandom(7);
  for (let n = 1; n < 300; n += 1 + Math.floor(random() * 5)) {
    const word = Array.from({ length: n }, () => "abc"[Math.floor(random() * 3)]).join("");
    assert.deepEqual(tok.encode(word), naive(word), `word of ${n} letters: ${word}`);
  }
});

test("training by hand: 'aaabdaaabac' with 3 merges", () => {
  const { model, merges } = trainByteBpeModel("aaabdaaabac", 259, { specialTokens: [] });
  // Pairs: aa ×4 (overlaps count), ab ×2, others ×1 → aa=256: [aa a b d aa a b a c]
  // Then (aa,a) and (a,b) both ×2: the smaller pair of ids, (97,98), wins → ab=257: [aa ab d aa ab a c]
  // Then (aa,ab) ×2 → aaab=258.
  assert.deepEqual(
    merges.map((m) => [m.left, m.right, m.id, m.count]),
    [
      [97, 97, 256, 4],
      [97, 98, 257, 2],
      [256, 257, 258, 2],
    ],
  );
  const tok = new ByteBpeTokenizer(model);
  assert.deepEqual(tok.encode("aaabdaaabac"), [258, 100, 258, 97, 99]);
  assert.deepEqual(tok.decodePieces([258, 257]), ["aaab", "ab"]);
  assert.equal(tok.vocabSize, 259);
});

test("training respects chunk boundaries, special tokens and the vocabulary size", () => {
  // " ab" and "ab" are different chunks: the space never merges with a letter across words here.
  const tok = trainByteBpe("ab ab ab<s>ab", 256 + 2 + 4);
  assert.equal(tok.vocabSize, 262);
  assert.deepEqual(Object.fromEntries(tok.specialTokens), { "<pad>": 258, "<s>": 259, "</s>": 260, "<unk>": 261 });
  assert.deepEqual(tok.decodePieces(tok.merges.map(([a, b]) => tok.encode(tok.decode([a, b]))[0])), ["ab", " ab"]);
  // "<s>" was cut out of the training text, so no merge learned "<" or "s>".
  assert.deepEqual(tok.encode("<s>"), [60, 115, 62]);
  assert.deepEqual(tok.encode("<s>ab</s>", { allowedSpecial: "all" }), [259, 256, 260]);
  assert.deepEqual(tok.encode("<s>ab</s>", { allowedSpecial: ["</s>"] }), [60, 115, 62, 256, 260]);
  assert.equal(tok.decode([259, 256, 260]), "<s>ab</s>");
  assert.throws(() => tok.encode("x", { allowedSpecial: ["<|endoftext|>"] }), /allowedSpecial lists "<\|endoftext\|>", which is not a special token/);
  assert.throws(() => trainByteBpe("abc", 259), /vocabSize must be an integer ≥ 260 \(256 bytes \+ 4 special tokens\), got 259/);
  // Nothing left to merge: the vocabulary stops short.
  assert.equal(trainByteBpe("ab", 300, { specialTokens: [] }).vocabSize, 257);
});

test("decode(encode(s)) === s on random strings (seeded), for a tokenizer trained on Moby-Dick", () => {
  const tok = trainByteBpe(loadMobyDick().slice(0, 100_000), 600);
  const random = seededRandom(2024);
  for (let i = 0; i < 1000; i++) {
    const text = randomText(random);
    const ids = tok.encode(text);
    assert.equal(tok.decode(ids), text, `case ${i}: ${JSON.stringify(text)}`);
    assert.ok(ids.every((id) => id < tok.vocabSize && !tok.isSpecial(id)));
  }
  assert.equal(tok.decode(tok.encode("")), "");
  const long = " ".repeat(5000) + "x".repeat(3000);
  assert.equal(tok.decode(tok.encode(long)), long);
});

test("lone surrogates are rejected with their position; bad ids are named", () => {
  const tok = trainByteBpe("hello", 270);
  assert.throws(() => tok.encode("ok\uD83D"), { name: "RangeError", message: /encode\(\) got a lone surrogate U\+D83D at index 2/ });
  assert.throws(() => tok.encode("\uDE00ok"), /lone surrogate U\+DE00 at index 0/);
  assert.doesNotThrow(() => tok.encode("\uD83D\uDE00"));
  assert.throws(() => tok.encode(null as unknown as string), /encode\(\) expects a string, got null/);
  assert.throws(() => tok.decode([5, 100000]), /id 100000 at index 1 is not a token of this vocabulary/);
  assert.throws(() => tok.decode([-1]), /integer token ids ≥ 0, got number at index 0/);
});

test("token bytes, pieces and Python-style byte display", () => {
  const tok = new ByteBpeTokenizer(handModel([]));
  const ids = tok.encode("é!");
  assert.deepEqual(ids, [0xc3, 0xa9, 0x21]);
  assert.deepEqual(tok.decodePieces(ids), ["\ufffd", "\ufffd", "!"]);
  assert.deepEqual(Array.from(tok.decodeBytes(ids)), [0xc3, 0xa9, 0x21]);
  assert.equal(formatBytes(tok.tokenBytes(0xc3)), "b'\\xc3'");
  assert.equal(formatBytes(Buffer.from(" Paris")), "b' Paris'");
  assert.equal(formatBytes(Buffer.from("it's")), `b"it's"`);
  assert.equal(formatBytes(Buffer.from("a\n\\")), "b'a\\n\\\\'");
  assert.equal(tok.tokenId("!"), 0x21);
  assert.equal(tok.tokenId("ab"), undefined);
});

test("inconsistent models are refused with a clear message", () => {
  const missingByte = { ...handModel([]), tokens: BYTES.slice(0, 255) };
  assert.throws(() => new ByteBpeTokenizer(missingByte), /byte 0xff has no token/);
  const badMerge = { ...handModel([]), merges: [[97, 300] as const] };
  assert.throws(() => new ByteBpeTokenizer(badMerge), /merge 0 \(97, 300\) uses an id that is not an ordinary token/);
  const clash = handModel([], { "<x>": 65 });
  assert.throws(() => new ByteBpeTokenizer(clash), /special token "<x>" reuses the id 65 of an ordinary token/);
  const duplicate = { ...handModel([]), tokens: [...BYTES, "a"] };
  assert.throws(() => new ByteBpeTokenizer(duplicate), /tokens 97 and 256 have the same bytes/);
});

test("PairTable: ranks of id pairs, Infinity when absent, grows past its initial size", () => {
  const table = new PairTable(2);
  for (let i = 0; i < 1000; i++) table.set(i, 1000 - i, i * 3);
  assert.equal(table.size, 1000);
  assert.equal(table.rank(10, 990), 30);
  assert.equal(table.rank(990, 10), 990 * 3);
  assert.equal(table.rank(10, 991), Infinity);
  table.set(10, 990, 7);
  assert.equal(table.rank(10, 990), 7);
  assert.equal(table.size, 1000);
  assert.equal(table.has(0, 1000), true);
  assert.throws(() => table.set(-1, 2, 3), /ids and value must be integers ≥ 0, got \(-1, 2\) → 3/);
});

test("a split pattern that can match nothing still moves on, dropping what it skips as tiktoken does", () => {
  const tok = new ByteBpeTokenizer({ ...handModel([]), pattern: String.raw`\p{L}*` });
  assert.equal(tok.decode(tok.encode("ab 😀cd")), "abcd");
  assert.deepEqual(splitPreTokens("ab 😀cd", String.raw`\p{L}+`), ["ab", "cd"]);
});
