import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, test } from "node:test";
import type * as tfType from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import {
  AdamW,
  countParameters,
  noamLr,
  sequencePairs,
  Transformer,
  transformerParameterCount,
  warmupCosineLr,
  type SequencePairs,
} from "@llm-course/lib/models/transformer";
import { Random } from "@llm-course/lib/random";
import { train } from "@llm-course/lib/training";

let tf: typeof tfType;
before(async () => {
  tf = await initBackend({ quiet: true });
});

const near = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

const tiny = { sourceVocabSize: 10, targetVocabSize: 12, dModel: 8, heads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLength: 12 };

/** Random pairs over ids 4… (0–3 are <pad> <s> </s> <unk>). */
function randomPairs(rng: Random, count: number, vocab: number, minLength: number, maxLength: number): SequencePairs {
  const seq = () => Array.from({ length: minLength + rng.int(maxLength - minLength + 1) }, () => 4 + rng.int(vocab - 4));
  const sources = Array.from({ length: count }, seq);
  return sequencePairs(sources, sources.map(() => seq()));
}

test("parameter count by hand: d = 8, d_ff = 32, one encoder and one decoder layer", () => {
  // embeddings (10 + 12)·8 = 176
  // encoder layer: attention 4·(8·8 + 8) = 288, feed-forward 8·32 + 32 + 32·8 + 8 = 552, 2 LayerNorms 2·16 = 32 → 872
  // decoder layer: 2 attentions 576, feed-forward 552, 3 LayerNorms 48 → 1176
  // pre-LN final norms 2·16 = 32; output projection 8·12 + 12 = 108          total 176 + 872 + 1176 + 32 + 108 = 2364
  const model = new Transformer(tiny);
  assert.equal(countParameters(model), 2364);
  assert.equal(transformerParameterCount(tiny), 2364);
  model.dispose();
  const post = new Transformer({ ...tiny, norm: "post" });
  assert.equal(countParameters(post), 2364 - 32); // post-LN has no final norms
  assert.equal(transformerParameterCount({ ...tiny, norm: "post" }), 2332);
  post.dispose();
});

test("the loss ignores padding and starts near ln V", () => {
  const model = new Transformer({ ...tiny, seed: 3 });
  const data = sequencePairs([[4, 5, 6], [7], [8, 9]], [[4, 5, 6, 7], [8], [9, 10, 11]]);
  // Each example alone (no padding) vs all three in one padded batch: the token-weighted mean must agree.
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < data.size; i++) {
    const one = sequencePairs([data.sources[i]!], [data.targets[i]!]);
    const n = data.targets[i]!.length + 1; // + </s>
    sum += model.evaluate(one) * n;
    tokens += n;
  }
  near(model.evaluate(data), sum / tokens, 1e-5, "padded batch vs one by one");
  // Small initial weights: predictions close to uniform over the 12 target ids.
  near(model.evaluate(data), Math.log(12), 0.5, "initial loss vs ln 12");
  near(model.perplexity(data), Math.exp(model.evaluate(data)), 1e-9, "perplexity = exp(loss)");
  model.dispose();
});

test("greedy decoding with the KV cache gives the same words as recomputing every prefix", () => {
  const model = new Transformer({ ...tiny, encoderLayers: 2, decoderLayers: 2, seed: 5 });
  const data = randomPairs(new Random(1), 12, 10, 1, 6);
  const cached = model.greedyDecode(data.sources, { maxTokens: 8 });
  const recomputed = model.greedyDecode(data.sources, { maxTokens: 8, noCache: true });
  assert.deepEqual(cached, recomputed);
  assert.ok(cached.every((p) => p.length <= 8));
  model.dispose();
});

test("trains with the course's loop: reversing short sequences, exact match on held-out ones", async () => {
  // Target = source reversed, ids 4–11. Held-out sequences are new; the model must learn the rule.
  const rng = new Random(9);
  const make = (n: number) => {
    const sources = Array.from({ length: n }, () => Array.from({ length: 2 + rng.int(3) }, () => 4 + rng.int(8)));
    return sequencePairs(sources, sources.map((s) => [...s].reverse()));
  };
  const trainSet = make(2000);
  const heldOut = make(100);
  const model = new Transformer({ sourceVocabSize: 12, targetVocabSize: 12, dModel: 32, heads: 4, dFF: 64, encoderLayers: 1, decoderLayers: 1, maxLength: 8, seed: 1 });
  const history = await train(model, { train: trainSet, dev: heldOut, steps: 200, batchSize: 32, lr: warmupCosineLr(1e-2, 20), rng: new Random(2), progress: false, fastMode: false });
  assert.equal(history.steps.length, 200);
  assert.ok(history.devLoss[history.devLoss.length - 1]! < 0.1, `dev loss ${history.devLoss[history.devLoss.length - 1]}`);
  const { accuracy } = model.exactMatch(heldOut);
  assert.ok(accuracy >= 0.95, `exact match ${accuracy}`);
  // Cross-attention of the last layer: producing the first output word reads the last source word.
  const source = [4, 5, 6, 7];
  const maps = model.attentionMaps(source, [7, 6, 5, 4]);
  assert.equal(maps.cross.length, 1);
  assert.deepEqual([maps.cross[0]!.length, maps.cross[0]![0]!.length, maps.cross[0]![0]![0]!.length], [4, 5, 4]); // heads, outputs (4 + </s>), source
  for (const row of maps.cross[0]![0]!) near(row.reduce((s, w) => s + w, 0), 1, 1e-5, "row sum");
  assert.deepEqual([maps.encoderSelf[0]![0]!.length, maps.decoderSelf[0]![0]![0]!.length], [4, 5]);
  model.dispose();
});

test("no tensor leak across training steps, evaluation, decoding and attention maps", async () => {
  const model = new Transformer({ ...tiny, seed: 2 });
  const data = randomPairs(new Random(4), 20, 10, 1, 5);
  const indices = Int32Array.from({ length: 8 }, (_, i) => i);
  await model.trainStep(data, indices, 1e-3); // creates the optimiser's moment variables once
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await model.trainStep(data, indices, 1e-3);
  model.evaluate(data);
  model.greedyDecode(data.sources.slice(0, 5), { maxTokens: 6 });
  model.greedyDecode(data.sources.slice(0, 5), { maxTokens: 6, noCache: true });
  model.attentionMaps(data.sources[0]!, data.targets[0]!);
  assert.equal(tf.memory().numTensors, before);
  const beforeDispose = tf.memory().numTensors;
  model.dispose();
  // Parameters, positional table and the optimiser's two moments per parameter are all freed.
  const params = model.namedParameters().length;
  assert.equal(beforeDispose - tf.memory().numTensors, 3 * params + 1);
});

test("save and load: same configuration, same logits, names and shapes checked", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "transformer-"));
  try {
    const model = new Transformer({ ...tiny, seed: 8, norm: "post" });
    const bytes = model.save(dir, { note: "test" });
    assert.equal(bytes, 4 * countParameters(model));
    const { model: loaded, metadata } = Transformer.load(dir);
    assert.deepEqual(metadata, { note: "test" });
    assert.deepEqual(loaded.config, model.config);
    const source = tf.tensor2d([[4, 5, 6]], [1, 3], "int32");
    const input = tf.tensor2d([[1, 7, 8]], [1, 3], "int32");
    assert.deepEqual(Array.from(loaded.forward(source, input).dataSync()), Array.from(model.forward(source, input).dataSync()));
    // A checkpoint whose shapes do not fit is refused with the parameter named.
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    config.config.dFF = 16;
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
    assert.throws(() => Transformer.load(dir), /encoder\.0\.feedForward\.inner\.weight \[8, 32\] in the checkpoint but encoder\.0\.feedForward\.inner\.weight \[8, 16\] in the model/);
    model.dispose();
    loaded.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("AdamW: the first step moves each weight by lr (Adam's bias correction), plus decoupled decay", () => {
  const w = tf.variable(tf.tensor2d([[1, -2]]));
  const b = tf.variable(tf.tensor1d([3]));
  const opt = new AdamW([["w", w], ["b", b]], { weightDecay: 0.1 });
  // Gradients 2, −0.5 and 4: m̂ = g, v̂ = g², so the step is lr·g/|g| = ±lr; w also decays by lr·λ·w.
  opt.apply({ [w.name]: tf.tensor2d([[2, -0.5]]), [b.name]: tf.tensor1d([4]) }, 0.01);
  const got = Array.from(w.dataSync());
  near(got[0]!, 1 - 0.01 - 0.01 * 0.1 * 1, 1e-6, "w[0]");
  near(got[1]!, -2 + 0.01 - 0.01 * 0.1 * -2, 1e-6, "w[1]");
  near(b.dataSync()[0]!, 3 - 0.01, 1e-6, "bias: no decay");
  assert.equal(opt.steps, 1);
  // Clipping at global norm 1: a gradient of norm 10 counts as norm 1 (Adam's first step is still ±lr).
  const clipped = new AdamW([["b", b]], { clipNorm: 1, weightDecay: 0 });
  clipped.apply({ [b.name]: tf.tensor1d([10]) }, 0.5);
  near(b.dataSync()[0]!, 3 - 0.01 - 0.5, 1e-6, "clipped step");
  opt.dispose();
  clipped.dispose();
});

test("AdamW.applyNamed (gradients as arrays, a compiled graph's) makes apply's updates: decay, clipping, bias correction", () => {
  const rng = new Random(6);
  const start = { w: Float32Array.from({ length: 6 }, () => rng.normal()), b: Float32Array.from({ length: 3 }, () => rng.normal()) };
  const make = () => {
    const w = tf.variable(tf.tensor2d(start.w, [2, 3]));
    const b = tf.variable(tf.tensor1d(start.b));
    return { w, b, opt: new AdamW([["w", w], ["b", b]], { weightDecay: 0.1, clipNorm: 1 }) };
  };
  const byTensors = make();
  const byArrays = make();
  for (let step = 0; step < 4; step++) {
    // Norms above and below the clipping threshold, so that both branches run.
    const size = step % 2 === 0 ? 3 : 0.05;
    const gw = Float32Array.from({ length: 6 }, () => size * rng.normal());
    const gb = Float32Array.from({ length: 3 }, () => size * rng.normal());
    tf.tidy(() => byTensors.opt.apply({ [byTensors.w.name]: tf.tensor2d(gw, [2, 3]), [byTensors.b.name]: tf.tensor1d(gb) }, 0.05));
    byArrays.opt.applyNamed(new Map([["w", gw], ["b", gb]]), 0.05);
  }
  for (const key of ["w", "b"] as const) {
    const expected = byTensors[key].dataSync();
    byArrays[key].dataSync().forEach((value, i) => near(value, expected[i]!, 1e-6, `${key}[${i}]`));
  }
  assert.equal(byArrays.opt.steps, 4);
  assert.throws(() => byArrays.opt.applyNamed(new Map([["w", new Float32Array(6)]]), 0.05), /parameter b needs a gradient of 3 values, got none/);
  for (const side of [byTensors, byArrays]) {
    side.opt.dispose();
    tf.dispose([side.w, side.b]);
  }
});

test("AdamW keeps applyNamed's weights and moments in arrays: a variable assigned elsewhere is read again, apply after applyNamed continues the moments", () => {
  const rng = new Random(7);
  const start = Float32Array.from({ length: 6 }, () => rng.normal());
  const make = () => {
    const w = tf.variable(tf.tensor2d(start, [2, 3]));
    return { w, opt: new AdamW([["w", w]], { weightDecay: 0.1 }) };
  };
  const byTensors = make();
  const mixed = make();
  const gradients = Array.from({ length: 5 }, () => Float32Array.from({ length: 6 }, () => rng.normal()));
  const reset = Float32Array.from({ length: 6 }, () => rng.normal());
  gradients.forEach((g, step) => {
    if (step === 1) for (const side of [byTensors, mixed]) side.w.assign(tf.tensor2d(reset, [2, 3]));
    tf.tidy(() => byTensors.opt.apply({ [byTensors.w.name]: tf.tensor2d(g, [2, 3]) }, 0.05));
    // Steps 0, 1 (just after the outside assignment) and 4 through the arrays; 2 and 3 through tfjs.
    if (step === 2 || step === 3) tf.tidy(() => mixed.opt.apply({ [mixed.w.name]: tf.tensor2d(g, [2, 3]) }, 0.05));
    else mixed.opt.applyNamed(new Map([["w", g]]), 0.05);
    const values = mixed.opt.parameterValues().get("w")!;
    mixed.w.dataSync().forEach((value, i) => assert.equal(values[i], value, `parameterValues after step ${step}`));
  });
  const expected = byTensors.w.dataSync();
  mixed.w.dataSync().forEach((value, i) => near(value, expected[i]!, 1e-6, `w[${i}]`));
  for (const side of [byTensors, mixed]) {
    side.opt.dispose();
    side.w.dispose();
  }
});

test("learning-rate schedules with warm-up", () => {
  const cosine = warmupCosineLr(1e-3, 10, 1e-4);
  near(cosine(0, 100), 1e-4, 1e-12, "first warm-up step: peak / 10");
  near(cosine(9, 100), 1e-3, 1e-12, "end of warm-up");
  near(cosine(10, 100), 1e-3, 1e-12, "cosine starts at the peak");
  near(cosine(99, 100), 1e-4, 1e-12, "ends at min");
  near(warmupCosineLr(1, 0.1)(4, 100), 0.5, 1e-12, "fractional warm-up: 10 steps, step 4 → 5/10");
  // Noam: d^(−½)·min(s^(−½), s·w^(−3/2)); d = 64, w = 4: step 3 (s = 4) is the peak 1/8 · 1/2 = 1/16.
  near(noamLr(64, 4)(3, 100), 1 / 16, 1e-12, "peak");
  near(noamLr(64, 4)(0, 100), (1 / 8) * (1 / 8), 1e-12, "s = 1: 1·4^(−3/2) = 1/8");
  near(noamLr(64, 4)(15, 100), (1 / 8) * (1 / 4), 1e-12, "s = 16: 16^(−½) = 1/4");
});

test("bad configurations and inputs are named", () => {
  assert.throws(() => new Transformer({ ...tiny, heads: 3 }), /heads \(3\) must divide dModel \(8\)/);
  assert.throws(() => new Transformer({ ...tiny, eosId: 12 }), /eosId = 12 is not an id of both vocabularies/);
  const model = new Transformer(tiny);
  assert.throws(() => model.evaluate(sequencePairs([[4, 5, 6, 7, 8, 9, 4, 5, 6, 7, 8, 9, 4]], [[4]])), /source 0 has 13 tokens, more than the model's 12 positions/);
  assert.throws(() => model.greedyDecode([[4]], { maxTokens: 12 }), /maxTokens must be an integer in 1…11/);
  assert.throws(() => sequencePairs([[4]], []), /1 sources but 0 targets/);
  model.dispose();
  assert.throws(() => model.evaluate(sequencePairs([[4]], [[4]])), /disposed/);
});
