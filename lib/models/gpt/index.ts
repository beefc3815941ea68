/**
 * The course's decoder-only mini-GPT (TP7, TP9) and its trained instance gpt-moby (loadGptMoby):
 * `import { GPT, gptParameterCount } from "@llm-course/lib/models/gpt";`
 */
export { GPT, GptBlock, gelu, GPT_CHECKPOINT_FORMAT, isGptCheckpoint } from "./model";
export type { GptDataset, GptGenerateOptions } from "./model";
export { GPT_OPTIMIZER_DEFAULTS, gptConfig, gptParameterCount } from "./config";
export type { GptConfig, GptOptions, PositionEncoding, TrainingEngine } from "./config";
export { buildGptTrainingGraph, checkLossWeights, GptTrainingRunner } from "./training-graph";
export type { GptTrainingGraph, LossAndGradients, TrainingGraphParameter } from "./training-graph";
export { repeatedSequenceLoss, repeatedSequenceRows } from "./induction";
export type { RepeatedSequenceLoss, RepeatedSequenceRowsOptions } from "./induction";
export { GPT_MOBY_CHECKPOINT, GPT_MOBY_DIR, GPT_MOBY_RECIPE, gptMobyData, loadGptMoby } from "./moby";
export type { GptMobyData, GptMobyInfo, LoadedGptMoby } from "./moby";
export { disposeTinyGpt, tinyGptForward, tinyGptLoss, tinyGptNamedVariables, tinyGptParameterCount, tinyGptTrainStep, tinyGptVariables, tinyGptWeights } from "./tiny";
export type { TinyGptBlockWeights, TinyGptShape, TinyGptWeights } from "./tiny";
