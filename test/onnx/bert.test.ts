import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { loadPipeline } from "@llm-course/lib/llm";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { loadSpamAssassin, splitMail } from "@llm-course/lib/data/spam";
import { BERT, bertMlmData, featureExtraction, fillMask, type FillMaskResult } from "@llm-course/lib/models/bert";
import { BERT_TINY_DIR, BERT_TINY_RECIPE } from "@llm-course/lib/models/bert/build";
import { bertToOnnx, bertWeights } from "@llm-course/lib/onnx/bert";
import { encodeModel } from "@llm-course/lib/onnx/proto";
import { createSession, runSession } from "@llm-course/lib/onnx/runtime";
import { exportBertToTransformersJs, loadBertFromTransformersJs, type LoadedBert } from "@llm-course/lib/onnx/transformersJsBert";
import { Random } from "@llm-course/lib/random";
import { bertEncodeBatch, trainBertWordTokenizer, type WordTokenizer } from "@llm-course/lib/tokenizers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-onnx-bert-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let course: LoadedBert;

before(async () => {
  await initBackend({ quiet: true });
  if (!fs.existsSync(path.join(BERT_TINY_DIR, "onnx", "model.onnx"))) throw new Error(`${BERT_TINY_DIR} is missing: run \`npm run models -- bert\``);
  course = loadBertFromTransformersJs(BERT_TINY_DIR);
});
after(() => course?.model.dispose());

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** ONNX and tfjs logits and hidden states on a right-padded batch of `texts`; returns the largest differences. */
async function compareOnBatch(model: BERT, tokenizer: WordTokenizer, onnxModel: Uint8Array | string, texts: string[]): Promise<{ logits: number; hidden: number; padded: number }> {
  const batch = bertEncodeBatch(tokenizer, texts, { maxLength: model.config.maxPositions });
  const [b, t] = [texts.length, batch.inputIds[0]!.length];
  const session = await createSession(onnxModel);
  assert.deepEqual(session.inputNames, ["input_ids", "attention_mask", "token_type_ids"]);
  assert.deepEqual(session.outputNames, ["logits", "last_hidden_state"]);
  const out = await runSession(session, {
    input_ids: { type: "int64", data: batch.inputIds.flat(), dims: [b, t] },
    attention_mask: { type: "int64", data: batch.attentionMask.flat(), dims: [b, t] },
    token_type_ids: { type: "int64", data: new Array(b * t).fill(0), dims: [b, t] },
  });
  const [logits, hidden] = tf.tidy(() => {
    const ids = tf.tensor2d(batch.inputIds, [b, t], "int32");
    const mask = tf.tensor2d(batch.attentionMask, [b, t], "int32");
    const h = model.hiddenStates(ids, mask);
    return [model.mlmLogits(h).dataSync() as Float32Array, h.dataSync() as Float32Array];
  });
  assert.deepEqual(out.logits!.dims, [b, t, model.config.vocabSize]);
  const padded = batch.attentionMask.filter((row) => row.includes(0)).length;
  return { logits: maxAbsDiff(out.logits!.data as Float32Array, logits), hidden: maxAbsDiff(out.last_hidden_state!.data as Float32Array, hidden), padded };
}

test("export of a freshly trained BERT: ONNX logits = tfjs logits on a padded batch, the folder gives the tfjs model back exactly", async () => {
  const book = loadMobyDick().slice(50_000, 250_000);
  const tokenizer = trainBertWordTokenizer(book, { maxWords: 1500 });
  const model = new BERT({ vocabSize: tokenizer.vocabSize, maxPositions: 48, layers: 2, heads: 4, width: 64, seed: 11 });
  try {
    const data = bertMlmData(tokenizer, book.split(/\n\s*\n/), { maxLength: 48 });
    const rng = new Random(3);
    for (let step = 0; step < 10; step++) await model.trainStep(data, Int32Array.from({ length: 8 }, () => rng.int(data.size)), 2e-3);
    const texts = ["Call me Ishmael.", "Some years ago, never mind how long precisely, having little or no money in my purse", "the [MASK] whale"];
    const diffs = await compareOnBatch(model, tokenizer, encodeModel(bertToOnnx(bertWeights(model))), texts);
    console.log(`fresh model, ${diffs.padded} padded rows: max |ONNX − tfjs| logits ${diffs.logits.toExponential(2)}, hidden ${diffs.hidden.toExponential(2)}`);
    assert.ok(diffs.logits <= 1e-4 && diffs.hidden <= 1e-4);

    const exported = exportBertToTransformersJs(model, tokenizer, path.join(tmp, "fresh"), { description: { note: "test" } });
    assert.deepEqual(fs.readdirSync(exported.directory).sort(), ["config.json", "onnx", "tokenizer.json", "tokenizer_config.json"]);
    const config = JSON.parse(fs.readFileSync(path.join(exported.directory, "config.json"), "utf8"));
    assert.equal(config.model_type, "bert");
    assert.equal(config.max_position_embeddings, 48);
    const back = loadBertFromTransformersJs(exported.directory);
    const ids = tf.tensor2d([[2, 10, 11, 12, 3]], undefined, "int32");
    assert.deepEqual(Array.from(back.model.forward(ids).dataSync()), Array.from(model.forward(ids).dataSync()));
    assert.deepEqual(back.tokenizer.vocab.tokens, tokenizer.vocab.tokens);
    ids.dispose();
    back.model.dispose();
    assert.throws(() => exportBertToTransformersJs(model, trainBertWordTokenizer("a b c a b c"), path.join(tmp, "bad")), /the tokenizer has 8 ids, the model 1505/);
    fs.rmSync(path.join(exported.directory, "onnx", "model.onnx"));
    assert.throws(() => loadBertFromTransformersJs(exported.directory), /model\.onnx is missing \(the course's models are rebuilt with `npm run models`\)/);
  } finally {
    model.dispose();
  }
});

test("the committed bert-tiny: ONNX logits = tfjs logits on padded mail, q8 at least 3× smaller", async () => {
  const { model, tokenizer } = course;
  const test = splitMail(loadSpamAssassin(), BERT_TINY_RECIPE.split).test.slice(0, 6).map((m) => m.text);
  const short = ["free money [MASK] now", "the meeting is at noon"];
  const diffs = await compareOnBatch(model, tokenizer, path.join(BERT_TINY_DIR, "onnx", "model.onnx"), [...test, ...short]);
  const fp32 = fs.statSync(path.join(BERT_TINY_DIR, "onnx", "model.onnx")).size;
  const q8 = fs.statSync(path.join(BERT_TINY_DIR, "onnx", "model_quantized.onnx")).size;
  const folder = fs.readdirSync(BERT_TINY_DIR, { recursive: true }).map((f) => fs.statSync(path.join(BERT_TINY_DIR, String(f)))).filter((s) => s.isFile()).reduce((n, s) => n + s.size, 0);
  console.log(`bert-tiny, ${diffs.padded} padded rows of 8: max |ONNX − tfjs| logits ${diffs.logits.toExponential(2)}, hidden ${diffs.hidden.toExponential(2)}; model.onnx ${fp32} B, q8 ${q8} B (${(fp32 / q8).toFixed(2)}×), folder ${folder} B`);
  assert.ok(diffs.logits <= 1e-4, `logits ${diffs.logits}`);
  assert.ok(diffs.hidden <= 1e-4, `hidden ${diffs.hidden}`);
  assert.ok(fp32 / q8 >= 3, `q8 ratio ${fp32 / q8}`);
  assert.ok(folder < 10e6, "the committed folder stays under 10 MB");
});

test("transformers.js offline on the committed folder: fill-mask and feature-extraction give the tfjs model's tokens and vectors; q8 agrees", async () => {
  const { model, tokenizer } = course;
  const { pipeline, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  const probes = [...BERT_TINY_RECIPE.probes, "thank you for your [MASK] .", "the [MASK] of the list"];
  // The notebooks' way in: resolveModel's course folder, offline.
  type Unmasker = ((text: string, options: { top_k: number }) => Promise<unknown>) & { dispose(): Promise<void> };
  const { pipe: unmasker, model: resolved } = await loadPipeline<Unmasker>("fill-mask", "bert", { online: false, quiet: true });
  assert.equal(resolved.id, BERT_TINY_DIR);
  const quantized = await pipeline("fill-mask", BERT_TINY_DIR, { dtype: "q8" });
  let q8Agreement = 0;
  for (const text of probes) {
    const ours = fillMask(model, tokenizer, text, { topK: 5 });
    const theirs = (await unmasker(text, { top_k: 5 })) as FillMaskResult[];
    assert.deepEqual(theirs.map((r) => r.token), ours.map((r) => r.token), text);
    assert.deepEqual(theirs.map((r) => r.sequence), ours.map((r) => r.sequence));
    assert.ok(maxAbsDiff(theirs.map((r) => r.score), ours.map((r) => r.score)) < 1e-4);
    const q8 = (await quantized(text, { top_k: 5 })) as FillMaskResult[];
    if (q8[0]!.token === ours[0]!.token) q8Agreement++;
    console.log(`${text} → ${ours.map((r) => `${r.token_str} (${r.score.toFixed(3)})`).join(", ")}; q8: ${q8.map((r) => r.token_str).join(", ")}`);
  }
  assert.ok(q8Agreement >= probes.length - 1, `q8 top-1 agrees on ${q8Agreement} of ${probes.length}`);
  await unmasker.dispose();
  await quantized.dispose();

  const texts = ["Cheap meds online, no prescription needed!", "Re: [SAtalk] spamc processes\n\nI have been using SpamAssassin for a few weeks.", "hi"];
  const extractor = await pipeline("feature-extraction", BERT_TINY_DIR);
  const theirs = (await extractor(texts, { pooling: "mean" })) as unknown as { dims: number[]; data: Float32Array };
  const ours = featureExtraction(model, tokenizer, texts);
  assert.deepEqual(theirs.dims, [3, model.config.width]);
  const diff = maxAbsDiff(theirs.data, ours.flatMap((v) => Array.from(v)));
  console.log(`feature-extraction (mean pooling), 3 texts: max |transformers.js − tfjs| = ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-4);
  await extractor.dispose();
});
