/**
 * Finding and loading lesson specs: `exercises/<tp>-*.ts` default-exports `defineLesson({...})`.
 * Extra folders (test fixtures, a teacher's own lessons) come from `LLM_COURSE_EXERCISES_PATH`, a list of
 * folders separated like PATH, so fixtures never have to live in `exercises/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PATHS } from "../env";
import { lessonOf, type Exercise, type LessonSpec } from "./spec";

/** Environment variable listing extra folders of lesson specs (path-delimited). */
export const EXERCISES_PATH_VARIABLE = "LLM_COURSE_EXERCISES_PATH";

/** Folders searched for lesson specs: `exercises/` first, then `LLM_COURSE_EXERCISES_PATH`. */
export function exerciseDirs(): string[] {
  const extra = (process.env[EXERCISES_PATH_VARIABLE] ?? "")
    .split(path.delimiter)
    .map((dir) => dir.trim())
    .filter((dir) => dir !== "")
    .map((dir) => path.resolve(dir));
  return Array.from(new Set([PATHS.exercises, ...extra]));
}

function specFilesIn(dir: string, tp: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(`${tp}-`) && name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts"))
    .sort()
    .map((name) => path.join(dir, name));
}

/** The spec file of a TP, e.g. "tp01" → ".../exercises/tp01-tokenization.ts"; a clear error when absent or ambiguous. */
export function findLessonFile(tp: string): string {
  if (!/^tp\d{2}$/.test(tp)) throw new Error(`« ${tp} » n'est pas un identifiant de TP (attendu par exemple « tp01 »).`);
  const dirs = exerciseDirs();
  const files = dirs.flatMap((dir) => specFilesIn(dir, tp));
  if (files.length === 0) {
    throw new Error(`TP inconnu « ${tp} » : aucun fichier ${tp}-*.ts dans ${dirs.join(", ")}.`);
  }
  if (files.length > 1) throw new Error(`TP « ${tp} » défini plusieurs fois : ${files.join(", ")}.`);
  return files[0]!;
}

/** The TP ids that have a spec file, sorted: ["tp01", "tp02", …]. */
export function availableLessons(): string[] {
  const tps = new Set<string>();
  for (const dir of exerciseDirs()) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = /^(tp\d{2})-.*\.ts$/.exec(name);
      if (match && !name.endsWith(".d.ts") && !name.endsWith(".test.ts")) tps.add(match[1]!);
    }
  }
  return Array.from(tps).sort();
}

function isLessonSpec(value: unknown): value is LessonSpec {
  if (typeof value !== "object" || value === null) return false;
  const spec = value as Partial<LessonSpec>;
  return typeof spec.tp === "string" && Array.isArray(spec.exercises);
}

/**
 * Loads the lesson of a TP. `fresh: true` re-reads the module instead of reusing Node's module cache:
 * the grader uses it so that a submission that mutated the spec objects cannot change its own tests.
 */
export function loadLesson(tp: string, options: { fresh?: boolean } = {}): LessonSpec {
  const file = findLessonFile(tp);
  if (options.fresh) delete require.cache[require.resolve(file)];
  let loaded: unknown;
  try {
    loaded = require(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Impossible de charger ${file} : ${reason}`);
  }
  const spec = (loaded as { default?: unknown }).default ?? loaded;
  if (!isLessonSpec(spec)) {
    throw new Error(`${file} doit faire « export default defineLesson({...}) ».`);
  }
  if (spec.tp !== tp) throw new Error(`${file} déclare le TP « ${spec.tp} » au lieu de « ${tp} ».`);
  return spec;
}

/** The exercise with this id, e.g. "tp01.count_pairs"; a clear error listing the known ids when absent. */
export function findExercise(exerciseId: string, options: { fresh?: boolean } = {}): Exercise<unknown> {
  if (typeof exerciseId !== "string") throw new Error(`Identifiant d'exercice invalide : ${String(exerciseId)}.`);
  const lesson = loadLesson(lessonOf(exerciseId), options);
  const exercise = lesson.exercises.find((candidate) => candidate.id === exerciseId);
  if (!exercise) {
    const known = lesson.exercises.map((candidate) => candidate.id).join(", ");
    throw new Error(`Exercice inconnu « ${exerciseId} » (exercices du ${lesson.tp} : ${known}).`);
  }
  return exercise;
}
