/**
 * The delegation guard: the library functions an exercise names in `offLimits` are disabled while the
 * check runs the student's function, however the student reaches them, and a delegating one-liner scores 0
 * with a French message; outside the student's calls (a test's expected values) they work as usual.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";

import { runExercise, type ExerciseResult } from "../../lib/grading/check";
import { expectClose, expectEqual } from "../../lib/grading/expect";
import { availableLessons, findExercise, loadLesson } from "../../lib/grading/lessons";
import { DelegationError, guardSubmission, isDelegationError, offLimitsDuringChecks, registeredOffLimits } from "../../lib/grading/off-limits";
import { defineExercise, type Exercise } from "../../lib/grading/spec";
// The modules that wrap the off-limits functions of the course's specs (checked below against every spec).
import * as attention from "../../lib/models/attention";
import * as attentionNumbers from "../../lib/models/attention-numbers";
import { buildContextDataset, CharVocabulary } from "../../lib/data";
import { CountBigram } from "../../lib/models/bigram";
import "../../lib/embeddings";
import "../../lib/models/layers";
import "../../lib/models/logistic";
import { tinyGptForward, tinyGptTrainStep, type TinyGptWeights } from "../../lib/models/gpt/tiny";
import "../../lib/models/mlp-math";
import "../../lib/models/rnn";
import "../../lib/models/transformer/model";
import * as quantization from "../../lib/quantization";
import { modelMemory } from "../../lib/quantization/memory";
import "../../lib/rag/chunking";
import { reciprocalRankFusion } from "../../lib/rag/fusion";
import { ndcgAtK, recallAtK, reciprocalRank } from "../../lib/rag/metrics";
import "../../lib/rag/retrievers";
import { Random } from "../../lib/random";
import * as sampling from "../../lib/sampling";
import { applyTemperature, softmax } from "../../lib/sampling/temperature";
import { ByteBpeTokenizer, trainByteBpeModel } from "../../lib/tokenizers";
import { tokenCost, type TokenPrice } from "../../lib/tokenizers/cost";

const COURSE_LESSONS = availableLessons().filter((tp) => tp !== "tp99");

function withoutGuard(exercise: Exercise<unknown>): Exercise<unknown> {
  const { offLimits: _ignored, ...rest } = exercise;
  return rest;
}

function assertRefused(result: ExerciseResult, name: string): void {
  assert.equal(result.earned, 0, JSON.stringify(result.tests));
  assert.equal(result.status, "failed");
  assert.equal(
    result.reason,
    `délégation refusée : l'exercice ${result.exercise} est à écrire vous-même, pas à déléguer à ${name} de la bibliothèque (${name} est désactivée pendant la vérification de cet exercice).`,
  );
  for (const test of result.tests) assert.equal(test.message, result.reason);
}

describe("offLimitsDuringChecks", () => {
  it("keeps the function's behaviour, name and length outside a check", () => {
    expectClose(Array.from(softmax([0, Math.log(3)])), [0.25, 0.75], 1e-12);
    assert.equal(softmax.name, "softmax");
    assert.equal(softmax.length, 1);
    class Counter {
      constructor(readonly start: number) {}
    }
    const Guarded = offLimitsDuringChecks("CounterForTest", Counter);
    assert.equal(new Guarded(3).start, 3);
    assert.ok(new Guarded(3) instanceof Counter);
  });

  it("disables the names during the submission's calls only, however they are reached", () => {
    const lib = sampling as unknown as Record<string, (...args: unknown[]) => unknown>;
    const { softmax: destructured } = sampling;
    const alias = softmax;
    const ways: [string, (logits: number[]) => unknown][] = [
      ["alias", (l) => alias(l)],
      ['lib["softmax"]', (l) => lib["softmax"]!(l)],
      ["destructuring", (l) => destructured(l)],
      ["re-export (lib/sampling/index)", (l) => sampling.softmax(l)],
      ["another library function that calls it", (l) => applyTemperature(l, 0.5)],
    ];
    for (const [label, submission] of ways) {
      const guarded = guardSubmission("tp09.temperature_softmax", ["softmax"], submission);
      assert.throws(() => guarded.submission([1, 2]), (error: unknown) => isDelegationError(error) && error instanceof DelegationError && error.functionName === "softmax", label);
      assert.deepEqual(guarded.violations(), ["softmax"], label);
      // Lowered again after the call: the test may compute its expected values with the library.
      assert.equal(softmax([0, 0]).length, 2, label);
    }
  });

  it("keeps the guard up until an async submission settles", async () => {
    const guarded = guardSubmission("tp99.async", ["softmax"], async (l: number[]) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return softmax(l);
    });
    await assert.rejects(guarded.submission([1, 2]), (error: unknown) => isDelegationError(error));
    assert.deepEqual(guarded.violations(), ["softmax"]);
    assert.equal(softmax([1]).length, 1);
  });

  it("every name of the course's offLimits is wrapped by the library", () => {
    const registered = registeredOffLimits();
    const named = COURSE_LESSONS.flatMap((tp) => loadLesson(tp).exercises.flatMap((exercise) => (exercise.offLimits ?? []).map((name) => `${exercise.id}: ${name}`)));
    assert.ok(named.length >= 20, `${named.length} names`);
    assert.deepEqual(named.filter((entry) => !registered.has(entry.split(": ")[1]!)), []);
  });
});

describe("runExercise with offLimits", () => {
  const temperatureSoftmax = defineExercise<(logits: number[], t: number) => number[]>({
    id: "tp99.temperature_softmax",
    title: "softmax",
    symbol: "temperatureSoftmax",
    kind: "function",
    points: 2,
    offLimits: ["softmax"],
    task: "t",
    hints: [],
    tests: [
      // The expected values come from the library's softmax: allowed outside the submission's calls.
      { name: "T = 2", run: (f) => expectClose(f([1, 2, 3], 2), Array.from(softmax([1, 2, 3], 2)), 1e-12) },
      { name: "une erreur attendue", run: (f) => assert.throws(() => f([], 1)) },
    ],
  });

  it("a hand-written solution passes, even though the test uses the library", async () => {
    const handWritten = (logits: number[], t: number) => {
      if (logits.length === 0) throw new Error("vide");
      const max = Math.max(...logits);
      const e = logits.map((z) => Math.exp((z - max) / t));
      const total = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / total);
    };
    const result = await runExercise(temperatureSoftmax, handWritten);
    assert.equal(result.earned, 2, JSON.stringify(result.tests));
  });

  it("a delegation scores 0, even when the error is caught or expected by a test", async () => {
    assertRefused(await runExercise(temperatureSoftmax, (l: number[], t: number) => Array.from(softmax(l, t))), "softmax");
    const caught = (l: number[], t: number) => {
      try {
        return Array.from(softmax(l, t));
      } catch {
        return l.map(() => 1 / l.length);
      }
    };
    assertRefused(await runExercise(temperatureSoftmax, caught), "softmax");
  });
});

describe("the issue's delegating one-liners score 0 with the message (and full marks without the guard)", () => {
  const { encoderLayerParameterCount: encoder, decoderLayerParameterCount: decoder } = attention;
  const lib = quantization as unknown as Record<string, (...args: unknown[]) => { values: Int8Array; scale: number }>;
  const oneLiners: [string, unknown, string][] = [
    ["tp09.temperature_softmax", (l: number[], t: number) => Array.from(sampling["softmax"](l, t)), "softmax"],
    ["tp06.causal_mask", (n: number) => attentionNumbers.causalMaskArray(n), "causalMaskArray"],
    ["tp07.block_params", (d: number, ff: number, kind: string) => (kind === "encoder" ? encoder(d, ff) : decoder(d, ff)), "encoderLayerParameterCount"],
    ["tp11.weight_memory", (params: number, dtype: "fp32") => modelMemory(params, dtype).gb, "modelMemory"],
    ["tp11.absmax_quantize", (values: number[], bits: number) => {
      const q = lib["absmaxQuantize"]!(values, bits);
      return { codes: Array.from(q.values), scale: q.scale };
    }, "absmaxQuantize"],
    ["tp11.int4_groups", (values: number[], groupSize: number) => {
      if (values.length % groupSize !== 0) throw new RangeError("groupe");
      const q = quantization.quantizeTensor(values, { method: "absmax", bits: 4, granularity: { groupSize } });
      return { packed: quantization.packInt4(q.values), scales: q.scales };
    }, "quantizeTensor"],
    ["tp01.api_cost", (input: number, output: number, price: TokenPrice) => tokenCost(input, price.inputPerMillion) + tokenCost(output, price.outputPerMillion), "tokenCost"],
    ["tp12.retrieval_metrics", (ranked: string[], relevant: Set<string>, k: number) => {
      if (relevant.size === 0) throw new Error("vide");
      return { recall: recallAtK(ranked, relevant, k), reciprocalRank: reciprocalRank(ranked, relevant, k), ndcg: ndcgAtK(ranked, relevant, k) };
    }, "recallAtK"],
    ["tp07.gpt_forward", (w: TinyGptWeights, ids: number[][]) => tinyGptForward(w, ids), "tinyGptForward"],
    ["tp07.gpt_train_step", (w: TinyGptWeights, windows: number[][], optimizer: tf.Optimizer) => tinyGptTrainStep(w, windows, optimizer), "tinyGptTrainStep"],
    ["tp12.fuse_rankings", (rankings: string[][], k: number) =>
      reciprocalRankFusion(rankings, { k }).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)), "reciprocalRankFusion"],
  ];
  for (const [id, submission, name] of oneLiners) {
    it(id, async () => {
      const exercise = findExercise(id);
      const unguarded = await runExercise(withoutGuard(exercise), submission);
      assert.equal(unguarded.earned, unguarded.max, `${id} without the guard: ${JSON.stringify(unguarded.tests.filter((t) => !t.passed))}`);
      assertRefused(await runExercise(exercise, submission), name);
    });
  }
  it("tp03.count_bigrams (CountBigram.fit, a static method)", async () => {
    const submission = (names: string[], stoi: ReadonlyMap<string, number>) => {
      const vocab = new CharVocabulary([...stoi.keys()].filter((c) => c !== "."));
      return CountBigram.fit(buildContextDataset(names, 1, vocab), stoi.size).countMatrix();
    };
    const exercise = findExercise("tp03.count_bigrams");
    // buildContextDataset refuses an empty list of names: every other test passes without the guard.
    assert.equal((await runExercise(withoutGuard(exercise), submission)).passed, exercise.tests.length - 1);
    assertRefused(await runExercise(exercise, submission), "CountBigram.fit");
  });

  it("tp01.train_bpe (the library's trainer) and tp01.bpe_decode (a tokenizer's decode method)", async () => {
    const delegated = (text: string, numMerges: number) =>
      trainByteBpeModel(text, 256 + numMerges, { pattern: "[^\\n]+", specialTokens: [] }).merges.map((merge) => [merge.left, merge.right]);
    const exercise = findExercise("tp01.train_bpe");
    // The library breaks ties by the smallest pair, the exercise by first appearance: the tie tests fail anyway.
    assert.ok((await runExercise(withoutGuard(exercise), delegated)).passed >= 2);
    assertRefused(await runExercise(exercise, delegated), "trainByteBpeModel");
    const tokenizer = ByteBpeTokenizer.train("the theme of the thesis", 260, { specialTokens: [] });
    const decode = guardSubmission("tp01.bpe_decode", findExercise("tp01.bpe_decode").offLimits!, (ids: number[]) => tokenizer.decode(ids));
    assert.throws(() => decode.submission([116, 104]), (error: unknown) => isDelegationError(error) && error.functionName === "ByteBpeTokenizer.decode");
    assert.equal(tokenizer.decode([116, 104]), "th");
  });

  it("tp09.sampling_loop (the library's sampleNextToken in the student's loop)", async () => {
    type Options = { maxNewTokens: number; temperature: number; topK?: number; topP?: number; stopId?: number; rng: Random };
    const delegated = (next: (ids: number[]) => number[], prompt: number[], options: Options) => {
      const ids = [...prompt];
      const out: number[] = [];
      while (out.length < options.maxNewTokens) {
        const id = sampling.sampleNextToken(next(ids), options.rng, options);
        if (id === options.stopId) break;
        ids.push(id);
        out.push(id);
      }
      return out;
    };
    const exercise = findExercise("tp09.sampling_loop");
    const unguarded = await runExercise(withoutGuard(exercise), delegated);
    assert.equal(unguarded.earned, unguarded.max, JSON.stringify(unguarded.tests.filter((t) => !t.passed)));
    assertRefused(await runExercise(exercise, delegated), "sampleNextToken");
  });

  it("tp06.multi_head (a MultiHeadAttention layer given the student's weights: refused through scaledDotProductAttention)", async () => {
    type Params = { Wq: number[][]; Wk: number[][]; Wv: number[][]; Wo: number[][]; bq: number[]; bk: number[]; bv: number[]; bo: number[] };
    const delegated = (X: number[][], p: Params, heads: number, mask?: number[][]) => {
      const layer = new attention.MultiHeadAttention({ dModel: X[0]!.length, heads, rng: new Random(0) });
      try {
        const pairs = [[layer.wq, p.Wq, p.bq], [layer.wk, p.Wk, p.bk], [layer.wv, p.Wv, p.bv], [layer.wo, p.Wo, p.bo]] as const;
        for (const [linear, W, b] of pairs) {
          linear.weight.assign(tf.tensor2d(W));
          linear.bias!.assign(tf.tensor1d(b));
        }
        const causal = mask !== undefined;
        return (layer.forward(tf.tensor3d([X]), null, { causal }).output.arraySync() as number[][][])[0]!;
      } finally {
        layer.dispose();
      }
    };
    const exercise = findExercise("tp06.multi_head");
    assert.ok((await runExercise(withoutGuard(exercise), delegated)).passed >= 3);
    assertRefused(await runExercise(exercise, delegated), "scaledDotProductAttention");
  });

  it("the hand-computed reference of tp07.block_params still matches the library outside a check", () => {
    expectEqual([encoder(64, 128), decoder(64, 128)], [33_472, 50_240]);
  });
});
