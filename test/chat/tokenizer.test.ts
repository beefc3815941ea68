import assert from "node:assert/strict";
import { test } from "node:test";
import { CHAT_YEAR_TOKEN_COUNT, trainChatTokenizer } from "@llm-course/lib/chat";

const text = "the year 1999 was hard and 2005 too, people said hello again ".repeat(20);

test("year tokens: 4 two-digit prefixes (17 18 19 20), 40 three-digit ones, 400 years", () => {
  assert.equal(CHAT_YEAR_TOKEN_COUNT, 4 + 40 + 400);
  const tokenizer = trainChatTokenizer(text, 8 + 256 + CHAT_YEAR_TOKEN_COUNT + 10, { yearTokens: true });
  assert.equal(tokenizer.vocabSize, 8 + 256 + CHAT_YEAR_TOKEN_COUNT + 10);
});

test("a four-digit number from 1700 to 2099 is one token; other numbers keep one token per digit", () => {
  const tokenizer = trainChatTokenizer(text, 8 + 256 + CHAT_YEAR_TOKEN_COUNT + 10, { yearTokens: true });
  const pieces = (s: string) => tokenizer.encode(s).map((id) => tokenizer.decode([id]));
  assert.deepEqual(pieces("2005"), ["2005"]);
  assert.deepEqual(pieces("of 1790?"), ["o", "f", " ", "1790", "?"]);
  assert.deepEqual(pieces("45*40=1800."), ["4", "5", "*", "4", "0", "=", "1800", "."]);
  // Out of range, or part of a longer number: digit by digit.
  assert.deepEqual(pieces("1650 2100"), ["1", "6", "5", "0", " ", "2", "1", "0", "0"]);
  assert.deepEqual(pieces("21999"), ["2", "1", "9", "9", "9"]);
  assert.deepEqual(pieces("17000"), ["1", "7", "0", "0", "0"]);
  const s = "[State of the Union 2005 (George W Bush) (Republican)] In 1999, 21999 people.";
  assert.equal(tokenizer.decode(tokenizer.encode(s)), s);
});

test("without year tokens every digit is its own token", () => {
  const tokenizer = trainChatTokenizer(text, 264 + 10);
  assert.equal(tokenizer.encode("2005").length, 4);
});

test("a vocabulary too small for the year tokens is refused, naming them", () => {
  assert.throws(() => trainChatTokenizer(text, 264, { yearTokens: true }), /444 year tokens/);
});
