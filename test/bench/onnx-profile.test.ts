/**
 * bench/support/onnx-profile.ts: onnxruntime's trace summed by operator type over the measured runs, and
 * the matrix products' share that bench/gpt.ts compares with PyTorch's step.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { matrixProductMs, operatorTimesOfTrace, profileOperators } from "../../bench/support/onnx-profile";
import { GraphBuilder } from "../../lib/onnx/builder";
import { onnxRuntime } from "../../lib/onnx/runtime";

test("the matrix products' time is the sum of Gemm, MatMul, FusedMatMul and FusedGemm, nothing else", () => {
  const times = { kernelMsPerRun: 10, byOperator: { Gemm: 2.5, MatMul: 1, FusedMatMul: 0.25, Sigmoid: 4, Add: 2.25 } };
  assert.equal(matrixProductMs(times), 3.75);
  assert.equal(matrixProductMs({ kernelMsPerRun: 1, byOperator: { Relu: 1 } }), 0);
});

test("a trace's kernels are summed by operator over the last runs only, per run, in milliseconds", () => {
  const run = (ts: number) => ({ cat: "Session", name: "model_run", ts, dur: 900 });
  const kernel = (ts: number, op: string, dur: number) => ({ cat: "Node", name: `${op}_1_kernel_time`, ts, dur, args: { op_name: op } });
  const events = [
    { cat: "Session", name: "session_initialization", ts: 0, dur: 50 },
    run(100), kernel(110, "Gemm", 5000), kernel(200, "Add", 700), // a warm-up run: left out
    run(1000), kernel(1010, "Gemm", 3000), { cat: "Node", name: "Gemm_1_fence_before", ts: 1005, dur: 9, args: { op_name: "Gemm" } }, kernel(1100, "Add", 500),
    run(2000), kernel(2010, "Gemm", 1000), kernel(2100, "Add", 300), kernel(2200, "Sigmoid", 200),
  ];
  const times = operatorTimesOfTrace(events, 2);
  // Gemm (3000 + 1000) µs over 2 runs = 2 ms; Add (500 + 300) / 2 = 0.4 ms; Sigmoid 200 / 2 = 0.1 ms.
  assert.deepEqual(times.byOperator, { Gemm: 2, Add: 0.4, Sigmoid: 0.1 });
  assert.ok(Math.abs(times.kernelMsPerRun - 2.5) < 1e-12);
  assert.throws(() => operatorTimesOfTrace(events, 4), /holds 3 runs, fewer than the 4/);
});

test("a real session's kernels come back by operator type, and they sum to the kernels' total", async () => {
  const g = new GraphBuilder("profiled");
  const x = g.input("x", "float32", [256, 256]);
  const w = g.initializer("w", new Float32Array(256 * 256).fill(0.01), [256, 256]);
  g.op("Sigmoid", [g.matMul(x, w)], {}, "y");
  g.output("y", "float32", [256, 256]);
  const ort = onnxRuntime();
  const feeds = { x: new ort.Tensor("float32", new Float32Array(256 * 256).fill(1), [256, 256]) };
  const times = await profileOperators(g.toBytes(), feeds, { threads: 1, warmup: 1, runs: 3 });
  assert.deepEqual(Object.keys(times.byOperator).sort(), ["MatMul", "Sigmoid"]);
  const sum = times.byOperator.MatMul! + times.byOperator.Sigmoid!;
  assert.ok(Math.abs(times.kernelMsPerRun - sum) < 1e-9, "the total is the operators' sum");
  assert.ok(times.byOperator.MatMul! > 0 && times.byOperator.Sigmoid! > 0);
  await assert.rejects(profileOperators(g.toBytes(), feeds, { threads: 1, warmup: 0, runs: 0 }), /runs must be an integer ≥ 1/);
});
