/**
 * The kernel side of the grader. The grader injects, after each exercise cell of a submission:
 *   import { gradeCell as llmCourseGradeCell } from "@llm-course/lib/grading/grade-cell";
 *   await llmCourseGradeCell("tp01.count_pairs", () => countPairs, "<nonce>", { hiddenDir: null, testTimeoutMs: 5000 });
 * It prints one line `<nonce><JSON ExerciseResult>`. The nonce is random per run, so whatever the student's
 * code prints cannot pass for a result; a missing line means the exercise scores 0.
 */
import { errorMessage, runExercise, type ExerciseResult } from "./check";
import { loadHiddenTests } from "./hidden";
import { findExercise } from "./lessons";
import { lessonOf } from "./spec";

export interface GradeCellOptions {
  hiddenDir: string | null;
  testTimeoutMs: number;
}

/** A result line, or the failure of the grading itself (bad spec, bad hidden tests). */
export type GradeCellOutput = ExerciseResult | { exercise: string; error: string };

export async function gradeCell(
  exerciseId: string,
  getSubmission: () => unknown,
  nonce: string,
  options: GradeCellOptions,
): Promise<void> {
  // Captured before running any student code: tslab installs a fresh writer for each cell.
  const write = process.stdout.write.bind(process.stdout);
  let output: GradeCellOutput;
  try {
    // Fresh spec: a submission that mutated the cached spec objects cannot change its own tests.
    const exercise = findExercise(exerciseId, { fresh: true });
    const hidden = options.hiddenDir ? loadHiddenTests(options.hiddenDir, lessonOf(exerciseId), { fresh: true }) : {};
    let submission: unknown;
    try {
      submission = getSubmission();
    } catch {
      // A `let` still in its temporal dead zone: same as not defined.
      submission = undefined;
    }
    output = await runExercise(exercise, submission, { extraTests: hidden[exerciseId] ?? [], testTimeoutMs: options.testTimeoutMs });
  } catch (error) {
    output = { exercise: exerciseId, error: errorMessage(error) };
  }
  write(`\n${nonce}${JSON.stringify(output)}\n`);
}
