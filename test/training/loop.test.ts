import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { FAST_LIMITS, FAST_MODE_VARIABLE } from "@llm-course/lib/env";
import { PLOTLY_MIME, setDisplayWriter, type DisplayMessage, type Figure } from "@llm-course/lib/notebook";
import { Random } from "@llm-course/lib/random";
import { averageLoss, constantLr, cosineLr, plotLossCurves, stepDecayLr, train, type Examples, type Trainable } from "@llm-course/lib/training";

/** A model with no maths: it records what the loop gives it and returns scripted losses. */
class Recorder implements Trainable<Examples> {
  calls: { indices: number[]; lr: number }[] = [];
  evaluations = 0;
  constructor(private readonly lossAt: (step: number, lr: number) => number = (step) => 10 / (step + 1), private readonly workMs = 0) {}
  trainStep(_data: Examples, indices: Int32Array, lr: number): number {
    const until = Date.now() + this.workMs;
    while (Date.now() < until) {
      // busy: a slow model for the time-limit test
    }
    this.calls.push({ indices: Array.from(indices), lr });
    return this.lossAt(this.calls.length - 1, lr);
  }
  evaluate(): number {
    this.evaluations += 1;
    return 100 + this.calls.length; // encodes how many updates preceded the evaluation
  }
}

const data: Examples = { size: 50 };
const savedFast = process.env[FAST_MODE_VARIABLE];
afterEach(() => {
  if (savedFast === undefined) delete process.env[FAST_MODE_VARIABLE];
  else process.env[FAST_MODE_VARIABLE] = savedFast;
});

test("minibatches: batchSize indices drawn uniformly with replacement from the seeded rng", async () => {
  const model = new Recorder();
  await train(model, { train: data, steps: 6, batchSize: 4, lr: 0.1, rng: new Random(123), progress: false, fastMode: false });
  const rng = new Random(123);
  const expected = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => rng.int(50)));
  assert.deepEqual(model.calls.map((c) => c.indices), expected);
  // Literal values, so a change to Random or to the draw order shows up here.
  assert.deepEqual(expected[0], [36, 22, 25, 21]);
  const again = new Recorder();
  await train(again, { train: data, steps: 6, batchSize: 4, lr: 0.1, rng: new Random(123), progress: false, fastMode: false });
  assert.deepEqual(again.calls, model.calls, "same seed, same run");

  const full = new Recorder();
  await train(full, { train: { size: 5 }, steps: 2, batchSize: "full", lr: 1, rng: new Random(0), progress: false, fastMode: false });
  assert.deepEqual(full.calls.map((c) => c.indices), [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]);
});

test("history: per-step losses and rates, dev points before, every evalEvery and after the last step", async () => {
  const model = new Recorder();
  const h = await train(model, { train: data, dev: data, steps: 10, batchSize: 2, lr: 0.5, evalEvery: 4, rng: new Random(1), progress: false, fastMode: false });
  assert.deepEqual(h.steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(h.trainLoss, h.steps.map((s) => 10 / (s + 1)));
  assert.deepEqual(h.lr, Array(10).fill(0.5));
  assert.deepEqual(h.devSteps, [0, 4, 8, 10]);
  assert.deepEqual(h.devLoss, [100, 104, 108, 110], "evaluated after exactly that many updates");
  assert.equal(h.stopReason, "steps");
  assert.equal(h.plannedSteps, 10);
  assert.ok(h.seconds >= 0);
  const h2 = await train(new Recorder(), { train: data, dev: data, steps: 10, batchSize: 2, lr: 0.5, evalEvery: 5, rng: new Random(1), progress: false, fastMode: false });
  assert.deepEqual(h2.devSteps, [0, 5, 10]);
  const noDev = await train(new Recorder(), { train: data, steps: 3, batchSize: 2, lr: 0.5, rng: new Random(1), progress: false, fastMode: false });
  assert.deepEqual(noDev.devSteps, []);
});

test("schedules: constant, step decay at half (makemore), cosine; the loop passes them through", async () => {
  assert.equal(constantLr(0.3)(7, 10), 0.3);
  const decay = stepDecayLr(0.1, 0.01);
  assert.deepEqual([0, 4, 5, 9].map((s) => decay(s, 10)), [0.1, 0.1, 0.01, 0.01]);
  assert.equal(decay(99_999, 200_000), 0.1);
  assert.equal(decay(100_000, 200_000), 0.01);
  assert.deepEqual([0, 1, 3, 4].map((s) => stepDecayLr(1, 0.5, 0.25)(s, 4)), [1, 0.5, 0.5, 0.5]);
  const cos = cosineLr(1, 0.1);
  // min + (max − min)(1 + cos(π t))/2 with t = step / (total − 1): t = 0, 1/2, 1 → 1, 0.55, 0.1.
  assert.equal(cos(0, 5), 1);
  assert.ok(Math.abs(cos(2, 5) - 0.55) < 1e-12);
  assert.ok(Math.abs(cos(4, 5) - 0.1) < 1e-12);
  assert.throws(() => stepDecayLr(0.1, 0.01, 2), /fraction/);

  const model = new Recorder();
  const h = await train(model, { train: data, steps: 10, batchSize: 1, lr: decay, rng: new Random(1), progress: false, fastMode: false });
  assert.deepEqual(model.calls.map((c) => c.lr), [0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.01]);
  assert.deepEqual(h.lr, model.calls.map((c) => c.lr));
  await assert.rejects(train(new Recorder(), { train: data, steps: 3, batchSize: 1, lr: (s) => (s === 2 ? NaN : 1), rng: new Random(1), progress: false, fastMode: false }), /learning rate at step 2 is NaN/);
});

test("fast mode caps the steps at FAST_LIMITS.maxSteps (and the schedule follows the shorter run)", async () => {
  assert.equal(FAST_LIMITS.maxSteps, 200);
  const forced = await train(new Recorder(), { train: data, steps: 1000, batchSize: 1, lr: stepDecayLr(1, 0.1), rng: new Random(1), progress: false, fastMode: true });
  assert.equal(forced.steps.length, 200);
  assert.deepEqual([forced.requestedSteps, forced.plannedSteps, forced.fastMode], [1000, 200, true]);
  assert.deepEqual([forced.lr[99], forced.lr[100]], [1, 0.1], "decay at half of the 200 steps run");

  process.env[FAST_MODE_VARIABLE] = "1";
  const fromEnv = await train(new Recorder(), { train: data, steps: 1000, batchSize: 1, lr: 1, rng: new Random(1), progress: false });
  assert.equal(fromEnv.steps.length, 200);
  process.env[FAST_MODE_VARIABLE] = "0";
  const full = await train(new Recorder(), { train: data, steps: 300, batchSize: 1, lr: 1, rng: new Random(1), progress: false });
  assert.deepEqual([full.steps.length, full.fastMode], [300, false]);
});

test("maxSeconds stops a slow run; a non-finite loss stops it as diverged", async () => {
  const slow = await train(new Recorder(undefined, 20), { train: data, dev: data, steps: 1000, batchSize: 1, lr: 1, rng: new Random(1), progress: false, maxSeconds: 0.2, fastMode: false });
  assert.equal(slow.stopReason, "time");
  assert.ok(slow.steps.length >= 5 && slow.steps.length < 50, `${slow.steps.length} steps in 0.2 s at 20 ms each`);
  assert.equal(slow.devSteps[slow.devSteps.length - 1], slow.steps.length, "a last dev point where the run stopped");

  const diverging = await train(new Recorder((step) => (step === 3 ? NaN : 1)), { train: data, dev: data, steps: 10, batchSize: 1, lr: 1, rng: new Random(1), progress: false, fastMode: false });
  assert.equal(diverging.stopReason, "diverged");
  assert.equal(diverging.trainLoss.length, 4);
  assert.ok(Number.isNaN(diverging.trainLoss[3]));
});

test("bad options get clear errors", async () => {
  const base = { train: data, steps: 3, batchSize: 1, lr: 1, rng: new Random(1), progress: false };
  await assert.rejects(train(new Recorder(), { ...base, steps: 0 }), /steps must be an integer ≥ 1, got 0/);
  await assert.rejects(train(new Recorder(), { ...base, batchSize: 2.5 }), /batchSize/);
  await assert.rejects(train(new Recorder(), { ...base, train: { size: 0 } }), /train is empty/);
  await assert.rejects(train(new Recorder(), { ...base, rng: 42 as unknown as Random }), /rng must be a Random/);
  await assert.rejects(train({} as Trainable<Examples>, base), /must implement Trainable/);
});

test("loss curves: averaged training curve and the dev points, on a log scale if asked", async () => {
  assert.deepEqual(averageLoss([0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6], 4), { x: [1.5, 4.5], y: [2.5, 5.5] });
  const h = await train(new Recorder(), { train: data, dev: data, steps: 8, batchSize: 1, lr: 1, evalEvery: 4, rng: new Random(1), progress: false, fastMode: false });
  const shown: DisplayMessage["data"][] = [];
  const restore = setDisplayWriter((message) => shown.push(message.data));
  try {
    plotLossCurves(h, { logY: true, average: 2 });
  } finally {
    restore();
  }
  const figure = shown[0]![PLOTLY_MIME] as Figure;
  assert.equal(figure.data.length, 2);
  assert.equal(figure.data[0]!.name, "entraînement (moyenne de 2 pas)");
  assert.deepEqual(figure.data[0]!.x, [0.5, 2.5, 4.5, 6.5]);
  assert.deepEqual(figure.data[0]!.y, [(10 + 5) / 2, (10 / 3 + 10 / 4) / 2, (2 + 10 / 6) / 2, (10 / 7 + 10 / 8) / 2]);
  assert.deepEqual(figure.data[1]!.x, [0, 4, 8]);
  assert.equal((figure.layout.yaxis as { type?: string }).type, "log");
});
