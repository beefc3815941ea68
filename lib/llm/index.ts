/**
 * Pretrained models for the notebooks: Hub models online, the course's own offline.
 * `import { loadPipeline, resolveModel } from "@llm-course/lib/llm";`
 */
export {
  COURSE_MODEL_CATALOG,
  COURSE_MODEL_NAMES,
  courseModelPath,
  downloadProgress,
  HUB_ENDPOINT,
  hubReachable,
  loadPipeline,
  loadTokenizer,
  MODEL_FOLDER_FILES,
  OFFLINE_VARIABLE,
  offlineForced,
  resolveModel,
} from "./models";
export type { CourseModelEntry, CourseModelName, DownloadProgressEvent, LoadPipelineOptions, PretrainedTokenizer, ResolvedModel, ResolveModelOptions } from "./models";
export { generateWithPipeline, pipelineContext, pipelineLogits, pipelinePerplexity, pipelineTokenIds, pipelineTokenText, seedTransformers } from "./generation";
export type { PipelineGenerateOptions, PipelineGeneration, PipelineGenerationOptions, PipelineTensor, TextGenerationPipe } from "./generation";
export { chatClient, COURSE_CHAT_MODEL_ID, DEFAULT_PROVIDER_MODEL, PROVIDER_VARIABLES } from "./chat";
export type { ChatClient, ChatClientOptions } from "./chat";
