/**
 * A course BERT as a transformers.js model folder, loadable offline with
 * `pipeline("fill-mask", "/absolute/path")` or `pipeline("feature-extraction", "/absolute/path")` (an
 * absolute or ./ path: a bare "models/foo" is taken for a Hub id):
 *
 *   config.json                model_type "bert", so transformers.js picks BertForMaskedLM / BertModel
 *   tokenizer.json             WordPiece over whole words, lower-cased, [CLS] … [SEP] (lib/tokenizers/bert)
 *   tokenizer_config.json      BertTokenizer, the five special tokens, model_max_length = the position table
 *   onnx/model.onnx            float32 graph (./bert): `logits` and `last_hidden_state`
 *   onnx/model_quantized.onnx  the course's q8 (dtype "q8")
 *
 * The same folder gives the tfjs model back ({@link loadBertFromTransformersJs}): the fp32 graph's
 * initializers carry the tfjs parameter names, so the weights are stored once.
 *
 * One difference to know: transformers.js truncates a long text after adding [CLS] and [SEP], so the
 * final [SEP] is cut off; the course's `bertEncode` keeps it, as Hugging Face's Python tokenizers do.
 * Texts within the position table give the same ids on both sides.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { BERT } from "../models/bert/model";
import { bertTokenizerJson, loadBertWordTokenizer, type WordTokenizer } from "../tokenizers";
import { bertToOnnx, bertWeights, type BertWeights, type ExportableBert } from "./bert";
import { decodeModel } from "./proto";
import { tensorValues } from "./tensor";
import { writeOnnxModels, type TransformersJsExport, type TransformersJsExportOptions } from "./transformersJs";

/** Files of a transformers.js BERT folder, relative to it. */
export const BERT_FOLDER_FILES: readonly string[] = ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"];

/** config.json in the BERT layout (the fields transformers.js reads: model_type; the rest documents the model as Hugging Face's BertConfig). */
export function bertConfigJson(weights: BertWeights, padId: number, description: Readonly<Record<string, string | number | boolean>> = {}): Record<string, unknown> {
  const { config } = weights;
  return {
    architectures: ["BertForMaskedLM"],
    model_type: "bert",
    vocab_size: config.vocabSize,
    hidden_size: config.width,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    intermediate_size: config.mlpWidth,
    // GELU's tanh form, the one the course's tfjs models compute (BERT's own is the erf form, "gelu").
    hidden_act: "gelu_new",
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    max_position_embeddings: config.maxPositions,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEpsilon,
    pad_token_id: padId,
    position_embedding_type: "absolute",
    tie_word_embeddings: true,
    llm_course: { exported_by: "lib/onnx/transformersJsBert.ts", ...description },
  };
}

function writeJson(file: string, value: unknown, indent = 2): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, indent)}\n`);
}

/**
 * Writes `model` (a BERT from lib/models/bert) and its word tokenizer to `directory` in the transformers.js
 * layout (see the module comment) and returns what it wrote:
 * `exportBertToTransformersJs(model, tokenizer, "data/models/bert-tiny", { description: { trained_on: "…" } })`.
 * The tokenizer's vocabulary must be the model's. Existing files of the same names are replaced.
 */
export function exportBertToTransformersJs(model: ExportableBert, tokenizer: WordTokenizer, directory: string, options: TransformersJsExportOptions = {}): TransformersJsExport {
  if (typeof directory !== "string" || directory.length === 0) throw new TypeError("exportBertToTransformersJs: directory must be a non-empty path");
  const weights = bertWeights(model);
  if (tokenizer.vocabSize !== weights.config.vocabSize) {
    throw new RangeError(`exportBertToTransformersJs: the tokenizer has ${tokenizer.vocabSize} ids, the model ${weights.config.vocabSize}: export the tokenizer the model was trained with`);
  }
  const files = bertTokenizerJson(tokenizer, weights.config.maxPositions);
  const padId = tokenizer.specialTokenId("[PAD]")!;
  const root = path.resolve(directory);
  fs.mkdirSync(path.join(root, "onnx"), { recursive: true });
  writeJson(path.join(root, "config.json"), bertConfigJson(weights, padId, options.description));
  // One line: the vocabulary is thousands of entries, indentation would add a third to the file.
  writeJson(path.join(root, "tokenizer.json"), files.tokenizer, 0);
  writeJson(path.join(root, "tokenizer_config.json"), files.tokenizerConfig);
  return writeOnnxModels(root, bertToOnnx(weights), BERT_FOLDER_FILES.filter((file) => !file.startsWith("onnx/")), options.quantized ?? true);
}

/** A tfjs BERT and its tokenizer read back from an exported folder, with the folder's config.json. */
export interface LoadedBert {
  model: BERT;
  tokenizer: WordTokenizer;
  /** The folder's config.json (its `llm_course` field says how the model was trained). */
  config: Record<string, unknown>;
}

/**
 * The tfjs BERT and word tokenizer of a folder written by {@link exportBertToTransformersJs}, weights
 * taken from onnx/model.onnx (call `await initBackend()` first). Throws naming the missing file, with the
 * command that rebuilds the course's models.
 */
export function loadBertFromTransformersJs(directory: string): LoadedBert {
  const root = path.resolve(directory);
  for (const file of BERT_FOLDER_FILES) {
    if (!fs.existsSync(path.join(root, file))) throw new Error(`loadBertFromTransformersJs: ${path.join(root, file)} is missing (the course's models are rebuilt with \`npm run models\`)`);
  }
  const config = JSON.parse(fs.readFileSync(path.join(root, "config.json"), "utf8")) as Record<string, unknown>;
  if (config.model_type !== "bert") throw new Error(`loadBertFromTransformersJs: ${path.join(root, "config.json")} says model_type ${JSON.stringify(config.model_type)}, not "bert"`);
  const number = (key: string): number => {
    const value = config[key];
    if (typeof value !== "number") throw new Error(`loadBertFromTransformersJs: config.json has no number ${key}`);
    return value;
  };
  const tokenizer = loadBertWordTokenizer(root);
  const initializers = new Map<string, Float32Array>();
  for (const tensor of decodeModel(new Uint8Array(fs.readFileSync(path.join(root, "onnx", "model.onnx")))).graph?.initializer ?? []) {
    const { type, data } = tensorValues(tensor);
    if (type === "float32" && tensor.name) initializers.set(tensor.name, data as Float32Array);
  }
  const model = new BERT({
    vocabSize: number("vocab_size"),
    maxPositions: number("max_position_embeddings"),
    typeVocabSize: number("type_vocab_size"),
    layers: number("num_hidden_layers"),
    heads: number("num_attention_heads"),
    width: number("hidden_size"),
    mlpWidth: number("intermediate_size"),
    layerNormEpsilon: number("layer_norm_eps"),
    padId: number("pad_token_id"),
  });
  try {
    if (tokenizer.vocabSize !== model.config.vocabSize) throw new Error(`loadBertFromTransformersJs: tokenizer.json has ${tokenizer.vocabSize} ids, config.json ${model.config.vocabSize}`);
    for (const [name, variable] of model.namedParameters()) {
      const data = initializers.get(name);
      if (data === undefined) throw new Error(`loadBertFromTransformersJs: onnx/model.onnx has no initializer ${name} (was the folder written by exportBertToTransformersJs?)`);
      if (data.length !== variable.size) throw new Error(`loadBertFromTransformersJs: ${name} has ${data.length} values in onnx/model.onnx, the model needs ${variable.size}`);
      const values = tf.tensor(data, variable.shape, "float32");
      variable.assign(values);
      values.dispose();
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, tokenizer, config };
}
