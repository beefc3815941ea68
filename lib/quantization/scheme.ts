/**
 * How a tensor is quantized: an integer scheme (absmax or zero-point, b bits, one scale per tensor, per
 * row or per group of g consecutive values in a row) or a float format (fp16/bf16 round trip), plus a
 * label for tables.
 */
import { checkBitWidth } from "./affine";

/**
 * Which values share one scale (and zero point), on a row-major tensor whose rows are its last dimension:
 * the whole tensor, each row, each column (all rows' entry c), or each run of `groupSize` consecutive
 * values inside a row.
 */
export type Granularity = "tensor" | "row" | "column" | { readonly groupSize: number };

/** Integer quantization: absmax (symmetric, zero point 0) or zero-point (asymmetric). */
export interface IntegerScheme {
  readonly method: "absmax" | "zero-point";
  /** Bits per code, 2…8 (8: int8, 4: int4). */
  readonly bits: number;
  /** Default "tensor". */
  readonly granularity?: Granularity;
  /**
   * How scales are stored (default "fp32"). With "fp16", as llama.cpp and GPTQ store them, each scale is
   * rounded to fp16 before quantizing, so the codes match the stored scale.
   */
  readonly scaleDtype?: "fp32" | "fp16";
}

/** Storing the weights in a narrower float format: quantization by rounding the mantissa. */
export interface FloatScheme {
  readonly method: "float";
  readonly format: "fp32" | "fp16" | "bf16";
}

/** Any way of storing weights that this module measures. */
export type QuantizationScheme = IntegerScheme | FloatScheme;

/** Throws with a clear message when a scheme is malformed. */
export function checkScheme(scheme: QuantizationScheme, where: string): void {
  if (scheme === null || typeof scheme !== "object") throw new TypeError(`${where}: expected a quantization scheme object`);
  if (scheme.method === "float") {
    if (!["fp32", "fp16", "bf16"].includes(scheme.format)) throw new RangeError(`${where}: float format must be fp32, fp16 or bf16, got ${JSON.stringify(scheme.format)}`);
    return;
  }
  if (scheme.method !== "absmax" && scheme.method !== "zero-point") {
    throw new RangeError(`${where}: method must be "absmax", "zero-point" or "float", got ${JSON.stringify((scheme as { method?: unknown }).method)}`);
  }
  checkBitWidth(scheme.bits, where);
  const g = scheme.granularity ?? "tensor";
  if (typeof g === "object") {
    if (g === null || !Number.isInteger(g.groupSize) || g.groupSize < 1) {
      throw new RangeError(`${where}: groupSize must be an integer ≥ 1, got ${g === null ? null : g.groupSize}`);
    }
  } else if (g !== "tensor" && g !== "row" && g !== "column") {
    throw new RangeError(`${where}: granularity must be "tensor", "row", "column" or { groupSize }, got ${JSON.stringify(g)}`);
  }
  const s = scheme.scaleDtype ?? "fp32";
  if (s !== "fp32" && s !== "fp16") throw new RangeError(`${where}: scaleDtype must be "fp32" or "fp16", got ${JSON.stringify(s)}`);
}

/** Granularities as the notebooks' (French) tables name them. */
const GRANULARITY_NAMES = { tensor: "par tenseur", row: "par ligne", column: "par colonne" } as const;

/** A short name for the notebooks' tables, in French: "int8 absmax par tenseur", "int4 absmax g=32 (échelles fp16)", "bf16". */
export function describeScheme(scheme: QuantizationScheme): string {
  checkScheme(scheme, "describeScheme");
  if (scheme.method === "float") return scheme.format;
  const g = scheme.granularity ?? "tensor";
  const where = typeof g === "object" ? `g=${g.groupSize}` : GRANULARITY_NAMES[g];
  const scales = (scheme.scaleDtype ?? "fp32") === "fp16" ? " (échelles fp16)" : "";
  return `int${scheme.bits} ${scheme.method} ${where}${scales}`;
}

/** The schemes of the notebook's quality / size / speed table, from fp32 down to group-wise int4. */
export const STANDARD_SCHEMES: readonly QuantizationScheme[] = [
  { method: "float", format: "fp32" },
  { method: "float", format: "fp16" },
  { method: "float", format: "bf16" },
  { method: "absmax", bits: 8, granularity: "tensor" },
  { method: "zero-point", bits: 8, granularity: "tensor" },
  { method: "absmax", bits: 8, granularity: "row" },
  { method: "absmax", bits: 4, granularity: "tensor" },
  { method: "absmax", bits: 4, granularity: { groupSize: 32 }, scaleDtype: "fp16" },
];
