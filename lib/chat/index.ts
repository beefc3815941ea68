/**
 * Chat models: the course chat model's conversation format (special tokens, Jinja chat template, tool-call
 * parsing), its tokenizer, tasks, fine-tuning data, evaluation and recipe (`chat-mini`).
 * `import { renderChat, parseAssistantOutput, loadChatModel } from "@llm-course/lib/chat";`
 */
export { CHAT_SPECIAL_TOKEN_LIST, CHAT_SPECIAL_TOKENS, CHAT_TEMPLATE, checkMessages, parseAssistantOutput, renderChat, TOOLS_HEADER } from "./template";
export type { ChatMessage, ChatTool, ChatToolCall, ParsedAssistantOutput } from "./template";
export { CHAT_TOKEN_IDS, CHAT_YEAR_TOKEN_COUNT, CHAT_YEARS, encodeChat, trainChatTokenizer, type ChatTokenizerOptions } from "./tokenizer";
export { calculate, CALCULATOR_TOOL } from "./calculator";
export { CHAT_KNOWLEDGE_CUTOFF, loadSotu, sotuChunk, sotuFacts, sotuFactsBeforeCutoff, sotuFactSentences, sotuPassage, splitSotuYears } from "./sotu";
export type { SotuFact, SotuSpeech, SotuYearSplit } from "./sotu";
export * from "./tasks";
export { assistantMask, conversationTokens, packConversations, textTokens } from "./sft";
export type { MaskedConversation, PackedConversations } from "./sft";
export { COPY_LINE_NAMES, copyingDocuments } from "./copying";
export { factDocuments, joinDocuments, pretrainingDocuments } from "./corpus";
export type { CorpusOptions } from "./corpus";
export { ANSWER_TOKENS, constrainedJsonScore, engineChatGenerator, evaluateChatFolder, evaluateExamples, gptChatGenerator, isLabelJson, scoreExample, SPAM_LABEL_SCHEMA, taskScore } from "./evaluate";
export type { AsyncChatGenerator, ChatFolderEvaluation, ChatGenerator, ConstrainedJsonScore, PromptOutcome, TaskScore } from "./evaluate";
export { buildChatModel, CHAT_BASE_CHECKPOINT, CHAT_CHECKPOINT, CHAT_MODEL_DIR, CHAT_RECIPE, CHAT_REPORT_FILE, chatTestExamples, chatTrainingExamples, loadChatModel } from "./build";
export type { BuildChatOptions, ChatModelReport, ChatTaskReport, LoadedChatModel } from "./build";
