/**
 * Sampling from language models: the next token at a temperature, top-k and top-p filters, greedy
 * decoding, makemore's generation loop, and the GPT decoding loop with stop sequences.
 * `import { generateIds, sampleFromLogits, sampleNextToken, decodeTokens } from "@llm-course/lib/sampling";`
 */
export { applyTemperature, sampleFromLogits, sampleFromProbabilities, softmax } from "./temperature";
export { generateIds } from "./generate";
export type { GenerateOptions } from "./generate";
export { greedyToken, nextTokenDistribution, nucleusCurve, rankTokens, sampleNextToken, topKFilter, topPFilter, topTokens } from "./filters";
export type { NucleusCurve, RankedToken, SamplingOptions } from "./filters";
export { decodeTokens, findStopSequence, normalizeStop } from "./decode";
export type { DecodeOptions, DecodeResult, NextTokenLogits } from "./decode";
export { checkJsonSchema, jsonConstraint, jsonPrefixStatus, JsonSchemaError, tokenByteTable, validateJsonSchema } from "./json-constraint";
export type { JsonConstraintOptions, JsonSchema, JsonSchemaViolation, TokenByteSource, TransformersTokenizerLike } from "./json-constraint";
