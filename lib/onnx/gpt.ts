/**
 * The course's mini-GPT (lib/models/gpt) as an ONNX graph with the inputs and outputs transformers.js
 * gives a GPT-2 decoder (those of Hugging Face Optimum's GPT-2 export):
 *
 *   inputs   input_ids [batch, T] int64, attention_mask [batch, past + T] int64 (1 token / 0 padding),
 *            position_ids [batch, T] int64, past_key_values.{i}.key / .value [batch, heads, past, d_head]
 *   outputs  logits [batch, T, vocab], present.{i}.key / .value [batch, heads, past + T, d_head]
 *
 * transformers.js runs the prompt once with empty (past = 0) caches, then feeds only the newest token with
 * the `present` tensors of the previous call as its `past_key_values`, exactly as `GPT.decodingSession`
 * does with its KV cache. The graph follows the tfjs model operation by operation (pre-LN blocks, tanh
 * GELU, −1e9 additive mask, logits = LN_f(x)·E_tokᵀ when tied), so the logits agree to float32 rounding.
 */
import type * as tf from "@tensorflow/tfjs";
import type { onnx } from "onnx-proto";
import { sinusoidalPositionalEncoding } from "../models/attention";
import { GraphBuilder } from "./builder";
import { attentionMask, geluTanh, layerNorm, linear, selfAttention, type AttentionWeights, type LayerNormWeights, type LinearWeights } from "./layers";

/** The architecture fields the export needs (a subset of lib/models/gpt's GptConfig). */
export interface GptArchitecture {
  vocabSize: number;
  blockSize: number;
  layers: number;
  heads: number;
  width: number;
  mlpWidth: number;
  positions: "learned" | "sinusoidal";
  tiedEmbeddings: boolean;
  /** Smeared keys (absent: false). */
  smearKeys?: boolean;
}

/** Every number of a GPT, as plain arrays: what the graph is built from. */
export interface GptWeights {
  config: GptArchitecture;
  /** [vocabSize, width]. */
  tokenEmbedding: Float32Array;
  /** [blockSize, width]: the learned table, or the fixed sinusoids. */
  positionTable: Float32Array;
  blocks: { norm1: LayerNormWeights; attention: AttentionWeights; norm2: LayerNormWeights; fc: LinearWeights; projection: LinearWeights }[];
  finalNorm: LayerNormWeights;
  /** The untied output projection [width, vocabSize], or null when the head is the token table transposed. */
  head: LinearWeights | null;
}

// `adapter`: a LoRA hook (lib/models/layers Linear); the graph holds the weights only, so an adapted layer cannot be exported as is.
type LinearModule = { weight: tf.Tensor; bias: tf.Tensor | null; inFeatures: number; outFeatures: number; adapter?: unknown };
type LayerNormModule = { gamma: tf.Tensor; beta: tf.Tensor; epsilon: number };

/** What the export reads from a model: the public fields of lib/models/gpt's `GPT`. */
export interface ExportableGpt {
  config: GptArchitecture;
  tokenEmbedding: { table: tf.Tensor };
  positionEmbedding: { table: tf.Tensor } | null;
  blocks: readonly {
    norm1: LayerNormModule;
    attention: { wq: LinearModule; wk: LinearModule; wv: LinearModule; wo: LinearModule; smear: tf.Tensor | null };
    norm2: LayerNormModule;
    fc: LinearModule;
    projection: LinearModule;
  }[];
  finalNorm: LayerNormModule;
  head: LinearModule | null;
}

function values(t: tf.Tensor): Float32Array {
  // A copy: dataSync's array may be the backend's own buffer.
  return Float32Array.from(t.dataSync() as Float32Array);
}

function linearWeights(layer: LinearModule): LinearWeights {
  if (layer.adapter !== undefined && layer.adapter !== null) {
    throw new Error("gptWeights: a layer has an adapter (LoRA) that the exported weights would leave out: call the LoRA's merge() first (or detach() to export the base model)");
  }
  return { weight: values(layer.weight), bias: layer.bias ? values(layer.bias) : null, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures };
}

function normWeights(norm: LayerNormModule): LayerNormWeights {
  return { gamma: values(norm.gamma), beta: values(norm.beta), epsilon: norm.epsilon };
}

/** The numbers of a tfjs GPT (call `await initBackend()` first, as for the model itself). */
export function gptWeights(model: ExportableGpt): GptWeights {
  if (model === null || typeof model !== "object" || !model.config || !Array.isArray(model.blocks)) throw new TypeError("gptWeights: expected a GPT from lib/models/gpt");
  const { config } = model;
  const positionTable = model.positionEmbedding
    ? values(model.positionEmbedding.table)
    : (() => {
        const table = sinusoidalPositionalEncoding(config.blockSize, config.width);
        const data = values(table);
        table.dispose();
        return data;
      })();
  return {
    config: {
      vocabSize: config.vocabSize,
      blockSize: config.blockSize,
      layers: config.layers,
      heads: config.heads,
      width: config.width,
      mlpWidth: config.mlpWidth,
      positions: config.positions,
      tiedEmbeddings: config.tiedEmbeddings,
      smearKeys: config.smearKeys === true,
    },
    tokenEmbedding: values(model.tokenEmbedding.table),
    positionTable,
    blocks: model.blocks.map((block) => ({
      norm1: normWeights(block.norm1),
      attention: {
        wq: linearWeights(block.attention.wq),
        wk: linearWeights(block.attention.wk),
        wv: linearWeights(block.attention.wv),
        wo: linearWeights(block.attention.wo),
        smear: block.attention.smear === null ? null : values(block.attention.smear),
      },
      norm2: normWeights(block.norm2),
      fc: linearWeights(block.fc),
      projection: linearWeights(block.projection),
    })),
    finalNorm: normWeights(model.finalNorm),
    head: model.head ? linearWeights(model.head) : null,
  };
}

/** Names of the graph's inputs and outputs, as transformers.js expects them. */
export const GPT_ONNX_NAMES = {
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  positionIds: "position_ids",
  logits: "logits",
  pastKey: (layer: number) => `past_key_values.${layer}.key`,
  pastValue: (layer: number) => `past_key_values.${layer}.value`,
  presentKey: (layer: number) => `present.${layer}.key`,
  presentValue: (layer: number) => `present.${layer}.value`,
} as const;

function checkWeights(weights: GptWeights): void {
  const { vocabSize: V, blockSize: T, width: d, layers, heads } = weights.config;
  if (weights.tokenEmbedding.length !== V * d) throw new RangeError(`gptToOnnx: the token table has ${weights.tokenEmbedding.length} values, not ${V}×${d}`);
  if (weights.positionTable.length !== T * d) throw new RangeError(`gptToOnnx: the position table has ${weights.positionTable.length} values, not ${T}×${d}`);
  if (weights.blocks.length !== layers) throw new RangeError(`gptToOnnx: ${weights.blocks.length} blocks for ${layers} layers`);
  if (d % heads !== 0) throw new RangeError(`gptToOnnx: heads (${heads}) must divide width (${d})`);
  if (!weights.config.tiedEmbeddings && weights.head === null) throw new Error("gptToOnnx: an untied model needs its head weights");
  if (weights.blocks.some((b) => (b.attention.smear != null) !== (weights.config.smearKeys === true))) throw new Error(`gptToOnnx: smearKeys is ${weights.config.smearKeys === true} but ${weights.config.smearKeys === true ? "a block lacks" : "a block has"} smearing values`);
}

/**
 * The ONNX graph of a GPT with a KV cache (see the module comment for its inputs and outputs). Positions
 * come from `position_ids`; a position ≥ blockSize makes onnxruntime fail in the lookup, so generation must
 * stay within the context (`n_positions` in config.json).
 */
export function gptToOnnx(weights: GptWeights, name = "llm-course-gpt"): onnx.ModelProto {
  checkWeights(weights);
  const { vocabSize, blockSize, layers, heads, width } = weights.config;
  const dHead = width / heads;
  const N = GPT_ONNX_NAMES;
  const g = new GraphBuilder(name);
  const ids = g.input(N.inputIds, "int64", ["batch_size", "sequence_length"]);
  const mask = g.input(N.attentionMask, "int64", ["batch_size", "total_sequence_length"]);
  const positions = g.input(N.positionIds, "int64", ["batch_size", "sequence_length"]);
  const cacheShape = ["batch_size", heads, "past_sequence_length", dHead];
  for (let i = 0; i < layers; i++) {
    g.input(N.pastKey(i), "float32", cacheShape);
    g.input(N.pastValue(i), "float32", cacheShape);
  }

  const tokenTable = g.initializer("tokenEmbedding.table", weights.tokenEmbedding, [vocabSize, width]);
  const positionTable = g.initializer(weights.config.positions === "learned" ? "positionEmbedding.table" : "sinusoids", weights.positionTable, [blockSize, width]);
  let x = g.add(g.gather(tokenTable, ids), g.gather(positionTable, positions), "embeddings");

  const additiveMask = attentionMask(g, {
    pastLength: g.gather(g.shape(N.pastKey(0)), g.ints([2], true)),
    queryLength: g.gather(g.shape(ids), g.ints([1], true)),
    attentionMask: mask,
    causal: true,
  });

  weights.blocks.forEach((block, i) => {
    x = g.scope(`blocks.${i}`, () => {
      const prefix = `blocks.${i}`;
      const cache = {
        past: { key: N.pastKey(i), value: N.pastValue(i) },
        present: { key: N.presentKey(i), value: N.presentValue(i) },
      };
      const attended = selfAttention(g, layerNorm(g, x, block.norm1, `${prefix}.norm1`), block.attention, { heads, width }, cache, additiveMask, `${prefix}.attention`, mask);
      const afterAttention = g.add(x, attended);
      const hidden = geluTanh(g, linear(g, layerNorm(g, afterAttention, block.norm2, `${prefix}.norm2`), block.fc, `${prefix}.mlp.fc`));
      return g.add(afterAttention, linear(g, hidden, block.projection, `${prefix}.mlp.projection`), `${prefix}.output`);
    });
  });

  const normalised = layerNorm(g, x, weights.finalNorm, "finalNorm");
  if (weights.head) linear(g, normalised, weights.head, "head", N.logits);
  // Tied head: the table is stored once; onnxruntime folds the Transpose when it loads the model.
  else g.matMul(normalised, g.transpose(tokenTable, [1, 0]), N.logits);

  g.output(N.logits, "float32", ["batch_size", "sequence_length", vocabSize]);
  const presentShape = ["batch_size", heads, "total_sequence_length", dHead];
  for (let i = 0; i < layers; i++) {
    g.output(N.presentKey(i), "float32", presentShape);
    g.output(N.presentValue(i), "float32", presentShape);
  }
  return g.model({
    docString: `The course's mini-GPT: ${layers} pre-LN blocks, ${heads} heads, width ${width}, context ${blockSize}, vocabulary ${vocabSize}.`,
    properties: { architecture: "llm-course-gpt", positions: weights.config.positions, tied_embeddings: String(weights.config.tiedEmbeddings), ...(weights.config.smearKeys === true ? { smeared_keys: "true" } : {}) },
  });
}
