/**
 * Tools: zod schemas become the JSON Schemas OpenAI and MCP expect, arguments are validated before a tool
 * runs, and every way a call can go wrong is an outcome naming the problem; the course tools' values.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { CALCULATOR_TOOL } from "../../lib/chat/calculator";
import { addDaysTool, calculatorTool, callTool, COURSE_TOOLS, daysBetweenTool, defineTool, frenchNumberTool, sotuSearchTool, toolDefinition, ToolFailure, withTimeout } from "../../lib/agents";

const run = (tool: typeof calculatorTool, args: string) => callTool([tool], { id: "call_1", name: tool.name, arguments: args });

describe("defineTool", () => {
  it("writes the JSON Schema from zod: the calculator is listed exactly as chat-mini's training data lists it", () => {
    assert.deepEqual(toolDefinition(calculatorTool), CALCULATOR_TOOL);
    assert.deepEqual(frenchNumberTool.parameters, {
      type: "object",
      properties: { n: { type: "integer", minimum: 0, maximum: 999999, description: "the integer to write in words" } },
      required: ["n"],
    });
  });

  it("refuses a bad name, an empty description or parameters that are not a zod object", () => {
    const run = () => "x";
    assert.throws(() => defineTool({ name: "two words", description: "d", parameters: z.object({}), run }), /tool name "two words" is invalid/);
    assert.throws(() => defineTool({ name: "t", description: " ", parameters: z.object({}), run }), /description must be a non-empty string/);
    assert.throws(() => defineTool({ name: "t", description: "d", parameters: { type: "object" } as never, run }), /parameters must be a zod object schema/);
  });

  it("validation names each bad argument", () => {
    assert.deepEqual(frenchNumberTool.validate({ n: 3 }), { ok: true, value: { n: 3 } });
    const check = frenchNumberTool.validate({ n: 3.5 });
    assert.equal(check.ok, false);
    assert.match((check as { problems: string[] }).problems.join(), /^n: .*int/);
    assert.match((daysBetweenTool.validate({ from: "2026-01-01" }) as { problems: string[] }).problems.join(), /^to: /);
  });
});

describe("callTool", () => {
  it("runs a valid call", async () => {
    assert.deepEqual(await run(calculatorTool, '{"expression": "347*29"}'), { status: "ok", content: "10063" });
    assert.deepEqual(await run(frenchNumberTool, '{"n": 71}'), { status: "ok", content: "soixante et onze" });
  });

  it("reports an unknown tool, arguments that are not JSON, invalid arguments and a refused value as invalid", async () => {
    const unknown = await callTool(COURSE_TOOLS, { id: "c", name: "weather", arguments: "{}" });
    assert.equal(unknown.status, "invalid");
    assert.match(unknown.content, /unknown tool "weather"; the tools are calculator, number_to_french, sotu_search, add_days, days_between/);
    assert.deepEqual(await run(calculatorTool, "{expression: 1+1}"), { status: "invalid", content: "Error: the arguments of calculator are not JSON: {expression: 1+1}" });
    const invalid = await run(frenchNumberTool, '{"n": 1000000}');
    assert.equal(invalid.status, "invalid");
    assert.match(invalid.content, /^Error: invalid arguments for number_to_french: n: /);
    assert.deepEqual(await run(calculatorTool, '{"expression": "1/0"}'), { status: "invalid", content: 'Error: calculator refused the arguments: calculator: division by zero in "1/0"' });
    assert.match((await run(addDaysTool, '{"date": "2026-02-30", "days": 1}')).content, /date: 2026-02-30 is not a day of the calendar/);
  });

  it("a tool that throws or outlives its time limit failed", async () => {
    const broken = defineTool({ name: "broken", description: "Always fails.", parameters: z.object({}), run: () => { throw new Error("disk full"); } });
    assert.deepEqual(await run(broken, "{}"), { status: "failed", content: "Error: the tool broken failed: disk full" });
    const slow = defineTool({ name: "slow", description: "Never ends.", parameters: z.object({}), run: () => new Promise<string>(() => undefined) });
    const started = Date.now();
    const outcome = await callTool([slow], { id: "c", name: "slow", arguments: "{}" }, { timeoutMs: 50 });
    assert.deepEqual(outcome, { status: "failed", content: "Error: the tool slow failed: tool slow took more than 50 ms" });
    assert.ok(Date.now() - started < 1000);
  });

  it("withTimeout rejects a bad limit", async () => {
    await assert.rejects(withTimeout(Promise.resolve(1), 0, "x"), /the time limit must be > 0 ms/);
    assert.equal(new ToolFailure("f").name, "ToolFailure");
  });
});

describe("the course tools", () => {
  it("dates: forwards, backwards, across a leap day", async () => {
    assert.equal((await run(addDaysTool, '{"date": "2028-02-28", "days": 2}')).content, "2028-03-01");
    assert.equal((await run(addDaysTool, '{"date": "2026-01-01", "days": -1}')).content, "2025-12-31");
    assert.equal((await run(daysBetweenTool, '{"from": "2026-03-01", "to": "2027-03-01"}')).content, "365");
    assert.equal((await run(daysBetweenTool, '{"from": "2028-03-01", "to": "2028-02-01"}')).content, "-29");
  });

  it("the State of the Union search finds a year's speech and its president", async () => {
    const found = await run(sotuSearchTool, '{"query": "State of the Union", "year": 1962, "k": 1}');
    assert.equal(found.status, "ok");
    assert.match(found.content, /^\[1\] 1962, John F Kennedy: /);
    const free = await run(sotuSearchTool, '{"query": "space moon landing"}');
    assert.equal(free.content.split("\n").length, 3);
    assert.equal((await run(sotuSearchTool, '{"query": "zzzqqq"}')).content, "No passage matches these keywords.");
    assert.equal((await run(sotuSearchTool, '{"query": "x", "year": 1700}')).status, "invalid");
  });
});
