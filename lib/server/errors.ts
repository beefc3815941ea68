/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the status OpenAI gives
 * them, so that every client (the openai SDK, LangChain, the AI SDK) raises its usual exception. Whatever
 * goes wrong inside the server becomes one of these: a stack trace never reaches the client.
 */
import type { FastifyError } from "fastify";
import { QueueFullError } from "./types";

/** The body of every error answer. */
export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error the client caused or may retry, answered with `status` and an OpenAI-shaped body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: string = status >= 500 ? "server_error" : "invalid_request_error",
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: a parameter has a value the server cannot use. */
export function badParam(param: string | null, message: string, code: string | null = "invalid_value"): ApiError {
  return new ApiError(400, message, param, code);
}

/** 404: no model with this id is served. */
export function unknownModel(id: string, served: readonly string[]): ApiError {
  return new ApiError(404, `The model '${id}' does not exist or you do not have access to it. This server serves: ${served.join(", ") || "no model"}.`, "model", "model_not_found");
}

/** ajv's instance path ("/messages/0/role") as OpenAI names parameters ("messages[0].role"). */
function paramPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").filter((part) => part !== "");
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === "" ? part : `${path}.${part}`), "");
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The first schema violation of a request as a 400 naming the parameter. */
function validationError(errors: readonly AjvError[]): ApiError {
  // With anyOf, ajv lists each branch's failure and then the anyOf itself: the last error names the parameter
  // the client wrote, the branches name alternatives it did not mean.
  const error = errors.find((e) => e.keyword === "anyOf") ?? errors[0]!;
  const extra =
    error.keyword === "required" ? String(error.params.missingProperty) : error.keyword === "additionalProperties" ? String(error.params.additionalProperty) : undefined;
  const param = paramPath(error.instancePath, extra);
  if (error.keyword === "required") return badParam(param, `Missing required parameter: '${param}'.`, "missing_required_parameter");
  if (error.keyword === "additionalProperties") return badParam(param, `Unrecognized request argument supplied: '${param}'.`, "unknown_parameter");
  if (error.keyword === "type") return badParam(param || null, `Invalid type for '${param || "body"}': expected ${String(error.params.type).split(",").join(" or ")}.`, "invalid_type");
  const allowed = error.keyword === "enum" ? ` (one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})` : "";
  return badParam(param === "" ? null : param, `Invalid value for '${param || "body"}': ${error.message ?? "invalid"}${allowed}.`);
}

/**
 * Any error thrown while answering (ours, fastify's parsing and validation errors, the engine's queue) as an
 * {@link ApiError}; unexpected errors become a 500 whose message says nothing about the server's insides.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof QueueFullError) {
    return new ApiError(429, error.message, null, "rate_limit_exceeded", "rate_limit_error", { "retry-after": String(error.retryAfterSeconds) });
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: AjvError[] };
  if (Array.isArray(fastifyError.validation) && fastifyError.validation.length > 0) return validationError(fastifyError.validation);
  switch (fastifyError.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, "We could not parse the JSON body of your request: it is not valid JSON. Send a JSON object with Content-Type: application/json.", null, "invalid_json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(400, "The request body is empty; send a JSON object with Content-Type: application/json.", null, "invalid_json");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, "The request body is too large for this server (see its bodyLimit option).", null, "request_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, "Unsupported Content-Type: send the body as JSON with Content-Type: application/json.", null, "unsupported_media_type");
  }
  // Other client errors fastify raises while reading a request (bad Content-Length, aborted upload…).
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500 && typeof fastifyError.message === "string") return new ApiError(status, fastifyError.message, null, fastifyError.code ?? null);
  return new ApiError(500, "The server had an error while processing your request. Its log says more.", null, null, "server_error");
}
