/**
 * MCP (Model Context Protocol): tools served by one process and used by another. The course tools are
 * exposed by an MCP server ({@link createMcpServer}; over stdio by `lib/agents/mcp-server-cli.ts`); a
 * client ({@link connectMcpStdio}, or {@link connectMcpInProcess} for a pair in the same process) lists
 * them, turns them into {@link AgentTool}s the agent loop calls like local ones, and into OpenAI `tools`.
 *
 * A server is another program: it may crash or hang. Every request has a time limit; a server that exits
 * or stops answering makes the call a {@link ToolFailure} that says so (with the end of its stderr), and
 * `close()` always ends the child process (SIGKILL when it does not exit by itself).
 */
import * as path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import type { ChatTool } from "../chat/template";
import { JsonSchemaError, validateJsonSchema, type JsonSchema } from "../sampling/json-constraint";
import { checkToolset, ToolFailure, ToolInputError, withoutDialect, withTimeout, type AgentTool, type ArgumentCheck } from "./tools";

/** The name and version a course MCP server announces. */
export const COURSE_MCP_SERVER = Object.freeze({ name: "llm-course-tools", version: "1.0.0" });

/**
 * An MCP server offering `tools`: tools/list gives each one's JSON Schema; tools/call validates the
 * arguments and runs the tool. A refused call (bad arguments, ToolInputError) is a result with
 * `isError: true` the model can read; a tool that breaks is a JSON-RPC error (the client's ToolFailure).
 */
export function createMcpServer(tools: readonly AgentTool[], info: { name: string; version: string } = COURSE_MCP_SERVER): Server {
  checkToolset(tools);
  const server = new Server(info, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.parameters as McpTool["inputSchema"] })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = tools.find((t) => t.name === request.params.name);
    const refuse = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });
    if (tool === undefined) return refuse(`unknown tool "${request.params.name}"; the tools are ${tools.map((t) => t.name).join(", ")}`);
    const check = tool.validate(request.params.arguments ?? {});
    if (!check.ok) return refuse(`invalid arguments for ${tool.name}: ${check.problems.join("; ")}`);
    try {
      return { content: [{ type: "text", text: await tool.run(check.value, extra.signal) }] };
    } catch (error) {
      if (error instanceof ToolInputError) return refuse(error.message);
      throw error;
    }
  });
  return server;
}

/** A client connected to an MCP server, with its tools. */
export interface McpConnection {
  /** The server's name and version, as it announced them. */
  readonly server: { name: string; version: string };
  /** The tools as the server listed them (MCP's shape: name, description, inputSchema). */
  readonly listed: readonly McpTool[];
  /** The same tools, callable by the agent loop (each call goes to the server). */
  readonly tools: readonly AgentTool[];
  /** The child process's id (stdio), null in process. */
  readonly pid: number | null;
  /** Ends the session and the child process; safe to call twice. */
  close(): Promise<void>;
}

/** Options shared by the connections. */
export interface McpClientOptions {
  /** The most milliseconds one request (connect, list, call) may take (default 10 s). */
  timeoutMs?: number;
}

/** Options of {@link connectMcpStdio}. */
export interface McpStdioOptions extends McpClientOptions {
  /** The most milliseconds for the process to start and answer initialize (default 30 s: node and tsx load first). */
  startTimeoutMs?: number;
  /** The program to start, e.g. process.execPath. */
  command: string;
  args?: readonly string[];
  /** Added to the minimal environment the SDK passes (PATH, HOME…). */
  env?: Record<string, string>;
  cwd?: string;
}

const DEFAULT_MCP_TIMEOUT_MS = 10_000;
const DEFAULT_MCP_START_TIMEOUT_MS = 30_000;
/** The stderr a failure message quotes. */
const STDERR_TAIL_CHARACTERS = 400;

/** The OpenAI `tools` entries of listed MCP tools: MCP's inputSchema is OpenAI's parameters (`$schema` dropped). */
export function mcpToolsToOpenAI(listed: readonly McpTool[]): ChatTool[] {
  return listed.map((tool) => ({ type: "function", function: { name: tool.name, description: tool.description ?? "", parameters: withoutDialect(tool.inputSchema) } }));
}

/** Checks arguments against a listed JSON Schema (lib/sampling's validator; a schema beyond its subset is left to the server). */
function schemaValidator(schema: Record<string, unknown>): (args: unknown) => ArgumentCheck {
  return (args) => {
    try {
      const violations = validateJsonSchema(args, schema as JsonSchema);
      if (violations.length === 0) return { ok: true, value: args };
      return { ok: false, problems: violations.map((v) => `${v.path.replace(/^\$\.?/, "") || "arguments"}: ${v.message}`) };
    } catch (error) {
      if (error instanceof JsonSchemaError) return { ok: true, value: args };
      throw error;
    }
  };
}

interface SessionState {
  /** Why the server is gone, once it is (exit, hang). */
  gone: string | null;
  stderr: string;
}

/** What a failure message adds about the server: its exit and the end of its stderr. */
function serverStory(state: SessionState): string {
  const tail = state.stderr.trim().slice(-STDERR_TAIL_CHARACTERS);
  return `${state.gone ? ` (${state.gone})` : ""}${tail ? `; its stderr ends with: ${tail}` : ""}`;
}

/** Lists the server's tools and wraps each as an AgentTool whose calls go to the server. */
async function openSession(client: Client, timeoutMs: number, state: SessionState, pid: number | null, stop: () => Promise<void>): Promise<McpConnection> {
  const fail = (what: string, error: unknown): ToolFailure =>
    new ToolFailure(`MCP server: ${what}: ${error instanceof Error ? error.message : String(error)}${serverStory(state)}`, { cause: error });
  let listed: McpTool[];
  try {
    listed = (await withTimeout(client.listTools(undefined, { timeout: timeoutMs }), timeoutMs + 100, "tools/list")).tools;
  } catch (error) {
    await stop();
    throw fail("tools/list failed", error);
  }
  const tools: AgentTool[] = listed.map((tool) => ({
    name: tool.name,
    description: tool.description ?? "",
    parameters: withoutDialect(tool.inputSchema),
    validate: schemaValidator(withoutDialect(tool.inputSchema)),
    async run(args: unknown, signal: AbortSignal): Promise<string> {
      if (state.gone !== null) throw fail(`cannot call ${tool.name}`, new Error("the server is gone"));
      let result: CallToolResult;
      try {
        // The SDK's own timeout, and ours a little later in case the transport never answers at all.
        const call = client.callTool({ name: tool.name, arguments: args as Record<string, unknown> }, undefined, { timeout: timeoutMs, signal });
        result = (await withTimeout(call, timeoutMs + 100, `tools/call ${tool.name}`, signal)) as CallToolResult;
      } catch (error) {
        if (signal.aborted) throw error;
        if (/timed? ?out/i.test(error instanceof Error ? error.message : "")) state.gone ??= `no answer within ${timeoutMs} ms`;
        throw fail(`${tool.name} did not complete`, error);
      }
      const text = result.content.map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join("\n");
      if (result.isError) throw new ToolInputError(text);
      return text;
    },
  }));
  const version = client.getServerVersion();
  return { server: { name: version?.name ?? "?", version: version?.version ?? "?" }, listed, tools, pid, close: stop };
}

/** Throws a clear error for a bad time limit. */
function timeoutOf(value: number | undefined, fallback: number, what: string): number {
  const timeoutMs = value ?? fallback;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`${what} must be a positive number of milliseconds, got ${timeoutMs}`);
  return timeoutMs;
}

/**
 * Starts an MCP server as a child process speaking JSON-RPC over its stdin/stdout, connects and lists its
 * tools. A server that cannot start, exits or does not answer within `timeoutMs` is a {@link ToolFailure}
 * naming what happened, and its process is ended.
 */
export async function connectMcpStdio(options: McpStdioOptions): Promise<McpConnection> {
  if (options === null || typeof options !== "object" || typeof options.command !== "string" || options.command === "") throw new TypeError("connectMcpStdio: options.command must be the program to start (e.g. process.execPath)");
  const timeoutMs = timeoutOf(options.timeoutMs, DEFAULT_MCP_TIMEOUT_MS, "connectMcpStdio: timeoutMs");
  const startTimeoutMs = timeoutOf(options.startTimeoutMs, DEFAULT_MCP_START_TIMEOUT_MS, "connectMcpStdio: startTimeoutMs");
  const transport = new StdioClientTransport({ command: options.command, args: [...(options.args ?? [])], ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}), stderr: "pipe" });
  const state: SessionState = { gone: null, stderr: "" };
  transport.stderr?.on("data", (chunk: Buffer) => {
    state.stderr = (state.stderr + chunk.toString("utf8")).slice(-4 * STDERR_TAIL_CHARACTERS);
  });
  const client = new Client({ name: "llm-course-agent", version: "1.0.0" });
  let pid: number | null = null;
  let closed = false;
  const stop = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    // A hung server would make the SDK wait 2 s before SIGTERM, then 2 s before SIGKILL: end it at once.
    if (state.gone !== null && pid !== null) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    state.gone ??= "closed by the client";
    await client.close().catch(() => undefined);
    await transport.close().catch(() => undefined);
  };
  client.onclose = () => {
    state.gone ??= "the server process exited";
  };
  try {
    await withTimeout(client.connect(transport, { timeout: startTimeoutMs }), startTimeoutMs + 100, "initialize");
  } catch (error) {
    pid = transport.pid;
    state.gone ??= `no answer to initialize within ${startTimeoutMs} ms`;
    await stop();
    throw new ToolFailure(`MCP server ${[options.command, ...(options.args ?? [])].map((a) => path.basename(a)).join(" ")} did not start: ${error instanceof Error ? error.message : String(error)}${serverStory(state)}`, { cause: error });
  }
  pid = transport.pid;
  return openSession(client, timeoutMs, state, pid, stop);
}

/** A server and a client in this process, linked by memory: MCP without a child process (the notebook's first look). */
export async function connectMcpInProcess(tools: readonly AgentTool[], options: McpClientOptions = {}): Promise<McpConnection> {
  const timeoutMs = timeoutOf(options.timeoutMs, DEFAULT_MCP_TIMEOUT_MS, "connectMcpInProcess: timeoutMs");
  const server = createMcpServer(tools);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "llm-course-agent", version: "1.0.0" });
  await client.connect(clientSide, { timeout: timeoutMs });
  const state: SessionState = { gone: null, stderr: "" };
  let closed = false;
  return openSession(client, timeoutMs, state, null, async () => {
    if (closed) return;
    closed = true;
    state.gone = "closed by the client";
    await client.close();
    await server.close();
  });
}

/** The command that starts the course tools' MCP server over stdio (node with tsx's require hook). */
export function courseMcpServerCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--require", require.resolve("tsx/cjs"), path.join(__dirname, "mcp-server-cli.ts")] };
}
