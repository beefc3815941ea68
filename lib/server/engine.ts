/**
 * The generation engine behind the server: a transformers.js model folder's ONNX decoder with a KV cache,
 * many sequences per forward pass (continuous batching at step granularity).
 *
 * The decoder and its cache live in a worker thread (./decoder-worker running ./decoder): onnxruntime-node
 * runs a pass synchronously on the thread that calls it, so on the main thread every pass would stop the
 * HTTP layer (parsing, streaming) for its whole length. Here the main thread schedules, samples and streams:
 * as soon as a pass's logits arrive it draws every row's token, sends the next pass, and only then hands the
 * tokens to their readers — so their text goes out while the worker computes the next step.
 *
 * Scheduling: new requests are prefilled together in their own pass and join the running batch at the next
 * step; finished or aborted sequences leave at once. Per-row sampling: greedy (ties → the lowest id) at
 * temperature 0, otherwise temperature, top-k and top-p (lib/sampling/filters) with the request's own
 * seeded {@link Random}, so a request's tokens do not depend on what else runs in the batch. A constraint's
 * disallowed tokens get −∞ first; stop tokens are allowed exactly when it says done(). Reported
 * log-probabilities are those of the distribution the token is drawn from before top-k/top-p:
 * softmax(logits / T) over the allowed tokens, at T = 1 when decoding is greedy. A handle's tokens have one
 * reader; leaving its `for await` loop early aborts the sequence.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { Random } from "../random";
import { greedyToken, rankTokens, topKFilter, topPFilter } from "../sampling/filters";
import { softmax } from "../sampling/temperature";
import { readJsonFile, type DecoderPass, type DecoderShape } from "./decoder";
import type { DecoderWorkerData, DecoderWorkerMessage } from "./decoder-worker";
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

/**
 * Most logits one prefill pass may make the worker's graph return ([sequences, longest prompt, vocabulary] float32): a burst of
 * long prompts on a large vocabulary is prefilled in several passes rather than in one huge output.
 */
const PREFILL_LOGITS_BUDGET = 1 << 25;

/** The most alternatives a token may report (the OpenAI API's limit). */
const MAX_TOP_LOGPROBS = 20;

/**
 * The worker thread that runs the decoder: one pass at a time. It does not keep the process alive while
 * idle (a script that forgets close() still exits); a pass in flight does.
 */
class DecoderThread {
  private inFlight: { resolve: (logits: Float32Array) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private closing = false;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (message: DecoderWorkerMessage) => {
      const waiter = this.inFlight;
      if (waiter === null || (message.type !== "logits" && message.type !== "error")) return;
      this.inFlight = null;
      this.worker.unref();
      if (message.type === "logits") waiter.resolve(message.logits);
      else waiter.reject(new Error(message.message));
    });
    const stopped = (error: Error) => {
      this.failure ??= error;
      this.inFlight?.reject(this.failure);
      this.inFlight = null;
    };
    worker.on("error", (error) => stopped(new Error(`the model's worker thread failed: ${error.message}`)));
    worker.on("exit", (code) => {
      if (!this.closing) stopped(new Error(`the model's worker thread stopped (exit code ${code})`));
    });
  }

  /** Starts the worker on a model file; resolves once its session is loaded and checked. */
  static start(data: DecoderWorkerData): Promise<{ thread: DecoderThread; shape: DecoderShape; paddingWorks: boolean }> {
    // The worker is TypeScript, like the rest of the library: tsx's require hook loads it (as in the kernel).
    const worker = new Worker(path.join(__dirname, "decoder-worker.ts"), { workerData: data, execArgv: ["--require", require.resolve("tsx/cjs")] });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`createEngine: the model's worker thread stopped while loading ${data.modelFile} (exit code ${code})`));
      worker.once("error", reject);
      worker.once("exit", onExit);
      worker.once("message", (message: DecoderWorkerMessage) => {
        worker.off("error", reject);
        worker.off("exit", onExit);
        if (message.type === "ready") {
          worker.unref();
          resolve({ thread: new DecoderThread(worker), shape: message.shape, paddingWorks: message.paddingWorks });
        } else {
          void worker.terminate();
          reject(new Error(message.type === "failed" ? message.message : `createEngine: unexpected first message from the model's worker: ${message.type}`));
        }
      });
    });
  }

  /** Runs one pass; resolves to each row's last logits, [rows × vocabulary]. */
  run(pass: DecoderPass): Promise<Float32Array> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.inFlight !== null) return Promise.reject(new Error("DecoderThread.run: a pass is already running"));
    return new Promise((resolve, reject) => {
      this.inFlight = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(pass);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.failure === null) {
      const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
      this.worker.ref();
      this.worker.postMessage({ op: "close" });
      await exited;
    } else await this.worker.terminate();
  }
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
  /** Holds maxTokens or fills the context: it leaves the batch, and ends once its last token is delivered. */
  complete: boolean;
  aborted: boolean;
  ended: boolean;
  submittedAt: number;
}


/** Tokens drawn in one pass, each with its sequence, not yet handed to the readers. */
type GeneratedTokens = [Sequence, GeneratedToken][];

function checkInteger(value: unknown, name: string, min: number, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`GenerationEngine.submit: ${name} must be an integer ${max === Infinity ? `≥ ${min}` : `in ${min}…${max}`}, got ${String(value)}`);
  }
  return value;
}

class BatchedEngine implements GenerationEngine {
  readonly vocabSize: number;
  readonly contextLength: number;
  private readonly waiting: Sequence[] = [];
  /** The running sequences, in the order of the worker's cache rows once the next pass has changed it. */
  private batch: Sequence[] = [];
  /** Sequences in the prefill pass in flight: no longer waiting, not yet in the batch. */
  private starting: Sequence[] = [];
  /** The worker's rows as it last saw them: its running rows, and the rows of its last prefill. */
  private workerRows: Sequence[] = [];
  private prefilledRows: Sequence[] = [];
  private loop: Promise<void> | null = null;
  private closed = false;
  private steps = 0;
  private largestBatch = 0;
  /** Running mean of how long a request takes from submit to its end, for Retry-After. */
  private meanSeconds = 1;
  private readonly mask: Uint8Array;

  constructor(
    private readonly decoder: DecoderThread,
    shape: DecoderShape,
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
      complete: false,
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
    await this.decoder.close();
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
        // A bug of the engine itself: the sequences it holds fail with it, and later requests start afresh
        // (the next pass keeps none of the worker's rows).
        for (const s of [...this.starting, ...this.batch]) s.settle({ error });
        this.starting = [];
        this.batch = [];
      })
      .finally(() => {
        this.loop = null;
        this.wake();
      });
  }

  private async run(): Promise<void> {
    // Tokens drawn at the last pass go to their readers while the worker already computes the next one.
    let drawn: GeneratedTokens = [];
    while (!this.closed && (this.batch.length > 0 || this.waiting.length > 0)) {
      const pass = this.pass(this.admit());
      this.deliver(drawn);
      drawn = await pass;
    }
    this.deliver(drawn);
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
   * Sends one pass to the worker — the prompts of `admitted` (a prefill) or, when it is empty, the newest
   * token of every running sequence — with the batch's changes since the last one (sequences that ended,
   * were aborted or hold all their tokens leave; the last prefill's live rows join), then draws every row's
   * token when the logits come back. The tokens are handed to their readers by {@link deliver}.
   */
  private async pass(admitted: Sequence[]): Promise<GeneratedTokens> {
    const prefill = admitted.length > 0;
    for (const s of this.batch) if (s.aborted) s.settle({ reason: "abort" });
    const live = new Set(this.batch.filter((s) => !s.ended && !s.complete));
    const keep = this.workerRows.flatMap((s, i) => (live.has(s) ? [i] : []));
    const join = this.prefilledRows.flatMap((s, i) => (live.has(s) ? [i] : []));
    // Rows that hold all their tokens stay in `batch` until delivered (deliver ends them).
    this.workerRows = [...keep.map((i) => this.workerRows[i]!), ...join.map((i) => this.prefilledRows[i]!)];
    this.batch = [...this.workerRows, ...this.batch.filter((s) => s.complete && !s.ended)];
    this.prefilledRows = prefill ? admitted : [];
    const rows = prefill ? admitted : this.workerRows;
    // Nothing to run: the worker's batch empties at the next pass (keep and join are then empty too).
    if (rows.length === 0) return [];
    const n = rows.length;
    this.starting = admitted;
    let logits: Float32Array;
    try {
      logits = await this.decoder.run(prefill ? { op: "prefill", keep, join, prompts: admitted.map((s) => [...s.prompt]) } : { op: "decode", keep, join, ids: rows.map((s) => s.next) });
    } catch (error) {
      const failure = new Error(`the model failed on a batch of ${n} sequences: ${(error as Error).message}`);
      for (const s of rows) s.settle({ error: failure });
      this.batch = this.batch.filter((s) => !s.ended);
      return [];
    } finally {
      this.starting = [];
      this.steps++;
      this.largestBatch = Math.max(this.largestBatch, n);
    }
    const { vocabSize } = this;
    const drawn: GeneratedTokens = [];
    rows.forEach((s, r) => {
      s.length = prefill ? s.prompt.length : s.length + 1;
      if (s.aborted || this.closed) return s.settle({ reason: "abort" });
      const token = this.step(s, logits.subarray(r * vocabSize, (r + 1) * vocabSize));
      if (token !== null) drawn.push([s, token]);
    });
    // What ended here leaves the batch now (the worker drops its rows at the next pass).
    this.batch = [...this.batch, ...(prefill ? admitted : [])].filter((s) => !s.ended);
    return drawn;
  }

  /** Hands drawn tokens to their readers, and ends the sequences that hold all their tokens. */
  private deliver(drawn: GeneratedTokens): void {
    for (const [sequence, token] of drawn) {
      sequence.stream.push(token);
      if (sequence.complete) sequence.settle({ reason: "length" });
    }
  }

  /** Draws the next token of `sequence` from its logits; returns it for delivery, or null when the sequence ended here. */
  private step(sequence: Sequence, logits: Float32Array): GeneratedToken | null {
    const { request } = sequence;
    let token: GeneratedToken;
    try {
      token = this.draw(sequence, logits);
    } catch (error) {
      sequence.settle({ error });
      return null;
    }
    if (request.stopTokenIds.includes(token.id)) {
      sequence.settle({ reason: "stop" });
      return null;
    }
    sequence.generated++;
    sequence.next = token.id;
    try {
      request.constraint?.advance(token.id);
    } catch (error) {
      sequence.settle({ error });
      return null;
    }
    // The last token drawn is never fed: a sequence ends as soon as it holds maxTokens or the context.
    sequence.complete = sequence.generated >= request.maxTokens || sequence.prompt.length + sequence.generated >= this.contextLength;
    return token;
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
}

/**
 * Loads the decoder of a transformers.js model folder (`config.json`, `onnx/model.onnx` or, with dtype
 * "q8", `onnx/model_quantized.onnx`) in a worker thread and returns an engine that generates for many
 * requests at once: `const engine = await createEngine("data/models/gpt-moby", { maxBatch: 8 })`. The graph
 * must take `input_ids`, `attention_mask`, `past_key_values.{i}.key/.value` (and `position_ids` if it has
 * them) and return `logits` and `present.{i}.key/.value`, as the course's GPT export and the Hub's decoder
 * exports do. Call `close()` when done.
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
  const { thread, shape, paddingWorks } = await DecoderThread.start({ modelFile, configFile, config, threads, checkPadding: maxBatch > 1 });
  if (maxBatch > 1 && !paddingWorks) {
    console.warn(`createEngine: ${modelFile} gives other logits to a left-padded prompt, so it cannot batch sequences of different lengths: it runs one sequence per forward pass`);
    return new BatchedEngine(thread, shape, 1, maxQueue + maxBatch - 1);
  }
  return new BatchedEngine(thread, shape, maxBatch, maxQueue);
}
