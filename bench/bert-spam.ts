/**
 * TP8's comparison, spam vs ham on the SpamAssassin test split (seed 42, 1,209 messages, never seen in
 * pre-training), with the course's bert-tiny (data/models/bert-tiny):
 *
 *   (a) bert-tiny fine-tuned end to end (the compiled onnxruntime step, or tfjs autograd without onnxruntime):
 *       [CLS] → pooler → classifier, every weight trained
 *   (b) logistic regression on frozen feature-extraction vectors (transformers.js on the exported folder,
 *       mean pooling): the only option for a Hub model, which comes as an inference graph only
 *   (c) bag of words + logistic regression, on the whole text and on the 62 first words BERT sees
 *
 * plus (a) from random weights, to show what pre-training brings. Accuracy and F1 (spam = positive).
 * Fast mode (LLM_COURSE_FAST=1): 2,000 training messages, 200 steps at most, as the notebook runs it.
 *
 *   npm run bench -- bert-spam
 */
import { initBackend } from "../lib/backend";
import { loadSpamAssassin, splitMail } from "../lib/data/spam";
import { FAST_LIMITS, fastOr, isFastMode } from "../lib/env";
import { loadPipeline } from "../lib/llm";
import { BagOfWords } from "../lib/models/bagOfWords";
import { BERT, BertClassifier, bertClassificationData } from "../lib/models/bert";
import { BERT_TINY_DIR, BERT_TINY_RECIPE } from "../lib/models/bert/build";
import { featureDataset, fitLogisticRegression, fitStandardizer } from "../lib/models/logistic";
import { warmupCosineLr } from "../lib/models/optim";
import { loadBertFromTransformersJs } from "../lib/onnx/transformersJsBert";
import { Random } from "../lib/random";
import { binaryClassificationReport, type BinaryClassificationReport } from "../lib/stats";
import { bertEncode, bertSpecialIds, type WordTokenizer } from "../lib/tokenizers";
import { train } from "../lib/training/loop";

type Row = { method: string; accuracy: number; f1: number; precision: number; recall: number; seconds: number };

function row(method: string, report: BinaryClassificationReport, started: number): Row {
  const r = (x: number) => Number(x.toFixed(4));
  return { method, accuracy: r(report.accuracy), f1: r(report.f1), precision: r(report.precision), recall: r(report.recall), seconds: Number(((Date.now() - started) / 1000).toFixed(1)) };
}

/** The words BERT sees: the text's first maxLength − 2 tokens, decoded; unknown words as [UNK] (which the tokenizer reads back as such) or left out. */
function firstWords(tokenizer: WordTokenizer, text: string, maxLength: number, keepUnknown = true): string {
  const { cls, sep } = bertSpecialIds(tokenizer);
  return tokenizer.decode(bertEncode(tokenizer, text, { maxLength }).filter((id) => id !== cls && id !== sep), { skipSpecialTokens: !keepUnknown });
}

async function fineTune(bert: BERT, trainTexts: string[], trainLabels: number[], testTexts: string[], testLabels: number[], tokenizer: WordTokenizer, seed: number): Promise<BinaryClassificationReport> {
  const maxLength = bert.config.maxPositions;
  const trainData = bertClassificationData(tokenizer, trainTexts, trainLabels, { maxLength });
  const testData = bertClassificationData(tokenizer, testTexts, testLabels, { maxLength });
  const classifier = new BertClassifier(bert, { seed });
  try {
    await train(classifier, { train: trainData, steps: 400, batchSize: 32, lr: warmupCosineLr(5e-4, 0.1, 5e-5), rng: new Random(seed), label: "fine-tuning" });
    return binaryClassificationReport(testLabels, classifier.predict(testData));
  } finally {
    classifier.dispose();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  await initBackend();
  const splits = splitMail(loadSpamAssassin(), BERT_TINY_RECIPE.split);
  const trainSet = fastOr(splits.train.slice(0, FAST_LIMITS.maxExamples), splits.train);
  const trainTexts = trainSet.map((m) => m.text);
  const trainLabels = trainSet.map((m) => m.label);
  const testTexts = splits.test.map((m) => m.text);
  const testLabels = splits.test.map((m) => m.label);
  const rows: Row[] = [];
  const { model, tokenizer, config } = loadBertFromTransformersJs(BERT_TINY_DIR);
  const maxLength = model.config.maxPositions;
  console.log(`${trainSet.length} training messages, ${splits.test.length} test messages (${testLabels.filter((l) => l === 1).length} spam); fast mode ${isFastMode()}; bert-tiny: ${JSON.stringify((config.llm_course as Record<string, unknown>).dev_mlm_loss)} dev MLM loss`);

  // (c) Bag of words, whole text and the first words only.
  for (const [method, view] of [["(c) bag of words + LR, whole text", (t: string) => t], [`(c) bag of words + LR, first ${maxLength - 2} tokens`, (t: string) => firstWords(tokenizer, t, maxLength, false)]] as const) {
    const started = Date.now();
    const bow = BagOfWords.fit(trainTexts.map(view));
    const data = featureDataset(trainTexts.map((t) => bow.transform(view(t))), trainLabels, bow.dim);
    const { model: lr } = await fitLogisticRegression(data, { steps: 1000, batchSize: 64, lr: 0.05, seed: 1, progress: false });
    rows.push(row(method, binaryClassificationReport(testLabels, lr.predict(testTexts.map((t) => bow.transform(view(t))))), started));
  }

  // (b) Frozen features from transformers.js (the exported folder, offline), standardised, logistic regression.
  {
    const started = Date.now();
    type Extractor = (texts: string[], options: { pooling: "mean" }) => Promise<{ data: Float32Array; dims: number[] }>;
    const { pipe: extractor } = await loadPipeline<Extractor & { dispose(): Promise<void> }>("feature-extraction", "bert", { online: false });
    const vectors = async (texts: string[]): Promise<Float32Array[]> => {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += 64) {
        // Cut to the position table here: transformers.js would drop the final [SEP] when it truncates.
        const chunk = texts.slice(start, start + 64).map((t) => firstWords(tokenizer, t, maxLength));
        const { data, dims } = await extractor(chunk, { pooling: "mean" });
        for (let i = 0; i < chunk.length; i++) out.push(data.slice(i * dims[1]!, (i + 1) * dims[1]!));
      }
      return out;
    };
    const trainVectors = await vectors(trainTexts);
    const scaler = fitStandardizer(trainVectors);
    const data = featureDataset(trainVectors.map(scaler.apply), trainLabels);
    const { model: lr } = await fitLogisticRegression(data, { steps: 1000, batchSize: 64, lr: 0.05, seed: 1, progress: false });
    const testVectors = (await vectors(testTexts)).map(scaler.apply);
    rows.push(row("(b) frozen bert-tiny features (transformers.js, mean pooling) + LR", binaryClassificationReport(testLabels, lr.predict(testVectors)), started));
    await extractor.dispose();
  }

  // (a) Fine-tuning end to end, from the pre-trained weights and from random ones.
  {
    const started = Date.now();
    rows.push(row("(a) bert-tiny fine-tuned end to end", await fineTune(model, trainTexts, trainLabels, testTexts, testLabels, tokenizer, 1), started));
  }
  model.dispose();
  {
    const started = Date.now();
    const scratch = new BERT({ vocabSize: tokenizer.vocabSize, ...BERT_TINY_RECIPE.model, padId: bertSpecialIds(tokenizer).pad });
    rows.push(row("(a′) same network from random weights (no pre-training)", await fineTune(scratch, trainTexts, trainLabels, testTexts, testLabels, tokenizer, 1), started));
    scratch.dispose();
  }

  const majority = binaryClassificationReport(testLabels, testLabels.map(() => 0));
  rows.push(row("always ham (majority class)", majority, Date.now()));
  for (const r of rows) console.log(`${r.method.padEnd(70)} accuracy ${(100 * r.accuracy).toFixed(1)} %  F1 ${r.f1.toFixed(3)}  (P ${r.precision.toFixed(3)}, R ${r.recall.toFixed(3)}, ${r.seconds} s)`);
  return { fastMode: isFastMode(), trainMessages: trainSet.length, testMessages: splits.test.length, rows };
}

if (require.main === module) {
  run().then((figures) => console.log(JSON.stringify(figures)));
}
