/**
 * Real clients against the server: the official `openai` SDK, LangChain.js `ChatOpenAI` and the Vercel AI
 * SDK's OpenAI-compatible provider. The generation engine is scripted ("say:<text>" in the last message is
 * what the model answers) so that tool calls can be checked end to end; engine.test.ts runs the real one.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ChatOpenAI } from "@langchain/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { embed, embedMany, generateText, jsonSchema, streamText, tool } from "ai";
import OpenAI from "openai";
import { PATHS } from "../../lib/env";
import { loadTokenizer, type PretrainedTokenizer } from "../../lib/llm/models";
import { startServer, type RunningServer } from "../../lib/server";
import type { GenerationRequest } from "../../lib/server/types";
import { makeChatFixture, scriptedEngine } from "./helpers";

let fixture: ReturnType<typeof makeChatFixture>;
let tokenizer: PretrainedTokenizer;
let server: RunningServer;
let client: OpenAI;

function script(request: GenerationRequest): number[] {
  const prompt = tokenizer.decode([...request.promptIds]);
  const said = /say:(.*?)(<\|end\|>|$)/s.exec(prompt);
  return tokenizer.encode(said ? said[1]! : "Call me Ishmael.", { add_special_tokens: false });
}

const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  },
};
const WEATHER_CALL = 'say:Checking. <tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>';

before(async () => {
  fixture = makeChatFixture();
  tokenizer = await loadTokenizer(fixture.folder);
  server = await startServer({
    models: [fixture.folder, path.join(PATHS.data, "models", "bert-tiny")],
    createEngine: (_folder, options) => scriptedEngine(script, { vocabSize: 93, contextLength: 1024, maxBatch: options.maxBatch, maxQueue: options.maxQueue }),
    apiKey: "sk-course",
    quiet: true,
  });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "sk-course", maxRetries: 0 });
});

after(async () => {
  await server?.close();
  fixture?.remove();
});

describe("clients: the openai SDK", () => {
  it("lists models and creates a chat completion", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    assert.deepEqual(models, ["moby-chat", "bert-tiny"]);
    assert.equal((await client.models.retrieve("moby-chat")).id, "moby-chat");
    const completion = await client.chat.completions.create({ model: "moby-chat", messages: [{ role: "user", content: "say:Bonjour" }], max_completion_tokens: 20 });
    assert.equal(completion.choices[0]!.message.content, "Bonjour");
    assert.equal(completion.choices[0]!.finish_reason, "stop");
    assert.ok(completion.usage!.prompt_tokens > 0);
  });

  it("streams with for await and with the stream helper", async () => {
    const stream = await client.chat.completions.create({ model: "moby-chat", messages: [{ role: "user", content: "say:Hello, world" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, "Hello, world");
    assert.ok(usage !== null && usage.completion_tokens > 0);
    const helper = client.chat.completions.stream({ model: "moby-chat", messages: [{ role: "user", content: "say:Streamed" }] });
    const deltas: string[] = [];
    helper.on("content", (delta) => deltas.push(delta));
    const final = await helper.finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, "Streamed");
    assert.equal(deltas.join(""), "Streamed");
  });

  it("tool calls, plain and streamed, and a second turn with the tool's result", async () => {
    const completion = await client.chat.completions.create({ model: "moby-chat", messages: [{ role: "user", content: WEATHER_CALL }], tools: [WEATHER], max_tokens: 200 });
    const message = completion.choices[0]!.message;
    assert.equal(completion.choices[0]!.finish_reason, "tool_calls");
    const call = message.tool_calls![0]!;
    assert.equal(call.type, "function");
    assert.deepEqual(call.type === "function" ? [call.function.name, JSON.parse(call.function.arguments)] : null, ["get_weather", { city: "Paris" }]);
    const helper = client.chat.completions.stream({ model: "moby-chat", messages: [{ role: "user", content: WEATHER_CALL }], tools: [WEATHER], max_tokens: 200 });
    const streamed = await helper.finalChatCompletion();
    const streamedCall = streamed.choices[0]!.message.tool_calls![0]!;
    assert.equal(streamedCall.type === "function" ? streamedCall.function.arguments : null, '{"city":"Paris"}');
    const next = await client.chat.completions.create({
      model: "moby-chat",
      messages: [{ role: "user", content: "Weather in Paris?" }, message, { role: "tool", tool_call_id: call.id, content: "say:Sunny" }],
      tools: [WEATHER],
    });
    assert.equal(next.choices[0]!.message.content, "Sunny");
  });

  it("response_format json_schema", async () => {
    const completion = await client.chat.completions.create({
      model: "moby-chat",
      messages: [{ role: "user", content: 'say:{"city": "Lyon", "sunny": true}' }],
      response_format: { type: "json_schema", json_schema: { name: "weather", schema: { type: "object", properties: { city: { type: "string" }, sunny: { type: "boolean" } }, required: ["city", "sunny"] } } },
      max_tokens: 100,
    });
    assert.deepEqual(JSON.parse(completion.choices[0]!.message.content!), { city: "Lyon", sunny: true });
  });

  it("embeddings, base64 by default (decoded by the SDK) and floats", async () => {
    const base64 = await client.embeddings.create({ model: "bert-tiny", input: ["free money", "kernel panic"] });
    const floats = await client.embeddings.create({ model: "bert-tiny", input: ["free money", "kernel panic"], encoding_format: "float" });
    assert.equal(base64.data.length, 2);
    assert.equal(base64.data[0]!.embedding.length, 128);
    assert.deepEqual(base64.data[1]!.embedding, floats.data[1]!.embedding.map((v) => Math.fround(v)));
  });

  it("errors arrive as the SDK's exceptions", async () => {
    await assert.rejects(client.chat.completions.create({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] }), (e: unknown) => e instanceof OpenAI.NotFoundError && e.status === 404);
    await assert.rejects(client.chat.completions.create({ model: "moby-chat", messages: [{ role: "user", content: "hi" }], temperature: 5 }), (e: unknown) => e instanceof OpenAI.BadRequestError && (e.error as { param?: string }).param === "temperature");
    const wrongKey = new OpenAI({ baseURL: server.baseURL, apiKey: "sk-wrong", maxRetries: 0 });
    await assert.rejects(wrongKey.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  });
});

describe("clients: LangChain ChatOpenAI", () => {
  const model = () => new ChatOpenAI({ model: "moby-chat", apiKey: "sk-course", configuration: { baseURL: server.baseURL }, maxTokens: 200, maxRetries: 0 });

  it("invokes and streams", async () => {
    const answer = await model().invoke("say:From LangChain");
    assert.equal(answer.content, "From LangChain");
    let text = "";
    for await (const chunk of await model().stream("say:Streamed chain")) text += typeof chunk.content === "string" ? chunk.content : "";
    assert.equal(text, "Streamed chain");
  });

  it("withStructuredOutput: a JSON schema answer comes back parsed", async () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
    const structured = model().withStructuredOutput<{ city: string }>(schema, { name: "place", method: "jsonSchema" });
    assert.deepEqual(await structured.invoke('say:{"city": "Nantes"}'), { city: "Nantes" });
  });

  it("bindTools: tool calls come back parsed", async () => {
    const answer = await model().bindTools([WEATHER]).invoke(WEATHER_CALL);
    assert.deepEqual(answer.tool_calls?.map((c) => [c.name, c.args]), [["get_weather", { city: "Paris" }]]);
  });
});

describe("clients: the Vercel AI SDK (openai-compatible provider)", () => {
  const provider = () => createOpenAICompatible({ name: "course", baseURL: server.baseURL, apiKey: "sk-course", includeUsage: true });

  it("generateText and streamText", async () => {
    const result = await generateText({ model: provider()("moby-chat"), prompt: "say:From the AI SDK", maxOutputTokens: 50 });
    assert.equal(result.text, "From the AI SDK");
    assert.equal(result.finishReason, "stop");
    assert.ok((result.usage.inputTokens ?? 0) > 0);
    const stream = streamText({ model: provider()("moby-chat"), prompt: "say:Streamed text", maxOutputTokens: 50 });
    let text = "";
    for await (const delta of stream.textStream) text += delta;
    assert.equal(text, "Streamed text");
    assert.ok(((await stream.usage).outputTokens ?? 0) > 0);
  });

  it("tools: the call is parsed into the tool's input", async () => {
    const result = await generateText({
      model: provider()("moby-chat"),
      prompt: WEATHER_CALL,
      tools: { get_weather: tool({ description: "The weather in a city", inputSchema: jsonSchema<{ city: string }>(WEATHER.function.parameters as never) }) },
      maxOutputTokens: 200,
    });
    assert.deepEqual(result.toolCalls.map((c) => [c.toolName, c.input]), [["get_weather", { city: "Paris" }]]);
    assert.equal(result.finishReason, "tool-calls");
  });

  it("embeddings", async () => {
    const one = await embed({ model: provider().embeddingModel("bert-tiny"), value: "free money" });
    assert.equal(one.embedding.length, 128);
    const many = await embedMany({ model: provider().embeddingModel("bert-tiny"), values: ["a b", "c d"] });
    assert.equal(many.embeddings.length, 2);
  });
});
