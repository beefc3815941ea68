/**
 * The agent loop with scripted models (no network, exact traces): each stop — answer, step limit, time
 * limit, tool failure, invalid calls repaired or given up, model error — and the repeated-call guard rail.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { calculatorTool, defineTool, frenchNumberTool, runAgent, type AgentModel, type AssistantTurn } from "../../lib/agents";
import type { ChatMessage } from "../../lib/chat/template";

/** A model that plays its turns in order (the last one again if asked more) and records what it saw. */
function scripted(turns: AssistantTurn[]): AgentModel & { seen: ChatMessage[][] } {
  const seen: ChatMessage[][] = [];
  return {
    name: "scripted",
    seen,
    async respond(messages) {
      seen.push([...messages]);
      return turns[Math.min(seen.length - 1, turns.length - 1)]!;
    },
  };
}

const call = (name: string, args: unknown, id = "call_1") => ({ id, name, arguments: JSON.stringify(args) });
const tools = [calculatorTool, frenchNumberTool];

describe("runAgent", () => {
  it("acts, observes, then answers: trace, messages and counts", async () => {
    const model = scripted([
      { content: "I need the product.", toolCalls: [call("calculator", { expression: "37*24" })] },
      { content: null, toolCalls: [call("number_to_french", { n: 888 }, "call_2")] },
      { content: "huit cent quatre-vingt-huit", toolCalls: [] },
    ]);
    const run = await runAgent(model, "Compute 37 times 24 in French words.", { tools });
    assert.equal(run.stop, "answer");
    assert.equal(run.answer, "huit cent quatre-vingt-huit");
    assert.equal(run.turns, 3);
    assert.equal(run.toolCalls, 2);
    assert.equal(run.invalidCalls, 0);
    assert.deepEqual(run.steps.map((s) => [s.turn, s.thought, s.action?.tool ?? null, s.observation, s.status]), [
      [1, "I need the product.", "calculator", "888", "ok"],
      [2, null, "number_to_french", "huit cent quatre-vingt-huit", "ok"],
      [3, "huit cent quatre-vingt-huit", null, null, "answer"],
    ]);
    // What the model saw at its last turn: system, question, then each call and its tool message.
    assert.deepEqual(model.seen[2]!.map((m) => m.role), ["system", "user", "assistant", "tool", "assistant", "tool"]);
    assert.deepEqual(model.seen[2]![3], { role: "tool", content: "888", tool_call_id: "call_1" });
  });

  it("stops at the step limit when the model never answers", async () => {
    let n = 0;
    const model: AgentModel = { name: "looper", respond: async () => ({ content: null, toolCalls: [call("calculator", { expression: `${++n}+1` })] }) };
    const run = await runAgent(model, "Count forever.", { tools, maxSteps: 3 });
    assert.equal(run.stop, "step-limit");
    assert.equal(run.reason, "no answer after 3 turns (maxSteps)");
    assert.equal(run.turns, 3);
    assert.equal(run.answer, null);
  });

  it("stops at the time limit, even when the model ignores the abort", async () => {
    const model: AgentModel = { name: "sleeper", respond: () => new Promise(() => undefined) };
    const started = Date.now();
    const run = await runAgent(model, "Hello?", { timeLimitMs: 100 });
    assert.equal(run.stop, "time-limit");
    assert.equal(run.reason, "no answer within 100 ms (timeLimitMs)");
    assert.ok(Date.now() - started < 2000);
  });

  it("stops on a tool failure, reporting it", async () => {
    const broken = defineTool({ name: "broken", description: "Fails.", parameters: z.object({}), run: () => { throw new Error("database offline"); } });
    const model = scripted([{ content: null, toolCalls: [call("broken", {})] }, { content: "never asked", toolCalls: [] }]);
    const run = await runAgent(model, "Use it.", { tools: [broken] });
    assert.equal(run.stop, "tool-failure");
    assert.equal(run.reason, "Error: the tool broken failed: database offline");
    assert.equal(model.seen.length, 1);
  });

  it("an invalid call is reported to the model, which repairs it", async () => {
    const model = scripted([
      { content: null, toolCalls: [call("calculator", { expr: "2+2" })] },
      { content: null, toolCalls: [call("calculator", { expression: "2+2" }, "call_2")] },
      { content: "4", toolCalls: [] },
    ]);
    const run = await runAgent(model, "2+2?", { tools });
    assert.equal(run.stop, "answer");
    assert.equal(run.invalidCalls, 1);
    assert.equal(run.repairedCalls, 1);
    assert.match(run.steps[0]!.observation!, /^Error: invalid arguments for calculator: expression: /);
    // The model saw the error as the call's tool message.
    assert.equal(model.seen[1]!.at(-1)!.role, "tool");
    assert.match(model.seen[1]!.at(-1)!.content!, /invalid arguments for calculator/);
  });

  it("gives up after maxInvalidCalls invalid calls in a row (unknown tool, malformed call)", async () => {
    const unknown = await runAgent(scripted([{ content: null, toolCalls: [call("weather", { city: "Paris" })] }]), "Weather?", { tools, maxInvalidCalls: 2 });
    assert.equal(unknown.stop, "invalid-calls");
    assert.equal(unknown.invalidCalls, 2);
    assert.match(unknown.reason, /^2 invalid calls in a row; the last: Error: unknown tool "weather"/);
    // A call the server could not parse comes back as text with the call marker.
    const malformed = await runAgent(scripted([{ content: '<tool_call>{"name": "calculator", "arguments": {"expression": "1+', toolCalls: [] }]), "1+1?", { tools, maxInvalidCalls: 1 });
    assert.equal(malformed.stop, "invalid-calls");
    assert.match(malformed.steps[0]!.observation!, /the tool call is malformed/);
  });

  it("guard rail: the same call twice is not run again, the model is told to use the result", async () => {
    const model = scripted([
      { content: null, toolCalls: [call("calculator", { expression: "6*7" })] },
      { content: null, toolCalls: [call("calculator", { expression: "6*7" }, "call_2")] },
      { content: "42", toolCalls: [] },
    ]);
    const run = await runAgent(model, "6*7?", { tools });
    assert.equal(run.stop, "answer");
    assert.equal(run.steps[1]!.status, "invalid");
    assert.equal(run.steps[1]!.observation, "Error: calculator was already called with these arguments (it returned: 42); use that result.");
  });

  it("a model whose API refuses the request ends the run with model-error", async () => {
    const model: AgentModel = { name: "tiny", respond: async () => { throw new Error("400 This model's maximum context length is 256 tokens"); } };
    const run = await runAgent(model, "Hi", { tools });
    assert.equal(run.stop, "model-error");
    assert.equal(run.reason, "tiny failed at turn 1: 400 This model's maximum context length is 256 tokens");
  });

  it("refuses bad options with a clear error", async () => {
    const model = scripted([{ content: "ok", toolCalls: [] }]);
    await assert.rejects(runAgent(model, "", {}), /the question is empty/);
    await assert.rejects(runAgent(model, "q", { maxSteps: 0 }), /maxSteps must be a positive integer, got 0/);
    await assert.rejects(runAgent(model, "q", { tools: [calculatorTool, calculatorTool] }), /two tools are named "calculator"/);
    await assert.rejects(runAgent({} as AgentModel, "q"), /model must be an AgentModel/);
    // Without tools there is no system prompt unless asked.
    await runAgent(model, "q");
    assert.deepEqual(model.seen.at(-1), [{ role: "user", content: "q" }]);
  });
});
