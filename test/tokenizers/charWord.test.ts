import assert from "node:assert/strict";
import { test } from "node:test";
import { CharTokenizer, COURSE_SPECIAL_TOKENS, splitWords, WordTokenizer } from "@llm-course/lib/tokenizers";

test("character tokenizer: specials first, then characters by code point; unknown → <unk>", () => {
  const tok = CharTokenizer.fromText("hello 😀");
  assert.deepEqual(tok.vocab.tokens, ["<pad>", "<s>", "</s>", "<unk>", " ", "e", "h", "l", "o", "😀"]);
  assert.equal(tok.vocabSize, 10);
  assert.deepEqual(tok.encode("hello"), [6, 5, 7, 7, 8]);
  // The emoji is one character (one code point), not two UTF-16 halves; "z" is unknown.
  assert.deepEqual(tok.encode("😀 z"), [9, 4, 3]);
  assert.equal(tok.decode([6, 5, 7, 7, 8, 4, 9]), "hello 😀");
  assert.equal(tok.decode([1, 6, 3, 2]), "<s>h<unk></s>");
  assert.equal(tok.decode([1, 6, 2, 0], { skipSpecialTokens: true }), "h");
  assert.equal(tok.specialTokenId("<pad>"), 0);
  assert.equal(tok.specialTokenId("h"), undefined);
  // "<s>" in the text is three characters, not the special token.
  assert.deepEqual(tok.encode("<s>"), [3, 3, 3]);
});

test("character tokenizer errors name the problem", () => {
  const tok = CharTokenizer.fromText("ab");
  assert.throws(() => tok.encode(12 as unknown as string), /encode\(\) expects a string, got number/);
  assert.throws(() => tok.encode("a\uDC00"), /lone surrogate U\+DC00 at index 1/);
  assert.throws(() => tok.decode([99]), /id 99 at index 0 is outside the vocabulary \(size 6\)/);
  assert.throws(() => tok.decode([1.5]), /integer token ids ≥ 0, got number at index 0/);
  const strict = new CharTokenizer(["a", "b"], { specialTokens: [] });
  assert.throws(() => strict.encode("abc"), /"c" \(character U\+0063 at index 2\) is not in the vocabulary, and the vocabulary has no <unk> token/);
  assert.throws(() => new CharTokenizer(["ab"]), /chars\[0\] must be a single character, got "ab"/);
  assert.deepEqual(COURSE_SPECIAL_TOKENS, ["<pad>", "<s>", "</s>", "<unk>"]);
});

test("splitWords cuts words and punctuation (the seeds' example sentence)", () => {
  assert.deepEqual(splitWords("J'adore le traitement automatique du langage."), [
    "J", "'", "adore", "le", "traitement", "automatique", "du", "langage", ".",
  ]);
  assert.deepEqual(splitWords("Le chat mange une souris !", { lowercase: true }), ["le", "chat", "mange", "une", "souris", "!"]);
  assert.deepEqual(splitWords("  \n "), []);
});

test("word tokenizer: vocabulary by frequency, min frequency, <unk>, lossy decoding", () => {
  const text = "le chat mange. le chien mange. le chat dort.";
  const tok = WordTokenizer.fromText(text, { minFrequency: 2 });
  // Counts: le 3, . 3, chat 2, mange 2, chien 1, dort 1 → ties keep order of first appearance.
  assert.deepEqual(tok.vocab.tokens.slice(4), ["le", ".", "chat", "mange"]);
  assert.deepEqual(tok.encode("le chien mange."), [4, 3, 7, 5]);
  assert.equal(tok.decode(tok.encode("le chat mange.")), "le chat mange .");
  const all = WordTokenizer.fromText(text);
  assert.equal(all.vocabSize, 4 + 6);
  const capped = WordTokenizer.fromText(text, { maxWords: 2 });
  assert.deepEqual(capped.vocab.tokens.slice(4), ["le", "."]);
  const lower = WordTokenizer.fromText("Le LE le", { lowercase: true });
  assert.deepEqual(lower.encode("LE"), [4]);
  assert.throws(() => WordTokenizer.fromText(text, { minFrequency: 0 }), /minFrequency must be an integer ≥ 1, got 0/);
});
