/**
 * The stub that `npm run release` puts in place of each solution: `todo("tp01.count_pairs")` throws a
 * French message saying what to complete, and `check(...)` reports it as "not done yet" instead of a bug.
 */
import { findExercise } from "./lessons";
import { TodoError } from "./todo-error";

export { isTodoError, TodoError } from "./todo-error";

/**
 * Throws the TodoError of an exercise: "À compléter : <task> (exercice <id>)". An unknown id throws a plain
 * Error naming it, so a typo in a notebook is not mistaken for an unfinished exercise.
 */
export function todo(exerciseId: string): never {
  const exercise = findExercise(exerciseId);
  throw new TodoError(exercise.id, exercise.task);
}
