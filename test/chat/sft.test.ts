import assert from "node:assert/strict";
import { test } from "node:test";
import { assistantMask, CALCULATOR_TOOL, CHAT_TOKEN_IDS, conversationTokens, COPY_LINE_NAMES, copyingDocuments, packConversations, textTokens, trainChatTokenizer, type ChatMessage } from "@llm-course/lib/chat";
import { loadNames } from "@llm-course/lib/data";
import { Random } from "@llm-course/lib/random";

// No merges (256 bytes + 8 special tokens): every character is one id, so the expected mask is written by hand.
const bytes = trainChatTokenizer("abc", 264);
const ch = (text: string) => Array.from(Buffer.from(text, "utf8"), (b) => bytes.encode(String.fromCharCode(b))[0]!);

test("the chat tokenizer: special tokens at ids 0…7, bytes after them", () => {
  assert.deepEqual(CHAT_TOKEN_IDS, { endOfText: 0, system: 1, user: 2, assistant: 3, tool: 4, end: 5, toolCallStart: 6, toolCallEnd: 7 });
  assert.equal(bytes.vocabSize, 264);
  assert.deepEqual(bytes.encode("<|user|>Hi", { allowedSpecial: "all" }), [2, ...ch("Hi")]);
  assert.equal(bytes.decode([3, ...ch("Yo"), 5]), "<|assistant|>Yo<|end|>");
});

test("loss mask: 1 on the assistant's tokens and its <|end|>, 0 on the roles, the user's text and the newlines", () => {
  const { ids, mask } = conversationTokens(bytes, [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Yo" },
  ]);
  //            <|user|>  H  i  <|end|> \n  <|assistant|>  Y  o  <|end|>  \n
  assert.deepEqual(ids, [2, ...ch("Hi"), 5, ...ch("\n"), 3, ...ch("Yo"), 5, ...ch("\n")]);
  assert.deepEqual(mask, [0, 0, 0, 0, 0, 0, 1, 1, 1, 0]);
});

test("loss mask of a tool conversation: the call and the final answer are learned, the tool's result is not", () => {
  const messages: ChatMessage[] = [
    { role: "user", content: "2+3?" },
    { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "calculator", arguments: '{"expression": "2+3"}' } }] },
    { role: "tool", content: "5" },
    { role: "assistant", content: "5." },
  ];
  const { ids, mask } = conversationTokens(bytes, messages, [CALCULATOR_TOOL]);
  const learned = bytes.decode(ids.filter((_, i) => mask[i] === 1));
  assert.equal(learned, '<tool_call>{"name": "calculator", "arguments": {"expression": "2+3"}}</tool_call><|end|>5.<|end|>');
  // The tool's message (<|tool|>5<|end|>) is all 0.
  const toolStart = ids.indexOf(CHAT_TOKEN_IDS.tool);
  assert.deepEqual(mask.slice(toolStart, toolStart + 3), [0, 0, 0]);
  assert.deepEqual(assistantMask([1, 3, 9, 5, 3, 9]), [0, 0, 1, 1, 0, 1], "an unfinished answer stays masked in");
});

test("packing: whole conversations per row, <|endoftext|> padding with weight 0, weights aligned with the targets", () => {
  const a = { ids: [2, 10, 5, 3, 11, 5], mask: [0, 0, 0, 0, 1, 1] };
  const b = { ids: [2, 12, 5, 3, 13, 5], mask: [0, 0, 0, 0, 1, 1] };
  const tooLong = { ids: new Array(20).fill(9), mask: new Array(20).fill(1) };
  const { data, conversations, dropped } = packConversations([a, b, tooLong, a], 8);
  assert.equal(conversations, 3);
  assert.equal(dropped, 1);
  assert.equal(data.size, 3, "a and b do not fit together in 9 ids");
  assert.deepEqual(Array.from(data.ids.subarray(0, 9)), [2, 10, 5, 3, 11, 5, 0, 0, 0]);
  // Target t is ids[t + 1]: the weights are the mask shifted by one.
  assert.deepEqual(Array.from(data.weights.subarray(0, 8)), [0, 0, 0, 1, 1, 0, 0, 0]);
});

test("plain text mixed into fine-tuning: every token in the loss but the first, closed by <|endoftext|>", () => {
  const { ids, mask } = textTokens(bytes, "In 1844");
  assert.deepEqual(ids, [...ch("In 1844"), CHAT_TOKEN_IDS.endOfText]);
  assert.deepEqual(mask, [0, 1, 1, 1, 1, 1, 1, 1]);
});

test("copying documents: a line of 6–35 names, the same line again and <|endoftext|>; the loss on the second copy but its first token", () => {
  const names = new Set(loadNames());
  const docs = copyingDocuments(bytes, 50, new Random(3));
  assert.equal(docs.length, 50);
  const counts = new Set<number>();
  for (const { ids, mask } of docs) {
    const L = (ids.length - 1) / 2;
    assert.ok(Number.isInteger(L));
    assert.deepEqual(ids.slice(L, 2 * L), ids.slice(0, L));
    assert.equal(ids.at(-1), CHAT_TOKEN_IDS.endOfText);
    assert.deepEqual(mask, ids.map((_, i) => (i > L && i < 2 * L ? 1 : 0)));
    const line = bytes.decode(ids.slice(0, L));
    assert.ok(line.endsWith("\n"));
    const words = line.trim().split(" ");
    assert.ok(words.length >= COPY_LINE_NAMES.min && words.length <= COPY_LINE_NAMES.max, `${words.length} names`);
    assert.ok(words.every((w) => names.has(w.toLowerCase())), line);
    counts.add(words.length);
  }
  assert.ok(counts.size > 10, "line lengths vary");
  assert.deepEqual(copyingDocuments(bytes, 3, new Random(3)), docs.slice(0, 3));
  assert.throws(() => copyingDocuments(bytes, -1, new Random(3)), /count must be an integer ≥ 0, got -1/);
});
