/**
 * The architecture of the course's BERT (encoder-only Transformer), its defaults, and its parameter count
 * by formula.
 */
import type { TrainingEngine } from "../../onnx/training-layers";
import type { AdamWOptions } from "../optim";

/** Everything needed to rebuild a BERT (saved in checkpoints, and in config.json of the exported folder). */
export interface BertConfig {
  /** Number of token ids V. */
  vocabSize: number;
  /** Most tokens per sequence, [CLS] and [SEP] included: rows of the position table (default 128). */
  maxPositions: number;
  /** Segment ids (sentence A / B) the segment table holds (default 2, as BERT). */
  typeVocabSize: number;
  /** Encoder layers N (default 2). */
  layers: number;
  /** Attention heads per layer; must divide width (default 4). */
  heads: number;
  /** Width d of every token vector (default 128). */
  width: number;
  /** Hidden width of the feed-forward blocks (default 4·width). */
  mlpWidth: number;
  /** Standard deviation of the initial weights and embeddings (default 0.02, BERT's initializer_range). */
  initStd: number;
  /** ε of every LayerNorm (default 1e-12, BERT's layer_norm_eps). */
  layerNormEpsilon: number;
  /** Id of [PAD]: the default attention mask hides it (default 0). */
  padId: number;
  /** Seed of the initial weights (default 42). */
  seed: number;
}

/** Options of {@link BERT}: the vocabulary size, anything else defaults. */
export type BertOptions = Pick<BertConfig, "vocabSize"> &
  Partial<BertConfig> & {
    /** AdamW settings (default BERT's: β = (0.9, 0.999), ε = 1e-6, weight decay 0.01 on matrices and embeddings, clipping at norm 1). */
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

/** The optimiser BERT was pre-trained with (Devlin et al. 2019, appendix A.2), plus clipping at 1 as in its code. */
export const BERT_OPTIMIZER_DEFAULTS: Readonly<Required<Pick<AdamWOptions, "beta1" | "beta2" | "epsilon" | "weightDecay" | "clipNorm">>> = Object.freeze({
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-6,
  weightDecay: 0.01,
  clipNorm: 1,
});

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new RangeError(`BERT: ${name} must be an integer ≥ 1, got ${String(value)}`);
  return value;
}

/** Fills the defaults and checks a configuration; throws naming the first bad field. */
export function bertConfig(options: BertOptions): BertConfig {
  if (options === null || typeof options !== "object") throw new TypeError("BERT: options must be an object such as { vocabSize: 4005 }");
  const width = positiveInteger(options.width ?? 128, "width");
  const config: BertConfig = {
    vocabSize: positiveInteger(options.vocabSize, "vocabSize"),
    maxPositions: positiveInteger(options.maxPositions ?? 128, "maxPositions"),
    typeVocabSize: positiveInteger(options.typeVocabSize ?? 2, "typeVocabSize"),
    layers: positiveInteger(options.layers ?? 2, "layers"),
    heads: positiveInteger(options.heads ?? 4, "heads"),
    width,
    mlpWidth: positiveInteger(options.mlpWidth ?? 4 * width, "mlpWidth"),
    initStd: options.initStd ?? 0.02,
    layerNormEpsilon: options.layerNormEpsilon ?? 1e-12,
    padId: options.padId ?? 0,
    seed: options.seed ?? 42,
  };
  if (config.vocabSize < 2) throw new RangeError(`BERT: vocabSize must be ≥ 2, got ${config.vocabSize}`);
  if (config.maxPositions < 2) throw new RangeError(`BERT: maxPositions must be ≥ 2 ([CLS] and [SEP]), got ${config.maxPositions}`);
  if (width % config.heads !== 0) throw new RangeError(`BERT: heads (${config.heads}) must divide width (${width})`);
  if (!Number.isInteger(config.padId) || config.padId < 0 || config.padId >= config.vocabSize) throw new RangeError(`BERT: padId must be an id in 0…${config.vocabSize - 1}, got ${config.padId}`);
  if (typeof config.initStd !== "number" || !(config.initStd > 0) || !Number.isFinite(config.initStd)) throw new RangeError(`BERT: initStd must be a finite number > 0, got ${config.initStd}`);
  if (typeof config.layerNormEpsilon !== "number" || !(config.layerNormEpsilon > 0) || !Number.isFinite(config.layerNormEpsilon)) {
    throw new RangeError(`BERT: layerNormEpsilon must be a finite number > 0, got ${config.layerNormEpsilon}`);
  }
  if (typeof config.seed !== "number" || !Number.isFinite(config.seed)) throw new RangeError(`BERT: seed must be a finite number, got ${config.seed}`);
  return config;
}

/**
 * Parameters of a BERT with its masked-LM head, by formula (d = width, h = mlpWidth, N = layers,
 * P = maxPositions, S = typeVocabSize):
 *   embeddings V·d + P·d + S·d, their LayerNorm 2d;
 *   per layer: attention 4·(d² + d), LayerNorm 2d, MLP d·h + h + h·d + d, LayerNorm 2d;
 *   MLM head: transform d² + d, LayerNorm 2d, output bias V (the output matrix is the token table, tied).
 * With h = 4d: (V + P + S)·d + 2d + N·(12d² + 13d) + d² + 3d + V.
 */
export function bertParameterCount(config: Pick<BertConfig, "vocabSize" | "maxPositions" | "typeVocabSize" | "layers" | "width" | "mlpWidth">): number {
  const { vocabSize: V, maxPositions: P, typeVocabSize: S, layers: N, width: d, mlpWidth: h } = config;
  const layer = 4 * (d * d + d) + 2 * d + (d * h + h) + (h * d + d) + 2 * d;
  return (V + P + S) * d + 2 * d + N * layer + (d * d + d) + 2 * d + V;
}
