/**
 * What the server tests share: a chat fixture made from gpt-moby, and a scripted engine whose output the
 * tests choose (to check tool-call parsing, stop strings and UTF-8 exactly, which a small model would only
 * write by chance).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHAT_TEMPLATE } from "../../lib/chat/template";
import { PATHS } from "../../lib/env";
import { QueueFullError, type GeneratedToken, type GenerationEngine, type GenerationHandle, type GenerationRequest } from "../../lib/server/types";

/** Characters of Moby-Dick's vocabulary the book barely uses, given to the characters the chat format needs. */
const REPLACED = { "Œ": "{", η: "}", ο: "<", ς: ">", τ: "|", ϰ: "_", ח: "/" } as const;

/**
 * A copy of data/models/gpt-moby in a temporary folder (named `id`) with the course's chat template in its
 * tokenizer_config.json and seven of its rarest characters turned into `{ } < > | _ /`, so that the chat
 * format and JSON can be written: a character model that serves the chat protocol.
 */
export function makeChatFixture(id = "moby-chat"): { folder: string; remove: () => void } {
  const source = path.join(PATHS.data, "models", "gpt-moby");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-server-"));
  const folder = path.join(root, id);
  fs.mkdirSync(path.join(folder, "onnx"), { recursive: true });
  for (const file of ["config.json", "generation_config.json", "onnx/model.onnx", "onnx/model_quantized.onnx"]) fs.copyFileSync(path.join(source, file), path.join(folder, file));
  const tokenizer = JSON.parse(fs.readFileSync(path.join(source, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } };
  const vocab: Record<string, number> = {};
  for (const [token, tokenId] of Object.entries(tokenizer.model.vocab)) vocab[REPLACED[token as keyof typeof REPLACED] ?? token] = tokenId;
  tokenizer.model.vocab = vocab;
  fs.writeFileSync(path.join(folder, "tokenizer.json"), JSON.stringify(tokenizer));
  const config = JSON.parse(fs.readFileSync(path.join(source, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  fs.writeFileSync(path.join(folder, "tokenizer_config.json"), JSON.stringify({ ...config, chat_template: CHAT_TEMPLATE }, null, 2));
  return { folder, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** What a scripted engine writes for a request: token ids (a stop token ends it early). */
export type Script = (request: GenerationRequest) => readonly number[];

/**
 * A {@link GenerationEngine} that writes the tokens `script` gives, one per step of `stepMs`, batching the
 * sequences that run together (up to maxBatch, the rest wait in a queue of maxQueue), and honouring
 * maxTokens, stop tokens, constraints (a scripted token the constraint forbids is replaced by the first
 * allowed one) and aborts. A negative id in a script makes the sequence fail there (its tokens throw).
 */
export function scriptedEngine(script: Script, options: { vocabSize: number; contextLength: number; maxBatch?: number; maxQueue?: number; stepMs?: number }): GenerationEngine {
  const maxBatch = options.maxBatch ?? 8;
  const maxQueue = options.maxQueue ?? 64;
  type Sequence = { request: GenerationRequest; script: readonly number[]; produced: number; done: boolean; push: (t: GeneratedToken | Error | null) => void; finish: (reason: "stop" | "length" | "abort") => void };
  const running: Sequence[] = [];
  const waiting: Sequence[] = [];
  let steps = 0;
  let largestBatch = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const step = (): void => {
    timer = null;
    while (running.length < maxBatch && waiting.length > 0) running.push(waiting.shift()!);
    if (running.length === 0) return;
    steps++;
    largestBatch = Math.max(largestBatch, running.length);
    for (const sequence of [...running]) {
      const { request } = sequence;
      if (request.signal?.aborted) {
        sequence.finish("abort");
        continue;
      }
      let id = sequence.script[sequence.produced] ?? request.stopTokenIds[0]!;
      if (id < 0) {
        sequence.push(new Error("scripted engine failure at /secret/engine.ts:1"));
        sequence.finish("abort");
        continue;
      }
      if (request.constraint) {
        const mask = new Uint8Array(options.vocabSize);
        request.constraint.allowed(mask);
        if (mask[id] !== 1) id = request.constraint.done() && mask[request.stopTokenIds[0]!] === 1 ? request.stopTokenIds[0]! : mask.indexOf(1);
        request.constraint.advance(id);
      }
      sequence.produced++;
      if (request.stopTokenIds.includes(id)) {
        sequence.finish("stop");
        continue;
      }
      sequence.push({ id, logprob: -0.5, top: Array.from({ length: request.topLogprobs }, (_, k) => ({ id: (id + k) % options.vocabSize, logprob: k === 0 ? -0.5 : -1 - k })) });
      if (sequence.produced >= request.maxTokens || request.promptIds.length + sequence.produced >= options.contextLength) sequence.finish("length");
    }
    schedule();
  };
  const schedule = (): void => {
    if (timer === null && !closed && running.length + waiting.length > 0) timer = setTimeout(step, options.stepMs ?? 2);
  };
  return {
    vocabSize: options.vocabSize,
    contextLength: options.contextLength,
    submit(request): GenerationHandle {
      if (closed) throw new Error("scriptedEngine: closed");
      if (running.length >= maxBatch && waiting.length >= maxQueue) throw new QueueFullError(1);
      const queue: (GeneratedToken | Error | null)[] = [];
      let wake: (() => void) | null = null;
      let resolveFinished!: (outcome: { reason: "stop" | "length" | "abort"; promptTokens: number; completionTokens: number }) => void;
      const finished = new Promise<{ reason: "stop" | "length" | "abort"; promptTokens: number; completionTokens: number }>((resolve) => (resolveFinished = resolve));
      const sequence: Sequence = {
        request,
        script: script(request),
        produced: 0,
        done: false,
        push(token) {
          queue.push(token);
          wake?.();
        },
        finish(reason) {
          if (sequence.done) return;
          sequence.done = true;
          for (const list of [running, waiting]) if (list.includes(sequence)) list.splice(list.indexOf(sequence), 1);
          sequence.push(null);
          resolveFinished({ reason, promptTokens: request.promptIds.length, completionTokens: sequence.produced });
        },
      };
      request.signal?.addEventListener("abort", () => sequence.finish("abort"), { once: true });
      waiting.push(sequence);
      schedule();
      const tokens: AsyncIterable<GeneratedToken> = {
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            const token = queue.shift();
            if (token === null || token === undefined) return;
            if (token instanceof Error) throw token;
            yield token;
          }
        },
      };
      return { tokens, finished };
    },
    stats: () => ({ active: running.length, queued: waiting.length, steps, largestBatch }),
    async close() {
      closed = true;
      for (const sequence of [...running, ...waiting]) sequence.finish("abort");
    },
  };
}
