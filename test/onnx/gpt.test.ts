import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { splitTokenStream } from "@llm-course/lib/data/token-stream";
import { GPT } from "@llm-course/lib/models/gpt";
import { GPT_ONNX_NAMES, gptToOnnx, gptWeights } from "@llm-course/lib/onnx/gpt";
import { encodeModel } from "@llm-course/lib/onnx/proto";
import { createSession, runSession, type FeedTensor, type OutputTensor } from "@llm-course/lib/onnx/runtime";
import { exportGptToTransformersJs, type TransformersJsExport } from "@llm-course/lib/onnx/transformersJs";
import { Random } from "@llm-course/lib/random";
import { CharTokenizer } from "@llm-course/lib/tokenizers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-onnx-gpt-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BLOCK = 32;
const book = loadMobyDick();
const text = book.slice(20_000, 80_000);
const tokenizer = CharTokenizer.fromText(text);
const ids = tokenizer.encode(text);
const { train: trainSet, dev } = splitTokenStream(ids, BLOCK);
let model: GPT;
let exported: TransformersJsExport;

before(async () => {
  await initBackend({ quiet: true });
  // Width 64: big enough for the int8 weights to outweigh the graph's own bytes (names, nodes) in the size ratio.
  model = new GPT({ vocabSize: tokenizer.vocabSize, blockSize: BLOCK, layers: 2, heads: 4, width: 64, seed: 7 });
  // A few seconds of training, so that the q8 comparison is made on a model that predicts something.
  const rng = new Random(1);
  const started = Date.now();
  const initial = model.evaluate(dev);
  for (let step = 0; step < 200; step++) {
    const offsets = Int32Array.from({ length: 8 }, () => rng.int(trainSet.size));
    await model.trainStep(trainSet, offsets, 1e-2);
  }
  console.log(`trained 200 steps in ${((Date.now() - started) / 1000).toFixed(1)} s, dev loss ${initial.toFixed(3)} → ${model.evaluate(dev).toFixed(3)}`);
  exported = exportGptToTransformersJs(model, tokenizer, path.join(tmp, "moby-gpt"), { quantized: true });
});

function emptyCache(layers: number, heads: number, dHead: number, batch = 1): Record<string, FeedTensor> {
  const feeds: Record<string, FeedTensor> = {};
  for (let i = 0; i < layers; i++) {
    for (const name of [GPT_ONNX_NAMES.pastKey(i), GPT_ONNX_NAMES.pastValue(i)]) feeds[name] = { type: "float32", data: new Float32Array(0), dims: [batch, heads, 0, dHead] };
  }
  return feeds;
}

function cacheFrom(outputs: Record<string, OutputTensor>, layers: number): Record<string, FeedTensor> {
  const feeds: Record<string, FeedTensor> = {};
  for (let i = 0; i < layers; i++) {
    feeds[GPT_ONNX_NAMES.pastKey(i)] = { type: "float32", data: outputs[GPT_ONNX_NAMES.presentKey(i)]!.data as Float32Array, dims: outputs[GPT_ONNX_NAMES.presentKey(i)]!.dims };
    feeds[GPT_ONNX_NAMES.pastValue(i)] = { type: "float32", data: outputs[GPT_ONNX_NAMES.presentValue(i)]!.data as Float32Array, dims: outputs[GPT_ONNX_NAMES.presentValue(i)]!.dims };
  }
  return feeds;
}

function step(tokens: number[], start: number, total: number, cache: Record<string, FeedTensor>): Record<string, FeedTensor> {
  return {
    input_ids: { type: "int64", data: tokens, dims: [1, tokens.length] },
    attention_mask: { type: "int64", data: new Array(total).fill(1), dims: [1, total] },
    position_ids: { type: "int64", data: tokens.map((_, i) => start + i), dims: [1, tokens.length] },
    ...cache,
  };
}

function tfjsLogits(tokens: number[], of: GPT = model): Float32Array {
  const logits = tf.tidy(() => of.forward(tf.tensor2d([tokens], [1, tokens.length], "int32")));
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return Float32Array.from(values);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * The exported graph's logits against the tfjs model's on a prompt of 31 tokens: whole, then with the cache
 * (20 tokens, 8 at once, the last 3 one at a time), and in a batch of two with the shorter one left-padded.
 */
async function assertOnnxMatchesTfjs(of: GPT): Promise<void> {
  const { layers, heads, width, vocabSize } = of.config;
  const dHead = width / heads;
  const session = await createSession(encodeModel(gptToOnnx(gptWeights(of))));
  assert.deepEqual(session.inputNames.slice(0, 3), ["input_ids", "attention_mask", "position_ids"]);
  assert.deepEqual(session.outputNames.slice(0, 3), ["logits", "present.0.key", "present.0.value"]);
  const prompt = tokenizer.encode("Call me Ishmael. Some years ago"); // 31 of the 32 positions
  const expected = tfjsLogits(prompt, of);
  const diffs: Record<string, number> = {};

  const full = await runSession(session, step(prompt, 0, prompt.length, emptyCache(layers, heads, dHead)));
  assert.deepEqual(full.logits!.dims, [1, prompt.length, vocabSize]);
  assert.deepEqual(full["present.1.value"]!.dims, [1, heads, prompt.length, dHead]);
  diffs.noPast = maxAbsDiff(full.logits!.data as Float32Array, expected);

  // 20 tokens, then 8 at once with the cache, then the last 3 one at a time.
  const first = await runSession(session, step(prompt.slice(0, 20), 0, 20, emptyCache(layers, heads, dHead)));
  const middle = await runSession(session, step(prompt.slice(20, 28), 20, 28, cacheFrom(first, layers)));
  let cache = cacheFrom(middle, layers);
  const rows = [first.logits!.data as Float32Array, middle.logits!.data as Float32Array];
  for (let t = 28; t < prompt.length; t++) {
    const out = await runSession(session, step([prompt[t]!], t, t + 1, cache));
    rows.push(out.logits!.data as Float32Array);
    cache = cacheFrom(out, layers);
  }
  const stitched = new Float32Array(expected.length);
  let offset = 0;
  for (const row of rows) {
    stitched.set(row, offset);
    offset += row.length;
  }
  diffs.withPast = maxAbsDiff(stitched, expected);

  // Batch of two, the shorter prompt left-padded as transformers.js pads: masked keys, positions from 0 at its first token.
  const short = prompt.slice(0, 25);
  const pad = prompt.length - short.length;
  const padded = await runSession(session, {
    input_ids: { type: "int64", data: [...prompt, ...new Array(pad).fill(0), ...short], dims: [2, prompt.length] },
    attention_mask: { type: "int64", data: [...new Array(prompt.length).fill(1), ...new Array(pad).fill(0), ...new Array(short.length).fill(1)], dims: [2, prompt.length] },
    position_ids: { type: "int64", data: [...prompt.map((_, i) => i), ...new Array(pad).fill(1), ...short.map((_, i) => i)], dims: [2, prompt.length] },
    ...emptyCache(layers, heads, dHead, 2),
  });
  const batch = padded.logits!.data as Float32Array;
  diffs.batchRow0 = maxAbsDiff(batch.subarray(0, expected.length), expected);
  diffs.leftPadded = maxAbsDiff(batch.subarray(expected.length + pad * vocabSize), tfjsLogits(short, of));
  console.log("max |ONNX − tfjs| logits:", JSON.stringify(diffs));
  for (const [what, diff] of Object.entries(diffs)) assert.ok(diff <= 1e-4, `${what}: max abs diff ${diff}`);
  await session.release();
}

test("ONNX logits equal the tfjs model's: whole prompt, then with the cache, token by token, and left-padded", async () => {
  await assertOnnxMatchesTfjs(model);
});

test("smeared keys: the same logits (the cache keeps the keys before smearing; padding keys count as 0), and the tfjs cache generates what the whole context does", async () => {
  // Untrained with 15× GPT-2's init and smearing values far from 0, one per head: a broken smear changes the logits.
  const smeared = new GPT({ vocabSize: tokenizer.vocabSize, blockSize: BLOCK, layers: 2, heads: 4, width: 32, initStd: 0.3, seed: 5, smearKeys: true });
  try {
    smeared.blocks.forEach((block, i) => block.attention.smear!.assign(tf.tensor1d([-2, -0.5, 1, 3].map((v) => v + i))));
    await assertOnnxMatchesTfjs(smeared);
    const start = tokenizer.encode("Whale");
    const cached = smeared.generate(start, { maxNewTokens: BLOCK - start.length, temperature: 0 });
    const recomputed = smeared.generate(start, { maxNewTokens: BLOCK - start.length, temperature: 0, useKvCache: false });
    assert.ok(new Set(cached.ids).size > 5, "a varied continuation");
    assert.deepEqual(cached.ids, recomputed.ids);
  } finally {
    smeared.dispose();
  }
});

test("q8: ≥ 3× smaller, every matrix and both embedding tables int8, perplexity within 2 % of fp32 on the validation text", async () => {
  const report = exported.quantization!;
  const ratio = exported.fp32Bytes / exported.q8Bytes!;
  const keptBytes = report.keptFloat.reduce((total, k) => total + 4 * k.dims.reduce((a, b) => a * b, 1), 0);
  console.log(`model.onnx ${exported.fp32Bytes} B, model_quantized.onnx ${exported.q8Bytes} B: ${ratio.toFixed(2)}×; ${report.quantized.length} int8 weights, ${report.keptFloat.length} float32 vectors (${keptBytes} B: biases, LayerNorms, constants)`);
  assert.ok(ratio >= 3, `size ratio ${ratio}`);
  const quantized = report.quantized.map((w) => w.name);
  assert.ok(quantized.includes("tokenEmbedding.table") && quantized.includes("positionEmbedding.table"), quantized.join(", "));
  assert.equal(quantized.length, 2 + 6 * model.config.layers); // tables + q, k, v, o, fc, projection per block
  assert.ok(report.keptFloat.every((k) => k.dims.length < 2), "only vectors (biases, LayerNorm) stay float32");

  const { layers, heads, width, vocabSize } = model.config;
  const fp32 = await createSession(path.join(exported.directory, "onnx", "model.onnx"));
  const q8 = await createSession(path.join(exported.directory, "onnx", "model_quantized.onnx"));
  // Non-overlapping validation windows, every token predicted once as GPT.evaluate does; 8 windows per run.
  const windows = Math.floor((dev.ids.length - 1) / BLOCK);
  const nll = { fp32: 0, q8: 0 };
  let count = 0;
  for (let start = 0; start < windows; start += 8) {
    const n = Math.min(8, windows - start);
    const inputs: number[] = [];
    const targets: number[] = [];
    for (let w = start; w < start + n; w++) {
      inputs.push(...dev.ids.subarray(w * BLOCK, w * BLOCK + BLOCK));
      targets.push(...dev.ids.subarray(w * BLOCK + 1, w * BLOCK + BLOCK + 1));
    }
    const feeds = {
      input_ids: { type: "int64" as const, data: inputs, dims: [n, BLOCK] },
      attention_mask: { type: "int64" as const, data: new Array(n * BLOCK).fill(1), dims: [n, BLOCK] },
      position_ids: { type: "int64" as const, data: inputs.map((_, i) => i % BLOCK), dims: [n, BLOCK] },
      ...emptyCache(layers, heads, width / heads, n),
    };
    for (const [name, session] of [["fp32", fp32], ["q8", q8]] as const) {
      const logits = (await runSession(session, feeds)).logits!.data as Float32Array;
      for (let row = 0; row < targets.length; row++) {
        const slice = logits.subarray(row * vocabSize, (row + 1) * vocabSize);
        let max = -Infinity;
        for (const v of slice) max = Math.max(max, v);
        let sum = 0;
        for (const v of slice) sum += Math.exp(v - max);
        nll[name] -= slice[targets[row]!]! - max - Math.log(sum);
      }
    }
    count += targets.length;
  }
  const perplexity = { fp32: Math.exp(nll.fp32 / count), q8: Math.exp(nll.q8 / count) };
  const tfjsPerplexity = Math.exp(model.evaluate(dev));
  console.log(`validation perplexity over ${count} tokens: tfjs ${tfjsPerplexity.toFixed(4)}, ONNX fp32 ${perplexity.fp32.toFixed(4)}, q8 ${perplexity.q8.toFixed(4)} (${(100 * (perplexity.q8 / perplexity.fp32 - 1)).toFixed(2)} %)`);
  assert.ok(Math.abs(perplexity.fp32 / tfjsPerplexity - 1) < 1e-4, "ONNX fp32 and tfjs agree on the perplexity");
  assert.ok(Math.abs(perplexity.q8 / perplexity.fp32 - 1) < 0.02, `q8 perplexity ${perplexity.q8} vs fp32 ${perplexity.fp32}`);
});

test("transformers.js offline: the exported folder loads, pipeline greedy generation equals GPT.generate's tokens (fp32), q8 generates", async () => {
  const { pipeline, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  assert.deepEqual(fs.readdirSync(exported.directory).sort(), ["config.json", "generation_config.json", "onnx", "tokenizer.json", "tokenizer_config.json"]);
  const config = JSON.parse(fs.readFileSync(path.join(exported.directory, "config.json"), "utf8"));
  assert.equal(config.model_type, "gpt2");
  assert.equal(config.n_layer, model.config.layers);

  const generator = await pipeline("text-generation", exported.directory, { dtype: "fp32" });
  for (const promptText of ["Call me Ishmael. ", "The whale", "It was a "]) {
    const prompt = tokenizer.encode(promptText);
    // Up to the end of the context: positions past blockSize have no embedding.
    const maxNewTokens = BLOCK - prompt.length;
    const ours = model.generate(prompt, { maxNewTokens, temperature: 0, stopTokenIds: [tokenizer.specialTokenId("</s>")!] });
    const encoded = generator.tokenizer(promptText);
    assert.deepEqual(Array.from(encoded.input_ids.data as BigInt64Array, Number), prompt, "same prompt ids");
    const generated = (await generator.model.generate({ ...encoded, max_new_tokens: maxNewTokens, do_sample: false })) as { tolist(): bigint[][] };
    const theirs = generated.tolist()[0]!.map(Number).slice(prompt.length);
    assert.deepEqual(theirs, ours.ids, `greedy tokens after ${JSON.stringify(promptText)}`);
    const [output] = (await generator(promptText, { max_new_tokens: maxNewTokens, do_sample: false })) as { generated_text: string }[];
    assert.equal(output!.generated_text, promptText + tokenizer.decode(ours.ids));
    console.log(JSON.stringify(output!.generated_text));
  }
  // A batch of prompts of different lengths: transformers.js left-pads them and masks the padding.
  const prompts = ["Call me Ishmael. ", "The whale"];
  const batch = (await generator(prompts, { max_new_tokens: 10, do_sample: false })) as { generated_text: string }[][];
  prompts.forEach((promptText, i) => {
    const ours = model.generate(tokenizer.encode(promptText), { maxNewTokens: 10, temperature: 0 });
    assert.equal(batch[i]![0]!.generated_text, promptText + tokenizer.decode(ours.ids), `batched prompt ${i}`);
  });
  await generator.dispose();

  const quantized = await pipeline("text-generation", exported.directory, { dtype: "q8" });
  // max_new_tokens is needed: the pipeline's default (256) overrides generation_config.json's max_length and would run past the context.
  const [q8Output] = (await quantized("Call me Ishmael. ", { max_new_tokens: BLOCK - 17, do_sample: false })) as { generated_text: string }[];
  console.log("q8:", JSON.stringify(q8Output!.generated_text));
  assert.ok(q8Output!.generated_text.startsWith("Call me Ishmael. "));
  assert.equal(tokenizer.encode(q8Output!.generated_text).length, BLOCK);
  await quantized.dispose();
});

test("sinusoidal positions and an untied head: same logits with the cache, pipeline greedy = GPT.generate on an untrained model", async () => {
  // Untrained with 5× GPT-2's init: a varied greedy continuation (8 distinct characters) that a broken cache would change.
  const other = new GPT({ vocabSize: tokenizer.vocabSize, blockSize: BLOCK, layers: 2, heads: 2, width: 32, positions: "sinusoidal", tiedEmbeddings: false, initStd: 0.1, seed: 12 });
  try {
    const folder = exportGptToTransformersJs(other, tokenizer, path.join(tmp, "sinusoidal"), { quantized: false });
    assert.deepEqual(folder.files, ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"]);
    const session = await createSession(path.join(folder.directory, "onnx", "model.onnx"));
    const prompt = tokenizer.encode("Whaling voyage by one Ishmael.");
    const expected = tf.tidy(() => other.forward(tf.tensor2d([prompt], [1, prompt.length], "int32")).dataSync() as Float32Array);
    const first = await runSession(session, step(prompt.slice(0, 10), 0, 10, emptyCache(2, 2, 16)));
    const rest = await runSession(session, step(prompt.slice(10), 10, prompt.length, cacheFrom(first, 2)));
    const diff = maxAbsDiff([...(first.logits!.data as Float32Array), ...(rest.logits!.data as Float32Array)], expected);
    console.log(`sinusoidal/untied: max |ONNX − tfjs| = ${diff}`);
    assert.ok(diff <= 1e-4, `max abs diff ${diff}`);

    const { pipeline } = await import("@huggingface/transformers");
    const generator = await pipeline("text-generation", folder.directory);
    const start = tokenizer.encode("Whale");
    const ours = other.generate(start, { maxNewTokens: BLOCK - start.length, temperature: 0, stopTokenIds: [tokenizer.specialTokenId("</s>")!] });
    const generated = (await generator.model.generate({ ...generator.tokenizer("Whale"), max_new_tokens: BLOCK - start.length, do_sample: false })) as { tolist(): bigint[][] };
    const theirs = generated.tolist()[0]!.map(Number).slice(start.length);
    console.log(JSON.stringify(tokenizer.decode(ours.ids)));
    assert.ok(new Set(ours.ids).size > 5, "a varied continuation");
    assert.deepEqual(theirs, ours.ids);
    await generator.dispose();
  } finally {
    other.dispose();
  }
});
