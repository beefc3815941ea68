/**
 * The error a released stub throws, in a file of its own with no imports: the course's kernel
 * (lib/notebook/kernel-session.ts) recognises it without loading the lessons.
 */

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
