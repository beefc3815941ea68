/**
 * Trains TP7's English → French number-words Transformer and writes its checkpoint to
 * data/models/tp07-transformer/ (config.json + weights.bin, about 0.7 MB), with the figures of the run in
 * the checkpoint's metadata. Reproducible: the splits, the initial weights and every minibatch are seeded.
 *
 *   tsx lib/models/transformer/train-cli.ts [--steps N] [--out DIR]
 *
 * Scoring: greedy decoding of the 2,000 test numbers (drawn uniformly from 0 … 999,999, never trained
 * on); a translation counts only when the whole French string is exactly the reference.
 */
import * as path from "node:path";
import { backendInfo, initBackend } from "../../backend";
import { numberTranslationData } from "../../data/numberTranslation";
import { PATHS } from "../../env";
import { Random } from "../../random";
import { train } from "../../training/loop";
import { warmupCosineLr } from "../optim";
import { Transformer } from "./model";
import { scoreNumberTranslations, TP07_CHECKPOINT_DIR, TP07_RECIPE, type Tp07Figures } from "./tp07";

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  await initBackend();
  const steps = Number(argument("steps") ?? TP07_RECIPE.training.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be an integer ≥ 1, got ${argument("steps")}`);
  const out = path.resolve(argument("out") ?? TP07_CHECKPOINT_DIR);

  const data = numberTranslationData(TP07_RECIPE.data);
  if (data.dev === undefined) throw new Error("the recipe needs a dev split");
  const { sourceTokenizer, targetTokenizer } = data;
  const target = data.train.targetIds;
  const model = new Transformer({
    ...TP07_RECIPE.model,
    sourceVocabSize: sourceTokenizer.vocabSize,
    targetVocabSize: targetTokenizer.vocabSize,
    padId: target.pad,
    bosId: target.bos,
    eosId: target.eos,
  });
  console.log(`${data.train.size} training pairs, ${data.dev.size} dev, ${data.test.size} test; ${model.config.dModel}-d, ${model.config.encoderLayers}+${model.config.decoderLayers} layers, ${model.config.heads} heads`);

  const { batchSize, peakLr, warmupSteps, minLr, seed } = TP07_RECIPE.training;
  const history = await train(model, {
    train: data.train,
    dev: data.dev,
    steps,
    batchSize,
    lr: warmupCosineLr(peakLr, warmupSteps, minLr),
    rng: new Random(seed),
    evalEvery: Math.max(1, Math.round(steps / 8)),
    label: "tp07 transformer",
    fastMode: false,
  });
  const devLoss = history.devLoss[history.devLoss.length - 1]!;

  const decodeStart = Date.now();
  const { texts, correct, accuracy } = scoreNumberTranslations(model, data.splits.test, sourceTokenizer, targetTokenizer);
  const subset = correct.slice(0, TP07_RECIPE.subsetSize);
  const subsetAccuracy = subset.filter(Boolean).length / subset.length;
  const decodeSeconds = (Date.now() - decodeStart) / 1000;

  const figures: Tp07Figures = {
    steps: history.steps.length,
    trainingSeconds: Math.round(history.seconds * 10) / 10,
    devLoss,
    devPerplexity: Math.exp(devLoss),
    testSize: correct.length,
    testExactMatch: accuracy,
    subsetSize: subset.length,
    subsetExactMatch: subsetAccuracy,
    backend: backendInfo()?.summary ?? "unknown",
  };
  const bytes = model.save(out, {
    task: "English → French number words, 0 … 999,999 (lib/data/numberTranslation)",
    recipe: TP07_RECIPE,
    figures,
    sourceTokens: sourceTokenizer.vocab.tokens,
    targetTokens: targetTokenizer.vocab.tokens,
  });
  console.log(
    `${figures.steps} steps in ${figures.trainingSeconds} s · dev perplexity ${figures.devPerplexity.toFixed(4)} · ` +
      `test exact match ${(100 * accuracy).toFixed(2)} % of ${correct.length} (first ${subset.length}: ${(100 * subsetAccuracy).toFixed(2)} %) · decoded in ${decodeSeconds.toFixed(1)} s`,
  );
  const wrong = correct.map((ok, i) => (ok ? -1 : i)).filter((i) => i >= 0).slice(0, 10);
  for (const i of wrong) console.log(`  ${data.splits.test[i]}: "${texts[i]}" ≠ "${data.test.targetTexts[i]}"`);
  console.log(`wrote ${path.relative(PATHS.root, out)} (${(bytes / 1e6).toFixed(2)} MB of weights)`);
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
