import assert from "node:assert/strict";
import { test } from "node:test";
import { mobyDickSentences, sentencesOf } from "@llm-course/lib/embeddings";

test("sentencesOf: lower-case words per sentence, punctuation and numbers dropped, apostrophes kept inside words", () => {
  assert.deepEqual(sentencesOf("Call me Ishmael. Some years ago—never mind how long precisely!"), [
    ["call", "me", "ishmael"],
    ["some", "years", "ago", "never", "mind", "how", "long", "precisely"],
  ]);
  assert.deepEqual(sentencesOf("The whale’s jaw; 1851 'tis so?\n\nCHAPTER 2"), [["the", "whale's", "jaw", "tis", "so"], ["chapter"]]);
  assert.deepEqual(sentencesOf("... !"), []);
  assert.throws(() => sentencesOf(42 as unknown as string), /expected a string, got number/);
});

test("Moby-Dick as sentences: the whole book, or its beginning", () => {
  const all = mobyDickSentences();
  assert.equal(all.reduce((sum, s) => sum + s.length, 0), 216_509);
  const start = mobyDickSentences(1000);
  assert.equal(start.reduce((sum, s) => sum + s.length, 0), 1000);
  assert.deepEqual(start[0], all[0]);
});
