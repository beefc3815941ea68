/**
 * Server-sent events as OpenAI streams them: `data: {json}` events, then `data: [DONE]`. The response is
 * taken over from fastify (hijacked) once the request has been accepted, so errors found before that are
 * ordinary JSON answers with their status, and errors after it are an `{"error": …}` event.
 *
 * A small model writes a token every fraction of a millisecond, and one socket write per token would cost
 * more than the token: an event goes out at once when the stream has been quiet for {@link FLUSH_MS}, and
 * events closer together than that are held (corked) and sent in one write at the end of the window.
 */
import type { FastifyReply } from "fastify";
import { toApiError } from "./errors";

/** The longest an event waits for others to share its socket write. */
export const FLUSH_MS = 5;

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
  let lastFlush = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    timer = null;
    lastFlush = performance.now();
    while (raw.writableCorked > 0) raw.uncork();
  };
  raw.on("close", () => {
    if (timer !== null) clearTimeout(timer);
  });
  const write = (text: string): void => {
    if (raw.destroyed || raw.writableEnded) return;
    const quiet = performance.now() - lastFlush;
    if (timer === null && quiet >= FLUSH_MS) {
      raw.write(text);
      lastFlush = performance.now();
      return;
    }
    if (raw.writableCorked === 0) raw.cork();
    raw.write(text);
    timer ??= setTimeout(flush, Math.max(0, FLUSH_MS - quiet));
  };
  const finish = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    // end() sends what is corked.
    if (!raw.writableEnded) raw.end();
  };
  return {
    send: (data) => write(`data: ${JSON.stringify(data)}\n\n`),
    fail(error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500) console.error("server: a streamed answer failed:", error);
      write(`data: ${JSON.stringify(apiError.body())}\n\n`);
      finish();
    },
    end() {
      write("data: [DONE]\n\n");
      finish();
    },
  };
}
