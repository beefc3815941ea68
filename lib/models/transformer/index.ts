/**
 * The encoder–decoder Transformer of TP7: `import { Transformer, sequencePairs, warmupCosineLr } from "@llm-course/lib/models/transformer";`
 */
export { DecoderLayer, EncoderLayer, Transformer, TRANSFORMER_FORMAT, transformerConfig, transformerParameterCount } from "./model";
export type { AttentionMaps, DecodeOptions, ExactMatch, NormPlacement, TransformerConfig, TransformerOptions } from "./model";
export { makePairBatch, sequencePairs } from "./data";
export type { PairBatch, SequencePairs, SpecialIds } from "./data";
export { AdamW, noamLr, warmupCosineLr } from "../optim";
export type { AdamWOptions } from "../optim";
export { countParameters } from "../layers";
