/**
 * Quantizing a whole model's weights: each parameter array is quantized with the scheme, then
 * dequantized back to fp32, so the unchanged model code can run on the degraded weights and its
 * perplexity be measured ("simulated" or "fake" quantization: the quality of int4 storage, not its speed).
 * The report adds up the bytes each tensor would take, scales and zero points included.
 *
 * Works on any model's arrays: the lesson reads its model's variables into `{ values, shape }` records
 * and writes the dequantized arrays back.
 */
import { roundToBf16 } from "./bfloat16";
import { combineErrors, quantizationError, QuantizationError } from "./errorMetrics";
import { roundToFp16 } from "./float16";
import { checkShape, dequantizeTensor, QuantizedTensor, quantizeTensor } from "./quantizeTensor";
import { checkScheme, describeScheme, QuantizationScheme } from "./scheme";
import { quantizedBytes } from "./storage";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** A parameter array with its shape (row-major, rows = last dimension). */
export interface ShapedWeights {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

/** Options of {@link quantizeWeights}. */
export interface QuantizeWeightsOptions {
  /**
   * Which tensors stay in fp32. Default: tensors declared with fewer than 2 dimensions (biases, LayerNorm
   * gains and offsets), as libraries do: they are tiny and a small error in them shifts every activation.
   * A bare Float32Array counts as one row [1, n] and is quantized.
   */
  readonly keepFloat?: (name: string, shape: readonly number[]) => boolean;
}

/** How one tensor is stored. */
export type StoredWeights =
  | { readonly kind: "integer"; readonly tensor: QuantizedTensor }
  | { readonly kind: "float"; readonly format: "fp32" | "fp16" | "bf16" }
  | { readonly kind: "kept" };

/** One tensor's line of the size report. */
export interface WeightReport {
  readonly name: string;
  readonly shape: readonly number[];
  readonly count: number;
  /** True when the tensor stayed in fp32 because of `keepFloat`. */
  readonly kept: boolean;
  readonly bytes: number;
  readonly fp32Bytes: number;
  readonly error: QuantizationError;
}

/** Totals over the model. */
export interface WeightsReport {
  readonly scheme: QuantizationScheme;
  readonly label: string;
  readonly tensors: readonly WeightReport[];
  readonly params: number;
  /** Parameters actually quantized (not kept in fp32). */
  readonly quantizedParams: number;
  readonly fp32Bytes: number;
  readonly bytes: number;
  /** fp32Bytes / bytes. */
  readonly compression: number;
  /** bytes × 8 / params. */
  readonly bitsPerParam: number;
  /** Error over all parameters together (kept ones count with error 0). */
  readonly error: QuantizationError;
}

/** The quantized model: storage per tensor, dequantized arrays to run with, and the report. */
export interface QuantizedWeights {
  readonly stored: Readonly<Record<string, StoredWeights>>;
  readonly dequantized: Readonly<Record<string, Float32Array>>;
  readonly report: WeightsReport;
}

function asShaped(name: string, entry: Float32Array | ShapedWeights): { values: Float32Array; shape: readonly number[]; declared: boolean } {
  if (entry instanceof Float32Array) return { values: entry, shape: [1, entry.length], declared: false };
  if (entry === null || typeof entry !== "object" || !(entry.values instanceof Float32Array)) {
    throw new TypeError(`quantizeWeights: parameter ${JSON.stringify(name)} must be a Float32Array or { values: Float32Array, shape }`);
  }
  checkShape(entry.shape, entry.values.length, `quantizeWeights: parameter ${JSON.stringify(name)}`);
  return { values: entry.values, shape: entry.shape, declared: true };
}

const defaultKeepFloat = (_name: string, shape: readonly number[]): boolean => shape.length < 2;

/**
 * Every parameter stored with `scheme` and decoded back. Inputs are not modified.
 * `quantizeWeights({ "h0.attn.wq": { values, shape: [64, 64] } }, { method: "absmax", bits: 8, granularity: "row" })`.
 */
export const quantizeWeights = offLimitsDuringChecks("quantizeWeights", function quantizeWeights(
  params: Readonly<Record<string, Float32Array | ShapedWeights>>,
  scheme: QuantizationScheme,
  options: QuantizeWeightsOptions = {},
): QuantizedWeights {
  checkScheme(scheme, "quantizeWeights");
  if (params === null || typeof params !== "object") throw new TypeError("quantizeWeights: expected a record of parameter arrays");
  const names = Object.keys(params);
  if (names.length === 0) throw new RangeError("quantizeWeights: no parameters given");
  const keepFloat = options.keepFloat ?? defaultKeepFloat;
  const stored: Record<string, StoredWeights> = {};
  const dequantized: Record<string, Float32Array> = {};
  const tensors: WeightReport[] = [];
  for (const name of names) {
    const { values, shape, declared } = asShaped(name, params[name]!);
    if (values.length === 0) throw new RangeError(`quantizeWeights: parameter ${JSON.stringify(name)} is empty`);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new RangeError(`quantizeWeights: parameter ${JSON.stringify(name)} value ${i} is ${values[i]}`);
    }
    const keep = declared && keepFloat(name, shape);
    let entry: StoredWeights;
    let decoded: Float32Array;
    let bytes: number;
    if (keep || (scheme.method === "float" && scheme.format === "fp32")) {
      entry = keep ? { kind: "kept" } : { kind: "float", format: "fp32" };
      decoded = Float32Array.from(values);
      bytes = values.length * 4;
    } else if (scheme.method === "float") {
      entry = { kind: "float", format: scheme.format };
      decoded = scheme.format === "fp16" ? roundToFp16(values) : roundToBf16(values);
      bytes = values.length * 2;
    } else {
      let tensor: QuantizedTensor;
      try {
        tensor = quantizeTensor(values, scheme, shape);
      } catch (error) {
        throw new RangeError(`quantizeWeights: parameter ${JSON.stringify(name)}: ${(error as Error).message}`);
      }
      entry = { kind: "integer", tensor };
      decoded = dequantizeTensor(tensor);
      bytes = quantizedBytes(tensor).totalBytes;
    }
    stored[name] = entry;
    dequantized[name] = decoded;
    tensors.push({ name, shape: [...shape], count: values.length, kept: keep, bytes, fp32Bytes: values.length * 4, error: quantizationError(values, decoded) });
  }
  const totalParams = tensors.reduce((s, t) => s + t.count, 0);
  const bytes = tensors.reduce((s, t) => s + t.bytes, 0);
  const fp32Bytes = totalParams * 4;
  const report: WeightsReport = {
    scheme,
    label: describeScheme(scheme),
    tensors,
    params: totalParams,
    quantizedParams: tensors.filter((t) => !t.kept).reduce((s, t) => s + t.count, 0),
    fp32Bytes,
    bytes,
    compression: fp32Bytes / bytes,
    bitsPerParam: (bytes * 8) / totalParams,
    error: combineErrors(tensors.map((t) => t.error)),
  };
  return { stored, dequantized, report };
});
