import assert from "node:assert/strict";
import { test } from "node:test";
import {
  absmaxDequantize,
  absmaxQuantize,
  asymmetricRange,
  combineErrors,
  dequantizeTensor,
  describeScheme,
  packInt4,
  quantizationError,
  quantizedBytes,
  quantizeTensor,
  roundHalfEven,
  symmetricRange,
  toFp16,
  unpackInt4,
  zeroPointDequantize,
  zeroPointQuantize,
} from "@llm-course/lib/quantization";
import { Random } from "@llm-course/lib/random";

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-6) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol, `index ${i}: ${actual[i]} vs ${e}`));
};

function gaussian(n: number, sigma: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => sigma * rng.normal());
}

test("rounding: half to even, like torch.round", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map(roundHalfEven), [0, 2, 2, 0, -2, -2, 2, 3, -3]);
  assert.deepEqual(symmetricRange(8), { qmin: -127, qmax: 127 });
  assert.deepEqual(symmetricRange(4), { qmin: -7, qmax: 7 });
  assert.deepEqual(asymmetricRange(8), { qmin: -128, qmax: 127 });
  assert.deepEqual(asymmetricRange(4), { qmin: -8, qmax: 7 });
  assert.throws(() => symmetricRange(9), /bits must be an integer from 2 to 8, got 9/);
});

test("absmax int8 by hand: [−1.2, 0.5, 3.1] → scale 3.1/127, q = [−49, 20, 127]", () => {
  const { values, scale } = absmaxQuantize([-1.2, 0.5, 3.1]);
  assert.equal(scale, 3.1 / 127);
  assert.deepEqual([...values], [-49, 20, 127]);
  // −1.2 / 0.02441 = −49.16 → −49 → −1.1961; 0.5 → 20.48 → 20 → 0.4882
  close(absmaxDequantize(values, scale), [-49 * (3.1 / 127), 20 * (3.1 / 127), 3.1]);
  close(absmaxDequantize(values, scale), [-1.19606, 0.48819, 3.1], 1e-5);
  // The same with the tensor API (scale stored as fp32).
  const t = quantizeTensor(Float32Array.of(-1.2, 0.5, 3.1), { method: "absmax", bits: 8 });
  assert.deepEqual([...t.values], [-49, 20, 127]);
  assert.equal(t.scales[0], Math.fround(3.1 / 127));
  assert.equal(t.zeroPoints, null);
  // int4: scale 3.1/7; −1.2 → −2.71 → −3, 0.5 → 1.13 → 1.
  assert.deepEqual([...absmaxQuantize([-1.2, 0.5, 3.1], 4).values], [-3, 1, 7]);
  // Ties go to even: with scale exactly 1, 0.5 → 0, 1.5 → 2, 2.5 → 2, −2.5 → −2.
  assert.deepEqual([...absmaxQuantize([127, 0.5, 1.5, 2.5, -2.5]).values], [127, 0, 2, 2, -2]);
  // An all-zero array: scale 0, codes 0, no division by zero.
  const zeros = absmaxQuantize([0, 0, 0]);
  assert.equal(zeros.scale, 0);
  assert.deepEqual([...absmaxDequantize(zeros.values, zeros.scale)], [0, 0, 0]);
});

test("zero-point int8 by hand: [−1, 0, 2] → scale 3/255, zero point −43, q = [−128, −43, 127]", () => {
  // scale = (2 − (−1)) / 255; zero point = round(1 / scale) − 128 = 85 − 128 = −43.
  const { values, scale, zeroPoint } = zeroPointQuantize([-1, 0, 2]);
  assert.equal(scale, 3 / 255);
  assert.equal(zeroPoint, -43);
  assert.deepEqual([...values], [-128, -43, 127]);
  close(zeroPointDequantize(values, scale, zeroPoint), [-1, 0, 2], 1e-12);
  // All-positive values: the range is widened to [0, 3] so the zero point stays an int8 (−128), not −383.
  const positive = zeroPointQuantize([1, 3]);
  assert.equal(positive.zeroPoint, -128);
  assert.deepEqual([...positive.values], [-43, 127]);
  // A lopsided range uses all 256 levels where absmax wastes the negative half.
  const lopsided = Float32Array.from({ length: 101 }, (_, i) => i / 100);
  const zp = quantizeTensor(lopsided, { method: "zero-point", bits: 8 });
  const am = quantizeTensor(lopsided, { method: "absmax", bits: 8 });
  assert.equal(Math.min(...zp.values), -128);
  assert.equal(Math.min(...am.values), 0);
  const zpError = quantizationError(lopsided, dequantizeTensor(zp));
  const amError = quantizationError(lopsided, dequantizeTensor(am));
  assert.ok(zpError.maxAbsError <= zp.scales[0]! / 2 + 1e-7);
  assert.ok(zpError.mse < amError.mse / 3, `${zpError.mse} vs ${amError.mse}`);
  const zeros = zeroPointQuantize([0, 0]);
  assert.deepEqual([zeros.scale, zeros.zeroPoint, ...zeros.values], [0, 0, 0, 0]);
});

test("per row and per column: one scale per row / column", () => {
  // Row 2 is 100× smaller: a single scale flattens it, one scale per row keeps it.
  const w = Float32Array.of(1, 2, 3, 0.01, 0.02, 0.03);
  const perTensor = quantizeTensor(w, { method: "absmax", bits: 8, granularity: "tensor" }, [2, 3]);
  const perRow = quantizeTensor(w, { method: "absmax", bits: 8, granularity: "row" }, [2, 3]);
  assert.deepEqual([...perTensor.values], [42, 85, 127, 0, 1, 1]);
  assert.deepEqual([...perRow.values], [42, 85, 127, 42, 85, 127]);
  assert.equal(perRow.scales.length, 2);
  assert.equal(perRow.groupSize, 3);
  close(perRow.scales, [3 / 127, 0.03 / 127], 1e-9);
  const rowError = quantizationError(w.subarray(3), dequantizeTensor(perRow).subarray(3));
  const tensorError = quantizationError(w.subarray(3), dequantizeTensor(perTensor).subarray(3));
  assert.ok(rowError.snrDb > 40 && tensorError.snrDb < 10, `${rowError.snrDb} / ${tensorError.snrDb}`);
  // Per column (a tfjs Dense kernel [in, out] per output unit): column scales 127/127 = 1 and 254/127 = 2.
  const k = Float32Array.of(127, 254, -63, 100);
  const perColumn = quantizeTensor(k, { method: "absmax", bits: 8, granularity: "column" }, [2, 2]);
  assert.deepEqual([...perColumn.scales], [1, 2]);
  assert.deepEqual([...perColumn.values], [127, 127, -63, 50]);
  assert.deepEqual([...dequantizeTensor(perColumn)], [127, 254, -63, 100]);
  const zpColumn = quantizeTensor(Float32Array.of(-1, 0, 2, 4), { method: "zero-point", bits: 8, granularity: "column" }, [2, 2]);
  assert.deepEqual([...zpColumn.zeroPoints!], [-43, -128]);
  assert.deepEqual([...zpColumn.values], [-128, -128, 127, 127]);
});

test("group-wise int4 by hand, with fp16 scales, packed two per byte", () => {
  const row = Float32Array.of(0.1, -0.2, 0.33, 0.7, 2, -1.1, 0.5, 0.25);
  // Group 1: scale 0.7/7 = 0.1 → [1, −2, 3.3→3, 7]. Group 2: scale 2/7 → [7, −3.85→−4, 1.75→2, 0.875→1].
  const q = quantizeTensor(row, { method: "absmax", bits: 4, granularity: { groupSize: 4 }, scaleDtype: "fp16" });
  assert.deepEqual([...q.values], [1, -2, 3, 7, 7, -4, 2, 1]);
  assert.deepEqual([...q.scales], [toFp16(0.7 / 7), toFp16(2 / 7)]);
  assert.equal(q.scales[0], 0.0999755859375);
  // Decoding uses the stored fp16 scale exactly.
  const decoded = dequantizeTensor(q);
  q.values.forEach((code, i) => assert.equal(decoded[i], Math.fround(code * q.scales[i >> 2]!)));
  assert.equal(describeScheme({ method: "absmax", bits: 4, granularity: { groupSize: 4 }, scaleDtype: "fp16" }), "int4 absmax g=4 (échelles fp16)");
  // ONNX INT4 layout: element 2i low nibble, 2i + 1 high nibble, two's complement.
  const packed = packInt4(q.values);
  assert.deepEqual([...packed], [0xe1, 0x73, 0xc7, 0x12]);
  assert.deepEqual(unpackInt4(packed, 8), q.values);
  assert.deepEqual([...packInt4([-8, 7, -1])], [0x78, 0x0f]);
  assert.deepEqual([...unpackInt4(Uint8Array.of(0x78, 0x0f), 3)], [-8, 7, -1]);
  const all = Int8Array.from({ length: 16 }, (_, i) => i - 8);
  assert.deepEqual(unpackInt4(packInt4(all)), all);
  assert.throws(() => packInt4([8]), /code 0 is 8; int4 holds integers from −8 to 7/);
  assert.throws(() => packInt4([1.5]), /code 0 is 1.5/);
  assert.throws(() => unpackInt4(Uint8Array.of(1, 2), 5), /2 bytes hold 3 or 4 codes, not 5/);
  // Zero-point int4 uses all 16 levels −8…7.
  const zp4 = quantizeTensor(Float32Array.of(-1, 0, 2, 0.5), { method: "zero-point", bits: 4 });
  assert.equal(zp4.scales[0], Math.fround(3 / 15));
  assert.equal(zp4.zeroPoints![0], -3);
  assert.deepEqual([...zp4.values], [-8, -3, 7, -1]);
});

test("an outlier ruins a shared absmax scale; groups confine the damage", () => {
  const w = gaussian(4 * 64, 0.02, 3);
  w[5] = 2; // one outlier, 100σ
  // Errors on the other 255 weights, and on the 224 outside the outlier's group of 32.
  const others = (a: Float32Array) => Float32Array.from(a).filter((_, i) => i !== 5);
  const error = (scheme: Parameters<typeof quantizeTensor>[1]) => {
    const decoded = dequantizeTensor(quantizeTensor(w, scheme, [4, 64]));
    return { all: quantizationError(others(w), others(decoded)), rest: quantizationError(w.subarray(32), decoded.subarray(32)) };
  };
  const int8Tensor = error({ method: "absmax", bits: 8 });
  const int8Group = error({ method: "absmax", bits: 8, granularity: { groupSize: 32 } });
  const int4Tensor = error({ method: "absmax", bits: 4 });
  const int4Group = error({ method: "absmax", bits: 4, granularity: { groupSize: 32 } });
  // Per tensor, the step is 2/127 ≈ 0.016 for weights of σ = 0.02: about 13 dB everywhere.
  assert.ok(int8Tensor.all.snrDb > 10 && int8Tensor.all.snrDb < 16, `int8 per tensor ${int8Tensor.all.snrDb}`);
  assert.ok(Math.abs(int8Tensor.rest.snrDb - int8Tensor.all.snrDb) < 2);
  // Groups of 32: outside the outlier's group, int8 is back to its usual ≈ 40 dB; inside, 31 weights still suffer.
  assert.ok(int8Group.rest.snrDb > 38, `int8 g=32 ${int8Group.rest.snrDb}`);
  assert.ok(int8Group.all.mse < int8Tensor.all.mse / 5, `${int8Group.all.mse} vs ${int8Tensor.all.mse}`);
  // int4 per tensor: step 2/7 ≈ 0.29, every other weight rounds to 0 — all information lost (0 dB).
  const codes = quantizeTensor(w, { method: "absmax", bits: 4 }, [4, 64]).values;
  assert.equal(codes.filter((c) => c !== 0).length, 1);
  assert.ok(Math.abs(int4Tensor.all.snrDb) < 1e-9, `int4 per tensor ${int4Tensor.all.snrDb}`);
  assert.ok(int4Group.rest.snrDb > 15 && int4Group.rest.snrDb < 25, `int4 g=32 ${int4Group.rest.snrDb}`);
});

test("about 6 dB per bit: uniform values, absmax per tensor", () => {
  const rng = new Random(7);
  const x = Float32Array.from({ length: 20000 }, () => 2 * rng.next() - 1);
  x[0] = 1; // absmax exactly 1
  // SNR = (1/3) / (step²/12) with step = 1/qmax: 10 log10(4 qmax²) = 48.1 dB (int8), 22.9 dB (int4).
  const snr = (bits: number) => quantizationError(x, dequantizeTensor(quantizeTensor(x, { method: "absmax", bits }))).snrDb;
  assert.ok(Math.abs(snr(8) - 10 * Math.log10(4 * 127 ** 2)) < 0.3, `int8 ${snr(8)}`);
  assert.ok(Math.abs(snr(4) - 10 * Math.log10(4 * 7 ** 2)) < 0.3, `int4 ${snr(4)}`);
  assert.ok(Math.abs(snr(6) - 10 * Math.log10(4 * 31 ** 2)) < 0.3, `int6 ${snr(6)}`);
});

test("error metrics by hand", () => {
  const e = quantizationError([1, 2, 3, 4], [1, 2.5, 3, 3]);
  assert.equal(e.count, 4);
  assert.equal(e.maxAbsError, 1);
  assert.equal(e.meanAbsError, 0.375);
  assert.equal(e.mse, 0.3125);
  assert.equal(e.signalPower, 7.5);
  assert.ok(Math.abs(e.snrDb - 10 * Math.log10(24)) < 1e-12); // 13.80 dB
  assert.equal(quantizationError([1, 2], [1, 2]).snrDb, Infinity);
  assert.equal(quantizationError([0, 0], [0, 1]).snrDb, -Infinity);
  const whole = quantizationError([1, 2, 3, 4], [1, 2.5, 3, 3]);
  const parts = combineErrors([quantizationError([1, 2], [1, 2.5]), quantizationError([3, 4], [3, 3])]);
  assert.deepEqual(parts, whole);
  assert.throws(() => quantizationError([1, 2], [1]), /2 original values but 1 reconstructed/);
  assert.throws(() => quantizationError([], []), /empty/);
  assert.throws(() => quantizationError([NaN], [1]), /value 0 is NaN/);
});

test("storage: codes packed, plus scales and zero points", () => {
  const w = gaussian(64 * 64, 0.02, 1);
  const int8 = quantizedBytes(quantizeTensor(w, { method: "absmax", bits: 8 }, [64, 64]));
  assert.deepEqual([int8.valueBytes, int8.scaleBytes, int8.zeroPointBytes, int8.totalBytes], [4096, 4, 0, 4100]);
  const int4g = quantizedBytes(quantizeTensor(w, { method: "absmax", bits: 4, granularity: { groupSize: 32 }, scaleDtype: "fp16" }, [64, 64]));
  assert.deepEqual([int4g.valueBytes, int4g.scaleBytes, int4g.zeroPointBytes, int4g.totalBytes], [2048, 256, 0, 2304]);
  assert.equal(int4g.bitsPerValue, 4.5); // llama.cpp Q4_0's 4.5 bits per weight
  assert.equal(int4g.fp32Bytes, 16384);
  assert.equal(int4g.compression, 16384 / 2304);
  const zp4 = quantizedBytes(quantizeTensor(w, { method: "zero-point", bits: 4, granularity: { groupSize: 32 }, scaleDtype: "fp16" }, [64, 64]));
  assert.deepEqual([zp4.zeroPointBytes, zp4.totalBytes, zp4.bitsPerValue], [64, 2368, 4.625]);
  const rowZp8 = quantizedBytes(quantizeTensor(w.subarray(0, 256), { method: "zero-point", bits: 8, granularity: "row" }, [4, 64]));
  assert.equal(rowZp8.totalBytes, 256 + 16 + 4);
  // An odd count of int4 codes still takes whole bytes.
  assert.equal(quantizedBytes(quantizeTensor(Float32Array.of(1, 2, 3), { method: "absmax", bits: 4 })).valueBytes, 2);
});

test("bad input gets clear errors", () => {
  const scheme = { method: "absmax", bits: 8 } as const;
  assert.throws(() => quantizeTensor(new Float32Array(0), scheme), /quantizeTensor: the array is empty/);
  assert.throws(() => quantizeTensor(Float32Array.of(1, 2, NaN), scheme), /value 2 is NaN; quantization needs finite numbers/);
  assert.throws(() => quantizeTensor(Float32Array.of(1, Infinity), scheme), /value 1 is Infinity/);
  assert.throws(() => quantizeTensor(new Float32Array(64), { ...scheme, granularity: { groupSize: 48 } }, [1, 64]), /group size 48 does not divide the row length 64/);
  assert.throws(() => quantizeTensor(new Float32Array(6), scheme, [4, 2]), /shape \[4, 2\] holds 8 values but the array has 6/);
  assert.throws(() => quantizeTensor(new Float32Array(4), { method: "absmax", bits: 9 }), /bits must be an integer from 2 to 8, got 9/);
  assert.throws(() => quantizeTensor(new Float32Array(4), { method: "absmax", bits: 8, granularity: "channel" as never }), /granularity must be/);
  assert.throws(() => quantizeTensor(new Float32Array(4), { method: "nf4" as never, bits: 4 }), /method must be "absmax", "zero-point" or "float", got "nf4"/);
  assert.throws(() => quantizeTensor(new Float32Array(4), { method: "float", format: "fp16" } as never), /float schemes round values/);
  assert.throws(() => quantizeTensor(Float32Array.of(1e7), { method: "absmax", bits: 8, scaleDtype: "fp16" }), /overflows fp16/);
  assert.throws(() => absmaxQuantize([]), /empty/);
  assert.throws(() => zeroPointQuantize([1, NaN]), /value 1 is NaN/);
});
