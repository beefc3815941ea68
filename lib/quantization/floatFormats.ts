/**
 * The binary floating-point formats of deep learning, as fields of bits: a sign, an exponent stored with
 * a bias (the stored field minus the bias is the power of two) and a mantissa holding the bits after the
 * leading "1." of the significand. The seeds' table: FP16 1/5/10, FP32 1/8/23, FP64 1/11/52, plus
 * bfloat16 1/8/7 (FP32's exponent range with a much shorter mantissa).
 */

/** Names of the floating-point formats the course encodes. */
export type FloatFormatName = "fp64" | "fp32" | "fp16" | "bf16";

/** The bit fields of a floating-point format. */
export interface FloatFormatSpec {
  readonly name: FloatFormatName;
  /** Total width in bits. */
  readonly bits: number;
  readonly exponentBits: number;
  readonly mantissaBits: number;
  /** Stored exponent minus bias = the power of two: 2^(exponentBits − 1) − 1. */
  readonly bias: number;
}

const spec = (name: FloatFormatName, exponentBits: number, mantissaBits: number): FloatFormatSpec => ({
  name,
  bits: 1 + exponentBits + mantissaBits,
  exponentBits,
  mantissaBits,
  bias: 2 ** (exponentBits - 1) - 1,
});

/** The four formats' fields: fp64 bias 1023, fp32 bias 127, fp16 bias 15, bf16 bias 127. */
export const FLOAT_FORMATS: Readonly<Record<FloatFormatName, FloatFormatSpec>> = {
  fp64: spec("fp64", 11, 52),
  fp32: spec("fp32", 8, 23),
  fp16: spec("fp16", 5, 10),
  bf16: spec("bf16", 8, 7),
};

/** A format's reach and precision, derived from its fields. */
export interface FloatFormatInfo extends FloatFormatSpec {
  /** Largest finite value: (2 − 2^−mantissaBits) × 2^bias (fp16: 65504). */
  readonly maxFinite: number;
  /** Smallest positive normal value: 2^(1 − bias) (fp16: 2^−14 ≈ 6.1e−5). */
  readonly minNormal: number;
  /** Smallest positive subnormal value: 2^(1 − bias − mantissaBits) (fp16: 2^−24 ≈ 6.0e−8). */
  readonly minSubnormal: number;
  /** Gap between 1 and the next value: 2^−mantissaBits (fp16: 2^−10 ≈ 0.00098, bf16: 2^−7 ≈ 0.0078). */
  readonly epsilon: number;
  /** Significant decimal digits the mantissa carries: (mantissaBits + 1) × log10(2) (fp32 ≈ 7.2, fp16 ≈ 3.3, bf16 ≈ 2.4). */
  readonly decimalDigits: number;
}

/** Range and precision of a format, for the notebook's comparison table. */
export function floatFormatInfo(format: FloatFormatName): FloatFormatInfo {
  const f = formatSpec(format);
  return {
    ...f,
    maxFinite: (2 - 2 ** -f.mantissaBits) * 2 ** f.bias,
    minNormal: 2 ** (1 - f.bias),
    minSubnormal: 2 ** (1 - f.bias - f.mantissaBits),
    epsilon: 2 ** -f.mantissaBits,
    decimalDigits: (f.mantissaBits + 1) * Math.log10(2),
  };
}

/** The spec of a format name, with an error naming the valid ones. */
export function formatSpec(format: FloatFormatName): FloatFormatSpec {
  const f = (FLOAT_FORMATS as Record<string, FloatFormatSpec | undefined>)[format];
  if (f === undefined) throw new RangeError(`unknown float format ${JSON.stringify(format)}; expected one of ${Object.keys(FLOAT_FORMATS).join(", ")}`);
  return f;
}
