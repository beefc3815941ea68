import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { tokenStreamDataset } from "@llm-course/lib/data";
import { GPT, gelu, gptParameterCount, isGptCheckpoint } from "@llm-course/lib/models/gpt";
import { disableFusedLayerKernels } from "@llm-course/lib/models/attention";
import { Random } from "@llm-course/lib/random";

before(async () => {
  await initBackend({ quiet: true });
});

test("parameter count: the hand formula for a small config", () => {
  // V = 10, T = 16, N = 2, d = 8, MLP 32:
  //   token table 10·8 = 80, position table 16·8 = 128, final LayerNorm 2·8 = 16,
  //   per block: LayerNorms 2·2·8 = 32, attention 4·(8·8 + 8) = 288, MLP 8·32 + 32 + 32·8 + 8 = 552 → 872 (= 12d² + 13d).
  const base = { vocabSize: 10, blockSize: 16, layers: 2, heads: 2, width: 8 };
  const expected = 80 + 128 + 2 * 872 + 16;
  assert.equal(expected, 1968);
  const model = new GPT(base);
  assert.equal(model.parameterCount, 1968);
  assert.equal(gptParameterCount(model.config), 1968);
  model.dispose();
  // Untied output head: + d·V (no bias); sinusoidal positions: − T·d.
  const untied = new GPT({ ...base, tiedEmbeddings: false });
  assert.equal(untied.parameterCount, 1968 + 80);
  untied.dispose();
  const sinusoidal = new GPT({ ...base, positions: "sinusoidal" });
  assert.equal(sinusoidal.parameterCount, 1968 - 128);
  sinusoidal.dispose();
  // Smeared keys: + one value per head and block, 2·2.
  const smeared = new GPT({ ...base, smearKeys: true });
  assert.equal(smeared.parameterCount, 1968 + 4);
  assert.equal(gptParameterCount(smeared.config), 1968 + 4);
  assert.deepEqual(smeared.namedParameters().filter(([name]) => name.endsWith(".smear")).map(([name, v]) => [name, v.shape]), [["blocks.0.attention.smear", [2]], ["blocks.1.attention.smear", [2]]]);
  smeared.dispose();
  assert.throws(() => gptParameterCount({ ...base, mlpWidth: 32, positions: "learned", tiedEmbeddings: true, heads: undefined, smearKeys: true }), /give heads too/);
  // The benchmark's configuration (V = 80 characters) matches PyTorch's count of the same model: 819,968.
  assert.equal(gptParameterCount({ vocabSize: 80, blockSize: 128, layers: 4, width: 128, mlpWidth: 512, positions: "learned", tiedEmbeddings: true }), 819968);
});

test("configuration errors name the problem", async () => {
  assert.throws(() => new GPT({ vocabSize: 10, blockSize: 16, width: 30, heads: 4 }), /heads \(4\) must divide width \(30\)/);
  assert.throws(() => new GPT({ vocabSize: 1, blockSize: 16 }), /vocabSize must be ≥ 2/);
  assert.throws(() => new GPT({ vocabSize: 10, blockSize: 0 }), /blockSize must be an integer ≥ 1/);
  assert.throws(() => new GPT({ vocabSize: 10, blockSize: 8, positions: "rotary" as "learned" }), /positions must be "learned" or "sinusoidal"/);
  assert.throws(() => new GPT({ vocabSize: 10, blockSize: 8, smearKeys: "yes" as unknown as boolean }), /smearKeys must be true or false, got yes/);
  const model = new GPT({ vocabSize: 10, blockSize: 8, layers: 1, width: 8, heads: 2 });
  assert.throws(() => model.generate([3, 10], { maxNewTokens: 2, temperature: 0 }), /prompt\[1\] = 10 is not a token id in 0…9/);
  assert.throws(() => model.generate([], { maxNewTokens: 2, temperature: 0 }), /non-empty/);
  assert.throws(() => model.forward(tf.zeros([1, 9], "int32") as tf.Tensor2D), /T = 9 must be in 1…8/);
  await assert.rejects(model.trainStep(tokenStreamDataset(new Array(40).fill(1), 16), Int32Array.of(0), 1e-3), /windows \(16 tokens\) are longer than the context \(8\)/);
  assert.throws(() => new GPT({ vocabSize: 10, blockSize: 8, trainingEngine: "cuda" as "tfjs" }), /trainingEngine must be "auto", "onnxruntime" or "tfjs"/);
  assert.throws(() => new GPT({ vocabSize: 10, blockSize: 8, trainingThreads: 0 }), /trainingThreads must be an integer ≥ 1/);
  model.dispose();
  assert.throws(() => model.evaluate(tokenStreamDataset(new Array(40).fill(1), 8)), /disposed/);
});

for (const kernel of [true, false]) {
  test(`GELU ${kernel ? "(WebAssembly kernel)" : "(tfjs operations)"}: PyTorch's tanh approximation and its derivative`, () => {
    disableFusedLayerKernels(!kernel);
    try {
      const xs = [-12, -3, -1, -0.5, 0, 0.5, 1, 2, 9];
      const exact = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
      const values = tf.tidy(() => gelu(tf.tensor1d(xs)).dataSync());
      xs.forEach((x, i) => assert.ok(Math.abs(values[i]! - exact(x)) < 2e-6, `gelu(${x}): ${values[i]} vs ${exact(x)}`));
      // gelu(1) = 0.8411920… (torch.nn.functional.gelu(torch.tensor(1.), approximate="tanh")).
      assert.ok(Math.abs(values[6]! - 0.841192) < 1e-5);
      const grads = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(gelu(x)))(tf.tensor1d(xs)).dataSync());
      const h = 1e-4;
      xs.forEach((x, i) => {
        const numeric = (exact(x + h) - exact(x - h)) / (2 * h);
        assert.ok(Math.abs(grads[i]! - numeric) < 1e-4, `gelu'(${x}): ${grads[i]} vs ${numeric}`);
      });
    } finally {
      disableFusedLayerKernels(false);
    }
  });
}

test("loss at initialisation ≈ ln V (every token equally likely)", () => {
  const V = 50;
  const model = new GPT({ vocabSize: V, blockSize: 32, layers: 2, heads: 2, width: 32 });
  const rng = new Random(3);
  const data = tokenStreamDataset(Array.from({ length: 32 * 8 + 1 }, () => rng.int(V)), 32);
  const loss = model.evaluate(data);
  assert.ok(Math.abs(loss - Math.log(V)) < 0.05, `initial loss ${loss} vs ln ${V} = ${Math.log(V)}`);
  model.dispose();
});

test("KV cache: exactly the tokens of full recomputation, greedy, 256 new tokens in the context", () => {
  const prompt = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3];
  // A large initial scale makes the random model's choices vary, so a wrong cache would show.
  const model = new GPT({ vocabSize: 20, blockSize: prompt.length + 256, layers: 2, heads: 2, width: 32, initStd: 0.3, seed: 7 });
  const withCache = model.generate(prompt, { maxNewTokens: 256, temperature: 0, useKvCache: true });
  const without = model.generate(prompt, { maxNewTokens: 256, temperature: 0, useKvCache: false });
  assert.equal(withCache.ids.length, 256);
  assert.deepEqual(withCache.ids, without.ids);
  assert.ok(new Set(withCache.ids).size >= 5, `the test needs varied tokens, got ${new Set(withCache.ids).size} distinct`);
  // Sampling with the same seed draws the same tokens too.
  const sample = (useKvCache: boolean) => model.generate(prompt, { maxNewTokens: 40, temperature: 1, topK: 5, rng: new Random(1), useKvCache }).ids;
  assert.deepEqual(sample(true), sample(false));
  model.dispose();
});

test("generation past the context: the cache restarts, both paths agree until then", () => {
  const model = new GPT({ vocabSize: 12, blockSize: 16, layers: 1, heads: 2, width: 16, initStd: 0.3, seed: 3 });
  const prompt = [1, 2, 3, 4, 5, 6];
  const cached = model.generate(prompt, { maxNewTokens: 40, temperature: 0 }).ids;
  const full = model.generate(prompt, { maxNewTokens: 40, temperature: 0, useKvCache: false }).ids;
  assert.equal(cached.length, 40);
  assert.equal(full.length, 40);
  // 16 − 6 = 10 new tokens fit beside the prompt; the 11th is predicted from a full context in both paths.
  assert.deepEqual(cached.slice(0, 11), full.slice(0, 11));
  // A prompt longer than the context keeps its last blockSize tokens, with or without the cache.
  const long = Array.from({ length: 30 }, (_, i) => i % 12);
  assert.deepEqual(model.generate(long, { maxNewTokens: 1, temperature: 0 }).ids, model.generate(long, { maxNewTokens: 1, temperature: 0, useKvCache: false }).ids);
  model.dispose();
});

for (const trainingEngine of ["onnxruntime", "tfjs"] as const) {
  test(`no tensor leaks across training steps (${trainingEngine}), evaluation and generation`, async () => {
    const model = new GPT({ vocabSize: 16, blockSize: 16, layers: 2, heads: 2, width: 16, trainingEngine });
    const rng = new Random(1);
    const data = tokenStreamDataset(Array.from({ length: 200 }, () => rng.int(16)), 16);
    const batch = () => Int32Array.from({ length: 4 }, () => rng.int(data.size));
    await model.trainStep(data, batch(), 1e-3); // creates the optimiser's moments
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await model.trainStep(data, batch(), 1e-3);
    model.evaluate(data);
    model.generate([1, 2, 3], { maxNewTokens: 30, temperature: 0.8, topP: 0.9, rng });
    model.generate([1, 2, 3], { maxNewTokens: 30, temperature: 0, useKvCache: false });
    model.nextTokenLogits([1, 2]);
    assert.equal(tf.memory().numTensors, start);
    model.dispose();
    assert.ok(tf.memory().numTensors < start, "dispose frees the parameters and moments");
  });
}

test("resetOptimizer: the next step is a fresh optimiser's first step (AdamW's moments and bias correction start again)", async () => {
  const options = { vocabSize: 10, blockSize: 8, layers: 1, heads: 2, width: 8, seed: 4, trainingEngine: "tfjs" } as const;
  const data = tokenStreamDataset(Array.from({ length: 60 }, (_, i) => (i * 7) % 10), 8);
  const [first, second] = [Int32Array.of(0, 9), Int32Array.of(17, 30)];
  const reset = new GPT(options);
  await reset.trainStep(data, first, 1e-2);
  const afterFirst = reset.namedParameters().map(([, v]) => v.dataSync().slice());
  reset.resetOptimizer();
  await reset.trainStep(data, second, 1e-2);
  const fresh = new GPT(options);
  fresh.namedParameters().forEach(([, v], i) => v.assign(tf.tensor(afterFirst[i]!, v.shape)));
  await fresh.trainStep(data, second, 1e-2);
  const carried = new GPT(options);
  await carried.trainStep(data, first, 1e-2);
  await carried.trainStep(data, second, 1e-2);
  let differsFromCarried = false;
  reset.namedParameters().forEach(([name, v], i) => {
    assert.deepEqual(Array.from(v.dataSync()), Array.from(fresh.namedParameters()[i]![1].dataSync()), name);
    if (Array.from(v.dataSync()).some((x, j) => x !== carried.namedParameters()[i]![1].dataSync()[j])) differsFromCarried = true;
  });
  assert.ok(differsFromCarried, "keeping the moments gives another step");
  for (const m of [reset, fresh, carried]) m.dispose();
  assert.throws(() => reset.resetOptimizer(), /disposed/);
});

test("checkpoint: save and load give the same model; bad folders fail clearly", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpt-checkpoint-"));
  try {
    const model = new GPT({ vocabSize: 12, blockSize: 8, layers: 1, heads: 2, width: 8, tiedEmbeddings: false, seed: 5, smearKeys: true });
    model.blocks[0]!.attention.smear!.assign(tf.tensor1d([0.5, -1.5]));
    assert.equal(model.save(dir, { note: "test" }), model.parameterCount * 4);
    assert.ok(isGptCheckpoint(dir));
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    assert.equal(meta.format, "gpt");
    assert.equal(meta.metadata.note, "test");
    assert.equal(meta.metadata.optimizer.weightDecay, 0.1);
    assert.equal(meta.config.tiedEmbeddings, false);
    assert.equal(meta.config.smearKeys, true);
    assert.equal(fs.statSync(path.join(dir, "weights.bin")).size, model.parameterCount * 4);
    const loaded = GPT.load(dir);
    assert.deepEqual(loaded.config, model.config);
    for (const [[name, a], [otherName, b]] of model.namedParameters().map((p, i) => [p, loaded.namedParameters()[i]!] as const)) {
      assert.equal(name, otherName);
      assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), name);
    }
    assert.deepEqual(Array.from(loaded.nextTokenLogits([1, 2, 3])), Array.from(model.nextTokenLogits([1, 2, 3])));
    model.dispose();
    loaded.dispose();
    fs.truncateSync(path.join(dir, "weights.bin"), 40);
    assert.throws(() => GPT.load(dir), /weights\.bin has 40 bytes/);
    assert.throws(() => GPT.load(path.join(dir, "missing")), /no config\.json in/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
