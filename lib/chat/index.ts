/**
 * Chat models: the course chat model's conversation format (special tokens, Jinja chat template, tool-call
 * parsing). `import { renderChat, parseAssistantOutput } from "@llm-course/lib/chat";`
 */
export { CHAT_SPECIAL_TOKEN_LIST, CHAT_SPECIAL_TOKENS, CHAT_TEMPLATE, checkMessages, parseAssistantOutput, renderChat, TOOLS_HEADER } from "./template";
export type { ChatMessage, ChatTool, ChatToolCall, ParsedAssistantOutput } from "./template";
