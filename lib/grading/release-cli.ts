/**
 * `npm run release` writes notebooks/ from solutions/; `npm run release -- --check` only compares and
 * exits 1 listing the stale files (what CI runs). `--solutions <dir>` and `--notebooks <dir>` override the
 * folders.
 */
import * as path from "node:path";
import { PATHS } from "../env";
import { planRelease, writeRelease } from "./release";

const USAGE = "usage: npm run release [-- --check] [--solutions <dir>] [--notebooks <dir>]";

function main(argv: string[]): number {
  let check = false;
  let solutionsDir = PATHS.solutions;
  let notebooksDir = PATHS.notebooks;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--check") check = true;
    else if (arg === "--solutions" || arg === "--notebooks") {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a folder.\n${USAGE}`);
      if (arg === "--solutions") solutionsDir = path.resolve(value);
      else notebooksDir = path.resolve(value);
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      return 0;
    } else throw new Error(`unknown argument "${arg}".\n${USAGE}`);
  }
  const show = (file: string) => path.relative(process.cwd(), file) || file;
  const plan = planRelease({ solutionsDir, notebooksDir });
  if (plan.files.size === 0) console.log(`No solution notebook in ${show(solutionsDir)}/.`);
  if (check) {
    for (const file of plan.stale) console.error(`stale: ${show(file)}`);
    for (const file of plan.orphans) console.error(`no source in ${show(solutionsDir)}/: ${show(file)}`);
    if (plan.stale.length + plan.orphans.length > 0) {
      console.error("notebooks/ is out of date: run `npm run release` and commit the result.");
      return 1;
    }
    console.log(`${plan.files.size} notebook(s) up to date.`);
    return 0;
  }
  const written = writeRelease(plan);
  for (const file of plan.files.keys()) console.log(`${written.includes(file) ? "wrote    " : "unchanged"} ${show(file)}`);
  for (const file of plan.orphans) console.warn(`warning: ${show(file)} has no source in ${show(solutionsDir)}/`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`release: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
