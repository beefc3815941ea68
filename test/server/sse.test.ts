/**
 * The server's event streams (lib/server/sse): events close together are held and sent in one write, so
 * what matters is that none is lost, reordered or held while the stream waits for its next event.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { openEventStream } from "../../lib/server/sse";

let app: FastifyInstance;
let url: string;
/** Lets the second route end its stream once the client has read what was sent before the pause. */
let releasePause: () => void = () => undefined;

before(async () => {
  app = Fastify();
  app.get("/burst", (_request, reply) => {
    const stream = openEventStream(reply);
    for (let i = 0; i < 50; i++) stream.send({ i });
    stream.end();
  });
  app.get("/pause", (_request, reply) => {
    const stream = openEventStream(reply);
    stream.send({ i: 0 });
    // Sent at once after the first: held, and the stream then waits for the client, which must get it.
    stream.send({ i: 1 });
    releasePause = () => stream.end();
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app.close();
});

/** Reads events from a stream until `until` says stop; returns their data fields. */
async function readEvents(path: string, until: (events: string[]) => boolean): Promise<string[]> {
  const response = await fetch(url + path);
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const decoder = new TextDecoder();
  const events: string[] = [];
  let buffer = "";
  for await (const bytes of response.body!) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      events.push(buffer.slice(0, end).replace(/^data: /, ""));
      buffer = buffer.slice(end + 2);
    }
    if (until(events)) break;
  }
  return events;
}

describe("event streams", () => {
  it("a burst of events arrives whole and in order, then [DONE]", async () => {
    const events = await readEvents("/burst", () => false);
    assert.deepEqual(events, [...Array.from({ length: 50 }, (_, i) => JSON.stringify({ i })), "[DONE]"]);
  });

  it("an event held for the next write is sent when the stream pauses", { timeout: 10_000 }, async () => {
    const events = await readEvents("/pause", (seen) => seen.length >= 2);
    assert.deepEqual(events, [JSON.stringify({ i: 0 }), JSON.stringify({ i: 1 })]);
    releasePause();
  });
});
