/**
 * `npm run book [-- --fast] [--only tp02,tp03] [--out <dir>]`: builds the course's static site (out/book/
 * by default; open out/book/index.html in a browser, no server needed).
 */
import * as path from "node:path";
// @ts-expect-error -- environment/ holds plain ES modules run by node before anything is installed
import { jupyterEnv, registerKernel, requireJupyterPython } from "../../environment/jupyter.mjs";
import { buildBook } from "./build";

const USAGE = "usage: npm run book [-- --fast] [--only tp02,tp03] [--out <dossier>]";

function parseArgs(argv: string[]): { fast: boolean; only?: string[]; outDir?: string } {
  const options: { fast: boolean; only?: string[]; outDir?: string } = { fast: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--fast") options.fast = true;
    else if (arg === "--only" && argv[i + 1]) options.only = argv[++i]!.split(",").map((s) => s.trim()).filter(Boolean);
    else if (arg === "--out" && argv[i + 1]) options.outDir = path.resolve(argv[++i]!);
    else {
      console.error(`book: unknown argument "${arg}"\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

const args = parseArgs(process.argv.slice(2));
const python = (requireJupyterPython as () => string)();
(registerKernel as (options: { quiet: boolean }) => string)({ quiet: true });
const started = Date.now();
const result = buildBook({ ...args, python, env: (jupyterEnv as () => NodeJS.ProcessEnv)(), log: (line) => console.log(line) });
const failed = result.lessons.filter((l) => l.errors.length > 0);
for (const lesson of failed) console.error(`⚠️ ${lesson.stem}: cells ${lesson.errors.map((i) => i + 1).join(", ")} ended in an error (shown on its page)`);
console.log(`Book: ${result.lessons.length} lessons in ${path.relative(process.cwd(), result.outDir) || "."}/ (${((Date.now() - started) / 1000).toFixed(0)} s) — open ${path.join(result.outDir, "index.html")}`);
process.exit(failed.length > 0 ? 1 : 0);
