/**
 * The server on the real batched generation engine (lib/server/engine.ts) and the course's gpt-moby:
 * greedy text equal to the transformers.js pipeline's, seeds, concurrent streams batched together and each
 * still correct, a disconnect freeing its slot at once, logprobs and constrained JSON on a real model, and
 * `npm run serve`'s startup line.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { PATHS } from "../../lib/env";
import { loadPipeline, type TextGenerationPipe } from "../../lib/llm";
import { validateJsonSchema } from "../../lib/sampling/json-constraint";
import { startServer, type RunningServer } from "../../lib/server";
import { makeChatFixture } from "./helpers";

const GPT = path.join(PATHS.data, "models", "gpt-moby");

let fixture: ReturnType<typeof makeChatFixture>;
let server: RunningServer;
let client: OpenAI;

before(async () => {
  fixture = makeChatFixture();
  server = await startServer({ models: [GPT, fixture.folder], maxBatch: 8, quiet: true });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "local", maxRetries: 0 });
});

after(async () => {
  await server?.close();
  fixture?.remove();
});

const complete = async (prompt: string, extra: Record<string, unknown> = {}): Promise<string> => {
  const answer = await client.completions.create({ model: "gpt-moby", prompt, max_tokens: 20, temperature: 0, ...extra });
  return answer.choices[0]!.text;
};

describe("server on the real engine", () => {
  it("greedy completions equal the transformers.js pipeline's", async () => {
    const { pipe } = await loadPipeline<TextGenerationPipe>("text-generation", "gpt", { online: false, quiet: true });
    try {
      const output = (await pipe("Call me Ishmael. ", { max_new_tokens: 20, do_sample: false, return_full_text: false })) as { generated_text: string }[];
      assert.equal(await complete("Call me Ishmael. "), output[0]!.generated_text);
    } finally {
      await pipe.dispose();
    }
  });

  it("a seed makes sampling reproducible", async () => {
    const sampled = { temperature: 1, top_p: 0.9, seed: 7 };
    assert.equal(await complete("The whale ", sampled), await complete("The whale ", sampled));
    const others = await Promise.all([1, 2, 3].map((seed) => complete("The whale ", { ...sampled, seed })));
    assert.ok(new Set(others).size > 1, `three seeds gave the same text: ${others[0]}`);
  });

  it("8 concurrent streams are batched together and each equals its own greedy answer", async () => {
    const prompts = ["Call me Ishmael. ", "The whale ", "Queequeg was ", "Captain Ahab ", "The sea ", "Starbuck said ", "In the morning ", "It was "];
    const alone: string[] = [];
    for (const prompt of prompts) alone.push(await complete(prompt, { max_tokens: 30 }));
    const engine = server.engines.get("gpt-moby")!;
    const streamed = await Promise.all(
      prompts.map(async (prompt) => {
        const stream = await client.completions.create({ model: "gpt-moby", prompt, max_tokens: 30, temperature: 0, stream: true });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
        return text;
      }),
    );
    assert.deepEqual(streamed, alone);
    assert.ok(engine.stats().largestBatch > 1, `largest batch ${engine.stats().largestBatch}`);
  });

  it("a client that disconnects mid-stream frees its slot at once", async () => {
    const engine = server.engines.get("gpt-moby")!;
    const controller = new AbortController();
    const stream = await client.completions.create({ model: "gpt-moby", prompt: "Call me ", max_tokens: 100, temperature: 0, stream: true }, { signal: controller.signal });
    let chunks = 0;
    let stepsAtAbort = 0;
    try {
      for await (const chunk of stream) {
        void chunk;
        if (++chunks === 2) {
          assert.equal(engine.stats().active, 1);
          stepsAtAbort = engine.stats().steps;
          controller.abort();
        }
      }
    } catch (error) {
      // The SDK may end the loop quietly or throw its abort error: either way the client is gone.
      assert.ok(error instanceof Error && /abort/i.test(error.name + error.message), String(error));
    }
    const start = Date.now();
    while (engine.stats().active > 0 && Date.now() - start < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(engine.stats().active, 0);
    assert.ok(Date.now() - start < 300, `the slot was freed ${Date.now() - start} ms after the disconnect`);
    // Alone in the engine, one step is one token: far fewer than the 100 asked were generated.
    assert.ok(engine.stats().steps - stepsAtAbort < 50, `${engine.stats().steps - stepsAtAbort} steps after the disconnect`);
  });

  it("logprobs: the drawn token and its alternatives, most likely first", async () => {
    const answer = await client.chat.completions.create({ model: "moby-chat", messages: [{ role: "user", content: "Hi" }], max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3 });
    const entries = answer.choices[0]!.logprobs!.content!;
    assert.equal(entries.length, 5);
    for (const entry of entries) {
      assert.equal(entry.top_logprobs.length, 3);
      assert.ok(entry.top_logprobs[0]!.logprob >= entry.top_logprobs[1]!.logprob && entry.top_logprobs[1]!.logprob >= entry.top_logprobs[2]!.logprob);
      // Greedy: the drawn token is the most likely one.
      assert.equal(entry.token, entry.top_logprobs[0]!.token);
      assert.ok(entry.logprob <= 0);
    }
  });

  it("a json_schema answer is valid on a model never trained for JSON (constrained decoding)", async () => {
    // gpt-moby's context (128 characters) has no room for a tool list: forced tool calls on a real model are
    // tested on chat-mini.
    const schema = { type: "object", properties: { answer: { enum: ["yes", "no"] } }, required: ["answer"] };
    for (const temperature of [0, 1]) {
      const json = await client.chat.completions.create({
        model: "moby-chat",
        messages: [{ role: "user", content: "Yes?" }],
        response_format: { type: "json_schema", json_schema: { name: "a", schema } },
        max_tokens: 30,
        temperature,
        seed: 3,
      });
      assert.equal(json.choices[0]!.finish_reason, "stop");
      assert.deepEqual(validateJsonSchema(JSON.parse(json.choices[0]!.message.content!), schema), []);
    }
  });
});

describe("npm run serve", () => {
  it("prints which models it serves and where, answers, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PATHS.root, "lib/server/cli.ts"), "--port", "0", "--model", `moby=${GPT}`, "--api-key", "sk-cli"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (data: Buffer) => {
          output += data.toString();
          const match = /OpenAI-compatible server at (http:\/\/127\.0\.0\.1:\d+\/v1) serving moby \(completions\) — API key required/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.stderr.on("data", (data: Buffer) => (output += data.toString()));
        child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
      });
      const cli = new OpenAI({ baseURL: url, apiKey: "sk-cli", maxRetries: 0 });
      const answer = await cli.completions.create({ model: "moby", prompt: "Call me ", max_tokens: 5, temperature: 0 });
      assert.equal(answer.usage?.completion_tokens, 5);
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
