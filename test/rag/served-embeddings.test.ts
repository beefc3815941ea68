import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { cosine, universalSentenceEncoder } from "@llm-course/lib/rag";
import { startServer } from "@llm-course/lib/server";

test("the server's /v1/embeddings serves the Universal Sentence Encoder as use-lite, equal to lib/rag's", async () => {
  const server = await startServer({ port: 0, quiet: true, models: ["use-lite"] });
  try {
    assert.deepEqual(server.models, ["use-lite"]);
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: "local" });
    const texts = ["We declare war on poverty.", "The era of big government is over."];
    const response = await client.embeddings.create({ model: "use-lite", input: texts });
    assert.equal(response.data.length, 2);
    assert.equal(response.data[0]!.embedding.length, 512);
    assert.equal(response.usage.prompt_tokens, 5 + 7, "whitespace-separated words");
    const local = await (await universalSentenceEncoder()).embed(texts);
    response.data.forEach((item, i) => assert.ok(cosine(item.embedding, local[i]!) > 0.99999, `text ${i} embedded alike`));
    const short = await client.embeddings.create({ model: "use-lite", input: "war on poverty", dimensions: 64 });
    assert.equal(short.data[0]!.embedding.length, 64);
  } finally {
    await server.close();
  }
});
