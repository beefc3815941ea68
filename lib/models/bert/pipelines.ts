/**
 * The two transformers.js pipelines TP8 uses, written for the tfjs BERT so that the notebook can put the
 * two side by side: `fillMask` (the masked-LM head's guesses for a [MASK]) and `featureExtraction` (one
 * vector per text from the last layer, mean-pooled or the [CLS] vector). Same inputs, same outputs as
 * `pipeline("fill-mask", …)` and `pipeline("feature-extraction", …)` on the exported folder.
 */
import * as tf from "@tensorflow/tfjs";
import { bertEncode, bertSpecialIds, padBatch, type WordTokenizer } from "../../tokenizers";
import type { BERT } from "./model";

/** One guess of {@link fillMask}, as transformers.js returns it. */
export interface FillMaskResult {
  /** Probability of the token at the [MASK] position. */
  score: number;
  /** Its id. */
  token: number;
  /** Its text. */
  token_str: string;
  /** The input with the guess in place of [MASK], special tokens left out. */
  sequence: string;
}

/**
 * The `topK` most probable tokens (default 5) at the first [MASK] of `text`:
 * `fillMask(model, tokenizer, "click [MASK] to unsubscribe")`.
 */
export function fillMask(model: BERT, tokenizer: WordTokenizer, text: string, options: { topK?: number } = {}): FillMaskResult[] {
  const topK = options.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`fillMask: topK must be an integer ≥ 1, got ${topK}`);
  const { mask } = bertSpecialIds(tokenizer);
  const ids = bertEncode(tokenizer, text, { maxLength: model.config.maxPositions });
  const position = ids.indexOf(mask);
  if (position < 0) throw new Error(`fillMask: no [MASK] in ${JSON.stringify(text)} (within the first ${model.config.maxPositions - 2} tokens)`);
  const probabilities = tf.tidy(() => {
    const logits = model.forward(tf.tensor2d([ids], [1, ids.length], "int32"));
    return tf.softmax(logits.slice([0, position, 0], [1, 1, model.config.vocabSize]).reshape([model.config.vocabSize]));
  });
  const values = probabilities.dataSync() as Float32Array;
  probabilities.dispose();
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || a - b).slice(0, Math.min(topK, values.length));
  return order.map((token) => {
    const filled = ids.slice();
    filled[position] = token;
    return { score: values[token]!, token, token_str: tokenizer.decode([token]), sequence: tokenizer.decode(filled, { skipSpecialTokens: true }) };
  });
}

/** Options of {@link featureExtraction}. */
export interface FeatureExtractionOptions {
  /** "mean" (default): average over the tokens, padding excluded; "cls": the [CLS] vector. */
  pooling?: "mean" | "cls";
  /** Divide each vector by its L2 norm (default false). */
  normalize?: boolean;
  /** Texts per forward pass (default 32). */
  batchSize?: number;
}

/**
 * One vector of width d per text from the encoder's last layer, as transformers.js's feature-extraction
 * pipeline with `{ pooling: "mean" }` computes it: `featureExtraction(model, tokenizer, texts)`. Texts are
 * cut to the position table (their start kept). The encoder's weights are not changed.
 */
export function featureExtraction(model: BERT, tokenizer: WordTokenizer, texts: readonly string[], options: FeatureExtractionOptions = {}): Float32Array[] {
  if (!Array.isArray(texts)) throw new TypeError("featureExtraction: texts must be an array of strings");
  const pooling = options.pooling ?? "mean";
  if (pooling !== "mean" && pooling !== "cls") throw new RangeError(`featureExtraction: pooling must be "mean" or "cls", got ${String(pooling)}`);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`featureExtraction: batchSize must be an integer ≥ 1, got ${batchSize}`);
  const { pad } = bertSpecialIds(tokenizer);
  const width = model.config.width;
  const out: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    const chunk = texts.slice(start, start + batchSize);
    const batch = padBatch(chunk.map((text) => bertEncode(tokenizer, text, { maxLength: model.config.maxPositions })), { padId: pad });
    const length = batch.inputIds[0]!.length;
    const pooled = tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [chunk.length, length], "int32");
      const mask = tf.tensor2d(batch.attentionMask, [chunk.length, length], "float32");
      const hidden = model.hiddenStates(ids, mask);
      let vectors: tf.Tensor = pooling === "cls"
        ? hidden.slice([0, 0, 0], [chunk.length, 1, width]).reshape([chunk.length, width])
        : tf.div(tf.sum(tf.mul(hidden, mask.expandDims(2)), 1), tf.sum(mask, 1, true));
      if (options.normalize) vectors = tf.div(vectors, tf.maximum(tf.norm(vectors, 2, 1, true), 1e-12));
      return vectors;
    });
    const data = pooled.dataSync() as Float32Array;
    for (let i = 0; i < chunk.length; i++) out.push(data.slice(i * width, (i + 1) * width));
    pooled.dispose();
  }
  return out;
}
