import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chatClient, COURSE_CHAT_MODEL_ID } from "../../lib/llm";

const server = { baseURL: "http://127.0.0.1:9/v1", models: ["chat-mini", "gpt-moby"] };

describe("chatClient", () => {
  it("uses the provider when OPENAI_API_KEY is set, with OPENAI_BASE_URL and LLM_COURSE_CHAT_MODEL", async () => {
    const chat = await chatClient({ server, env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "https://api.mistral.ai/v1", LLM_COURSE_CHAT_MODEL: "mistral-small-latest" } });
    assert.equal(chat.source, "provider");
    assert.equal(chat.model, "mistral-small-latest");
    assert.equal(chat.client.baseURL, "https://api.mistral.ai/v1");
    assert.match(chat.description, /mistral-small-latest sur https:\/\/api\.mistral\.ai\/v1 \(OPENAI_API_KEY est défini\)/);
  });

  it("defaults to gpt-4o-mini at OpenAI when only the key is set", async () => {
    const chat = await chatClient({ env: { OPENAI_API_KEY: "sk-test" } });
    assert.equal(chat.model, "gpt-4o-mini");
    assert.equal(chat.client.baseURL, "https://api.openai.com/v1");
  });

  it("uses the course model on the local server without a key (a blank key counts as none)", async () => {
    for (const env of [{}, { OPENAI_API_KEY: "  " }]) {
      const chat = await chatClient({ server, env });
      assert.equal(chat.source, "course");
      assert.equal(chat.model, COURSE_CHAT_MODEL_ID);
      assert.equal(chat.client.baseURL, server.baseURL);
      assert.match(chat.description, /chat-mini, modèle du cours, sur le serveur local du cours http:\/\/127\.0\.0\.1:9\/v1 \(pas de OPENAI_API_KEY\)/);
    }
  });

  it("LLM_COURSE_OFFLINE keeps the course model even with a key", async () => {
    const chat = await chatClient({ server, env: { OPENAI_API_KEY: "sk-test", LLM_COURSE_OFFLINE: "1" } });
    assert.equal(chat.source, "course");
    assert.match(chat.description, /\(LLM_COURSE_OFFLINE est défini\)/);
  });

  it("says what is missing: no server, or a server without the chat model", async () => {
    await assert.rejects(chatClient({ env: {} }), /no OPENAI_API_KEY is set, so the course's local server is needed/);
    await assert.rejects(chatClient({ env: {}, server: { baseURL: "http://127.0.0.1:9/v1", models: ["gpt-moby"] } }), /does not serve chat-mini \(it serves gpt-moby\)/);
    await assert.rejects(chatClient(null as never), /options must be an object/);
  });
});
