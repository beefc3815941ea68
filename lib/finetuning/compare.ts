/**
 * Fine-tuning methods side by side on one task and one data set: chat-mini (lib/chat) learns the
 * parity task (./parity-task) by full fine-tuning, LoRA at several ranks, or its output head
 * only, each from the same checkpoint with the same rows, steps and batch. For each: trainable
 * parameters, AdamW's state, seconds per step, the task's exact match on held-out prompts, and
 * forgetting — the loss of chat-mini's own six tasks (their assistant tokens, held-out conversations)
 * after minus before.
 */
import { CHAT_RECIPE, chatTestExamples, loadChatModel } from "../chat/build";
import { gptChatGenerator } from "../chat/evaluate";
import { conversationTokens, packConversations } from "../chat/sft";
import type { WeightedRowsDataset } from "../data/weighted-rows";
import { isFastMode } from "../env";
import type { GPT } from "../models/gpt/model";
import { warmupCosineLr } from "../models/optim";
import { Random } from "../random";
import type { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { train } from "../training/loop";
import { exactMatchAccuracy, parityExamples, type TaskExample } from "./parity-task";
import { methodLabel, prepareFineTuning, type FineTuningMethod, type SubsetTrainer } from "./trainer";
import type { Trainable } from "../training/trainable";

/** The data every method trains and is scored on. */
export interface FineTuningData {
  train: WeightedRowsDataset;
  /** Held-out prompts of the new task. */
  test: TaskExample[];
  /** Held-out conversations of chat-mini's six tasks, as weighted rows: their loss measures forgetting. */
  oldTasks: WeightedRowsDataset;
  /** Conversations packed into the training rows. */
  conversations: number;
}

/** Tokens per training row: the task's conversations are short (~20 tokens), so rows of 64 hold two or three. */
export const FINETUNE_ROW_TOKENS = 64;

/** Builds the training rows (packed, assistant-only mask), the test prompts and the old tasks' rows. */
export function fineTuningData(tokenizer: ByteBpeTokenizer, options: { trainConversations: number; testPrompts: number; oldTaskConversations: number; seed: number }): FineTuningData {
  const rng = new Random(options.seed);
  const conversations = parityExamples("train", options.trainConversations, rng).map((e) => conversationTokens(tokenizer, e.messages));
  const packed = packConversations(conversations, FINETUNE_ROW_TOKENS);
  const perTask = Math.max(1, Math.round(options.oldTaskConversations / 6));
  const old = chatTestExamples(perTask).map((e) => conversationTokens(tokenizer, e.messages, e.tools));
  return {
    train: packed.data,
    test: parityExamples("test", options.testPrompts, rng),
    // Rows as long as chat-mini's context: its tasks' conversations (passages, few-shot) are long.
    oldTasks: packConversations(old, CHAT_RECIPE.model.blockSize).data,
    conversations: packed.conversations,
  };
}

/** One method's line of the comparison. */
export interface FineTuningResult {
  label: string;
  method: FineTuningMethod;
  trainable: number;
  all: number;
  /** peft's print_trainable_parameters line. */
  summary: string;
  optimizerStateBytes: number;
  steps: number;
  /** Median seconds of one training step of the run (the first left out). */
  secondsPerStep: number;
  finalTrainLoss: number;
  /** Exact match on the task's held-out prompts after fine-tuning. */
  accuracy: number;
  /** Loss of the old tasks before and after (nats per assistant token). */
  oldTaskLossBefore: number;
  oldTaskLossAfter: number;
}

/** Options of {@link fineTune} and {@link compareFineTuning}. */
export interface FineTuneOptions {
  steps: number;
  batchSize: number;
  /** Peak learning rate for the method (warm-up 10 %, cosine to a tenth). */
  lr: number;
  seed?: number;
  progress?: boolean;
}

/**
 * A trainer that times each of its steps, so that the run itself gives the median step time at its batch
 * size — a median ignores the steps another process on a shared machine slowed down.
 */
class TimedTrainer implements Trainable<WeightedRowsDataset> {
  readonly seconds: number[] = [];
  constructor(private readonly inner: SubsetTrainer) {}

  trainStep(data: WeightedRowsDataset, indices: Int32Array, lr: number): number {
    const start = performance.now();
    const loss = this.inner.trainStep(data, indices, lr);
    this.seconds.push((performance.now() - start) / 1000);
    return loss;
  }

  evaluate(data: WeightedRowsDataset): number {
    return this.inner.evaluate(data);
  }

  /** The median step time, leaving out the first step (it warms kernels and allocations up). */
  medianSeconds(): number {
    const times = (this.seconds.length > 1 ? this.seconds.slice(1) : this.seconds).sort((a, b) => a - b);
    const mid = times.length >> 1;
    return times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  }
}

/** The learning rates the lesson uses: adapters start from B = 0 and take larger steps than full weights. */
export function defaultLearningRate(method: FineTuningMethod): number {
  return method.kind === "lora" ? 5e-3 : 5e-4;
}

/**
 * Fine-tunes `model` in place with `method` on `data` and measures it. LoRA adapters are left attached
 * (returned) so the caller can merge, save or detach them.
 */
export async function fineTune(model: GPT, tokenizer: ByteBpeTokenizer, method: FineTuningMethod, data: FineTuningData, options: FineTuneOptions) {
  const oldTaskLossBefore = model.evaluate(data.oldTasks);
  const setup = prepareFineTuning(model, method);
  try {
    const timed = new TimedTrainer(setup.trainer);
    const history = await train(timed, {
      train: data.train,
      steps: options.steps,
      batchSize: options.batchSize,
      lr: warmupCosineLr(options.lr, 0.1, options.lr / 10),
      rng: new Random(options.seed ?? 1),
      label: methodLabel(method),
      progress: options.progress ?? true,
    });
    const steps = history.steps.length;
    const last = history.trainLoss.slice(-Math.max(1, Math.round(steps / 10)));
    const result: FineTuningResult = {
      label: methodLabel(method),
      method,
      trainable: setup.parameters.trainable,
      all: setup.parameters.all,
      summary: setup.summary,
      optimizerStateBytes: setup.optimizerStateBytes,
      steps,
      secondsPerStep: timed.medianSeconds(),
      finalTrainLoss: last.reduce((a, b) => a + b, 0) / last.length,
      accuracy: exactMatchAccuracy(gptChatGenerator(model, tokenizer, 12), data.test),
      oldTaskLossBefore,
      oldTaskLossAfter: model.evaluate(data.oldTasks),
    };
    return { result, adapters: setup.adapters, history };
  } finally {
    setup.release();
  }
}

/**
 * Every method from a fresh copy of chat-mini (stage "chat"), one after the other; returns the lines and
 * the untouched model's accuracy on the task.
 */
export async function compareFineTuning(methods: readonly FineTuningMethod[], data: FineTuningData, options: Omit<FineTuneOptions, "lr"> & { lr?: (method: FineTuningMethod) => number }) {
  const reference = loadChatModel();
  const before = exactMatchAccuracy(gptChatGenerator(reference.model, reference.tokenizer, 12), data.test);
  reference.model.dispose();
  const results: FineTuningResult[] = [];
  for (const method of methods) {
    const { model, tokenizer } = loadChatModel();
    try {
      const { result, adapters } = await fineTune(model, tokenizer, method, data, { ...options, lr: (options.lr ?? defaultLearningRate)(method) });
      adapters?.detach();
      results.push(result);
    } finally {
      model.dispose();
    }
  }
  return { accuracyBefore: before, results, fastMode: isFastMode() };
}
