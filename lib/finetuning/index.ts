/**
 * Fine-tuning (TP13): LoRA adapters written from scratch (init, merge, save/load, trainable-parameter
 * report), full / head-only / LoRA fine-tuning through one trainer and their side-by-side comparison on a
 * new chat task, QLoRA over an int8/int4 base, and preference optimisation (reward-model loss, DPO).
 * `import { LoraAdapters, prepareFineTuning, dpoLoss } from "@llm-course/lib/finetuning";`
 */
export { baseModelSignature, formatTrainableParameters, LORA_DEFAULT_TARGETS, LORA_TARGETS, LoraAdapters, loraConfig, LoraLayer } from "./lora";
export type { BaseModelSignature, LoraConfig, LoraTarget, ResolvedLoraConfig, TrainableParameters } from "./lora";
export { adamStateBytes, methodLabel, prepareFineTuning, SubsetTrainer } from "./trainer";
export type { FineTuningMethod, FineTuningSetup } from "./trainer";
export { exactMatchAccuracy, parityExamples } from "./parity-task";
export type { TaskExample, ParitySplit } from "./parity-task";
export { compareFineTuning, defaultLearningRate, FINETUNE_ROW_TOKENS, fineTune, fineTuningData } from "./compare";
export type { FineTuneOptions, FineTuningData, FineTuningResult } from "./compare";
export { quantizeBase } from "./qlora";
export type { QuantizedBase } from "./qlora";
export {
  answerLogProbs,
  answerRows,
  checkPreferencePair,
  chosenAnswerRate,
  DpoTrainer,
  dpoLoss,
  implicitRewards,
  optimisePreferences,
  preferenceDataset,
  preferenceMetrics,
  preferencePairs,
  rewardModelLoss,
} from "./preference";
export type { AnswerRows, DpoRun, DpoRunOptions, PairLogProbs, PreferenceDataset, PreferenceKind, PreferenceMetrics, PreferencePair } from "./preference";
