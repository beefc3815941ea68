import assert from "node:assert/strict";
import { test } from "node:test";
import { CharTokenizer, encodeBatch, fromTiktoken, padBatch, trainByteBpe } from "@llm-course/lib/tokenizers";

// Ids: <pad>=0 <s>=1 </s>=2 <unk>=3, then a=4 b=5 c=6.
const tok = CharTokenizer.fromText("abc");

test("pad to the longest sequence, on the right, with the tokenizer's <pad>", () => {
  assert.deepEqual(encodeBatch(tok, ["abc", "a", "ba"]), {
    inputIds: [[4, 5, 6], [4, 0, 0], [5, 4, 0]],
    attentionMask: [[1, 1, 1], [1, 0, 0], [1, 1, 0]],
  });
  assert.deepEqual(encodeBatch(tok, ["abc", "a"], { paddingSide: "left" }), {
    inputIds: [[4, 5, 6], [0, 0, 4]],
    attentionMask: [[1, 1, 1], [0, 0, 1]],
  });
  assert.deepEqual(encodeBatch(tok, ["", "b"]), { inputIds: [[0], [5]], attentionMask: [[0], [1]] });
  assert.deepEqual(encodeBatch(tok, []), { inputIds: [], attentionMask: [] });
});

test("pad to max length, truncate right or left, keep <s> and </s>", () => {
  assert.deepEqual(encodeBatch(tok, ["abcab", "a"], { padding: "max_length", maxLength: 4, truncation: true }), {
    inputIds: [[4, 5, 6, 4], [4, 0, 0, 0]],
    attentionMask: [[1, 1, 1, 1], [1, 0, 0, 0]],
  });
  assert.deepEqual(encodeBatch(tok, ["abcab", "a"], { maxLength: 3, truncation: "left" }), {
    inputIds: [[6, 4, 5], [4, 0, 0]],
    attentionMask: [[1, 1, 1], [1, 0, 0]],
  });
  // Room is kept for <s> and </s>: the text is cut to maxLength - 2 tokens.
  assert.deepEqual(encodeBatch(tok, ["abcab", "c"], { addBos: true, addEos: true, maxLength: 4, truncation: "right", padding: "max_length" }), {
    inputIds: [[1, 4, 5, 2], [1, 6, 2, 0]],
    attentionMask: [[1, 1, 1, 1], [1, 1, 1, 0]],
  });
  assert.deepEqual(encodeBatch(tok, ["ab", "c"], { padding: false, addEos: true }), {
    inputIds: [[4, 5, 2], [6, 2]],
    attentionMask: [[1, 1, 1], [1, 1]],
  });
});

test("padBatch works on ids, with any pad id; errors say what to change", () => {
  assert.deepEqual(padBatch([[5, 6, 7], [8]], { padId: 0 }), {
    inputIds: [[5, 6, 7], [8, 0, 0]],
    attentionMask: [[1, 1, 1], [1, 0, 0]],
  });
  assert.deepEqual(padBatch([[5, 6, 7], [8]], { padId: 99, padding: "max_length", maxLength: 5, paddingSide: "left" }), {
    inputIds: [[99, 99, 5, 6, 7], [99, 99, 99, 99, 8]],
    attentionMask: [[0, 0, 1, 1, 1], [0, 0, 0, 0, 1]],
  });
  assert.throws(() => padBatch([[1, 2, 3]], { padId: 0, padding: "max_length", maxLength: 2 }), /sequence 0 has 3 tokens, more than maxLength allows \(2\); set truncation/);
  assert.throws(() => padBatch([[1]], { padId: 0, truncation: true }), /truncation needs maxLength/);
  assert.throws(() => padBatch([[1]], { padId: 0, padding: "max_length" }), /padding: "max_length" needs maxLength/);
  assert.throws(() => padBatch([[1]], { padId: -1 }), /padId must be an integer ≥ 0, got -1/);
  assert.throws(() => encodeBatch(tok, ["a"], { addBos: true, addEos: true, maxLength: 1, truncation: true }), /maxLength must be an integer ≥ 2, got 1/);
});

test("the pad id comes from the tokenizer; tiktoken vocabularies have none", () => {
  const bpe = trainByteBpe("la souris rit sous la pluie", 270);
  const batch = encodeBatch(bpe, ["la", "la souris"]);
  const pad = bpe.specialTokenId("<pad>")!;
  assert.equal(pad, 266);
  assert.deepEqual(batch.inputIds[0].slice(bpe.encode("la").length), new Array(batch.inputIds[1].length - bpe.encode("la").length).fill(pad));
  const cl100k = fromTiktoken("cl100k_base");
  assert.throws(() => encodeBatch(cl100k, ["a"]), /the tokenizer has no <pad> token; pass \{ padId \}/);
  assert.deepEqual(encodeBatch(cl100k, ["We live", "We"], { padId: 100257 }), {
    inputIds: [[1687, 3974], [1687, 100257]],
    attentionMask: [[1, 1], [1, 0]],
  });
});
