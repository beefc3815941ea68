/**
 * How far dequantized values are from the originals: the worst error, the mean squared error and the
 * signal-to-noise ratio in decibels, SNR = 10 log10(Σx² / Σ(x − x̂)²). Each bit of a uniform quantizer
 * buys about 6 dB: int8 absmax on Gaussian-like weights gives about 40 dB, int4 15 to 20 dB.
 */
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Error of a reconstruction. */
export interface QuantizationError {
  readonly count: number;
  readonly maxAbsError: number;
  readonly meanAbsError: number;
  /** Mean of (x − x̂)². */
  readonly mse: number;
  readonly rmse: number;
  /** Mean of x²: the signal's power, kept so errors of several tensors can be combined. */
  readonly signalPower: number;
  /** 10 log10(signalPower / mse): Infinity for an exact copy, −Infinity for an all-zero signal reconstructed with error. */
  readonly snrDb: number;
}

const snr = (signalPower: number, mse: number): number =>
  mse === 0 ? Infinity : signalPower === 0 ? -Infinity : 10 * Math.log10(signalPower / mse);

/** Error metrics of `reconstructed` against `original` (same length, finite). */
export const quantizationError = offLimitsDuringChecks("quantizationError", function quantizationError(original: ArrayLike<number>, reconstructed: ArrayLike<number>): QuantizationError {
  if (original === null || typeof original !== "object" || reconstructed === null || typeof reconstructed !== "object") {
    throw new TypeError("quantizationError: expected two arrays of numbers");
  }
  if (original.length !== reconstructed.length) {
    throw new RangeError(`quantizationError: ${original.length} original values but ${reconstructed.length} reconstructed`);
  }
  if (original.length === 0) throw new RangeError("quantizationError: the arrays are empty");
  let maxAbs = 0;
  let sumAbs = 0;
  let sumSq = 0;
  let sumSignal = 0;
  for (let i = 0; i < original.length; i++) {
    const x = original[i]!;
    const y = reconstructed[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`quantizationError: value ${i} is ${x} → ${y}; expected finite numbers`);
    const e = Math.abs(x - y);
    if (e > maxAbs) maxAbs = e;
    sumAbs += e;
    sumSq += e * e;
    sumSignal += x * x;
  }
  const n = original.length;
  const mse = sumSq / n;
  return { count: n, maxAbsError: maxAbs, meanAbsError: sumAbs / n, mse, rmse: Math.sqrt(mse), signalPower: sumSignal / n, snrDb: snr(sumSignal / n, mse) };
});

/** The error of several tensors taken as one (count-weighted means, worst maximum). */
export function combineErrors(parts: readonly QuantizationError[]): QuantizationError {
  if (parts.length === 0) throw new RangeError("combineErrors: nothing to combine");
  let count = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  let sumSq = 0;
  let sumSignal = 0;
  for (const p of parts) {
    count += p.count;
    maxAbs = Math.max(maxAbs, p.maxAbsError);
    sumAbs += p.meanAbsError * p.count;
    sumSq += p.mse * p.count;
    sumSignal += p.signalPower * p.count;
  }
  const mse = sumSq / count;
  return { count, maxAbsError: maxAbs, meanAbsError: sumAbs / count, mse, rmse: Math.sqrt(mse), signalPower: sumSignal / count, snrDb: snr(sumSignal / count, mse) };
}
