/**
 * The grading API that notebooks and exercise specs import:
 * `import { check, todo } from "@llm-course/lib/grading";`
 */
export { check, formatReport, runExercise, DEFAULT_TEST_TIMEOUT_MS } from "./check";
export type { ExerciseResult, ExerciseStatus, RunOptions, TestOutcome } from "./check";
export { todo, TodoError, isTodoError } from "./todo";
export { defineExercise, defineLesson, lessonOf } from "./spec";
export type { Exercise, ExerciseTest, LessonSpec, SubmissionKind } from "./spec";
export {
  ExpectationError,
  deepEqual,
  expectClose,
  expectEqual,
  expectRejects,
  expectThrows,
  expectTrue,
  formatValue,
} from "./expect";
export { findExercise, loadLesson } from "./lessons";
