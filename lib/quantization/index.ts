/**
 * Quantization: the FP32 / FP16 / BF16 bit layouts (with the seeds' π slide checked), model memory
 * (parameters × bytes, the seeds' Llama-2 table recomputed), absmax and zero-point integer quantization
 * per tensor, per row or per group, int4 packing, error metrics and storage sizes, and whole-model weight
 * quantization for perplexity measurements.
 * `import { floatLayout, quantizeTensor, quantizeWeights } from "@llm-course/lib/quantization";`
 */
export { FLOAT_FORMATS, floatFormatInfo, formatSpec } from "./floatFormats";
export type { FloatFormatInfo, FloatFormatName, FloatFormatSpec } from "./floatFormats";
export { fp32Bits, fp32FromBits, toFp32 } from "./float32";
export { decodeFp16Array, encodeFp16, fp16Bits, fp16FromBits, roundToFp16, toFp16 } from "./float16";
export { bf16Bits, bf16FromBits, decodeBf16Array, encodeBf16, roundToBf16, toBf16 } from "./bfloat16";
export { floatLayout } from "./floatLayout";
export type { FloatKind, FloatLayout } from "./floatLayout";
export { agreesToPrintedDigits, piExample, SEEDS_PI_SLIDE } from "./seedsPi";
export type { PiCheck, PiSlideLine } from "./seedsPi";
export { BYTES_PER_PARAM, bytesPerParam, GB, GIB, modelMemory, tensorBytes, trainingMemory } from "./memory";
export type { MemoryEstimate, TrainingMemory, TrainingRecipe, WeightDtype } from "./memory";
export { gptqCheckpointBytes, LLAMA2_CONFIGS, llama2MemoryTable, llamaBlockLinears, llamaParameterCount, SEEDS_LLAMA2_TABLE } from "./llama2";
export type { GptqCheckpointBytes, Llama2MemoryRow, LinearShape, LlamaConfig, LlamaParameterCount } from "./llama2";
export { clamp, roundHalfEven } from "./rounding";
export { asymmetricRange, dequantizeValue, quantizeValue, symmetricRange } from "./affine";
export type { LevelRange } from "./affine";
export { absmaxDequantize, absmaxQuantize, absmaxScale, absmaxScaleOf } from "./absmax";
export type { AbsmaxQuantized } from "./absmax";
export { zeroPointDequantize, zeroPointFor, zeroPointParams, zeroPointParamsOf, zeroPointQuantize } from "./zeroPoint";
export type { ZeroPointParams, ZeroPointQuantized } from "./zeroPoint";
export { checkScheme, describeScheme, STANDARD_SCHEMES } from "./scheme";
export type { FloatScheme, Granularity, IntegerScheme, QuantizationScheme } from "./scheme";
export { dequantizeTensor, groupSizeOf, quantizeTensor } from "./quantizeTensor";
export type { QuantizedTensor } from "./quantizeTensor";
export { packInt4, unpackInt4 } from "./int4Packing";
export { combineErrors, quantizationError } from "./errorMetrics";
export type { QuantizationError } from "./errorMetrics";
export { quantizedBytes } from "./storage";
export type { StorageReport } from "./storage";
export { quantizeWeights } from "./weights";
export type { QuantizedWeights, QuantizeWeightsOptions, ShapedWeights, StoredWeights, WeightReport, WeightsReport } from "./weights";
