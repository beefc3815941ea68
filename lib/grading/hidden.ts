/**
 * Teachers' hidden tests: `<dir>/<tp>-*.ts` files kept outside the student release, each default-exporting
 * `Record<exerciseId, ExerciseTest[]>`. The grader adds them to the visible tests when scoring.
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import { PATHS } from "../env";
import { loadLesson } from "./lessons";
import type { ExerciseTest } from "./spec";

export type HiddenTests = Record<string, ExerciseTest<any>[]>;

/**
 * Lets hidden test files that live outside the checkout import "@llm-course/lib/grading": Node resolves
 * bare names from the importing file's folder upwards, which never reaches the checkout's node_modules,
 * then from NODE_PATH, which Node reads once at start-up unless asked again (`Module._initPaths`, the
 * long-standing way to do so).
 */
function allowImportsOfTheLibrary(): void {
  const entries = (process.env.NODE_PATH ?? "").split(path.delimiter).filter((entry) => entry !== "");
  if (entries.includes(PATHS.nodeModules)) return;
  process.env.NODE_PATH = [...entries, PATHS.nodeModules].join(path.delimiter);
  (Module as unknown as { _initPaths?: () => void })._initPaths?.();
}

/** The hidden test files of a TP in `dir`, sorted. */
export function hiddenTestFiles(dir: string, tp: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`hidden tests: ${dir} is not a folder.`);
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith(`${tp}-`) && name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .sort()
    .map((name) => path.join(dir, name));
}

/**
 * Validates loaded hidden test modules ([file, module exports] in file-name order): every key must be an
 * exercise of the TP's spec, every value a list of `{ name, run }`. Several files are merged in order.
 */
export function validateHiddenTests(modules: Array<[string, unknown]>, tp: string, options: { fresh?: boolean } = {}): HiddenTests {
  const lesson = loadLesson(tp, options);
  const known = new Set(lesson.exercises.map((exercise) => exercise.id));
  const tests: HiddenTests = {};
  for (const [file, loaded] of modules) {
    const record = (loaded as { default?: unknown } | null)?.default;
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new Error(`hidden tests: ${file} must \`export default { "<exercise id>": [{ name, run }, …] }\`.`);
    }
    for (const [id, list] of Object.entries(record as Record<string, unknown>)) {
      if (!known.has(id)) throw new Error(`hidden tests: ${file} names "${id}", which is not an exercise of ${tp} (${Array.from(known).join(", ")}).`);
      if (!Array.isArray(list) || !list.every((test) => typeof test?.name === "string" && typeof test?.run === "function")) {
        throw new Error(`hidden tests: ${file}: "${id}" must be a list of { name: string, run(submission) }.`);
      }
      (tests[id] ??= []).push(...(list as ExerciseTest<any>[]));
    }
  }
  return tests;
}

/**
 * Loads and validates the hidden tests of a TP (see validateHiddenTests). No file → no hidden test.
 */
export function loadHiddenTests(dir: string, tp: string, options: { fresh?: boolean } = {}): HiddenTests {
  allowImportsOfTheLibrary();
  const modules: Array<[string, unknown]> = [];
  for (const file of hiddenTestFiles(dir, tp)) {
    if (options.fresh) delete require.cache[require.resolve(file)];
    try {
      modules.push([file, require(file)]);
    } catch (error) {
      throw new Error(`hidden tests: cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return validateHiddenTests(modules, tp, options);
}

/**
 * The hidden tests of a TP compiled to CommonJS, by file name, for a kernel that cannot read `dir` (the
 * sandbox hides it): their own imports bundled, packages (the course library included) left to `require`.
 */
export function compileHiddenTests(dir: string, tp: string): Record<string, string> {
  const esbuild = require("esbuild") as typeof import("esbuild");
  const compiled: Record<string, string> = {};
  for (const file of hiddenTestFiles(dir, tp)) {
    const result = esbuild.buildSync({ entryPoints: [file], bundle: true, platform: "node", format: "cjs", packages: "external", write: false, logLevel: "silent" });
    compiled[path.basename(file)] = result.outputFiles[0]!.text;
  }
  return compiled;
}
