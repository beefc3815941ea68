/**
 * Fine-tuning benchmark: chat-mini (lib/chat) learns the parity task (lib/finetuning/parity-task) by full
 * fine-tuning, its output head only, LoRA at r = 4, 8, 16 on W_Q and W_V (the paper's choice) and LoRA r = 8
 * on every linear layer (QLoRA's choice), each from the same checkpoint with the same
 * rows, steps, batch and seeds (lib/finetuning/compare). Per method: trainable parameters, AdamW's state,
 * the median seconds per step at the same batch (one engine for all: tfjs autograd), exact match on
 * held-out prompts, and forgetting (chat-mini's six tasks' loss after − before). Reported as ratios to full
 * fine-tuning: both LoRA r = 8's step speed-up and accuracy gap. Also the GPT's compiled onnxruntime full
 * step at the same batch (the engine chat-mini was trained with), for scale.
 *
 * Then DPO (with the chosen answers' NLL term, RPO) with LoRA on held-out preference pairs of the course's
 * tasks (right vs wrong number words, French vs English words when asked in French): DPO loss, preference
 * accuracy, reward margin and the share of greedy answers equal to the chosen one, before and after.
 *
 * Run: `npm run bench -- finetune`. FINETUNE_BENCH_STEPS changes the training steps (default 200).
 */
import { backendInfo, initBackend } from "../lib/backend";
import { loadChatModel } from "../lib/chat/build";
import { compareFineTuning, fineTuningData, LORA_TARGETS, optimisePreferences, preferencePairs, type FineTuningMethod } from "../lib/finetuning";
import { Random } from "../lib/random";
import { median, round } from "./support/figures";
import { machineLine, reportedRatio, shownRatio } from "./support/machine";

/** The benchmark's configuration. */
export const FINETUNE_BENCH = {
  steps: 200,
  batchSize: 8,
  trainConversations: 4000,
  testPrompts: 100,
  oldTaskConversations: 120,
  seed: 13,
  dpo: { pairsPerKind: 200, testPairsPerKind: 40, beta: 0.1, steps: 100, batchSize: 8, lr: 5e-4, rank: 8, chosenNllWeight: 1 },
};

const METHODS: FineTuningMethod[] = [
  { kind: "full" },
  { kind: "head" },
  { kind: "lora", lora: { rank: 4 } },
  { kind: "lora", lora: { rank: 8 } },
  { kind: "lora", lora: { rank: 16 } },
  { kind: "lora", lora: { rank: 8, targets: LORA_TARGETS } },
];

/** Median seconds of the GPT's own (onnxruntime) full training step at the bench's batch. */
async function onnxruntimeFullStep(rows: Parameters<typeof compareFineTuning>[1]["train"]): Promise<number | null> {
  const { model } = loadChatModel();
  try {
    if (model.trainingEngine !== "onnxruntime") return null;
    const batch = Int32Array.from({ length: FINETUNE_BENCH.batchSize }, (_, i) => i);
    await model.trainStep(rows, batch, 0);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await model.trainStep(rows, batch, 0);
      times.push((performance.now() - start) / 1000);
    }
    return median(times);
  } finally {
    model.dispose();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  await initBackend({ quiet: true });
  const steps = Number(process.env.FINETUNE_BENCH_STEPS ?? FINETUNE_BENCH.steps);
  const { tokenizer, model: probe } = loadChatModel();
  probe.dispose();
  const b = FINETUNE_BENCH;
  const data = fineTuningData(tokenizer, { trainConversations: b.trainConversations, testPrompts: b.testPrompts, oldTaskConversations: b.oldTaskConversations, seed: b.seed });
  const threads = backendInfo()?.threads ?? 1;
  console.log(`parity task: ${data.conversations} conversations in ${data.train.size} rows, ${data.test.length} held-out prompts; ${steps} steps of ${b.batchSize} rows; backend ${backendInfo()?.name}`);
  const comparison = await compareFineTuning(METHODS, data, { steps, batchSize: b.batchSize, seed: 1, progress: false });
  const full = comparison.results.find((r) => r.method.kind === "full")!;
  const lora8 = comparison.results.find((r) => r.label === "LoRA r=8")!;
  const lora8All = comparison.results.find((r) => r.label === "LoRA r=8 (all linear)")!;
  console.log(`before fine-tuning: ${(100 * comparison.accuracyBefore).toFixed(1)} % exact`);
  for (const r of comparison.results) {
    console.log(
      `${r.label.padEnd(10)} ${r.summary} | AdamW state ${(r.optimizerStateBytes / 1024).toFixed(0)} KiB | ${(1000 * r.secondsPerStep).toFixed(0)} ms/step (${shownRatio(full.secondsPerStep / r.secondsPerStep, 2, threads)} vs full) | accuracy ${(100 * r.accuracy).toFixed(1)} % | old tasks' loss ${r.oldTaskLossBefore.toFixed(3)} → ${r.oldTaskLossAfter.toFixed(3)}`,
    );
  }
  const compiled = await onnxruntimeFullStep(data.train);
  if (compiled !== null) console.log(`full step through the GPT's compiled onnxruntime graph: ${(1000 * compiled).toFixed(0)} ms (${shownRatio(full.secondsPerStep / compiled, 2, threads)} tfjs autograd's full step speed)`);
  console.log(machineLine({ ours: `tfjs ${threads} (every method)`, reference: "onnxruntime's compiled step: the GPT's training threads (the cores, at most 8)" }));

  const rng = new Random(b.seed + 1);
  const pairs = (split: "train" | "test", n: number) => [...preferencePairs("correct", split, n, rng), ...preferencePairs("french", split, n, rng)];
  const { model } = loadChatModel();
  let dpo: Record<string, unknown>;
  try {
    const d = b.dpo;
    const result = await optimisePreferences(model, tokenizer, {
      trainPairs: pairs("train", d.pairsPerKind),
      testPairs: pairs("test", d.testPairsPerKind),
      beta: d.beta,
      steps: d.steps,
      batchSize: d.batchSize,
      lr: d.lr,
      lora: { rank: d.rank },
      chosenNllWeight: d.chosenNllWeight,
      progress: false,
    });
    result.adapters.detach();
    const show = (m: { loss: number; accuracy: number; margin: number }) => `loss ${m.loss.toFixed(4)}, preference accuracy ${(100 * m.accuracy).toFixed(1)} %, margin ${m.margin.toFixed(3)}`;
    console.log(`DPO + ${d.chosenNllWeight}·NLL of the chosen answers (β = ${d.beta}, LoRA r = ${d.rank}, ${result.history.steps.length} steps) on ${2 * d.testPairsPerKind} held-out pairs: before ${show(result.before)}; after ${show(result.after)}`);
    console.log(`greedy answers equal to the chosen one: ${(100 * result.chosenRateBefore).toFixed(1)} % → ${(100 * result.chosenRateAfter).toFixed(1)} %`);
    dpo = {
      before: { loss: round(result.before.loss, 4), accuracy: round(result.before.accuracy, 4), margin: round(result.before.margin, 4) },
      after: { loss: round(result.after.loss, 4), accuracy: round(result.after.accuracy, 4), margin: round(result.after.margin, 4) },
      chosenRateBefore: round(result.chosenRateBefore, 4),
      chosenRateAfter: round(result.chosenRateAfter, 4),
    };
  } finally {
    model.dispose();
  }
  return {
    steps,
    batchSize: b.batchSize,
    accuracyBefore: round(comparison.accuracyBefore, 4),
    methods: comparison.results.map((r) => ({
      method: r.label,
      trainable: r.trainable,
      all: r.all,
      optimizerStateBytes: r.optimizerStateBytes,
      msPerStep: round(1000 * r.secondsPerStep, 1),
      accuracy: round(r.accuracy, 4),
      oldTaskLossBefore: round(r.oldTaskLossBefore, 4),
      oldTaskLossAfter: round(r.oldTaskLossAfter, 4),
    })),
    threads,
    lora8StepSpeedup: reportedRatio(full.secondsPerStep / lora8.secondsPerStep, 2, threads),
    lora8AccuracyGapPoints: round(100 * (full.accuracy - lora8.accuracy), 1),
    lora8AllLinearStepSpeedup: reportedRatio(full.secondsPerStep / lora8All.secondsPerStep, 2, threads),
    lora8AllLinearAccuracyGapPoints: round(100 * (full.accuracy - lora8All.accuracy), 1),
    onnxruntimeFullStepMs: compiled === null ? null : round(1000 * compiled, 1),
    dpo,
  };
}

if (require.main === module) {
  run().then((result) => console.log(JSON.stringify(result)), (error) => {
    console.error(error);
    process.exit(1);
  });
}
