/**
 * How much memory a model's weights take: parameters × bytes per parameter. The seeds' sizes are in
 * GB = 10^9 bytes (their Llama-2 table: 6.74e9 parameters × 2 bytes = 13.5 GB), as disk and model-hub
 * sizes are; PyTorch's out-of-memory messages and `nvidia-smi` count GiB = 2^30 bytes, 7.4 % more per unit.
 * Both are given.
 */
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Storage types of weights. */
export type WeightDtype = "fp64" | "fp32" | "fp16" | "bf16" | "int8" | "int4";

/** Bytes per parameter: fp64 8, fp32 4, fp16 and bf16 2, int8 1, int4 ½ (two per byte), scales not included. */
export const BYTES_PER_PARAM: Readonly<Record<WeightDtype, number>> = { fp64: 8, fp32: 4, fp16: 2, bf16: 2, int8: 1, int4: 0.5 };

/** A gigabyte as the seeds count it: 10^9 bytes. */
export const GB = 1e9;
/** A gibibyte, as PyTorch's and the GPU driver's messages count it: 2^30 bytes. */
export const GIB = 2 ** 30;

/** Bytes per parameter of a dtype, with an error naming the valid ones. */
export const bytesPerParam = offLimitsDuringChecks("bytesPerParam", function bytesPerParam(dtype: WeightDtype): number {
  const bytes = (BYTES_PER_PARAM as Record<string, number | undefined>)[dtype];
  if (bytes === undefined) throw new RangeError(`unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(BYTES_PER_PARAM).join(", ")}`);
  return bytes;
});

function checkCount(n: number, what: string, where: string): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RangeError(`${where}: ${what} must be an integer ≥ 0, got ${n}`);
}

/** A weight size in the three units people quote. */
export interface MemoryEstimate {
  readonly params: number;
  readonly dtype: WeightDtype;
  readonly bytes: number;
  /** bytes / 10^9 */
  readonly gb: number;
  /** bytes / 2^30 */
  readonly gib: number;
}

/** Memory of `params` weights stored as `dtype` (7e9 in fp16: 14e9 bytes = 14 GB = 13.04 GiB). */
export const modelMemory = offLimitsDuringChecks("modelMemory", function modelMemory(params: number, dtype: WeightDtype): MemoryEstimate {
  checkCount(params, "the parameter count", "modelMemory");
  const bytes = params * bytesPerParam(dtype);
  return { params, dtype, bytes, gb: bytes / GB, gib: bytes / GIB };
});

/**
 * Bytes of one dense tensor. The seeds' out-of-memory cell converts `torch.rand((10000, 10000))` to
 * float64: 10^8 × 8 = 8e8 bytes = 0.745 GiB (the error message printed there says 7.45 GiB, ten times
 * more, so it came from a larger tensor than the cell shows).
 */
export const tensorBytes = offLimitsDuringChecks("tensorBytes", function tensorBytes(shape: readonly number[], dtype: WeightDtype): number {
  let count = 1;
  for (const d of shape) {
    checkCount(d, "every dimension", "tensorBytes");
    count *= d;
  }
  return count * bytesPerParam(dtype);
});

/** How the weights are trained, which fixes what sits in memory next to them. */
export type TrainingRecipe = "fp32-adam" | "mixed-precision-adam" | "fp32-sgd";

/** Bytes held during training, per role (activations excluded: they scale with batch × sequence length). */
export interface TrainingMemory {
  readonly recipe: TrainingRecipe;
  readonly params: number;
  /** The weights the forward pass reads (fp32, or fp16/bf16 in mixed precision). */
  readonly weights: number;
  readonly gradients: number;
  /** The fp32 copy that mixed precision updates (0 otherwise). */
  readonly masterWeights: number;
  /** Adam's first and second moments, fp32 (0 for plain SGD). */
  readonly optimizerStates: number;
  readonly total: number;
  readonly bytesPerParam: number;
  readonly gb: number;
}

const TRAINING_BYTES: Readonly<Record<TrainingRecipe, { weights: number; gradients: number; master: number; optimizer: number }>> = {
  "fp32-adam": { weights: 4, gradients: 4, master: 0, optimizer: 8 },
  // Mixed precision as in Micikevicius et al. 2018 and the ZeRO paper's accounting: 2 + 2 + 4 + 4 + 4.
  "mixed-precision-adam": { weights: 2, gradients: 2, master: 4, optimizer: 8 },
  "fp32-sgd": { weights: 4, gradients: 4, master: 0, optimizer: 0 },
};

/**
 * Memory to train `params` weights with Adam or SGD, before activations: 16 bytes per parameter with
 * Adam (fp32, or mixed precision with its fp32 master copy), so a 7B model needs 112 GB where inference in
 * fp16 needs 14 GB — one reason the seeds quantize trained models rather than train quantized ones.
 */
export function trainingMemory(params: number, recipe: TrainingRecipe = "mixed-precision-adam"): TrainingMemory {
  checkCount(params, "the parameter count", "trainingMemory");
  const per = (TRAINING_BYTES as Record<string, (typeof TRAINING_BYTES)[TrainingRecipe] | undefined>)[recipe];
  if (per === undefined) throw new RangeError(`trainingMemory: unknown recipe ${JSON.stringify(recipe)}; expected one of ${Object.keys(TRAINING_BYTES).join(", ")}`);
  const bytesPerParam = per.weights + per.gradients + per.master + per.optimizer;
  const total = params * bytesPerParam;
  return {
    recipe,
    params,
    weights: params * per.weights,
    gradients: params * per.gradients,
    masterWeights: params * per.master,
    optimizerStates: params * per.optimizer,
    total,
    bytesPerParam,
    gb: total / GB,
  };
}
