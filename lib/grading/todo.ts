/**
 * The stub that `npm run release` puts in place of each solution: `todo("tp01.count_pairs")` throws a
 * French message saying what to complete, and `check(...)` reports it as "not done yet" instead of a bug.
 */
import { findExercise } from "./lessons";

/** Marks TodoErrors across copies of this module (the grader may load the library twice). */
const TODO_BRAND = Symbol.for("llm-course.TodoError");

/** Thrown by a released stub that the student has not completed yet. */
export class TodoError extends Error {
  readonly exerciseId: string;
  readonly task: string;
  readonly [TODO_BRAND] = true;

  constructor(exerciseId: string, task: string) {
    super(`À compléter : ${task} (exercice ${exerciseId})`);
    this.name = "TodoError";
    this.exerciseId = exerciseId;
    this.task = task;
  }
}

/** True for a TodoError, even one created by another copy of this module. */
export function isTodoError(error: unknown): error is TodoError {
  return typeof error === "object" && error !== null && (error as { [TODO_BRAND]?: unknown })[TODO_BRAND] === true;
}

/**
 * Throws the TodoError of an exercise: "À compléter : <task> (exercice <id>)". An unknown id throws a plain
 * Error naming it, so a typo in a notebook is not mistaken for an unfinished exercise.
 */
export function todo(exerciseId: string): never {
  const exercise = findExercise(exerciseId);
  throw new TodoError(exercise.id, exercise.task);
}
