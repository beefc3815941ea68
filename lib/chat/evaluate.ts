/**
 * Scoring a model on the chat tasks' test prompts, greedily: exact match of the final answer, JSON validity
 * on the JSON task, tool-call validity on the calculator task. The model is any function from a
 * conversation to the assistant's next turn as text, so the same scoring runs on the course's tfjs GPT
 * (base or chat) and on anything served behind the OpenAI-compatible API.
 */
import type { GPT } from "../models/gpt/model";
import { jsonConstraint, tokenByteTable, type JsonSchema } from "../sampling/json-constraint";
import type { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { calculate } from "./calculator";
import { parseAssistantOutput, renderChat, type ChatMessage, type ChatTool } from "./template";
import { CHAT_TOKEN_IDS, encodeChat } from "./tokenizer";
import { promptMessages, type ChatExample, type ChatTaskName } from "./tasks/types";

/** Generates the assistant's next turn (its raw text, up to the stop token) for a conversation. */
export type ChatGenerator = (messages: readonly ChatMessage[], tools?: readonly ChatTool[]) => string;

/** Most tokens an answer may take (the longest expected answer is about 20 tokens). */
export const ANSWER_TOKENS = 48;

/** The rendered prompt's ids, after checking that at least one new token fits the context. */
function promptIds(model: GPT, tokenizer: ByteBpeTokenizer, messages: readonly ChatMessage[], tools?: readonly ChatTool[]): number[] {
  const prompt = encodeChat(tokenizer, renderChat(messages, { tools, addGenerationPrompt: true }));
  if (prompt.length >= model.config.blockSize) throw new RangeError(`chat prompt of ${prompt.length} tokens leaves no room in the context of ${model.config.blockSize}`);
  return prompt;
}

/**
 * Greedy generation with a course GPT and its chat tokenizer: the conversation rendered with the generation
 * prompt, decoded until `<|end|>`, `maxNewTokens`, or the end of the context (as the exported ONNX model,
 * which has no position past it).
 */
export function gptChatGenerator(model: GPT, tokenizer: ByteBpeTokenizer, maxNewTokens = ANSWER_TOKENS): ChatGenerator {
  return (messages, tools) => {
    const prompt = promptIds(model, tokenizer, messages, tools);
    const room = Math.min(maxNewTokens, model.config.blockSize - prompt.length);
    const result = model.generate(prompt, { maxNewTokens: room, temperature: 0, stopTokenIds: [CHAT_TOKEN_IDS.end], decode: (ids) => tokenizer.decode(ids) });
    return result.text!;
  };
}

/**
 * Greedy generation under JSON-constrained decoding (lib/sampling/json-constraint, what the server does for
 * `response_format`): at each step the most likely token among those that keep the text a prefix of a JSON
 * value of `schema` (any JSON object without one); `<|end|>` only once the value is complete.
 */
export function gptJsonGenerator(model: GPT, tokenizer: ByteBpeTokenizer, schema?: JsonSchema, maxNewTokens = ANSWER_TOKENS): ChatGenerator {
  const table = tokenByteTable(tokenizer);
  const mask = new Uint8Array(model.config.vocabSize);
  return (messages, tools) => {
    const prompt = promptIds(model, tokenizer, messages, tools);
    const constraint = jsonConstraint(table, { schema, stopTokenIds: [CHAT_TOKEN_IDS.end] });
    const session = model.decodingSession(true);
    const generated: number[] = [];
    try {
      let feed = prompt;
      for (let step = 0; step < maxNewTokens && prompt.length + step < model.config.blockSize; step++) {
        const logits = session.next(feed);
        constraint.allowed(mask);
        let best = -1;
        for (let id = 0; id < mask.length; id++) if (mask[id] === 1 && (best < 0 || logits[id]! > logits[best]!)) best = id;
        if (best < 0 || best === CHAT_TOKEN_IDS.end) break;
        constraint.advance(best);
        generated.push(best);
        feed = [best];
      }
    } finally {
      session.dispose();
    }
    return tokenizer.decode(generated);
  };
}

/** The schema of the JSON task's answer, for constrained decoding. */
export const SPAM_LABEL_SCHEMA: JsonSchema = Object.freeze({
  type: "object",
  properties: { label: { type: "string", enum: ["spam", "ham"] } },
  required: ["label"],
  additionalProperties: false,
});

/** What a model did on one test prompt. */
export interface PromptOutcome {
  task: ChatTaskName;
  expected: string;
  /** The final answer's text (after the tool's result, for the calculator), trimmed; "" when none. */
  output: string;
  exact: boolean;
  /** JSON task: the answer parses as {"label": "spam" | "ham"}. */
  validJson?: boolean;
  /** Calculator task: the first turn is exactly one well-formed calculator call with a string expression. */
  validToolCall?: boolean;
  /** Calculator task: the first turn's raw text (the call). */
  call?: string;
}

/** Figures of one task. */
export interface TaskScore {
  n: number;
  exactMatch: number;
  jsonValidity?: number;
  toolCallValidity?: number;
}

/** True when `text` is a JSON object whose `label` is "spam" or "ham". */
export function isLabelJson(text: string): boolean {
  try {
    const value = JSON.parse(text) as { label?: unknown };
    return value !== null && typeof value === "object" && (value.label === "spam" || value.label === "ham");
  } catch {
    return false;
  }
}

function finalText(raw: string): string {
  return parseAssistantOutput(raw).content ?? "";
}

/** Runs one test example through `generate` (with the calculator loop for tool calls) and scores it. */
export function scoreExample(generate: ChatGenerator, example: ChatExample): PromptOutcome {
  const prompt = promptMessages(example);
  const first = generate(prompt, example.tools);
  if (example.task === "calculator") {
    const parsed = parseAssistantOutput(first);
    const call = parsed.toolCalls[0];
    const expression = call === undefined ? undefined : (JSON.parse(call.arguments) as { expression?: unknown }).expression;
    const validToolCall = parsed.toolCalls.length === 1 && parsed.invalidToolCalls.length === 0 && call!.name === "calculator" && typeof expression === "string";
    if (!validToolCall) return { task: example.task, expected: example.expected, output: parsed.content ?? "", exact: false, validToolCall, call: first };
    let result: string;
    try {
      result = calculate(expression as string);
    } catch (error) {
      result = `error: ${(error as Error).message}`;
    }
    const followUp: ChatMessage[] = [
      ...prompt,
      { role: "assistant", content: null, tool_calls: [{ id: "call_0", type: "function", function: { name: call!.name, arguments: call!.arguments } }] },
      { role: "tool", content: result, tool_call_id: "call_0" },
    ];
    const output = finalText(generate(followUp, example.tools));
    return { task: example.task, expected: example.expected, output, exact: output === example.expected, validToolCall, call: first };
  }
  const output = finalText(first);
  const outcome: PromptOutcome = { task: example.task, expected: example.expected, output, exact: output === example.expected };
  if (example.task === "spam-json") outcome.validJson = isLabelJson(output);
  return outcome;
}

/** The figures of a list of outcomes of one task. */
export function taskScore(outcomes: readonly PromptOutcome[]): TaskScore {
  const share = (count: number) => Number((count / outcomes.length).toFixed(4));
  const score: TaskScore = { n: outcomes.length, exactMatch: share(outcomes.filter((o) => o.exact).length) };
  if (outcomes.some((o) => o.validJson !== undefined)) score.jsonValidity = share(outcomes.filter((o) => o.validJson).length);
  if (outcomes.some((o) => o.validToolCall !== undefined)) score.toolCallValidity = share(outcomes.filter((o) => o.validToolCall).length);
  return score;
}

/** Figures of the JSON task under constrained decoding: valid JSON of the schema, and the right label. */
export interface ConstrainedJsonScore {
  n: number;
  jsonValidity: number;
  labelAccuracy: number;
}

/** Scores the JSON task's examples with {@link gptJsonGenerator} and {@link SPAM_LABEL_SCHEMA}. */
export function constrainedJsonScore(model: GPT, tokenizer: ByteBpeTokenizer, examples: readonly ChatExample[]): ConstrainedJsonScore {
  const generate = gptJsonGenerator(model, tokenizer, SPAM_LABEL_SCHEMA);
  let valid = 0;
  let right = 0;
  for (const example of examples) {
    const output = generate(promptMessages(example));
    if (!isLabelJson(output)) continue;
    valid++;
    if ((JSON.parse(output) as { label: string }).label === (JSON.parse(example.expected) as { label: string }).label) right++;
  }
  const share = (count: number) => Number((count / examples.length).toFixed(4));
  return { n: examples.length, jsonValidity: share(valid), labelAccuracy: share(right) };
}

/** Scores every example; returns the outcomes in order. */
export function evaluateExamples(generate: ChatGenerator, examples: readonly ChatExample[]): PromptOutcome[] {
  return examples.map((example) => scoreExample(generate, example));
}
