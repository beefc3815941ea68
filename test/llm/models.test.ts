import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, test } from "node:test";
import { COURSE_MODEL_NAMES, courseModelPath, downloadProgress, MODEL_FOLDER_FILES, OFFLINE_VARIABLE, resolveModel, type CourseModelName } from "@llm-course/lib/llm";

// The online path (a real download from the Hub) cannot run here: CI has no network. These tests pin
// the decision — which source is chosen, from what — with the probe replaced.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-models-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const saved = process.env[OFFLINE_VARIABLE];
afterEach(() => {
  if (saved === undefined) delete process.env[OFFLINE_VARIABLE];
  else process.env[OFFLINE_VARIABLE] = saved;
});

function fakeModels(...folders: string[]): string {
  const root = fs.mkdtempSync(path.join(tmp, "models-"));
  for (const folder of folders) {
    for (const file of MODEL_FOLDER_FILES) {
      fs.mkdirSync(path.dirname(path.join(root, folder, file)), { recursive: true });
      fs.writeFileSync(path.join(root, folder, file), "{}");
    }
  }
  return root;
}

test("offline: the course folder, as an absolute path, saying why", async () => {
  delete process.env[OFFLINE_VARIABLE];
  const modelsDirectory = fakeModels("bert-tiny");
  const probe = async () => false;
  const bert = await resolveModel("bert", { modelsDirectory, probe, timeoutMs: 300 });
  assert.equal(bert.source, "course");
  assert.equal(bert.id, path.join(modelsDirectory, "bert-tiny"));
  assert.ok(path.isAbsolute(bert.id), "transformers.js takes a bare relative name for a Hub id");
  assert.equal(bert.task, "fill-mask");
  assert.match(bert.description, /^bert : bert-tiny, modèle du cours \(hors ligne : le Hub n'a pas répondu en 300 ms\)/);
  const embeddings = await resolveModel("embeddings", { modelsDirectory, online: false });
  assert.equal(embeddings.id, bert.id, "the course's sentence vectors come from bert-tiny");
  assert.match(embeddings.description, /online: false demandé/);
});

test("online: the Hub id, without touching the course folder; LLM_COURSE_OFFLINE overrides everything", async () => {
  delete process.env[OFFLINE_VARIABLE];
  const empty = fakeModels();
  const probed: number[] = [];
  const probe = async (timeoutMs: number) => {
    probed.push(timeoutMs);
    return true;
  };
  const expected: Record<CourseModelName, string> = { bert: "Xenova/bert-base-uncased", gpt: "Xenova/gpt2", embeddings: "Xenova/all-MiniLM-L6-v2", chat: "onnx-community/Qwen2.5-0.5B-Instruct" };
  for (const name of COURSE_MODEL_NAMES) {
    const resolved = await resolveModel(name, { modelsDirectory: empty, probe });
    assert.equal(resolved.source, "hub");
    assert.equal(resolved.id, expected[name]);
    assert.match(resolved.description, /du Hub Hugging Face \(le Hub a répondu\)/);
    // Only the chat model names a dtype: the Node default (fp32) would load 2 GB for Qwen2.5-0.5B.
    assert.equal(resolved.dtype, name === "chat" ? "q4" : undefined);
  }
  assert.deepEqual(probed, [1500, 1500, 1500, 1500]);
  assert.equal((await resolveModel("gpt", { online: true, probe: async () => assert.fail("no probe when online is given") })).source, "hub");

  process.env[OFFLINE_VARIABLE] = "1";
  const full = fakeModels("bert-tiny");
  const forced = await resolveModel("bert", { modelsDirectory: full, online: true, probe });
  assert.equal(forced.source, "course");
  assert.match(forced.description, /hors ligne : LLM_COURSE_OFFLINE est défini/);
  process.env[OFFLINE_VARIABLE] = "0";
  assert.equal((await resolveModel("bert", { modelsDirectory: full, probe })).source, "hub");
});

test("errors: an unknown name lists the known ones, a missing course model says to run npm run models", async () => {
  await assert.rejects(resolveModel("roberta" as CourseModelName, { online: false }), /modèle inconnu : "roberta" ; les modèles du cours sont bert, gpt, embeddings, chat/);
  const empty = fakeModels();
  await assert.rejects(resolveModel("gpt", { online: false, modelsDirectory: empty }), /il manque config\.json, tokenizer\.json, tokenizer_config\.json, onnx\/model\.onnx dans .*gpt-moby\. Lancez `npm run models`/);
  assert.throws(() => courseModelPath("bert", empty), /npm run models/);
});

test("chat: the course's chat-mini offline, a text-generation model with its chat template", async () => {
  delete process.env[OFFLINE_VARIABLE];
  const chat = await resolveModel("chat", { online: false });
  assert.equal(chat.source, "course");
  assert.equal(chat.task, "text-generation");
  assert.equal(chat.dtype, undefined);
  assert.equal(path.basename(chat.id), "chat-mini");
  assert.match(chat.description, /^chat : chat-mini, modèle du cours \(hors ligne : online: false demandé\)/);
  const config = JSON.parse(fs.readFileSync(path.join(chat.id, "tokenizer_config.json"), "utf8")) as { chat_template?: string; eos_token?: string };
  assert.equal(typeof config.chat_template, "string");
  assert.equal(config.eos_token, "<|end|>");
});

test("the committed course BERT is found offline", async () => {
  const resolved = await resolveModel("bert", { online: false });
  assert.ok(fs.existsSync(path.join(resolved.id, "onnx", "model_quantized.onnx")));
});

test("download progress: one bar per file, fed by transformers.js's progress events", () => {
  const callback = downloadProgress({ mode: "silent" });
  callback({ status: "initiate", name: "Xenova/gpt2", file: "onnx/model.onnx" });
  callback({ status: "progress", name: "Xenova/gpt2", file: "onnx/model.onnx", loaded: 10, total: 100, progress: 10 });
  callback({ status: "progress", name: "Xenova/gpt2", file: "onnx/model.onnx", loaded: 100, total: 100, progress: 100 });
  callback({ status: "done", name: "Xenova/gpt2", file: "onnx/model.onnx" });
  callback({ status: "ready" } as never);
});
