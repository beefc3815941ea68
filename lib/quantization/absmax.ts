/**
 * Absmax (symmetric) quantization: scale = max|x| / qmax, q = round(x / scale), so the largest magnitude
 * lands on ±qmax (±127 in int8, ±7 in int4) and 0 stays exactly 0. Simple and fast, but one large value
 * stretches the scale for every other value sharing it (see the outlier test and group-wise scales).
 * Example: [−1.2, 0.5, 3.1] → scale 3.1/127, q = [−49, 20, 127].
 */
import { checkFinite, checkValues, dequantizeValue, quantizeValue, symmetricRange } from "./affine";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** The absmax scale of a group whose largest magnitude is `maxAbs`: maxAbs / qmax (0 for an all-zero group). */
export const absmaxScaleOf = offLimitsDuringChecks("absmaxScaleOf", function absmaxScaleOf(maxAbs: number, bits = 8): number {
  return maxAbs / symmetricRange(bits).qmax;
});

/** max|x| / qmax over values[start, end); 0 when they are all zero. */
export const absmaxScale = offLimitsDuringChecks("absmaxScale", function absmaxScale(values: ArrayLike<number>, bits = 8, start = 0, end = values.length): number {
  checkFinite(values, start, end, "absmaxScale");
  let max = 0;
  for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]!));
  return absmaxScaleOf(max, bits);
});

/** Codes and scale of a whole array quantized with one absmax scale. */
export interface AbsmaxQuantized {
  readonly values: Int8Array;
  readonly scale: number;
  readonly bits: number;
}

/** The whole array with one absmax scale (per tensor). */
export const absmaxQuantize = offLimitsDuringChecks("absmaxQuantize", function absmaxQuantize(values: ArrayLike<number>, bits = 8): AbsmaxQuantized {
  checkValues(values, "absmaxQuantize");
  const range = symmetricRange(bits);
  const scale = absmaxScale(values, bits);
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = quantizeValue(values[i]!, scale, 0, range);
  return { values: q, scale, bits };
});

/** x̂ = q × scale. */
export const absmaxDequantize = offLimitsDuringChecks("absmaxDequantize", function absmaxDequantize(codes: ArrayLike<number>, scale: number): Float32Array {
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = dequantizeValue(codes[i]!, scale, 0);
  return out;
});
