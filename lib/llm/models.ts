/**
 * Which pretrained model a notebook runs: a transformers.js-ready model of the Hugging Face Hub when the
 * machine is online, else the course-made model of the same kind under data/models/ (trained and exported
 * by `npm run models`, committed, so a fresh checkout works offline). The same `pipeline(...)` code runs on
 * both; {@link resolveModel} says which one it chose and why, and {@link loadPipeline} shows the download.
 *
 *   const { pipe, model } = await loadPipeline("fill-mask", "bert");
 *   // "bert : Xenova/bert-base-uncased, du Hub Hugging Face (le Hub a répondu) — …"
 *   // or "bert : bert-tiny, modèle du cours (hors ligne : …) — …" (in French: the notebooks print it)
 *
 * Online means: the Hub answered within a short timeout, and LLM_COURSE_OFFLINE is not set. Set
 * LLM_COURSE_OFFLINE=1 to force the course models (exams, trains, CI).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PATHS } from "../env";
import { progress, type ProgressBar } from "../notebook/progress";

/** The kinds of pretrained model the course uses. */
export type CourseModelName = "bert" | "gpt" | "embeddings" | "chat";

/** A kind of model: its Hub id, its course-made stand-in, and what each is. */
export interface CourseModelEntry {
  /** transformers.js-ready id on the Hugging Face Hub (ONNX weights in the repository). */
  hubId: string;
  hubDescription: string;
  /** Folder of the course-made model, relative to data/models/. */
  courseFolder: string;
  courseDescription: string;
  /** The pipeline task the model is meant for. */
  task: "fill-mask" | "text-generation" | "feature-extraction";
  /**
   * The weights to load from the Hub (transformers.js's `dtype`), where the Node default (fp32) would be
   * too big or too slow: "q4" or "q8".
   */
  hubDtype?: "q4" | "q8";
}

/** The course's models by name. */
export const COURSE_MODEL_CATALOG: Readonly<Record<CourseModelName, CourseModelEntry>> = Object.freeze({
  bert: {
    hubId: "Xenova/bert-base-uncased",
    hubDescription: "BERT base uncased (Devlin et al. 2019) : 12 couches, 110 M de paramètres, Wikipédia anglais et livres",
    courseFolder: "bert-tiny",
    courseDescription: "bert-tiny, le modèle du cours : 2 couches, largeur 128, vocabulaire de 4 000 mots, pré-entraînement MLM sur les mails de SpamAssassin (TP 8)",
    task: "fill-mask",
  },
  gpt: {
    hubId: "Xenova/gpt2",
    hubDescription: "GPT-2 small (Radford et al. 2019) : 12 couches, 124 M de paramètres, WebText",
    courseFolder: "gpt-moby",
    courseDescription: "gpt-moby, le modèle du cours : mini-GPT sur caractères (4 couches, 4 têtes, largeur 128, contexte de 128 caractères, 0,8 M de paramètres) entraîné sur Moby-Dick (TP 9, TP 11)",
    task: "text-generation",
  },
  embeddings: {
    hubId: "Xenova/all-MiniLM-L6-v2",
    hubDescription: "all-MiniLM-L6-v2 (sentence-transformers) : 6 couches, plongements de phrases de dimension 384 entraînés pour la similarité",
    courseFolder: "bert-tiny",
    courseDescription: "bert-tiny, le modèle du cours, moyenne de sa dernière couche (dimension 128 ; pas entraîné pour la similarité : un substitut faible)",
    task: "feature-extraction",
  },
  chat: {
    hubId: "onnx-community/Qwen2.5-0.5B-Instruct",
    hubDescription: "Qwen2.5-0.5B-Instruct (Alibaba, 2024) : 24 couches, 0,5 milliard de paramètres, modèle de chat affiné sur des instructions, avec appels d'outils, poids q4",
    hubDtype: "q4",
    courseFolder: "chat-mini",
    courseDescription:
      "chat-mini, le modèle de chat du cours : mini-GPT à BPE sur octets (4 couches, largeur 128, contexte de 256 tokens, 1,35 M de paramètres) pré-entraîné sur les corpus du cours puis affiné sur les conversations de six tâches (TP 10, TP 12 à 14 ; voir son report.json)",
    task: "text-generation",
  },
});

/** The names {@link resolveModel} knows. */
export const COURSE_MODEL_NAMES: readonly CourseModelName[] = Object.freeze(Object.keys(COURSE_MODEL_CATALOG) as CourseModelName[]);

/** The environment variable that forces the course models (any value but "", 0, false, no). */
export const OFFLINE_VARIABLE = "LLM_COURSE_OFFLINE";

/** Where the Hub is probed. */
export const HUB_ENDPOINT = "https://huggingface.co";

/** The files transformers.js needs in a model folder. */
export const MODEL_FOLDER_FILES: readonly string[] = ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"];

/** True when LLM_COURSE_OFFLINE asks for the course models. */
export function offlineForced(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const value = (env[OFFLINE_VARIABLE] ?? "").trim().toLowerCase();
  return value !== "" && value !== "0" && value !== "false" && value !== "no";
}

/** Whether the Hugging Face Hub answers within `timeoutMs` (default 1500 ms); false when LLM_COURSE_OFFLINE is set. */
export async function hubReachable(timeoutMs = 1500): Promise<boolean> {
  if (offlineForced()) return false;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(`${HUB_ENDPOINT}/api/models/${COURSE_MODEL_CATALOG.bert.hubId}`, { method: "HEAD", signal: controller.signal });
    return response.status < 500;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** What {@link resolveModel} chose. */
export interface ResolvedModel {
  name: CourseModelName;
  /** A Hub id ("Xenova/bert-base-uncased") or the absolute path of the course folder: pass it to `pipeline(task, id)`. */
  id: string;
  source: "hub" | "course";
  /** The task the model is meant for. */
  task: CourseModelEntry["task"];
  /** One line for the notebook: which model, where from, and why. */
  description: string;
  /** The `dtype` to pass to transformers.js for a Hub model that names one (undefined: the default). */
  dtype?: "q4" | "q8";
}

/** Options of {@link resolveModel}. */
export interface ResolveModelOptions {
  /** true: take the Hub model without probing; false: the course model; default: probe the Hub (LLM_COURSE_OFFLINE wins). */
  online?: boolean;
  /** Probe timeout (default 1500 ms). */
  timeoutMs?: number;
  /** Folder of the course models (default data/models/ of the checkout). */
  modelsDirectory?: string;
  /** How to tell whether the Hub answers (default {@link hubReachable}); tests pass their own. */
  probe?: (timeoutMs: number) => Promise<boolean>;
}

/** The absolute folder of a course model, after checking it holds the transformers.js files. */
export function courseModelPath(name: CourseModelName, modelsDirectory: string = path.join(PATHS.data, "models")): string {
  const entry = catalogEntry(name);
  const folder = path.resolve(modelsDirectory, entry.courseFolder);
  const missing = MODEL_FOLDER_FILES.filter((file) => !fs.existsSync(path.join(folder, file)));
  if (missing.length > 0) {
    throw new Error(`le modèle du cours « ${name} » n'est pas construit : il manque ${missing.join(", ")} dans ${folder}. Lancez \`npm run models\` à la racine du cours pour entraîner et exporter ses modèles.`);
  }
  return folder;
}

function catalogEntry(name: string): CourseModelEntry {
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(COURSE_MODEL_CATALOG, name)) {
    throw new RangeError(`modèle inconnu : ${JSON.stringify(name)} ; les modèles du cours sont ${COURSE_MODEL_NAMES.join(", ")}`);
  }
  return COURSE_MODEL_CATALOG[name as CourseModelName];
}

/**
 * A course model name → the Hub id (online) or the course-made folder (offline), with a sentence saying
 * which: `const { id, source, description } = await resolveModel("bert")`.
 */
export async function resolveModel(name: CourseModelName, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const entry = catalogEntry(name);
  if (options === null || typeof options !== "object") throw new TypeError("resolveModel : les options doivent être un objet, par exemple { online: false }");
  const timeoutMs = options.timeoutMs ?? 1500;
  if (!(timeoutMs > 0)) throw new RangeError(`resolveModel : timeoutMs doit être > 0 (reçu ${timeoutMs})`);
  let online: boolean;
  let why: string;
  if (offlineForced()) {
    online = false;
    why = `${OFFLINE_VARIABLE} est défini`;
  } else if (options.online !== undefined) {
    online = options.online;
    why = online ? "online: true demandé" : "online: false demandé";
  } else {
    online = await (options.probe ?? hubReachable)(timeoutMs);
    why = online ? "le Hub a répondu" : `le Hub n'a pas répondu en ${timeoutMs} ms`;
  }
  if (online) {
    const hub: ResolvedModel = { name, id: entry.hubId, source: "hub", task: entry.task, description: `${name} : ${entry.hubId}, du Hub Hugging Face (${why}) — ${entry.hubDescription}` };
    if (entry.hubDtype !== undefined) hub.dtype = entry.hubDtype;
    return hub;
  }
  const folder = courseModelPath(name, options.modelsDirectory);
  return { name, id: folder, source: "course", task: entry.task, description: `${name} : ${entry.courseFolder}, modèle du cours (hors ligne : ${why}) — ${entry.courseDescription}` };
}

/** What transformers.js reports while it fetches a model's files (its `progress_callback` argument). */
export interface DownloadProgressEvent {
  status: string;
  name?: string;
  file?: string;
  progress?: number;
  loaded?: number;
  total?: number;
}

/**
 * A `progress_callback` for transformers.js that draws one course progress bar per file it downloads
 * (bytes, with speed and time left), in the notebook or the terminal. Files read from the cache or a
 * local folder finish at once.
 */
export function downloadProgress(options: { mode?: "auto" | "silent" } = {}): (event: DownloadProgressEvent) => void {
  const bars = new Map<string, ProgressBar>();
  return (event) => {
    if (event === null || typeof event !== "object" || typeof event.file !== "string") return;
    const key = `${event.name ?? ""}/${event.file}`;
    if (event.status === "progress" && typeof event.loaded === "number") {
      let bar = bars.get(key);
      if (bar === undefined) {
        bar = progress({ total: typeof event.total === "number" && event.total > 0 ? event.total : undefined, label: event.file, unit: "o", mode: options.mode ?? "auto" });
        bars.set(key, bar);
      }
      bar.update(event.loaded);
    } else if (event.status === "done") {
      bars.get(key)?.done();
      bars.delete(key);
    }
  };
}

/** The parts of @huggingface/transformers this module uses (typed here: its own declarations need a newer TypeScript than tslab's). */
interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  pipeline: (task: string, model: string, options: Record<string, unknown>) => Promise<unknown>;
  AutoTokenizer: { from_pretrained: (model: string, options: Record<string, unknown>) => Promise<unknown> };
}

/**
 * transformers.js, set up to read `model`: an absolute or ./ folder is read from disk with remote access
 * switched off (nothing is fetched), anything else is a Hub id.
 */
export async function transformersFor(model: string): Promise<{ transformers: TransformersModule; local: boolean }> {
  const transformers = (await import("@huggingface/transformers")) as unknown as TransformersModule;
  const local = path.isAbsolute(model) || model.startsWith("./") || model.startsWith("../");
  if (local) {
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    // An absolute folder: transformers.js joins localModelPath in front of the id.
    transformers.env.localModelPath = "";
  } else {
    transformers.env.allowRemoteModels = true;
  }
  return { transformers, local };
}

/** What the course uses of a transformers.js tokenizer (its full type needs a newer TypeScript than tslab's). */
export interface PretrainedTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skip_special_tokens?: boolean }): string;
  apply_chat_template(messages: readonly Record<string, unknown>[], options?: Record<string, unknown>): string | number[];
  /** The parsed tokenizer.json (what lib/sampling's tokenByteTable reads: transformers.js 4.3 has no public vocabulary). */
  _tokenizerJSON: unknown;
}

/**
 * The transformers.js tokenizer of a model folder (absolute path, e.g. `courseModelPath("chat")`) or of a Hub
 * id: `const tokenizer = await loadTokenizer(courseModelPath("chat"))`. A folder without tokenizer.json gets
 * an error naming it.
 */
export async function loadTokenizer(model: string): Promise<PretrainedTokenizer> {
  if (typeof model !== "string" || model.trim() === "") throw new TypeError("loadTokenizer: model must be a folder path or a Hub id");
  const { transformers, local } = await transformersFor(model);
  if (local && !fs.existsSync(path.join(model, "tokenizer.json"))) throw new Error(`loadTokenizer: ${model} has no tokenizer.json`);
  return (await transformers.AutoTokenizer.from_pretrained(model, local ? {} : { progress_callback: downloadProgress() })) as PretrainedTokenizer;
}

/** Options of {@link loadPipeline}. */
export interface LoadPipelineOptions extends ResolveModelOptions {
  /** "fp32" (default on Node), "q8" (the quantized file) or "q4"; default: the catalog's dtype for a Hub model, else fp32. */
  dtype?: "fp32" | "q8" | "q4";
  /** Do not print which model runs. */
  quiet?: boolean;
}

/**
 * Resolves `name`, says which model runs, and creates the transformers.js pipeline for `task` on it with a
 * download progress bar: `const { pipe } = await loadPipeline("feature-extraction", "embeddings")`.
 * Course models load with remote access switched off, so nothing is fetched.
 */
export async function loadPipeline<P = unknown>(task: string, name: CourseModelName, options: LoadPipelineOptions = {}): Promise<{ pipe: P; model: ResolvedModel }> {
  const model = await resolveModel(name, options);
  if (!options.quiet) console.log(model.description);
  const { transformers } = await transformersFor(model.id);
  // Bars for downloads only: a course folder is read from disk in an instant.
  const progressCallback = model.source === "hub" ? { progress_callback: downloadProgress() } : {};
  const dtype = options.dtype ?? model.dtype;
  const pipe = await transformers.pipeline(task, model.id, { ...progressCallback, ...(dtype ? { dtype } : {}) });
  return { pipe: pipe as P, model };
}
