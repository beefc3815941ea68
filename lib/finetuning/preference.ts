/**
 * Preference optimisation, written from scratch:
 *
 * - the reward model's loss of the seeds (RLHF step ③): L_RM = −log σ(r(x, y⁺) − r(x, y⁻)) — the
 *   Bradley–Terry likelihood that the preferred answer y⁺ wins over y⁻;
 * - DPO (Rafailov et al. 2023, "Direct Preference Optimization: Your Language Model is Secretly a
 *   Reward Model" — not in the seeds): the same loss with the implicit reward r(x, y) = β·log(π(y|x) / π_ref(y|x)),
 *   where π is the model being trained and π_ref the frozen model it starts from:
 *       L_DPO = −log σ(β·[(log π(y⁺) − log π_ref(y⁺)) − (log π(y⁻) − log π_ref(y⁻))])
 *   No reward model and no sampling (PPO's RL loop); β sets how far π may move from π_ref. When π = π_ref
 *   every implicit reward is 0: the loss is ln 2 and the margin 0 (tested).
 *
 * Preference pairs come from the course's tasks: a correct vs a wrong answer, French vs English words when
 * the question is asked in French, and a concise answer vs the same answer with chatter after it.
 */
import * as tf from "@tensorflow/tfjs";
import { conversationTokens, type MaskedConversation } from "../chat/sft";
import { numberSplit } from "../chat/tasks/numbers";
import type { ChatMessage } from "../chat/template";
import { CHAT_TOKEN_IDS } from "../chat/tokenizer";
import { englishNumberWords, frenchNumberWords } from "../data/numberWords";
import { weightedRowsBatch, weightedRowsDataset, type WeightedRowsDataset } from "../data/weighted-rows";
import type { GPT } from "../models/gpt/model";
import { Random } from "../random";
import type { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { train, type TrainHistory } from "../training/loop";
import type { Examples, Trainable } from "../training/trainable";
import { gptChatGenerator } from "../chat/evaluate";
import { warmupCosineLr } from "../models/optim";
import type { LoraAdapters, LoraConfig } from "./lora";
import { exactMatchAccuracy, parityExamples } from "./parity-task";
import { prepareFineTuning, type SubsetTrainer } from "./trainer";

/** What a preference pair teaches. */
export type PreferenceKind = "correct" | "french" | "concise";

/** A prompt and two answers, the first preferred. */
export interface PreferencePair {
  prompt: ChatMessage[];
  chosen: string;
  rejected: string;
  kind: PreferenceKind;
}

/** Throws naming the problem when a pair cannot be learned from (empty or identical answers, no prompt). */
export function checkPreferencePair(pair: PreferencePair, where = "preference pair"): void {
  if (pair === null || typeof pair !== "object") throw new TypeError(`${where}: expected { prompt, chosen, rejected }`);
  if (!Array.isArray(pair.prompt) || pair.prompt.length === 0) throw new RangeError(`${where}: the prompt has no message`);
  for (const side of ["chosen", "rejected"] as const) {
    if (typeof pair[side] !== "string" || pair[side].trim() === "") throw new RangeError(`${where}: the ${side} answer is empty`);
  }
  if (pair.chosen === pair.rejected) throw new RangeError(`${where}: the chosen and rejected answers are the same (${JSON.stringify(pair.chosen)}): nothing to prefer`);
}

/** What a concise answer is followed by in the rejected, rambling version. */
const CHATTER = [
  " Voilà ! J'espère que cela t'aide, n'hésite pas si tu as d'autres questions.",
  " I hope this helps! Let me know if you have any other questions.",
  " C'est une excellente question, merci de l'avoir posée.",
];

/**
 * `count` pairs of `kind` from the `split` pool of the course's tasks (numbers 0…999 of the numbers task,
 * the parity task's numbers), seeded by `rng`.
 */
export function preferencePairs(kind: PreferenceKind, split: "train" | "test", count: number, rng: Random): PreferencePair[] {
  const pool = numberSplit()[split];
  const pick = () => pool[rng.int(pool.length)]!;
  return Array.from({ length: count }, (): PreferencePair => {
    if (kind === "french") {
      const n = pick();
      return { kind, prompt: [{ role: "user", content: `Écris ${n} en toutes lettres.` }], chosen: frenchNumberWords(n), rejected: englishNumberWords(n) };
    }
    if (kind === "correct") {
      const n = pick();
      let wrong = pick();
      while (wrong === n) wrong = pick();
      return { kind, prompt: [{ role: "user", content: `Write ${n} in English words.` }], chosen: englishNumberWords(n), rejected: englishNumberWords(wrong) };
    }
    if (kind === "concise") {
      const example = parityExamples(split, 1, rng)[0]!;
      return { kind, prompt: example.messages.slice(0, -1), chosen: example.expected, rejected: example.expected + CHATTER[rng.int(CHATTER.length)]! };
    }
    throw new RangeError(`preferencePairs: kind must be "correct", "french" or "concise", got ${String(kind)}`);
  });
}

/** One conversation per row (ids [size, T + 1]), the weights [size, T] being the answer's targets: weighted rows (lib/data). */
export type AnswerRows = WeightedRowsDataset;

/** One conversation per row, padded with `<|endoftext|>` to the longest; the weights are the assistant-only mask. */
export function answerRows(conversations: readonly MaskedConversation[]): AnswerRows {
  if (conversations.length === 0) throw new RangeError("answerRows: no conversations");
  const length = Math.max(...conversations.map((c) => c.ids.length)) - 1;
  const pad = (values: readonly number[], size: number, fill: number) => [...values, ...new Array<number>(size - values.length).fill(fill)];
  return weightedRowsDataset(
    conversations.map((c) => pad(c.ids, length + 1, CHAT_TOKEN_IDS.endOfText)),
    conversations.map((c) => pad(c.mask.slice(1), length, 0)),
    length,
  );
}

/**
 * log π(answer | prompt) of each row: Σ over the answer's tokens of log p(token | everything before it),
 * as a [rows] tensor (differentiable: the DPO loss trains through it). `rows` picks rows of `data`.
 */
export function answerLogProbs(model: GPT, data: AnswerRows, rows: ArrayLike<number>): tf.Tensor1D {
  const T = data.blockSize;
  if (T > model.config.blockSize) throw new RangeError(`answerLogProbs: conversations of ${T + 1} tokens do not fit the context of ${model.config.blockSize}`);
  const { inputs, targets, weights } = weightedRowsBatch(data, rows);
  return tf.tidy(() => {
    const logits = model.forward(tf.tensor2d(inputs, [rows.length, T], "int32"));
    // One-hot labels: tf.gather's gradient is missing on wasm (as in GPT.loss).
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(targets, [rows.length, T], "int32"), model.config.vocabSize)), -1);
    return tf.sum(tf.mul(picked, tf.tensor2d(weights, [rows.length, T])), -1) as tf.Tensor1D;
  });
}

/** The reward model's loss, mean over pairs of −log σ(r⁺ − r⁻) (written softplus(−(r⁺ − r⁻)), stable for large margins). */
export function rewardModelLoss(chosenRewards: tf.Tensor1D, rejectedRewards: tf.Tensor1D): tf.Scalar {
  if (chosenRewards.shape[0] !== rejectedRewards.shape[0] || chosenRewards.rank !== 1) {
    throw new RangeError(`rewardModelLoss: expected two [pairs] tensors of the same length, got [${chosenRewards.shape}] and [${rejectedRewards.shape}]`);
  }
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(tf.sub(chosenRewards, rejectedRewards)))) as tf.Scalar);
}

/** Log-probabilities of the chosen and rejected answers, per pair. */
export interface PairLogProbs {
  chosen: tf.Tensor1D;
  rejected: tf.Tensor1D;
}

/** DPO's implicit rewards β·(log π − log π_ref) of both answers. */
export function implicitRewards(policy: PairLogProbs, reference: PairLogProbs, beta: number): PairLogProbs {
  if (!(beta > 0) || !Number.isFinite(beta)) throw new RangeError(`DPO: beta must be a finite number > 0, got ${beta}`);
  return tf.tidy(() => ({ chosen: tf.mul(tf.sub(policy.chosen, reference.chosen), beta) as tf.Tensor1D, rejected: tf.mul(tf.sub(policy.rejected, reference.rejected), beta) as tf.Tensor1D }));
}

/** The DPO loss: the reward model's loss on the implicit rewards (see the module comment). */
export function dpoLoss(policy: PairLogProbs, reference: PairLogProbs, beta: number): tf.Scalar {
  return tf.tidy(() => {
    const rewards = implicitRewards(policy, reference, beta);
    return rewardModelLoss(rewards.chosen, rewards.rejected);
  });
}

/** Pairs tokenized for DPO, with the reference model's log-probabilities computed once. */
export interface PreferenceDataset extends Examples {
  readonly pairs: readonly PreferencePair[];
  readonly chosen: AnswerRows;
  readonly rejected: AnswerRows;
  /** log π_ref of each answer (the reference is frozen: computed once, not at every step). */
  readonly referenceChosen: Float32Array;
  readonly referenceRejected: Float32Array;
}

/** Rows evaluated per forward pass when scoring a whole set. */
const SCORE_BATCH = 32;

function allLogProbs(model: GPT, rows: AnswerRows): Float32Array {
  const out = new Float32Array(rows.size);
  for (let start = 0; start < rows.size; start += SCORE_BATCH) {
    const batch = Int32Array.from({ length: Math.min(SCORE_BATCH, rows.size - start) }, (_, i) => start + i);
    const values = answerLogProbs(model, rows, batch);
    out.set(values.dataSync() as Float32Array, start);
    values.dispose();
  }
  return out;
}

/** Checks and tokenizes `pairs` and scores them under `reference` (the model before DPO). */
export function preferenceDataset(reference: GPT, tokenizer: ByteBpeTokenizer, pairs: readonly PreferencePair[]): PreferenceDataset {
  if (pairs.length === 0) throw new RangeError("preferenceDataset: no pairs");
  pairs.forEach((pair, i) => checkPreferencePair(pair, `preference pair ${i}`));
  const rows = (side: "chosen" | "rejected") => answerRows(pairs.map((p) => conversationTokens(tokenizer, [...p.prompt, { role: "assistant", content: p[side] }])));
  const chosen = rows("chosen");
  const rejected = rows("rejected");
  return { size: pairs.length, pairs, chosen, rejected, referenceChosen: allLogProbs(reference, chosen), referenceRejected: allLogProbs(reference, rejected) };
}

/** Held-out figures of a policy on a preference set. */
export interface PreferenceMetrics {
  /** Mean DPO loss (ln 2 ≈ 0.693 when the policy is the reference). */
  loss: number;
  /** Share of pairs whose implicit reward is strictly higher for the chosen answer. */
  accuracy: number;
  /** Mean of r⁺ − r⁻. */
  margin: number;
}

/** The DPO loss, preference accuracy and mean reward margin of `policy` on `data`. */
export function preferenceMetrics(policy: GPT, data: PreferenceDataset, beta: number): PreferenceMetrics {
  const chosen = allLogProbs(policy, data.chosen);
  const rejected = allLogProbs(policy, data.rejected);
  const result = tf.tidy(() => {
    const rewards = implicitRewards({ chosen: tf.tensor1d(chosen), rejected: tf.tensor1d(rejected) }, { chosen: tf.tensor1d(data.referenceChosen), rejected: tf.tensor1d(data.referenceRejected) }, beta);
    const margins = tf.sub(rewards.chosen, rewards.rejected);
    return {
      loss: rewardModelLoss(rewards.chosen, rewards.rejected).dataSync()[0]!,
      accuracy: tf.mean(tf.cast(tf.greater(margins, 0), "float32")).dataSync()[0]!,
      margin: tf.mean(margins).dataSync()[0]!,
    };
  });
  return result;
}

/**
 * DPO as a {@link Trainable} for the course's loop: each step scores the chosen and the rejected answers
 * of the pairs `indices` under the policy and takes an AdamW step of `trainer` (from prepareFineTuning:
 * LoRA adapters, or every weight) down the DPO loss.
 */
export class DpoTrainer implements Trainable<PreferenceDataset> {
  readonly trainer: SubsetTrainer;
  readonly beta: number;
  /** λ of the optional λ·(−log π(y⁺) per token) term (see the constructor). */
  readonly chosenNllWeight: number;

  /**
   * `chosenNllWeight` λ > 0 adds the chosen answers' mean negative log-likelihood per token to the loss (the
   * SFT loss on y⁺, as in RPO, Pang et al. 2024): DPO alone only widens the gap between y⁺ and y⁻ and may
   * lower both likelihoods; the term keeps y⁺ likely.
   */
  constructor(trainer: SubsetTrainer, beta: number, chosenNllWeight = 0) {
    if (!(beta > 0) || !Number.isFinite(beta)) throw new RangeError(`DPO: beta must be a finite number > 0, got ${beta}`);
    if (!(chosenNllWeight >= 0) || !Number.isFinite(chosenNllWeight)) throw new RangeError(`DPO: chosenNllWeight must be a finite number ≥ 0, got ${chosenNllWeight}`);
    this.trainer = trainer;
    this.beta = beta;
    this.chosenNllWeight = chosenNllWeight;
  }

  trainStep(data: PreferenceDataset, indices: Int32Array, lr: number): number {
    const pick = (values: Float32Array) => tf.tensor1d(Array.from(indices, (i) => values[i]!));
    const T = data.chosen.blockSize;
    const chosenTokens = tf.tidy(() => tf.tensor1d(Array.from(indices, (i) => data.chosen.weights.subarray(i * T, (i + 1) * T).reduce((a, b) => a + b, 0))));
    try {
      return this.trainer.minimize(() => {
        const policy = { chosen: answerLogProbs(this.trainer.model, data.chosen, indices), rejected: answerLogProbs(this.trainer.model, data.rejected, indices) };
        const loss = dpoLoss(policy, { chosen: pick(data.referenceChosen), rejected: pick(data.referenceRejected) }, this.beta);
        if (this.chosenNllWeight === 0) return loss;
        return tf.add(loss, tf.mul(tf.mean(tf.div(tf.neg(policy.chosen), chosenTokens)), this.chosenNllWeight)) as tf.Scalar;
      }, lr);
    } finally {
      chosenTokens.dispose();
    }
  }

  evaluate(data: PreferenceDataset): number {
    return preferenceMetrics(this.trainer.model, data, this.beta).loss;
  }
}

/** Share of pairs whose greedy answer (chat-mini's generator, at most 24 tokens) is exactly the chosen answer. */
export function chosenAnswerRate(model: GPT, tokenizer: ByteBpeTokenizer, pairs: readonly PreferencePair[]): number {
  return exactMatchAccuracy(
    gptChatGenerator(model, tokenizer, 24),
    pairs.map((p) => ({ messages: [...p.prompt, { role: "assistant" as const, content: p.chosen }], expected: p.chosen })),
  );
}

/** Options of {@link optimisePreferences}. */
export interface DpoRunOptions {
  trainPairs: readonly PreferencePair[];
  /** Held-out pairs: metrics and greedy answers before and after. */
  testPairs: readonly PreferencePair[];
  beta: number;
  steps: number;
  batchSize: number;
  /** Peak learning rate (warm-up 10 %, cosine to a tenth). */
  lr: number;
  /** The policy's trainable part: LoRA adapters on the frozen model (the reference is the model as given). */
  lora: LoraConfig;
  /** λ of the chosen answers' NLL term (see {@link DpoTrainer}; default 0: plain DPO). */
  chosenNllWeight?: number;
  seed?: number;
  progress?: boolean;
}

/** What a DPO run did, on held-out pairs. */
export interface DpoRun {
  before: PreferenceMetrics;
  after: PreferenceMetrics;
  /** Share of held-out prompts answered (greedily) exactly with the chosen answer, before and after. */
  chosenRateBefore: number;
  chosenRateAfter: number;
  history: TrainHistory;
  /** The trained adapters, still attached: merge, save or detach them. */
  adapters: LoraAdapters;
}

/**
 * DPO on `model` through LoRA adapters: the model as given is the reference (its log-probabilities are
 * computed once), the adapted model is the policy.
 */
export async function optimisePreferences(model: GPT, tokenizer: ByteBpeTokenizer, options: DpoRunOptions): Promise<DpoRun> {
  const trainSet = preferenceDataset(model, tokenizer, options.trainPairs);
  const testSet = preferenceDataset(model, tokenizer, options.testPairs);
  const before = preferenceMetrics(model, testSet, options.beta);
  const chosenRateBefore = chosenAnswerRate(model, tokenizer, options.testPairs);
  const setup = prepareFineTuning(model, { kind: "lora", lora: options.lora });
  try {
    const history = await train(new DpoTrainer(setup.trainer, options.beta, options.chosenNllWeight ?? 0), {
      train: trainSet,
      steps: options.steps,
      batchSize: options.batchSize,
      lr: warmupCosineLr(options.lr, 0.1, options.lr / 10),
      rng: new Random(options.seed ?? 1),
      label: "DPO",
      progress: options.progress ?? true,
    });
    return {
      before,
      after: preferenceMetrics(model, testSet, options.beta),
      chosenRateBefore,
      chosenRateAfter: chosenAnswerRate(model, tokenizer, options.testPairs),
      history,
      adapters: setup.adapters!,
    };
  } finally {
    setup.release();
  }
}
