/**
 * Picks the fastest tfjs backend this machine has — native TensorFlow with CUDA, native TensorFlow on
 * the CPU, WebAssembly, then plain JavaScript — and says which one runs, in one line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

/** The backends the course uses, by the name `tf.getBackend()` reports ("tensorflow" is native, CPU or CUDA). */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** Which backend to ask for: one by name, or "auto" for the fastest available. */
export type BackendRequest = BackendName | "auto";

/** Environment variable forcing a backend (tests, benchmarks): cpu, wasm, tensorflow or auto. */
export const BACKEND_VARIABLE = "LLM_COURSE_BACKEND";

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Backend to use; with "auto" (the default) LLM_COURSE_BACKEND may still force one. */
  backend?: BackendRequest;
  /** Do not print the line saying which backend runs. */
  quiet?: boolean;
}

/** A faster backend that was passed over, and why. */
export interface SkippedBackend {
  /** npm package or backend name, e.g. "@tensorflow/tfjs-node-gpu". */
  candidate: string;
  reason: string;
}

/** What runs, as {@link initBackend} found it. */
export interface BackendInfo {
  name: BackendName;
  /** The npm package providing the backend ("@tensorflow/tfjs-backend-cpu" for cpu). */
  packageName: string;
  /** Version of @tensorflow/tfjs. */
  tfjsVersion: string;
  /** Native backend running on a CUDA device. */
  gpu: boolean;
  /** wasm only: SIMD binary in use. */
  simd?: boolean;
  /** wasm only: XNNPACK threads. */
  threads?: number;
  /** How the choice was made: the default order, an option, or the environment variable. */
  source: "auto" | "option" | "environment";
  /** Faster candidates that were tried and are not available. */
  skipped: SkippedBackend[];
  /** The line printed at selection, e.g. "tfjs 4.22.0 · backend: wasm (SIMD, 1 thread)". */
  summary: string;
}

const NATIVE_PACKAGES = [
  { packageName: "@tensorflow/tfjs-node-gpu", gpuPackage: true },
  { packageName: "@tensorflow/tfjs-node", gpuPackage: false },
] as const;

const WASM_PACKAGE = "@tensorflow/tfjs-backend-wasm";

/**
 * Warnings tfjs prints while backends load that say nothing to a student: the "install tfjs-node" banner
 * (printed by the CPU backend on its first tensor) and re-registration notices when a package is loaded
 * twice. Only these, and only while loading.
 */
const LOADING_NOISE: RegExp[] = [
  /Hi(,| there)[\s\S]*running TensorFlow\.js in Node\.js[\s\S]*tfjs-node/,
  /^The kernel '[^']*' for backend '[^']*' is already registered$/,
  /^\S+ backend was already registered\. Reusing existing backend factory\.$/,
  /^Platform \S+ has already been set\. Overwriting the platform with/,
];

/** True for a console.warn message that {@link initBackend} hides while backends load. */
export function isLoadingNoise(message: unknown): boolean {
  return typeof message === "string" && LOADING_NOISE.some((pattern) => pattern.test(message));
}

async function quietly<T>(work: () => T | Promise<T>): Promise<T> {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (isLoadingNoise(args[0])) return;
    original.apply(console, args);
  };
  try {
    return await work();
  } finally {
    console.warn = original;
  }
}

type Attempt = { ok: true; info: Omit<BackendInfo, "source" | "skipped" | "summary" | "tfjsVersion"> } | { ok: false; reason: string };

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 200);
}

/** Catches backends that register but compute nothing (a missing native library, a broken binary). */
function computes(): boolean {
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
  return product === 11;
}

async function activate(name: BackendName): Promise<string | null> {
  let ok: boolean;
  try {
    ok = await quietly(() => tf.setBackend(name));
  } catch (error) {
    return `tf.setBackend("${name}") failed: ${firstLine(error)}`;
  }
  if (!ok) return `tf.setBackend("${name}") failed to initialize it`;
  if (tf.getBackend() !== name) return `tf.getBackend() reports "${tf.getBackend()}" instead of "${name}"`;
  // The CPU backend prints its banner on its first tensor: let that happen inside the quiet window.
  const works = await quietly(computes);
  return works ? null : `the "${name}" backend computed a wrong 1×2·2×1 product`;
}

function packageMeta(packageName: string): { name?: string; version?: string; dir: string } | null {
  let file: string;
  try {
    file = require.resolve(`${packageName}/package.json`);
  } catch {
    return null;
  }
  const meta = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
  return { ...meta, dir: path.dirname(file) };
}

async function tryNative(packageName: string, gpuPackage: boolean): Promise<Attempt> {
  const meta = packageMeta(packageName);
  if (!meta) return { ok: false, reason: gpuPackage ? "not installed (opt in with `npm run setup:gpu`)" : "not installed" };
  if (meta.name !== packageName) {
    // danfojs-node's override maps @tensorflow/tfjs-node onto plain @tensorflow/tfjs: loadable, not native.
    return { ok: false, reason: `resolves to ${meta.name ?? "another package"}@${meta.version ?? "?"} (an npm override), which has no native backend` };
  }
  try {
    await quietly(() => require(packageName));
  } catch (error) {
    return { ok: false, reason: `failed to load: ${firstLine(error)}` };
  }
  if (!tf.findBackendFactory("tensorflow")) {
    return { ok: false, reason: `loaded, but registered no "tensorflow" backend with this @tensorflow/tfjs (it uses another copy of tfjs-core? its version: ${meta.version ?? "?"})` };
  }
  const problem = await activate("tensorflow");
  if (problem) return { ok: false, reason: problem };
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  return { ok: true, info: { name: "tensorflow", packageName, gpu: gpuPackage && backend.isUsingGpuDevice === true } };
}

type WasmModule = typeof import("@tensorflow/tfjs-backend-wasm");
let wasmPathsSet = false;

async function tryWasm(): Promise<Attempt> {
  const meta = packageMeta(WASM_PACKAGE);
  if (!meta) return { ok: false, reason: "not installed" };
  // The .wasm binaries sit next to the package's JavaScript; a file-system prefix makes Emscripten read them
  // with fs instead of fetching a URL (which Node cannot do for relative paths).
  const prefix = path.join(meta.dir, "dist") + path.sep;
  const missing = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"].filter((f) => !fs.existsSync(prefix + f));
  if (missing.length > 0) return { ok: false, reason: `binaries missing in ${prefix}: ${missing.join(", ")}` };
  let wasm: WasmModule;
  try {
    wasm = await quietly(() => require(WASM_PACKAGE) as WasmModule);
    if (!wasmPathsSet) {
      wasm.setWasmPaths(prefix);
      wasmPathsSet = true;
    }
  } catch (error) {
    return { ok: false, reason: `failed to load: ${firstLine(error)}` };
  }
  const problem = await activate("wasm");
  if (problem) return { ok: false, reason: problem };
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
  let threads = 1;
  try {
    threads = wasm.getThreadsCount();
  } catch {
    // Only throws before initialization, which activate() has done.
  }
  return { ok: true, info: { name: "wasm", packageName: WASM_PACKAGE, gpu: false, simd, threads } };
}

async function tryCpu(): Promise<Attempt> {
  const problem = await activate("cpu");
  return problem ? { ok: false, reason: problem } : { ok: true, info: { name: "cpu", packageName: "@tensorflow/tfjs-backend-cpu", gpu: false } };
}

function describe(info: Omit<BackendInfo, "summary">): string {
  let detail: string;
  if (info.name === "tensorflow") {
    detail = info.gpu ? `CUDA GPU, ${info.packageName}` : info.packageName.endsWith("-gpu") ? `CPU — no CUDA device found, ${info.packageName}` : `native CPU, ${info.packageName}`;
  } else if (info.name === "wasm") {
    const threads = info.threads ?? 1;
    detail = `${info.simd ? "SIMD" : "no SIMD"}, ${threads} thread${threads === 1 ? "" : "s"}`;
  } else {
    detail = "pure JavaScript, the slowest";
    const wasmSkip = info.skipped.find((s) => s.candidate === WASM_PACKAGE);
    if (wasmSkip) detail += `; wasm unavailable: ${wasmSkip.reason}`;
  }
  const why = info.source === "environment" ? ` · set by ${BACKEND_VARIABLE}` : info.source === "option" ? " · requested" : "";
  return `tfjs ${info.tfjsVersion} · backend: ${info.name} (${detail})${why}`;
}

function parseRequest(value: string, origin: string): BackendRequest {
  const v = value.trim().toLowerCase();
  if (v === "" || v === "auto") return "auto";
  if (v === "tensorflow" || v === "wasm" || v === "cpu") return v;
  throw new Error(`${origin}: unknown backend "${value}"; use one of auto, tensorflow, wasm, cpu`);
}

let current: BackendInfo | null = null;
let queue: Promise<unknown> = Promise.resolve();

/** What {@link initBackend} selected, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}

async function select(options: InitBackendOptions): Promise<BackendInfo> {
  const envValue = process.env[BACKEND_VARIABLE];
  let request: BackendRequest;
  let source: BackendInfo["source"];
  const optionRequest = options.backend === undefined ? "auto" : parseRequest(String(options.backend), "initBackend({ backend })");
  if (optionRequest !== "auto") {
    request = optionRequest;
    source = "option";
  } else {
    request = parseRequest(envValue ?? "", `${BACKEND_VARIABLE}=${envValue ?? ""}`);
    source = request === "auto" ? "auto" : "environment";
  }

  // Already running what was asked for: nothing to do, nothing to print.
  if (current && tf.getBackend() === current.name && (request === "auto" || request === current.name)) return current;

  const candidates: { candidate: string; attempt: () => Promise<Attempt> }[] = [];
  if (request === "auto" || request === "tensorflow") {
    for (const { packageName, gpuPackage } of NATIVE_PACKAGES) candidates.push({ candidate: packageName, attempt: () => tryNative(packageName, gpuPackage) });
  }
  if (request === "auto" || request === "wasm") candidates.push({ candidate: WASM_PACKAGE, attempt: tryWasm });
  if (request === "auto" || request === "cpu") candidates.push({ candidate: "cpu", attempt: tryCpu });

  const skipped: SkippedBackend[] = [];
  for (const { candidate, attempt } of candidates) {
    const result = await attempt();
    if (!result.ok) {
      skipped.push({ candidate, reason: result.reason });
      continue;
    }
    const base = { ...result.info, tfjsVersion: tf.version.tfjs, source, skipped };
    current = { ...base, summary: describe(base) };
    if (!options.quiet) console.log(current.summary);
    return current;
  }
  const origin = source === "environment" ? `${BACKEND_VARIABLE}=${envValue}` : `initBackend({ backend: "${request}" })`;
  const reasons = skipped.map((s) => `${s.candidate}: ${s.reason}`).join("; ");
  throw new Error(`${origin}: the ${request} backend is not available (${reasons}). Choose another backend, or unset ${BACKEND_VARIABLE} to pick the fastest available.`);
}

/**
 * Selects the tfjs backend and returns the `tf` namespace: `const tf = await initBackend();`.
 * Order: @tensorflow/tfjs-node-gpu (CUDA) → @tensorflow/tfjs-node → wasm → cpu; a backend counts only
 * when `tf.getBackend()` reports it and it computes a small product right. LLM_COURSE_BACKEND (or
 * `options.backend`) forces one, with an error naming what is missing when it is unavailable. Prints one
 * line saying what runs; calling it again is free and prints nothing unless the backend changes.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<typeof tf> {
  if (options === null || typeof options !== "object") throw new TypeError("initBackend: options must be an object such as { backend: \"wasm\" }");
  // Concurrent calls (two notebook cells, a test and a helper) must not interleave tf.setBackend calls.
  const run = queue.then(() => select(options));
  queue = run.catch(() => undefined);
  await run;
  return tf;
}
