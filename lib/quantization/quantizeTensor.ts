/**
 * Quantizing a whole tensor with one scale per tensor, per row, per column or per group. The tensor is
 * row-major with rows along its last dimension; a group is a run of g consecutive values inside a row
 * (group-wise, as GPTQ and llama.cpp's Q4_0 do with g = 32…128). Smaller groups mean more scales to store
 * but less damage from each outlier.
 *
 * Which axis to use depends on the layout: a PyTorch Linear weight is [out, in], so "row" is per output
 * channel and groups run along the inputs, as in GPTQ. A tfjs Dense kernel is [in, out]: there "column"
 * is per output channel (what the course's ONNX q8 export uses), and group-wise along the inputs needs
 * the transposed kernel.
 */
import { asymmetricRange, checkFinite, checkValues, dequantizeValue, quantizeValue, symmetricRange } from "./affine";
import { absmaxScaleOf } from "./absmax";
import { toFp16 } from "./float16";
import { checkScheme, Granularity, IntegerScheme } from "./scheme";
import { zeroPointFor, zeroPointParamsOf } from "./zeroPoint";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** A quantized tensor: one code per value, one scale (and zero point) per group. */
export interface QuantizedTensor {
  readonly method: "absmax" | "zero-point";
  readonly bits: number;
  readonly shape: readonly number[];
  readonly granularity: Granularity;
  /** Values per scale: the tensor's size, the row length, the number of rows (per column) or the group size. */
  readonly groupSize: number;
  /** One code per value, unpacked (see packInt4 for two per byte). */
  readonly values: Int8Array;
  /** One scale per group (per column: indexed by column); fp16-representable when scaleDtype is "fp16". */
  readonly scales: Float32Array;
  /** One zero point per group for zero-point quantization, null for absmax. */
  readonly zeroPoints: Int8Array | null;
  readonly scaleDtype: "fp32" | "fp16";
}

/** Throws unless `shape` lists positive integers whose product is `length`. */
export function checkShape(shape: readonly number[], length: number, where: string): void {
  if (!Array.isArray(shape) || shape.length === 0) throw new TypeError(`${where}: shape must be a non-empty array of dimensions`);
  let count = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`${where}: every dimension must be an integer ≥ 1, got shape [${shape.join(", ")}]`);
    count *= d;
  }
  if (count !== length) throw new RangeError(`${where}: shape [${shape.join(", ")}] holds ${count} values but the array has ${length}`);
}

/** Values per scale for a granularity on a shape, with an error when a group size does not divide the rows. */
export function groupSizeOf(shape: readonly number[], granularity: Granularity): number {
  const size = shape.reduce((a, b) => a * b, 1);
  const rowLength = shape[shape.length - 1]!;
  if (granularity === "tensor") return size;
  if (granularity === "row") return rowLength;
  if (granularity === "column") return size / rowLength;
  const g = granularity.groupSize;
  if (!Number.isInteger(g) || g < 1) throw new RangeError(`group size must be an integer ≥ 1, got ${g}`);
  if (rowLength % g !== 0) throw new RangeError(`group size ${g} does not divide the row length ${rowLength} (shape [${shape.join(", ")}])`);
  return g;
}

/** The group of each value: columns interleave, every other granularity is runs of consecutive values. */
function groupIndexer(tensor: { readonly granularity: Granularity; readonly groupSize: number; readonly shape: readonly number[] }): (i: number) => number {
  if (tensor.granularity === "column") {
    const columns = tensor.shape[tensor.shape.length - 1]!;
    return (i) => i % columns;
  }
  const g = tensor.groupSize;
  return (i) => Math.floor(i / g);
}

/**
 * `values` (row-major, `shape` default [length]) quantized with `scheme`.
 * `quantizeTensor(w, { method: "absmax", bits: 4, granularity: { groupSize: 32 } }, [rows, cols])`.
 */
export const quantizeTensor = offLimitsDuringChecks("quantizeTensor", function quantizeTensor(values: ArrayLike<number>, scheme: IntegerScheme, shape: readonly number[] = [values.length]): QuantizedTensor {
  const where = "quantizeTensor";
  checkValues(values, where);
  checkScheme(scheme, where);
  if ((scheme as { method: string }).method === "float") throw new RangeError(`${where}: float schemes round values, use roundToFp16 / roundToBf16 or quantizeWeights`);
  checkShape(shape, values.length, where);
  checkFinite(values, 0, values.length, where);
  const granularity = scheme.granularity ?? "tensor";
  const scaleDtype = scheme.scaleDtype ?? "fp32";
  const groupSize = groupSizeOf(shape, granularity);
  const groups = values.length / groupSize;
  const groupOf = groupIndexer({ granularity, groupSize, shape });
  const symmetric = scheme.method === "absmax";
  const range = symmetric ? symmetricRange(scheme.bits) : asymmetricRange(scheme.bits);

  // The range of each group; starting at 0 widens it to contain 0, which zero-point quantization needs.
  const min = new Float64Array(groups);
  const max = new Float64Array(groups);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf(i);
    const x = values[i]!;
    if (x < min[g]!) min[g] = x;
    if (x > max[g]!) max[g] = x;
  }
  const scales = new Float32Array(groups);
  const zeroPoints = symmetric ? null : new Int8Array(groups);
  for (let g = 0; g < groups; g++) {
    const exact = symmetric ? absmaxScaleOf(Math.max(-min[g]!, max[g]!), scheme.bits) : zeroPointParamsOf(min[g]!, max[g]!, scheme.bits).scale;
    // Quantize with the scale as stored (fp32 or fp16), so that decoding reproduces exactly these codes' values.
    const scale = scaleDtype === "fp16" ? toFp16(exact) : Math.fround(exact);
    if (scale === Infinity) throw new RangeError(`${where}: group ${g}'s scale ${exact} overflows fp16 (largest 65504); store scales in fp32`);
    scales[g] = scale;
    if (zeroPoints !== null) zeroPoints[g] = zeroPointFor(min[g]!, scale, range);
  }
  const codes = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf(i);
    codes[i] = quantizeValue(values[i]!, scales[g]!, zeroPoints === null ? 0 : zeroPoints[g]!, range);
  }
  return { method: scheme.method, bits: scheme.bits, shape: [...shape], granularity, groupSize, values: codes, scales, zeroPoints, scaleDtype };
});

/** x̂ = (q − zeroPoint) × scale, value by value: what a model computes with after quantization. */
export const dequantizeTensor = offLimitsDuringChecks("dequantizeTensor", function dequantizeTensor(tensor: QuantizedTensor): Float32Array {
  const { values, scales, zeroPoints, groupSize } = tensor;
  if (values.length !== scales.length * groupSize || (zeroPoints !== null && zeroPoints.length !== scales.length)) {
    throw new RangeError(`dequantizeTensor: ${values.length} codes, ${scales.length} scales and groups of ${groupSize} do not fit together`);
  }
  const groupOf = groupIndexer(tensor);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf(i);
    out[i] = dequantizeValue(values[i]!, scales[g]!, zeroPoints === null ? 0 : zeroPoints[g]!);
  }
  return out;
});
