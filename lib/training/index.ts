/**
 * Training for every lesson: the model contract, the loop, learning-rate schedules and search, loss curves.
 * `import { train, stepDecayLr, plotLossCurves } from "@llm-course/lib/training";`
 */
export type { ContextDataset, Examples, Trainable } from "./trainable";
export { train } from "./loop";
export type { StopReason, TrainHistory, TrainOptions } from "./loop";
export { constantLr, cosineLr, learningRateAt, stepDecayLr } from "./schedules";
export type { LearningRate, LearningRateSchedule } from "./schedules";
export { averageLoss, plotLossCurves } from "./curves";
export type { LossCurveOptions } from "./curves";
export { findLearningRate, plotLrSweep, sweepRate } from "./lr-finder";
export type { LrFinderOptions, LrSweep } from "./lr-finder";
