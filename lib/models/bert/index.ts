/**
 * The course's encoder-only BERT (TP8): masked-language-model pre-training, fill-mask and feature
 * extraction, fine-tuning a [CLS] classifier.
 * `import { BERT, bertMlmData, maskTokens, fillMask } from "@llm-course/lib/models/bert";`
 */
export { BERT, BertEmbeddings, BertLayer, MlmHead, BERT_CHECKPOINT_FORMAT, isBertCheckpoint } from "./model";
export type { MlmEvaluation } from "./model";
export { BERT_OPTIMIZER_DEFAULTS, bertConfig, bertParameterCount } from "./config";
export type { BertConfig, BertOptions } from "./config";
export { IGNORE_INDEX, maskingRules, maskTokens } from "./masking";
export type { MaskedSequence, MaskingRuleOptions, MaskingRules, MaskingShares } from "./masking";
export { batchRows, bertClassificationData, maskedRows, bertMlmData, classificationDataset, mlmDataset, mlmSequences, sequenceDataset } from "./data";
export type { BertMlmDataOptions, ClassificationDataset, MaskedRows, MlmDataset, MlmDatasetOptions, PaddedRows, SequenceDataset, SequenceDatasetOptions } from "./data";
export { BertClassifier } from "./classifier";
export { BertTrainingRunner, buildBertTrainingGraph } from "./training-graph";
export type { BertTrainingTask } from "./training-graph";
export type { BertClassifierOptions } from "./classifier";
export { featureExtraction, fillMask } from "./pipelines";
export type { FeatureExtractionOptions, FillMaskResult } from "./pipelines";
