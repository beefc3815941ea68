import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { trainChatTokenizer } from "@llm-course/lib/chat";
import { weightedRowsDataset } from "@llm-course/lib/data/weighted-rows";
import { formatTrainableParameters, LoraAdapters, LoraLayer, prepareFineTuning, quantizeBase } from "@llm-course/lib/finetuning";
import { GPT } from "@llm-course/lib/models/gpt";
import { frozenLinear, linear, Linear } from "@llm-course/lib/models/layers";
import { exportGptToTransformersJs } from "@llm-course/lib/onnx/transformersJs";
import { Random } from "@llm-course/lib/random";

// 256 bytes + 8 chat special tokens, no merges.
const tokenizer = trainChatTokenizer("abc", 264);
const CONFIG = { vocabSize: 264, blockSize: 8, layers: 2, heads: 2, width: 16, trainingEngine: "tfjs" as const };
const IDS = [[3, 70, 71, 72, 5, 9, 100, 40]];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "llm-lora-"));

before(async () => {
  await initBackend({ quiet: true });
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function logits(model: GPT): Float32Array {
  const out = tf.tidy(() => model.forward(tf.tensor2d(IDS, undefined, "int32")));
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

/** Gives every B random values, as training would: the adapters now change the outputs. */
function randomiseB(adapters: LoraAdapters, seed: number): void {
  const rng = new Random(seed);
  for (const layer of adapters.layers) layer.b.assign(tf.tensor(Array.from({ length: layer.b.size }, () => 0.3 * rng.normal()), layer.b.shape));
}

test("frozenLinear = linear in value and in ∂x, and computes no ∂W", () => {
  const x = tf.tensor2d([[1, 2], [3, -1]]);
  const w = tf.tensor2d([[0.5, -1, 2], [1, 0, -0.5]]);
  const b = tf.tensor1d([0.1, 0.2, 0.3]);
  const f = (op: typeof linear) => tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.square(op(xi, wi, b))));
  assert.deepEqual(Array.from(frozenLinear(x, w, b).dataSync()), Array.from(linear(x, w, b).dataSync()));
  // x·W + b = [[0.5 + 2 + 0.1, −1 + 0.2, 2 − 1 + 0.3], [1.5 − 1 + 0.1, −3 + 0.2, 6 + 0.5 + 0.3]]
  assert.deepEqual(Array.from(frozenLinear(x, w, b).dataSync(), (v) => Number(v.toFixed(5))), [2.6, -0.8, 1.3, 0.6, -2.8, 6.8]);
  const dxFrozen = tf.grad((xi: tf.Tensor) => tf.sum(tf.square(frozenLinear(xi, w, b))))(x);
  const [dxPlain] = f(linear)([x, w]);
  assert.ok(maxDifference(dxFrozen.dataSync() as Float32Array, dxPlain!.dataSync() as Float32Array) < 1e-5);
});

test("a Linear's adapter adds its output: y = x·W + b + adapter(x)", () => {
  const layer = new Linear(3, 2, { rng: new Random(1) });
  const x = tf.tensor2d([[1, 2, 3]]);
  const base = layer.apply(x).dataSync();
  layer.adapter = (input) => tf.mul(tf.sum(input, 1, true), tf.ones([1, 2]));
  const adapted = layer.apply(x).dataSync();
  assert.deepEqual(Array.from(adapted, (v, i) => Number((v - base[i]!).toFixed(5))), [6, 6], "the adapter's Σx = 6 is added to both outputs");
  layer.dispose();
});

test("LoRA starts unchanged (B = 0), counts r·(in + out) per projection, in peft's format", () => {
  const model = new GPT(CONFIG);
  const before = logits(model);
  const adapters = LoraAdapters.attach(model, { rank: 4, alpha: 8 });
  // 2 blocks × (wq, wv) × r (16 + 16) = 2 · 2 · 4 · 32 = 512
  assert.equal(adapters.trainableParameters().trainable, 512);
  assert.equal(adapters.trainableParameters().all, model.parameterCount + 512);
  assert.equal(adapters.layers[0]!.a.shape.join("×"), "4×16", "A is [r, in]");
  assert.equal(adapters.layers[0]!.b.shape.join("×"), "16×4", "B is [out, r]");
  assert.equal(adapters.layers[0]!.scale, 2, "α/r = 8/4");
  assert.equal(maxDifference(logits(model), before), 0, "B = 0: exactly the base model's logits");
  assert.ok(model.namedParameters().every(([, v]) => !v.trainable), "the base is frozen");
  assert.equal(formatTrainableParameters({ trainable: 8192, all: 1_358_592 }), "trainable params: 8,192 || all params: 1,358,592 || trainable%: 0.6030");
  adapters.detach();
  assert.ok(model.namedParameters().every(([, v]) => v.trainable), "detach unfreezes");
  model.dispose();
});

test("LoRA errors name the problem: rank larger than the layer, unknown target, a second adapter, another model", () => {
  const model = new GPT(CONFIG);
  assert.throws(() => LoraAdapters.attach(model, { rank: 17 }), /rank 17 is larger than the layer blocks\.0\.attention\.wq \(16 × 16\)/);
  assert.throws(() => LoraAdapters.attach(model, { rank: 4, targets: ["attention.wz" as never] }), /unknown target "attention\.wz"/);
  assert.throws(() => LoraAdapters.attach(model, { rank: 0 }), /rank must be an integer ≥ 1/);
  const adapters = LoraAdapters.attach(model, { rank: 2, targets: ["mlp.fc"] });
  assert.throws(() => LoraAdapters.attach(model, { rank: 2, targets: ["mlp.fc"] }), /already has an adapter/);
  randomiseB(adapters, 3);
  const folder = path.join(scratch, "adapter");
  assert.equal(adapters.save(folder), 4 * adapters.trainableParameters().trainable);
  const adapted = logits(model);
  adapters.detach();

  const reloaded = LoraAdapters.load(model, folder);
  assert.ok(maxDifference(logits(model), adapted) < 1e-6, "save → load gives the same adapted model");
  reloaded.detach();
  const other = new GPT({ ...CONFIG, seed: 7 });
  assert.throws(() => LoraAdapters.load(other, folder), /trained for another model.*checksum/);
  const wider = new GPT({ ...CONFIG, width: 32 });
  assert.throws(() => LoraAdapters.load(wider, folder), /trained for another model \(adapter: width 16, .*this model: width 32/);
  for (const m of [model, other, wider]) m.dispose();
});

test("merge: the plain model with W + (α/r)·(B·A)ᵀ computes what the adapted model did; detach restores the base", () => {
  const model = new GPT(CONFIG);
  const base = logits(model);
  const adapters = LoraAdapters.attach(model, { rank: 4, targets: ["attention.wq", "attention.wk", "attention.wv", "attention.wo", "mlp.fc", "mlp.projection"] });
  randomiseB(adapters, 1);
  const adapted = logits(model);
  assert.ok(maxDifference(adapted, base) > 1e-2, "trained adapters change the outputs");
  // The low-rank path and the merged matrix agree for one layer: x·Aᵀ·Bᵀ·α/r = x·ΔW.
  const layer = adapters.layers[0]!;
  const x = tf.randomNormal([3, 16], 0, 1, "float32", 5) as tf.Tensor2D;
  const viaAdapter = layer.forward(x).dataSync() as Float32Array;
  const viaDelta = tf.matMul(x, tf.tensor2d(layer.deltaWeight(), [16, 16])).dataSync() as Float32Array;
  assert.ok(maxDifference(viaAdapter, viaDelta) < 1e-5);
  adapters.merge();
  assert.ok(model.blocks.every((b) => b.attention.wq.adapter === null && b.fc.adapter === null), "merged adapters are removed");
  assert.ok(maxDifference(logits(model), adapted) < 1e-4, "merged outputs = adapter outputs");
  assert.throws(() => adapters.merge(), /merged or detached/);
  model.dispose();
});

test("training LoRA moves A and B only; the base weights stay bit-identical; head-only trains the head only", async () => {
  const model = new GPT(CONFIG);
  const snapshot = new Map(model.namedParameters().map(([name, v]) => [name, Array.from(v.dataSync())]));
  // Rows "a b c d …": learn to continue a fixed sequence, every target weighted.
  const row = [97, 98, 99, 100, 101, 102, 103, 104, 105];
  const data = weightedRowsDataset([row], [new Array(8).fill(1)], 8);
  const setup = prepareFineTuning(model, { kind: "lora", lora: { rank: 4, targets: ["attention.wq", "attention.wv", "mlp.fc", "mlp.projection"] } });
  // 2 blocks × (wq 4·32 + wv 4·32 + fc 4·(16 + 64) + projection 4·(64 + 16)) = 2 · 896 = 1792
  assert.equal(setup.summary, `trainable params: 1,792 || all params: ${(model.parameterCount + 1792).toLocaleString("en-US")} || trainable%: ${((100 * 1792) / (model.parameterCount + 1792)).toFixed(4)}`);
  assert.equal(setup.optimizerStateBytes, 2 * 4 * 1792);
  const first = setup.trainer.trainStep(data, Int32Array.of(0), 3e-2);
  let last = first;
  for (let i = 0; i < 30; i++) last = setup.trainer.trainStep(data, Int32Array.of(0), 3e-2);
  assert.ok(last < first - 0.1, `the loss falls: ${first} → ${last}`);
  for (const [name, v] of model.namedParameters()) assert.deepEqual(Array.from(v.dataSync()), snapshot.get(name), `${name} unchanged`);
  assert.ok(setup.adapters!.layers.some((l) => l.b.dataSync().some((value) => value !== 0)), "B moved");
  setup.adapters!.detach();
  setup.release();

  const head = prepareFineTuning(model, { kind: "head" });
  // Tied embeddings: the head is the token table (V·d = 264·16) and the final LayerNorm (2·16).
  assert.equal(head.parameters.trainable, 264 * 16 + 32);
  head.trainer.trainStep(data, Int32Array.of(0), 1e-2);
  for (const [name, v] of model.namedParameters()) {
    const changed = Array.from(v.dataSync()).some((value, i) => value !== snapshot.get(name)![i]);
    assert.equal(changed, name === "tokenEmbedding.table" || name.startsWith("finalNorm."), name);
  }
  head.release();
  model.dispose();
});

test("LoRA's gradients: ∂L/∂B = (α/r)·Gᵀ·Aᵀ where G = ∂L/∂W is the full fine-tuning gradient of the same weight", () => {
  const model = new GPT(CONFIG);
  const inputs = tf.tensor2d([IDS[0]!.slice(0, 7)], undefined, "int32");
  const targets = tf.tensor2d([IDS[0]!.slice(1, 8)], undefined, "int32");
  const wq = model.blocks[1]!.attention.wq.weight;
  const fc = model.blocks[0]!.fc.weight;
  const full = tf.variableGrads(() => model.loss(inputs, targets), [wq, fc]).grads;
  const adapters = LoraAdapters.attach(model, { rank: 3, targets: ["attention.wq", "mlp.fc"] });
  const lora = tf.variableGrads(() => model.loss(inputs, targets), adapters.namedParameters().map(([, v]) => v)).grads;
  for (const [layer, weight] of [[adapters.layers[2]!, wq], [adapters.layers[1]!, fc]] as const) {
    assert.equal(layer.linear.weight, weight);
    const expected = tf.mul(tf.matMul(tf.transpose(full[weight.name]!), tf.transpose(layer.a)), layer.scale).dataSync() as Float32Array;
    const actual = lora[layer.b.name]!.dataSync() as Float32Array;
    const largest = Math.max(...Array.from(expected, Math.abs));
    assert.ok(largest > 1e-6, "a non-zero gradient");
    assert.ok(maxDifference(actual, expected) < 1e-4 * largest + 1e-7, `${layer.name}: ∂B matches`);
    // B = 0: A gets no gradient yet (∂A = (α/r)·Bᵀ·Gᵀ = 0).
    assert.equal(Math.max(...Array.from(lora[layer.a.name]!.dataSync(), Math.abs)), 0, `${layer.name}: ∂A = 0 while B = 0`);
  }
  adapters.detach();
  model.dispose();
});

test("a LoRA layer's own gradient op: value, ∂x, ∂A and ∂B equal autograd's on (α/r)·x·Aᵀ·Bᵀ", () => {
  const rng = new Random(5);
  const values = (n: number) => Float32Array.from({ length: n }, () => 2 * rng.next() - 1);
  const layer = new LoraLayer("probe", new Linear(5, 4), 2, 6, rng);
  layer.b.assign(tf.tensor2d(values(8), [4, 2]));
  const x = tf.variable(tf.tensor2d(values(15), [3, 5]));
  const weights = tf.tensor2d(values(12), [3, 4]);
  const plain = (xi: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.mul(tf.matMul(tf.matMul(xi, tf.transpose(a)), tf.transpose(b)), layer.scale);
  const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, weights));
  assert.ok(maxDifference(layer.forward(x).dataSync() as Float32Array, plain(x, layer.a, layer.b).dataSync() as Float32Array) < 1e-6, "value");
  const variables = [x, layer.a, layer.b];
  const ours = tf.variableGrads(() => loss(layer.forward(x)) as tf.Scalar, variables).grads;
  const reference = tf.variableGrads(() => loss(plain(x, layer.a, layer.b)) as tf.Scalar, variables).grads;
  for (const variable of variables) {
    const expected = reference[variable.name]!.dataSync() as Float32Array;
    assert.ok(Math.max(...Array.from(expected, Math.abs)) > 1e-3, `∂${variable.name} is not zero`);
    assert.ok(maxDifference(ours[variable.name]!.dataSync() as Float32Array, expected) < 1e-5, `∂${variable.name} matches autograd`);
  }
  x.dispose();
  layer.dispose();
});

test("QLoRA: an int4 base (group-wise, dequantized) under fp32 adapters starts as the quantized model", () => {
  const model = new GPT(CONFIG);
  const fp32 = logits(model);
  const { report, scheme } = quantizeBase(model, { method: "absmax", bits: 4, granularity: { groupSize: 16 } });
  assert.equal(scheme, "int4 absmax g=16");
  assert.ok(report.bytes < report.fp32Bytes / 4, `int4 storage ${report.bytes} B vs fp32 ${report.fp32Bytes} B`);
  const quantized = logits(model);
  assert.ok(maxDifference(quantized, fp32) > 0, "int4 changes the outputs a little");
  // Every quantized weight takes one of 16 levels per group: at most 16 distinct values in a group of 16 is trivial, so check 15 levels + scale.
  const wq = Array.from(model.blocks[0]!.attention.wq.weight.dataSync()).slice(0, 16);
  const scale = Math.max(...wq.map(Math.abs)) / 7;
  for (const v of wq) assert.ok(Math.abs(v / scale - Math.round(v / scale)) < 1e-3, `${v} is a multiple of the group's scale`);
  const adapters = LoraAdapters.attach(model, { rank: 2 });
  assert.equal(maxDifference(logits(model), quantized), 0);
  adapters.detach();
  model.dispose();
});

test("export: the merged model in the transformers.js layout gives the adapted model's logits", async () => {
  const model = new GPT({ ...CONFIG, blockSize: 16 });
  const adapters = LoraAdapters.attach(model, { rank: 4, targets: ["attention.wq", "attention.wv", "mlp.fc"] });
  randomiseB(adapters, 2);
  const text = "abcab";
  const ids = tokenizer.encode(text);
  const adapted = model.nextTokenLogits(ids);
  // Unmerged, the export would silently write the base model: it is refused, and nothing is written.
  assert.throws(() => exportGptToTransformersJs(model, tokenizer, path.join(scratch, "unmerged")), /adapter \(LoRA\).*merge\(\) first/);
  assert.equal(fs.existsSync(path.join(scratch, "unmerged")), false);
  adapters.merge();
  const exported = exportGptToTransformersJs(model, tokenizer, path.join(scratch, "merged"));
  const { AutoModelForCausalLM, env, Tensor } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  const onnx = await AutoModelForCausalLM.from_pretrained(exported.directory, { dtype: "fp32" });
  const inputIds = new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const attention = new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const { logits: out } = (await onnx({ input_ids: inputIds, attention_mask: attention })) as { logits: { data: Float32Array } };
  const last = out.data.subarray((ids.length - 1) * CONFIG.vocabSize, ids.length * CONFIG.vocabSize);
  assert.ok(maxDifference(Float32Array.from(last), adapted) < 1e-4, "ONNX (transformers.js) logits = adapted tfjs logits");
  await onnx.dispose();
  model.dispose();
});

test("A starts uniform in ±1/√in (peft's Kaiming-uniform default), seeded", () => {
  const model = new GPT(CONFIG);
  const one = LoraAdapters.attach(model, { rank: 4, seed: 3 });
  const values = Array.from(one.layers[0]!.a.dataSync());
  one.detach();
  const again = LoraAdapters.attach(model, { rank: 4, seed: 3 });
  assert.deepEqual(Array.from(again.layers[0]!.a.dataSync()), values, "same seed, same A");
  again.detach();
  const bound = 1 / Math.sqrt(16);
  assert.ok(values.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...values.map(Math.abs)) > 0.8 * bound, "the values fill the interval");
  model.dispose();
});

test("GPT.trainStep refuses a model with adapters or frozen weights (its engines would train the frozen base)", async () => {
  const model = new GPT(CONFIG);
  const data = weightedRowsDataset([[97, 98, 99, 100, 101, 102, 103, 104, 105]], [new Array(8).fill(1)], 8);
  const adapters = LoraAdapters.attach(model, { rank: 2 });
  await assert.rejects(model.trainStep(data, Int32Array.of(0), 1e-3), /adapters or frozen weights/);
  adapters.detach();
  assert.ok(Number.isFinite(await model.trainStep(data, Int32Array.of(0), 1e-3)), "detached: trains again");
  model.dispose();
});
