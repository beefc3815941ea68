/**
 * The HTTP protocol, with a scripted engine whose output each test chooses ("say:<text>" in the last
 * message): every endpoint's shape, streaming, stop strings, tool calls, constrained JSON, logprobs, and
 * every error path with its exact status and body. The real engine and real clients: clients.test.ts.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { PATHS } from "../../lib/env";
import { loadTokenizer, type PretrainedTokenizer } from "../../lib/llm/models";
import { startServer, type RunningServer } from "../../lib/server";
import type { GenerationRequest } from "../../lib/server/types";
import { makeChatFixture, scriptedEngine } from "./helpers";

const BERT = path.join(PATHS.data, "models", "bert-tiny");
const CONTEXT = 1024;

let fixture: ReturnType<typeof makeChatFixture>;
let tokenizer: PretrainedTokenizer;
let server: RunningServer;
const prompts: string[] = [];

/** The scripted answer: what follows "say:" in the prompt (up to the end of its message), else a default. */
function script(request: GenerationRequest): number[] {
  const prompt = tokenizer.decode([...request.promptIds]);
  prompts.push(prompt);
  if (prompt.includes("say:crash")) throw new Error("scripted failure with a secret path /etc/secret");
  const said = /say:(.*?)(<\|end\|>|$)/s.exec(prompt);
  const ids = tokenizer.encode(said ? said[1]! : "Call me Ishmael.", { add_special_tokens: false });
  // "say:…FAIL" fails after writing what comes before.
  return said?.[1]!.endsWith("FAIL") ? [...ids.slice(0, -4), -1] : ids;
}

const engineOf = (stepMs = 1) => (_folder: string, options: { maxBatch: number; maxQueue: number }) =>
  scriptedEngine(script, { vocabSize: 93, contextLength: CONTEXT, maxBatch: options.maxBatch, maxQueue: options.maxQueue, stepMs });

async function post(route: string, body: unknown, headers: Record<string, string> = {}, base = server.url): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const response = await fetch(base + route, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // An event stream: tests read `text`.
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** The JSON events of an SSE body, and whether it ended with [DONE]. */
function events(text: string): { chunks: any[]; done: boolean } {
  const data = text.split("\n\n").filter((block) => block.startsWith("data: ")).map((block) => block.slice(6));
  const done = data[data.length - 1] === "[DONE]";
  return { chunks: data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d)), done };
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: "moby-chat", messages: [{ role: "user", content }], max_tokens: 60, ...extra });
const error = (message: string | RegExp, param: string | null, code: string | null, type = "invalid_request_error") => ({ message, type, param, code });

function assertError(response: { status: number; body: any }, status: number, expected: ReturnType<typeof error>): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body), ["error"]);
  const { message, ...rest } = response.body.error;
  assert.deepEqual(rest, { type: expected.type, param: expected.param, code: expected.code });
  if (expected.message instanceof RegExp) assert.match(message, expected.message);
  else assert.equal(message, expected.message);
}

const ADD_TOOL = { type: "function", function: { name: "add", description: "adds", parameters: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] } } };

before(async () => {
  fixture = makeChatFixture();
  tokenizer = await loadTokenizer(fixture.folder);
  server = await startServer({ models: [fixture.folder, BERT], createEngine: engineOf(), bodyLimit: 64 * 1024, quiet: true });
});

after(async () => {
  await server?.close();
  fixture?.remove();
});

describe("server: models", () => {
  it("lists the served models and answers for one, 404 for an unknown id", async () => {
    const list = (await (await fetch(`${server.url}/models`)).json()) as any;
    assert.equal(list.object, "list");
    assert.deepEqual(list.data.map((m: any) => [m.id, m.object, m.owned_by]), [["moby-chat", "model", "llm-course"], ["bert-tiny", "model", "llm-course"]]);
    assert.ok(Number.isInteger(list.data[0].created));
    assert.deepEqual(Object.keys((await (await fetch(`${server.url}/models/moby-chat`)).json()) as object), ["id", "object", "created", "owned_by"]);
    const missing = await fetch(`${server.url}/models/nope`);
    assertError({ status: missing.status, body: await missing.json() }, 404, error("The model 'nope' does not exist or you do not have access to it. This server serves: moby-chat, bert-tiny.", "model", "model_not_found"));
    assert.deepEqual(server.models, ["moby-chat", "bert-tiny"]);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });
});

describe("server: chat completions", () => {
  it("answers with the chat.completion shape and exact usage", async () => {
    const { status, body } = await post("/chat/completions", chat("say:Hello there"));
    assert.equal(status, 200);
    assert.match(body.id, /^chatcmpl-[0-9a-f]{24}$/);
    assert.equal(body.object, "chat.completion");
    assert.equal(body.model, "moby-chat");
    assert.deepEqual(body.choices, [{ index: 0, message: { role: "assistant", content: "Hello there", refusal: null }, logprobs: null, finish_reason: "stop" }]);
    const rendered = tokenizer.apply_chat_template([{ role: "user", content: "say:Hello there" }], { add_generation_prompt: true, tokenize: false }) as string;
    assert.equal(prompts[prompts.length - 1], rendered);
    assert.equal(rendered, "<|user|>say:Hello there<|end|>\n<|assistant|>");
    assert.equal(body.usage.prompt_tokens, rendered.length);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
    assert.ok(body.usage.completion_tokens >= "Hello there".length);
  });

  it("renders system, assistant tool calls and tool results through the template (developer = system, text parts joined)", async () => {
    const messages = [
      { role: "developer", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "2 and " }, { type: "text", text: "2?" }] },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "add", arguments: '{"a":2,"b":2}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "4" },
    ];
    const { status, body } = await post("/chat/completions", { model: "moby-chat", messages, max_tokens: 3 });
    assert.equal(status, 200);
    assert.equal(prompts[prompts.length - 1], '<|system|>Be brief.<|end|>\n<|user|>2 and 2?<|end|>\n<|assistant|><tool_call>{"name": "add", "arguments": {"a":2,"b":2}}</tool_call><|end|>\n<|tool|>4<|end|>\n<|assistant|>');
    assert.equal(body.choices[0].finish_reason, "length");
    assert.equal(body.usage.completion_tokens, 3);
  });

  it("streams chunks: the role first, the content, the finish reason, usage when asked, then [DONE]", async () => {
    const { status, headers, text } = await post("/chat/completions", chat("say:Hi you", { stream: true, stream_options: { include_usage: true } }));
    assert.equal(status, 200);
    assert.match(headers.get("content-type")!, /^text\/event-stream/);
    const { chunks, done } = events(text);
    assert.ok(done);
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id && c.model === "moby-chat"));
    assert.deepEqual(chunks[0].choices, [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
    const content = chunks.flatMap((c) => c.choices.map((choice: any) => choice.delta.content ?? "")).join("");
    assert.equal(content, "Hi you");
    const finish = chunks[chunks.length - 2];
    assert.deepEqual(finish.choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
    assert.equal(finish.usage, null);
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
    const plain = events((await post("/chat/completions", chat("say:Hi", { stream: true }))).text);
    assert.ok(plain.chunks.every((c) => !("usage" in c)));
  });

  it("cuts at a stop string (string or list, also across tokens) and stops the engine there", async () => {
    const long = "say:Hello. World and more words after it";
    const one = await post("/chat/completions", chat(long, { stop: "." }));
    assert.equal(one.body.choices[0].message.content, "Hello");
    assert.equal(one.body.choices[0].finish_reason, "stop");
    assert.ok(one.body.usage.completion_tokens <= 7, `the engine went on after the stop: ${one.body.usage.completion_tokens} tokens`);
    const list = await post("/chat/completions", chat(long, { stop: ["xyz", ". W"] }));
    assert.equal(list.body.choices[0].message.content, "Hello");
    const streamed = events((await post("/chat/completions", chat(long, { stop: ["lo. W"], stream: true }))).text);
    assert.equal(streamed.chunks.flatMap((c) => c.choices.map((choice: any) => choice.delta.content ?? "")).join(""), "Hel");
    assert.equal(streamed.chunks[streamed.chunks.length - 1].choices[0].finish_reason, "stop");
  });

  it("turns <tool_call> blocks into tool_calls with finish_reason tool_calls (tool_choice auto)", async () => {
    const say = 'say:Let me add. <tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>';
    const { body } = await post("/chat/completions", chat(say, { tools: [ADD_TOOL], max_tokens: 200 }));
    assert.match(prompts[prompts.length - 1]!, /^<\|system\|>You can call these tools:\n\{"name": "add", "description": "adds", "parameters": /);
    const choice = body.choices[0];
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, "Let me add.");
    assert.equal(choice.message.tool_calls.length, 1);
    assert.match(choice.message.tool_calls[0].id, /^call_[0-9a-f]{24}$/);
    assert.deepEqual({ ...choice.message.tool_calls[0], id: "x" }, { id: "x", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } });
  });

  it("streams tool calls as tool_call deltas after the content", async () => {
    const say = 'say:Sure <tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call><tool_call>{"name": "add", "arguments": {"a": 3, "b": 4}}</tool_call>';
    const { chunks } = events((await post("/chat/completions", chat(say, { tools: [ADD_TOOL], stream: true, max_tokens: 200 }))).text);
    const content = chunks.flatMap((c) => c.choices.map((choice: any) => choice.delta.content ?? "")).join("");
    assert.equal(content, "Sure ");
    const calls = chunks.flatMap((c) => c.choices.flatMap((choice: any) => choice.delta.tool_calls ?? []));
    assert.deepEqual(calls.map((c: any) => [c.index, c.type, c.function.name, c.function.arguments]), [[0, "function", "add", '{"a":1,"b":2}'], [1, "function", "add", '{"a":3,"b":4}']]);
    assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, "tool_calls");
    // parallel_tool_calls: false keeps the first call only.
    const single = await post("/chat/completions", chat(say, { tools: [ADD_TOOL], parallel_tool_calls: false, max_tokens: 200 }));
    assert.equal(single.body.choices[0].message.tool_calls.length, 1);
  });

  it("tool_choice none: no tools in the prompt and the text stays content", async () => {
    const say = 'say:<tool_call>{"name": "add", "arguments": {}}</tool_call>';
    const { body } = await post("/chat/completions", chat(say, { tools: [ADD_TOOL], tool_choice: "none" }));
    assert.ok(!prompts[prompts.length - 1]!.includes("You can call these tools"));
    assert.equal(body.choices[0].message.content, say.slice(4));
    assert.equal(body.choices[0].finish_reason, "stop");
  });

  it("tool_choice required or named: the prompt ends on <tool_call> and the call is decoded under the function's schema", async () => {
    // The scripted model writes a call with a wrong name and arguments of the wrong type: the constraint
    // forces "add", and integers for a and b.
    const say = 'say:{"name": "add", "arguments": {"a": 1, "b": 2}}';
    for (const toolChoice of ["required", { type: "function", function: { name: "add" } }]) {
      const { body } = await post("/chat/completions", chat(say, { tools: [ADD_TOOL, { type: "function", function: { name: "sub" } }], tool_choice: toolChoice }));
      assert.ok(prompts[prompts.length - 1]!.endsWith("<|assistant|><tool_call>"));
      assert.equal(body.choices[0].finish_reason, "tool_calls", JSON.stringify(body));
      assert.equal(body.choices[0].message.content, null);
      assert.deepEqual(body.choices[0].message.tool_calls.map((c: any) => c.function), [{ name: "add", arguments: '{"a":1,"b":2}' }]);
    }
    const streamed = events((await post("/chat/completions", chat(say, { tools: [ADD_TOOL], tool_choice: "required", stream: true }))).text);
    const calls = streamed.chunks.flatMap((c) => c.choices.flatMap((choice: any) => choice.delta.tool_calls ?? []));
    assert.deepEqual(calls.map((c: any) => c.function), [{ name: "add", arguments: '{"a":1,"b":2}' }]);
    assert.equal(streamed.chunks.flatMap((c) => c.choices.map((choice: any) => choice.delta.content ?? "")).join(""), "");
  });

  it("response_format json_schema and json_object: the content is JSON the schema accepts", async () => {
    const schema = { type: "object", properties: { answer: { enum: ["yes", "no"] } }, required: ["answer"], additionalProperties: false };
    // The script wants "maybe": the constraint only lets "yes" or "no" through.
    const { body } = await post("/chat/completions", chat('say:{"answer": "maybe"}', { response_format: { type: "json_schema", json_schema: { name: "a", schema } } }));
    assert.deepEqual(Object.keys(JSON.parse(body.choices[0].message.content)), ["answer"]);
    assert.ok(["yes", "no"].includes(JSON.parse(body.choices[0].message.content).answer), body.choices[0].message.content);
    const object = await post("/chat/completions", chat('say:{"k": [1, true]}', { response_format: { type: "json_object" } }));
    assert.deepEqual(JSON.parse(object.body.choices[0].message.content), { k: [1, true] });
  });

  it("logprobs with top_logprobs: one entry per token with its bytes", async () => {
    const { body } = await post("/chat/completions", chat("say:Ok", { logprobs: true, top_logprobs: 2 }));
    const content = body.choices[0].logprobs.content;
    assert.deepEqual(content.map((entry: any) => [entry.token, entry.logprob, entry.bytes, entry.top_logprobs.length]), [["O", -0.5, [79], 2], ["k", -0.5, [107], 2]]);
    assert.deepEqual(Object.keys(content[0].top_logprobs[0]), ["token", "logprob", "bytes"]);
    const noTop = await post("/chat/completions", chat("say:Ok", { logprobs: true }));
    assert.deepEqual(noTop.body.choices[0].logprobs.content[0].top_logprobs, []);
    const streamed = events((await post("/chat/completions", chat("say:Ok", { logprobs: true, stream: true }))).text);
    assert.deepEqual(streamed.chunks.flatMap((c) => c.choices.flatMap((choice: any) => choice.logprobs?.content ?? [])).map((e: any) => e.token), ["O", "k"]);
  });

  it("n choices, each with its index", async () => {
    const { body } = await post("/chat/completions", chat("say:ab", { n: 3, seed: 1 }));
    assert.deepEqual(body.choices.map((c: any) => [c.index, c.message.content]), [[0, "ab"], [1, "ab"], [2, "ab"]]);
    const streamed = events((await post("/chat/completions", chat("say:ab", { n: 2, stream: true }))).text);
    for (const index of [0, 1]) {
      assert.equal(streamed.chunks.flatMap((c) => c.choices.filter((choice: any) => choice.index === index).map((choice: any) => choice.delta.content ?? "")).join(""), "ab");
    }
  });
});

describe("server: completions", () => {
  it("continues a prompt (string, list of strings, token ids) with echo, stop and logprobs", async () => {
    const { status, body } = await post("/completions", { model: "moby-chat", prompt: "say:Hello. World", max_tokens: 30 });
    assert.equal(status, 200);
    assert.match(body.id, /^cmpl-/);
    assert.equal(body.object, "text_completion");
    assert.deepEqual(body.choices, [{ index: 0, text: "Hello. World", logprobs: null, finish_reason: "stop" }]);
    assert.equal(body.usage.prompt_tokens, "say:Hello. World".length);
    const defaultLength = await post("/completions", { model: "moby-chat", prompt: "say:0123456789012345678901234567890" });
    assert.deepEqual([defaultLength.body.choices[0].text, defaultLength.body.choices[0].finish_reason], ["0123456789012345", "length"]);
    const many = await post("/completions", { model: "moby-chat", prompt: ["say:a", "say:b"], n: 2 });
    assert.deepEqual(many.body.choices.map((c: any) => [c.index, c.text]), [[0, "a"], [1, "a"], [2, "b"], [3, "b"]]);
    const ids = tokenizer.encode("say:xy", { add_special_tokens: false });
    assert.equal((await post("/completions", { model: "moby-chat", prompt: ids })).body.choices[0].text, "xy");
    assert.equal((await post("/completions", { model: "moby-chat", prompt: [ids, ids] })).body.choices.length, 2);
    const echo = await post("/completions", { model: "moby-chat", prompt: "say:Hi. There", echo: true, stop: "." });
    assert.equal(echo.body.choices[0].text, "say:Hi. ThereHi");
    const logprobs = await post("/completions", { model: "moby-chat", prompt: "say:Ok", logprobs: 2 });
    assert.deepEqual(logprobs.body.choices[0].logprobs, { tokens: ["O", "k"], token_logprobs: [-0.5, -0.5], top_logprobs: [{ O: -0.5, P: -2 }, { k: -0.5, l: -2 }], text_offset: [0, 1] });
  });

  it("streams text_completion chunks", async () => {
    const { chunks, done } = events((await post("/completions", { model: "moby-chat", prompt: "say:Hello", stream: true, stream_options: { include_usage: true } })).text);
    assert.ok(done);
    assert.equal(chunks.filter((c) => c.choices.length > 0).map((c) => c.choices[0].text).join(""), "Hello");
    assert.equal(chunks[chunks.length - 2].choices[0].finish_reason, "stop");
    assert.equal(chunks[chunks.length - 1].usage.prompt_tokens, "say:Hello".length);
  });
});

describe("server: embeddings", () => {
  it("answers floats and base64 (little-endian float32) of unit vectors, shortened by dimensions", async () => {
    const floats = await post("/embeddings", { model: "bert-tiny", input: ["free money now", "the kernel panics"], encoding_format: "float" });
    assert.equal(floats.status, 200);
    assert.equal(floats.body.object, "list");
    assert.equal(floats.body.model, "bert-tiny");
    assert.deepEqual(floats.body.data.map((d: any) => [d.object, d.index, d.embedding.length]), [["embedding", 0, 128], ["embedding", 1, 128]]);
    assert.ok(Math.abs(Math.hypot(...floats.body.data[0].embedding) - 1) < 1e-5);
    assert.ok(floats.body.usage.prompt_tokens > 4 && floats.body.usage.total_tokens === floats.body.usage.prompt_tokens);
    const base64 = await post("/embeddings", { model: "bert-tiny", input: "free money now", encoding_format: "base64" });
    const buffer = Buffer.from(base64.body.data[0].embedding, "base64");
    const decoded = Array.from({ length: buffer.length / 4 }, (_, i) => buffer.readFloatLE(i * 4));
    assert.deepEqual(decoded, floats.body.data[0].embedding.map((v: number) => Math.fround(v)));
    const short = await post("/embeddings", { model: "bert-tiny", input: "free money now", dimensions: 16 });
    assert.equal(short.body.data[0].embedding.length, 16);
    assert.ok(Math.abs(Math.hypot(...short.body.data[0].embedding) - 1) < 1e-5);
  });
});

describe("server: errors", () => {
  it("malformed JSON, an empty body and a wrong content type", async () => {
    assertError(await post("/chat/completions", "{nope"), 400, error(/could not parse the JSON body/, null, "invalid_json"));
    const empty = await fetch(`${server.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } });
    assertError({ status: empty.status, body: await empty.json() }, 400, error(/body is empty/, null, "invalid_json"));
    const form = await fetch(`${server.url}/chat/completions`, { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b" });
    assertError({ status: form.status, body: await form.json() }, 415, error(/Unsupported Content-Type/, null, "unsupported_media_type"));
  });

  it("bad parameters: 400 naming the parameter", async () => {
    assertError(await post("/chat/completions", { messages: [{ role: "user", content: "hi" }] }), 400, error("Missing required parameter: 'model'.", "model", "missing_required_parameter"));
    assertError(await post("/chat/completions", chat("hi", { temperature: 3 })), 400, error("Invalid value for 'temperature': must be <= 2.", "temperature", "invalid_value"));
    assertError(await post("/chat/completions", chat("hi", { temperature: "0.5" })), 400, error("Invalid type for 'temperature': expected number or null.", "temperature", "invalid_type"));
    assertError(await post("/chat/completions", chat("hi", { max_tokens: 0 })), 400, error("Invalid value for 'max_tokens': must be >= 1.", "max_tokens", "invalid_value"));
    assertError(await post("/chat/completions", { model: "moby-chat", messages: [] }), 400, error("Invalid value for 'messages': must NOT have fewer than 1 items.", "messages", "invalid_value"));
    assertError(await post("/chat/completions", { model: "moby-chat", messages: [{ role: "user", content: "a" }, { role: "robot", content: "b" }] }), 400, error(/^Invalid value for 'messages\[1\]\.role'/, "messages[1].role", "invalid_value"));
    assertError(
      await post("/chat/completions", { model: "moby-chat", messages: [{ role: "user", content: "a" }, { role: "system", content: "b" }] }),
      400,
      error("The model's chat template cannot render these messages: a system message may only come first", "messages", "invalid_value"),
    );
    assertError(await post("/chat/completions", { model: "moby-chat", messages: [{ role: "user" }] }), 400, error("messages[0] (user) needs a content string.", "messages[0].content", "invalid_value"));
    assertError(await post("/chat/completions", chat("hi", { tool_choice: "sometimes", tools: [ADD_TOOL] })), 400, error(/^Invalid value for 'tool_choice'/, "tool_choice", "invalid_value"));
    assertError(await post("/chat/completions", chat("hi", { tool_choice: "required" })), 400, error("'tool_choice' is only allowed when 'tools' are specified.", "tool_choice", "invalid_value"));
    assertError(await post("/chat/completions", chat("hi", { tools: [ADD_TOOL], tool_choice: { type: "function", function: { name: "mul" } } })), 400, error("tool_choice names the function 'mul', which is not in 'tools' (add).", "tool_choice", "invalid_value"));
    assertError(await post("/chat/completions", chat("hi", { top_logprobs: 2 })), 400, error("'top_logprobs' needs 'logprobs' set to true.", "top_logprobs", "invalid_value"));
    assertError(await post("/chat/completions", chat("hi", { frequency_penalty: 0.5 })), 400, error("'frequency_penalty' is not supported by this server (only 0); leave it out.", "frequency_penalty", "unsupported_parameter"));
    assertError(await post("/chat/completions", chat("hi", { stop: ["a", "b", "c", "d", "e"] })), 400, error("Invalid value for 'stop': must NOT have more than 4 items.", "stop", "invalid_value"));
    assertError(
      await post("/chat/completions", chat("hi", { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", patternProperties: {} } } } })),
      400,
      error(/^Invalid schema for constrained decoding: .*patternProperties/, "response_format.json_schema.schema", "invalid_json_schema"),
    );
    assertError(await post("/chat/completions", chat("x".repeat(CONTEXT))), 400, error(/^This model's maximum context length is 1024 tokens, and the prompt has 10\d\d/, "messages", "context_length_exceeded"));
    assertError(await post("/completions", { model: "moby-chat", prompt: ["a", 1] }), 400, error(/^'prompt' mixes token ids and texts/, "prompt[1]", "invalid_value"));
    assertError(await post("/completions", { model: "moby-chat", prompt: [5000] }), 400, error("Token id 5000 is not in the vocabulary of 'moby-chat' (93 tokens).", "prompt", "invalid_value"));
    assertError(await post("/completions", { model: "moby-chat", prompt: "a", echo: true, logprobs: 1 }), 400, error(/^'echo' with 'logprobs' is not supported/, "echo", "unsupported_parameter"));
    assertError(await post("/embeddings", { model: "bert-tiny", input: ["ok", ""] }), 400, error("'input' cannot contain an empty string.", "input[1]", "invalid_value"));
    assertError(await post("/embeddings", { model: "bert-tiny", input: "ok", dimensions: 1000 }), 400, error("'dimensions' is 1000, but the model 'bert-tiny' gives 128-dimensional embeddings.", "dimensions", "invalid_value"));
  });

  it("a model of the wrong kind: 400 on model; an unknown model: 404", async () => {
    assertError(await post("/embeddings", { model: "moby-chat", input: "x" }), 400, error(/^The model 'moby-chat' cannot serve \/v1\/embeddings: it is a text generation model\. Models for \/v1\/embeddings here: bert-tiny\.$/, "model", "model_not_supported"));
    assertError(await post("/chat/completions", { ...chat("x"), model: "bert-tiny" }), 400, error(/cannot serve \/v1\/chat\/completions: it is an embedding model/, "model", "model_not_supported"));
    assertError(await post("/chat/completions", { ...chat("x"), model: "gpt-5" }), 404, error(/^The model 'gpt-5' does not exist/, "model", "model_not_found"));
  });

  it("unknown routes: 404; a body over bodyLimit: 413", async () => {
    const route = await fetch(`${server.url}/chat/complete`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assertError({ status: route.status, body: await route.json() }, 404, error(/^Unknown request URL: POST \/v1\/chat\/complete\./, null, "unknown_url"));
    const wrongMethod = await fetch(`${server.url}/chat/completions`);
    assert.equal(wrongMethod.status, 404);
    assertError(await post("/chat/completions", chat("x".repeat(70 * 1024))), 413, error(/^The request body is too large/, null, "request_too_large"));
  });

  it("an internal failure is a 500 without details, and the server goes on", async () => {
    const failed = await post("/chat/completions", chat("say:crash"));
    assertError(failed, 500, error("The server had an error while processing your request. Its log says more.", null, null, "server_error"));
    assert.ok(!failed.text.includes("secret") && !failed.text.includes(".ts:"));
    assert.equal((await post("/chat/completions", chat("say:ok"))).status, 200);
  });

  it("a failure mid-stream ends the stream with an error event, without details", async () => {
    const { status, text } = await post("/chat/completions", chat("say:Hello FAIL", { stream: true }));
    assert.equal(status, 200);
    const { chunks, done } = events(text);
    assert.ok(!done);
    assert.equal(chunks.flatMap((c) => (c.choices ?? []).map((choice: any) => choice.delta.content ?? "")).join(""), "Hello ");
    assert.deepEqual(chunks[chunks.length - 1], { error: { message: "The server had an error while processing your request. Its log says more.", type: "server_error", param: null, code: null } });
    assert.ok(!text.includes("secret"));
    const client = new OpenAI({ baseURL: server.url, apiKey: "x", maxRetries: 0 });
    await assert.rejects(async () => {
      for await (const chunk of await client.chat.completions.create({ ...chat("say:Hi FAIL"), stream: true } as OpenAI.ChatCompletionCreateParamsStreaming)) void chunk;
    }, (e: unknown) => e instanceof OpenAI.APIError && /The server had an error/.test(e.message));
  });

  it("a burst of bad requests, then a good one", async () => {
    const bad = [
      "{",
      JSON.stringify({ model: 1 }),
      JSON.stringify(chat("x", { n: 100 })),
      JSON.stringify({ model: "moby-chat", messages: "hi" }),
      JSON.stringify(chat("x", { stream_options: 3 })),
      JSON.stringify({ model: "moby-chat", messages: [{ role: "user", content: [{ type: "image_url" }] }] }),
      "null",
      "[]",
    ];
    const answers = await Promise.all(Array.from({ length: 48 }, (_, i) => post("/chat/completions", bad[i % bad.length]!)));
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [400]);
    assert.ok(answers.every((a) => typeof a.body.error.message === "string"));
    const good = await post("/chat/completions", chat("say:still here"));
    assert.equal(good.body.choices[0].message.content, "still here");
  });

  it("a full queue: 429 with retry-after", async () => {
    const busy = await startServer({ models: [fixture.folder], createEngine: engineOf(20), maxBatch: 1, maxQueue: 0, quiet: true });
    try {
      const first = post("/chat/completions", chat("say:a long answer"), {}, busy.url);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await post("/chat/completions", chat("say:b"), {}, busy.url);
      assertError(second, 429, error(/^the server is busy: too many requests are waiting; retry in 1 s$/, null, "rate_limit_exceeded", "rate_limit_error"));
      assert.equal(second.headers.get("retry-after"), "1");
      assert.equal((await first).status, 200);
    } finally {
      await busy.close();
    }
  });

  it("an API key: 401 without it or with a wrong one", async () => {
    const locked = await startServer({ models: [fixture.folder], createEngine: engineOf(), apiKey: "sk-course", quiet: true });
    try {
      const expected = error("Incorrect API key provided: send it as the header 'Authorization: Bearer <key>'.", null, "invalid_api_key");
      assertError(await post("/chat/completions", chat("say:x"), {}, locked.url), 401, expected);
      assertError(await post("/chat/completions", chat("say:x"), { authorization: "Bearer sk-other" }, locked.url), 401, expected);
      const models = await fetch(`${locked.url}/models`);
      assert.equal(models.status, 401);
      assert.equal((await post("/chat/completions", chat("say:x"), { authorization: "Bearer sk-course" }, locked.url)).status, 200);
    } finally {
      await locked.close();
    }
  });
});

describe("server: disconnects", () => {
  it("a client that goes away (mid-stream, or while waiting for a whole answer) frees its engine slot at once", async () => {
    const slow = await startServer({ models: [fixture.folder], createEngine: engineOf(20), quiet: true });
    try {
      const engine = slow.engines.get("moby-chat")!;
      const controller = new AbortController();
      const response = await fetch(`${slow.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(chat(`say:${"a".repeat(200)}`, { stream: true, max_tokens: 200 })),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      await reader.read();
      assert.equal(engine.stats().active, 1);
      controller.abort();
      const start = Date.now();
      while (engine.stats().active > 0 && Date.now() - start < 1000) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(engine.stats().active, 0);
      assert.ok(Date.now() - start < 200, `the slot was freed after ${Date.now() - start} ms`);
      // Without streaming too: the client gives up waiting.
      const impatient = new AbortController();
      const waiting = fetch(`${slow.url}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "moby-chat", prompt: `say:${"b".repeat(200)}`, max_tokens: 200 }), signal: impatient.signal });
      while (engine.stats().active === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      impatient.abort();
      await assert.rejects(waiting);
      const since = Date.now();
      while (engine.stats().active > 0 && Date.now() - since < 1000) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(Date.now() - since < 200, `the slot was freed after ${Date.now() - since} ms`);
    } finally {
      await slow.close();
    }
  });
});
