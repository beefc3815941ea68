/**
 * `npm run serve -- [--port 8000] [--host 127.0.0.1] [--model <folder>]… [--api-key KEY] [--max-batch 8]
 * [--max-queue 64] [--dtype fp32|q8]`: serves model folders (default: the course's models) behind the
 * OpenAI-compatible API until Ctrl-C. `--model id=<folder>` names a model otherwise than by its folder.
 */
import { parseArgs } from "node:util";
import { startServer } from "./app";
import type { ModelSpec } from "./models";

const USAGE = `Usage: npm run serve -- [options]
  --port <n>          TCP port (default 8000; 0 = a free port)
  --host <address>    interface to listen on (default 127.0.0.1, this machine only)
  --model <folder>    a model folder in the transformers.js layout, or id=<folder>; repeat for several
                      (default: the course's chat-mini when built, gpt-moby and bert-tiny)
  --api-key <key>     require "Authorization: Bearer <key>"
  --max-batch <n>     most sequences generated together (default 8)
  --max-queue <n>     most requests waiting before 429 (default 64)
  --dtype fp32|q8     weights to load (default fp32)`;

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      model: { type: "string", multiple: true },
      "api-key": { type: "string" },
      "max-batch": { type: "string" },
      "max-queue": { type: "string" },
      dtype: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.dtype !== undefined && values.dtype !== "fp32" && values.dtype !== "q8") throw new Error(`--dtype must be fp32 or q8, got ${values.dtype}`);
  const models: ModelSpec[] | undefined = values.model?.map((spec) => {
    const named = /^([^=/\\]+)=(.+)$/.exec(spec);
    return named ? { id: named[1]!, folder: named[2]! } : spec;
  });
  const server = await startServer({
    port: integer(values.port, "port") ?? 8000,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(models !== undefined ? { models } : {}),
    ...(values["api-key"] !== undefined ? { apiKey: values["api-key"] } : {}),
    ...(values["max-batch"] !== undefined ? { maxBatch: integer(values["max-batch"], "max-batch")! } : {}),
    ...(values["max-queue"] !== undefined ? { maxQueue: integer(values["max-queue"], "max-queue")! } : {}),
    ...(values.dtype !== undefined ? { dtype: values.dtype } : {}),
  });
  console.log("Ctrl-C stops it.");
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`serve: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(1);
});
