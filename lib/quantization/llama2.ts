/**
 * The seeds' table "Taille des modèles quantisés", recomputed from the Llama-2 architectures:
 *
 *   Model        Original Size (FP16)   Quantized Size (INT4)
 *   Llama2-7B    13.5 GB                3.9 GB
 *   Llama2-13B   26.1 GB                7.3 GB
 *   Llama2-70B   138 GB                 40.7 GB
 *
 * GB here is 10^9 bytes. The FP16 column is parameters × 2 bytes: 13.48, 26.03 and 137.95 GB, so the
 * 13B cell is 0.07 GB high and the other two match. The INT4 column is not parameters × ½ byte (3.37,
 * 6.51, 34.49 GB): it is the size of GPTQ checkpoints as AutoGPTQ writes them — 4-bit weights plus, per
 * group of input rows, an fp16 scale and a 4-bit zero point, an int32 group index per input row, an fp16
 * bias per output (AutoGPTQ 0.2–0.4 adds one to every layer, zeros here since Llama has none), and the
 * embeddings, the output layer and the norms left in fp16. With groups of 128 rows this gives 3.90 and
 * 7.26 GB, with groups of 32 (more scales, better quality) 40.66 GB: the table mixes two group sizes.
 */
import { GB } from "./memory";

/** The shape of a Llama model (Hugging Face `config.json` names in the comments). */
export interface LlamaConfig {
  readonly name: string;
  /** hidden_size */
  readonly hiddenSize: number;
  /** intermediate_size: width of the SwiGLU feed-forward */
  readonly intermediateSize: number;
  /** num_hidden_layers */
  readonly numLayers: number;
  /** num_attention_heads */
  readonly numHeads: number;
  /** num_key_value_heads: fewer than numHeads with grouped-query attention (Llama-2-70B: 8) */
  readonly numKeyValueHeads: number;
  /** vocab_size */
  readonly vocabSize: number;
}

/** Llama-2 7B, 13B and 70B, from their published configs. */
export const LLAMA2_CONFIGS: Readonly<Record<"7B" | "13B" | "70B", LlamaConfig>> = {
  "7B": { name: "Llama2-7B", hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, numKeyValueHeads: 32, vocabSize: 32000 },
  "13B": { name: "Llama2-13B", hiddenSize: 5120, intermediateSize: 13824, numLayers: 40, numHeads: 40, numKeyValueHeads: 40, vocabSize: 32000 },
  "70B": { name: "Llama2-70B", hiddenSize: 8192, intermediateSize: 28672, numLayers: 80, numHeads: 64, numKeyValueHeads: 8, vocabSize: 32000 },
};

/** A linear layer's weight matrix, in → out. */
export interface LinearShape {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** The seven bias-free linear layers of one Llama block: attention q, k, v, o and the SwiGLU gate, up, down. */
export function llamaBlockLinears(config: LlamaConfig): LinearShape[] {
  const d = config.hiddenSize;
  if (d % config.numHeads !== 0) throw new RangeError(`${config.name}: hiddenSize ${d} is not a multiple of numHeads ${config.numHeads}`);
  const kv = (d / config.numHeads) * config.numKeyValueHeads;
  const ff = config.intermediateSize;
  return [
    { name: "q_proj", inFeatures: d, outFeatures: d },
    { name: "k_proj", inFeatures: d, outFeatures: kv },
    { name: "v_proj", inFeatures: d, outFeatures: kv },
    { name: "o_proj", inFeatures: d, outFeatures: d },
    { name: "gate_proj", inFeatures: d, outFeatures: ff },
    { name: "up_proj", inFeatures: d, outFeatures: ff },
    { name: "down_proj", inFeatures: ff, outFeatures: d },
  ];
}

/** A Llama model's parameters by role. */
export interface LlamaParameterCount {
  /** Weights of the blocks' linear layers: what quantization methods compress. */
  readonly linear: number;
  /** Token embeddings (vocab × hidden). */
  readonly embedding: number;
  /** Output layer, not tied to the embeddings in Llama-2. */
  readonly lmHead: number;
  /** RMSNorm gains: two per block and a final one. */
  readonly norms: number;
  readonly total: number;
}

/** Parameter count of a Llama model (Llama-2-7B: 6,738,415,616). */
export function llamaParameterCount(config: LlamaConfig): LlamaParameterCount {
  const perBlock = llamaBlockLinears(config).reduce((sum, l) => sum + l.inFeatures * l.outFeatures, 0);
  const linear = perBlock * config.numLayers;
  const embedding = config.vocabSize * config.hiddenSize;
  const lmHead = embedding;
  const norms = (2 * config.numLayers + 1) * config.hiddenSize;
  return { linear, embedding, lmHead, norms, total: linear + embedding + lmHead + norms };
}

/** Bytes of a GPTQ checkpoint, by tensor kind. */
export interface GptqCheckpointBytes {
  /** 4-bit weights packed in int32 words (`qweight`). */
  readonly qweight: number;
  /** One fp16 scale per group of input rows and output (`scales`). */
  readonly scales: number;
  /** One 4-bit zero point per group and output (`qzeros`). */
  readonly qzeros: number;
  /** One int32 group index per input row (`g_idx`). */
  readonly gIdx: number;
  /** fp16 bias per output that AutoGPTQ adds to each quantized layer. */
  readonly bias: number;
  /** Embeddings, output layer and norms, kept in fp16. */
  readonly fp16Rest: number;
  readonly total: number;
}

/** Size of a `bits`-bit GPTQ checkpoint of `config` with groups of `groupSize` input rows, as AutoGPTQ lays it out. */
export function gptqCheckpointBytes(config: LlamaConfig, groupSize: number, bits = 4): GptqCheckpointBytes {
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new RangeError(`gptqCheckpointBytes: groupSize must be an integer ≥ 1, got ${groupSize}`);
  if (![2, 3, 4, 8].includes(bits)) throw new RangeError(`gptqCheckpointBytes: GPTQ packs 2, 3, 4 or 8 bits, got ${bits}`);
  let qweight = 0;
  let scales = 0;
  let qzeros = 0;
  let gIdx = 0;
  let bias = 0;
  for (const l of llamaBlockLinears(config)) {
    if (l.inFeatures % groupSize !== 0) throw new RangeError(`gptqCheckpointBytes: groupSize ${groupSize} does not divide ${l.name}'s ${l.inFeatures} input rows`);
    const groups = l.inFeatures / groupSize;
    qweight += (l.inFeatures * l.outFeatures * bits) / 8;
    scales += groups * l.outFeatures * 2;
    qzeros += (groups * l.outFeatures * bits) / 8;
    gIdx += l.inFeatures * 4;
    bias += l.outFeatures * 2;
  }
  const n = config.numLayers;
  const p = llamaParameterCount(config);
  const fp16Rest = (p.embedding + p.lmHead + p.norms) * 2;
  const total = n * (qweight + scales + qzeros + gIdx + bias) + fp16Rest;
  return { qweight: n * qweight, scales: n * scales, qzeros: n * qzeros, gIdx: n * gIdx, bias: n * bias, fp16Rest, total };
}

/** One row of the seeds' table with the computed sizes. */
export interface Llama2MemoryRow {
  readonly model: string;
  readonly params: number;
  /** params × 2 bytes, in GB. */
  readonly fp16GB: number;
  readonly slideFp16GB: number;
  /** params × ½ byte, in GB: the naive INT4 size, scales and unquantized layers ignored. */
  readonly int4NaiveGB: number;
  /** The GPTQ checkpoint size, in GB. */
  readonly int4GptqGB: number;
  /** The group size that reproduces the slide's INT4 cell. */
  readonly groupSize: number;
  readonly slideInt4GB: number;
}

/** The slide's numbers, in GB. */
export const SEEDS_LLAMA2_TABLE: ReadonlyArray<{ readonly model: string; readonly fp16GB: number; readonly int4GB: number }> = [
  { model: "Llama2-7B", fp16GB: 13.5, int4GB: 3.9 },
  { model: "Llama2-13B", fp16GB: 26.1, int4GB: 7.3 },
  { model: "Llama2-70B", fp16GB: 138, int4GB: 40.7 },
];

const SLIDE_GROUP_SIZES = [128, 128, 32];

/** The seeds' Llama-2 memory table recomputed (see the module comment for what matches and why). */
export function llama2MemoryTable(): Llama2MemoryRow[] {
  return (["7B", "13B", "70B"] as const).map((key, i) => {
    const config = LLAMA2_CONFIGS[key];
    const slide = SEEDS_LLAMA2_TABLE[i]!;
    const params = llamaParameterCount(config).total;
    const groupSize = SLIDE_GROUP_SIZES[i]!;
    return {
      model: config.name,
      params,
      fp16GB: (params * 2) / GB,
      slideFp16GB: slide.fp16GB,
      int4NaiveGB: (params * 0.5) / GB,
      int4GptqGB: gptqCheckpointBytes(config, groupSize).total / GB,
      groupSize,
      slideInt4GB: slide.int4GB,
    };
  });
}
