/**
 * The generation engine behind the server: a transformers.js model folder's ONNX decoder run with
 * onnxruntime-node and a KV cache, many sequences per forward pass (continuous batching at step granularity).
 *
 * The running sequences share one cache per layer, [batch, kv heads, width, d_head], each row right-aligned:
 * its real positions are the last `length` slots and the slots before them are padding that
 * `attention_mask` hides (the graph gives them −1e9, an exact 0 after softmax), while `position_ids` carry
 * each row's real positions. A decode step feeds every row's newest token in one pass and takes the
 * `present` tensors back as the next `past` without copying them. The cache is rebuilt (one copy) only when
 * the batch changes: new sequences, prefilled together in their own pass with left padding, join at the
 * next step, and finished or aborted sequences leave at once (the width shrinks to the longest row left).
 *
 * Per-row sampling: greedy (ties → the lowest id) at temperature 0, otherwise temperature, top-k and top-p
 * (lib/sampling/filters) with the request's own seeded {@link Random}, so a request's tokens do not depend
 * on what else runs in the batch. A constraint's disallowed tokens get −∞ first; stop tokens are allowed
 * exactly when it says done(). Reported log-probabilities are those of the distribution the token is drawn
 * from before top-k/top-p: softmax(logits / T) over the allowed tokens, at T = 1 when decoding is greedy.
 * A handle's tokens have one reader; leaving its `for await` loop early aborts the sequence.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as Ort from "onnxruntime-node";
import { createSession, onnxRuntime } from "../onnx/runtime";
import { Random } from "../random";
import { greedyToken, rankTokens, topKFilter, topPFilter } from "../sampling/filters";
import { softmax } from "../sampling/temperature";
import { QueueFullError, type FinishReason, type GeneratedToken, type GenerationEngine, type GenerationHandle, type GenerationRequest } from "./types";

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** Most sequences in one forward pass (default 8). */
  maxBatch?: number;
  /** Most requests waiting for a slot; one more throws {@link QueueFullError} (default 64). */
  maxQueue?: number;
  /** "fp32": onnx/model.onnx (default); "q8": onnx/model_quantized.onnx. */
  dtype?: "fp32" | "q8";
  /** onnxruntime threads inside one operator (default 1). */
  threads?: number;
}

/** The most alternatives a token may report (the OpenAI API's limit). */
const MAX_TOP_LOGPROBS = 20;

/**
 * Most logits one prefill pass may return ([sequences, longest prompt, vocabulary] float32): a burst of
 * long prompts on a large vocabulary is prefilled in several passes rather than in one huge output.
 */
const PREFILL_LOGITS_BUDGET = 1 << 25;

/** The architecture the engine needs, from config.json and the graph's inputs. */
interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  contextLength: number;
  hasPositionIds: boolean;
}

const CACHE_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;

function readJsonFile(file: string, what: string): Record<string, unknown> {
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

function decoderShape(session: Ort.InferenceSession, config: Record<string, unknown>, configFile: string, modelFile: string): DecoderShape {
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

/** A sequence's tokens as an async iterable with one reader; leaving the loop early aborts the sequence. */
class TokenStream implements AsyncIterable<GeneratedToken> {
  private buffer: GeneratedToken[] = [];
  private closed = false;
  private error: unknown = null;
  private waiter: { resolve: (r: IteratorResult<GeneratedToken>) => void; reject: (e: unknown) => void } | null = null;
  private reading = false;

  constructor(private readonly cancel: () => void) {}

  push(token: GeneratedToken): void {
    if (this.closed) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve({ value: token, done: false });
    } else this.buffer.push(token);
  }

  end(error: unknown = null): void {
    if (this.closed) return;
    this.closed = true;
    this.error = error;
    if (this.waiter && this.buffer.length === 0) {
      const { resolve, reject } = this.waiter;
      this.waiter = null;
      if (error !== null) reject(error);
      else resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<GeneratedToken> {
    if (this.reading) throw new Error("GenerationHandle.tokens can be read only once");
    this.reading = true;
    return {
      next: () => {
        const token = this.buffer.shift();
        if (token !== undefined) return Promise.resolve({ value: token, done: false });
        if (this.closed) {
          const error = this.error;
          this.error = null;
          return error !== null ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
      },
      return: () => {
        if (!this.closed) this.cancel();
        this.buffer = [];
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** One request while it waits or runs. */
interface Sequence {
  request: GenerationRequest;
  prompt: readonly number[];
  rng: Random | null;
  stream: TokenStream;
  settle: (outcome: { reason: FinishReason } | { error: unknown }) => void;
  generated: number;
  /** Tokens in the cache (its real positions; the next token fed gets this position). */
  length: number;
  /** The token drawn last, fed at the next decode step. */
  next: number;
  aborted: boolean;
  ended: boolean;
  submittedAt: number;
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
async function paddingWorks(session: Ort.InferenceSession, shape: DecoderShape): Promise<boolean> {
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

function checkInteger(value: unknown, name: string, min: number, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`GenerationEngine.submit: ${name} must be an integer ${max === Infinity ? `≥ ${min}` : `in ${min}…${max}`}, got ${String(value)}`);
  }
  return value;
}

class BatchedEngine implements GenerationEngine {
  readonly vocabSize: number;
  readonly contextLength: number;
  private readonly ort = onnxRuntime();
  private readonly waiting: Sequence[] = [];
  private batch: Sequence[] = [];
  /** Sequences in the prefill pass in flight: no longer waiting, not yet in the batch. */
  private starting: Sequence[] = [];
  private cache: Cache | null = null;
  private loop: Promise<void> | null = null;
  private closed = false;
  private steps = 0;
  private largestBatch = 0;
  /** Running mean of how long a request takes from submit to its end, for Retry-After. */
  private meanSeconds = 1;
  private readonly mask: Uint8Array;

  constructor(
    private readonly session: Ort.InferenceSession,
    private readonly shape: DecoderShape,
    private readonly maxBatch: number,
    private readonly maxQueue: number,
  ) {
    this.vocabSize = shape.vocabSize;
    this.contextLength = shape.contextLength;
    this.mask = new Uint8Array(shape.vocabSize);
  }

  submit(request: GenerationRequest): GenerationHandle {
    if (this.closed) throw new Error("GenerationEngine.submit: the engine is closed");
    const prompt = this.checkRequest(request);
    if (this.batch.length + this.starting.length + this.waiting.length >= this.maxBatch + this.maxQueue) {
      throw new QueueFullError(Math.max(1, Math.ceil((this.meanSeconds * (this.waiting.length + 1)) / this.maxBatch)));
    }
    let settle!: Sequence["settle"];
    const finished = new Promise<{ reason: FinishReason; promptTokens: number; completionTokens: number }>((resolve, reject) => {
      settle = (outcome) => {
        if (sequence.ended) return;
        sequence.ended = true;
        request.signal?.removeEventListener("abort", onAbort);
        const seconds = (performance.now() - sequence.submittedAt) / 1000;
        this.meanSeconds = 0.9 * this.meanSeconds + 0.1 * seconds;
        if ("error" in outcome) {
          sequence.stream.end(outcome.error);
          reject(outcome.error);
        } else {
          sequence.stream.end();
          resolve({ reason: outcome.reason, promptTokens: prompt.length, completionTokens: sequence.generated });
        }
      };
    });
    // The caller may watch only the tokens: a failure must not also surface as an unhandled rejection.
    finished.catch(() => undefined);
    const onAbort = (): void => this.abort(sequence);
    const { seed, temperature } = request.sampling;
    const sequence: Sequence = {
      request,
      prompt,
      rng: temperature > 0 ? new Random(seed ?? Math.floor(Math.random() * 2 ** 32)) : null,
      stream: new TokenStream(onAbort),
      settle: (outcome) => settle(outcome),
      generated: 0,
      length: 0,
      next: -1,
      aborted: false,
      ended: false,
      submittedAt: performance.now(),
    };
    if (request.signal?.aborted) sequence.settle({ reason: "abort" });
    else if (prompt.length >= this.contextLength) sequence.settle({ reason: "length" });
    else {
      request.signal?.addEventListener("abort", onAbort);
      this.waiting.push(sequence);
      this.wake();
    }
    return { tokens: sequence.stream, finished };
  }

  stats(): { active: number; queued: number; steps: number; largestBatch: number } {
    return { active: this.batch.length + this.starting.length, queued: this.waiting.length, steps: this.steps, largestBatch: this.largestBatch };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sequence of this.waiting.splice(0)) sequence.settle({ reason: "abort" });
    await this.loop;
    for (const sequence of this.batch) sequence.settle({ reason: "abort" });
    this.batch = [];
    this.cache = null;
    await this.session.release();
  }

  /** Validates a request and returns its prompt as a copy (the caller may reuse its array). */
  private checkRequest(request: GenerationRequest): number[] {
    if (request === null || typeof request !== "object") throw new TypeError("GenerationEngine.submit: expected a request { promptIds, maxTokens, sampling, stopTokenIds, topLogprobs }");
    const { promptIds, sampling, stopTokenIds, constraint, signal } = request;
    if (!Array.isArray(promptIds)) throw new TypeError("GenerationEngine.submit: promptIds must be an array of token ids");
    if (promptIds.length === 0) throw new RangeError("GenerationEngine.submit: the prompt is empty (promptIds needs at least one token id)");
    if (promptIds.length > this.contextLength) {
      throw new RangeError(`GenerationEngine.submit: the prompt has ${promptIds.length} tokens, more than the model's context of ${this.contextLength}`);
    }
    const prompt = promptIds.map((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`GenerationEngine.submit: promptIds[${i}] = ${String(id)} is not a token id (0…${this.vocabSize - 1})`);
      return id;
    });
    checkInteger(request.maxTokens, "maxTokens", 1);
    checkInteger(request.topLogprobs, "topLogprobs", 0, MAX_TOP_LOGPROBS);
    if (sampling === null || typeof sampling !== "object") throw new TypeError("GenerationEngine.submit: sampling must be an object { temperature, topP, topK, seed? }");
    const { temperature, topP, topK, seed } = sampling;
    if (typeof temperature !== "number" || !Number.isFinite(temperature) || temperature < 0) {
      throw new RangeError(`GenerationEngine.submit: sampling.temperature must be a finite number ≥ 0, got ${String(temperature)}`);
    }
    if (typeof topP !== "number" || !(topP > 0 && topP <= 1)) throw new RangeError(`GenerationEngine.submit: sampling.topP must be in (0, 1], got ${String(topP)}`);
    checkInteger(topK, "sampling.topK", 0);
    if (seed !== undefined && (typeof seed !== "number" || !Number.isFinite(seed))) throw new RangeError(`GenerationEngine.submit: sampling.seed must be a finite number, got ${String(seed)}`);
    if (!Array.isArray(stopTokenIds)) throw new TypeError("GenerationEngine.submit: stopTokenIds must be an array of token ids");
    stopTokenIds.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`GenerationEngine.submit: stopTokenIds[${i}] = ${String(id)} is not a token id (0…${this.vocabSize - 1})`);
    });
    if (constraint !== undefined && (constraint === null || typeof constraint.allowed !== "function" || typeof constraint.advance !== "function" || typeof constraint.done !== "function")) {
      throw new TypeError("GenerationEngine.submit: constraint must have allowed(mask), advance(id) and done()");
    }
    if (signal !== undefined && (signal === null || typeof signal.addEventListener !== "function")) throw new TypeError("GenerationEngine.submit: signal must be an AbortSignal");
    return prompt;
  }

  private abort(sequence: Sequence): void {
    if (sequence.ended) return;
    sequence.aborted = true;
    const queued = this.waiting.indexOf(sequence);
    if (queued >= 0) {
      this.waiting.splice(queued, 1);
      sequence.settle({ reason: "abort" });
    }
    // A running sequence leaves the batch after the pass in flight (the loop is running while the batch is not empty).
  }

  private wake(): void {
    if (this.loop !== null || this.closed || this.waiting.length === 0) return;
    // setImmediate: requests submitted in the same tick are prefilled together.
    this.loop = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.run())
      .catch((error: unknown) => {
        // A bug of the engine itself: the sequences it holds fail with it, and later requests start afresh.
        for (const s of [...this.starting, ...this.batch]) s.settle({ error });
        this.starting = [];
        this.batch = [];
        this.cache = null;
      })
      .finally(() => {
        this.loop = null;
        this.wake();
      });
  }

  private async run(): Promise<void> {
    while (!this.closed && (this.batch.length > 0 || this.waiting.length > 0)) {
      this.dropAborted();
      const admitted = this.admit();
      if (admitted.length > 0) await this.pass(admitted);
      if (this.closed) break;
      this.dropAborted();
      if (this.batch.length > 0) await this.pass([]);
    }
  }

  /** Sequences aborted since the last pass leave now: they cost no more compute and their slots are free for admission. */
  private dropAborted(): void {
    if (!this.batch.some((s) => s.aborted)) return;
    for (const s of this.batch) if (s.aborted) s.settle({ reason: "abort" });
    this.keep(this.batch, this.cache!);
  }

  /** The batch becomes the sequences of `rows` that have not ended, their caches taken from `cache` (row i of `cache` is rows[i]). */
  private keep(rows: readonly Sequence[], cache: Cache): void {
    const kept = rows.filter((s) => !s.ended);
    this.batch = kept;
    if (kept.length === rows.length) this.cache = cache;
    else this.cache = kept.length === 0 ? null : this.gatherRows(kept.map((s) => ({ cache, index: rows.indexOf(s), length: s.length })));
  }

  /** Takes waiting requests for the free slots, as many as one prefill pass holds. */
  private admit(): Sequence[] {
    const admitted: Sequence[] = [];
    let longest = 0;
    while (this.waiting.length > 0 && this.batch.length + admitted.length < this.maxBatch) {
      const candidate = this.waiting[0]!;
      const nextLongest = Math.max(longest, candidate.prompt.length);
      if (admitted.length > 0 && (admitted.length + 1) * nextLongest * this.vocabSize > PREFILL_LOGITS_BUDGET) break;
      admitted.push(this.waiting.shift()!);
      longest = nextLongest;
    }
    return admitted;
  }

  /**
   * One forward pass: the prompts of `admitted` (a prefill, left-padded to the longest) or, when it is
   * empty, the newest token of every running sequence. Draws one token per row, then rebuilds the batch.
   */
  private async pass(admitted: Sequence[]): Promise<void> {
    const prefill = admitted.length > 0;
    const rows = prefill ? admitted : this.batch;
    const n = rows.length;
    const feeds = prefill ? prefillFeeds(this.ort, this.shape, rows.map((s) => s.prompt)) : this.decodeFeeds();
    const T = feeds.input_ids!.dims[1]!;
    this.starting = admitted;
    let outputs: Ort.InferenceSession.OnnxValueMapType;
    try {
      outputs = await this.session.run(feeds);
    } catch (error) {
      const failure = new Error(`the model failed on a batch of ${n} sequences: ${(error as Error).message}`);
      for (const s of rows) s.settle({ error: failure });
      if (!prefill) {
        this.batch = [];
        this.cache = null;
      }
      return;
    } finally {
      this.starting = [];
      this.steps++;
      this.largestBatch = Math.max(this.largestBatch, n);
    }
    const { layers, vocabSize } = this.shape;
    const logits = outputs.logits!.data as Float32Array;
    const present: Cache = { tensors: [], width: feeds.attention_mask!.dims[1]! };
    for (let i = 0; i < 2 * layers; i++) present.tensors.push(outputs[cacheName("present", i)] as Ort.Tensor);

    rows.forEach((s, r) => {
      s.length = prefill ? s.prompt.length : s.length + 1;
      if (s.aborted || this.closed) return s.settle({ reason: "abort" });
      const offset = (r * T + T - 1) * vocabSize;
      this.step(s, logits.subarray(offset, offset + vocabSize));
    });

    // The new batch: the running rows that go on, then the prefilled ones; copied only when it changed.
    if (!prefill) return this.keep(rows, present);
    const joined = rows.filter((s) => !s.ended);
    if (joined.length === 0) return;
    const sources: RowSource[] = [
      ...this.batch.map((s, index) => ({ cache: this.cache!, index, length: s.length })),
      ...joined.map((s) => ({ cache: present, index: rows.indexOf(s), length: s.length })),
    ];
    this.batch = [...this.batch, ...joined];
    this.cache = this.gatherRows(sources);
  }

  /** The feeds of a decode step: every running row's newest token after its cache (right-aligned in the shared width). */
  private decodeFeeds(): Record<string, Ort.Tensor> {
    const { Tensor } = this.ort;
    const cache = this.cache!;
    const n = this.batch.length;
    const past = cache.width;
    const ids = new BigInt64Array(n);
    const positions = new BigInt64Array(n);
    const mask = new BigInt64Array(n * (past + 1));
    this.batch.forEach((s, r) => {
      ids[r] = BigInt(s.next);
      positions[r] = BigInt(s.length);
      mask.fill(1n, r * (past + 1) + past - s.length, (r + 1) * (past + 1));
    });
    const feeds: Record<string, Ort.Tensor> = { input_ids: new Tensor("int64", ids, [n, 1]), attention_mask: new Tensor("int64", mask, [n, past + 1]) };
    if (this.shape.hasPositionIds) feeds.position_ids = new Tensor("int64", positions, [n, 1]);
    cache.tensors.forEach((tensor, i) => (feeds[cacheName("past_key_values", i)] = tensor));
    return feeds;
  }

  /** Draws the next token of `sequence` from its logits, sends it, and ends the sequence when it should. */
  private step(sequence: Sequence, logits: Float32Array): void {
    const { request } = sequence;
    let token: GeneratedToken;
    try {
      token = this.draw(sequence, logits);
    } catch (error) {
      return sequence.settle({ error });
    }
    if (request.stopTokenIds.includes(token.id)) return sequence.settle({ reason: "stop" });
    sequence.generated++;
    sequence.next = token.id;
    sequence.stream.push(token);
    try {
      request.constraint?.advance(token.id);
    } catch (error) {
      return sequence.settle({ error });
    }
    // The last token drawn is never fed: a sequence ends as soon as it holds maxTokens or the context.
    if (sequence.generated >= request.maxTokens || sequence.prompt.length + sequence.generated >= this.contextLength) sequence.settle({ reason: "length" });
  }

  private draw(sequence: Sequence, logits: Float32Array): GeneratedToken {
    const { constraint, stopTokenIds, sampling, topLogprobs } = sequence.request;
    let scores: Float32Array = logits;
    if (constraint !== undefined) {
      const mask = this.mask;
      constraint.allowed(mask);
      // A stop token ends the text, so it may come only once the text is complete (and is never advanced past).
      const done = constraint.done();
      for (const id of stopTokenIds) mask[id] = done ? 1 : 0;
      if (mask.indexOf(1) < 0) throw new Error("the constraint allows no token at this point (and the text is not complete)");
      scores = Float32Array.from(logits, (x, i) => (mask[i] === 1 ? x : -Infinity));
    }
    const { temperature, topK, topP } = sampling;
    // Greedy decoding reports log-probabilities at temperature 1, as the OpenAI API does.
    const probabilities = softmax(scores, temperature === 0 ? 1 : temperature);
    let id: number;
    if (temperature === 0) id = greedyToken(scores);
    else {
      let shaped = probabilities;
      if (topK > 0 && topK < shaped.length) shaped = topKFilter(shaped, topK);
      if (topP < 1) shaped = topPFilter(shaped, topP);
      id = sequence.rng!.categorical(shaped);
    }
    // Tokens of probability 0 (masked by the constraint) are no alternatives: there may be fewer than asked.
    const top = topLogprobs > 0 ? rankTokens(probabilities).slice(0, topLogprobs).filter((t) => probabilities[t]! > 0).map((t) => ({ id: t, logprob: Math.log(probabilities[t]!) })) : [];
    return { id, logprob: Math.log(probabilities[id]!), top };
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

/**
 * Loads the decoder of a transformers.js model folder (`config.json`, `onnx/model.onnx` or, with dtype
 * "q8", `onnx/model_quantized.onnx`) and returns an engine that generates for many requests at once:
 * `const engine = await createEngine("data/models/gpt-moby", { maxBatch: 8 })`. The graph must take
 * `input_ids`, `attention_mask`, `past_key_values.{i}.key/.value` (and `position_ids` if it has them) and
 * return `logits` and `present.{i}.key/.value`, as the course's GPT export and the Hub's decoder exports do.
 */
export async function createEngine(folder: string, options: EngineOptions = {}): Promise<GenerationEngine> {
  if (typeof folder !== "string" || folder.length === 0) throw new TypeError("createEngine: folder must be the path of a model folder");
  if (options === null || typeof options !== "object") throw new TypeError("createEngine: options must be an object such as { maxBatch: 8 }");
  const { maxBatch = 8, maxQueue = 64, dtype = "fp32", threads = 1 } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`createEngine: maxBatch must be an integer ≥ 1, got ${maxBatch}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError(`createEngine: maxQueue must be an integer ≥ 0, got ${maxQueue}`);
  if (dtype !== "fp32" && dtype !== "q8") throw new RangeError(`createEngine: dtype must be "fp32" or "q8", got ${String(dtype)}`);
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`createEngine: the model folder ${root} does not exist`);
  const configFile = path.join(root, "config.json");
  const modelFile = path.join(root, "onnx", dtype === "q8" ? "model_quantized.onnx" : "model.onnx");
  if (!fs.existsSync(configFile)) throw new Error(`createEngine: ${root} has no config.json: is it a transformers.js model folder?`);
  if (!fs.existsSync(modelFile)) throw new Error(`createEngine: ${root} has no onnx/${path.basename(modelFile)} (dtype ${dtype})`);
  const config = readJsonFile(configFile, "the model configuration");
  const session = await createSession(modelFile, { threads });
  try {
    const shape = decoderShape(session, config, configFile, modelFile);
    if (maxBatch > 1 && !(await paddingWorks(session, shape))) {
      console.warn(`createEngine: ${modelFile} gives other logits to a left-padded prompt, so it cannot batch sequences of different lengths: it runs one sequence per forward pass`);
      return new BatchedEngine(session, shape, 1, maxQueue + maxBatch - 1);
    }
    return new BatchedEngine(session, shape, maxBatch, maxQueue);
  } catch (error) {
    await session.release();
    throw error;
  }
}
