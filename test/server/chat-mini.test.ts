/**
 * The course chat model behind the server, as TP10 and TP14 use it: served by default, calling the
 * calculator on its own (tool_choice auto) and answering with the tool's result, forced calls, the spam task
 * in JSON under response_format, and French streamed through a byte-level tokenizer without a broken
 * character.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, jsonSchema, stepCountIs, tool } from "ai";
import OpenAI from "openai";
import { calculate, CALCULATOR_TOOL } from "../../lib/chat/calculator";
import { calculatorExamples } from "../../lib/chat/tasks/calculator";
import { Random } from "../../lib/random";
import { validateJsonSchema } from "../../lib/sampling/json-constraint";
import { startServer, type RunningServer } from "../../lib/server";

let server: RunningServer;
let client: OpenAI;

before(async () => {
  server = await startServer({ quiet: true });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "local", maxRetries: 0 });
});

after(async () => {
  await server?.close();
});

describe("chat-mini on the server", () => {
  it("is served by default, with gpt-moby and bert-tiny", () => {
    assert.deepEqual(server.models, ["chat-mini", "gpt-moby", "bert-tiny"]);
  });

  it("calls the calculator on its own, then answers with the tool's result", async () => {
    // Held-out test conversations of the calculator task (the model scores 92 % on them, report.json): every
    // first turn must be a well-formed call the tool accepts, every second turn a final answer; the model's
    // own mistakes (a miscopied operand) are its score, not the server's, so one right answer is asked for.
    const examples = calculatorExamples("test", 4, new Random(5));
    let right = 0;
    for (const example of examples) {
      const messages = example.messages.slice(0, 2) as OpenAI.ChatCompletionMessageParam[];
      const first = await client.chat.completions.create({ model: "chat-mini", messages, tools: [CALCULATOR_TOOL], temperature: 0, max_tokens: 60 });
      assert.equal(first.choices[0]!.finish_reason, "tool_calls", JSON.stringify(first.choices[0]!.message));
      const call = first.choices[0]!.message.tool_calls![0]!;
      assert.ok(call.type === "function" && call.function.name === "calculator");
      const { expression } = JSON.parse(call.function.arguments) as { expression: string };
      const result = calculate(expression);
      const second = await client.chat.completions.create({
        model: "chat-mini",
        messages: [...messages, first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: result }],
        tools: [CALCULATOR_TOOL],
        temperature: 0,
        max_tokens: 60,
      });
      assert.equal(second.choices[0]!.finish_reason, "stop");
      if (second.choices[0]!.message.content === example.expected) right++;
    }
    assert.ok(right >= 1, `no test question answered right out of ${examples.length}`);
  });

  it("runs a tool loop through the AI SDK: the calculator is called, executed, and its result answered", async () => {
    const example = calculatorExamples("test", 1, new Random(6))[0]!;
    const provider = createOpenAICompatible({ name: "course", baseURL: server.baseURL });
    const result = await generateText({
      model: provider("chat-mini"),
      system: example.messages[0]!.content as string,
      prompt: example.messages[1]!.content as string,
      temperature: 0,
      maxOutputTokens: 60,
      tools: {
        calculator: tool({
          description: CALCULATOR_TOOL.function.description,
          inputSchema: jsonSchema<{ expression: string }>(CALCULATOR_TOOL.function.parameters as never),
          execute: async ({ expression }) => calculate(expression),
        }),
      },
      stopWhen: stepCountIs(2),
    });
    // Two steps: the call, executed by the SDK with the model's own expression, then the answer on its result.
    assert.equal(result.steps.length, 2);
    const [call] = result.steps[0]!.toolCalls;
    assert.equal(call?.toolName, "calculator");
    assert.deepEqual(result.steps[0]!.toolResults.map((r) => r.output), [calculate((call!.input as { expression: string }).expression)]);
    assert.match(result.text, /\d/, `a final answer with the result: ${result.text}`);
  });

  it("a forced call is well formed, also streamed; one cut by max_tokens comes back as text with finish_reason length", async () => {
    // Greedy: a sampled call has no length limit (the calculator's expression is any string), and about one
    // in forty samples rambles past max_tokens, which is the case asserted last, on purpose.
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Bonjour !" }];
    const named = { type: "function" as const, function: { name: "calculator" } };
    const forced = await client.chat.completions.create({ model: "chat-mini", messages, tools: [CALCULATOR_TOOL], tool_choice: named, temperature: 0, max_tokens: 60 });
    assert.equal(forced.choices[0]!.finish_reason, "tool_calls");
    const call = forced.choices[0]!.message.tool_calls?.[0];
    assert.ok(call?.type === "function" && call.function.name === "calculator");
    assert.deepEqual(validateJsonSchema(JSON.parse(call.function.arguments), CALCULATOR_TOOL.function.parameters!), []);
    const streamed = await client.chat.completions.stream({ model: "chat-mini", messages, tools: [CALCULATOR_TOOL], tool_choice: "required", temperature: 0, max_tokens: 60 }).finalChatCompletion();
    assert.deepEqual(streamed.choices[0]!.message.tool_calls?.map((c) => c.type === "function" && c.function), [call.function]);
    const cut = await client.chat.completions.create({ model: "chat-mini", messages, tools: [CALCULATOR_TOOL], tool_choice: named, temperature: 0, max_tokens: 4 });
    assert.equal(cut.choices[0]!.finish_reason, "length");
    assert.equal(cut.choices[0]!.message.tool_calls, undefined);
    assert.ok(call.function.arguments.length > 0 && `{"name": "calculator", "arguments": ${call.function.arguments}}`.startsWith(cut.choices[0]!.message.content!), `the cut call's text: ${cut.choices[0]!.message.content}`);
  });

  it("answers the spam task in JSON, under response_format json_schema", async () => {
    const schema = { type: "object", properties: { label: { enum: ["spam", "ham"] } }, required: ["label"], additionalProperties: false };
    const answer = await client.chat.completions.create({
      model: "chat-mini",
      messages: [
        { role: "system", content: 'Classify the email as spam or ham. Answer in JSON: {"label": "spam"} or {"label": "ham"}.' },
        { role: "user", content: "Subject: CLICK HERE to earn $$$ from home!!! Limited offer, act now." },
      ],
      response_format: { type: "json_schema", json_schema: { name: "label", schema } },
      max_tokens: 20,
    });
    assert.deepEqual(validateJsonSchema(JSON.parse(answer.choices[0]!.message.content!), schema), []);
  });

  it("streams French without a broken character", async () => {
    const request = {
      model: "chat-mini",
      messages: [
        { role: "system" as const, content: "Tu es un assistant. Utilise la calculatrice pour les calculs." },
        { role: "user" as const, content: "Combien font 12 + 30 ?" },
        { role: "assistant" as const, content: null, tool_calls: [{ id: "call_0", type: "function" as const, function: { name: "calculator", arguments: '{"expression": "12+30"}' } }] },
        { role: "tool" as const, tool_call_id: "call_0", content: "42" },
      ],
      tools: [CALCULATOR_TOOL],
      temperature: 0,
      max_tokens: 40,
    };
    const whole = (await client.chat.completions.create(request)).choices[0]!.message.content ?? "";
    let streamed = "";
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
      const piece = chunk.choices[0]?.delta.content ?? "";
      assert.ok(!piece.includes("\uFFFD"), JSON.stringify(piece));
      streamed += piece;
    }
    assert.equal(streamed.trim(), whole);
    assert.match(whole, /é/);
  });
});
