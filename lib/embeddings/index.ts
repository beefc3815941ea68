/**
 * Word embeddings (TP2): one-hot versus dense vectors, cosine similarity, nearest neighbours and analogies;
 * counting methods (co-occurrence matrix, PPMI, truncated SVD) on the lecture's small corpus; word2vec
 * (skip-gram and CBOW with negative sampling) trained from scratch on a real book.
 * `import { trainWord2Vec, nearestNeighbours } from "@llm-course/lib/embeddings";`
 */
export { cosineSimilarity, dot, norm, oneHot, oneHotOf, type Vector } from "./vectors";
export { WordVectors } from "./wordVectors";
export { analogy, nearestNeighbours, type Neighbour, type NeighbourOptions } from "./neighbours";
export { cooccurrenceMatrix, type CooccurrenceMatrix, type CooccurrenceOptions } from "./cooccurrence";
export { SEEDS_CORPUS_TEXT, SEEDS_SENTENCES, SEEDS_SVD_2D, SEEDS_VOCABULARY, SEEDS_WINDOW } from "./seedsCorpus";
export { ppmi, type PpmiOptions } from "./ppmi";
export { reconstruct, svd, svdProjection, truncatedSvd, type Svd } from "./svd";
export { buildVocabulary, checkSentences, type WordCounts } from "./vocabulary";
export { noiseDistribution, UnigramTable } from "./unigramTable";
export { keepProbabilities, keepProbability } from "./subsampling";
export {
  negativeSamplingGradients,
  negativeSamplingLoss,
  negativeSamplingUpdate,
  sigmoid,
  type NegativeSamplingGradients,
} from "./negativeSampling";
export { trainWord2Vec, type Word2VecArchitecture, type Word2VecBackend, type Word2VecModel, type Word2VecOptions } from "./word2vec";
export { EMBEDDING_WORD_PATTERN, mobyDickSentences, sentencesOf } from "./corpus";
export { plantedSynonymCorpus, type PlantedCorpus, type PlantedCorpusOptions } from "./plantedCorpus";
export { FAST_MODE_WORDS, trainMobyDickWord2Vec } from "./mobyDick";
export { pcaProjection } from "./pca";
