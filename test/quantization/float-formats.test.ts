import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bf16Bits,
  bf16FromBits,
  decodeFp16Array,
  encodeBf16,
  encodeFp16,
  floatFormatInfo,
  floatLayout,
  fp16Bits,
  fp16FromBits,
  fp32Bits,
  fp32FromBits,
  piExample,
  roundToBf16,
  roundToFp16,
  toBf16,
  toFp16,
  toFp32,
} from "@llm-course/lib/quantization";
import { Random } from "@llm-course/lib/random";

const hex = (n: number) => "0x" + n.toString(16).toUpperCase().padStart(4, "0");

test("fp16: known bit patterns", () => {
  const cases: Array<[number, number]> = [
    [1, 0x3c00],
    [-2, 0xc000],
    [Math.PI, 0x4248],
    [65504, 0x7bff],
    [2 ** -24, 0x0001],
    [1023 * 2 ** -24, 0x03ff],
    [2 ** -14, 0x0400],
    [0.1, 0x2e66],
    [0.5, 0x3800],
    [0, 0x0000],
    [-0, 0x8000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ];
  for (const [x, bits] of cases) assert.equal(hex(fp16Bits(x)), hex(bits), `fp16(${x})`);
  assert.equal(fp16Bits(NaN), 0x7e00);
  assert.equal(fp16FromBits(0x4248), 3.140625);
  assert.equal(fp16FromBits(0x7bff), 65504);
  assert.equal(fp16FromBits(0x0001), 2 ** -24);
  assert.equal(fp16FromBits(0x2e66), 0.0999755859375);
  assert.ok(Number.isNaN(fp16FromBits(0x7e00)));
  assert.equal(fp16FromBits(0xfc00), -Infinity);
  assert.ok(Object.is(fp16FromBits(0x8000), -0));
  assert.throws(() => fp16FromBits(0x10000), /fp16FromBits: expected an integer in \[0, 0xFFFF\]/);
  assert.throws(() => fp16Bits("1" as unknown as number), /expected a number/);
});

test("fp16: round to nearest, ties to even; overflow to Infinity; subnormal ties", () => {
  // 1 + 2^-11 is halfway between 1 (mantissa 0, even) and 1 + 2^-10 (odd): goes down.
  assert.equal(fp16Bits(1 + 2 ** -11), 0x3c00);
  // 1 + 3·2^-11 is halfway between mantissas 1 (odd) and 2 (even): goes up.
  assert.equal(fp16Bits(1 + 3 * 2 ** -11), 0x3c02);
  // A hair above the tie rounds up.
  assert.equal(fp16Bits(1 + 2 ** -11 + 2 ** -30), 0x3c01);
  // Integers above 2048 are spaced by 2: 2049 → 2048, 2051 → 2052.
  assert.equal(toFp16(2049), 2048);
  assert.equal(toFp16(2051), 2052);
  // Largest finite is 65504; the halfway point 65520 already overflows (65504's mantissa is odd).
  assert.equal(toFp16(65519), 65504);
  assert.equal(toFp16(65520), Infinity);
  assert.equal(toFp16(-65520), -Infinity);
  assert.equal(toFp16(1e5), Infinity);
  // Subnormals: 2^-25 is halfway between 0 and 2^-24 → 0; 3·2^-25 is halfway between 1 and 2 quanta → 2.
  assert.equal(fp16Bits(2 ** -25), 0x0000);
  assert.equal(fp16Bits(-(2 ** -25)), 0x8000);
  assert.equal(fp16Bits(3 * 2 ** -25), 0x0002);
  assert.equal(fp16Bits(2 ** -25 + 2 ** -40), 0x0001);
  // The largest subnormal rounds up into the smallest normal.
  assert.equal(fp16Bits(1023.5 * 2 ** -24), 0x0400);
  assert.equal(toFp16(1e-10), 0);
});

test("fp16: every code round-trips, and every midpoint between neighbours rounds to the even one", () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const v = fp16FromBits(bits);
    if (Number.isNaN(v)) continue;
    assert.equal(fp16Bits(v), bits);
  }
  // Positive finite values in order are codes 0…0x7BFF; check the tie and both sides of it.
  for (let bits = 0; bits < 0x7bff; bits++) {
    const lo = fp16FromBits(bits);
    const hi = fp16FromBits(bits + 1);
    const mid = (lo + hi) / 2;
    const even = bits % 2 === 0 ? bits : bits + 1;
    if (fp16Bits(mid) !== even) assert.fail(`tie between ${hex(bits)} and ${hex(bits + 1)} went to ${hex(fp16Bits(mid))}`);
    const quarter = (hi - lo) / 4;
    if (fp16Bits(mid - quarter) !== bits || fp16Bits(mid + quarter) !== bits + 1) assert.fail(`rounding near ${hex(bits)}`);
  }
  const rng = new Random(11);
  const values = new Float32Array(1000).map(() => (rng.next() - 0.5) * 100);
  const roundTripped = decodeFp16Array(encodeFp16(values));
  assert.deepEqual(roundTripped, roundToFp16(values));
  for (let i = 0; i < values.length; i++) assert.ok(Math.abs(roundTripped[i]! - values[i]!) <= Math.abs(values[i]!) * 2 ** -11);
});

test("bf16: known patterns, ties to even from fp32, FP32's range", () => {
  assert.equal(hex(bf16Bits(1)), "0x3F80");
  assert.equal(hex(bf16Bits(Math.PI)), "0x4049");
  assert.equal(hex(bf16Bits(-2)), "0xC000");
  assert.equal(bf16FromBits(0x4049), 3.140625);
  // fp32 0x3F808000 = 1 + 2^-8 is a tie: kept half 0x3F80 is even → stays; 0x3F818000 → up to 0x3F82.
  assert.equal(bf16Bits(fp32FromBits(0x3f808000)), 0x3f80);
  assert.equal(bf16Bits(fp32FromBits(0x3f818000)), 0x3f82);
  assert.equal(bf16Bits(fp32FromBits(0x3f808001)), 0x3f81);
  assert.equal(bf16Bits(fp32FromBits(0x3f807fff)), 0x3f80);
  // Rounding via fp32 (as PyTorch does) differs from one direct rounding on a false tie.
  assert.equal(toBf16(1 + 2 ** -8 + 2 ** -30), 1);
  // No overflow where fp16 overflows; the largest fp32 rounds past bf16's largest finite to Infinity.
  assert.equal(toBf16(1e5), 99840);
  assert.equal(bf16Bits(fp32FromBits(0x7f7fffff)), 0x7f80);
  assert.equal(bf16FromBits(0x7f7f), floatFormatInfo("bf16").maxFinite);
  assert.equal(bf16Bits(-Infinity), 0xff80);
  assert.ok(Number.isNaN(bf16FromBits(bf16Bits(NaN))));
  assert.equal(bf16Bits(NaN) & 0x7fc0, 0x7fc0);
  assert.ok(Object.is(toBf16(-0), -0));
  for (let bits = 0; bits < 0x10000; bits++) {
    const v = bf16FromBits(bits);
    if (!Number.isNaN(v) && bf16Bits(v) !== bits) assert.fail(`bf16 ${hex(bits)} does not round-trip`);
  }
});

test("bf16: random fp32 values round to the nearer of the two truncations (ties to even)", () => {
  const rng = new Random(5);
  for (let n = 0; n < 20000; n++) {
    const bits = rng.nextUint32() & 0x7f7fffff; // positive, finite
    const x = fp32FromBits(bits);
    const down = bits >>> 16;
    const a = bf16FromBits(down);
    // Past the largest finite value the next step up is 2^128, which encodes as Infinity.
    const b = down + 1 === 0x7f80 ? 2 ** 128 : bf16FromBits(down + 1);
    const da = x - a;
    const db = b - x;
    const expected = da < db ? down : da > db ? down + 1 : down % 2 === 0 ? down : down + 1;
    if (bf16Bits(x) !== expected) assert.fail(`bf16 of ${x} (${bits.toString(16)})`);
  }
  const values = Float32Array.of(1, Math.PI, -0.1, 123.456);
  assert.deepEqual(roundToBf16(values), Float32Array.from(values, (v) => toBf16(v)));
  assert.equal(encodeBf16(values)[1], 0x4049);
});

test("fp32: typed-array encoding and π", () => {
  assert.equal(fp32Bits(Math.PI), 0x40490fdb);
  assert.equal(fp32Bits(1), 0x3f800000);
  assert.equal(fp32FromBits(0x40490fdb), 3.1415927410125732);
  assert.equal(toFp32(Math.PI), 3.1415927410125732);
  assert.equal(fp32Bits(-Infinity), 0xff800000);
});

test("the seeds' π slide: fp32 and bf16 lines right, fp16 exponent and significand wrong", () => {
  assert.equal(toFp32(Math.PI), 3.1415927410125732);
  assert.equal(toFp16(Math.PI), 3.140625);
  assert.equal(toBf16(Math.PI), 3.140625);
  const [fp32, fp16, bf16] = piExample();
  assert.ok(fp32!.correct && bf16!.correct);
  assert.equal(fp32!.computed.formula, "(-1)^0 × 2^(128-127) × 1.5707963705062866 = 3.1415927410125732");
  assert.equal(bf16!.computed.formula, "(-1)^0 × 2^(128-127) × 1.5703125 = 3.140625");
  assert.equal(fp16!.correct, false);
  assert.equal(fp16!.computed.formula, "(-1)^0 × 2^(16-15) × 1.5703125 = 3.140625");
  assert.equal(fp16!.problems.length, 2);
  assert.match(fp16!.problems[0]!, /exposant : le support écrit 2\^\(128-127\) ; fp16 stocke 10000 = 16 avec un biais de 15/);
  assert.match(fp16!.problems[1]!, /mantisse : le support écrit 1.571 ; les bits de mantisse 1001001000 donnent 1.5703125/);
});

test("floatLayout: fields, kinds, errors", () => {
  const pi16 = floatLayout(Math.PI, "fp16");
  assert.equal(pi16.hex, "0x4248");
  assert.equal(pi16.binary, "0 10000 1001001000");
  assert.equal(pi16.storedExponent, 16);
  assert.equal(pi16.bias, 15);
  assert.equal(pi16.exponent, 1);
  assert.equal(pi16.mantissa, 584);
  assert.equal(pi16.significand, 1.5703125);
  assert.equal(pi16.kind, "normal");
  assert.equal(pi16.error, 3.140625 - Math.PI);
  assert.ok(Math.abs(pi16.relativeError - 3.08e-4) < 1e-6);
  const pi32 = floatLayout(Math.PI, "fp32");
  assert.equal(pi32.hex, "0x40490FDB");
  assert.equal(pi32.binary, "0 10000000 10010010000111111011011");
  const pi64 = floatLayout(Math.PI, "fp64");
  assert.equal(pi64.hex, "0x400921FB54442D18");
  assert.equal(pi64.error, 0);
  const tiny = floatLayout(2 ** -24, "fp16");
  assert.equal(tiny.kind, "subnormal");
  assert.equal(tiny.exponent, -14);
  assert.equal(tiny.significand, 2 ** -10);
  assert.equal(tiny.formula, `(-1)^0 × 2^(1-15) × ${2 ** -10} = ${2 ** -24}`);
  const big = floatLayout(70000, "fp16");
  assert.equal(big.kind, "infinity");
  assert.equal(big.value, Infinity);
  assert.equal(big.exponent, null);
  assert.equal(floatLayout(-0, "bf16").sign, 1);
  assert.equal(floatLayout(-0, "bf16").kind, "zero");
  assert.equal(floatLayout(NaN, "fp32").kind, "nan");
  assert.throws(() => floatLayout(1, "fp8" as never), /unknown float format "fp8"/);
});

test("format info: the seeds' table of bits, ranges and precisions", () => {
  const fp16 = floatFormatInfo("fp16");
  assert.deepEqual([fp16.exponentBits, fp16.mantissaBits, fp16.bias], [5, 10, 15]);
  assert.equal(fp16.maxFinite, 65504);
  assert.equal(fp16.minNormal, 2 ** -14);
  assert.equal(fp16.minSubnormal, 2 ** -24);
  assert.equal(floatFormatInfo("fp32").maxFinite, fp32FromBits(0x7f7fffff));
  assert.equal(floatFormatInfo("fp64").maxFinite, Number.MAX_VALUE);
  assert.equal(floatFormatInfo("fp64").minSubnormal, Number.MIN_VALUE);
  assert.equal(floatFormatInfo("bf16").epsilon, 2 ** -7);
  assert.deepEqual([floatFormatInfo("bf16").bias, floatFormatInfo("fp64").bias], [127, 1023]);
});
