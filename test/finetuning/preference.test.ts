import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { conversationTokens, numberSplit, trainChatTokenizer } from "@llm-course/lib/chat";
import { englishNumberWords, frenchNumberWords } from "@llm-course/lib/data/numberWords";
import {
  answerLogProbs,
  answerRows,
  checkPreferencePair,
  DpoTrainer,
  dpoLoss,
  parityExamples,
  preferenceDataset,
  preferenceMetrics,
  preferencePairs,
  prepareFineTuning,
  rewardModelLoss,
} from "@llm-course/lib/finetuning";
import { GPT } from "@llm-course/lib/models/gpt";
import { Random } from "@llm-course/lib/random";

const tokenizer = trainChatTokenizer("abc", 264);
const CONFIG = { vocabSize: 264, blockSize: 160, layers: 1, heads: 2, width: 16, trainingEngine: "tfjs" as const };

before(async () => {
  await initBackend({ quiet: true });
});

const value = (t: tf.Tensor) => t.dataSync()[0]!;
const t1 = (values: number[]) => tf.tensor1d(values);

test("reward-model loss −log σ(r⁺ − r⁻): ln 2 at equal rewards, log(1 + e^−2) at a margin of 2, mean over pairs", () => {
  assert.ok(Math.abs(value(rewardModelLoss(t1([0.3]), t1([0.3]))) - Math.LN2) < 1e-6);
  // −log σ(2) = log(1 + e^−2) = 0.126928…; −log σ(−2) = 2.126928…
  assert.ok(Math.abs(value(rewardModelLoss(t1([3]), t1([1]))) - 0.126928) < 1e-5);
  assert.ok(Math.abs(value(rewardModelLoss(t1([3, 1]), t1([1, 3]))) - (0.126928 + 2.126928) / 2) < 1e-5);
  // A huge margin: softplus keeps it finite (log σ(−200) would underflow to −∞).
  assert.ok(Math.abs(value(rewardModelLoss(t1([0]), t1([200]))) - 200) < 1e-3);
  assert.throws(() => rewardModelLoss(t1([1, 2]), t1([1])), /same length/);
});

test("DPO: policy = reference ⇒ loss ln 2; hand-computed β = 0.1 example", () => {
  const same = { chosen: t1([-10, -3]), rejected: t1([-12, -4]) };
  assert.ok(Math.abs(value(dpoLoss(same, same, 0.1)) - Math.LN2) < 1e-6);
  // log-ratios: chosen −10 − (−11) = 1, rejected −12 − (−11) = −1 → rewards 0.1 and −0.1, margin 0.2;
  // loss = log(1 + e^−0.2) = 0.598139
  const policy = { chosen: t1([-10]), rejected: t1([-12]) };
  const reference = { chosen: t1([-11]), rejected: t1([-11]) };
  assert.ok(Math.abs(value(dpoLoss(policy, reference, 0.1)) - 0.598139) < 1e-5);
  assert.throws(() => dpoLoss(policy, reference, 0), /beta must be a finite number > 0/);
});

test("preference pairs from the course's tasks: French vs English words, right vs wrong number, concise vs chatter; held-out numbers", () => {
  const french = preferencePairs("french", "test", 20, new Random(1));
  const testNumbers = new Set(numberSplit().test);
  for (const pair of french) {
    const n = Number(/Écris (\d+) en toutes lettres\./.exec(pair.prompt[0]!.content as string)![1]);
    assert.ok(testNumbers.has(n), `${n} is a held-out number`);
    assert.equal(pair.chosen, frenchNumberWords(n));
    assert.equal(pair.rejected, englishNumberWords(n));
  }
  for (const pair of preferencePairs("correct", "train", 20, new Random(2))) {
    const n = Number(/Write (\d+) in English words\./.exec(pair.prompt[0]!.content as string)![1]);
    assert.equal(pair.chosen, englishNumberWords(n));
    assert.notEqual(pair.rejected, pair.chosen);
  }
  for (const pair of preferencePairs("concise", "train", 10, new Random(3))) {
    assert.ok(pair.chosen === "pair" || pair.chosen === "impair" || pair.chosen === "even" || pair.chosen === "odd", pair.chosen);
    assert.ok(pair.rejected.startsWith(`${pair.chosen} `) && pair.rejected.length > pair.chosen.length + 10);
  }
  const prompt = [{ role: "user" as const, content: "Is 12 even or odd?" }];
  assert.throws(() => checkPreferencePair({ kind: "concise", prompt, chosen: "even", rejected: "  " }), /the rejected answer is empty/);
  assert.throws(() => checkPreferencePair({ kind: "concise", prompt, chosen: "", rejected: "odd" }), /the chosen answer is empty/);
  assert.throws(() => checkPreferencePair({ kind: "concise", prompt, chosen: "odd", rejected: "odd" }), /are the same/);
  assert.throws(() => checkPreferencePair({ kind: "concise", prompt: [], chosen: "even", rejected: "odd" }), /no message/);
});

test("the parity task: answers in the question's language, test numbers are the multiples of 11, never in training", () => {
  for (const example of parityExamples("test", 50, new Random(4))) {
    const n = Number(/(\d+)/.exec(example.messages[0]!.content as string)![1]);
    assert.equal(n % 11, 0);
    const french = (example.messages[0]!.content as string).includes("pair ou impair");
    assert.equal(example.expected, french ? (n % 2 === 0 ? "pair" : "impair") : n % 2 === 0 ? "even" : "odd");
  }
  for (const example of parityExamples("train", 200, new Random(5))) assert.notEqual(Number(/(\d+)/.exec(example.messages[0]!.content as string)![1]) % 11, 0);
});

test("answerLogProbs = Σ log p of the answer's tokens (assistant mask, <|end|> included), read from the logits one position at a time", () => {
  const model = new GPT(CONFIG);
  const conversation = conversationTokens(tokenizer, [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Yo" },
  ]);
  const rows = answerRows([conversation, conversationTokens(tokenizer, [{ role: "user", content: "A" }, { role: "assistant", content: "B" }])]);
  const both = answerLogProbs(model, rows, [0, 1]).dataSync();
  let expected = 0;
  conversation.mask.forEach((m, t) => {
    if (m === 0) return;
    const logits = Array.from(model.nextTokenLogits(conversation.ids.slice(0, t)));
    const max = Math.max(...logits);
    const logZ = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
    expected += logits[conversation.ids[t]!]! - logZ;
  });
  // "Yo" + <|end|>: three tokens, each ≈ −ln 264 for an untrained model.
  assert.equal(conversation.mask.filter((m) => m === 1).length, 3);
  assert.ok(Math.abs(both[0]! - expected) < 1e-4, `${both[0]} vs ${expected}`);
  assert.ok(Math.abs(both[0]! / 3 + Math.log(264)) < 0.1);
  model.dispose();
});

test("DPO with LoRA: at the start policy = reference (loss ln 2, margin 0, accuracy 0); training raises the margin and the preference accuracy", () => {
  const model = new GPT(CONFIG);
  const pairs = preferencePairs("concise", "train", 8, new Random(6));
  const data = preferenceDataset(model, tokenizer, pairs);
  const start = preferenceMetrics(model, data, 0.5);
  assert.ok(Math.abs(start.loss - Math.LN2) < 1e-6);
  assert.equal(start.margin, 0);
  assert.equal(start.accuracy, 0);
  const setup = prepareFineTuning(model, { kind: "lora", lora: { rank: 4, targets: ["attention.wq", "attention.wv", "mlp.fc", "mlp.projection"] } });
  const dpo = new DpoTrainer(setup.trainer, 0.5);
  const all = Int32Array.from(pairs.keys());
  for (let step = 0; step < 15; step++) dpo.trainStep(data, all, 2e-2);
  const end = preferenceMetrics(model, data, 0.5);
  assert.ok(end.margin > 0.5, `margin ${end.margin}`);
  assert.equal(end.accuracy, 1);
  assert.ok(end.loss < Math.LN2 - 0.1, `loss ${end.loss}`);
  assert.ok(Math.abs(dpo.evaluate(data) - end.loss) < 1e-6);
  setup.adapters!.detach();
  setup.release();
  assert.throws(() => preferenceDataset(model, tokenizer, [{ ...pairs[0]!, rejected: "" }]), /preference pair 0: the rejected answer is empty/);
  model.dispose();
});

test("DPO + λ·NLL of the chosen answers: at the start the step's loss is ln 2 + λ·mean(−log π(y⁺) / tokens of y⁺)", () => {
  const model = new GPT(CONFIG);
  const pairs = preferencePairs("concise", "train", 3, new Random(7));
  const data = preferenceDataset(model, tokenizer, pairs);
  const rows = Int32Array.from(pairs.keys());
  const T = data.chosen.blockSize;
  const perToken = Array.from(rows, (i) => -data.referenceChosen[i]! / data.chosen.weights.subarray(i * T, (i + 1) * T).reduce((a, b) => a + b, 0));
  const expected = Math.LN2 + 0.5 * (perToken.reduce((a, b) => a + b, 0) / perToken.length);
  const setup = prepareFineTuning(model, { kind: "lora", lora: { rank: 2 } });
  const loss = new DpoTrainer(setup.trainer, 0.1, 0.5).trainStep(data, rows, 0);
  assert.ok(Math.abs(loss - expected) < 1e-4, `${loss} vs ${expected}`);
  assert.throws(() => new DpoTrainer(setup.trainer, 0.1, -1), /chosenNllWeight must be a finite number ≥ 0/);
  setup.adapters!.detach();
  setup.release();
  model.dispose();
});
