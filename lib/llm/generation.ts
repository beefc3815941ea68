/**
 * The `text-generation` pipeline of transformers.js, typed for the notebooks (its own declarations need a
 * newer TypeScript than tslab's) and completed with what TP9 and TP11 measure:
 *
 *   const { pipe } = await loadPipeline<TextGenerationPipe>("text-generation", "gpt");
 *   await pipe("Call me", { max_new_tokens: 40, do_sample: false });        // the plain pipeline call
 *   await pipelineLogits(pipe, "Call me");                                   // next-token logits (top-5 table)
 *   await generateWithPipeline(pipe, "Call me", { maxNewTokens: 40, temperature: 0.8, topP: 0.9, stop: ".", seed: 1 });
 *   await pipelinePerplexity(pipe, ids, 128);                                // validation perplexity of an ONNX model
 *
 * transformers.js draws its samples from its own generator: {@link seedTransformers} (or the `seed`
 * option) makes a sampled generation reproducible. Two gaps of transformers.js 4.3 that
 * {@link generateWithPipeline} fills:
 * - `top_p` is accepted and ignored (its TopPLogitsWarper has no implementation and is never added), and
 *   `top_k` is applied by the sampler with a default of 50. Here top-k and top-p are a logits processor
 *   running lib/sampling's filters (temperature, then top-k, then top-p, as the Hugging Face library
 *   orders them) and the sampler's own top_k is switched off.
 * - there is no `stop` option (the Python library's `stop_strings`): it is a stopping criterion, and the
 *   text is cut before the stop sequence, as the OpenAI API does.
 */
import { findStopSequence, normalizeStop } from "../sampling/decode";
import { nextTokenDistribution } from "../sampling/filters";

/** A tensor as transformers.js returns it. */
export interface PipelineTensor {
  data: ArrayLike<number | bigint>;
  dims: number[];
  tolist(): unknown[];
}

/** The generation options of the pipeline call (Hugging Face names). */
export interface PipelineGenerationOptions {
  max_new_tokens?: number;
  do_sample?: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  return_full_text?: boolean;
  stopping_criteria?: unknown;
  [option: string]: unknown;
}

/** What the parts of a transformers.js text-generation pipeline the course uses look like. */
export interface TextGenerationPipe {
  (texts: string | string[], options?: PipelineGenerationOptions): Promise<unknown>;
  tokenizer: {
    (text: string | string[], options?: Record<string, unknown>): { input_ids: PipelineTensor; attention_mask: PipelineTensor };
    decode(ids: readonly (number | bigint)[], options?: { skip_special_tokens?: boolean }): string;
  };
  model: {
    (inputs: Record<string, unknown>): Promise<{ logits: PipelineTensor }>;
    generate(inputs: Record<string, unknown>): Promise<PipelineTensor>;
    config: Record<string, unknown>;
  };
  dispose(): Promise<void>;
}

/** The parts of the transformers.js module used here. */
interface TransformersModule {
  random: { seed(n?: number): void };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => PipelineTensor;
  StoppingCriteria: new () => object;
  LogitsProcessor: new () => object;
}

async function transformers(): Promise<TransformersModule> {
  return (await import("@huggingface/transformers")) as unknown as TransformersModule;
}

function checkPipe(pipe: TextGenerationPipe, where: string): void {
  if (typeof pipe !== "function" || typeof pipe.tokenizer !== "function" || typeof pipe.model !== "function") {
    throw new TypeError(`${where}: expected a text-generation pipeline (from loadPipeline("text-generation", "gpt"))`);
  }
}

/** Seeds transformers.js's sampling generator: the same seed gives the same sampled text. */
export async function seedTransformers(seed: number): Promise<void> {
  if (!Number.isInteger(seed)) throw new RangeError(`seedTransformers: seed must be an integer, got ${seed}`);
  (await transformers()).random.seed(seed);
}

/** The most positions the pipeline's model has (n_positions or max_position_embeddings; Infinity when unknown). */
export function pipelineContext(pipe: TextGenerationPipe): number {
  const config = pipe.model.config;
  const n = config.n_positions ?? config.max_position_embeddings;
  return typeof n === "number" && n > 0 ? n : Infinity;
}

/** The ids the pipeline's tokenizer gives `text` (no special tokens added for GPT-style tokenizers). */
export function pipelineTokenIds(pipe: TextGenerationPipe, text: string): number[] {
  checkPipe(pipe, "pipelineTokenIds");
  return Array.from(pipe.tokenizer(text).input_ids.data, Number);
}

/** The text of one token id, as the pipeline's tokenizer decodes it. */
export function pipelineTokenText(pipe: TextGenerationPipe, id: number): string {
  return pipe.tokenizer.decode([id]);
}

/** The logits of the token after `text`, from one forward pass of the pipeline's model (Float32Array of the vocabulary's size). */
export async function pipelineLogits(pipe: TextGenerationPipe, text: string): Promise<Float32Array> {
  checkPipe(pipe, "pipelineLogits");
  if (typeof text !== "string" || text.length === 0) throw new RangeError("pipelineLogits: text must be a non-empty string");
  const inputs = pipe.tokenizer(text);
  const { logits } = await pipe.model(inputs);
  const [, length, vocab] = logits.dims as [number, number, number];
  const data = logits.data as Float32Array;
  return Float32Array.from(data.subarray((length - 1) * vocab, length * vocab));
}

/** Options of {@link generateWithPipeline}. */
export interface PipelineGenerateOptions {
  /** Most new tokens; capped so that prompt + new tokens fit the model's context. */
  maxNewTokens: number;
  /** 0 (default) = greedy; > 0 samples at that temperature. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Stop as soon as the generated text contains one of these; the text is cut before it. */
  stop?: string | readonly string[];
  /** Seeds transformers.js's generator first (sampling only). */
  seed?: number;
}

/** What {@link generateWithPipeline} produced. */
export interface PipelineGeneration {
  /** The generated text, prompt excluded, cut before a stop sequence. */
  text: string;
  /** The new token ids (up to and including the token that completed a stop sequence). */
  ids: number[];
  finishReason: "stop" | "length";
  stoppedBy?: string;
  /** maxNewTokens after the context cap. */
  maxNewTokens: number;
  seconds: number;
  tokensPerSecond: number;
}

/**
 * Generates after `prompt` with the pipeline's model (its KV-cache loop), with temperature, top-k, top-p,
 * stop sequences and a token limit, and times it. `generateWithPipeline(pipe, "Call me", { maxNewTokens: 60, stop: "." })`.
 */
export async function generateWithPipeline(pipe: TextGenerationPipe, prompt: string, options: PipelineGenerateOptions): Promise<PipelineGeneration> {
  const where = "generateWithPipeline";
  checkPipe(pipe, where);
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object such as { maxNewTokens: 50 }`);
  const { temperature = 0, topK, topP, seed } = options;
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) throw new RangeError(`${where}: maxNewTokens must be an integer ≥ 1, got ${options.maxNewTokens}`);
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`${where}: temperature must be a finite number ≥ 0, got ${temperature}`);
  const stop = normalizeStop(options.stop, where);
  const module = await transformers();
  const inputs = pipe.tokenizer(prompt);
  const promptLength = inputs.input_ids.dims[1]!;
  const maxNewTokens = Math.min(options.maxNewTokens, pipelineContext(pipe) - promptLength);
  if (maxNewTokens < 1) throw new RangeError(`${where}: the prompt's ${promptLength} tokens fill the model's context of ${pipelineContext(pipe)}`);
  const generation: Record<string, unknown> = { ...inputs, max_new_tokens: maxNewTokens, do_sample: temperature > 0 };
  if (temperature > 0) {
    generation.temperature = temperature;
    // transformers.js's sampler keeps its default top_k = 50 unless told otherwise: 0 switches it off.
    generation.top_k = 0;
    if (topK !== undefined || topP !== undefined) {
      // Runs after transformers.js's temperature warper: the logits it sees are already divided by T.
      class TopKTopP extends module.LogitsProcessor {
        _call(_ids: bigint[][], logits: PipelineTensor): PipelineTensor {
          const vocab = logits.dims[logits.dims.length - 1]!;
          const data = logits.data as Float32Array;
          for (let start = 0; start < data.length; start += vocab) {
            const row = data.subarray(start, start + vocab);
            const kept = nextTokenDistribution(row, { topK, topP });
            for (let v = 0; v < vocab; v++) if (kept[v] === 0) row[v] = -Infinity;
          }
          return logits;
        }
      }
      generation.logits_processor = [new TopKTopP()];
    }
    if (seed !== undefined) module.random.seed(seed);
  }
  if (stop.length > 0) {
    // A stopping criterion: called after every new token with each sequence's ids; true ends that sequence.
    class StopSequences extends module.StoppingCriteria {
      _call(ids: bigint[][]): boolean[] {
        return ids.map((row) => findStopSequence(pipe.tokenizer.decode(row.slice(promptLength)), stop) !== null);
      }
    }
    generation.stopping_criteria = [new StopSequences()];
  }
  const started = performance.now();
  const output = await pipe.model.generate(generation);
  const seconds = (performance.now() - started) / 1000;
  const ids = ((output.tolist() as unknown[][])[0] ?? []).slice(promptLength).map(Number);
  const full = pipe.tokenizer.decode(ids, { skip_special_tokens: true });
  const found = stop.length > 0 ? findStopSequence(full, stop) : null;
  return {
    text: found ? full.slice(0, found.index) : full,
    ids,
    finishReason: found ? "stop" : "length",
    ...(found ? { stoppedBy: found.sequence } : {}),
    maxNewTokens,
    seconds,
    tokensPerSecond: ids.length / seconds,
  };
}

/**
 * Mean next-token loss (nats) and perplexity of the pipeline's model on `ids`, over the non-overlapping
 * windows of `blockSize` tokens at offsets 0, T, 2T, … (as lib/models/gpt's `evaluate` does, so the two
 * are comparable): each window's T inputs predict its next T tokens. `windows` limits how many are used.
 */
export async function pipelinePerplexity(
  pipe: TextGenerationPipe,
  ids: ArrayLike<number>,
  blockSize: number,
  options: { windows?: number; batchSize?: number } = {},
): Promise<{ loss: number; perplexity: number; tokens: number }> {
  const where = "pipelinePerplexity";
  checkPipe(pipe, where);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`${where}: blockSize must be an integer ≥ 1, got ${blockSize}`);
  if (blockSize > pipelineContext(pipe)) throw new RangeError(`${where}: windows of ${blockSize} tokens do not fit the model's context of ${pipelineContext(pipe)}`);
  const available = Math.floor((ids.length - 1) / blockSize);
  const windows = Math.min(available, options.windows ?? available);
  if (windows < 1) throw new RangeError(`${where}: ${ids.length} ids cannot fill one window of ${blockSize + 1} tokens`);
  const batchSize = options.batchSize ?? 16;
  const { Tensor } = await transformers();
  let total = 0;
  for (let start = 0; start < windows; start += batchSize) {
    const rows = Math.min(batchSize, windows - start);
    const input = new BigInt64Array(rows * blockSize);
    for (let r = 0; r < rows; r++) {
      const offset = (start + r) * blockSize;
      for (let t = 0; t < blockSize; t++) input[r * blockSize + t] = BigInt(ids[offset + t]!);
    }
    const { logits } = await pipe.model({
      input_ids: new Tensor("int64", input, [rows, blockSize]),
      attention_mask: new Tensor("int64", new BigInt64Array(rows * blockSize).fill(1n), [rows, blockSize]),
    });
    const vocab = logits.dims[2]!;
    const data = logits.data as Float32Array;
    for (let r = 0; r < rows; r++) {
      const offset = (start + r) * blockSize;
      for (let t = 0; t < blockSize; t++) {
        const row = data.subarray((r * blockSize + t) * vocab, (r * blockSize + t + 1) * vocab);
        let max = -Infinity;
        for (let v = 0; v < vocab; v++) if (row[v]! > max) max = row[v]!;
        let sum = 0;
        for (let v = 0; v < vocab; v++) sum += Math.exp(row[v]! - max);
        total += max + Math.log(sum) - row[ids[offset + t + 1]!]!;
      }
    }
  }
  const tokens = windows * blockSize;
  const loss = total / tokens;
  return { loss, perplexity: Math.exp(loss), tokens };
}
