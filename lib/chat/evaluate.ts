/**
 * Scoring a model on the chat tasks' test prompts, greedily: exact match of the final answer, JSON validity
 * on the JSON task, tool-call validity on the calculator task. The model is any function from a
 * conversation to the assistant's next turn as text, so the same scoring runs on the course's tfjs GPT
 * while it trains (base or chat, one prompt at a time) and on its exported ONNX graph behind the server's
 * generation engine, which batches every prompt in flight ({@link engineChatGenerator}: how the build
 * scores chat-mini, on the graph the server serves).
 */
import type { GPT } from "../models/gpt/model";
import { jsonConstraint, tokenByteTable, type JsonSchema } from "../sampling/json-constraint";
import { createEngine } from "../server/engine";
import type { GenerationEngine } from "../server/types";
import type { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { calculate } from "./calculator";
import { parseAssistantOutput, renderChat, type ChatMessage, type ChatTool } from "./template";
import { CHAT_TOKEN_IDS, encodeChat } from "./tokenizer";
import { promptMessages, type ChatExample, type ChatTaskName } from "./tasks/types";

/** Generates the assistant's next turn (its raw text, up to the stop token) for a conversation. */
export type ChatGenerator = (messages: readonly ChatMessage[], tools?: readonly ChatTool[]) => string;

/** A {@link ChatGenerator} that answers later: many conversations can be in flight at once (batched). */
export type AsyncChatGenerator = (messages: readonly ChatMessage[], tools?: readonly ChatTool[]) => Promise<string>;

/** Most tokens an answer may take (the longest expected answer is about 20 tokens). */
export const ANSWER_TOKENS = 48;

/** The rendered prompt's ids, after checking that at least one new token fits the context. */
function promptIds(contextLength: number, tokenizer: ByteBpeTokenizer, messages: readonly ChatMessage[], tools?: readonly ChatTool[]): number[] {
  const prompt = encodeChat(tokenizer, renderChat(messages, { tools, addGenerationPrompt: true }));
  if (prompt.length >= contextLength) throw new RangeError(`chat prompt of ${prompt.length} tokens leaves no room in the context of ${contextLength}`);
  return prompt;
}

/**
 * Greedy generation with a course GPT and its chat tokenizer: the conversation rendered with the generation
 * prompt, decoded until `<|end|>`, `maxNewTokens`, or the end of the context (as the exported ONNX model,
 * which has no position past it).
 */
export function gptChatGenerator(model: GPT, tokenizer: ByteBpeTokenizer, maxNewTokens = ANSWER_TOKENS): ChatGenerator {
  return (messages, tools) => {
    const prompt = promptIds(model.config.blockSize, tokenizer, messages, tools);
    const room = Math.min(maxNewTokens, model.config.blockSize - prompt.length);
    const result = model.generate(prompt, { maxNewTokens: room, temperature: 0, stopTokenIds: [CHAT_TOKEN_IDS.end], decode: (ids) => tokenizer.decode(ids) });
    return result.text!;
  };
}

/**
 * Greedy generation through a generation engine (lib/server/engine: an exported ONNX graph, the prompts in
 * flight batched together), as the server answers at temperature 0: until `<|end|>`, `maxNewTokens` or
 * the end of the context. With `schema`, under JSON-constrained decoding (lib/sampling/json-constraint,
 * what the server does for `response_format`): the most likely token among those that keep the text a
 * prefix of a JSON value of the schema, `<|end|>` only once the value is complete.
 */
export function engineChatGenerator(engine: GenerationEngine, tokenizer: ByteBpeTokenizer, options: { maxNewTokens?: number; schema?: JsonSchema } = {}): AsyncChatGenerator {
  const { maxNewTokens = ANSWER_TOKENS, schema } = options;
  const table = schema === undefined ? null : tokenByteTable(tokenizer);
  const stopTokenIds = [CHAT_TOKEN_IDS.end];
  return async (messages, tools) => {
    const prompt = promptIds(engine.contextLength, tokenizer, messages, tools);
    const handle = engine.submit({
      promptIds: prompt,
      maxTokens: maxNewTokens,
      sampling: { temperature: 0, topP: 1, topK: 0 },
      stopTokenIds,
      topLogprobs: 0,
      ...(table === null ? {} : { constraint: jsonConstraint(table, { schema, stopTokenIds }) }),
    });
    const ids: number[] = [];
    for await (const token of handle.tokens) ids.push(token.id);
    await handle.finished;
    return tokenizer.decode(ids);
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
export async function scoreExample(generate: ChatGenerator | AsyncChatGenerator, example: ChatExample): Promise<PromptOutcome> {
  const prompt = promptMessages(example);
  const first = await generate(prompt, example.tools);
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
    const output = finalText(await generate(followUp, example.tools));
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

/**
 * Scores the JSON task's examples under constrained decoding with {@link SPAM_LABEL_SCHEMA}: `generate` is
 * an {@link engineChatGenerator} given the schema.
 */
export async function constrainedJsonScore(generate: AsyncChatGenerator, examples: readonly ChatExample[]): Promise<ConstrainedJsonScore> {
  const outputs = await Promise.all(examples.map((example) => generate(promptMessages(example))));
  let valid = 0;
  let right = 0;
  outputs.forEach((output, i) => {
    if (!isLabelJson(output)) return;
    valid++;
    if ((JSON.parse(output) as { label: string }).label === (JSON.parse(examples[i]!.expected) as { label: string }).label) right++;
  });
  const share = (count: number) => Number((count / examples.length).toFixed(4));
  return { n: examples.length, jsonValidity: share(valid), labelAccuracy: share(right) };
}

/** Scores every example, all in flight at once (an engine batches them); returns the outcomes in order. */
export function evaluateExamples(generate: ChatGenerator | AsyncChatGenerator, examples: readonly ChatExample[]): Promise<PromptOutcome[]> {
  return Promise.all(examples.map((example) => scoreExample(generate, example)));
}

/** What {@link evaluateChatFolder} measures: every test prompt's outcome, and the JSON task under constrained decoding. */
export interface ChatFolderEvaluation {
  outcomes: PromptOutcome[];
  constrainedJson: ConstrainedJsonScore;
}

/** Most sequences in one forward pass of the evaluation's engine (the server's default is 8). */
const EVALUATION_BATCH = 32;

/**
 * Scores an exported chat model folder on the test prompts, greedily, through the server's generation
 * engine: every task ({@link evaluateExamples}) and the JSON task under constrained decoding ({@link constrainedJsonScore}).
 */
export async function evaluateChatFolder(folder: string, tokenizer: ByteBpeTokenizer, tests: readonly ChatExample[]): Promise<ChatFolderEvaluation> {
  const engine = await createEngine(folder, { maxBatch: EVALUATION_BATCH, maxQueue: 2 * tests.length });
  try {
    const outcomes = await evaluateExamples(engineChatGenerator(engine, tokenizer), tests);
    const constrainedJson = await constrainedJsonScore(engineChatGenerator(engine, tokenizer, { schema: SPAM_LABEL_SCHEMA }), tests.filter((e) => e.task === "spam-json"));
    return { outcomes, constrainedJson };
  } finally {
    await engine.close();
  }
}
