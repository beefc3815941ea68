import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bytesPerParam,
  GIB,
  gptqCheckpointBytes,
  LLAMA2_CONFIGS,
  llama2MemoryTable,
  llamaParameterCount,
  modelMemory,
  tensorBytes,
  trainingMemory,
} from "@llm-course/lib/quantization";

const near = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);

test("model memory: params × bytes, in GB (10^9) and GiB (2^30)", () => {
  assert.deepEqual(
    (["fp64", "fp32", "fp16", "bf16", "int8", "int4"] as const).map(bytesPerParam),
    [8, 4, 2, 2, 1, 0.5],
  );
  const m = modelMemory(7e9, "fp16");
  assert.equal(m.bytes, 14e9);
  assert.equal(m.gb, 14);
  near(m.gib, 13.0385, 1e-4, "GiB");
  assert.equal(modelMemory(7e9, "int4").gb, 3.5);
  assert.equal(modelMemory(124_439_808, "fp32").bytes, 497_759_232); // GPT-2 small
  // The seeds' OOM cell: a 10000 × 10000 float64 tensor is 0.745 GiB.
  assert.equal(tensorBytes([10000, 10000], "fp64"), 8e8);
  near(tensorBytes([10000, 10000], "fp64") / GIB, 0.745, 1e-3, "GiB");
  assert.throws(() => modelMemory(-1, "fp16"), /parameter count must be an integer ≥ 0/);
  assert.throws(() => modelMemory(1.5, "fp16"), /integer/);
  assert.throws(() => modelMemory(10, "fp8" as never), /unknown dtype "fp8"/);
  assert.throws(() => tensorBytes([2, -1], "fp32"), /every dimension/);
});

test("training memory: 16 bytes per parameter with Adam, before activations", () => {
  const mixed = trainingMemory(7e9);
  assert.equal(mixed.bytesPerParam, 16);
  assert.deepEqual([mixed.weights, mixed.gradients, mixed.masterWeights, mixed.optimizerStates], [14e9, 14e9, 28e9, 56e9]);
  assert.equal(mixed.total, 112e9);
  assert.equal(mixed.gb, 112);
  const fp32 = trainingMemory(1e6, "fp32-adam");
  assert.deepEqual([fp32.weights, fp32.gradients, fp32.masterWeights, fp32.optimizerStates, fp32.total], [4e6, 4e6, 0, 8e6, 16e6]);
  assert.equal(trainingMemory(1e6, "fp32-sgd").bytesPerParam, 8);
  assert.throws(() => trainingMemory(10, "lion" as never), /unknown recipe "lion"/);
});

test("Llama-2 parameter counts from the architectures", () => {
  assert.equal(llamaParameterCount(LLAMA2_CONFIGS["7B"]).total, 6_738_415_616);
  assert.equal(llamaParameterCount(LLAMA2_CONFIGS["13B"]).total, 13_015_864_320);
  const p70 = llamaParameterCount(LLAMA2_CONFIGS["70B"]);
  assert.equal(p70.total, 68_976_648_192);
  assert.equal(p70.embedding, 262_144_000);
  assert.equal(p70.linear, 68_451_041_280);
});

test("the seeds' Llama-2 table: FP16 = params × 2 bytes, INT4 = GPTQ checkpoints (g = 128, 128, 32)", () => {
  const rows = llama2MemoryTable();
  assert.deepEqual(rows.map((r) => r.model), ["Llama2-7B", "Llama2-13B", "Llama2-70B"]);
  assert.deepEqual(rows.map((r) => r.fp16GB), [13.476831232, 26.03172864, 137.953296384]);
  // Five of the six cells match to the slide's last digit; 13B's fp16 (26.1) is 0.07 GB high.
  assert.equal(rows[0]!.fp16GB.toFixed(1), "13.5");
  assert.equal(rows[1]!.fp16GB.toFixed(1), "26.0");
  assert.equal(rows[2]!.fp16GB.toFixed(0), "138");
  assert.deepEqual(rows.map((r) => r.int4GptqGB.toFixed(1)), ["3.9", "7.3", "40.7"]);
  assert.deepEqual(rows.map((r) => r.int4GptqGB), [3.896582144, 7.25926912, 40.662810624]);
  // params × ½ byte undershoots the slide by 0.5 to 6 GB.
  assert.deepEqual(rows.map((r) => r.int4NaiveGB), [3.369207808, 6.50793216, 34.488324096]);
  const g128 = gptqCheckpointBytes(LLAMA2_CONFIGS["7B"], 128);
  assert.equal(g128.qweight, 3_238_002_688);
  assert.equal(g128.scales, 101_187_584);
  assert.equal(g128.qzeros, 25_296_896);
  assert.equal(g128.fp16Rest, 524_820_480);
  assert.equal(g128.qweight + g128.scales + g128.qzeros + g128.gIdx + g128.bias + g128.fp16Rest, g128.total);
  // Smaller groups, more scales: 70B with g = 128 would be 36.7 GB, not the slide's 40.7.
  assert.equal((gptqCheckpointBytes(LLAMA2_CONFIGS["70B"], 128).total / 1e9).toFixed(1), "36.7");
  assert.throws(() => gptqCheckpointBytes(LLAMA2_CONFIGS["7B"], 100), /groupSize 100 does not divide q_proj's 4096 input rows/);
  assert.throws(() => gptqCheckpointBytes(LLAMA2_CONFIGS["7B"], 128, 5), /2, 3, 4 or 8 bits/);
});
