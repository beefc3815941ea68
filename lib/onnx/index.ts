/**
 * ONNX from TypeScript: a graph builder over onnx-proto, Transformer layers as subgraphs, the course's q8
 * quantizer, and the export of course models to the layout transformers.js loads offline:
 * `import { exportGptToTransformersJs } from "@llm-course/lib/onnx";`
 */
export { GraphBuilder, type NodeOptions } from "./builder";
export { attributeProto, decodeModel, encodeModel, float, floats, modelProto, nodeProto, ONNX_IR_VERSION, ONNX_OPSET, valueInfoProto } from "./proto";
export type { AttributeValue, Dim, FloatAttribute, FloatsAttribute, ModelMetadata } from "./proto";
export { ELEMENT_BYTES, elementTypeOf, elementTypeOfData, ONNX_DATA_TYPE, tensorByteLength, tensorProto, tensorValues } from "./tensor";
export type { ElementType, TensorData, TensorValues } from "./tensor";
export { attentionMask, geluErf, geluTanh, layerNorm, linear, mergeHeads, scaledDotProductAttention, selfAttention, splitHeads } from "./layers";
export type { AttentionMaskInputs, AttentionWeights, KeyValueNames, LayerNormWeights, LinearWeights } from "./layers";
export { quantizeModelQ8, quantizeSymmetricInt8 } from "./quantize";
export type { QuantizationReport, QuantizedWeight } from "./quantize";
export { chooseTrainingEngine, int64Feed, MASKED_SCORE, TrainingGraphBuilder, TrainingGraphSessions } from "./training-layers";
export type { AttentionCore, AttentionShape, CompiledTrainingGraph, GeluSaved, LinearLayer, LossAndGradients, LossAverage, NormSaved, SelfAttentionLayer, TrainingEngine, TrainingGraphParameter } from "./training-layers";
export { createSession, onnxRuntime, onnxRuntimeAvailable, runSession } from "./runtime";
export type { FeedTensor, OutputTensor, SessionOptions } from "./runtime";
export { GPT_ONNX_NAMES, gptToOnnx, gptWeights } from "./gpt";
export type { ExportableGpt, GptArchitecture, GptWeights } from "./gpt";
export { tokenizerFiles } from "./tokenizerFiles";
export type { ExportableTokenizer, TokenizerFiles } from "./tokenizerFiles";
export { exportGptToTransformersJs, generationConfigJson, gpt2ConfigJson } from "./transformersJs";
export type { TransformersJsExport, TransformersJsExportOptions } from "./transformersJs";
export { BERT_ONNX_NAMES, bertToOnnx, bertWeights } from "./bert";
export type { BertArchitecture, BertWeights, ExportableBert } from "./bert";
export { BERT_FOLDER_FILES, bertConfigJson, exportBertToTransformersJs, loadBertFromTransformersJs } from "./transformersJsBert";
export type { LoadedBert } from "./transformersJsBert";
