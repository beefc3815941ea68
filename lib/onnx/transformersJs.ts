/**
 * A course GPT as a transformers.js model folder, loadable offline with
 * `pipeline("text-generation", "/absolute/path")` (an absolute or ./ path: a bare "models/foo" is taken
 * for a Hub id):
 *
 *   config.json              model_type "gpt2", so transformers.js picks GPT2LMHeadModel and its KV-cache loop
 *   generation_config.json   bos/eos/pad ids, max_length = the context
 *   tokenizer.json           Hugging Face tokenizer (byte-level BPE or characters, see ./tokenizerFiles)
 *   tokenizer_config.json    the special tokens' roles
 *   onnx/model.onnx          float32 graph (dtype "fp32", the default on Node)
 *   onnx/model_quantized.onnx  the course's q8 (dtype "q8"; the default on the wasm device)
 *
 * The context is short (n_positions = blockSize) and the graph has no position past it: pass
 * `max_new_tokens` ≤ n_positions − prompt length. The text-generation pipeline's own default (256 new
 * tokens) overrides generation_config.json's max_length, and onnxruntime then stops with "indices element
 * out of data bounds" in the position lookup. (The course's `GPT.generate` slides past the context by
 * restarting its cache; a stateless graph fed by transformers.js cannot.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { onnx } from "onnx-proto";
import { gptToOnnx, gptWeights, type ExportableGpt, type GptWeights } from "./gpt";
import { encodeModel } from "./proto";
import { quantizeModelQ8, type QuantizationReport } from "./quantize";
import { tokenizerFiles, type ExportableTokenizer } from "./tokenizerFiles";

/** Options of {@link exportGptToTransformersJs}. */
export interface TransformersJsExportOptions {
  /** Also write onnx/model_quantized.onnx with the course's q8 quantizer (default true). */
  quantized?: boolean;
  /** Extra fields stored under "llm_course" in config.json (what the model was trained on, for instance). */
  description?: Readonly<Record<string, string | number | boolean>>;
}

/** What was written. */
export interface TransformersJsExport {
  /** The folder, absolute: pass it to `pipeline(...)`. */
  directory: string;
  /** Paths relative to the folder. */
  files: string[];
  /** Bytes of onnx/model.onnx. */
  fp32Bytes: number;
  /** Bytes of onnx/model_quantized.onnx (when quantized). */
  q8Bytes?: number;
  /** The quantizer's report (when quantized). */
  quantization?: QuantizationReport;
}

function specialId(specials: ReadonlyMap<string, number>, ...names: string[]): number | null {
  for (const name of names) {
    const id = specials.get(name);
    if (id !== undefined) return id;
  }
  return null;
}

/** config.json in the GPT-2 layout (the fields transformers.js reads: n_head, n_layer, n_embd; the rest documents the model). */
export function gpt2ConfigJson(weights: GptWeights, specials: ReadonlyMap<string, number>, description: Readonly<Record<string, string | number | boolean>> = {}): Record<string, unknown> {
  const { config } = weights;
  const epsilon = weights.finalNorm.epsilon;
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: config.vocabSize,
    n_positions: config.blockSize,
    n_ctx: config.blockSize,
    n_embd: config.width,
    n_layer: config.layers,
    n_head: config.heads,
    n_inner: config.mlpWidth,
    activation_function: "gelu_new",
    layer_norm_epsilon: epsilon,
    tie_word_embeddings: config.tiedEmbeddings,
    bos_token_id: specialId(specials, "<s>", "<|endoftext|>"),
    eos_token_id: specialId(specials, "</s>", "<|endoftext|>"),
    pad_token_id: specialId(specials, "<pad>"),
    use_cache: true,
    llm_course: { positions: config.positions, exported_by: "lib/onnx/transformersJs.ts", ...description },
  };
}

/** generation_config.json: the special ids, and max_length = the context (the position table ends there). */
export function generationConfigJson(weights: GptWeights, specials: ReadonlyMap<string, number>): Record<string, unknown> {
  return {
    bos_token_id: specialId(specials, "<s>", "<|endoftext|>"),
    eos_token_id: specialId(specials, "</s>", "<|endoftext|>"),
    pad_token_id: specialId(specials, "<pad>"),
    max_length: weights.config.blockSize,
    do_sample: false,
  };
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes `model` (a GPT from lib/models/gpt) and its tokenizer to `directory` in the transformers.js layout
 * (see the module comment) and returns what it wrote:
 * `exportGptToTransformersJs(model, tokenizer, "models/moby-gpt", { quantized: true })`.
 * The tokenizer's vocabulary must be the model's. Existing files of the same names are replaced.
 */
export function exportGptToTransformersJs(model: ExportableGpt, tokenizer: ExportableTokenizer, directory: string, options: TransformersJsExportOptions = {}): TransformersJsExport {
  if (typeof directory !== "string" || directory.length === 0) throw new TypeError("exportGptToTransformersJs: directory must be a non-empty path");
  const tokenizerJson = tokenizerFiles(tokenizer);
  const weights = gptWeights(model);
  if (tokenizerJson.vocabSize !== weights.config.vocabSize) {
    throw new RangeError(`exportGptToTransformersJs: the tokenizer has ${tokenizerJson.vocabSize} ids, the model ${weights.config.vocabSize}: export the tokenizer the model was trained with`);
  }
  const root = path.resolve(directory);
  fs.mkdirSync(path.join(root, "onnx"), { recursive: true });
  writeJson(path.join(root, "config.json"), gpt2ConfigJson(weights, tokenizerJson.specialTokens, options.description));
  writeJson(path.join(root, "generation_config.json"), generationConfigJson(weights, tokenizerJson.specialTokens));
  writeJson(path.join(root, "tokenizer.json"), tokenizerJson.tokenizer);
  writeJson(path.join(root, "tokenizer_config.json"), tokenizerJson.tokenizerConfig);
  return writeOnnxModels(root, gptToOnnx(weights), ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"], options.quantized ?? true);
}

/**
 * Writes `graph` as onnx/model.onnx in `root` (and its q8 variant onnx/model_quantized.onnx when
 * `quantized`); returns the export's record, `files` listing `writtenFiles` and the models.
 */
export function writeOnnxModels(root: string, graph: onnx.ModelProto, writtenFiles: readonly string[], quantized: boolean): TransformersJsExport {
  const fp32 = encodeModel(graph);
  fs.writeFileSync(path.join(root, "onnx", "model.onnx"), fp32);
  const result: TransformersJsExport = { directory: root, files: [...writtenFiles, "onnx/model.onnx"], fp32Bytes: fp32.length };
  if (quantized) {
    const { model: q8, report } = quantizeModelQ8(graph);
    const bytes = encodeModel(q8);
    fs.writeFileSync(path.join(root, "onnx", "model_quantized.onnx"), bytes);
    result.files.push("onnx/model_quantized.onnx");
    result.q8Bytes = bytes.length;
    result.quantization = report;
  }
  return result;
}
