/**
 * Server-sent events as OpenAI streams them: `data: {json}` events, then `data: [DONE]`. The response is
 * taken over from fastify (hijacked) once the request has been accepted, so errors found before that are
 * ordinary JSON answers with their status, and errors after it are an `{"error": …}` event.
 */
import type { FastifyReply } from "fastify";
import { toApiError } from "./errors";

/** An open event stream. */
export interface EventStream {
  send(data: unknown): void;
  /** Sends the error, OpenAI-shaped, as the last event (the status line is long gone) and ends the stream. */
  fail(error: unknown): void;
  /** Sends `data: [DONE]` and ends the stream. */
  end(): void;
}

/** Starts an event stream on `reply` (status 200, headers that stop proxies from buffering). */
export function openEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  const write = (text: string): void => {
    if (!raw.destroyed && !raw.writableEnded) raw.write(text);
  };
  return {
    send: (data) => write(`data: ${JSON.stringify(data)}\n\n`),
    fail(error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500) console.error("server: a streamed answer failed:", error);
      write(`data: ${JSON.stringify(apiError.body())}\n\n`);
      if (!raw.writableEnded) raw.end();
    },
    end() {
      write("data: [DONE]\n\n");
      if (!raw.writableEnded) raw.end();
    },
  };
}
