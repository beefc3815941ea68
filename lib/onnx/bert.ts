/**
 * The course's BERT (lib/models/bert) as an ONNX graph with the inputs and outputs transformers.js gives
 * a `bert` model (those of Hugging Face Optimum's BERT export), plus the hidden states:
 *
 *   inputs   input_ids, attention_mask (1 token / 0 padding), token_type_ids: [batch, T] int64
 *   outputs  logits [batch, T, vocab]           the masked-LM head (BertForMaskedLM → fill-mask)
 *            last_hidden_state [batch, T, width]  the encoder's output (BertModel → feature-extraction)
 *
 * One graph serves both pipelines: transformers.js's fill-mask reads `logits`, its feature extraction
 * prefers `last_hidden_state`. The graph follows the tfjs model operation by operation (embeddings
 * summed in the same order, post-LN layers, tanh GELU, −1e9 additive padding mask, tied output head), so
 * the logits agree to float32 rounding. Initializers carry the tfjs parameter names, which is how
 * ./transformersJsBert reads a tfjs model back from the exported file.
 */
import type * as tf from "@tensorflow/tfjs";
import type { onnx } from "onnx-proto";
import { GraphBuilder } from "./builder";
import { attentionMask, geluTanh, layerNorm, linear, selfAttention, type AttentionWeights, type LayerNormWeights, type LinearWeights } from "./layers";

/** The architecture fields the export needs (a subset of lib/models/bert's BertConfig). */
export interface BertArchitecture {
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layers: number;
  heads: number;
  width: number;
  mlpWidth: number;
  layerNormEpsilon: number;
}

/** Every number of a BERT with its masked-LM head, as plain arrays. */
export interface BertWeights {
  config: BertArchitecture;
  /** [vocabSize, width], also the output matrix of the masked-LM head (tied). */
  wordEmbedding: Float32Array;
  /** [maxPositions, width]. */
  positionEmbedding: Float32Array;
  /** [typeVocabSize, width]. */
  tokenTypeEmbedding: Float32Array;
  embeddingNorm: LayerNormWeights;
  layers: { attention: AttentionWeights; attentionNorm: LayerNormWeights; fc: LinearWeights; projection: LinearWeights; outputNorm: LayerNormWeights }[];
  mlm: { transform: LinearWeights; norm: LayerNormWeights; bias: Float32Array };
}

type LinearModule = { weight: tf.Tensor; bias: tf.Tensor | null; inFeatures: number; outFeatures: number };
type LayerNormModule = { gamma: tf.Tensor; beta: tf.Tensor; epsilon: number };

/** What the export reads from a model: the public fields of lib/models/bert's `BERT`. */
export interface ExportableBert {
  config: BertArchitecture;
  embeddings: { word: { table: tf.Tensor }; position: { table: tf.Tensor }; tokenType: { table: tf.Tensor }; norm: LayerNormModule };
  layers: readonly {
    attention: { wq: LinearModule; wk: LinearModule; wv: LinearModule; wo: LinearModule };
    attentionNorm: LayerNormModule;
    fc: LinearModule;
    projection: LinearModule;
    outputNorm: LayerNormModule;
  }[];
  mlmHead: { transform: LinearModule; norm: LayerNormModule; bias: tf.Tensor };
}

function values(t: tf.Tensor): Float32Array {
  // A copy: dataSync's array may be the backend's own buffer.
  return Float32Array.from(t.dataSync() as Float32Array);
}

function linearWeights(layer: LinearModule): LinearWeights {
  return { weight: values(layer.weight), bias: layer.bias ? values(layer.bias) : null, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures };
}

function normWeights(norm: LayerNormModule): LayerNormWeights {
  return { gamma: values(norm.gamma), beta: values(norm.beta), epsilon: norm.epsilon };
}

/** The numbers of a tfjs BERT (call `await initBackend()` first, as for the model itself). */
export function bertWeights(model: ExportableBert): BertWeights {
  if (model === null || typeof model !== "object" || !model.config || !Array.isArray(model.layers) || !model.mlmHead) throw new TypeError("bertWeights: expected a BERT from lib/models/bert");
  const { config } = model;
  return {
    config: {
      vocabSize: config.vocabSize,
      maxPositions: config.maxPositions,
      typeVocabSize: config.typeVocabSize,
      layers: config.layers,
      heads: config.heads,
      width: config.width,
      mlpWidth: config.mlpWidth,
      layerNormEpsilon: config.layerNormEpsilon,
    },
    wordEmbedding: values(model.embeddings.word.table),
    positionEmbedding: values(model.embeddings.position.table),
    tokenTypeEmbedding: values(model.embeddings.tokenType.table),
    embeddingNorm: normWeights(model.embeddings.norm),
    layers: model.layers.map((layer) => ({
      attention: {
        wq: linearWeights(layer.attention.wq),
        wk: linearWeights(layer.attention.wk),
        wv: linearWeights(layer.attention.wv),
        wo: linearWeights(layer.attention.wo),
      },
      attentionNorm: normWeights(layer.attentionNorm),
      fc: linearWeights(layer.fc),
      projection: linearWeights(layer.projection),
      outputNorm: normWeights(layer.outputNorm),
    })),
    mlm: { transform: linearWeights(model.mlmHead.transform), norm: normWeights(model.mlmHead.norm), bias: values(model.mlmHead.bias) },
  };
}

/** Names of the graph's inputs and outputs, as transformers.js expects them. */
export const BERT_ONNX_NAMES = {
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  tokenTypeIds: "token_type_ids",
  logits: "logits",
  lastHiddenState: "last_hidden_state",
} as const;

function checkWeights(weights: BertWeights): void {
  const { vocabSize: V, maxPositions: P, typeVocabSize: S, width: d, layers, heads } = weights.config;
  if (weights.wordEmbedding.length !== V * d) throw new RangeError(`bertToOnnx: the token table has ${weights.wordEmbedding.length} values, not ${V}×${d}`);
  if (weights.positionEmbedding.length !== P * d) throw new RangeError(`bertToOnnx: the position table has ${weights.positionEmbedding.length} values, not ${P}×${d}`);
  if (weights.tokenTypeEmbedding.length !== S * d) throw new RangeError(`bertToOnnx: the segment table has ${weights.tokenTypeEmbedding.length} values, not ${S}×${d}`);
  if (weights.layers.length !== layers || layers < 1) throw new RangeError(`bertToOnnx: ${weights.layers.length} layers for config.layers = ${layers}`);
  if (d % heads !== 0) throw new RangeError(`bertToOnnx: heads (${heads}) must divide width (${d})`);
  if (weights.mlm.bias.length !== V) throw new RangeError(`bertToOnnx: the output bias has ${weights.mlm.bias.length} values, not ${V}`);
}

/**
 * The ONNX graph of a BERT with its masked-LM head (see the module comment for its inputs and outputs).
 * Positions are 0 … T − 1 of every row; T > maxPositions makes onnxruntime fail in the position lookup,
 * so inputs must be cut to `max_position_embeddings` (the exported tokenizer's model_max_length).
 */
export function bertToOnnx(weights: BertWeights, name = "llm-course-bert"): onnx.ModelProto {
  checkWeights(weights);
  const { vocabSize, maxPositions, typeVocabSize, layers, heads, width } = weights.config;
  const N = BERT_ONNX_NAMES;
  const g = new GraphBuilder(name);
  const dims = ["batch_size", "sequence_length"];
  const ids = g.input(N.inputIds, "int64", dims);
  const mask = g.input(N.attentionMask, "int64", dims);
  const segments = g.input(N.tokenTypeIds, "int64", dims);

  const wordTable = g.initializer("embeddings.word.table", weights.wordEmbedding, [vocabSize, width]);
  const positionTable = g.initializer("embeddings.position.table", weights.positionEmbedding, [maxPositions, width]);
  const segmentTable = g.initializer("embeddings.tokenType.table", weights.tokenTypeEmbedding, [typeVocabSize, width]);
  const queryLength = g.gather(g.shape(ids), g.ints([1], true));
  const positions = g.op("Range", [g.ints([0], true), queryLength, g.ints([1], true)]);
  // (word + position) + segment: the tfjs model's order of additions, so the sums round the same way.
  const summed = g.add(g.add(g.gather(wordTable, ids), g.gather(positionTable, positions)), g.gather(segmentTable, segments));
  let x = layerNorm(g, summed, weights.embeddingNorm, "embeddings.norm", "embeddings");

  const additiveMask = attentionMask(g, { pastLength: g.ints([0], true), queryLength, attentionMask: mask, causal: false });

  weights.layers.forEach((layer, i) => {
    x = g.scope(`layers.${i}`, () => {
      const prefix = `layers.${i}`;
      const attended = selfAttention(g, x, layer.attention, { heads, width }, null, additiveMask, `${prefix}.attention`);
      const afterAttention = layerNorm(g, g.add(x, attended), layer.attentionNorm, `${prefix}.attentionNorm`);
      const hidden = geluTanh(g, linear(g, afterAttention, layer.fc, `${prefix}.mlp.fc`));
      const output = i === layers - 1 ? N.lastHiddenState : `${prefix}.output`;
      return layerNorm(g, g.add(afterAttention, linear(g, hidden, layer.projection, `${prefix}.mlp.projection`)), layer.outputNorm, `${prefix}.outputNorm`, output);
    });
  });

  const transformed = layerNorm(g, geluTanh(g, linear(g, x, weights.mlm.transform, "mlm.transform")), weights.mlm.norm, "mlm.norm");
  // Tied head: the token table is stored once; onnxruntime folds the Transpose when it loads the model.
  const scores = g.matMul(transformed, g.transpose(wordTable, [1, 0]));
  g.add(scores, g.initializer("mlm.bias", weights.mlm.bias, [vocabSize]), N.logits);

  g.output(N.logits, "float32", ["batch_size", "sequence_length", vocabSize]);
  g.output(N.lastHiddenState, "float32", ["batch_size", "sequence_length", width]);
  return g.model({
    docString: `The course's BERT: ${layers} post-LN encoder layers, ${heads} heads, width ${width}, ${maxPositions} positions, vocabulary ${vocabSize}, masked-LM head.`,
    properties: { architecture: "llm-course-bert" },
  });
}
