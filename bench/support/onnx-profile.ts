/**
 * Where an onnxruntime session spends its time, by operator type: the graph runs with onnxruntime's
 * profiler on, and the kernel times of its trace are summed per operator type over the measured runs (the
 * warm-up runs are left out) and divided by their number.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Ort from "onnxruntime-node";
import { createSession } from "../../lib/onnx/runtime";

/** Milliseconds per run: all kernels, and each operator type's. */
export interface OperatorTimes {
  kernelMsPerRun: number;
  byOperator: Record<string, number>;
}

/** The operator types that multiply matrices (onnxruntime fuses transposes and scales into FusedMatMul). */
export const MATRIX_PRODUCT_OPERATORS: readonly string[] = ["Gemm", "MatMul", "FusedMatMul", "FusedGemm"];

/** One event of onnxruntime's trace (Chrome tracing format; times in µs). */
export interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

/** Profiles `runs` runs of `model` on `feeds` after `warmup` unprofiled-in-the-sum runs, with `threads` threads inside an operator. */
export async function profileOperators(model: Uint8Array, feeds: Record<string, Ort.Tensor>, options: { threads: number; warmup: number; runs: number }): Promise<OperatorTimes> {
  const { threads, warmup, runs } = options;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`profileOperators: runs must be an integer ≥ 1, got ${runs}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onnx-profile-"));
  try {
    const session = await createSession(model, { threads, profileFilePrefix: path.join(dir, "trace") });
    try {
      for (let i = 0; i < warmup + runs; i++) await session.run(feeds);
      session.endProfiling();
    } finally {
      await session.release();
    }
    const file = fs.readdirSync(dir).find((name) => name.endsWith(".json"));
    if (file === undefined) throw new Error("profileOperators: onnxruntime wrote no trace");
    return operatorTimesOfTrace(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as TraceEvent[], runs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The kernels' times of a trace by operator type, per run, over its last `runs` runs (model_run spans). */
export function operatorTimesOfTrace(events: readonly TraceEvent[], runs: number): OperatorTimes {
  const spans = events.filter((e) => e.cat === "Session" && e.name === "model_run");
  if (spans.length < runs) throw new Error(`profileOperators: the trace holds ${spans.length} runs, fewer than the ${runs} to measure`);
  const start = spans[spans.length - runs]!.ts ?? 0;
  const byOperator: Record<string, number> = {};
  let kernelMs = 0;
  for (const e of events) {
    if (e.cat !== "Node" || !e.name?.endsWith("_kernel_time") || e.ts === undefined || e.ts < start) continue;
    const ms = (e.dur ?? 0) / 1000 / runs;
    const op = e.args?.op_name ?? "?";
    byOperator[op] = (byOperator[op] ?? 0) + ms;
    kernelMs += ms;
  }
  return { kernelMsPerRun: kernelMs, byOperator };
}

/** The milliseconds per run spent in matrix products. */
export function matrixProductMs(times: OperatorTimes): number {
  return MATRIX_PRODUCT_OPERATORS.reduce((sum, op) => sum + (times.byOperator[op] ?? 0), 0);
}
