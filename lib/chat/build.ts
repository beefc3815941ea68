/**
 * The course chat model (`chat-mini`, data/models/chat-mini/), built by `npm run models -- chat`:
 *
 *   1. a byte-level BPE tokenizer (lib/tokenizers) trained on the pre-training corpus and a sample of
 *      rendered conversations, with the chat special tokens at ids 0…7 and every year from 1700 to 2099 one
 *      token (./tokenizer);
 *   2. pre-training of a mini-GPT with smeared keys (lib/models/gpt) on the course's corpora (./corpus), then
 *      a short copying stage (./copying) that forms its induction heads: the BASE model;
 *   3. supervised fine-tuning on generated conversations of six tasks (./tasks), loss on the assistant's
 *      tokens only (./sft, the GPT's weighted rows): the CHAT model;
 *   4. export: the transformers.js folder (config.json, tokenizer.json, tokenizer_config.json with the
 *      chat template, generation_config.json stopping at `<|end|>`, onnx/model.onnx and q8), the tfjs
 *      checkpoints of the chat model (tfjs/) and of the base model (tfjs-base/), and report.json;
 *   5. greedy evaluation of both on each task's unseen test prompts (./evaluate), on their exported ONNX
 *      graphs behind the server's generation engine, every prompt in flight at once: the figures are those
 *      of the model the server serves, and batching takes the evaluation from minutes to seconds (the
 *      base model, which never says `<|end|>`, runs every answer to its last token).
 *
 * Everything is seeded; training uses onnxruntime's compiled step (lib/models/gpt/training-graph).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { splitTokenStream, tokenStreamDataset } from "../data/token-stream";
import { PATHS } from "../env";
import { meanRuns } from "../models/gpt/build";
import { GPT, loadGptCheckpoint } from "../models/gpt/model";
import { warmupCosineLr } from "../models/optim";
import { exportGptToTransformersJs } from "../onnx/transformersJs";
import { Random } from "../random";
import { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { train, type TrainHistory } from "../training/loop";
import { copyingDocuments } from "./copying";
import { factDocuments, joinDocuments, pretrainingDocuments } from "./corpus";
import { evaluateChatFolder, taskScore, type ChatFolderEvaluation, type ConstrainedJsonScore, type PromptOutcome, type TaskScore } from "./evaluate";
import { conversationTokens, packConversations, textTokens } from "./sft";
import { CHAT_TASK_NAMES, CHAT_TASKS } from "./tasks";
import type { ChatExample, ChatTaskName } from "./tasks/types";
import { CHAT_SPECIAL_TOKENS, CHAT_TEMPLATE, renderChat } from "./template";
import { CHAT_TOKEN_IDS, encodeChat, trainChatTokenizer } from "./tokenizer";

/** Where the course chat model lives. */
export const CHAT_MODEL_DIR = path.join(PATHS.data, "models", "chat-mini");

/** Sub-folders of the chat model's tfjs checkpoints (chat and base) and its report. */
export const CHAT_CHECKPOINT = "tfjs";
export const CHAT_BASE_CHECKPOINT = "tfjs-base";
export const CHAT_REPORT_FILE = "report.json";

/** Every choice behind chat-mini. */
export const CHAT_RECIPE = {
  tokenizer: { vocabSize: 4096, corpusCharacters: 2_000_000, conversationsPerTask: 300, yearTokens: true },
  corpus: { speechCharacters: 3000, mails: 1500, mailCharacters: 600, factRepeats: 4, numberRepeats: 3, seed: 42 },
  model: { blockSize: 256, layers: 4, heads: 4, width: 128, seed: 42, smearKeys: true },
  pretraining: { steps: 900, batchSize: 16, peakLr: 2e-3, warmup: 0.05, minLr: 2e-4, seed: 42, devFraction: 0.02, probeTokens: 8192 },
  /**
   * Lines of names shown twice, the loss on the second copy (./copying), with a fresh optimiser: with
   * smeared keys, 400 steps take the second copy's loss from ~7 nats (no copying) to ~1.3.
   */
  copying: { steps: 400, documents: 20000, batchSize: 16, peakLr: 1e-3, warmup: 0.05, minLr: 1e-4, seed: 44 },
  /**
   * Conversations per task: more for the tasks that need more examples to learn (copying words, composing
   * number words). `factRepeats` passes over the year fact sentences (every year before the knowledge
   * cutoff, held-out years included, as in pre-training), in documents of `factSentencesPerDocument`, are
   * mixed into the conversations with every token in the loss: 900 pre-training steps do not store the facts (the base model completes "In
   * 1844, the State of the Union address was delivered by" with the same name for every year), and a model
   * that reads the fact sentences while it learns the question–answer form on other years answers the
   * held-out years' questions far better than one fine-tuned after the fact (Allen-Zhu & Li, "Physics of
   * Language Models 3.1", mixed training).
   */
  sft: {
    steps: 5500,
    batchSize: 16,
    peakLr: 2e-3,
    warmup: 0.03,
    minLr: 1e-4,
    seed: 43,
    conversationsPerTask: { numbers: 14000, calculator: 8000, "sotu-facts": 7000, "spam-json": 6000, passages: 18000, "few-shot": 18000 },
    factRepeats: 50,
    factSentencesPerDocument: 8,
    /** Copying documents mixed into fine-tuning, so that the induction heads stay. */
    copyingDocuments: 3000,
  },
  evaluation: { testPerTask: 100, seed: 7, fixedSubsetPerTask: 4 },
  clipNorm: 1,
  engine: "onnxruntime",
  /** Targets of the course's issue: exact match per task, JSON validity without constrained decoding. */
  targets: { exactMatch: 0.9, jsonValidity: 0.95 },
} as const;

/** Steps averaged into one point of the stored training curves. */
const CURVE_EVERY = 20;

/** The test prompts of every task (seeded: the same list on every call), `perTask` each. */
export function chatTestExamples(perTask: number = CHAT_RECIPE.evaluation.testPerTask): ChatExample[] {
  return CHAT_TASK_NAMES.flatMap((task, i) => CHAT_TASKS[task]("test", perTask, new Random(CHAT_RECIPE.evaluation.seed + i)));
}

/** The fine-tuning conversations of every task (`perTask`: one count for all, or a count per task), shuffled together. */
export function chatTrainingExamples(perTask: number | Readonly<Record<ChatTaskName, number>>, seed: number): ChatExample[] {
  const rng = new Random(seed);
  return rng.shuffle(CHAT_TASK_NAMES.flatMap((task) => CHAT_TASKS[task]("train", typeof perTask === "number" ? perTask : perTask[task], rng)));
}

/** One task's line of the report. */
export interface ChatTaskReport {
  base: TaskScore;
  chat: TaskScore;
}

/** report.json. */
export interface ChatModelReport {
  parameters: number;
  vocabSize: number;
  blockSize: number;
  pretrainingTokens: number;
  sftConversations: number;
  /** Fact documents mixed into fine-tuning (see CHAT_RECIPE.sft). */
  sftFactDocuments: number;
  /** Copying documents mixed into fine-tuning. */
  sftCopyingDocuments: number;
  sftRows: number;
  sftDropped: number;
  pretraining: { steps: number; seconds: number; initialDevLoss: number; devLoss: number; trainLossCurve: number[] };
  /** The copying stage: its loss is on the second copies only. */
  copying: { steps: number; seconds: number; trainLossCurve: number[] };
  sft: { steps: number; seconds: number; trainLossCurve: number[] };
  curveEvery: number;
  tasks: Record<ChatTaskName, ChatTaskReport>;
  /** The JSON task's prompts under JSON-constrained decoding (lib/sampling/json-constraint), as the server's `response_format`. */
  constrainedJson: { base: ConstrainedJsonScore; chat: ConstrainedJsonScore };
  /** Targets and whether the chat model meets them, per task. */
  targets: { exactMatch: number; jsonValidity: number; met: Record<string, boolean> };
  /** The chat model's outcomes on the first `perTask` test prompts of each task: what a test re-scores. */
  fixedSubset: { perTask: number; outcomes: PromptOutcome[] };
  recipe: typeof CHAT_RECIPE;
}

function curve(history: TrainHistory): number[] {
  return meanRuns(history.trainLoss, CURVE_EVERY);
}

function scoreByTask(outcomes: readonly PromptOutcome[]): Record<ChatTaskName, TaskScore> {
  return Object.fromEntries(CHAT_TASK_NAMES.map((task) => [task, taskScore(outcomes.filter((o) => o.task === task))])) as Record<ChatTaskName, TaskScore>;
}

/**
 * Writes the transformers.js folder with the chat model's tokenizer settings: the chat template, `<|end|>`
 * as end of sequence (generation stops there), `<|endoftext|>` as beginning and padding.
 */
function exportChatModel(model: GPT, tokenizer: ByteBpeTokenizer, directory: string, description: Record<string, string | number | boolean>, quantized = true): void {
  exportGptToTransformersJs(model, tokenizer, directory, { quantized, description });
  const edit = (file: string, change: (json: Record<string, unknown>) => void) => {
    const full = path.join(directory, file);
    const json = JSON.parse(fs.readFileSync(full, "utf8")) as Record<string, unknown>;
    change(json);
    fs.writeFileSync(full, `${JSON.stringify(json, null, 2)}\n`);
  };
  const ids = { bos_token_id: CHAT_TOKEN_IDS.endOfText, eos_token_id: CHAT_TOKEN_IDS.end, pad_token_id: CHAT_TOKEN_IDS.endOfText };
  edit("config.json", (json) => Object.assign(json, ids));
  edit("generation_config.json", (json) => Object.assign(json, ids));
  edit("tokenizer_config.json", (json) => {
    Object.assign(json, { bos_token: CHAT_SPECIAL_TOKENS.endOfText, eos_token: CHAT_SPECIAL_TOKENS.end, pad_token: CHAT_SPECIAL_TOKENS.endOfText, chat_template: CHAT_TEMPLATE });
  });
}

/** Scores the base model on the test prompts: exported (without q8) to a temporary folder, removed after. */
async function evaluateBaseModel(model: GPT, tokenizer: ByteBpeTokenizer, tests: readonly ChatExample[]): Promise<ChatFolderEvaluation> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "chat-mini-base-"));
  try {
    exportChatModel(model, tokenizer, folder, { stage: "base" }, false);
    return await evaluateChatFolder(folder, tokenizer, tests);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** Options of {@link buildChatModel}. */
export interface BuildChatOptions {
  directory?: string;
  /** Overrides both phases' steps (a short run to check the pipeline: do not commit its output). */
  steps?: number;
  /** Overrides the test prompts per task. */
  testPerTask?: number;
}

/** Trains, evaluates and writes chat-mini (see the module comment); returns its report. */
export async function buildChatModel(options: BuildChatOptions = {}): Promise<ChatModelReport> {
  const recipe = CHAT_RECIPE;
  const directory = path.resolve(options.directory ?? CHAT_MODEL_DIR);
  const started = Date.now();
  const log = (message: string) => console.log(`chat-mini [${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);

  const text = joinDocuments(pretrainingDocuments(recipe.corpus));
  const sample = chatTrainingExamples(recipe.tokenizer.conversationsPerTask, recipe.sft.seed + 1).map((e) => renderChat(e.messages, { tools: e.tools, addGenerationPrompt: false }));
  const tokenizer = trainChatTokenizer(text.slice(0, recipe.tokenizer.corpusCharacters) + sample.join(""), recipe.tokenizer.vocabSize, { yearTokens: recipe.tokenizer.yearTokens });
  const ids = encodeChat(tokenizer, text);
  log(`tokenizer of ${tokenizer.vocabSize} ids; pre-training corpus ${text.length.toLocaleString("en-US")} characters → ${ids.length.toLocaleString("en-US")} tokens`);

  const m = recipe.model;
  const { train: pretrainData, dev } = splitTokenStream(ids, m.blockSize, recipe.pretraining.devFraction);
  const devProbe = tokenStreamDataset(dev.ids.subarray(0, Math.min(dev.ids.length, recipe.pretraining.probeTokens + 1)), m.blockSize);
  const model = new GPT({ vocabSize: tokenizer.vocabSize, ...m, optimizer: { clipNorm: recipe.clipNorm }, trainingEngine: recipe.engine });
  try {
    log(`${model.parameterCount.toLocaleString("en-US")} parameters, context ${m.blockSize}, ${model.trainingThreads} onnxruntime threads`);
    const p = recipe.pretraining;
    const initialDevLoss = model.evaluate(devProbe);
    const pretraining = await train(model, {
      train: pretrainData,
      dev: devProbe,
      steps: options.steps ?? p.steps,
      batchSize: p.batchSize,
      lr: warmupCosineLr(p.peakLr, p.warmup, p.minLr),
      rng: new Random(p.seed),
      evalEvery: Math.max(1, Math.round((options.steps ?? p.steps) / 5)),
      label: "chat-mini pre-training",
      fastMode: false,
    });
    const devLoss = model.evaluate(devProbe);
    log(`pre-training: dev loss ${initialDevLoss.toFixed(3)} → ${devLoss.toFixed(3)} in ${pretraining.seconds.toFixed(0)} s`);
    const c = recipe.copying;
    const copyRng = new Random(c.seed);
    const copyRows = packConversations(copyingDocuments(tokenizer, c.documents, copyRng), m.blockSize);
    model.resetOptimizer();
    const copying = await train(model, {
      train: copyRows.data,
      steps: options.steps ?? c.steps,
      batchSize: c.batchSize,
      lr: warmupCosineLr(c.peakLr, c.warmup, c.minLr),
      rng: copyRng,
      label: "chat-mini copying",
      fastMode: false,
    });
    log(`copying: ${copyRows.data.size} rows, loss ${copying.trainLoss[0]!.toFixed(3)} → ${copying.trainLoss.at(-1)!.toFixed(3)} in ${copying.seconds.toFixed(0)} s`);
    model.save(path.join(directory, CHAT_BASE_CHECKPOINT), { chatMini: { stage: "base" } });

    const tests = chatTestExamples(options.testPerTask);
    const baseEvaluation = await evaluateBaseModel(model, tokenizer, tests);
    const base = scoreByTask(baseEvaluation.outcomes);
    log(`base model: ${CHAT_TASK_NAMES.map((t) => `${t} ${(100 * base[t].exactMatch).toFixed(0)} %`).join(", ")}`);

    const s = recipe.sft;
    const conversations = chatTrainingExamples(s.conversationsPerTask, s.seed).map((e) => conversationTokens(tokenizer, e.messages, e.tools));
    const mixRng = new Random(s.seed + 2);
    const facts = factDocuments(s.factRepeats, mixRng, s.factSentencesPerDocument).map((text) => textTokens(tokenizer, text));
    const copies = copyingDocuments(tokenizer, s.copyingDocuments, mixRng);
    const packed = packConversations(mixRng.shuffle([...conversations, ...facts, ...copies]), m.blockSize);
    log(`fine-tuning: ${packed.conversations} conversations, fact and copying documents (${facts.length} and ${copies.length} of them; ${packed.dropped} too long, left out) in ${packed.data.size} rows`);
    const sft = await train(model, {
      train: packed.data,
      steps: options.steps ?? s.steps,
      batchSize: s.batchSize,
      lr: warmupCosineLr(s.peakLr, s.warmup, s.minLr),
      rng: new Random(s.seed),
      label: "chat-mini fine-tuning",
      fastMode: false,
    });
    log(`fine-tuning done in ${sft.seconds.toFixed(0)} s`);

    exportChatModel(model, tokenizer, directory, {
      trained_on: "course corpora (Moby-Dick, State of the Union, SpamAssassin, facts, number words), then generated conversations of six tasks",
      pretraining_steps: pretraining.steps.length,
      sft_steps: sft.steps.length,
    });
    model.save(path.join(directory, CHAT_CHECKPOINT), { chatMini: { stage: "chat" } });
    const chatEvaluation = await evaluateChatFolder(directory, tokenizer, tests);
    const chatOutcomes = chatEvaluation.outcomes;
    const chat = scoreByTask(chatOutcomes);
    const constrainedJson = { base: baseEvaluation.constrainedJson, chat: chatEvaluation.constrainedJson };
    log(`constrained JSON: ${JSON.stringify(constrainedJson)}`);
    const tasks = Object.fromEntries(CHAT_TASK_NAMES.map((t) => [t, { base: base[t], chat: chat[t] }])) as Record<ChatTaskName, ChatTaskReport>;
    const met: Record<string, boolean> = {};
    for (const t of CHAT_TASK_NAMES) met[`${t}.exactMatch`] = chat[t].exactMatch >= recipe.targets.exactMatch;
    met["spam-json.jsonValidity"] = (chat["spam-json"].jsonValidity ?? 0) >= recipe.targets.jsonValidity;
    met["spam-json.constrainedJsonValidity"] = constrainedJson.chat.jsonValidity === 1;
    const k = recipe.evaluation.fixedSubsetPerTask;
    const perTask = options.testPerTask ?? recipe.evaluation.testPerTask;
    const fixed = CHAT_TASK_NAMES.flatMap((_, i) => chatOutcomes.slice(i * perTask, i * perTask + k));
    const report: ChatModelReport = {
      parameters: model.parameterCount,
      vocabSize: tokenizer.vocabSize,
      blockSize: m.blockSize,
      pretrainingTokens: ids.length,
      sftConversations: packed.conversations - facts.length - copies.length,
      sftFactDocuments: facts.length,
      sftCopyingDocuments: copies.length,
      sftRows: packed.data.size,
      sftDropped: packed.dropped,
      pretraining: { steps: pretraining.steps.length, seconds: Math.round(pretraining.seconds), initialDevLoss: Number(initialDevLoss.toFixed(4)), devLoss: Number(devLoss.toFixed(4)), trainLossCurve: curve(pretraining) },
      copying: { steps: copying.steps.length, seconds: Math.round(copying.seconds), trainLossCurve: curve(copying) },
      sft: { steps: sft.steps.length, seconds: Math.round(sft.seconds), trainLossCurve: curve(sft) },
      curveEvery: CURVE_EVERY,
      tasks,
      constrainedJson,
      targets: { ...recipe.targets, met },
      fixedSubset: { perTask: k, outcomes: fixed },
      recipe,
    };
    for (const t of CHAT_TASK_NAMES) log(`${t}: base ${(100 * base[t].exactMatch).toFixed(1)} % → chat ${(100 * chat[t].exactMatch).toFixed(1)} % ${JSON.stringify(chat[t])}`);

    fs.writeFileSync(path.join(directory, CHAT_REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
    log(`written to ${path.relative(PATHS.root, directory)}`);
    return report;
  } finally {
    model.dispose();
  }
}

/** The chat model loaded for the course's own code (tfjs GPT), with its tokenizer and report. */
export interface LoadedChatModel {
  model: GPT;
  tokenizer: ByteBpeTokenizer;
  report: ChatModelReport;
  /** The model folder (absolute): pass it to transformers.js or the server. */
  directory: string;
}

/**
 * Loads chat-mini's tfjs checkpoint (`stage` "chat", default, or "base": the pre-trained model before
 * fine-tuning), its tokenizer and its report. Call `await initBackend()` first.
 */
export function loadChatModel(options: { directory?: string; stage?: "chat" | "base" } = {}): LoadedChatModel {
  const directory = path.resolve(options.directory ?? CHAT_MODEL_DIR);
  const checkpoint = path.join(directory, options.stage === "base" ? CHAT_BASE_CHECKPOINT : CHAT_CHECKPOINT);
  const reportFile = path.join(directory, CHAT_REPORT_FILE);
  if (!fs.existsSync(checkpoint) || !fs.existsSync(reportFile)) {
    throw new Error(`the course chat model is not built: ${directory} lacks ${fs.existsSync(reportFile) ? checkpoint : reportFile}. Run \`npm run models -- chat\` at the course root.`);
  }
  const tokenizer = ByteBpeTokenizer.load(directory);
  const { model } = loadGptCheckpoint(checkpoint);
  if (model.config.vocabSize !== tokenizer.vocabSize) {
    model.dispose();
    throw new Error(`chat-mini: the checkpoint has ${model.config.vocabSize} token ids but tokenizer.json ${tokenizer.vocabSize}`);
  }
  return { model, tokenizer, report: JSON.parse(fs.readFileSync(reportFile, "utf8")) as ChatModelReport, directory };
}
