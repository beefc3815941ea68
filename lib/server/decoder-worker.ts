/**
 * The generation engine's worker thread (./engine): it owns the ONNX session and the KV cache (./decoder)
 * so that forward passes run beside the main thread's HTTP work instead of blocking it.
 *
 * Protocol: started with {@link DecoderWorkerData}, it answers `ready` (the decoder's shape, and whether it
 * honours left padding when asked to check) or `failed` with the loading error's message; then every
 * {@link DecoderPass} it receives, one at a time, is answered `logits` (the buffer is transferred, not
 * copied) or `error`; `{ op: "close" }` releases the session and ends the thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createSession } from "../onnx/runtime";
import { CachedDecoder, decoderShape, paddingWorks, type DecoderPass, type DecoderShape } from "./decoder";

/** What the engine starts the worker with. */
export interface DecoderWorkerData {
  modelFile: string;
  configFile: string;
  /** config.json, read (and checked to be an object) by the engine. */
  config: Record<string, unknown>;
  threads: number;
  /** Run the left-padding check (only useful when sequences are batched). */
  checkPadding: boolean;
}

/** What the worker posts back. */
export type DecoderWorkerMessage =
  | { type: "ready"; shape: DecoderShape; paddingWorks: boolean }
  | { type: "failed"; message: string }
  | { type: "logits"; logits: Float32Array }
  | { type: "error"; message: string };

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as DecoderWorkerData;
  let decoder: CachedDecoder;
  try {
    const session = await createSession(data.modelFile, { threads: data.threads });
    try {
      const shape = decoderShape(session, data.config, data.configFile, data.modelFile);
      const padding = data.checkPadding ? await paddingWorks(session, shape) : true;
      decoder = new CachedDecoder(session, shape);
      port.postMessage({ type: "ready", shape, paddingWorks: padding } satisfies DecoderWorkerMessage);
    } catch (error) {
      await session.release();
      throw error;
    }
  } catch (error) {
    port.postMessage({ type: "failed", message: (error as Error).message } satisfies DecoderWorkerMessage);
    port.close();
    return;
  }
  port.on("message", (message: DecoderPass | { op: "close" }) => {
    if (message.op === "close") {
      void decoder.release().finally(() => port.close());
      return;
    }
    decoder.run(message).then(
      (logits) => port.postMessage({ type: "logits", logits } satisfies DecoderWorkerMessage, [logits.buffer as ArrayBuffer]),
      (error: unknown) => port.postMessage({ type: "error", message: (error as Error).message } satisfies DecoderWorkerMessage),
    );
  });
}

void main();
