import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { initBackend } from "@llm-course/lib/backend";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { courseModelPath, resolveModel } from "@llm-course/lib/llm";
import { GPT_MOBY_CHECKPOINT, GPT_MOBY_DIR, GPT_MOBY_RECIPE, gptMobyData, gptParameterCount, loadGptMoby, type LoadedGptMoby } from "@llm-course/lib/models/gpt";
import { CharTokenizer } from "@llm-course/lib/tokenizers";

let loaded: LoadedGptMoby;
before(async () => {
  await initBackend({ quiet: true });
  loaded = loadGptMoby();
});
after(() => loaded?.model.dispose());

function folderBytes(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? folderBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);
}

test("the committed gpt-moby: recipe's architecture, the book's character vocabulary, a folder under 10 MB", () => {
  const { model, tokenizer, info } = loaded;
  assert.deepEqual(
    { blockSize: model.config.blockSize, layers: model.config.layers, heads: model.config.heads, width: model.config.width, seed: model.config.seed },
    GPT_MOBY_RECIPE.model,
  );
  assert.equal(info.parameters, model.parameterCount);
  assert.equal(model.parameterCount, gptParameterCount(model.config));
  const fromBook = CharTokenizer.fromText(loadMobyDick());
  assert.deepEqual(tokenizer.vocab.tokens, fromBook.vocab.tokens, "the vocabulary is rebuilt from the book's characters");
  assert.equal(info.steps, GPT_MOBY_RECIPE.training.steps);
  assert.ok(info.devLoss < info.initialDevLoss - 2, `validation loss ${info.initialDevLoss} → ${info.devLoss}`);
  const bytes = folderBytes(GPT_MOBY_DIR);
  assert.ok(bytes < 10e6, `data/models/gpt-moby holds ${bytes} bytes`);
  assert.equal(fs.statSync(path.join(GPT_MOBY_DIR, GPT_MOBY_CHECKPOINT, "weights.bin")).size, 4 * model.parameterCount);
});

test("gpt-moby re-scores the validation loss recorded at the end of training (first 16,384 validation characters)", () => {
  const { model, info } = loaded;
  const { devProbe, train, dev } = gptMobyData();
  assert.equal(train.ids.length, info.trainTokens);
  assert.equal(dev.ids.length, info.devTokens);
  const loss = model.evaluate(devProbe);
  const recorded = info.probeLoss[info.probeLoss.length - 1]!;
  assert.ok(Math.abs(loss - recorded) < 1e-4, `dev-probe loss ${loss}, recorded ${recorded}`);
});

test("resolveModel offers gpt-moby offline: the transformers.js folder with its q8 variant", async () => {
  const resolved = await resolveModel("gpt", { online: false });
  assert.equal(resolved.id, courseModelPath("gpt"));
  assert.equal(resolved.id, GPT_MOBY_DIR);
  assert.equal(resolved.task, "text-generation");
  for (const file of ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx", "onnx/model_quantized.onnx"]) {
    assert.ok(fs.existsSync(path.join(resolved.id, file)), file);
  }
  const config = JSON.parse(fs.readFileSync(path.join(resolved.id, "config.json"), "utf8"));
  assert.equal(config.model_type, "gpt2");
  assert.equal(config.n_positions, loaded.model.config.blockSize);
  assert.equal(config.vocab_size, loaded.tokenizer.vocabSize);
  assert.equal(config.llm_course.dev_loss, loaded.info.devLoss);
});
