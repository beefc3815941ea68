/**
 * Agents (TP14): tools with zod-written JSON Schemas and validated arguments, the course tools (calculator,
 * French number words, State of the Union search, dates), the ReAct loop through function calling with its
 * stops and traces, MCP servers and clients (stdio and in process), and the task set that measures success
 * rates with and without tools.
 * `import { runAgent, openAIModel, COURSE_TOOLS, connectMcpStdio } from "@llm-course/lib/agents";`
 */
export { callTool, checkToolName, checkToolset, defineTool, TimeoutError, toolDefinition, ToolFailure, ToolInputError, TOOL_NAME_PATTERN, withoutDialect, withTimeout } from "./tools";
export type { AgentTool, ArgumentCheck, CallToolOptions, ToolCallRequest, ToolOutcome, ToolSpec } from "./tools";
export { addDaysTool, calculatorTool, COURSE_TOOLS, daysBetweenTool, frenchNumberTool, SOTU_SEARCH_CHUNK_CHARACTERS, sotuSearchTool } from "./courseTools";
export { DEFAULT_AGENT_SYSTEM, openAIModel, runAgent } from "./loop";
export type { AgentModel, AgentOptions, AgentRun, AgentStep, AgentStop, AssistantTurn, OpenAIModelOptions } from "./loop";
export { connectMcpInProcess, connectMcpStdio, COURSE_MCP_SERVER, courseMcpServerCommand, createMcpServer, mcpToolsToOpenAI } from "./mcp";
export type { McpClientOptions, McpConnection, McpStdioOptions } from "./mcp";
export { AGENT_TASK_KINDS, agentConversations, agentTasks, calculatorTrainingSystem, evaluateAgent, isRightAnswer, planModel, taskTools } from "./tasks";
export type { AgentConversation, AgentEvaluation, AgentKindScore, AgentTask, AgentTaskKind, AgentTaskOptions, AgentTaskRun, EvaluateAgentOptions, PlannedCall } from "./tasks";
