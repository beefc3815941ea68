import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { FIXTURE_PATH, MAKEMORE_MLP, trainMakemore } from "../../bench/mlp";
import { nameDatasets } from "../../lib/data/names";
import { mlpKernelAvailable } from "../../lib/kernels/mlp";
import { MlpLanguageModel } from "../../lib/models/mlp";
import { Random } from "../../lib/random";

const { vocab, train, dev } = nameDatasets(MAKEMORE_MLP.contextSize, { seed: MAKEMORE_MLP.splitSeed });
const kernelTest = mlpKernelAvailable() ? test : test.skip;

kernelTest("1,000 makemore steps: the loss falls from ln V to a known dev loss", async () => {
  const { model } = await trainMakemore(train, vocab.size, 1000);
  const devLoss = model.evaluate(dev);
  // The kernel's float32 arithmetic is IEEE-exact in WebAssembly, so the run is reproducible anywhere.
  assert.ok(Math.abs(devLoss - 2.3747) < 2e-3, `dev loss ${devLoss}`);
  assert.ok(new MlpLanguageModel({ vocabSize: vocab.size }).evaluate(dev) > Math.log(vocab.size) - 0.01);
});

kernelTest("makemore's full run (20,000 steps) lands within 2 % of PyTorch's dev loss on the same split", async () => {
  const fixture = JSON.parse(fs.readFileSync(FIXTURE_PATH, "utf8")) as {
    config: { trainExamples: number; devExamples: number; steps: number; init: Record<string, number> };
    meanDevLoss: number;
    runs: { devLoss: number }[];
  };
  // A stale fixture (other split, other init) would compare different experiments.
  assert.equal(fixture.config.trainExamples, train.size, "the fixture was made on another split: rerun npx tsx bench/mlp.ts --write-fixture");
  assert.equal(fixture.config.devExamples, dev.size);
  assert.equal(fixture.config.steps, MAKEMORE_MLP.steps);
  const { model } = await trainMakemore(train, vocab.size, MAKEMORE_MLP.steps);
  assert.deepEqual(fixture.config.init, { ...model.init });
  const devLoss = model.evaluate(dev);
  const gap = (devLoss - fixture.meanDevLoss) / fixture.meanDevLoss;
  assert.ok(Math.abs(gap) < 0.02, `dev loss ${devLoss.toFixed(4)} vs PyTorch ${fixture.meanDevLoss} (${(gap * 100).toFixed(2)} %)`);
  assert.ok(devLoss < model.evaluate(train) + 0.2, "no gross over-fitting at these settings");
  const names = Array.from({ length: 20 }, (_, i) => vocab.decode(model.sample(new Random(i))));
  assert.ok(names.filter((n) => n.length >= 3 && n.length <= 10).length >= 14, `names look like names: ${names.join(" ")}`);
});

test("the TypeScript backend trains like the kernel (300 steps)", () => {
  const run = (backend: "ts" | "wasm") => {
    const model = new MlpLanguageModel({ vocabSize: vocab.size, backend });
    const rng = new Random(1);
    const indices = new Int32Array(32);
    for (let s = 0; s < 300; s++) {
      for (let i = 0; i < indices.length; i++) indices[i] = rng.int(train.size);
      model.trainStep(train, indices, 0.1);
    }
    return model.evaluate(dev);
  };
  const ts = run("ts");
  assert.ok(ts < 2.55 && ts > 2.4, `dev loss after 300 steps ${ts}`);
  if (mlpKernelAvailable()) assert.ok(Math.abs(run("wasm") - ts) < 1e-4);
});

kernelTest("weight decay shrinks the weights; dropout still trains and leaves evaluation deterministic", () => {
  const norm = (model: MlpLanguageModel) => {
    const { W1, W2 } = model.weights();
    return Math.sqrt([...W1, ...W2].reduce((s, w) => s + w * w, 0));
  };
  const trainFor = (model: MlpLanguageModel, steps: number) => {
    const rng = new Random(2);
    const indices = new Int32Array(32);
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < indices.length; i++) indices[i] = rng.int(train.size);
      model.trainStep(train, indices, 0.1);
    }
    return model;
  };
  const plain = trainFor(new MlpLanguageModel({ vocabSize: vocab.size }), 2000);
  const decayed = trainFor(new MlpLanguageModel({ vocabSize: vocab.size, weightDecay: 0.01 }), 2000);
  assert.ok(norm(decayed) < 0.8 * norm(plain), `‖W‖ ${norm(decayed)} with λ = 0.01 vs ${norm(plain)}`);
  const dropped = trainFor(new MlpLanguageModel({ vocabSize: vocab.size, dropout: 0.3 }), 2000);
  const devLoss = dropped.evaluate(dev);
  assert.equal(dropped.evaluate(dev), devLoss);
  assert.ok(devLoss < 2.6, `dev loss with dropout ${devLoss}`);
});
