/**
 * Checkpoints of the course's tfjs models: a folder with `config.json` (what to rebuild: the model's
 * configuration, the parameter names and shapes, any metadata) and `weights.bin` (every parameter's
 * float32 numbers, little-endian, in the listed order). Small, readable, diff-able JSON; no tfjs
 * model-format machinery, and loading checks every name and shape against the rebuilt model.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

/** config.json of a checkpoint. */
export interface CheckpointManifest<C> {
  /** Which model class wrote it, e.g. "transformer". */
  format: string;
  version: number;
  config: C;
  parameters: { name: string; shape: number[] }[];
  /** Anything the writer wants to keep with the weights (vocabularies, training figures). */
  metadata: Record<string, unknown>;
}

export const CONFIG_FILE = "config.json";
export const WEIGHTS_FILE = "weights.bin";

/** Writes `parameters` and `manifest` into `dir` (created if needed); returns the weights' size in bytes. */
export function saveCheckpoint<C>(dir: string, format: string, config: C, parameters: readonly [string, tf.Variable][], metadata: Record<string, unknown> = {}): number {
  if (typeof dir !== "string" || dir === "") throw new TypeError("saveCheckpoint: dir must be a folder path");
  fs.mkdirSync(dir, { recursive: true });
  const total = parameters.reduce((n, [, v]) => n + v.size, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const [, v] of parameters) {
    data.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const manifest: CheckpointManifest<C> = { format, version: 1, config, parameters: parameters.map(([name, v]) => ({ name, shape: [...v.shape] })), metadata };
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Float32Array is host-endian; every platform Node runs on today is little-endian, which the format promises.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("saveCheckpoint: big-endian hosts are not supported");
  fs.writeFileSync(path.join(dir, WEIGHTS_FILE), bytes);
  fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify(manifest, null, 2) + "\n");
  return bytes.byteLength;
}

/** Reads `dir`'s config.json, checking it was written for `format`. */
export function readCheckpointManifest<C>(dir: string, format: string): CheckpointManifest<C> {
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new Error(`readCheckpointManifest: no ${CONFIG_FILE} in ${dir}`);
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as CheckpointManifest<C>;
  if (manifest.format !== format) throw new Error(`readCheckpointManifest: ${file} holds a "${String(manifest.format)}" checkpoint, not "${format}"`);
  if (manifest.version !== 1) throw new Error(`readCheckpointManifest: ${file} has version ${String(manifest.version)}; this code reads version 1`);
  return manifest;
}

/** Copies the numbers of `dir`/weights.bin into `parameters`, after checking names, shapes and file size. */
export function loadCheckpointWeights<C>(dir: string, manifest: CheckpointManifest<C>, parameters: readonly [string, tf.Variable][]): void {
  if (manifest.parameters.length !== parameters.length) {
    throw new Error(`loadCheckpointWeights: the checkpoint in ${dir} has ${manifest.parameters.length} parameters, the model ${parameters.length}`);
  }
  manifest.parameters.forEach((p, i) => {
    const [name, v] = parameters[i]!;
    if (p.name !== name || p.shape.length !== v.shape.length || p.shape.some((n, j) => n !== v.shape[j])) {
      throw new Error(`loadCheckpointWeights: parameter ${i} is ${p.name} [${p.shape.join(", ")}] in the checkpoint but ${name} [${v.shape.join(", ")}] in the model`);
    }
  });
  const buffer = fs.readFileSync(path.join(dir, WEIGHTS_FILE));
  const total = parameters.reduce((n, [, v]) => n + v.size, 0);
  if (buffer.byteLength !== total * 4) throw new Error(`loadCheckpointWeights: ${path.join(dir, WEIGHTS_FILE)} has ${buffer.byteLength} bytes, expected ${total * 4} (${total} float32)`);
  // Copy into an aligned array: a Buffer's offset inside its pool need not be a multiple of 4.
  const data = new Float32Array(total);
  new Uint8Array(data.buffer).set(buffer);
  let offset = 0;
  for (const [, v] of parameters) {
    const values = tf.tensor(data.subarray(offset, offset + v.size), v.shape, "float32");
    v.assign(values);
    values.dispose();
    offset += v.size;
  }
}

/** What {@link loadCheckpoint} rebuilds: a model that lists its parameters and can free them. */
export interface CheckpointModel {
  namedParameters(): [string, tf.Variable][];
  dispose(): void;
}

/**
 * Rebuilds a model from `dir`: `build` makes it from the manifest (configuration, metadata), then every
 * weight is checked and filled in; a model whose weights do not fit is disposed before the error is thrown.
 */
export function loadCheckpoint<C, M extends CheckpointModel>(dir: string, format: string, build: (manifest: CheckpointManifest<C>) => M): { model: M; manifest: CheckpointManifest<C> } {
  const manifest = readCheckpointManifest<C>(dir, format);
  const model = build(manifest);
  try {
    loadCheckpointWeights(dir, manifest, model.namedParameters());
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, manifest };
}

/** True when `directory` holds a checkpoint of `format`: a config.json naming that format, and the weights file. */
export function isCheckpoint(directory: string, format: string): boolean {
  const config = path.join(directory, CONFIG_FILE);
  if (!fs.existsSync(config) || !fs.existsSync(path.join(directory, WEIGHTS_FILE))) return false;
  try {
    return (JSON.parse(fs.readFileSync(config, "utf8")) as { format?: unknown }).format === format;
  } catch {
    return false;
  }
}
