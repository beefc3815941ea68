/**
 * A value's bits laid out field by field, with the formula the seeds write under each format
 * ((−1)^sign × 2^(stored exponent − bias) × significand), for the notebook's table of encodings.
 */
import { bf16Bits, bf16FromBits } from "./bfloat16";
import { fp16Bits, fp16FromBits } from "./float16";
import { checkNumber, fp32Bits, fp32FromBits } from "./float32";
import { FloatFormatName, formatSpec } from "./floatFormats";

/** What a bit pattern encodes. */
export type FloatKind = "zero" | "subnormal" | "normal" | "infinity" | "nan";

/** One value encoded in one format, field by field. */
export interface FloatLayout {
  readonly format: FloatFormatName;
  /** The number that was encoded. */
  readonly input: number;
  /** The whole pattern in hexadecimal, e.g. "0x4248". */
  readonly hex: string;
  /** The whole pattern in binary, fields separated by spaces: "0 10000 1001001000". */
  readonly binary: string;
  readonly sign: 0 | 1;
  /** The stored exponent field, as bits ("10000") and as an integer (16). */
  readonly exponentField: string;
  readonly storedExponent: number;
  readonly bias: number;
  /** The power of two: stored exponent − bias for normals, 1 − bias for zeros and subnormals, null for ±Infinity and NaN. */
  readonly exponent: number | null;
  /** The mantissa field, as bits ("1001001000") and as an integer (584). */
  readonly mantissaField: string;
  readonly mantissa: number;
  /** 1 + mantissa / 2^mantissaBits for normals, mantissa / 2^mantissaBits for subnormals (1.5703125 for fp16(π)); null for ±Infinity and NaN. */
  readonly significand: number | null;
  readonly kind: FloatKind;
  /** The value the pattern stands for. */
  readonly value: number;
  /** value − input: the rounding error. */
  readonly error: number;
  /** |error| / |input| (0 when both are 0, NaN for non-finite inputs). */
  readonly relativeError: number;
  /** The seeds' notation: "(-1)^0 × 2^(16-15) × 1.5703125 = 3.140625". */
  readonly formula: string;
}

const scratch = new DataView(new ArrayBuffer(8));

function binaryPattern(x: number, format: FloatFormatName): { binary: string; value: number } {
  switch (format) {
    case "fp64":
      scratch.setFloat64(0, x);
      return {
        binary: scratch.getUint32(0).toString(2).padStart(32, "0") + scratch.getUint32(4).toString(2).padStart(32, "0"),
        value: x,
      };
    case "fp32": {
      const bits = fp32Bits(x);
      return { binary: bits.toString(2).padStart(32, "0"), value: fp32FromBits(bits) };
    }
    case "fp16": {
      const bits = fp16Bits(x);
      return { binary: bits.toString(2).padStart(16, "0"), value: fp16FromBits(bits) };
    }
    case "bf16": {
      const bits = bf16Bits(x);
      return { binary: bits.toString(2).padStart(16, "0"), value: bf16FromBits(bits) };
    }
  }
}

/**
 * `value` encoded in `format`, split into sign, exponent and mantissa, with the decoded value and the
 * rounding error. `floatLayout(Math.PI, "fp16")`: 0x4248 = 0 10000 1001001000, (−1)^0 × 2^(16−15) ×
 * 1.5703125 = 3.140625, error ≈ −9.7e−4.
 */
export function floatLayout(value: number, format: FloatFormatName): FloatLayout {
  checkNumber(value, "floatLayout");
  const spec = formatSpec(format);
  const { binary, value: decoded } = binaryPattern(value, format);
  const exponentField = binary.slice(1, 1 + spec.exponentBits);
  const mantissaField = binary.slice(1 + spec.exponentBits);
  const sign = binary[0] === "1" ? 1 : 0;
  const storedExponent = parseInt(exponentField, 2);
  // At most 52 bits: parseInt is exact below 2^53.
  const mantissa = parseInt(mantissaField, 2);
  const allOnes = 2 ** spec.exponentBits - 1;
  const kind: FloatKind =
    storedExponent === allOnes ? (mantissa === 0 ? "infinity" : "nan") : storedExponent === 0 ? (mantissa === 0 ? "zero" : "subnormal") : "normal";
  const fraction = mantissa / 2 ** spec.mantissaBits;
  const exponent = kind === "normal" ? storedExponent - spec.bias : kind === "infinity" || kind === "nan" ? null : 1 - spec.bias;
  const significand = kind === "normal" ? 1 + fraction : exponent === null ? null : fraction;
  const error = decoded - value;
  const relativeError = Number.isFinite(value) ? (value === 0 ? Math.abs(error) : Math.abs(error / value)) : NaN;
  const formula =
    exponent === null || significand === null
      ? `${kind === "nan" ? "NaN" : sign ? "-Infinity" : "Infinity"} (exponent field all ones)`
      : kind === "normal"
        ? `(-1)^${sign} × 2^(${storedExponent}-${spec.bias}) × ${significand} = ${decoded}`
        : `(-1)^${sign} × 2^(1-${spec.bias}) × ${significand} = ${decoded}`;
  let hex = "0x";
  for (let i = 0; i < binary.length; i += 4) hex += parseInt(binary.slice(i, i + 4), 2).toString(16).toUpperCase();
  return {
    format,
    input: value,
    hex,
    binary: `${binary[0]} ${exponentField} ${mantissaField}`,
    sign,
    exponentField,
    storedExponent,
    bias: spec.bias,
    exponent,
    mantissaField,
    mantissa,
    significand,
    kind,
    value: decoded,
    error,
    relativeError,
    formula,
  };
}
