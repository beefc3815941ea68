/**
 * MCP: the course tools over stdio (a real child process) and in process; listed tools become OpenAI tools;
 * a server that crashes, hangs on a call or never answers is reported within its time limit, and its
 * process is gone afterwards.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { calculatorTool, connectMcpInProcess, connectMcpStdio, courseMcpServerCommand, COURSE_TOOLS, mcpToolsToOpenAI, runAgent, toolDefinition, ToolFailure, type AgentModel } from "../../lib/agents";

const BROKEN_SERVER = path.join(__dirname, "fixtures", "broken-mcp-server.ts");
const brokenServer = (mode: string) => ({ command: process.execPath, args: ["--require", require.resolve("tsx/cjs"), BROKEN_SERVER, mode] });

/** True while a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !alive(pid);
}

describe("MCP", () => {
  it("the course tools over stdio: listed as the OpenAI tools, called through the loop, the child ended on close", async () => {
    const connection = await connectMcpStdio({ ...courseMcpServerCommand(), timeoutMs: 30_000 });
    try {
      assert.deepEqual(connection.server, { name: "llm-course-tools", version: "1.0.0" });
      assert.deepEqual(mcpToolsToOpenAI(connection.listed), COURSE_TOOLS.map(toolDefinition));
      const model: AgentModel = {
        name: "scripted",
        respond: async (messages) =>
          messages.at(-1)!.role === "tool" ? { content: `= ${messages.at(-1)!.content}`, toolCalls: [] } : { content: null, toolCalls: [{ id: "c1", name: "calculator", arguments: '{"expression": "12*12"}' }] },
      };
      const run = await runAgent(model, "12*12?", { tools: connection.tools });
      assert.equal(run.answer, "= 144");
      // Validation happens on the client side too (the listed schema), and the server refuses bad values.
      const [calculator] = connection.tools;
      assert.equal(calculator!.validate({ expression: 3 }).ok, false);
      await assert.rejects(calculator!.run({ expression: "1/0" }, new AbortController().signal), /division by zero/);
    } finally {
      await connection.close();
    }
    assert.ok(await waitGone(connection.pid!), `the server process ${connection.pid} is still running`);
  });

  it("in process: the same tools, no child process", async () => {
    const connection = await connectMcpInProcess([calculatorTool]);
    assert.equal(connection.pid, null);
    assert.deepEqual(mcpToolsToOpenAI(connection.listed), [toolDefinition(calculatorTool)]);
    assert.equal(await connection.tools[0]!.run({ expression: "2+3" }, new AbortController().signal), "5");
    await connection.close();
    await connection.close();
  });

  it("a server that crashes during a call: a ToolFailure quoting its stderr, and the loop stops with tool-failure", async () => {
    const connection = await connectMcpStdio({ ...brokenServer("crash"), timeoutMs: 10_000 });
    try {
      const model: AgentModel = { name: "scripted", respond: async () => ({ content: null, toolCalls: [{ id: "c1", name: "echo", arguments: '{"text": "hi"}' }] }) };
      const run = await runAgent(model, "Echo hi.", { tools: connection.tools });
      assert.equal(run.stop, "tool-failure");
      assert.match(run.reason, /^Error: the tool echo failed: MCP server: echo did not complete: .*Connection closed/);
      assert.match(run.reason, /segmentation fault \(simulated\)/);
    } finally {
      await connection.close();
    }
    assert.ok(await waitGone(connection.pid!));
  });

  it("a server that hangs on a call: a ToolFailure after the time limit, and the process is killed", async () => {
    const connection = await connectMcpStdio({ ...brokenServer("hang"), timeoutMs: 300, startTimeoutMs: 30_000 });
    const started = Date.now();
    await assert.rejects(connection.tools[0]!.run({ text: "hi" }, new AbortController().signal), (error: unknown) => error instanceof ToolFailure && /echo did not complete: .*timed out/i.test(error.message));
    assert.ok(Date.now() - started < 3000);
    await connection.close();
    assert.ok(await waitGone(connection.pid!, 1000), "a hung server is killed at once");
  });

  it("a server that never answers initialize, or a program that is not a server: a clear error, nothing left running", async () => {
    await assert.rejects(connectMcpStdio({ ...brokenServer("silent"), startTimeoutMs: 1500 }), (error: unknown) => error instanceof ToolFailure && /silent did not start: .*(timed out|took more than)/i.test(error.message) && /no answer to initialize within 1500 ms/.test(error.message));
    await assert.rejects(connectMcpStdio({ command: process.execPath, args: ["-e", "console.error('no MCP here'); process.exit(2)"], timeoutMs: 5000 }), /did not start: .*Connection closed.*no MCP here/s);
    await assert.rejects(connectMcpStdio({ command: "/nonexistent/mcp-server", timeoutMs: 1000 }), /did not start: .*ENOENT/);
    await assert.rejects(connectMcpStdio({ command: "" }), /options.command must be the program to start/);
    await assert.rejects(connectMcpStdio({ command: "x", timeoutMs: -1 }), /timeoutMs must be a positive number of milliseconds, got -1/);
  });
});
