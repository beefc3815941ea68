/**
 * The lecture's small co-occurrence example ("cnn in crop analysis", course slides, TP2), with the 2-D
 * coordinates the slide prints after a truncated SVD, so the notebook and the tests can check our numbers
 * against the slide's.
 *
 * How the slide's numbers were made, worked back from its coordinates: counts over whole sentences (every
 * pair of words in the same sentence, i.e. any window ≥ 8 on these sentences), vocabulary in order of first
 * appearance, and the closing question tokenised WITHOUT its "and" — with "and" in it, "and" would share the
 * question's context and the coordinates would differ (largest singular value 11.88 instead of 10.45).
 * With these tokens the top-2 SVD (U·Σ, signs as scikit-learn's TruncatedSVD chooses) matches all 22 printed
 * rows to 1e-8. The slide's printed matrix itself is garbled in the seeds (rows of 24–26 numbers, not
 * symmetric); its readable rows (crop, analysis, svm, are, widely) match this corpus's matrix.
 */

/** The corpus as printed on the slide (title line, four sentences, and the question asked about them). */
export const SEEDS_CORPUS_TEXT: readonly string[] = [
  "cnn in crop analysis",
  "cnn and svm are widely used.",
  "linear_regression performed along with svm",
  "linear_regression for crop and farm",
  "svm being used for farm monitoring",
  "Do cnn, svm and linear_regression appear in the same context?",
];

/** The tokens that reproduce the slide's numbers: lower-case words, the question without "and". */
export const SEEDS_SENTENCES: readonly (readonly string[])[] = [
  ["cnn", "in", "crop", "analysis"],
  ["cnn", "and", "svm", "are", "widely", "used"],
  ["linear_regression", "performed", "along", "with", "svm"],
  ["linear_regression", "for", "crop", "and", "farm"],
  ["svm", "being", "used", "for", "farm", "monitoring"],
  ["do", "cnn", "svm", "linear_regression", "appear", "in", "the", "same", "context"],
];

/** The slide's vocabulary (22 words), which is the order of first appearance in {@link SEEDS_SENTENCES}. */
export const SEEDS_VOCABULARY: readonly string[] = [
  "cnn", "in", "crop", "analysis", "and", "svm", "are", "widely", "used", "linear_regression", "performed",
  "along", "with", "for", "farm", "being", "monitoring", "do", "appear", "the", "same", "context",
];

/** The window the slide's numbers need: the whole sentence. */
export const SEEDS_WINDOW = "sentence" as const;

/**
 * The slide's 2-D coordinates (U·Σ of the rank-2 SVD), one row per word of {@link SEEDS_VOCABULARY}. The
 * slide prints 23 rows: the identical row of performed/along/with appears four times, once too many.
 */
export const SEEDS_SVD_2D: readonly (readonly [number, number])[] = [
  [3.72113518, -0.73233585],
  [2.7940387, -1.40864784],
  [1.61178082, 0.44786021],
  [0.77784994, -0.31230389],
  [2.12245048, 1.29571556],
  [4.49293777, 0.58090417],
  [1.33312748, 0.66758743],
  [1.33312748, 0.66758743],
  [2.25882809, 1.80738544],
  [3.56593605, -0.31006976],
  [0.95394179, 0.079159],
  [0.95394179, 0.079159],
  [0.95394179, 0.079159],
  [1.92921553, 1.94783497],
  [1.92921553, 1.94783497],
  [1.12301312, 1.42126096],
  [1.12301312, 1.42126096],
  [2.26025282, -1.31571175],
  [2.26025282, -1.31571175],
  [2.26025282, -1.31571175],
  [2.26025282, -1.31571175],
  [2.26025282, -1.31571175],
];
