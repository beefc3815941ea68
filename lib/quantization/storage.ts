/**
 * What a quantized tensor costs to store: the codes (b bits each, packed), plus one scale per group
 * (fp32 or fp16) and, for zero-point quantization, one b-bit zero point per group. Group-wise int4 with
 * fp16 scales and g = 32 costs 4 + 16/32 = 4.5 bits per weight, as llama.cpp's Q4_0 does.
 */
import type { QuantizedTensor } from "./quantizeTensor";

/** Bytes of a quantized tensor, by part. */
export interface StorageReport {
  readonly count: number;
  readonly valueBytes: number;
  readonly scaleBytes: number;
  readonly zeroPointBytes: number;
  readonly totalBytes: number;
  /** totalBytes × 8 / count: 8.x for int8, 4.x for int4, the fraction being the scales' share. */
  readonly bitsPerValue: number;
  /** The same tensor in fp32. */
  readonly fp32Bytes: number;
  /** fp32Bytes / totalBytes. */
  readonly compression: number;
}

/** Storage of a quantized tensor, scales and zero points included. */
export function quantizedBytes(tensor: QuantizedTensor): StorageReport {
  const count = tensor.values.length;
  const groups = tensor.scales.length;
  const valueBytes = Math.ceil((count * tensor.bits) / 8);
  const scaleBytes = groups * (tensor.scaleDtype === "fp16" ? 2 : 4);
  const zeroPointBytes = tensor.zeroPoints === null ? 0 : Math.ceil((groups * tensor.bits) / 8);
  const totalBytes = valueBytes + scaleBytes + zeroPointBytes;
  return {
    count,
    valueBytes,
    scaleBytes,
    zeroPointBytes,
    totalBytes,
    bitsPerValue: (totalBytes * 8) / count,
    fp32Bytes: count * 4,
    compression: (count * 4) / totalBytes,
  };
}
