/**
 * `npm run models`: rebuilds the course-made models under data/models/, reproducibly (seeded data,
 * weights and minibatches; the wasm backend computes the same numbers on every run). The results are
 * committed, so a fresh checkout works offline at once; run this after changing a recipe.
 *
 *   npm run models                  every model, one after the other
 *   npm run models -- bert          only the named ones (see COURSE_MODELS)
 *   npm run models -- bert --steps 100   a shorter run, to check the pipeline (do not commit its output)
 *
 * One model trains at a time: the machines the course runs on are shared.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { initBackend } from "../backend";
import { buildChatModel, CHAT_MODEL_DIR } from "../chat/build";
import { PATHS } from "../env";
import { BERT_TINY_DIR, buildBertTiny } from "./bert/build";
import { buildGptMoby } from "./gpt/build";
import { GPT_MOBY_DIR } from "./gpt/moby";

/** A course model and how to rebuild it. */
export interface CourseModelBuild {
  name: string;
  /** Folder it writes, relative to the course root. */
  output: string;
  description: string;
  build: (options: { steps?: number }) => Promise<void>;
}

/** Runs a training script of the course in its own process (the scripts run their `main` on import). */
function script(file: string, extraArgs: readonly string[] = []): (options: { steps?: number }) => Promise<void> {
  return async ({ steps }) => {
    const args = ["--import", "tsx", path.join(PATHS.root, file), ...extraArgs, ...(steps === undefined ? [] : ["--steps", String(steps)])];
    const result = spawnSync(process.execPath, args, { cwd: PATHS.root, stdio: "inherit" });
    if (result.status !== 0) throw new Error(`${file} failed (exit status ${result.status})`);
  };
}

/** The course-made models, in build order. */
export const COURSE_MODELS: readonly CourseModelBuild[] = [
  {
    name: "bert",
    output: path.relative(PATHS.root, BERT_TINY_DIR),
    description: "bert-tiny: encoder-only, masked-LM pre-training on SpamAssassin mail, transformers.js folder + q8 (TP8)",
    build: async ({ steps }) => {
      await buildBertTiny({ steps });
    },
  },
  {
    name: "gpt",
    output: path.relative(PATHS.root, GPT_MOBY_DIR),
    description: "gpt-moby: the course's mini-GPT, character level on Moby-Dick; tfjs checkpoint + transformers.js folder + q8 (TP9, TP11)",
    build: async ({ steps }) => {
      await buildGptMoby({ steps });
    },
  },
  {
    name: "chat",
    output: path.relative(PATHS.root, CHAT_MODEL_DIR),
    description: "chat-mini: the course chat model, byte-level BPE mini-GPT pre-trained on the course corpora then fine-tuned on six tasks' conversations; transformers.js folder with chat template + q8, report.json (TP10, TP12–TP14)",
    build: async ({ steps }) => {
      await buildChatModel({ steps });
    },
  },
  {
    name: "tp05-rnn",
    output: "data/models/tp05-rnn",
    description: "TP5's English → French number-words GRU seq2seq",
    build: script("lib/models/rnn/train-checkpoints.ts", ["seq2seq"]),
  },
  {
    name: "tp06-attention",
    output: "data/models/tp06-attention",
    description: "TP6's GRU seq2seq with additive (Bahdanau) attention",
    build: script("lib/models/rnn/train-checkpoints.ts", ["attention"]),
  },
  {
    name: "tp07-transformer",
    output: "data/models/tp07-transformer",
    description: "TP7's English → French number-words encoder–decoder Transformer",
    build: script("lib/models/transformer/train-cli.ts"),
  },
];

function parseArguments(argv: readonly string[]): { names: string[]; steps?: number } {
  const names: string[] = [];
  let steps: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--steps") {
      steps = Number(argv[++i]);
      if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be an integer ≥ 1, got ${argv[i]}`);
    } else if (arg.startsWith("-")) {
      throw new Error(`unknown option ${arg} (usage: npm run models -- [${COURSE_MODELS.map((m) => m.name).join("|")}…] [--steps N])`);
    } else {
      names.push(arg);
    }
  }
  return { names, steps };
}

async function main(): Promise<void> {
  const { names, steps } = parseArguments(process.argv.slice(2));
  const unknown = names.filter((name) => !COURSE_MODELS.some((m) => m.name === name));
  if (unknown.length > 0) throw new Error(`unknown model ${unknown.join(", ")}; the course's models are: ${COURSE_MODELS.map((m) => m.name).join(", ")}`);
  const selected = names.length === 0 ? COURSE_MODELS : COURSE_MODELS.filter((m) => names.includes(m.name));
  await initBackend();
  for (const model of selected) {
    console.log(`\n== ${model.name} → ${model.output}: ${model.description}`);
    const started = Date.now();
    await model.build({ steps });
    console.log(`== ${model.name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
