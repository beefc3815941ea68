/**
 * Small statistics helpers shared by the lessons: `import { spearman } from "@llm-course/lib/stats";`
 */
export { pearson, ranks, spearman } from "./correlation";
export { percentile } from "./summary";
export { accuracy, binaryClassificationReport, confusionMatrix, f1Score, precision, recall } from "./classification";
export type { BinaryClassificationReport, ConfusionMatrix } from "./classification";
