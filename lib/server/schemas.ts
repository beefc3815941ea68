/**
 * The JSON Schemas fastify validates request bodies with (ajv, before any handler runs), and the TypeScript
 * shapes of the bodies that pass them. Parameters OpenAI documents are checked strictly (type and range);
 * unknown top-level parameters are ignored, as newer clients send fields an older server does not know.
 * What a schema cannot say (a stop string's length, a tool_choice naming a tool of the list, a JSON schema
 * the constrained decoder supports) is checked by the handlers, which answer 400 naming the parameter too.
 */

const nullable = (type: string | string[]): string[] => [...(Array.isArray(type) ? type : [type]), "null"];

const SAMPLING_PROPERTIES = {
  model: { type: "string", minLength: 1 },
  temperature: { type: nullable("number"), minimum: 0, maximum: 2 },
  top_p: { type: nullable("number"), minimum: 0, maximum: 1 },
  top_k: { type: nullable("integer"), minimum: 0 },
  max_tokens: { type: nullable("integer"), minimum: 1 },
  stop: { type: nullable(["string", "array"]), minLength: 1, maxItems: 4, items: { type: "string", minLength: 1 } },
  seed: { type: nullable("integer") },
  n: { type: nullable("integer"), minimum: 1, maximum: 16 },
  stream: { type: nullable("boolean") },
  stream_options: { type: nullable("object"), properties: { include_usage: { type: nullable("boolean") } } },
  frequency_penalty: { type: nullable("number"), minimum: -2, maximum: 2 },
  presence_penalty: { type: nullable("number"), minimum: -2, maximum: 2 },
  logit_bias: { type: nullable("object") },
  user: { type: nullable("string") },
} as const;

const TEXT_PART = {
  type: "object",
  required: ["type"],
  properties: { type: { type: "string" }, text: { type: "string" } },
} as const;

const TOOL_CALL = {
  type: "object",
  required: ["id", "type", "function"],
  properties: {
    id: { type: "string" },
    type: { const: "function" },
    function: { type: "object", required: ["name", "arguments"], properties: { name: { type: "string" }, arguments: { type: "string" } } },
  },
} as const;

const MESSAGE = {
  type: "object",
  required: ["role"],
  properties: {
    role: { enum: ["system", "developer", "user", "assistant", "tool"] },
    content: { type: nullable(["string", "array"]), items: TEXT_PART },
    name: { type: "string" },
    tool_calls: { type: nullable("array"), items: TOOL_CALL },
    tool_call_id: { type: "string" },
  },
} as const;

const TOOL = {
  type: "object",
  required: ["type", "function"],
  properties: {
    type: { const: "function" },
    function: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
        description: { type: "string" },
        parameters: { type: "object" },
        strict: { type: nullable("boolean") },
      },
    },
  },
} as const;

/** POST /v1/chat/completions. */
export const CHAT_COMPLETION_SCHEMA = {
  type: "object",
  required: ["model", "messages"],
  properties: {
    ...SAMPLING_PROPERTIES,
    messages: { type: "array", minItems: 1, items: MESSAGE },
    max_completion_tokens: { type: nullable("integer"), minimum: 1 },
    logprobs: { type: nullable("boolean") },
    top_logprobs: { type: nullable("integer"), minimum: 0, maximum: 20 },
    tools: { type: nullable("array"), items: TOOL },
    tool_choice: {
      anyOf: [
        { enum: ["none", "auto", "required", null] },
        { type: "object", required: ["type", "function"], properties: { type: { const: "function" }, function: { type: "object", required: ["name"], properties: { name: { type: "string" } } } } },
      ],
    },
    parallel_tool_calls: { type: nullable("boolean") },
    response_format: {
      type: nullable("object"),
      required: ["type"],
      properties: {
        type: { enum: ["text", "json_object", "json_schema"] },
        json_schema: {
          type: "object",
          required: ["name"],
          properties: { name: { type: "string" }, description: { type: "string" }, schema: { type: "object" }, strict: { type: nullable("boolean") } },
        },
      },
    },
  },
} as const;

/** POST /v1/completions. */
export const COMPLETION_SCHEMA = {
  type: "object",
  required: ["model", "prompt"],
  properties: {
    ...SAMPLING_PROPERTIES,
    prompt: {
      type: ["string", "array"],
      minItems: 1,
      // A list of strings, one list of token ids, or a list of lists of token ids.
      items: { type: ["string", "integer", "array"], minimum: 0, minItems: 1, items: { type: "integer", minimum: 0 } },
    },
    echo: { type: nullable("boolean") },
    logprobs: { type: nullable("integer"), minimum: 0, maximum: 5 },
    suffix: { type: nullable("string") },
    best_of: { type: nullable("integer"), minimum: 1 },
  },
} as const;

/** POST /v1/embeddings. */
export const EMBEDDING_SCHEMA = {
  type: "object",
  required: ["model", "input"],
  properties: {
    model: { type: "string", minLength: 1 },
    input: { type: ["string", "array"], minItems: 1, maxItems: 2048, items: { type: "string" } },
    encoding_format: { enum: ["float", "base64", null] },
    dimensions: { type: nullable("integer"), minimum: 1 },
    user: { type: nullable("string") },
  },
} as const;

/** GET /v1/models/{id}. */
export const MODEL_PARAMS_SCHEMA = { type: "object", required: ["id"], properties: { id: { type: "string" } } } as const;

// ---------------------------------------------------------------------------------------------------------
// The shapes of bodies that passed the schemas above
// ---------------------------------------------------------------------------------------------------------

/** A text part of a message's content list. */
export interface ContentPart {
  type: string;
  text?: string;
}

/** A tool call as the client sends it back in an assistant message. */
export interface RequestToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A message of a chat request. */
export interface RequestMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: RequestToolCall[] | null;
  tool_call_id?: string;
}

/** A tool of a chat request. */
export interface RequestTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
}

/** The sampling parameters both generation endpoints share. */
export interface SamplingBody {
  model: string;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  max_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  logit_bias?: Record<string, unknown> | null;
  user?: string | null;
}

/** The body of POST /v1/chat/completions. */
export interface ChatCompletionBody extends SamplingBody {
  messages: RequestMessage[];
  max_completion_tokens?: number | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  tools?: RequestTool[] | null;
  tool_choice?: "none" | "auto" | "required" | { type: "function"; function: { name: string } } | null;
  parallel_tool_calls?: boolean | null;
  response_format?: { type: "text" | "json_object" | "json_schema"; json_schema?: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } } | null;
}

/** The body of POST /v1/completions. */
export interface CompletionBody extends SamplingBody {
  prompt: string | (string | number | number[])[];
  echo?: boolean | null;
  logprobs?: number | null;
  suffix?: string | null;
  best_of?: number | null;
}

/** The body of POST /v1/embeddings. */
export interface EmbeddingBody {
  model: string;
  input: string | string[];
  encoding_format?: "float" | "base64" | null;
  dimensions?: number | null;
  user?: string | null;
}
