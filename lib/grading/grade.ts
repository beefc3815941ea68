/**
 * The grader: runs every submitted notebook of a folder headless and scores each exercise.
 *
 * For each notebook the student's code cells run in order, except cells that hold nothing but
 * `check(...)` calls (students may delete, rewrite or redefine `check`: it is never trusted). After the
 * cell that defines each exercise's symbol (the last code cell tagged `llm_course.exercise` by the release
 * or declaring the symbol at top level; at the end when there is none) the grader injects its own cell
 * that imports `gradeCell` from the library and prints `<nonce><json result>`; a missing line scores 0
 * with a French reason. Kernels run in a scratch folder inside the checkout (`.grading/<run>/`), so that
 * `@llm-course/lib` resolves whatever folder the submissions are in.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { COURSE_ROOT, FAST_MODE_VARIABLE } from "../env";
import { checkCallIds, declaresSymbol, isCheckOnly } from "./cells";
import { roundPoints, type ExerciseStatus, type TestOutcome } from "./check";
import {
  DEFAULT_CELL_TIMEOUT_SECONDS,
  DEFAULT_DEADLINE_SECONDS,
  executeCells,
  type CellRun,
  type ExecutionResult,
  type PlannedCell,
} from "./executor";
import { GRADE_FUNCTION, type GradeCellOutput, type GradedTest, type GradingPayload } from "./grade-cell";
import { compileHiddenTests, loadHiddenTests, type HiddenTests } from "./hidden";
import { EXERCISES_PATH_VARIABLE, exerciseDirs, findLessonFile, loadLesson } from "./lessons";
import { cellSource, writeFileAtomic, type Notebook } from "./notebook-file";
import { DEFAULT_LIMITS, createKernelSandbox, isolationSummary, type SandboxLimits } from "./sandbox";
import type { LessonSpec } from "./spec";
import { decodeSubmission, feedbackFileNames, listSubmissions, printableName } from "./submissions";

/** Why an exercise scored what it did: the statuses of `runExercise`, plus what can go wrong around it. */
export type GradeStatus = ExerciseStatus | "error" | "timeout" | "crash" | "not_run" | "unreadable" | "wrong_tp";

export interface ExerciseGrade {
  id: string;
  title: string;
  earned: number;
  max: number;
  status: GradeStatus;
  /** French explanation of a score below the maximum (besides failed tests). */
  reason?: string;
  tests: TestOutcome[];
}

/** A student cell that failed, for the feedback (1-based position among all the notebook's cells). */
export interface CellProblem {
  cell: number;
  status: "error" | "timeout" | "dead";
  summary: string;
}

export interface NotebookGrade {
  file: string;
  /** The TP the notebook belongs to (metadata or exercise ids), null when unknown. */
  tp: string | null;
  status: "graded" | "unreadable" | "wrong_tp";
  /** French explanation for unreadable and wrong_tp notebooks. */
  message?: string;
  earned: number;
  max: number;
  exercises: ExerciseGrade[];
  cellProblems: CellProblem[];
}

export interface Gradebook {
  tp: string;
  title: string;
  exercises: Array<{ id: string; title: string; points: number }>;
  max: number;
  /** Number of hidden tests added per exercise id (0 when none). */
  hiddenTests: Record<string, number>;
  notebooks: NotebookGrade[];
}

export interface GradeNotebookOptions {
  lesson: LessonSpec;
  hiddenDir?: string | null;
  cellTimeoutSeconds?: number;
  deadlineSeconds?: number;
  interruptGraceSeconds?: number;
  /** Run in fast mode (LLM_COURSE_FAST=1); default true. */
  fast?: boolean;
  /** Also run the check cells (the notebook tests do, to prove they work); default false. */
  includeCheckCells?: boolean;
  /** Parent of the per-notebook scratch folder; default `.grading/<random>/` in the checkout. */
  scratchDir?: string;
  keepScratch?: boolean;
  /** Folders the kernel must not see besides the checkout's secrets (the folder grader passes its input and output). */
  hideFromKernel?: string[];
  /** Memory and process caps of each kernel (sandbox.ts defaults). */
  limits?: Partial<SandboxLimits>;
  /** Run without bubblewrap even where it works (the isolation-cost benchmark). */
  noIsolation?: boolean;
  /** Hidden tests already loaded by the caller (gradeFolder loads them once). */
  hidden?: { tests: HiddenTests; compiled: Record<string, string> };
}

export interface GradeFolderOptions extends Omit<GradeNotebookOptions, "lesson"> {
  dir: string;
  /** Output folder; default `<dir>/grades`. */
  outDir?: string;
  /** Expected TP; default the most common TP of the folder's notebooks. */
  tp?: string;
  /** Notebooks graded at the same time (default 1). */
  jobs?: number;
  /** Grade only the submissions of this shard (1-based index of count), chosen by a hash of their name. */
  shard?: { index: number; count: number };
  /**
   * Reuse `<out>/.cache/<key>.json` when a submission's bytes, name, lesson, hidden tests, grader sources and
   * options are the same as when it was graded (default true): a rerun skips it and writes the same bytes.
   */
  resume?: boolean;
  log?: (line: string) => void;
}

/** Where the grader's scratch folders go: inside the checkout, so that tslab resolves the library. */
export const SCRATCH_ROOT = path.join(COURSE_ROOT, ".grading");

const TP_ID = /^tp\d{2}$/;

function courseMetadata(metadata: unknown): Record<string, unknown> {
  const value = (metadata as Record<string, unknown> | undefined)?.llm_course;
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function mostCommon(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: string | null = null;
  for (const [value, count] of Array.from(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (best === null || count > counts.get(best)!) best = value;
  }
  return best;
}

/** The TP of a notebook: `metadata.llm_course.tp` (written by the release), else the exercise ids in its cells. */
export function notebookTp(notebook: Notebook): string | null {
  const tp = courseMetadata(notebook.metadata).tp;
  if (typeof tp === "string" && TP_ID.test(tp)) return tp;
  const ids: string[] = [];
  for (const cell of notebook.cells) {
    const exercise = courseMetadata(cell.metadata).exercise;
    if (typeof exercise === "string") ids.push(exercise);
    if (cell.cell_type === "code") ids.push(...checkCallIds(cellSource(cell)));
  }
  return mostCommon(ids.map((id) => id.split(".")[0]!).filter((id) => TP_ID.test(id)));
}

/** What the grader runs for one notebook: the plan, and which planned cell is what. */
export interface GradingPlan {
  cells: PlannedCell[];
  /**
   * For each planned cell: the notebook cell index it comes from, or the exercise id it grades with the
   * plan index of the cell that defines the exercise (null when none does).
   */
  origins: Array<{ setup: true } | { cell: number } | { grades: string; anchor: number | null }>;
}

/**
 * The grader's first cell: installs the grading function before any student code (grade-cell.ts). A plain
 * `require`, not an `import`: tslab would type-check the whole module graph first (seconds per kernel).
 */
export function setupCellCode(payloadFile: string): string {
  return `(require("@llm-course/lib/grading/grade-cell") as { installGrader(file: string): void }).installGrader(${JSON.stringify(payloadFile)});\n`;
}

/**
 * The setup cell's own timeout (it loads the grading library before the first student cell), and the least
 * a cell made only of imports gets: tslab type-checks what they import, seconds on a loaded machine, and
 * such a cell has no code of its own that could loop.
 */
const SETUP_TIMEOUT_SECONDS = 60;
const IMPORT_CELL_TIMEOUT_SECONDS = 30;

/** True for a cell of import declarations only (comments and blank lines aside). */
export function isImportOnly(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const rest = code.replace(/\bimport\s+(?:type\s+)?(?:[\w$*\s{},]+?\s+from\s+)?["'][^"'\n]+["']\s*;?/g, "");
  return rest.trim() === "" && code.trim() !== "";
}

/** The injected grading cell of one exercise. */
export function gradingCellCode(exerciseId: string, symbol: string, testTimeoutMs: number): string {
  return `const llmCourseGrade: (id: string, get: () => unknown, timeoutMs: number) => Promise<void> = (globalThis as any).${GRADE_FUNCTION};\nawait llmCourseGrade(${JSON.stringify(exerciseId)}, () => ${symbol}, ${testTimeoutMs});\n`;
}

/**
 * Builds the cells to run: the grader's setup cell, the student's cells (check-only cells left out) and one
 * grading cell per exercise.
 */
export function planGrading(
  notebook: Notebook,
  lesson: LessonSpec,
  options: { payloadFile: string; cellTimeoutSeconds: number; includeCheckCells?: boolean; hiddenCounts?: Record<string, number> },
): GradingPlan {
  const runnable = notebook.cells
    .map((cell, index) => ({ cell, index, source: cellSource(cell) }))
    .filter(({ cell, source }) => cell.cell_type === "code" && source.trim() !== "")
    .filter(({ source }) => options.includeCheckCells || !isCheckOnly(source));
  const anchorOf = new Map<string, number>();
  for (const exercise of lesson.exercises) {
    for (const { cell, index, source } of runnable) {
      const meta = courseMetadata(cell.metadata);
      const tagged = meta.role === "exercise" && meta.exercise === exercise.id;
      if ((tagged && !isCheckOnly(source)) || declaresSymbol(source, exercise.symbol)) anchorOf.set(exercise.id, index);
    }
  }
  const cells: PlannedCell[] = [{ code: setupCellCode(options.payloadFile), replay: true, timeoutSeconds: Math.max(options.cellTimeoutSeconds, SETUP_TIMEOUT_SECONDS) }];
  const origins: GradingPlan["origins"] = [{ setup: true }];
  const grade = (exerciseId: string, anchor: number | null) => {
    const exercise = lesson.exercises.find((candidate) => candidate.id === exerciseId)!;
    // Every test must be able to time out inside the grading cell's own timeout.
    const count = exercise.tests.length + (options.hiddenCounts?.[exercise.id] ?? 0);
    const testTimeoutMs = Math.round(Math.min(10_000, Math.max(500, (options.cellTimeoutSeconds * 1000) / (count + 2))));
    cells.push({ code: gradingCellCode(exercise.id, exercise.symbol, testTimeoutMs), replay: false });
    origins.push({ grades: exercise.id, anchor });
  };
  for (const { index, source } of runnable) {
    cells.push(isImportOnly(source) ? { code: source, replay: true, timeoutSeconds: Math.max(options.cellTimeoutSeconds, IMPORT_CELL_TIMEOUT_SECONDS) } : { code: source, replay: true });
    origins.push({ cell: index });
    const at = cells.length - 1;
    for (const exercise of lesson.exercises) if (anchorOf.get(exercise.id) === index) grade(exercise.id, at);
  }
  for (const exercise of lesson.exercises) if (!anchorOf.has(exercise.id)) grade(exercise.id, null);
  return { cells, origins };
}

/** The most telling lines of a cell's stderr: TypeScript diagnostics, else the error line of a stack. */
export function summarizeStderr(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trimEnd()).filter((line) => line.trim() !== "");
  const diagnostics = lines.filter((line) => /^\d+:\d+ - /.test(line));
  let summary: string;
  if (diagnostics.length > 0) {
    summary = diagnostics.slice(0, 3).map((line) => `ligne ${line}`).join(" ; ");
  } else {
    const errorLine = lines.find((line) => /^(Uncaught\s+)?[A-Z]\w*(Error|Exception)\b/.test(line) || /^UnhandledPromiseRejection/.test(line));
    summary = errorLine ?? lines[0] ?? "erreur sans message";
  }
  return summary.length > 300 ? `${summary.slice(0, 299)}…` : summary;
}

/** The grading cell's result line, authenticated: null when absent, "forged" when its HMAC does not match. */
export function parseGradeLine(stdout: string, nonce: string, key: Buffer): GradeCellOutput | "forged" | null {
  const at = stdout.lastIndexOf(nonce);
  if (at < 0) return null;
  const rest = stdout.slice(at + nonce.length);
  const end = rest.indexOf("\n");
  const line = end < 0 ? rest : rest.slice(0, end);
  const tab = line.lastIndexOf("\t");
  if (tab < 0) return "forged";
  const json = line.slice(0, tab);
  const expected = crypto.createHmac("sha256", key).update(nonce + json).digest();
  const given = Buffer.from(line.slice(tab + 1), "hex");
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return "forged";
  try {
    return JSON.parse(json) as GradeCellOutput;
  } catch {
    return "forged";
  }
}

/** French reason of a memory limit, for cells and exercises. */
export function memoryReason(limitMb: number): string {
  return `mémoire épuisée : le noyau a dépassé la limite de ${limitMb} Mo et a été arrêté`;
}

function describeCellFailure(run: CellRun | undefined, timeoutSeconds: number, memoryMb: number): string {
  if (!run) return "elle n'a pas été exécutée";
  switch (run.status) {
    case "timeout":
      return `elle a dépassé le délai de ${timeoutSeconds} s — boucle infinie ?`;
    case "dead":
      return run.cause === "memory" ? `elle a épuisé la mémoire (limite de ${memoryMb} Mo)` : "elle a arrêté le noyau — process.exit ?";
    case "not_run":
      return "elle n'a pas été exécutée, la limite de temps du notebook étant dépassée";
    default:
      return `elle a échoué : ${summarizeStderr(run.stderr)}`;
  }
}

interface Context {
  lesson: LessonSpec;
  nonce: string;
  key: Buffer;
  /** Names of the hidden tests per exercise: a result must list every visible and hidden test. */
  hiddenNames: Record<string, string[]>;
  /** The setup cell failed: why (no grading function in the kernel). */
  setupFailure?: string;
  cellTimeoutSeconds: number;
  deadlineSeconds: number;
  memoryMb: number;
  /** 1-based notebook cell during which the notebook's deadline struck. */
  deadlineCell?: number;
  fatal?: string;
}

function exerciseFromRuns(exerciseId: string, plan: GradingPlan, execution: ExecutionResult, context: Context): ExerciseGrade {
  const exercise = context.lesson.exercises.find((candidate) => candidate.id === exerciseId)!;
  const base = { id: exercise.id, title: exercise.title, max: exercise.points };
  const at = plan.origins.findIndex((origin) => "grades" in origin && origin.grades === exerciseId);
  const origin = plan.origins[at] as { grades: string; anchor: number | null };
  const run = execution.cells[at]!;
  const output = parseGradeLine(run.stdout, context.nonce, context.key);
  if (output === "forged") {
    return { ...base, earned: 0, status: "error", reason: "résultat de notation non authentifié : la sortie du notebook a été modifiée (0 point).", tests: [] };
  }
  if (output && "error" in output) {
    return { ...base, earned: 0, status: "error", reason: `la notation a échoué : ${output.error}`, tests: [] };
  }
  if (output) {
    // Every expected test, visible and hidden, in order; one the result lacks counts as failed.
    const expected = [
      ...exercise.tests.map((test) => ({ name: test.name, hidden: false })),
      ...(context.hiddenNames[exercise.id] ?? []).map((name) => ({ name, hidden: true })),
    ];
    const tests: TestOutcome[] = expected.map(({ name, hidden }, index) => {
      const got: GradedTest | undefined = output.tests[index];
      const outcome: TestOutcome = got && got.name === name ? { name, passed: got.passed === true } : { name, passed: false, message: "résultat du test manquant" };
      if (got && got.name === name && !outcome.passed && got.message !== undefined) outcome.message = got.message;
      if (got?.todo) outcome.todo = true;
      if (hidden) outcome.hidden = true;
      return outcome;
    });
    const passed = tests.filter((test) => test.passed).length;
    const earned = roundPoints((exercise.points * passed) / expected.length);
    const known: ExerciseStatus[] = ["passed", "partial", "failed", "todo", "missing"];
    const status = known.includes(output.status as ExerciseStatus) ? (output.status as ExerciseStatus) : "failed";
    const grade: ExerciseGrade = { ...base, earned, status: passed === expected.length ? "passed" : status === "passed" ? "partial" : status, tests };
    if (output.reason !== undefined) grade.reason = output.reason;
    return grade;
  }
  if (context.setupFailure !== undefined) {
    return { ...base, earned: 0, status: "error", reason: `la préparation de la notation a échoué : ${context.setupFailure}`, tests: [] };
  }
  // No result line: explain from what the kernel reported.
  const anchor = origin.anchor;
  const anchorRun = anchor === null ? undefined : execution.cells[anchor];
  switch (run.status) {
    case "error": {
      if (run.stderr.includes(`Cannot find name '${exercise.symbol}'`)) {
        const why =
          anchor === null
            ? "aucune cellule ne le définit"
            : `la cellule qui le définit n'a pas abouti, ${describeCellFailure(anchorRun, context.cellTimeoutSeconds, context.memoryMb)}`;
        return { ...base, earned: 0, status: "missing", reason: `« ${exercise.symbol} » n'est pas défini : ${why}`, tests: [] };
      }
      return { ...base, earned: 0, status: "error", reason: `erreur pendant la notation : ${summarizeStderr(run.stderr)}`, tests: [] };
    }
    case "timeout":
      return {
        ...base,
        earned: 0,
        status: "timeout",
        reason: `délai de ${context.cellTimeoutSeconds} s dépassé pendant les tests de « ${exercise.symbol} » (boucle infinie ?).`,
        tests: [],
      };
    case "dead":
      return {
        ...base,
        earned: 0,
        status: "crash",
        reason: run.cause === "memory" ? `${memoryReason(context.memoryMb)} pendant les tests.` : "le noyau s'est arrêté pendant les tests (process.exit ?).",
        tests: [],
      };
    case "not_run":
      return {
        ...base,
        earned: 0,
        status: "not_run",
        reason: context.fatal
          ? `non noté : le noyau n'a pas pu tourner (${context.fatal}).`
          : `non noté : la limite de temps du notebook (${context.deadlineSeconds} s) est dépassée${
              context.deadlineCell !== undefined ? ` pendant la cellule ${context.deadlineCell}` : ""
            }.`,
        tests: [],
      };
    default:
      return { ...base, earned: 0, status: "error", reason: "aucun résultat de notation (la sortie standard a-t-elle été détournée ?).", tests: [] };
  }
}

function zeroGrades(lesson: LessonSpec, status: GradeStatus, reason: string): ExerciseGrade[] {
  return lesson.exercises.map((exercise) => ({ id: exercise.id, title: exercise.title, earned: 0, max: exercise.points, status, reason, tests: [] }));
}

function totals(exercises: ExerciseGrade[]): { earned: number; max: number } {
  return {
    earned: roundPoints(exercises.reduce((sum, exercise) => sum + exercise.earned, 0)),
    max: roundPoints(exercises.reduce((sum, exercise) => sum + exercise.max, 0)),
  };
}

/** Replaces run-specific strings (scratch folder, nonce) so that gradebooks do not change between runs. */
function sanitizer(scratch: string, privateDir: string, nonce: string): (text: string) => string {
  return (text) => text.split(scratch).join("<dossier de travail>").split(privateDir).join("<dossier privé>").split(nonce).join("<nonce>");
}

function sanitizeGrade(grade: NotebookGrade, clean: (text: string) => string): NotebookGrade {
  const json = JSON.stringify(grade, (_key, value: unknown) => (typeof value === "string" ? clean(value) : value));
  return JSON.parse(json) as NotebookGrade;
}

/** Result of grading one notebook, with the raw execution for callers that want details (tests). */
export interface NotebookRun {
  grade: NotebookGrade;
  /** What ran (absent for unreadable and wrong-TP notebooks). */
  plan?: GradingPlan;
  execution?: ExecutionResult;
  seconds: number;
}

/**
 * Grades one notebook that belongs to `options.lesson` (the caller decides the TP). Never throws for
 * anything inside the notebook; throws only if Jupyter is missing.
 */
export async function gradeNotebook(notebook: Notebook, file: string, options: GradeNotebookOptions): Promise<NotebookRun> {
  const started = Date.now();
  const lesson = options.lesson;
  const nonce = `@@llm-course-grade-${crypto.randomBytes(12).toString("hex")}@@`;
  const key = crypto.randomBytes(32);
  const cellTimeoutSeconds = options.cellTimeoutSeconds ?? DEFAULT_CELL_TIMEOUT_SECONDS;
  const deadlineSeconds = options.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;
  const hiddenDir = options.hiddenDir ? path.resolve(options.hiddenDir) : null;
  const hidden = options.hidden ?? (hiddenDir ? { tests: loadHiddenTests(hiddenDir, lesson.tp), compiled: compileHiddenTests(hiddenDir, lesson.tp) } : { tests: {}, compiled: {} });
  const hiddenNames: Record<string, string[]> = {};
  for (const exercise of lesson.exercises) hiddenNames[exercise.id] = (hidden.tests[exercise.id] ?? []).map((test) => test.name);

  const parent = options.scratchDir ?? path.join(SCRATCH_ROOT, `run-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  const scratch = path.join(parent, `${path.basename(file, ".ipynb").replace(/[^\w.-]+/g, "_").slice(0, 60)}-${crypto.randomBytes(3).toString("hex")}`);
  fs.mkdirSync(scratch, { recursive: true });
  const sandbox = createKernelSandbox({
    scratch,
    hide: [...(options.hideFromKernel ?? []), ...(hiddenDir ? [hiddenDir] : []), ...siblingSolutionFolders()],
    env: {
      [FAST_MODE_VARIABLE]: options.fast === false ? "0" : "1",
      // Absolute: the kernel runs in the scratch folder, where relative entries would mean something else.
      [EXERCISES_PATH_VARIABLE]: exerciseDirs().join(path.delimiter),
    },
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.noIsolation ? { noBwrap: true } : {}),
  });
  const payloadFile = path.join(sandbox.privateDir, "grading-payload.json");
  const payload: GradingPayload = { key: key.toString("hex"), nonce, tp: lesson.tp, hidden: hidden.compiled };
  const plan = planGrading(notebook, lesson, {
    payloadFile,
    cellTimeoutSeconds,
    includeCheckCells: options.includeCheckCells ?? false,
    hiddenCounts: Object.fromEntries(Object.entries(hiddenNames).map(([id, names]) => [id, names.length])),
  });
  let execution: ExecutionResult;
  try {
    // Some notebooks read files next to themselves: give them a copy of the submission.
    fs.writeFileSync(path.join(scratch, path.basename(file).replace(/[^\w.-]+/g, "_")), JSON.stringify(notebook));
    execution = await executeCells({
      cells: plan.cells,
      cwd: scratch,
      env: sandbox.env,
      cellTimeoutSeconds,
      deadlineSeconds,
      interruptGraceSeconds: options.interruptGraceSeconds ?? 3,
      sandbox: { prefix: sandbox.prefix, nodeFlags: sandbox.nodeFlags, privateDir: sandbox.privateDir, memoryCgroup: sandbox.memoryCgroup },
      payload: { file: payloadFile, content: JSON.stringify(payload) },
    });
  } finally {
    sandbox.dispose();
    if (!options.keepScratch) fs.rmSync(options.scratchDir ? scratch : parent, { recursive: true, force: true });
  }

  const context: Context = { lesson, nonce, key, hiddenNames, cellTimeoutSeconds, deadlineSeconds, memoryMb: sandbox.limits.memoryMb };
  if (execution.fatal !== undefined) context.fatal = execution.fatal;
  const setupRun = execution.cells[0]!;
  if (setupRun.status !== "ok" && setupRun.status !== "not_run") context.setupFailure = summarizeStderr(setupRun.stderr) || setupRun.status;
  const notebookCell = (index: number): number | undefined => {
    const origin = plan.origins[index];
    return origin && "cell" in origin ? origin.cell + 1 : undefined;
  };
  const deadlineAt = execution.cells.findIndex((run) => run.deadline === true);
  if (deadlineAt >= 0) {
    const cell = notebookCell(deadlineAt);
    if (cell !== undefined) context.deadlineCell = cell;
  }
  const exercises = lesson.exercises.map((exercise) => exerciseFromRuns(exercise.id, plan, execution, context));
  const cellProblems: CellProblem[] = [];
  plan.origins.forEach((origin, index) => {
    const run = execution.cells[index]!;
    if (!("cell" in origin) || (run.status !== "error" && run.status !== "timeout" && run.status !== "dead")) return;
    const summary =
      run.status === "timeout"
        ? run.deadline
          ? `la limite de temps du notebook (${deadlineSeconds} s) a été atteinte pendant cette cellule`
          : `délai de ${plan.cells[index]!.timeoutSeconds ?? cellTimeoutSeconds} s dépassé : la cellule a été interrompue`
        : run.status === "dead"
          ? run.cause === "memory"
            ? `${memoryReason(sandbox.limits.memoryMb)} ; il a été redémarré`
            : "la cellule a arrêté le noyau (process.exit ?) : il a été redémarré"
          : summarizeStderr(run.stderr);
    cellProblems.push({ cell: origin.cell + 1, status: run.status, summary });
  });
  // A cell that ran fine but left a timer or a loop that hung or killed the kernel later: it is named, and the
  // cell that suffered was run again without it.
  for (const leftover of execution.leftovers) {
    const cell = notebookCell(leftover.index);
    if (cell === undefined) continue;
    const victim = notebookCell(leftover.victim);
    const during = victim !== undefined ? `la cellule ${victim}` : "la notation";
    const effect = leftover.reason === "dead" ? "arrêté le noyau" : "bloqué le noyau";
    cellProblems.push({ cell, status: leftover.reason, summary: `elle a laissé tourner une tâche (minuterie, boucle) qui a ${effect} pendant ${during} ; elle n'a pas été rejouée` });
  }
  cellProblems.sort((a, b) => a.cell - b.cell);
  const grade: NotebookGrade = {
    file: path.basename(file),
    tp: lesson.tp,
    status: "graded",
    ...totals(exercises),
    exercises,
    cellProblems,
  };
  return { grade: sanitizeGrade(grade, sanitizer(scratch, sandbox.privateDir, nonce)), plan, execution, seconds: (Date.now() - started) / 1000 };
}

/** The teachers' solution folders next to each lesson-spec folder (`exercises/` → `solutions/`, test fixtures too). */
function siblingSolutionFolders(): string[] {
  return exerciseDirs()
    .map((dir) => path.join(path.dirname(dir), "solutions"))
    .filter((dir) => fs.existsSync(dir));
}

interface Submission {
  file: string;
  /** Shown in gradebooks and feedback: the path under the graded folder, control characters replaced. */
  name: string;
  notebook?: Notebook;
  error?: string;
  tp: string | null;
}

function readSubmission(file: string, name = path.basename(file)): Submission {
  const shown = printableName(name);
  try {
    if (fs.lstatSync(file).isSymbolicLink()) throw new Error("lien symbolique refusé : déposez le fichier lui-même, pas un lien");
    const notebook = decodeSubmission(fs.readFileSync(file), shown);
    return { file, name: shown, notebook, tp: notebookTp(notebook) };
  } catch (error) {
    return { file, name: shown, error: error instanceof Error ? error.message : String(error), tp: null };
  }
}

/** Grades one notebook file against the expected lesson: unreadable and wrong-TP files score 0 without running. */
export async function gradeNotebookFile(file: string, options: GradeNotebookOptions): Promise<NotebookRun> {
  return gradeSubmission(readSubmission(file), options);
}

async function gradeSubmission(submission: Submission, options: GradeNotebookOptions): Promise<NotebookRun> {
  const lesson = options.lesson;
  const name = submission.name;
  if (!submission.notebook) {
    const message = `fichier illisible : ${(submission.error ?? "").replace(/\.$/, "")}.`;
    const exercises = zeroGrades(lesson, "unreadable", message);
    return { grade: { file: name, tp: null, status: "unreadable", message, ...totals(exercises), exercises, cellProblems: [] }, seconds: 0 };
  }
  if (submission.tp !== null && submission.tp !== lesson.tp) {
    const message = `ce notebook est celui du ${submission.tp}, pas du ${lesson.tp} (${lesson.title}) : rien n'a été noté.`;
    const exercises = zeroGrades(lesson, "wrong_tp", message);
    return { grade: { file: name, tp: submission.tp, status: "wrong_tp", message, ...totals(exercises), exercises, cellProblems: [] }, seconds: 0 };
  }
  const run = await gradeNotebook(submission.notebook, submission.file, options);
  run.grade.file = name;
  return run;
}

/**
 * One CSV cell: quoted when needed, and a text starting like a formula (=, +, -, @, tab, CR) prefixed with
 * an apostrophe so that a spreadsheet shows it instead of running it (OWASP's CSV injection advice).
 */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** gradebook.csv: one row per notebook: file, points per exercise, total, max. */
export function gradebookCsv(book: Gradebook): string {
  const rows = [["file", ...book.exercises.map((exercise) => exercise.id), "total", "max"]];
  for (const notebook of book.notebooks) {
    rows.push([notebook.file, ...notebook.exercises.map((exercise) => String(exercise.earned)), String(notebook.earned), String(notebook.max)]);
  }
  return rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

function statusIcon(grade: ExerciseGrade): string {
  if (grade.earned >= grade.max) return "✅";
  if (grade.status === "todo") return "⏳";
  return grade.earned > 0 ? "🟡" : "❌";
}

/** The French feedback of one notebook, in Markdown. */
export function feedbackMarkdown(grade: NotebookGrade, lesson: LessonSpec): string {
  const lines = [`# Correction — ${grade.file}`, "", `${lesson.tp} — ${lesson.title}`, "", `**Note : ${grade.earned} / ${grade.max} points**`, ""];
  if (grade.message) lines.push(`⚠️ ${grade.message}`, "");
  lines.push("| Exercice | Points |", "| --- | --- |");
  for (const exercise of grade.exercises) lines.push(`| ${statusIcon(exercise)} ${exercise.id} — ${exercise.title} | ${exercise.earned} / ${exercise.max} |`);
  lines.push("");
  if (grade.status !== "graded") return lines.join("\n");
  const hints = new Map(lesson.exercises.map((exercise) => [exercise.id, exercise.hints]));
  const tasks = new Map(lesson.exercises.map((exercise) => [exercise.id, exercise.task]));
  for (const exercise of grade.exercises) {
    lines.push(`## ${exercise.id} — ${exercise.title} : ${exercise.earned} / ${exercise.max}`, "");
    if (exercise.reason && exercise.status !== "todo") lines.push(`⚠️ ${exercise.reason}`, "");
    if (exercise.status === "todo") lines.push(`⏳ pas encore fait : ${tasks.get(exercise.id) ?? exercise.reason ?? ""}`, "");
    const allTodo = exercise.tests.length > 0 && exercise.tests.every((test) => test.todo);
    if (!allTodo) {
      for (const test of exercise.tests) {
        const label = test.hidden ? `${test.name} (test caché)` : test.name;
        lines.push(`- ${test.passed ? "✅" : test.todo ? "⏳" : "❌"} ${label}`);
        // Hidden tests' messages would give their expected values away.
        if (!test.passed && test.message && !test.hidden) lines.push(`  - ${test.message.replace(/\n/g, " ")}`);
      }
      if (exercise.tests.length > 0) lines.push("");
    }
    const exerciseHints = hints.get(exercise.id) ?? [];
    if (exercise.earned < exercise.max && exercise.status !== "todo" && exerciseHints.length > 0) {
      lines.push("💡 Indices :", ...exerciseHints.map((hint) => `- ${hint}`), "");
    }
  }
  if (grade.cellProblems.length > 0) {
    lines.push("## Cellules en erreur", "");
    for (const problem of grade.cellProblems) lines.push(`- cellule ${problem.cell} : ${problem.summary}`);
    lines.push("");
  }
  return lines.join("\n");
}

async function mapLimit<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Grades every `*.ipynb` of `options.dir` (sorted by name) and writes `gradebook.csv`, `gradebook.json`
 * and `feedback/<notebook>.md` in the output folder, each file atomically. Reruns give identical files.
 */
export async function gradeFolder(options: GradeFolderOptions): Promise<Gradebook> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = path.resolve(options.dir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${options.dir} is not a folder of notebooks.`);
  const outDir = path.resolve(options.outDir ?? path.join(dir, "grades"));
  const listing = listSubmissions(dir, [outDir]);
  if (listing.found.length === 0 && listing.refused.length === 0) throw new Error(`no .ipynb file in ${dir} or its sub-folders.`);
  for (const refused of listing.refused) log(`refusé : ${printableName(refused.name)} — ${refused.reason}`);
  const submissions = [
    ...listing.found.map((found) => readSubmission(found.file, found.name)),
    ...listing.refused.map((refused): Submission => ({ file: path.join(dir, refused.name), name: printableName(refused.name), error: refused.reason, tp: null })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let tp = options.tp;
  if (tp !== undefined && !TP_ID.test(tp)) throw new Error(`--tp "${tp}" is not a TP id (e.g. tp01).`);
  if (tp === undefined) {
    const found = mostCommon(submissions.map((submission) => submission.tp).filter((value): value is string => value !== null));
    if (found === null) throw new Error(`cannot tell which TP the notebooks of ${dir} belong to: pass --tp <id>.`);
    tp = found;
    log(`TP: ${tp} (most common in the folder; pass --tp to choose)`);
  }
  const lesson = loadLesson(tp);
  const everyone = submissions.length;
  if (options.shard) {
    const { index, count } = options.shard;
    if (!(Number.isInteger(index) && Number.isInteger(count) && index >= 1 && index <= count)) throw new Error(`--shard ${index}/${count}: expected i/n with 1 ≤ i ≤ n.`);
    submissions.splice(0, submissions.length, ...submissions.filter((submission) => shardOf(submission.name, count) === index));
    log(`shard ${index}/${count} : ${submissions.length} notebook(s) sur ${everyone}`);
  }
  const hiddenDir = options.hiddenDir ? path.resolve(options.hiddenDir) : null;
  const hidden = hiddenDir ? { tests: loadHiddenTests(hiddenDir, tp), compiled: compileHiddenTests(hiddenDir, tp) } : { tests: {}, compiled: {} };
  const hiddenTests: Record<string, number> = {};
  for (const exercise of lesson.exercises) hiddenTests[exercise.id] = hidden.tests[exercise.id]?.length ?? 0;
  if (hiddenDir) log(`hidden tests: ${Object.values(hiddenTests).reduce((a, b) => a + b, 0)} from ${hiddenDir}`);
  log(isolationSummary());
  // Each kernel may use its memory cap: no more at once than the machine can hold.
  const memoryMb = options.limits?.memoryMb ?? DEFAULT_LIMITS.memoryMb;
  const byMemory = Math.max(1, Math.floor(os.totalmem() / (memoryMb * 1024 * 1024)));
  const jobs = Math.min(options.jobs ?? 1, byMemory);
  if (jobs < (options.jobs ?? 1)) log(`--jobs ${options.jobs} ramené à ${jobs} : ${memoryMb} Mo par noyau, ${Math.round(os.totalmem() / 2 ** 20)} Mo de mémoire`);

  const scratchDir = path.join(SCRATCH_ROOT, `run-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  const started = Date.now();
  let finished = 0;
  let runs: NotebookRun[];
  const cacheDir = path.join(outDir, ".cache");
  const cacheKey = gradingCacheKey(lesson, hidden.compiled, options);
  try {
    runs = await mapLimit(submissions, jobs, async (submission) => {
      const key = options.resume === false ? null : cacheKey(submission);
      const cached = key === null ? null : readCachedGrade(path.join(cacheDir, `${key}.json`));
      const run = cached
        ? { grade: cached, seconds: 0 }
        : await gradeSubmission(submission, { ...options, lesson, hiddenDir, hidden, scratchDir, hideFromKernel: [dir, outDir, ...(options.hideFromKernel ?? [])] });
      // A driver failure (Jupyter broken, machine overloaded) is not the submission's doing: graded again next time.
      if (key !== null && !cached && run.execution?.fatal === undefined) writeFileAtomic(path.join(cacheDir, `${key}.json`), JSON.stringify(run.grade));
      finished += 1;
      const note = run.grade.status === "graded" ? "" : ` (${run.grade.status})`;
      const how = cached ? "déjà noté (mêmes entrées)" : `${run.seconds.toFixed(1)} s`;
      log(`[${finished}/${submissions.length}] ${run.grade.file}: ${run.grade.earned} / ${run.grade.max} points${note}, ${how}`);
      return run;
    });
  } finally {
    if (!options.keepScratch) fs.rmSync(scratchDir, { recursive: true, force: true });
  }

  const book: Gradebook = {
    tp,
    title: lesson.title,
    exercises: lesson.exercises.map((exercise) => ({ id: exercise.id, title: exercise.title, points: exercise.points })),
    max: roundPoints(lesson.exercises.reduce((sum, exercise) => sum + exercise.points, 0)),
    hiddenTests,
    notebooks: runs.map((run) => run.grade),
  };
  writeGradebook(book, lesson, outDir);
  log(`${book.notebooks.length} notebook(s) graded in ${((Date.now() - started) / 1000).toFixed(1)} s → ${outDir}`);
  return book;
}

/** Writes gradebook.csv, gradebook.json and the feedback files, each atomically. */
export function writeGradebook(book: Gradebook, lesson: LessonSpec, outDir: string): void {
  writeFileAtomic(path.join(outDir, "gradebook.csv"), gradebookCsv(book));
  writeFileAtomic(path.join(outDir, "gradebook.json"), `${JSON.stringify(book, null, 2)}\n`);
  const feedbackNames = feedbackFileNames(book.notebooks.map((grade) => grade.file));
  book.notebooks.forEach((grade, index) => writeFileAtomic(path.join(outDir, "feedback", feedbackNames[index]!), feedbackMarkdown(grade, lesson)));
}

/** The shard (1…count) of a submission: a hash of its name, so adding a file moves no other one. */
export function shardOf(name: string, count: number): number {
  return (crypto.createHash("sha256").update(name).digest().readUInt32BE(0) % count) + 1;
}

/** The grader's own sources: a change to any of them invalidates every cached grade. */
function graderSourcesHash(): string {
  const hash = crypto.createHash("sha256");
  const dir = __dirname;
  for (const name of fs.readdirSync(dir).filter((file) => /\.(ts|py)$/.test(file)).sort()) hash.update(name).update(fs.readFileSync(path.join(dir, name)));
  hash.update(fs.readFileSync(path.join(COURSE_ROOT, "environment", "kernel.cjs")));
  return hash.digest("hex");
}

/** The cache key of a submission: everything its grade depends on. */
function gradingCacheKey(lesson: LessonSpec, hiddenCompiled: Record<string, string>, options: GradeFolderOptions): (submission: Submission) => string {
  const fixed = crypto
    .createHash("sha256")
    .update(graderSourcesHash())
    .update(fs.readFileSync(findLessonFile(lesson.tp)))
    .update(JSON.stringify(hiddenCompiled))
    .update(
      JSON.stringify({
        timeout: options.cellTimeoutSeconds ?? DEFAULT_CELL_TIMEOUT_SECONDS,
        deadline: options.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS,
        grace: options.interruptGraceSeconds ?? 3,
        fast: options.fast !== false,
        limits: options.limits ?? null,
        isolation: options.noIsolation ? "none" : isolationSummary(),
      }),
    )
    .digest("hex");
  return (submission) => {
    const hash = crypto.createHash("sha256").update(fixed).update(submission.name).update("\0");
    try {
      hash.update(fs.lstatSync(submission.file).isSymbolicLink() ? "lien" : fs.readFileSync(submission.file));
    } catch {
      hash.update("illisible");
    }
    return hash.digest("hex").slice(0, 32);
  };
}

function readCachedGrade(file: string): NotebookGrade | null {
  try {
    const grade = JSON.parse(fs.readFileSync(file, "utf8")) as NotebookGrade;
    return typeof grade.file === "string" && Array.isArray(grade.exercises) ? grade : null;
  } catch {
    return null;
  }
}

/**
 * Merges the gradebooks of shards (`--out` folders of `--shard i/n` runs) into one, as if graded together:
 * the same TP, exercises and hidden tests, each notebook once, sorted by name.
 */
export function mergeGradebooks(shardDirs: string[], outDir: string): Gradebook {
  if (shardDirs.length === 0) throw new Error("--merge needs at least one shard folder.");
  const books = shardDirs.map((dir) => {
    const file = path.join(dir, "gradebook.json");
    if (!fs.existsSync(file)) throw new Error(`${dir}: no gradebook.json (did that shard finish?).`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as Gradebook;
  });
  const first = books[0]!;
  const shape = (book: Gradebook) => JSON.stringify([book.tp, book.title, book.exercises, book.max, book.hiddenTests]);
  books.forEach((book, index) => {
    if (shape(book) !== shape(first)) throw new Error(`${shardDirs[index]}: not the same TP, exercises or hidden tests as ${shardDirs[0]}.`);
  });
  const seen = new Map<string, string>();
  const notebooks: NotebookGrade[] = [];
  books.forEach((book, index) => {
    for (const grade of book.notebooks) {
      const other = seen.get(grade.file);
      if (other !== undefined) throw new Error(`${grade.file} is in two shards (${other} and ${shardDirs[index]}).`);
      seen.set(grade.file, shardDirs[index]!);
      notebooks.push(grade);
    }
  });
  notebooks.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const book: Gradebook = { ...first, notebooks };
  writeGradebook(book, loadLesson(first.tp), outDir);
  return book;
}
