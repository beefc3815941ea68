/**
 * Library functions that an exercise must not delegate to. A library module wraps the functions an
 * exercise asks the student to write: `export const softmax = offLimitsDuringChecks("softmax", function softmax(…) {…})`.
 * The wrapper behaves exactly like the function, except while `check` (or the grader) runs the student's
 * function for an exercise whose spec lists that name in `offLimits`: then the call throws a
 * DelegationError and is recorded, so the exercise scores 0 even if the student's code catches the error.
 *
 * The guard is on the function itself, not on the module's exports (tsx compiles `export function` into
 * non-configurable getters), so it holds however the student reaches it: an alias, `lib["softmax"]`,
 * destructuring, a re-export, or another library function that calls it. It is raised only around the
 * student's calls, never while a test computes its expected values with the same library function.
 *
 * The state lives on globalThis under a registered symbol, so that two copies of this module (the grader may
 * load the library twice) share it. Not a sandbox: code that deliberately edits that state defeats it.
 */

const STATE_KEY = Symbol.for("llm-course.offLimits");
const DELEGATION_BRAND = Symbol.for("llm-course.DelegationError");

/** One exercise's guard, raised while the student's function runs. */
interface ActiveGuard {
  exerciseId: string;
  names: ReadonlySet<string>;
  /** Names of the off-limits functions called so far, in order, without repeats. */
  violations: string[];
  /** How many calls of the student's function are running (recursion, nested calls, pending promises). */
  depth: number;
}

interface OffLimitsState {
  /** Every name wrapped by offLimitsDuringChecks, so that specs can be checked for typos. */
  registered: Set<string>;
  guard: ActiveGuard | null;
}

function state(): OffLimitsState {
  const holder = globalThis as { [STATE_KEY]?: OffLimitsState };
  holder[STATE_KEY] ??= { registered: new Set(), guard: null };
  return holder[STATE_KEY];
}

/** The French message of a delegation: the exercise is to be written, not delegated to `name`. */
export function delegationMessage(exerciseId: string, name: string): string {
  return `délégation refusée : l'exercice ${exerciseId} est à écrire vous-même, pas à déléguer à ${name} de la bibliothèque (${name} est désactivée pendant la vérification de cet exercice).`;
}

/** Thrown by an off-limits library function called from the student's function during its check. */
export class DelegationError extends Error {
  readonly exerciseId: string;
  readonly functionName: string;
  readonly [DELEGATION_BRAND] = true;

  constructor(exerciseId: string, functionName: string) {
    super(delegationMessage(exerciseId, functionName));
    this.name = "DelegationError";
    this.exerciseId = exerciseId;
    this.functionName = functionName;
  }
}

/** True for a DelegationError, even one created by another copy of this module. */
export function isDelegationError(error: unknown): error is DelegationError {
  return typeof error === "object" && error !== null && (error as { [DELEGATION_BRAND]?: unknown })[DELEGATION_BRAND] === true;
}

/**
 * Wraps a library function (or class) that some exercise asks the student to write. `name` is how the spec's
 * `offLimits` and the French message call it: the exported name.
 */
export function offLimitsDuringChecks<F extends (...args: any[]) => any>(name: string, fn: F): F;
export function offLimitsDuringChecks<F extends abstract new (...args: any[]) => any>(name: string, fn: F): F;
export function offLimitsDuringChecks<F extends object>(name: string, fn: F): F {
  if (typeof fn !== "function") throw new Error(`offLimitsDuringChecks("${name}") : une fonction est attendue.`);
  state().registered.add(name);
  const refuse = () => {
    const guard = state().guard;
    if (guard === null || !guard.names.has(name)) return;
    if (!guard.violations.includes(name)) guard.violations.push(name);
    throw new DelegationError(guard.exerciseId, name);
  };
  // A Proxy keeps the function's name, length, source text, properties and `new` behaviour.
  return new Proxy(fn, {
    apply(target, thisArg, args) {
      refuse();
      return Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args);
    },
    construct(target, args, newTarget) {
      refuse();
      return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget);
    },
  });
}

/** The names wrapped so far (by the library modules loaded in this process). */
export function registeredOffLimits(): ReadonlySet<string> {
  return state().registered;
}

/** A submission run under an exercise's guard, and what it called that it should not have. */
export interface GuardedSubmission<T> {
  /** Same behaviour as the submission; the guard is up during each of its calls. */
  submission: T;
  /** The off-limits names called so far (each once), in order. */
  violations(): readonly string[];
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Wraps the student's function so that the names in `offLimits` are disabled during each of its calls
 * (until its promise settles, for an async function). Anything else (a value, an empty list) comes back
 * unchanged. Calls of the wrapped submission may nest; one exercise is guarded at a time.
 */
export function guardSubmission<T>(exerciseId: string, offLimits: readonly string[], submission: T): GuardedSubmission<T> {
  const violations: string[] = [];
  if (offLimits.length === 0 || typeof submission !== "function") return { submission, violations: () => violations };
  const names = new Set(offLimits);
  const enter = (): ActiveGuard => {
    const shared = state();
    if (shared.guard !== null && shared.guard.exerciseId === exerciseId && shared.guard.violations === violations) {
      shared.guard.depth += 1;
    } else {
      shared.guard = { exerciseId, names, violations, depth: 1 };
    }
    return shared.guard;
  };
  const leave = (guard: ActiveGuard) => {
    guard.depth -= 1;
    const shared = state();
    if (guard.depth <= 0 && shared.guard === guard) shared.guard = null;
  };
  const run = (call: () => unknown): unknown => {
    const guard = enter();
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      leave(guard);
      throw error;
    }
    if (!isThenable(result)) {
      leave(guard);
      return result;
    }
    return Promise.resolve(result).finally(() => leave(guard));
  };
  const guarded = new Proxy(submission as unknown as (...args: unknown[]) => unknown, {
    apply: (target, thisArg, args) => run(() => Reflect.apply(target, thisArg, args)),
    construct: (target, args, newTarget) =>
      run(() => Reflect.construct(target as unknown as new (...a: unknown[]) => object, args, newTarget)) as object,
  });
  return { submission: guarded as unknown as T, violations: () => violations };
}
