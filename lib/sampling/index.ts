/**
 * Sampling from language models: the next token at a temperature, and makemore's generation loop.
 * `import { generateIds, sampleFromLogits } from "@llm-course/lib/sampling";`
 */
export { applyTemperature, sampleFromLogits, sampleFromProbabilities, softmax } from "./temperature";
export { generateIds } from "./generate";
export type { GenerateOptions } from "./generate";
