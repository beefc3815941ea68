/**
 * The course's mini-GPT on Moby-Dick (`gpt-moby`, data/models/gpt-moby/): its recipe, its data, and how a
 * notebook loads it. The model is trained once by `npm run models -- gpt` (see ./build) and committed, so
 * TP9 and TP11 start from a trained model without training anything:
 *
 *   const { model, tokenizer, info } = loadGptMoby();             // the tfjs model (lib/models/gpt)
 *   const { pipe } = await loadPipeline("text-generation", "gpt"); // the same weights through transformers.js
 *
 * The folder holds both forms of the same weights:
 *   config.json, generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx,
 *   onnx/model_quantized.onnx      the transformers.js layout (lib/onnx's export, fp32 and q8)
 *   tfjs/config.json, tfjs/weights.bin   the GPT checkpoint (GPT.save), with the vocabulary and the
 *                                  training figures in its metadata
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadMobyDick } from "../../data/books";
import { splitTokenStream, tokenStreamDataset, type TokenStreamDataset } from "../../data/token-stream";
import { PATHS } from "../../env";
import { CharTokenizer } from "../../tokenizers/char";
import { CONFIG_FILE } from "../checkpoint";
import { loadGptCheckpoint, type GPT } from "./model";

/** Where the course's GPT lives. */
export const GPT_MOBY_DIR = path.join(PATHS.data, "models", "gpt-moby");

/** The sub-folder of {@link GPT_MOBY_DIR} with the tfjs checkpoint. */
export const GPT_MOBY_CHECKPOINT = "tfjs";

/** Every choice behind gpt-moby. */
export const GPT_MOBY_RECIPE = {
  /** Character level on the whole book; the last 10 % of the text (in reading order) is the validation split. */
  data: { devFraction: 0.1, probeTokens: 16_384 },
  model: { blockSize: 128, layers: 4, heads: 4, width: 128, seed: 42 },
  /**
   * Trained by the compiled onnxruntime step (lib/models/gpt/training-graph, 3–5× faster than tfjs autograd).
   * 6,000 steps × 32 windows × 128 characters ≈ 22 passes over the training split: 1,001 s of training
   * (about 6 steps per second on the shared 2-core build machine, load ~8); validation loss 1.398 (perplexity
   * 4.05). The validation probe flattens out at the end (1.421, 1.406, 1.400, 1.400 at steps 4,200 / 4,800 /
   * 5,400 / 6,000), so this is about the best this architecture reaches within the 30-minute
   * budget. Earlier builds: 2.092 (600 steps of 16 with tfjs), 1.630 (1,200 of 32), 1.454 (2,400 of 32).
   */
  training: { steps: 6000, batchSize: 32, peakLr: 2e-3, warmup: 0.05, minLr: 2e-4, clipNorm: 1, seed: 42, engine: "onnxruntime" },
  /** Generations recorded in the checkpoint's metadata. */
  samples: { prompt: "Call me Ishmael. ", newTokens: 100, temperature: 0.8, seed: 7 },
} as const;

/** The book as the model sees it: the tokenizer, the id stream and the contiguous train / validation split. */
export interface GptMobyData {
  tokenizer: CharTokenizer;
  text: string;
  ids: number[];
  train: TokenStreamDataset;
  dev: TokenStreamDataset;
  /** The first `probeTokens` + 1 ids of the validation split: the dev curve during training. */
  devProbe: TokenStreamDataset;
  /** ids[0 … trainEnd − 1] train, the rest validates. */
  trainEnd: number;
}

/**
 * Moby-Dick tokenized by characters (the book's 89 characters plus `<pad> <s> </s> <unk>`) and split as the
 * recipe says. `blockSize` defaults to the model's context.
 */
export function gptMobyData(blockSize: number = GPT_MOBY_RECIPE.model.blockSize): GptMobyData {
  const text = loadMobyDick();
  const tokenizer = CharTokenizer.fromText(text);
  const ids = tokenizer.encode(text);
  const { train, dev, trainEnd } = splitTokenStream(ids, blockSize, GPT_MOBY_RECIPE.data.devFraction);
  const devProbe = tokenStreamDataset(dev.ids.subarray(0, Math.min(dev.ids.length, GPT_MOBY_RECIPE.data.probeTokens + 1)), blockSize);
  return { tokenizer, text, ids, train, dev, devProbe, trainEnd };
}

/** What the build recorded in the checkpoint's metadata. */
export interface GptMobyInfo {
  /** The vocabulary's characters in id order after the special tokens. */
  chars: string[];
  parameters: number;
  steps: number;
  batchSize: number;
  /** Mean next-token loss (nats) on the whole validation split before and after training. */
  initialDevLoss: number;
  devLoss: number;
  trainLoss: number;
  /** Dev-probe loss during training, at these steps. */
  devSteps: number[];
  probeLoss: number[];
  /** Minibatch loss averaged over consecutive runs of `trainLossEvery` steps. */
  trainLossCurve: number[];
  trainLossEvery: number;
  trainTokens: number;
  devTokens: number;
  greedySample: string;
  sampledText: string;
  fp32OnnxBytes: number;
  q8OnnxBytes: number;
}

/** The course's GPT and its tokenizer, loaded from the committed checkpoint. */
export interface LoadedGptMoby {
  model: GPT;
  tokenizer: CharTokenizer;
  info: GptMobyInfo;
  /** The model folder (absolute): pass it to transformers.js's `pipeline(...)`. */
  directory: string;
}

/**
 * Loads gpt-moby's tfjs checkpoint (call `await initBackend()` first). Throws with the command that builds
 * it when the folder is missing.
 */
export function loadGptMoby(directory: string = GPT_MOBY_DIR): LoadedGptMoby {
  const root = path.resolve(directory);
  const checkpoint = path.join(root, GPT_MOBY_CHECKPOINT);
  if (!fs.existsSync(path.join(checkpoint, CONFIG_FILE))) {
    throw new Error(`le GPT du cours n'est pas construit : ${checkpoint} n'a pas de ${CONFIG_FILE}. Lancez \`npm run models -- gpt\` à la racine du cours.`);
  }
  const { model, manifest } = loadGptCheckpoint(checkpoint);
  const info = manifest.metadata?.gptMoby as GptMobyInfo | undefined;
  if (!info || !Array.isArray(info.chars)) {
    model.dispose();
    throw new Error(`${checkpoint}/${CONFIG_FILE} n'a pas les métadonnées gptMoby : reconstruisez-le avec \`npm run models -- gpt\``);
  }
  const tokenizer = new CharTokenizer(info.chars);
  if (model.config.vocabSize !== tokenizer.vocabSize) {
    model.dispose();
    throw new Error(`gpt-moby : le point de contrôle a ${model.config.vocabSize} identifiants de tokens mais son vocabulaire ${tokenizer.vocabSize}`);
  }
  return { model, tokenizer, info, directory: root };
}
