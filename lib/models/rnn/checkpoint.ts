/**
 * Small checkpoints of the translators: `config.json` (architecture, sizes, vocabularies, parameter names
 * and shapes, and whatever the trainer recorded) and `weights.bin` (every parameter as little-endian
 * float32, in the order config.json lists them). Plain files, so a notebook loads a trained model in
 * milliseconds and the repository stores it in a few hundred kilobytes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { NumberWordsTokenizer } from "../../data/numberTokenizer";
import type { NumberLanguage } from "../../data/numberWords";
import type { TextTokenizer } from "../../tokenizers/types";
import { WordTokenizer } from "../../tokenizers/word";
import { AttentionSeq2Seq } from "./attentionSeq2seq";
import type { EncoderDecoder, Seq2SeqConfig } from "./encoderDecoder";
import { Seq2Seq } from "./seq2seq";

/** The checkpoint format's name and version, checked on load. */
export const CHECKPOINT_FORMAT = "llm-course-seq2seq";
export const CHECKPOINT_VERSION = 1;

/** How a tokenizer is rebuilt. */
export type SavedTokenizer =
  | { kind: "number-words"; language: NumberLanguage; tokens: string[] }
  | { kind: "word"; tokens: string[]; specialTokens: string[]; lowercase: boolean };

/** The content of config.json. */
export interface CheckpointFile {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  config: Seq2SeqConfig;
  tokenizers: { source: SavedTokenizer; target: SavedTokenizer };
  parameters: { name: string; shape: number[] }[];
  /** What the trainer recorded (steps, time, scores, data split…). */
  metadata: Record<string, unknown>;
}

function describeTokenizer(tokenizer: TextTokenizer, side: string): SavedTokenizer {
  if (tokenizer instanceof NumberWordsTokenizer) return { kind: "number-words", language: tokenizer.language, tokens: [...tokenizer.vocab.tokens] };
  if (tokenizer instanceof WordTokenizer) {
    return { kind: "word", tokens: [...tokenizer.vocab.tokens], specialTokens: [...tokenizer.vocab.specialTokens], lowercase: tokenizer.lowercase };
  }
  throw new TypeError(`saveSeq2Seq: the ${side} tokenizer cannot be saved (only NumberWordsTokenizer and WordTokenizer can)`);
}

function rebuildTokenizer(saved: SavedTokenizer, side: string, file: string): TextTokenizer {
  let tokenizer: NumberWordsTokenizer | WordTokenizer;
  if (saved?.kind === "number-words") tokenizer = new NumberWordsTokenizer(saved.language);
  else if (saved?.kind === "word") tokenizer = new WordTokenizer(saved.tokens.slice(saved.specialTokens.length), { specialTokens: saved.specialTokens, lowercase: saved.lowercase });
  else throw new Error(`loadSeq2Seq: ${file}: unknown ${side} tokenizer kind ${JSON.stringify((saved as { kind?: unknown })?.kind)}`);
  if (tokenizer.vocab.tokens.join("\n") !== saved.tokens.join("\n")) {
    throw new Error(`loadSeq2Seq: ${file}: the ${side} vocabulary differs from the one the model was trained with`);
  }
  return tokenizer;
}

/** Float32Array bytes are in the platform's order: the files are little-endian, like every platform Node supports but a few. */
function checkLittleEndian(caller: string): void {
  if (os.endianness() !== "LE") throw new Error(`${caller}: checkpoints store little-endian float32 and this machine is big-endian`);
}

/** Writes `model` to `dir` (created if needed): config.json + weights.bin. Returns the two paths. */
export function saveSeq2Seq(model: EncoderDecoder, dir: string, metadata: Record<string, unknown> = {}): { config: string; weights: string } {
  if (typeof dir !== "string" || dir === "") throw new TypeError("saveSeq2Seq: dir must be a folder path");
  const variables = model.variables();
  const parameters = Object.entries(variables).map(([name, v]) => ({ name, shape: [...v.shape] }));
  const total = parameters.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
  const values = new Float32Array(total);
  let offset = 0;
  for (const v of Object.values(variables)) {
    values.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: model.config,
    tokenizers: { source: describeTokenizer(model.sourceTokenizer, "source"), target: describeTokenizer(model.targetTokenizer, "target") },
    parameters,
    metadata,
  };
  fs.mkdirSync(dir, { recursive: true });
  const configPath = path.join(dir, "config.json");
  const weightsPath = path.join(dir, "weights.bin");
  fs.writeFileSync(configPath, `${JSON.stringify(file, null, 1)}\n`);
  checkLittleEndian("saveSeq2Seq");
  fs.writeFileSync(weightsPath, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  return { config: configPath, weights: weightsPath };
}

/** The checkpoint's description without loading weights (config, vocabularies, metadata). */
export function readCheckpointConfig(dir: string): CheckpointFile {
  const configPath = path.join(dir, "config.json");
  if (!fs.existsSync(configPath)) throw new Error(`loadSeq2Seq: no checkpoint in ${dir} (config.json missing)`);
  const file = JSON.parse(fs.readFileSync(configPath, "utf8")) as CheckpointFile;
  if (file.format !== CHECKPOINT_FORMAT) throw new Error(`loadSeq2Seq: ${configPath} is not a ${CHECKPOINT_FORMAT} checkpoint`);
  if (file.version !== CHECKPOINT_VERSION) throw new Error(`loadSeq2Seq: ${configPath} has version ${file.version}; this library reads version ${CHECKPOINT_VERSION}`);
  return file;
}

/** Rebuilds the model saved in `dir` by {@link saveSeq2Seq}: a Seq2Seq or an AttentionSeq2Seq, ready to translate or train further. */
export function loadSeq2Seq(dir: string): EncoderDecoder {
  const file = readCheckpointConfig(dir);
  const configPath = path.join(dir, "config.json");
  const { config } = file;
  const sourceTokenizer = rebuildTokenizer(file.tokenizers.source, "source", configPath);
  const targetTokenizer = rebuildTokenizer(file.tokenizers.target, "target", configPath);
  const options = {
    sourceTokenizer,
    targetTokenizer,
    cell: config.cell,
    embeddingSize: config.embeddingSize,
    hiddenSize: config.hiddenSize,
    seed: config.seed,
    clipNorm: config.clipNorm,
    maxOutputLength: config.maxOutputLength,
  };
  let model: EncoderDecoder;
  if (config.architecture === "seq2seq") model = new Seq2Seq(options);
  else if (config.architecture === "attention") model = new AttentionSeq2Seq({ ...options, attentionSize: config.attentionSize });
  else throw new Error(`loadSeq2Seq: ${configPath}: unknown architecture ${JSON.stringify(config.architecture)}`);
  const variables = model.variables();
  const bytes = fs.readFileSync(path.join(dir, "weights.bin"));
  const expected = file.parameters.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== expected * 4) {
    model.dispose();
    throw new Error(`loadSeq2Seq: ${dir}/weights.bin has ${bytes.byteLength} bytes, config.json describes ${expected} float32 values (${expected * 4} bytes)`);
  }
  checkLittleEndian("loadSeq2Seq");
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  for (const { name, shape } of file.parameters) {
    const v = variables[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (v === undefined || v.shape.join(",") !== shape.join(",")) {
      model.dispose();
      throw new Error(`loadSeq2Seq: parameter ${name} [${shape.join(", ")}] does not fit the model built from config.json${v ? ` (expects [${v.shape.join(", ")}])` : ""}`);
    }
    tf.tidy(() => v.assign(tf.tensor(values.subarray(offset, offset + size), shape, "float32")));
    offset += size;
  }
  if (file.parameters.length !== Object.keys(variables).length) {
    model.dispose();
    throw new Error(`loadSeq2Seq: ${configPath} lists ${file.parameters.length} parameters, the model has ${Object.keys(variables).length}`);
  }
  return model;
}
