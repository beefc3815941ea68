/**
 * A transformers.js model folder's ONNX decoder with its KV cache, many sequences per forward pass: what the
 * generation engine (./engine) runs in its worker thread (./decoder-worker), one call per forward pass.
 *
 * The running rows share one cache per layer, [batch, kv heads, width, d_head], each row right-aligned: its
 * real positions are the last `length` slots and the slots before them are padding that `attention_mask`
 * hides (the graph gives them −1e9, an exact 0 after softmax), while `position_ids` carry each row's real
 * positions. A decode step feeds every row's newest token in one pass and takes the `present` tensors back
 * as the next `past` without copying them. A prefill runs new prompts together in their own pass, left-padded,
 * and keeps their cache aside; the next pass says which running rows stay and which prefilled rows join, and
 * the cache is rebuilt (one copy) only when that changes the batch. Only each row's last logits leave.
 */
import * as fs from "node:fs";
import type * as Ort from "onnxruntime-node";
import { onnxRuntime } from "../onnx/runtime";

/** The architecture the engine needs, from config.json and the graph's inputs. */
export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  contextLength: number;
  hasPositionIds: boolean;
}

const CACHE_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;

export function readJsonFile(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`createEngine: cannot read ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (error) {
    throw new Error(`createEngine: ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The first of `names` that config.json has, as an integer ≥ 1 (undefined when none is there). */
function configInteger(config: Record<string, unknown>, file: string, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = config[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new Error(`createEngine: ${file} has ${name} = ${JSON.stringify(value)}; expected an integer ≥ 1`);
    return value;
  }
  return undefined;
}

function requiredInteger(config: Record<string, unknown>, file: string, ...names: string[]): number {
  const value = configInteger(config, file, ...names);
  if (value === undefined) throw new Error(`createEngine: ${file} has no ${names.join(" or ")}`);
  return value;
}

/** A numeric dimension of a graph input or output, or undefined when it is symbolic or unknown. */
function fixedDim(metadata: readonly Ort.InferenceSession.ValueMetadata[], name: string, axis: number): number | undefined {
  const entry = metadata.find((m) => m.name === name);
  if (entry === undefined || !entry.isTensor) return undefined;
  const dim = entry.shape[axis];
  return typeof dim === "number" && dim > 0 ? dim : undefined;
}

export function decoderShape(session: Ort.InferenceSession, config: Record<string, unknown>, configFile: string, modelFile: string): DecoderShape {
  const layers = requiredInteger(config, configFile, "num_hidden_layers", "n_layer");
  const heads = requiredInteger(config, configFile, "num_attention_heads", "n_head");
  const hidden = requiredInteger(config, configFile, "hidden_size", "n_embd");
  const contextLength = requiredInteger(config, configFile, "max_position_embeddings", "n_positions", "n_ctx");
  let kvHeads = configInteger(config, configFile, "num_key_value_heads") ?? heads;
  let headDim = configInteger(config, configFile, "head_dim") ?? hidden / heads;
  if (!Number.isInteger(headDim)) throw new Error(`createEngine: ${configFile}: the attention heads (${heads}) do not divide the width (${hidden})`);

  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  const expected = ["input_ids", "attention_mask"];
  for (let i = 0; i < layers; i++) expected.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
  const missing = expected.filter((name) => !inputs.has(name));
  if (missing.length > 0) {
    throw new Error(`createEngine: ${modelFile} is not a decoder with a KV cache for ${layers} layers: it lacks the inputs ${missing.join(", ")} (it takes ${session.inputNames.join(", ")})`);
  }
  const unknown = session.inputNames.filter((name) => !expected.includes(name) && name !== "position_ids");
  if (unknown.length > 0) throw new Error(`createEngine: ${modelFile} takes inputs the engine cannot feed: ${unknown.join(", ")}`);
  const extraLayers = session.inputNames.filter((name) => CACHE_INPUT.test(name) && Number(CACHE_INPUT.exec(name)![1]) >= layers);
  if (extraLayers.length > 0) throw new Error(`createEngine: ${modelFile} has more cache inputs than the ${layers} layers of ${configFile} (${extraLayers[0]})`);
  const expectedOutputs = ["logits"];
  for (let i = 0; i < layers; i++) expectedOutputs.push(`present.${i}.key`, `present.${i}.value`);
  const missingOutputs = expectedOutputs.filter((name) => !outputs.has(name));
  if (missingOutputs.length > 0) throw new Error(`createEngine: ${modelFile} lacks the outputs ${missingOutputs.join(", ")} (it gives ${session.outputNames.join(", ")})`);

  const cacheInput = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
  if (cacheInput?.isTensor && cacheInput.type !== "float32") {
    throw new Error(`createEngine: ${modelFile} keeps its cache in ${cacheInput.type}; the engine runs float32 caches (dtype fp32 or q8)`);
  }
  const logits = session.outputMetadata.find((m) => m.name === "logits");
  if (logits?.isTensor && logits.type !== "float32") throw new Error(`createEngine: ${modelFile} gives its logits in ${logits.type}; the engine reads float32 logits (dtype fp32 or q8)`);
  // The graph's own cache shape wins over config.json (exports name head_dim differently).
  kvHeads = fixedDim(session.inputMetadata, "past_key_values.0.key", 1) ?? kvHeads;
  headDim = fixedDim(session.inputMetadata, "past_key_values.0.key", 3) ?? headDim;
  const vocabSize = fixedDim(session.outputMetadata, "logits", 2) ?? requiredInteger(config, configFile, "vocab_size");
  return { layers, kvHeads, headDim, vocabSize, contextLength, hasPositionIds: inputs.has("position_ids") };
}

/** One cache tensor per layer and kind (key, value of layer 0, then of layer 1…), all [batch, kvHeads, width, headDim]. */
interface Cache {
  tensors: Ort.Tensor[];
  width: number;
}

/** A row of a new cache: which row of which cache it copies. */
interface RowSource {
  cache: Cache;
  index: number;
  length: number;
}

/** The name of cache tensor `i` (key of layer 0, value of layer 0, key of layer 1…) among the inputs or outputs. */
function cacheName(prefix: "past_key_values" | "present", i: number): string {
  return `${prefix}.${i >> 1}.${i & 1 ? "value" : "key"}`;
}

/** The feeds of a prefill: `prompts` left-padded to the longest (mask 0, position 0 on the padding), empty caches. */
function prefillFeeds(ort: typeof Ort, shape: DecoderShape, prompts: readonly (readonly number[])[]): Record<string, Ort.Tensor> {
  const n = prompts.length;
  const T = Math.max(...prompts.map((p) => p.length));
  const ids = new BigInt64Array(n * T);
  const positions = new BigInt64Array(n * T);
  const mask = new BigInt64Array(n * T);
  prompts.forEach((prompt, r) => {
    const start = r * T + T - prompt.length;
    prompt.forEach((id, j) => {
      ids[start + j] = BigInt(id);
      positions[start + j] = BigInt(j);
      mask[start + j] = 1n;
    });
  });
  const feeds: Record<string, Ort.Tensor> = { input_ids: new ort.Tensor("int64", ids, [n, T]), attention_mask: new ort.Tensor("int64", mask, [n, T]) };
  if (shape.hasPositionIds) feeds.position_ids = new ort.Tensor("int64", positions, [n, T]);
  const empty = new Float32Array(0);
  for (let i = 0; i < 2 * shape.layers; i++) feeds[cacheName("past_key_values", i)] = new ort.Tensor("float32", empty, [n, shape.kvHeads, 0, shape.headDim]);
  return feeds;
}

/**
 * Whether the graph honours left padding: a prompt's next-token logits must stay (nearly) the same when it is
 * left-padded in a batch beside a longer prompt. Graphs whose fused attention assumes right padding (ONNX
 * Runtime's GroupQueryAttention reads only the mask's row sums) attend to the padding and fail, so they
 * must run one sequence per pass. The tolerance, a tenth of the largest logit, lets dynamically quantized
 * graphs (q8) batch: their activations share one quantization scale per tensor, so a row's logits move by
 * about 1 % with the other rows of its batch (so do their sampled tokens, rarely) — far less than padding seen.
 */
export async function paddingWorks(session: Ort.InferenceSession, shape: DecoderShape): Promise<boolean> {
  const ort = onnxRuntime();
  const V = shape.vocabSize;
  const tokens = (count: number, salt: number) => Array.from({ length: count }, (_, i) => (7 * i + salt) % V);
  const short = tokens(Math.min(5, shape.contextLength), 1);
  const long = tokens(Math.min(15, shape.contextLength), 4);
  const alone = (await session.run(prefillFeeds(ort, shape, [short]))).logits!.data as Float32Array;
  const padded = (await session.run(prefillFeeds(ort, shape, [long, short]))).logits!.data as Float32Array;
  // The last position of [1, L, V] and of row 1 of [2, T, V].
  const L = short.length;
  const T = long.length;
  const expected = alone.subarray((L - 1) * V, L * V);
  const got = padded.subarray((2 * T - 1) * V, 2 * T * V);
  let scale = 1;
  let difference = 0;
  for (let i = 0; i < V; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    difference = Math.max(difference, Math.abs(got[i]! - expected[i]!));
  }
  return difference <= 0.1 * scale;
}


/** Which rows the batch keeps before a pass: running rows by index, then rows of the last prefill by index. */
export interface BatchChange {
  keep: readonly number[];
  join: readonly number[];
}

/** One forward pass: new prompts, or the newest token of every row of the (changed) batch. */
export type DecoderPass = (BatchChange & { op: "prefill"; prompts: number[][] }) | (BatchChange & { op: "decode"; ids: number[] });

/** The decoder and its cache (see the module comment). */
export class CachedDecoder {
  private readonly ort = onnxRuntime();
  /** The running rows' cache and lengths (tokens in the cache, i.e. the next token's position). */
  private cache: Cache | null = null;
  private lengths: number[] = [];
  /** The last prefill's cache and prompt lengths, until the next pass says which of its rows join. */
  private prefilled: { cache: Cache; lengths: number[] } | null = null;

  constructor(
    readonly session: Ort.InferenceSession,
    readonly shape: DecoderShape,
  ) {}

  /** Runs one pass and returns the last position's logits of each row, [rows × vocabulary]. */
  async run(pass: DecoderPass): Promise<Float32Array> {
    this.change(pass);
    const { vocabSize } = this.shape;
    if (pass.op === "prefill") {
      const feeds = prefillFeeds(this.ort, this.shape, pass.prompts);
      const outputs = await this.session.run(feeds);
      const T = feeds.input_ids!.dims[1]!;
      this.prefilled = { cache: this.present(outputs, T), lengths: pass.prompts.map((p) => p.length) };
      return lastLogits(outputs.logits!.data as Float32Array, pass.prompts.length, T, vocabSize);
    }
    if (pass.ids.length !== this.lengths.length) throw new Error(`decode pass of ${pass.ids.length} tokens for a batch of ${this.lengths.length} rows`);
    if (this.cache === null) throw new Error("decode pass without a running row");
    const feeds = this.decodeFeeds(this.cache, pass.ids);
    const outputs = await this.session.run(feeds);
    this.cache = this.present(outputs, feeds.attention_mask!.dims[1]!);
    this.lengths = this.lengths.map((n) => n + 1);
    return lastLogits(outputs.logits!.data as Float32Array, pass.ids.length, 1, vocabSize);
  }

  async release(): Promise<void> {
    this.cache = null;
    this.prefilled = null;
    await this.session.release();
  }

  /** The batch becomes `keep`'s running rows then `join`'s prefilled rows; copied only when that changes it. */
  private change({ keep, join }: BatchChange): void {
    const unchanged = join.length === 0 && keep.length === this.lengths.length && keep.every((row, i) => row === i);
    const prefilled = this.prefilled;
    this.prefilled = null;
    if (unchanged) return;
    const sources: RowSource[] = [
      ...keep.map((index) => ({ cache: this.cache!, index, length: this.lengths[index]! })),
      ...join.map((index) => ({ cache: prefilled!.cache, index, length: prefilled!.lengths[index]! })),
    ];
    if (sources.some((s) => s.cache === null || s.cache === undefined || s.length === undefined)) throw new Error("a batch change names rows that do not exist");
    this.lengths = sources.map((s) => s.length);
    this.cache = sources.length === 0 ? null : this.gatherRows(sources);
  }

  private present(outputs: Ort.InferenceSession.OnnxValueMapType, width: number): Cache {
    const tensors: Ort.Tensor[] = [];
    for (let i = 0; i < 2 * this.shape.layers; i++) tensors.push(outputs[cacheName("present", i)] as Ort.Tensor);
    return { tensors, width };
  }

  /** The feeds of a decode step: every row's newest token after its cache (right-aligned in the shared width). */
  private decodeFeeds(cache: Cache, tokens: readonly number[]): Record<string, Ort.Tensor> {
    const { Tensor } = this.ort;
    const n = tokens.length;
    const past = cache.width;
    const ids = new BigInt64Array(n);
    const positions = new BigInt64Array(n);
    const mask = new BigInt64Array(n * (past + 1));
    tokens.forEach((id, r) => {
      const length = this.lengths[r]!;
      ids[r] = BigInt(id);
      positions[r] = BigInt(length);
      mask.fill(1n, r * (past + 1) + past - length, (r + 1) * (past + 1));
    });
    const feeds: Record<string, Ort.Tensor> = { input_ids: new Tensor("int64", ids, [n, 1]), attention_mask: new Tensor("int64", mask, [n, past + 1]) };
    if (this.shape.hasPositionIds) feeds.position_ids = new Tensor("int64", positions, [n, 1]);
    cache.tensors.forEach((tensor, i) => (feeds[cacheName("past_key_values", i)] = tensor));
    return feeds;
  }

  /** A new cache holding `sources`' rows right-aligned, as wide as the longest of them. */
  private gatherRows(sources: readonly RowSource[]): Cache {
    const { kvHeads, headDim } = this.shape;
    const width = Math.max(...sources.map((s) => s.length));
    const tensors: Ort.Tensor[] = [];
    for (let t = 0; t < 2 * this.shape.layers; t++) {
      const out = new Float32Array(sources.length * kvHeads * width * headDim);
      sources.forEach((source, b) => {
        const from = source.cache.tensors[t]!.data as Float32Array;
        const fromWidth = source.cache.width;
        for (let h = 0; h < kvHeads; h++) {
          const start = ((source.index * kvHeads + h) * fromWidth + fromWidth - source.length) * headDim;
          out.set(from.subarray(start, start + source.length * headDim), ((b * kvHeads + h) * width + width - source.length) * headDim);
        }
      });
      tensors.push(new this.ort.Tensor("float32", out, [sources.length, kvHeads, width, headDim]));
    }
    return { tensors, width };
  }
}

/** The logits of each row's last position, out of [rows, T, vocabulary]: a new array (it leaves the thread). */
function lastLogits(logits: Float32Array, rows: number, T: number, vocabSize: number): Float32Array {
  const out = new Float32Array(rows * vocabSize);
  for (let r = 0; r < rows; r++) out.set(logits.subarray((r * T + T - 1) * vocabSize, (r * T + T) * vocabSize), r * vocabSize);
  return out;
}
