/**
 * Trains TP7's English → French number-words Transformer and writes its checkpoint to
 * data/models/tp07-transformer/ (config.json + weights.bin, about 0.7 MB), with the figures of the run in
 * the checkpoint's metadata. Reproducible: the splits, the initial weights and every minibatch are seeded.
 *
 *   tsx lib/models/transformer/train-cli.ts [--steps N] [--out DIR]
 *
 * Training set: the 50,000 uniform numbers of lib/data's seeded split plus short numbers (0 … 999 and
 * round thousands, see `shortTrainingNumbers`), none of them in dev or test. Scoring: greedy decoding of
 * the 2,000 test numbers (drawn uniformly from 0 … 999,999, never trained on); a translation counts only
 * when the whole French string is exactly the reference. Also reported: unseen numbers of 4, 5 and 6 digits.
 */
import * as path from "node:path";
import { backendInfo, initBackend } from "../../backend";
import { numberPairs, numberTranslationSplits } from "../../data/numberTranslation";
import { NumberWordsTokenizer } from "../../data/numberTokenizer";
import { PATHS } from "../../env";
import { Random } from "../../random";
import { train } from "../../training/loop";
import { warmupCosineLr } from "../optim";
import { Transformer } from "./model";
import { scoreNumberTranslations, shortTrainingNumbers, TP07_CHECKPOINT_DIR, TP07_RECIPE, type Tp07Figures } from "./tp07";

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  await initBackend();
  const steps = Number(argument("steps") ?? TP07_RECIPE.training.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be an integer ≥ 1, got ${argument("steps")}`);
  const out = path.resolve(argument("out") ?? TP07_CHECKPOINT_DIR);

  const splits = numberTranslationSplits(TP07_RECIPE.data);
  const heldOut = new Set([...splits.dev, ...splits.test]);
  const extra = shortTrainingNumbers(TP07_RECIPE.shortNumbers, heldOut);
  const sourceTokenizer = new NumberWordsTokenizer("en");
  const targetTokenizer = new NumberWordsTokenizer("fr");
  const pairs = (numbers: readonly number[]) => numberPairs(numbers, sourceTokenizer, targetTokenizer);
  const data = { splits, train: pairs([...splits.train, ...extra]), dev: pairs(splits.dev), test: pairs(splits.test) };
  const target = data.train.targetIds;
  const model = new Transformer({
    ...TP07_RECIPE.model,
    sourceVocabSize: sourceTokenizer.vocabSize,
    targetVocabSize: targetTokenizer.vocabSize,
    padId: target.pad,
    bosId: target.bos,
    eosId: target.eos,
  });
  console.log(`${data.train.size} training pairs (${splits.train.length} uniform + ${extra.length} short), ${data.dev.size} dev, ${data.test.size} test; ${model.config.dModel}-d, ${model.config.encoderLayers}+${model.config.decoderLayers} layers, ${model.config.heads} heads`);

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
  // Held-out numbers by length: 300 of each of 4, 5 and 6 digits outside every split and the extra numbers.
  const used = new Set([...splits.train, ...extra, ...heldOut]);
  const rng = new Random(TP07_RECIPE.shortNumbers.seed + 1);
  const unseenByDigits: Record<string, number> = {};
  for (const digits of [4, 5, 6]) {
    const numbers = new Set<number>();
    while (numbers.size < 300) {
      const n = 10 ** (digits - 1) + rng.int(9 * 10 ** (digits - 1));
      if (!used.has(n)) numbers.add(n);
    }
    unseenByDigits[String(digits)] = scoreNumberTranslations(model, [...numbers], sourceTokenizer, targetTokenizer).accuracy;
  }
  const trainedOn = (numbers: number[]) => scoreNumberTranslations(model, numbers.filter((n) => !heldOut.has(n)), sourceTokenizer, targetTokenizer).accuracy;
  const belowThousand = trainedOn(Array.from({ length: 1000 }, (_, n) => n));
  const roundThousands = trainedOn(Array.from({ length: 999 }, (_, n) => 1000 * (n + 1)));

  const figures: Tp07Figures = {
    steps: history.steps.length,
    trainingSeconds: Math.round(history.seconds * 10) / 10,
    devLoss,
    devPerplexity: Math.exp(devLoss),
    testSize: correct.length,
    testExactMatch: accuracy,
    subsetSize: subset.length,
    subsetExactMatch: subsetAccuracy,
    unseenByDigits,
    belowThousand,
    roundThousands,
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
  const percent = (x: number) => `${(100 * x).toFixed(1)} %`;
  console.log(`unseen 4/5/6-digit numbers: ${[4, 5, 6].map((d) => percent(unseenByDigits[String(d)]!)).join(" / ")} · trained on: 0 … 999 ${percent(belowThousand)}, round thousands ${percent(roundThousands)}`);
  const wrong = correct.map((ok, i) => (ok ? -1 : i)).filter((i) => i >= 0).slice(0, 10);
  for (const i of wrong) console.log(`  ${data.splits.test[i]}: "${texts[i]}" ≠ "${data.test.targetTexts[i]}"`);
  console.log(`wrote ${path.relative(PATHS.root, out)} (${(bytes / 1e6).toFixed(2)} MB of weights)`);
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
