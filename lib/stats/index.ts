/**
 * Small statistics helpers shared by the lessons: `import { spearman } from "@llm-course/lib/stats";`
 */
export { pearson, ranks, spearman } from "./correlation";
