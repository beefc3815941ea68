/**
 * The typed format of a lesson's exercises. Every TP has one module in `exercises/` that default-exports
 * `defineLesson({...})`; `check(...)` in the notebook and the grader both run the tests declared here.
 */

/** One visible (or hidden) test of an exercise: it throws (usually through `expect*`) when the submission is wrong. */
export interface ExerciseTest<T> {
  /** Short French description shown in the report, e.g. "compte les paires de « aaab »". */
  name: string;
  /** Runs the submission; a throw or a rejection fails the test. */
  run(submission: T): void | Promise<void>;
}

/** What the student must define in the exercise cell. */
export type SubmissionKind = "function" | "value";

/** One graded exercise. `T` is the type of what the student defines (usually a function type). */
export interface Exercise<T = unknown> {
  /** `<tp>.<snake_case_name>`, e.g. "tp01.count_pairs". */
  id: string;
  /** Short French title, e.g. "Compter les paires adjacentes". */
  title: string;
  /** Name of the function or constant the exercise cell defines, e.g. "countPairs". */
  symbol: string;
  /** What the student defines: a function (checked with `typeof`) or any value. */
  kind: SubmissionKind;
  /** Points for the exercise; partial credit is `points × passed tests / all tests`. */
  points: number;
  /** French sentence saying what to complete; the released stub throws it. */
  task: string;
  /** French hints: the first failed check shows the first one, each later failure one more. */
  hints: string[];
  /**
   * Library functions (as exported, e.g. "softmax", or "Class.method" for a static method) the student's function must not call: the exercise is
   * to write them. They are disabled while the check runs the submission, and a call scores 0 with a French
   * message (see off-limits.ts; the library wraps each name with `offLimitsDuringChecks`).
   */
  offLimits?: string[];
  /** Visible tests, run by `check(...)` and by the grader (teachers may add hidden ones). */
  tests: ExerciseTest<T>[];
}

/** All the exercises of one TP notebook. */
export interface LessonSpec {
  /** "tp01" … "tp14". */
  tp: string;
  /** Notebook file name without extension, e.g. "tp01-tokenization". */
  notebook: string;
  /** French title of the TP. */
  title: string;
  exercises: Exercise<any>[];
}

const EXERCISE_ID = /^(tp\d{2})\.[a-z][a-z0-9_]*$/;

/** Declares one exercise with its submission type, for type-checked tests. */
export function defineExercise<T>(exercise: Exercise<T>): Exercise<T> {
  return exercise;
}

/** Declares a lesson and checks its shape, so a malformed spec fails when loaded, not when graded. */
export function defineLesson(spec: LessonSpec): LessonSpec {
  if (!/^tp\d{2}$/.test(spec.tp)) throw new Error(`Lesson id "${spec.tp}" must look like "tp01".`);
  if (!spec.notebook.startsWith(`${spec.tp}-`)) {
    throw new Error(`Lesson ${spec.tp}: notebook "${spec.notebook}" must start with "${spec.tp}-".`);
  }
  if (spec.exercises.length === 0) throw new Error(`Lesson ${spec.tp} declares no exercise.`);
  const seen = new Set<string>();
  for (const exercise of spec.exercises) {
    const match = EXERCISE_ID.exec(exercise.id);
    if (!match || match[1] !== spec.tp) {
      throw new Error(`Exercise id "${exercise.id}" must look like "${spec.tp}.snake_case_name".`);
    }
    if (seen.has(exercise.id)) throw new Error(`Exercise id "${exercise.id}" is declared twice.`);
    seen.add(exercise.id);
    if (!/^[A-Za-z_$][\w$]*$/.test(exercise.symbol)) {
      throw new Error(`Exercise ${exercise.id}: symbol "${exercise.symbol}" is not a valid identifier.`);
    }
    if (!(exercise.points > 0)) throw new Error(`Exercise ${exercise.id}: points must be positive.`);
    if (exercise.tests.length === 0) throw new Error(`Exercise ${exercise.id} has no test.`);
    for (const name of exercise.offLimits ?? []) {
      if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)?$/.test(name)) {
        throw new Error(`Exercise ${exercise.id}: off-limits name "${name}" is not an identifier (or Class.method).`);
      }
    }
    if (exercise.offLimits !== undefined && exercise.kind !== "function") {
      throw new Error(`Exercise ${exercise.id}: offLimits needs kind "function" (a value is not run during the check).`);
    }
  }
  return spec;
}

/** The TP part of an exercise id: "tp01.count_pairs" → "tp01". */
export function lessonOf(exerciseId: string): string {
  const match = EXERCISE_ID.exec(exerciseId);
  if (!match) throw new Error(`"${exerciseId}" is not an exercise id (expected e.g. "tp01.count_pairs").`);
  return match[1]!;
}
