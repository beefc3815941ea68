/**
 * The course chat model's conversation format: its special tokens, its Jinja chat template (the one written
 * to `tokenizer_config.json`, which transformers.js's `apply_chat_template` reads) and the parser that turns
 * what the model generates back into an OpenAI-style assistant message (text and `tool_calls`).
 *
 * A conversation renders as
 *
 *   <|system|>You are a helpful assistant.
 *   You can call these tools:
 *   {"name": "calculator", "description": "…", "parameters": {…}}<|end|>
 *   <|user|>Combien font 347 × 29 ?<|end|>
 *   <|assistant|><tool_call>{"name": "calculator", "arguments": {"expression": "347*29"}}</tool_call><|end|>
 *   <|tool|>10063<|end|>
 *   <|assistant|>347 × 29 = 10063.<|end|>
 *
 * and a model is asked to answer by ending the prompt on `<|assistant|>` (add_generation_prompt). It stops
 * at `<|end|>`. The same template renders the training conversations, so what the model learns is exactly
 * what the server sends it.
 */
import { Template } from "@huggingface/jinja";

/** The special tokens of the course chat model, one id each in its tokenizer. */
export const CHAT_SPECIAL_TOKENS = Object.freeze({
  /** Padding and the end of a pre-training document. */
  endOfText: "<|endoftext|>",
  system: "<|system|>",
  user: "<|user|>",
  assistant: "<|assistant|>",
  tool: "<|tool|>",
  /** Ends every message: the assistant's stop token. */
  end: "<|end|>",
  toolCallStart: "<tool_call>",
  toolCallEnd: "</tool_call>",
});

/** The special tokens in id order (ids 0…7 of the course chat tokenizer). */
export const CHAT_SPECIAL_TOKEN_LIST: readonly string[] = Object.freeze(Object.values(CHAT_SPECIAL_TOKENS));

/** The line between a system prompt and the tool list. */
export const TOOLS_HEADER = "You can call these tools:";

/**
 * The chat template (Jinja, as Hugging Face writes them). Roles: system, user, assistant (text and/or
 * `tool_calls`, OpenAI's string `arguments` or Hugging Face's object), tool. `tools` is OpenAI's list
 * (`{type: "function", function: {name, description, parameters}}`) or bare functions.
 */
export const CHAT_TEMPLATE = [
  "{%- set sys = none -%}",
  "{%- if messages and messages[0].role == 'system' -%}{%- set sys = messages[0].content -%}{%- endif -%}",
  "{%- if sys is not none or tools -%}",
  "<|system|>{%- if sys is not none -%}{{ sys }}{%- endif -%}",
  "{%- if tools -%}{%- if sys is not none -%}{{ \"\\n\" }}{%- endif -%}" + TOOLS_HEADER,
  "{%- for tool in tools -%}{{ \"\\n\" }}{%- if tool.function is defined %}{{ tool.function | tojson }}{% else %}{{ tool | tojson }}{%- endif -%}{%- endfor -%}",
  "{%- endif -%}<|end|>{{ \"\\n\" }}",
  "{%- endif -%}",
  "{%- for message in messages -%}",
  "{%- if message.role == 'system' -%}",
  "{%- if not loop.first -%}{{ raise_exception('a system message may only come first') }}{%- endif -%}",
  "{%- elif message.role == 'user' -%}<|user|>{{ message.content }}<|end|>{{ \"\\n\" }}",
  "{%- elif message.role == 'assistant' -%}<|assistant|>",
  "{%- if message.content -%}{{ message.content }}{%- endif -%}",
  "{%- if message.tool_calls -%}{%- for call in message.tool_calls -%}",
  "{%- set f = call.function if call.function is defined else call -%}",
  '<tool_call>{"name": {{ f.name | tojson }}, "arguments": {% if f.arguments is string %}{{ f.arguments }}{% else %}{{ f.arguments | tojson }}{% endif %}}</tool_call>',
  "{%- endfor -%}{%- endif -%}<|end|>{{ \"\\n\" }}",
  "{%- elif message.role == 'tool' -%}<|tool|>{{ message.content }}<|end|>{{ \"\\n\" }}",
  "{%- else -%}{{ raise_exception('unknown role: ' + message.role) }}",
  "{%- endif -%}",
  "{%- endfor -%}",
  "{%- if add_generation_prompt -%}<|assistant|>{%- endif -%}",
].join("");

/** A tool the model may call, as OpenAI's `tools` entries give it. */
export interface ChatTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** A tool call of an assistant message, in OpenAI's shape (`arguments` is a JSON string). */
export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** One message of a conversation, in OpenAI's chat shape. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: "tool"; content: string; tool_call_id?: string };

const ROLES = new Set(["system", "user", "assistant", "tool"]);

let compiled: Template | null = null;

/** Checks a conversation's shape; throws naming the first bad message. */
export function checkMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new TypeError("chat: messages must be a non-empty array of { role, content }");
  messages.forEach((message: unknown, i) => {
    if (message === null || typeof message !== "object") throw new TypeError(`chat: messages[${i}] must be an object { role, content }`);
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || !ROLES.has(role)) throw new TypeError(`chat: messages[${i}].role must be one of system, user, assistant, tool; got ${JSON.stringify(role)}`);
    const toolCalls = (message as { tool_calls?: unknown }).tool_calls;
    if (role === "assistant" ? content !== null && content !== undefined && typeof content !== "string" : typeof content !== "string") {
      throw new TypeError(`chat: messages[${i}].content must be a string${role === "assistant" ? " or null" : ""}`);
    }
    if (role === "assistant" && (content === null || content === undefined) && !(Array.isArray(toolCalls) && toolCalls.length > 0)) {
      throw new TypeError(`chat: messages[${i}] (assistant) has neither content nor tool_calls`);
    }
    if (role === "system" && i !== 0) throw new TypeError(`chat: messages[${i}] is a system message; a system message may only come first`);
  });
}

/**
 * The prompt text of a conversation, rendered by {@link CHAT_TEMPLATE} with `@huggingface/jinja` (the
 * engine transformers.js uses, so `tokenizer.apply_chat_template(messages, { tokenize: false })` gives the
 * same string). `addGenerationPrompt` (default true) ends the text on `<|assistant|>`.
 */
export function renderChat(messages: readonly ChatMessage[], options: { tools?: readonly ChatTool[]; addGenerationPrompt?: boolean } = {}): string {
  checkMessages(messages);
  compiled ??= new Template(CHAT_TEMPLATE);
  return compiled.render({
    messages: messages as unknown as Record<string, unknown>[],
    tools: options.tools && options.tools.length > 0 ? (options.tools as unknown as Record<string, unknown>[]) : null,
    add_generation_prompt: options.addGenerationPrompt ?? true,
    bos_token: "",
    eos_token: CHAT_SPECIAL_TOKENS.end,
  });
}

/** An assistant turn as generated text, split into its text and its tool calls. */
export interface ParsedAssistantOutput {
  /** The text outside tool calls, trimmed; null when there is none. */
  content: string | null;
  /** Well-formed calls: a JSON object with a string `name` and an object `arguments` (re-serialised). */
  toolCalls: { name: string; arguments: string }[];
  /** Why a `<tool_call>` block was rejected (bad JSON, no name, unclosed…), one line each. */
  invalidToolCalls: string[];
}

/**
 * Splits generated assistant text (what comes after `<|assistant|>`, up to `<|end|>`, which is dropped if
 * present) into text and `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks.
 */
export function parseAssistantOutput(text: string): ParsedAssistantOutput {
  if (typeof text !== "string") throw new TypeError("parseAssistantOutput: text must be a string");
  const { toolCallStart: open, toolCallEnd: close, end } = CHAT_SPECIAL_TOKENS;
  let rest = text.endsWith(end) ? text.slice(0, -end.length) : text;
  const toolCalls: ParsedAssistantOutput["toolCalls"] = [];
  const invalidToolCalls: string[] = [];
  const pieces: string[] = [];
  for (;;) {
    const start = rest.indexOf(open);
    if (start < 0) {
      pieces.push(rest);
      break;
    }
    pieces.push(rest.slice(0, start));
    const stop = rest.indexOf(close, start + open.length);
    const body = rest.slice(start + open.length, stop < 0 ? rest.length : stop);
    rest = stop < 0 ? "" : rest.slice(stop + close.length);
    if (stop < 0) {
      invalidToolCalls.push(`unclosed ${open}: ${body.slice(0, 80)}`);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      invalidToolCalls.push(`not JSON: ${body.slice(0, 80)}`);
      continue;
    }
    const call = parsed as { name?: unknown; arguments?: unknown };
    if (parsed === null || typeof parsed !== "object" || typeof call.name !== "string" || call.name === "") {
      invalidToolCalls.push(`no "name": ${body.slice(0, 80)}`);
    } else if (call.arguments === null || typeof call.arguments !== "object" || Array.isArray(call.arguments)) {
      invalidToolCalls.push(`"arguments" is not an object: ${body.slice(0, 80)}`);
    } else {
      toolCalls.push({ name: call.name, arguments: JSON.stringify(call.arguments) });
    }
  }
  const content = pieces.join("").trim();
  return { content: content === "" ? null : content, toolCalls, invalidToolCalls };
}
