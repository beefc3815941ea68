/**
 * Where the course lives and how it runs: the checkout's paths and the fast-mode switch.
 */
import * as path from "node:path";

/** Root of the course checkout (the folder holding package.json, lib/, notebooks/…). */
export const COURSE_ROOT = path.resolve(__dirname, "..");

/** Folders of the checkout, by role. */
export const PATHS = {
  root: COURSE_ROOT,
  lib: path.join(COURSE_ROOT, "lib"),
  exercises: path.join(COURSE_ROOT, "exercises"),
  solutions: path.join(COURSE_ROOT, "solutions"),
  notebooks: path.join(COURSE_ROOT, "notebooks"),
  data: path.join(COURSE_ROOT, "data"),
  nodeModules: path.join(COURSE_ROOT, "node_modules"),
} as const;

/** The one environment variable that switches every lesson to fast mode (set by the test runner). */
export const FAST_MODE_VARIABLE = "LLM_COURSE_FAST";

/** The environment variable that moves lib/rag's embedding cache elsewhere (e.g. an empty folder, to time a cold run). */
export const RAG_CACHE_VARIABLE = "LLM_COURSE_RAG_CACHE";

/**
 * True when lessons must shrink their work to run in seconds: every training loop ≤ 200 steps or ≤ 5 s,
 * datasets ≤ 2,000 examples, each notebook ≤ 60 s.
 */
export function isFastMode(): boolean {
  const value = (process.env[FAST_MODE_VARIABLE] ?? "").trim().toLowerCase();
  return value !== "" && value !== "0" && value !== "false" && value !== "no";
}

/** Picks the fast-mode value in fast mode and the full value otherwise: `steps = fastOr(200, 20_000)`. */
export function fastOr<T>(fast: T, full: T): T {
  return isFastMode() ? fast : full;
}

/** Fast-mode limits every lesson respects; tests check notebooks against them. */
export const FAST_LIMITS = { maxSteps: 200, maxSeconds: 5, maxExamples: 2000, maxNotebookSeconds: 60 } as const;
