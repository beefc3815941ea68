import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { tokenizerFiles } from "@llm-course/lib/onnx/tokenizerFiles";
import { ByteBpeTokenizer, CharTokenizer, trainByteBpe } from "@llm-course/lib/tokenizers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-onnx-tokenizer-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const book = loadMobyDick();
const lines = book.split("\n").filter((line) => line.length > 0).slice(2000, 2400);
const SAMPLES = ["Call me Ishmael. Some years ago—never mind how long", "  two  spaces\n\nand new lines\t", "whale 🐳, é and Ω unseen", ""];

async function loadWithTransformersJs(files: ReturnType<typeof tokenizerFiles>, name: string) {
  const folder = path.join(tmp, name);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, "tokenizer.json"), JSON.stringify(files.tokenizer));
  fs.writeFileSync(path.join(folder, "tokenizer_config.json"), JSON.stringify(files.tokenizerConfig));
  const { AutoTokenizer, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  return AutoTokenizer.from_pretrained(folder);
}

test("character tokenizer → tokenizer.json: transformers.js gives the same ids and text, <unk> for unseen characters", async () => {
  const tokenizer = CharTokenizer.fromText(book.slice(0, 50_000));
  const files = tokenizerFiles(tokenizer);
  assert.deepEqual([...files.specialTokens], [["<pad>", 0], ["<s>", 1], ["</s>", 2], ["<unk>", 3]]);
  assert.equal(files.tokenizerConfig.eos_token, "</s>");
  const hf = await loadWithTransformersJs(files, "chars");
  for (const text of [...SAMPLES, ...lines]) {
    const ids = tokenizer.encode(text);
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }), ids, JSON.stringify(text.slice(0, 60)));
    if (ids.length > 0) assert.equal(hf.decode(ids), tokenizer.decode(ids)); // transformers.js refuses to decode []
  }
  assert.ok(tokenizer.encode("🐳").includes(3), "an unseen character is <unk>");
});

test("byte-level BPE → tokenizer.json: transformers.js gives the same ids", async () => {
  const tokenizer = trainByteBpe(book.slice(0, 100_000), 400);
  assert.ok(tokenizer instanceof ByteBpeTokenizer);
  const files = tokenizerFiles(tokenizer);
  assert.equal(files.vocabSize, 400);
  const hf = await loadWithTransformersJs(files, "bpe");
  for (const text of [...SAMPLES, ...lines]) {
    const ids = tokenizer.encode(text);
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }), ids, JSON.stringify(text.slice(0, 60)));
    if (ids.length > 0) assert.equal(hf.decode(ids), text);
  }
  assert.throws(() => tokenizerFiles({} as CharTokenizer), /expected a ByteBpeTokenizer or a CharTokenizer/);
});
