/**
 * Tools an agent can call: a name, a description and a JSON Schema of the arguments (written with zod and
 * converted by `z.toJSONSchema`, never by hand), arguments validated before the tool runs, and one way to
 * dispatch a model's call whose every outcome is a message the loop can send back or act on.
 *
 *   const add = defineTool({ name: "add", description: "Adds two integers.",
 *     parameters: z.object({ a: z.number().int(), b: z.number().int() }), run: ({ a, b }) => String(a + b) });
 *   await callTool([add], { id: "call_1", name: "add", arguments: '{"a": 2, "b": 3}' });   // { status: "ok", content: "5" }
 */
import { z } from "zod";
import type { ChatTool } from "../chat/template";

/** The tool's arguments were wrong (a value it refuses): the model can fix its call, so the loop tells it why. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolInputError";
  }
}

/** The tool itself failed (a crashed server, a timeout, a bug): no other call will fix it, so the loop stops. */
export class ToolFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ToolFailure";
  }
}

/** What validating a call's arguments gives: the value to run the tool with, or each problem found. */
export type ArgumentCheck = { ok: true; value: unknown } | { ok: false; problems: string[] };

/** A tool as the agent loop, the MCP server and the OpenAI `tools` list see it. */
export interface AgentTool {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object (no `$schema` key: OpenAI's `parameters`, MCP's `inputSchema`). */
  readonly parameters: Record<string, unknown>;
  /** Checks parsed JSON arguments; problems name the argument ("n: expected integer, got 3.5"). */
  validate(args: unknown): ArgumentCheck;
  /**
   * Runs on arguments `validate` accepted and returns the observation text. Throws {@link ToolInputError}
   * for a value the tool refuses (the model may repair its call); anything else is a failure of the tool.
   */
  run(args: unknown, signal: AbortSignal): Promise<string>;
}

/** A JSON Schema without its `$schema` dialect key: OpenAI's `parameters` and MCP's `inputSchema` do not carry one. */
export function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/** The names OpenAI accepts for a function (the course server checks the same pattern). */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws naming the problem when `name` is not a valid tool name. */
export function checkToolName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !TOOL_NAME_PATTERN.test(name)) {
    throw new TypeError(`tool name ${JSON.stringify(name)} is invalid: use 1 to 64 letters, digits, "_" or "-"`);
  }
}

/** What {@link defineTool} takes: the arguments as a zod object schema, and the function. */
export interface ToolSpec<Schema extends z.ZodObject> {
  name: string;
  description: string;
  parameters: Schema;
  run: (args: z.infer<Schema>, signal: AbortSignal) => string | Promise<string>;
}

/** One line per zod issue, naming the argument: "expression: expected string, received number". */
function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "arguments"}: ${issue.message}`);
}

/** A tool whose arguments are a zod object: its JSON Schema comes from `z.toJSONSchema`, its checks from zod. */
export function defineTool<Schema extends z.ZodObject>(spec: ToolSpec<Schema>): AgentTool {
  if (spec === null || typeof spec !== "object") throw new TypeError("defineTool: spec must be an object { name, description, parameters, run }");
  checkToolName(spec.name);
  if (typeof spec.description !== "string" || spec.description.trim() === "") throw new TypeError(`defineTool(${spec.name}): description must be a non-empty string (the model reads it to choose the tool)`);
  if (!(spec.parameters instanceof z.ZodObject)) throw new TypeError(`defineTool(${spec.name}): parameters must be a zod object schema such as z.object({ expression: z.string() })`);
  if (typeof spec.run !== "function") throw new TypeError(`defineTool(${spec.name}): run must be a function`);
  // "input" describes what the model must send (no additionalProperties: false for z.object, as OpenAI's own examples).
  const parameters = withoutDialect(z.toJSONSchema(spec.parameters, { io: "input" }) as Record<string, unknown>);
  return Object.freeze({
    name: spec.name,
    description: spec.description,
    parameters,
    validate(args: unknown): ArgumentCheck {
      const parsed = spec.parameters.safeParse(args);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: describeIssues(parsed.error) };
    },
    async run(args: unknown, signal: AbortSignal): Promise<string> {
      return spec.run(args as z.infer<Schema>, signal);
    },
  });
}

/** The OpenAI `tools` entry of a tool (what the chat template lists in the system prompt). */
export function toolDefinition(tool: AgentTool): ChatTool {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/** Throws naming the duplicate when two tools share a name (a model could not tell them apart). */
export function checkToolset(tools: readonly AgentTool[]): void {
  if (!Array.isArray(tools)) throw new TypeError("tools must be an array of AgentTool");
  const seen = new Set<string>();
  for (const tool of tools) {
    if (tool === null || typeof tool !== "object" || typeof tool.validate !== "function" || typeof tool.run !== "function") throw new TypeError("every tool must be an AgentTool (from defineTool or an MCP connection)");
    if (seen.has(tool.name)) throw new Error(`two tools are named "${tool.name}"`);
    seen.add(tool.name);
  }
}

/** A tool call as the model wrote it: `arguments` is the JSON text, unparsed. */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

/**
 * How a call ended. "ok": the observation; "invalid": the call was wrong (unknown tool, arguments not JSON
 * or not valid, a value the tool refused) and `content` tells the model why; "failed": the tool broke.
 */
export interface ToolOutcome {
  status: "ok" | "invalid" | "failed";
  /** The tool message's text: the result, or "Error: …" naming the problem. */
  content: string;
}

/** Options of {@link callTool}. */
export interface CallToolOptions {
  /** The most one call may take (default 10 s); past it the call is a failure. */
  timeoutMs?: number;
  /** Aborts the call (the agent's own deadline). */
  signal?: AbortSignal;
}

const DEFAULT_TOOL_TIMEOUT_MS = 10_000;

/** A wait that ran out of time. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * Settles with `promise`, or rejects when `signal` aborts or `ms` pass, whichever comes first — a callee that
 * ignores its signal cannot hold the caller. `what` names the wait in the timeout's message.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  if (!(ms > 0)) throw new RangeError(`${what}: the time limit must be > 0 ms, got ${ms}`);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} took more than ${ms} ms`)), ms);
    if (signal) {
      onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new TimeoutError(`${what} was aborted`));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
    if (signal && onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Runs one call: finds the tool, parses and validates the arguments, runs it under a time limit. Never
 * throws for the model's mistakes or the tool's failures: they come back as an outcome whose content says
 * what went wrong (only an abort of `signal` — the agent's deadline — propagates).
 */
export async function callTool(tools: readonly AgentTool[], call: ToolCallRequest, options: CallToolOptions = {}): Promise<ToolOutcome> {
  const tool = tools.find((t) => t.name === call.name);
  if (tool === undefined) {
    return { status: "invalid", content: `Error: unknown tool "${call.name}"; the tools are ${tools.map((t) => t.name).join(", ") || "(none)"}.` };
  }
  let args: unknown;
  try {
    args = JSON.parse(call.arguments);
  } catch {
    return { status: "invalid", content: `Error: the arguments of ${call.name} are not JSON: ${call.arguments.slice(0, 120)}` };
  }
  const check = tool.validate(args);
  if (!check.ok) return { status: "invalid", content: `Error: invalid arguments for ${call.name}: ${check.problems.join("; ")}.` };
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  try {
    return { status: "ok", content: await withTimeout(tool.run(check.value, controller.signal), timeoutMs, `tool ${call.name}`, options.signal) };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : error;
    controller.abort();
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ToolInputError) return { status: "invalid", content: `Error: ${call.name} refused the arguments: ${message}` };
    return { status: "failed", content: `Error: the tool ${call.name} failed: ${message}` };
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}
