/**
 * The architecture of the course's mini-GPT, its defaults, and its parameter count by formula.
 */
import type { TrainingEngine } from "../../onnx/training-layers";
import type { AdamWOptions } from "../optim";

/** How positions enter the model: a learned table (GPT-2) or fixed sinusoids (the Transformer paper). */
export type PositionEncoding = "learned" | "sinusoidal";

/** Everything needed to rebuild a GPT (saved in checkpoints). */
export interface GptConfig {
  /** Number of token ids V. */
  vocabSize: number;
  /** Context length T: the most tokens the model attends over (rows of the position table). */
  blockSize: number;
  /** Transformer blocks N (default 4). */
  layers: number;
  /** Attention heads per block; must divide width (default 4). */
  heads: number;
  /** Width d of every token vector (default 128). */
  width: number;
  /** Hidden width of the MLPs (default 4·width). */
  mlpWidth: number;
  /** "learned" (default, GPT-2) or "sinusoidal" (no parameters). */
  positions: PositionEncoding;
  /** Output head = the token embedding table, transposed (default true, GPT-2): V·d fewer parameters. */
  tiedEmbeddings: boolean;
  /** Standard deviation of the initial weights (default 0.02, GPT-2); residual projections get 0.02/√(2N). */
  initStd: number;
  /** Seed of the initial weights (default 42). */
  seed: number;
  /**
   * Smeared keys in every block's attention (default false; lib/models/attention's `smearKeys`): one more
   * parameter per head, and induction heads — copying what followed an earlier occurrence of the current
   * token — form within a few hundred steps instead of needing a long training.
   */
  smearKeys: boolean;
}

/** Options of {@link GPT}: the vocabulary and context sizes, anything else defaults. */
export type GptOptions = Pick<GptConfig, "vocabSize" | "blockSize"> &
  Partial<GptConfig> & {
    /** AdamW settings (default β = (0.9, 0.99), ε = 1e-8, weight decay 0.1 on matrices and embeddings, no clipping). */
    optimizer?: AdamWOptions;
    /**
     * What computes the training step's loss and gradients: "onnxruntime" (the step compiled to one ONNX
     * graph, ./training-graph, run by native kernels), "tfjs" (autograd on the tfjs backend), or "auto"
     * (default: onnxruntime when onnxruntime-node loads). Same numbers to float32 rounding.
     */
    trainingEngine?: TrainingEngine | "auto";
    /** onnxruntime threads for training (default: the machine's cores, at most 8). */
    trainingThreads?: number;
  };

/** How a GPT computes its training step (see {@link GptOptions.trainingEngine}); shared by every model the course compiles training for. */
export type { TrainingEngine };

/** The optimiser nanoGPT trains its character-level model with. */
export const GPT_OPTIMIZER_DEFAULTS: Readonly<Required<Pick<AdamWOptions, "beta1" | "beta2" | "epsilon" | "weightDecay">>> = Object.freeze({
  beta1: 0.9,
  beta2: 0.99,
  epsilon: 1e-8,
  weightDecay: 0.1,
});

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new RangeError(`GPT: ${name} must be an integer ≥ 1, got ${String(value)}`);
  return value;
}

/** Fills the defaults and checks a configuration; throws naming the first bad field. */
export function gptConfig(options: GptOptions): GptConfig {
  if (options === null || typeof options !== "object") throw new TypeError("GPT: options must be an object such as { vocabSize: 65, blockSize: 128 }");
  const width = positiveInteger(options.width ?? 128, "width");
  const config: GptConfig = {
    vocabSize: positiveInteger(options.vocabSize, "vocabSize"),
    blockSize: positiveInteger(options.blockSize, "blockSize"),
    layers: positiveInteger(options.layers ?? 4, "layers"),
    heads: positiveInteger(options.heads ?? 4, "heads"),
    width,
    mlpWidth: positiveInteger(options.mlpWidth ?? 4 * width, "mlpWidth"),
    positions: options.positions ?? "learned",
    tiedEmbeddings: options.tiedEmbeddings ?? true,
    initStd: options.initStd ?? 0.02,
    seed: options.seed ?? 42,
    smearKeys: options.smearKeys ?? false,
  };
  if (config.vocabSize < 2) throw new RangeError(`GPT: vocabSize must be ≥ 2, got ${config.vocabSize}`);
  if (width % config.heads !== 0) throw new RangeError(`GPT: heads (${config.heads}) must divide width (${width})`);
  if (config.positions !== "learned" && config.positions !== "sinusoidal") throw new RangeError(`GPT: positions must be "learned" or "sinusoidal", got ${String(config.positions)}`);
  if (typeof config.tiedEmbeddings !== "boolean") throw new TypeError(`GPT: tiedEmbeddings must be true or false, got ${String(config.tiedEmbeddings)}`);
  if (typeof config.initStd !== "number" || !(config.initStd > 0) || !Number.isFinite(config.initStd)) throw new RangeError(`GPT: initStd must be a finite number > 0, got ${config.initStd}`);
  if (typeof config.seed !== "number" || !Number.isFinite(config.seed)) throw new RangeError(`GPT: seed must be a finite number, got ${config.seed}`);
  if (typeof config.smearKeys !== "boolean") throw new TypeError(`GPT: smearKeys must be true or false, got ${String(config.smearKeys)}`);
  return config;
}

/**
 * Parameters of a GPT, by formula (d = width, h = mlpWidth, N = layers):
 *   token table V·d, position table T·d (learned only),
 *   per block: 2 LayerNorms 2·2d, attention 4·(d² + d) (W_Q, W_K, W_V, W_O with biases), MLP d·h + h + h·d + d,
 *   final LayerNorm 2d, output head d·V (untied only, no bias), and with smeared keys one value per head and block.
 * With h = 4d: V·d + T·d + N·(12d² + 13d) + 2d (+ V·d untied) (+ N·heads smeared).
 */
export function gptParameterCount(config: Pick<GptConfig, "vocabSize" | "blockSize" | "layers" | "width" | "mlpWidth" | "positions" | "tiedEmbeddings"> & Partial<Pick<GptConfig, "heads" | "smearKeys">>): number {
  const { vocabSize: V, blockSize: T, layers: N, width: d, mlpWidth: h } = config;
  if (config.smearKeys === true && config.heads === undefined) throw new RangeError("gptParameterCount: smeared keys add one value per head; give heads too");
  const smear = config.smearKeys === true ? config.heads! : 0;
  const block = 2 * 2 * d + 4 * (d * d + d) + (d * h + h) + (h * d + d) + smear;
  return V * d + (config.positions === "learned" ? T * d : 0) + N * block + 2 * d + (config.tiedEmbeddings ? 0 : d * V);
}
