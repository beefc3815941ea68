import assert from "node:assert/strict";
import { test } from "node:test";
import {
  dequantizeTensor,
  describeScheme,
  quantizedBytes,
  quantizeWeights,
  roundToBf16,
  roundToFp16,
  STANDARD_SCHEMES,
  type ShapedWeights,
} from "@llm-course/lib/quantization";
import { Random } from "@llm-course/lib/random";

function model(seed = 1): Record<string, ShapedWeights> {
  const rng = new Random(seed);
  const tensor = (shape: number[], sigma: number, mean = 0): ShapedWeights => ({
    values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => mean + sigma * rng.normal()),
    shape,
  });
  return {
    "wte": tensor([50, 32], 0.1),
    "h0.mlp.w": tensor([32, 64], 0.05),
    "h0.mlp.b": tensor([64], 0.01),
    "ln_f.gamma": tensor([32], 0.05, 1),
  };
}

test("quantizeWeights: int8 per row quantizes the matrices, keeps biases and norms in fp32", () => {
  const params = model();
  const copy = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v.values)]));
  const scheme = { method: "absmax", bits: 8, granularity: "row" } as const;
  const { stored, dequantized, report } = quantizeWeights(params, scheme);
  assert.equal(report.label, "int8 absmax par ligne");
  assert.equal(report.params, 1600 + 2048 + 64 + 32);
  assert.equal(report.quantizedParams, 1600 + 2048);
  assert.deepEqual(report.tensors.map((t) => [t.name, t.kept]), [["wte", false], ["h0.mlp.w", false], ["h0.mlp.b", true], ["ln_f.gamma", true]]);
  // Codes + one fp32 scale per row; kept tensors at 4 bytes per value.
  assert.deepEqual(report.tensors.map((t) => t.bytes), [1600 + 50 * 4, 2048 + 32 * 4, 64 * 4, 32 * 4]);
  assert.equal(report.bytes, 1800 + 2176 + 256 + 128);
  assert.equal(report.fp32Bytes, 3744 * 4);
  assert.equal(report.compression, (3744 * 4) / 4360);
  assert.equal(report.bitsPerParam, (4360 * 8) / 3744);
  // The dequantized arrays are what the stored codes decode to; kept ones are equal copies.
  const wte = stored["wte"]!;
  assert.equal(wte.kind, "integer");
  if (wte.kind === "integer") {
    assert.deepEqual(dequantized["wte"], dequantizeTensor(wte.tensor));
    assert.equal(quantizedBytes(wte.tensor).totalBytes, 1800);
  }
  assert.deepEqual(stored["h0.mlp.b"], { kind: "kept" });
  assert.deepEqual(dequantized["h0.mlp.b"], params["h0.mlp.b"]!.values);
  assert.notEqual(dequantized["h0.mlp.b"], params["h0.mlp.b"]!.values);
  assert.equal(report.tensors[2]!.error.mse, 0);
  // int8 per row on Gaussian weights: ≈ 40 dB; the inputs are untouched.
  assert.ok(report.tensors[0]!.error.snrDb > 35, `${report.tensors[0]!.error.snrDb}`);
  for (const [k, v] of Object.entries(params)) assert.deepEqual(v.values, copy[k]);
});

test("quantizeWeights: float formats, group-wise int4, bare arrays, custom keepFloat", () => {
  const params = model(2);
  const fp32 = quantizeWeights(params, { method: "float", format: "fp32" });
  assert.equal(fp32.report.compression, 1);
  assert.equal(fp32.report.error.mse, 0);
  assert.deepEqual(fp32.stored["wte"], { kind: "float", format: "fp32" });
  const fp16 = quantizeWeights(params, { method: "float", format: "fp16" });
  assert.deepEqual(fp16.dequantized["wte"], roundToFp16(params["wte"]!.values));
  assert.equal(fp16.report.bytes, 3648 * 2 + 96 * 4);
  const bf16 = quantizeWeights(params, { method: "float", format: "bf16" });
  assert.deepEqual(bf16.dequantized["h0.mlp.w"], roundToBf16(params["h0.mlp.w"]!.values));
  // bf16 keeps 3 mantissa bits fewer than fp16: ≈ 18 dB worse.
  assert.ok(fp16.report.error.snrDb - bf16.report.error.snrDb > 15);
  const int4 = quantizeWeights(params, { method: "absmax", bits: 4, granularity: { groupSize: 32 }, scaleDtype: "fp16" });
  assert.equal(int4.report.tensors[0]!.bytes, 800 + 50 * 2);
  assert.equal(int4.report.tensors[1]!.bytes, 1024 + 64 * 2);
  // A bare Float32Array is one row and is quantized; keepFloat can protect any tensor by name.
  const bare = quantizeWeights({ w: params["h0.mlp.w"]!.values }, { method: "absmax", bits: 8, granularity: "row" });
  assert.deepEqual(bare.report.tensors[0]!.shape, [1, 2048]);
  assert.equal(bare.report.tensors[0]!.bytes, 2048 + 4);
  const keepEmbeddings = quantizeWeights(params, { method: "absmax", bits: 8 }, { keepFloat: (name) => name === "wte" });
  assert.deepEqual(keepEmbeddings.report.tensors.map((t) => t.kept), [true, false, false, false]);
});

test("the standard schemes: smaller storage, larger error", () => {
  const params = model(3);
  const reports = STANDARD_SCHEMES.map((s) => quantizeWeights(params, s).report);
  assert.deepEqual(reports.map((r) => r.label), [
    "fp32",
    "fp16",
    "bf16",
    "int8 absmax par tenseur",
    "int8 zero-point par tenseur",
    "int8 absmax par ligne",
    "int4 absmax par tenseur",
    "int4 absmax g=32 (échelles fp16)",
  ]);
  const snr = (label: string) => reports.find((r) => r.label === label)!.error.snrDb;
  assert.equal(snr("fp32"), Infinity);
  assert.ok(snr("fp16") > snr("bf16") && snr("bf16") > snr("int8 absmax par ligne"));
  assert.ok(snr("int8 absmax par ligne") > snr("int8 absmax par tenseur"));
  assert.ok(snr("int8 absmax par tenseur") > snr("int4 absmax g=32 (échelles fp16)"));
  assert.ok(snr("int4 absmax g=32 (échelles fp16)") > snr("int4 absmax par tenseur"));
  const bytes = (label: string) => reports.find((r) => r.label === label)!.bytes;
  assert.ok(bytes("fp32") > bytes("fp16") && bytes("fp16") === bytes("bf16") && bytes("bf16") > bytes("int8 absmax par ligne"));
  assert.ok(bytes("int8 absmax par ligne") > bytes("int4 absmax g=32 (échelles fp16)"));
  assert.equal(describeScheme({ method: "zero-point", bits: 8, granularity: "column" }), "int8 zero-point par colonne");
});

test("quantizeWeights: clear errors naming the parameter", () => {
  const params = model(4);
  assert.throws(
    () => quantizeWeights(params, { method: "absmax", bits: 4, granularity: { groupSize: 48 } }),
    /parameter "wte": group size 48 does not divide the row length 32 \(shape \[50, 32\]\)/,
  );
  const broken = { w: { values: Float32Array.of(1, NaN, 3, 4), shape: [2, 2] } };
  assert.throws(() => quantizeWeights(broken, { method: "float", format: "fp16" }), /parameter "w" value 1 is NaN/);
  assert.throws(() => quantizeWeights({}, { method: "absmax", bits: 8 }), /no parameters given/);
  assert.throws(() => quantizeWeights({ w: [1, 2] as never }, { method: "absmax", bits: 8 }), /parameter "w" must be a Float32Array or \{ values: Float32Array, shape \}/);
  assert.throws(() => quantizeWeights({ w: { values: new Float32Array(6), shape: [4, 2] } }, { method: "absmax", bits: 8 }), /shape \[4, 2\] holds 8 values but the array has 6/);
  assert.throws(() => quantizeWeights({ w: new Float32Array(0) }, { method: "absmax", bits: 8 }), /parameter "w" is empty/);
  assert.throws(() => quantizeWeights(params, { method: "float", format: "fp8" as never }), /float format must be fp32, fp16 or bf16, got "fp8"/);
});
