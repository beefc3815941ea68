/**
 * Running an exercise's tests against a submission. `runExercise` returns a structured result (used by
 * the grader too); `check(...)` is the notebook's friendly front end: it prints a French ✅/❌ report and
 * never throws, so a check cell can neither crash the kernel nor trigger tslab's abort window.
 */
import { describeKind, formatValue } from "./expect";
import { staleSubmissionNotice } from "../notebook/kernel-session";
import { findExercise } from "./lessons";
import { delegationMessage, guardSubmission } from "./off-limits";
import type { Exercise, ExerciseTest } from "./spec";
import { isTodoError } from "./todo";

/** Outcome of one test. */
export interface TestOutcome {
  name: string;
  passed: boolean;
  /** French failure message (absent when passed). */
  message?: string;
  /** The test failed because the submission is still a `todo(...)` stub. */
  todo?: boolean;
  /** Teacher's hidden test (its message is not shown to students). */
  hidden?: boolean;
}

/**
 * passed: every test passed; partial: some did; failed: none did; todo: nothing passed and the stub is
 * still there; missing: nothing to test (undefined symbol or wrong kind of value).
 */
export type ExerciseStatus = "passed" | "partial" | "failed" | "todo" | "missing";

/** Structured result of running an exercise's tests. */
export interface ExerciseResult {
  exercise: string;
  title: string;
  status: ExerciseStatus;
  /** `points × passed / total`, rounded to 2 decimals. */
  earned: number;
  max: number;
  passed: number;
  total: number;
  tests: TestOutcome[];
  /** French explanation when the exercise did not fully pass for a reason other than test failures. */
  reason?: string;
  hints: string[];
}

export interface RunOptions {
  /** Tests added to the exercise's visible ones (the grader's hidden tests). */
  extraTests?: ExerciseTest<any>[];
  /** How long a test's returned promise may take before it fails (default 10 s). */
  testTimeoutMs?: number;
}

export const DEFAULT_TEST_TIMEOUT_MS = 10_000;

/** Rounds points to 2 decimals, the precision of gradebooks. */
export function roundPoints(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The message of anything thrown, without stack traces (they hold machine-specific paths). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name && error.name !== "Error" && error.name !== "ExpectationError" ? `${error.name} : ` : "";
    return `${name}${error.message}`;
  }
  return `valeur levée : ${formatValue(error)}`;
}

class TestTimeout extends Error {}

async function runOne(test: ExerciseTest<any>, submission: unknown, timeoutMs: number): Promise<void> {
  const returned = test.run(submission);
  if (!(returned instanceof Promise) && !(typeof returned === "object" && returned !== null && "then" in returned)) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TestTimeout()), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve(returned), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function kindProblem(exercise: Exercise<unknown>, submission: unknown): string | null {
  if (submission === undefined) {
    return `« ${exercise.symbol} » n'est pas défini (undefined) : exécutez la cellule de l'exercice avant la vérification.`;
  }
  if (exercise.kind === "function" && typeof submission !== "function") {
    return `« ${exercise.symbol} » doit être une fonction, obtenu : ${describeKind(submission)} (${formatValue(submission)}).`;
  }
  return null;
}

/**
 * Runs the exercise's tests (plus `extraTests`) against `submission`. Never throws for anything the
 * submission does: throws, rejections, promises that never settle (per-test timeout) and TodoErrors all
 * become failed tests with a French message. The functions of the spec's `offLimits` are disabled during
 * the submission's calls; if it called one (even caught), every test fails with the delegation message.
 */
export async function runExercise(
  exercise: Exercise<any>,
  submission: unknown,
  options: RunOptions = {},
): Promise<ExerciseResult> {
  const timeoutMs = options.testTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const visible = exercise.tests.map((test) => ({ test, hidden: false }));
  const hidden = (options.extraTests ?? []).map((test) => ({ test, hidden: true }));
  const all = [...visible, ...hidden];
  const base = { exercise: exercise.id, title: exercise.title, max: exercise.points, total: all.length, hints: exercise.hints };

  const problem = kindProblem(exercise, submission);
  if (problem !== null) {
    const tests = all.map(({ test, hidden: isHidden }) => ({ name: test.name, passed: false, message: problem, ...(isHidden ? { hidden: true } : {}) }));
    return { ...base, status: "missing", earned: 0, passed: 0, tests, reason: problem };
  }

  const guarded = guardSubmission(exercise.id, exercise.offLimits ?? [], submission);
  const tests: TestOutcome[] = [];
  let todoMessage: string | undefined;
  for (const { test, hidden: isHidden } of all) {
    const outcome: TestOutcome = { name: test.name, passed: false };
    if (isHidden) outcome.hidden = true;
    try {
      await runOne(test, guarded.submission, timeoutMs);
      outcome.passed = true;
    } catch (error) {
      if (error instanceof TestTimeout) {
        outcome.message = `délai dépassé (${timeoutMs / 1000} s) : la promesse renvoyée ne s'est jamais terminée.`;
      } else if (isTodoError(error)) {
        outcome.todo = true;
        outcome.message = error.message;
        todoMessage ??= error.message;
      } else {
        outcome.message = errorMessage(error);
      }
    }
    tests.push(outcome);
  }
  const delegated = guarded.violations();
  if (delegated.length > 0) {
    const reason = delegationMessage(exercise.id, delegated[0]!);
    const refused = tests.map(({ name, hidden: isHidden }) => ({ name, passed: false, message: reason, ...(isHidden ? { hidden: true } : {}) }));
    return { ...base, status: "failed", earned: 0, passed: 0, tests: refused, reason };
  }
  const passed = tests.filter((test) => test.passed).length;
  const earned = roundPoints((exercise.points * passed) / all.length);
  let status: ExerciseStatus = passed === all.length ? "passed" : passed > 0 ? "partial" : "failed";
  if (passed === 0 && todoMessage !== undefined) status = "todo";
  const result: ExerciseResult = { ...base, status, earned, passed, tests };
  if (todoMessage !== undefined) result.reason = todoMessage;
  return result;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}

function pointsText(value: number): string {
  return `${value} point${Math.abs(value) >= 2 ? "s" : ""}`;
}

/**
 * The French report `check(...)` prints: one ✅/❌ line per test (one line when every test failed for the
 * same reason, such as a delegation), the score, and after a failure the first `hintsShown` hints (all of
 * them by default).
 */
export function formatReport(result: ExerciseResult, task?: string, hintsShown = result.hints.length): string {
  const lines = [`📝 ${result.exercise} — ${result.title}`];
  const allTodo = result.tests.length > 0 && result.tests.every((test) => test.todo);
  const oneReason = result.reason !== undefined && result.tests.length > 0 && result.tests.every((test) => !test.passed && !test.todo && test.message === result.reason);
  if (result.status === "missing" || oneReason) {
    lines.push(`  ❌ ${result.reason ?? "rien à vérifier"}`);
  } else if (allTodo) {
    const todoTask = task ?? result.reason ?? "";
    lines.push(`  ⏳ pas encore fait : ${todoTask}`);
  } else {
    for (const test of result.tests) {
      const label = test.hidden ? `${test.name} (test caché)` : test.name;
      if (test.passed) {
        lines.push(`  ✅ ${label}`);
      } else if (test.todo) {
        lines.push(`  ⏳ ${label}`, indent(`pas encore fait : ${test.message ?? ""}`, "     "));
      } else {
        lines.push(`  ❌ ${label}`, indent(test.message ?? "échec", "     "));
      }
    }
  }
  if (result.status === "passed") {
    lines.push(`🎉 Tous les tests passent : ${result.earned} / ${pointsText(result.max)}.`);
  } else {
    lines.push(`Score : ${result.earned} / ${pointsText(result.max)} (${result.passed}/${result.total} tests réussis).`);
    const shown = Math.min(Math.max(hintsShown, 0), result.hints.length);
    if (shown > 0 && !allTodo) {
      const total = result.hints.length;
      lines.push(shown === 1 ? `💡 Indice (1 sur ${total}) :` : `💡 Indices (${shown} sur ${total}) :`, ...result.hints.slice(0, shown).map((hint) => `  • ${hint}`));
      if (shown < total) lines.push("  (un indice de plus à chaque vérification qui échoue)");
    }
  }
  return lines.join("\n");
}

const FAILED_CHECKS_KEY = Symbol.for("llm-course.failedChecks");

/**
 * How many checks of each exercise have failed in this kernel session (todo stubs aside): the hints come
 * one at a time. On globalThis so that two copies of this module count together.
 */
function failedChecks(): Map<string, number> {
  const holder = globalThis as { [FAILED_CHECKS_KEY]?: Map<string, number> };
  holder[FAILED_CHECKS_KEY] ??= new Map();
  return holder[FAILED_CHECKS_KEY];
}

/** Counts one more failed check of the exercise (not for a stub or a missing symbol) and returns the count. */
function countFailure(result: ExerciseResult): number {
  const counts = failedChecks();
  const allTodo = result.tests.length > 0 && result.tests.every((test) => test.todo);
  if (result.status === "passed" || result.status === "missing" || allTodo) return counts.get(result.exercise) ?? 0;
  const count = (counts.get(result.exercise) ?? 0) + 1;
  counts.set(result.exercise, count);
  return count;
}

/**
 * Checks a submission in the notebook: `await check("tp01.count_pairs", countPairs)`. Prints a French
 * report and resolves to undefined; it never throws, whatever the submission or the id. The n-th failed
 * check of an exercise in the kernel session shows its first n hints. When the last version of the cell
 * that defines the submission did not compile (the course kernel records it), it says so instead of
 * grading the previous definition.
 */
export async function check(exerciseId: string, submission: unknown): Promise<void> {
  try {
    let exercise: Exercise<unknown>;
    try {
      exercise = findExercise(exerciseId);
    } catch (error) {
      console.log(`⚠️ check : ${errorMessage(error)}`);
      return;
    }
    // The cell that defines the submission did not compile: grading the previous definition would mislead.
    const stale = staleSubmissionNotice(submission);
    if (stale !== undefined) {
      console.log(stale);
      return;
    }
    const result = await runExercise(exercise, submission);
    console.log(formatReport(result, exercise.task, countFailure(result)));
  } catch (error) {
    // Only a bug of the library itself can land here; the student still gets a line, not a crash.
    try {
      console.log(`⚠️ check : erreur interne de la vérification : ${errorMessage(error)}`);
    } catch {
      // console itself is broken (redefined by the notebook): nothing left to report with.
    }
  }
}
