/**
 * The lesson's word2vec run on Moby-Dick, sized by the course's fast mode: the whole book and 5 epochs
 * normally (about 10–25 s for skip-gram on a laptop core), the first 30,000 words and 1 epoch in fast
 * mode (CI, tests), which runs in a second or two.
 */
import { fastOr } from "../env";
import { mobyDickSentences } from "./corpus";
import { trainWord2Vec, type Word2VecModel, type Word2VecOptions } from "./word2vec";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Words of the book used in fast mode. */
export const FAST_MODE_WORDS = 30_000;

/**
 * Trains word2vec on Moby-Dick with the settings (vector size 100, window 5, 5 negatives,
 * min_count 5, 5 epochs; gensim's defaults otherwise); `options` override them, except that fast mode
 * always trains on the first {@link FAST_MODE_WORDS} words for 1 epoch.
 */
export const trainMobyDickWord2Vec = offLimitsDuringChecks("trainMobyDickWord2Vec", async function trainMobyDickWord2Vec(options: Word2VecOptions = {}): Promise<Word2VecModel> {
  const sentences = fastOr(mobyDickSentences(FAST_MODE_WORDS), mobyDickSentences());
  return trainWord2Vec(sentences, {
    vectorSize: 100,
    window: 5,
    negative: 5,
    minCount: 5,
    ...options,
    epochs: fastOr(1, options.epochs ?? 5),
  });
});
