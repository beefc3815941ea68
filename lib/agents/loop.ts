/**
 * The agent loop (ReAct: Thought → Action → Observation, again, until an answer), through function calling:
 * each step asks the model for its next turn; a turn with tool calls is acted on and the observations go
 * back as `role: "tool"` messages; a turn without is the answer. Every step is traced, and the loop always
 * ends with a named stop:
 *   answer        the model answered;
 *   step-limit    `maxSteps` model turns without an answer (a loop, or a task too long);
 *   time-limit    the whole run passed `timeLimitMs` (a slow model or tool cannot hold it);
 *   tool-failure  a tool broke (crashed server, timeout): no other call can fix that;
 *   invalid-calls `maxInvalidCalls` wrong calls in a row (unknown tool, bad arguments, a repeated call):
 *                 each one was reported to the model first, so it could repair its call;
 *   model-error   the model's API refused the request (e.g. the prompt no longer fits its context).
 */
import type OpenAI from "openai";
import { CHAT_SPECIAL_TOKENS, type ChatMessage, type ChatTool } from "../chat/template";
import { callTool, checkToolset, TimeoutError, toolDefinition, withTimeout, type AgentTool, type ToolCallRequest } from "./tools";

/** One assistant turn: its text (the "thought", or the answer) and its tool calls. */
export interface AssistantTurn {
  content: string | null;
  toolCalls: ToolCallRequest[];
}

/** The model behind the loop: the conversation so far and the tools in, the next assistant turn out. */
export interface AgentModel {
  /** Shown in traces and tables ("chat-mini", "gpt-4o-mini"). */
  readonly name: string;
  respond(messages: readonly ChatMessage[], tools: readonly ChatTool[], signal: AbortSignal): Promise<AssistantTurn>;
}

/** Options of {@link openAIModel}. */
export interface OpenAIModelOptions {
  /** Default 0: the same run twice gives the same trace. */
  temperature?: number;
  /** Most tokens of one turn (default 120). */
  maxTokens?: number;
}

/** A model behind an OpenAI-compatible API (the course server or a provider), through the official SDK. */
export function openAIModel(client: OpenAI, model: string, options: OpenAIModelOptions = {}): AgentModel {
  if (client === null || typeof client !== "object" || typeof client.chat?.completions?.create !== "function") throw new TypeError("openAIModel: client must be an OpenAI SDK client (new OpenAI({ baseURL, apiKey }), or chatClient().client)");
  if (typeof model !== "string" || model === "") throw new TypeError("openAIModel: model must be a model id such as \"chat-mini\"");
  return {
    name: model,
    async respond(messages, tools, signal) {
      const completion = await client.chat.completions.create(
        {
          model,
          messages: messages as OpenAI.ChatCompletionMessageParam[],
          ...(tools.length > 0 ? { tools: tools as OpenAI.ChatCompletionTool[], tool_choice: "auto" as const } : {}),
          temperature: options.temperature ?? 0,
          max_tokens: options.maxTokens ?? 120,
        },
        { signal, maxRetries: 0 },
      );
      const message = completion.choices[0]?.message;
      if (message === undefined) throw new Error(`${model} returned no choice`);
      const toolCalls = (message.tool_calls ?? []).flatMap((call) => (call.type === "function" ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : []));
      return { content: message.content ?? null, toolCalls };
    },
  };
}

/** Why a run ended (see the module's comment). */
export type AgentStop = "answer" | "step-limit" | "time-limit" | "tool-failure" | "invalid-calls" | "model-error";

/** One line of a trace: a model turn (thought), and the action it took with its observation, if any. */
export interface AgentStep {
  /** The model turn this line belongs to (1, 2, …); a turn with two calls gives two lines. */
  turn: number;
  /** The turn's text next to a call (its reasoning), or the answer. */
  thought: string | null;
  /** The call, as the model wrote it. */
  action: { tool: string; arguments: string } | null;
  /** What the tool (or the guard rail) answered. */
  observation: string | null;
  /** "answer": no call; else the call's outcome. */
  status: "answer" | "ok" | "invalid" | "failed";
  /** Milliseconds of the model turn (and of the tool call, for an action). */
  ms: number;
}

/** The outcome of a run. */
export interface AgentRun {
  /** The final answer; null when the run stopped otherwise. */
  answer: string | null;
  stop: AgentStop;
  /** One sentence: why the run stopped. */
  reason: string;
  steps: AgentStep[];
  /** The whole conversation, tool messages included: what the model saw. */
  messages: ChatMessage[];
  /** Model turns taken. */
  turns: number;
  toolCalls: number;
  invalidCalls: number;
  /** Invalid calls followed by a valid call or an answer: the model repaired its call after the error message. */
  repairedCalls: number;
  seconds: number;
}

/** Options of {@link runAgent}. */
export interface AgentOptions {
  /** The tools the model may call (none: it must answer alone). */
  tools?: readonly AgentTool[];
  /** Prepended as the system message (default {@link DEFAULT_AGENT_SYSTEM} when there are tools). */
  system?: string | null;
  /** Most model turns (default 6). */
  maxSteps?: number;
  /** Most milliseconds for the whole run (default 60 s). */
  timeLimitMs?: number;
  /** Most milliseconds per tool call (default 10 s). */
  toolTimeoutMs?: number;
  /** Invalid calls in a row before giving up (default 2). */
  maxInvalidCalls?: number;
}

/** The system prompt with tools: chat-mini's calculator training used the same kind of sentence. */
export const DEFAULT_AGENT_SYSTEM = "You are a helpful assistant. Use the tools when they help, then answer briefly.";

const DEFAULTS = { maxSteps: 6, timeLimitMs: 60_000, toolTimeoutMs: 10_000, maxInvalidCalls: 2 };

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`runAgent: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** The conversation a run starts from: a question (with the system prompt) or the caller's messages. */
function startingMessages(input: string | readonly ChatMessage[], system: string | null): ChatMessage[] {
  if (typeof input === "string") {
    if (input.trim() === "") throw new TypeError("runAgent: the question is empty");
    return [...(system === null ? [] : [{ role: "system" as const, content: system }]), { role: "user", content: input }];
  }
  if (!Array.isArray(input) || input.length === 0) throw new TypeError("runAgent: input must be a question or a non-empty list of messages");
  return [...input];
}

/**
 * Runs the loop on `input` (a question, or a conversation) with `model` and `options.tools`. Never throws
 * for what a model, its API or a tool does: every ending is a {@link AgentRun} whose `stop` and `reason`
 * say why (only bad options throw).
 */
export async function runAgent(model: AgentModel, input: string | readonly ChatMessage[], options: AgentOptions = {}): Promise<AgentRun> {
  if (model === null || typeof model !== "object" || typeof model.respond !== "function") throw new TypeError("runAgent: model must be an AgentModel (openAIModel(client, id), or { name, respond })");
  const tools = options.tools ?? [];
  checkToolset(tools);
  const maxSteps = positiveInteger(options.maxSteps ?? DEFAULTS.maxSteps, "maxSteps");
  const timeLimitMs = positiveInteger(options.timeLimitMs ?? DEFAULTS.timeLimitMs, "timeLimitMs");
  const toolTimeoutMs = positiveInteger(options.toolTimeoutMs ?? DEFAULTS.toolTimeoutMs, "toolTimeoutMs");
  const maxInvalidCalls = positiveInteger(options.maxInvalidCalls ?? DEFAULTS.maxInvalidCalls, "maxInvalidCalls");
  const system = options.system === undefined ? (tools.length > 0 ? DEFAULT_AGENT_SYSTEM : null) : options.system;
  const messages = startingMessages(input, system);
  const definitions = tools.map(toolDefinition);

  const start = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new TimeoutError(`the run took more than ${timeLimitMs} ms`)), timeLimitMs);
  const steps: AgentStep[] = [];
  const done = new Map<string, string>();
  let toolCalls = 0;
  let invalidCalls = 0;
  let repairedCalls = 0;
  let invalidInARow = 0;
  let turns = 0;
  const finish = (stop: AgentStop, reason: string, answer: string | null = null): AgentRun => {
    clearTimeout(timer);
    return { answer, stop, reason, steps, messages, turns, toolCalls, invalidCalls, repairedCalls, seconds: (performance.now() - start) / 1000 };
  };

  try {
    while (turns < maxSteps) {
      turns++;
      const turnStart = performance.now();
      let turn: AssistantTurn;
      try {
        turn = await withTimeout(model.respond(messages, definitions, deadline.signal), timeLimitMs, `${model.name}'s turn`, deadline.signal);
      } catch (error) {
        if (deadline.signal.aborted) throw error;
        return finish("model-error", `${model.name} failed at turn ${turns}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const turnMs = performance.now() - turnStart;
      // A call the server could not parse comes back as text holding the call marker: a malformed call, not an answer.
      const malformed = turn.toolCalls.length === 0 && turn.content !== null && turn.content.includes(CHAT_SPECIAL_TOKENS.toolCallStart);
      if (turn.toolCalls.length === 0 && !malformed) {
        if (invalidInARow > 0) repairedCalls++;
        const answer = (turn.content ?? "").trim();
        messages.push({ role: "assistant", content: answer });
        steps.push({ turn: turns, thought: answer, action: null, observation: null, status: "answer", ms: turnMs });
        return finish("answer", `${model.name} answered after ${turns} turn${turns > 1 ? "s" : ""}`, answer);
      }
      if (malformed) {
        invalidCalls++;
        invalidInARow++;
        const observation = `Error: the tool call is malformed (write <tool_call>{"name": …, "arguments": {…}}</tool_call>): ${turn.content!.slice(0, 120)}`;
        // No call id to answer with a tool message: the error goes back as the next user message.
        messages.push({ role: "assistant", content: turn.content }, { role: "user", content: observation });
        steps.push({ turn: turns, thought: turn.content, action: null, observation, status: "invalid", ms: turnMs });
        if (invalidInARow >= maxInvalidCalls) return finish("invalid-calls", `${invalidInARow} invalid calls in a row; the last: ${observation}`);
        continue;
      }
      messages.push({ role: "assistant", content: turn.content, tool_calls: turn.toolCalls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } })) });
      let failure: string | null = null;
      let turnInvalid = false;
      for (const [i, call] of turn.toolCalls.entries()) {
        const callStart = performance.now();
        const key = `${call.name} ${call.arguments}`;
        // Guard rail: the same call again would give the same observation; a model doing it is looping.
        const outcome = done.has(key)
          ? { status: "invalid" as const, content: `Error: ${call.name} was already called with these arguments (it returned: ${done.get(key)}); use that result.` }
          : await callTool(tools, call, { timeoutMs: toolTimeoutMs, signal: deadline.signal });
        toolCalls++;
        if (outcome.status === "ok") done.set(key, outcome.content);
        if (outcome.status === "invalid") {
          invalidCalls++;
          turnInvalid = true;
        }
        messages.push({ role: "tool", content: outcome.content, tool_call_id: call.id });
        steps.push({ turn: turns, thought: i === 0 ? turn.content : null, action: { tool: call.name, arguments: call.arguments }, observation: outcome.content, status: outcome.status, ms: (i === 0 ? turnMs : 0) + performance.now() - callStart });
        if (outcome.status === "failed") {
          failure = outcome.content;
          break;
        }
      }
      if (failure !== null) return finish("tool-failure", failure);
      if (turnInvalid) {
        invalidInARow++;
        if (invalidInARow >= maxInvalidCalls) return finish("invalid-calls", `${invalidInARow} invalid calls in a row; the last: ${steps[steps.length - 1]!.observation}`);
      } else {
        if (invalidInARow > 0) repairedCalls++;
        invalidInARow = 0;
      }
    }
    return finish("step-limit", `no answer after ${maxSteps} turns (maxSteps)`);
  } catch (error) {
    if (deadline.signal.aborted) return finish("time-limit", `no answer within ${timeLimitMs} ms (timeLimitMs)`);
    clearTimeout(timer);
    throw error;
  }
}
