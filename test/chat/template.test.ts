import assert from "node:assert/strict";
import { before, test } from "node:test";
import { CALCULATOR_TOOL, CHAT_MODEL_DIR, CHAT_SPECIAL_TOKEN_LIST, CHAT_TEMPLATE, encodeChat, renderChat, type ChatMessage, type ChatTool } from "@llm-course/lib/chat";
import { loadTokenizer, type PretrainedTokenizer } from "@llm-course/lib/llm";
import { ByteBpeTokenizer } from "@llm-course/lib/tokenizers/byteBpe";
import * as fs from "node:fs";
import * as path from "node:path";

const weather: ChatTool = {
  type: "function",
  function: { name: "get_weather", description: "Météo d'une ville", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

const conversations: { label: string; messages: ChatMessage[]; tools?: ChatTool[] }[] = [
  { label: "one user message", messages: [{ role: "user", content: "Combien font 2 + 2 ?" }] },
  {
    label: "a reader prompt: years are one token, other numbers one per digit",
    messages: [{ role: "user", content: "Answer from these passages only.\n[State of the Union 2005 (George W Bush) (Republican)] In 1999, 21999 people…\nQuestion: Who gave the State of the Union address of 2005?" }],
  },
  {
    label: "system prompt and several turns",
    messages: [
      { role: "system", content: "Tu es un assistant concis." },
      { role: "user", content: "Bonjour !" },
      { role: "assistant", content: "Bonjour. Que puis-je faire ?" },
      { role: "user", content: 'Réponds en JSON : {"ok": true}' },
    ],
  },
  {
    label: "tools, a tool call with string arguments, the tool's answer",
    tools: [CALCULATOR_TOOL, weather],
    messages: [
      { role: "system", content: "Use the calculator for arithmetic." },
      { role: "user", content: "What is 347 * 29?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "calculator", arguments: '{"expression": "347*29"}' } }] },
      { role: "tool", content: "10063", tool_call_id: "call_1" },
      { role: "assistant", content: "The answer is 10063." },
      { role: "user", content: "Et à Paris, quel temps fait-il ?" },
    ],
  },
  {
    label: "tools without a system prompt, text and two calls in one turn",
    tools: [weather],
    messages: [
      { role: "user", content: "Paris et Lyon ?" },
      {
        role: "assistant",
        content: "Je regarde.",
        tool_calls: [
          { id: "a", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris"}' } },
          { id: "b", type: "function", function: { name: "get_weather", arguments: '{"city": "Lyon"}' } },
        ],
      },
      { role: "tool", content: "12 °C", tool_call_id: "a" },
      { role: "tool", content: "15 °C", tool_call_id: "b" },
    ],
  },
];

let hf: PretrainedTokenizer;
let ours: ByteBpeTokenizer;

before(async () => {
  hf = await loadTokenizer(CHAT_MODEL_DIR);
  ours = ByteBpeTokenizer.load(CHAT_MODEL_DIR);
});

test("tokenizer_config.json carries the chat template and the roles of the special tokens", () => {
  const config = JSON.parse(fs.readFileSync(path.join(CHAT_MODEL_DIR, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(config.chat_template, CHAT_TEMPLATE);
  assert.equal(config.eos_token, "<|end|>");
  assert.equal(config.pad_token, "<|endoftext|>");
  const generation = JSON.parse(fs.readFileSync(path.join(CHAT_MODEL_DIR, "generation_config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(generation.eos_token_id, 5, "generation stops at <|end|>");
});

for (const { label, messages, tools } of conversations) {
  test(`transformers.js apply_chat_template = renderChat, same ids, special tokens as single ids (${label})`, () => {
    for (const addGenerationPrompt of [true, false]) {
      const options = { add_generation_prompt: addGenerationPrompt, ...(tools ? { tools } : {}) };
      const text = hf.apply_chat_template(messages as unknown as Record<string, unknown>[], { ...options, tokenize: false });
      assert.equal(text, renderChat(messages, { tools, addGenerationPrompt }));
      // transformers.js returns the encoding ({ input_ids, attention_mask }) when it tokenizes.
      const encoded = hf.apply_chat_template(messages as unknown as Record<string, unknown>[], { ...options, tokenize: true, return_tensor: false }) as unknown as { input_ids: number[] };
      const ids = encoded.input_ids;
      assert.deepEqual(Array.from(ids, Number), encodeChat(ours, text as string), "transformers.js and lib/tokenizers give the same ids");
      // Each special token written in the text is exactly one id (its index in the list).
      CHAT_SPECIAL_TOKEN_LIST.forEach((token, id) => {
        const occurrences = (text as string).split(token).length - 1;
        assert.equal(ids.filter((x) => Number(x) === id).length, occurrences, `${token} → id ${id}`);
      });
    }
  });
}
