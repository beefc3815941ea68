/**
 * Scoring a model on the chat tasks' test prompts, greedily: exact match of the final answer, JSON validity
 * on the JSON task, tool-call validity on the calculator task. The model is any function from a
 * conversation to the assistant's next turn as text, so the same scoring runs on the course's tfjs GPT
 * (base or chat) and on anything served behind the OpenAI-compatible API.
 */
import type { GPT } from "../models/gpt/model";
import type { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { calculate } from "./calculator";
import { parseAssistantOutput, renderChat, type ChatMessage, type ChatTool } from "./template";
import { CHAT_TOKEN_IDS, encodeChat } from "./tokenizer";
import { promptMessages, type ChatExample, type ChatTaskName } from "./tasks/types";

/** Generates the assistant's next turn (its raw text, up to the stop token) for a conversation. */
export type ChatGenerator = (messages: readonly ChatMessage[], tools?: readonly ChatTool[]) => string;

/** Most tokens an answer may take (the longest expected answer is about 20 tokens). */
export const ANSWER_TOKENS = 48;

/**
 * Greedy generation with a course GPT and its chat tokenizer: the conversation rendered with the generation
 * prompt, decoded until `<|end|>` or `maxNewTokens`. Throws if the prompt leaves no room in the context.
 */
export function gptChatGenerator(model: GPT, tokenizer: ByteBpeTokenizer, maxNewTokens = ANSWER_TOKENS): ChatGenerator {
  return (messages, tools) => {
    const prompt = encodeChat(tokenizer, renderChat(messages, { tools, addGenerationPrompt: true }));
    if (prompt.length + maxNewTokens > model.config.blockSize) {
      throw new RangeError(`chat prompt of ${prompt.length} tokens + ${maxNewTokens} new tokens does not fit the context of ${model.config.blockSize}`);
    }
    const result = model.generate(prompt, { maxNewTokens, temperature: 0, stopTokenIds: [CHAT_TOKEN_IDS.end], decode: (ids) => tokenizer.decode(ids) });
    return result.text!;
  };
}

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

/** Scores every example; returns the outcomes in order. */
export function evaluateExamples(generate: ChatGenerator, examples: readonly ChatExample[]): PromptOutcome[] {
  return examples.map((example) => scoreExample(generate, example));
}
