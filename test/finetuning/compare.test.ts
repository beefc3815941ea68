import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initBackend } from "@llm-course/lib/backend";
import { conversationTokens, packConversations, trainChatTokenizer } from "@llm-course/lib/chat";
import { adamStateBytes, fineTune, FINETUNE_ROW_TOKENS, methodLabel, parityExamples, type FineTuningData } from "@llm-course/lib/finetuning";
import { GPT } from "@llm-course/lib/models/gpt";
import { Random } from "@llm-course/lib/random";

const tokenizer = trainChatTokenizer("abc", 264);

before(async () => {
  await initBackend({ quiet: true });
});

/** The parity task in bytes (no merges): short prompts fit rows of 64 tokens. */
function tinyData(): FineTuningData {
  const rng = new Random(1);
  const fits = (e: { messages: Parameters<typeof conversationTokens>[1] }) => conversationTokens(tokenizer, e.messages).ids.length <= FINETUNE_ROW_TOKENS + 1;
  const short = (split: "train" | "test", n: number) => parityExamples(split, 10 * n, rng).filter(fits).slice(0, n);
  const conversations = short("train", 12).map((e) => conversationTokens(tokenizer, e.messages));
  const packed = packConversations(conversations, FINETUNE_ROW_TOKENS);
  return { train: packed.data, test: short("test", 3), oldTasks: packed.data, conversations: packed.conversations };
}

test("fineTune measures a method: counts, AdamW state, per-step time, accuracy in [0, 1], the old tasks' loss before and after", async () => {
  const data = tinyData();
  assert.ok(data.conversations >= 6 && data.train.size >= 1, `${data.conversations} conversations`);
  const model = new GPT({ vocabSize: 264, blockSize: 128, layers: 1, heads: 2, width: 16, trainingEngine: "tfjs" });
  const lossBefore = model.evaluate(data.oldTasks);
  const method = { kind: "lora" as const, lora: { rank: 2 } };
  const { result, adapters, history } = await fineTune(model, tokenizer, method, data, { steps: 4, batchSize: 2, lr: 1e-2, progress: false });
  // 1 block × (wq, wv) × 2·(16 + 16) = 128
  assert.equal(result.trainable, 128);
  assert.equal(result.all, model.parameterCount + 128);
  assert.equal(result.optimizerStateBytes, adamStateBytes(128));
  assert.equal(adamStateBytes(128), 1024);
  assert.equal(result.label, methodLabel(method));
  assert.equal(result.label, "LoRA r=2");
  assert.equal(result.steps, 4);
  assert.equal(history.trainLoss.length, 4);
  assert.ok(result.secondsPerStep > 0);
  assert.ok(result.accuracy >= 0 && result.accuracy <= 1);
  assert.equal(result.oldTaskLossBefore, lossBefore);
  assert.ok(result.oldTaskLossAfter !== lossBefore, "the adapters moved the old tasks' loss");
  assert.ok(adapters !== null && adapters.layers.every((l) => l.linear.adapter !== null), "LoRA adapters stay attached for the caller");
  adapters!.detach();
  assert.equal(model.evaluate(data.oldTasks), lossBefore, "detached: the base model is untouched");
  model.dispose();
});
