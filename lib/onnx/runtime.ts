/**
 * Running ONNX models from Node with onnxruntime-node, the runtime transformers.js itself uses (it is a
 * dependency of @huggingface/transformers; the course does not list it separately). Loaded on first use,
 * so importing lib/onnx to build or quantize a graph does not load the native library.
 */
import type * as Ort from "onnxruntime-node";
import type { ElementType, TensorData } from "./tensor";

let runtime: typeof Ort | null = null;

/** The onnxruntime-node module, loaded on the first call; a clear error when it is not installed. */
export function onnxRuntime(): typeof Ort {
  if (runtime === null) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      runtime = require("onnxruntime-node") as typeof Ort;
    } catch (error) {
      throw new Error(`onnxruntime-node is not available (it comes with @huggingface/transformers; run npm install): ${(error as Error).message}`);
    }
  }
  return runtime;
}

/** True when onnxruntime-node can be loaded (its native library is there for this platform). */
export function onnxRuntimeAvailable(): boolean {
  try {
    onnxRuntime();
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link createSession}. */
export interface SessionOptions {
  /** Threads inside one operator (default 1: the course's machines are shared and its models are small). */
  threads?: number;
  /** Turns onnxruntime's profiler on: its trace is written to `<prefix>_<date>.json` (see bench/support/onnx-profile). */
  profileFilePrefix?: string;
}

/** An inference session for the bytes (or the path) of an `.onnx` file. */
export async function createSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<Ort.InferenceSession> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`createSession: threads must be an integer ≥ 1, got ${threads}`);
  const ort = onnxRuntime();
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    ...(options.profileFilePrefix === undefined ? {} : { enableProfiling: true, profileFilePrefix: options.profileFilePrefix }),
  };
  return typeof model === "string" ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
}

/** A tensor to feed: element type, numbers and shape (number arrays are converted to the type's array). */
export interface FeedTensor {
  type: ElementType;
  data: TensorData | readonly number[];
  dims: readonly number[];
}

/** A result of a run as plain values. */
export interface OutputTensor {
  type: string;
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
  dims: number[];
}

function typedData(feed: FeedTensor, name: string): TensorData {
  const { type, data } = feed;
  if (!Array.isArray(data)) return data as TensorData;
  const numbers = data as readonly number[];
  switch (type) {
    case "float32":
      return Float32Array.from(numbers);
    case "int64":
      return BigInt64Array.from(numbers.map((v) => {
        if (!Number.isSafeInteger(v)) throw new RangeError(`runSession: input ${name} holds ${v}, not an integer`);
        return BigInt(v);
      }));
    case "int32":
      return Int32Array.from(numbers);
    case "int8":
      return Int8Array.from(numbers);
    default:
      return Uint8Array.from(numbers);
  }
}

/** Runs `session` on `feeds` (by input name) and returns every output by name. */
export async function runSession(session: Ort.InferenceSession, feeds: Readonly<Record<string, FeedTensor>>): Promise<Record<string, OutputTensor>> {
  const ort = onnxRuntime();
  const missing = session.inputNames.filter((name) => !(name in feeds));
  if (missing.length > 0) throw new Error(`runSession: missing inputs ${missing.join(", ")} (the model takes ${session.inputNames.join(", ")})`);
  const tensors: Record<string, Ort.Tensor> = {};
  for (const [name, feed] of Object.entries(feeds)) {
    if (!session.inputNames.includes(name)) throw new Error(`runSession: the model has no input ${name} (it takes ${session.inputNames.join(", ")})`);
    const size = feed.dims.reduce((a, b) => a * b, 1);
    const data = typedData(feed, name);
    if (data.length !== size) throw new RangeError(`runSession: input ${name} has ${data.length} values for shape [${feed.dims.join(", ")}]`);
    tensors[name] = new ort.Tensor(feed.type === "float32" ? "float32" : feed.type, data, [...feed.dims]);
  }
  const results = await session.run(tensors);
  const outputs: Record<string, OutputTensor> = {};
  for (const [name, tensor] of Object.entries(results)) {
    outputs[name] = { type: tensor.type, data: tensor.data as OutputTensor["data"], dims: [...tensor.dims] };
  }
  return outputs;
}
