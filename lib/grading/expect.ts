/**
 * Assertion helpers for exercise tests. They throw an `ExpectationError` whose French message shows what
 * was expected and what the student's code produced ("attendu : …, obtenu : …"), which `check(...)` prints
 * as is under the failed test.
 */
import { isDelegationError } from "./off-limits";
import { isTodoError } from "./todo";

/** A failed expectation: the message is meant for students, in French. */
export class ExpectationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpectationError";
  }
}

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** Limits of `formatValue`: enough to recognise a value, short enough for one line of a report. */
const MAX_ITEMS = 8;
const MAX_DEPTH = 3;
const MAX_LENGTH = 200;

/**
 * Compact one-line rendering of a value for reports: `[1, 2, 3, … (+97)]`, `Map(2) { "a" => 1, "b" => 2 }`,
 * `Float32Array(3) [0.5, 1, 2]`, `"texte"`, `undefined`. Long results are cut with "…".
 */
export function formatValue(value: unknown): string {
  const text = render(value, 0, new Set());
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}

function renderItems(items: unknown[], total: number, depth: number, seen: Set<unknown>): string {
  const shown = items.slice(0, MAX_ITEMS).map((item) => render(item, depth + 1, seen));
  if (total > MAX_ITEMS) shown.push(`… (+${total - MAX_ITEMS})`);
  return shown.join(", ");
}

function render(value: unknown, depth: number, seen: Set<unknown>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
    case "undefined":
      return String(value);
    case "symbol":
      return value.toString();
    case "function":
      return value.name ? `[fonction ${value.name}]` : "[fonction]";
  }
  if (value === null) return "null";
  const object = value as object;
  if (seen.has(object)) return "[circulaire]";
  if (depth >= MAX_DEPTH) {
    if (Array.isArray(object)) return `[… ${object.length} éléments]`;
    return object instanceof Map || object instanceof Set ? `${object.constructor.name}(${object.size}) {…}` : "{…}";
  }
  seen.add(object);
  try {
    if (Array.isArray(object)) return `[${renderItems(object, object.length, depth, seen)}]`;
    if (isTypedArray(object)) {
      const items = Array.from(object.subarray(0, MAX_ITEMS) as ArrayLike<unknown>);
      return `${object.constructor.name}(${object.length}) [${renderItems(items, object.length, depth, seen)}]`;
    }
    if (object instanceof Map) {
      const entries = Array.from(object.entries()).slice(0, MAX_ITEMS);
      const shown = entries.map(([k, v]) => `${render(k, depth + 1, seen)} => ${render(v, depth + 1, seen)}`);
      if (object.size > MAX_ITEMS) shown.push(`… (+${object.size - MAX_ITEMS})`);
      return `Map(${object.size}) {${shown.length ? ` ${shown.join(", ")} ` : ""}}`;
    }
    if (object instanceof Set) {
      const items = Array.from(object).slice(0, MAX_ITEMS);
      return `Set(${object.size}) {${items.length ? ` ${renderItems(items, object.size, depth, seen)} ` : ""}}`;
    }
    if (object instanceof Date) return `Date(${Number.isNaN(object.getTime()) ? "invalide" : object.toISOString()})`;
    if (object instanceof RegExp) return String(object);
    if (object instanceof Error) return `${object.name}: ${object.message}`;
    if (object instanceof Promise) return "Promise { … }";
    const keys = Object.keys(object);
    const record = object as Record<string, unknown>;
    const shown = keys
      .slice(0, MAX_ITEMS)
      .map((key) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ${render(record[key], depth + 1, seen)}`);
    if (keys.length > MAX_ITEMS) shown.push(`… (+${keys.length - MAX_ITEMS})`);
    const prefix = isPlainObject(object) ? "" : `${object.constructor?.name ?? "Object"} `;
    return `${prefix}{${shown.length ? ` ${shown.join(", ")} ` : ""}}`;
  } finally {
    seen.delete(object);
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/** French name of a value's kind, for "attendu un tableau, obtenu un nombre". */
export function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "un tableau";
  if (isTypedArray(value)) return `un ${value.constructor.name}`;
  if (value instanceof Map) return "une Map";
  if (value instanceof Set) return "un Set";
  if (value instanceof Promise) return "une Promise (oubli d'un await ?)";
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "number":
      return "un nombre";
    case "bigint":
      return "un bigint";
    case "string":
      return "une chaîne";
    case "boolean":
      return "un booléen";
    case "symbol":
      return "un symbole";
    case "function":
      return "une fonction";
    default:
      return "un objet";
  }
}

/** Where two values first differ, for a message that points at the wrong element of a big structure. */
interface Difference {
  path: string;
  expected: unknown;
  actual: unknown;
  /** Set when the difference is not a plain value mismatch (kinds, sizes, keys). */
  detail?: string;
}

function kindTag(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (isTypedArray(value)) return value.constructor.name;
  if (value instanceof Map) return "map";
  if (value instanceof Set) return "set";
  if (value instanceof Date) return "date";
  if (value === null) return "null";
  return typeof value;
}

function sameScalar(a: unknown, b: unknown): boolean {
  // -0 and 0 are the same answer for students; NaN equals NaN so that expected NaN can be tested.
  return a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b));
}

function findDifference(actual: unknown, expected: unknown, path: string, seen: Map<object, object>): Difference | null {
  if (sameScalar(actual, expected)) return null;
  const kind = kindTag(expected);
  if (kindTag(actual) !== kind) {
    return { path, expected, actual, detail: `attendu ${describeKind(expected)}, obtenu ${describeKind(actual)}` };
  }
  if (typeof expected !== "object" || expected === null) return { path, expected, actual };
  const a = actual as object;
  // A pair already under comparison is assumed equal; the rest of the walk decides (handles cycles).
  if (seen.get(a) === expected) return null;
  seen.set(a, expected);

  if (Array.isArray(expected) || isTypedArray(expected)) {
    const e = expected as ArrayLike<unknown>;
    const x = a as ArrayLike<unknown>;
    const common = Math.min(e.length, x.length);
    for (let i = 0; i < common; i++) {
      const diff = findDifference(x[i], e[i], `${path}[${i}]`, seen);
      if (diff) return diff;
    }
    if (e.length !== x.length) {
      return { path, expected, actual, detail: `longueur attendue ${e.length}, obtenue ${x.length}` };
    }
    return null;
  }
  if (expected instanceof Map) {
    const x = a as Map<unknown, unknown>;
    for (const [key, value] of expected) {
      const actualKey = findKey(x.keys(), key, x);
      if (actualKey === NOT_FOUND) {
        return { path, expected, actual, detail: `clé ${formatValue(key)} absente` };
      }
      const diff = findDifference(x.get(actualKey), value, `${path}.get(${formatValue(key)})`, seen);
      if (diff) return diff;
    }
    if (x.size !== expected.size) {
      const extra = Array.from(x.keys()).find((key) => findKey(expected.keys(), key, expected) === NOT_FOUND);
      const detail = extra === undefined ? `taille attendue ${expected.size}, obtenue ${x.size}` : `clé ${formatValue(extra)} en trop`;
      return { path, expected, actual, detail };
    }
    return null;
  }
  if (expected instanceof Set) {
    const x = a as Set<unknown>;
    for (const item of expected) {
      if (findKey(x.values(), item, x) === NOT_FOUND) {
        return { path, expected, actual, detail: `élément ${formatValue(item)} absent` };
      }
    }
    if (x.size !== expected.size) {
      const extra = Array.from(x).find((item) => findKey(expected.values(), item, expected) === NOT_FOUND);
      const detail = extra === undefined ? `taille attendue ${expected.size}, obtenue ${x.size}` : `élément ${formatValue(extra)} en trop`;
      return { path, expected, actual, detail };
    }
    return null;
  }
  if (expected instanceof Date) {
    return (a as Date).getTime() === expected.getTime() ? null : { path, expected, actual };
  }
  const e = expected as Record<string, unknown>;
  const x = a as Record<string, unknown>;
  const expectedKeys = Object.keys(e);
  for (const key of expectedKeys) {
    const child = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
    if (!Object.prototype.hasOwnProperty.call(x, key)) {
      return { path, expected, actual, detail: `propriété « ${key} » absente` };
    }
    const diff = findDifference(x[key], e[key], child, seen);
    if (diff) return diff;
  }
  const extra = Object.keys(x).find((key) => !Object.prototype.hasOwnProperty.call(e, key));
  if (extra !== undefined) return { path, expected, actual, detail: `propriété « ${extra} » en trop` };
  return null;
}

const NOT_FOUND = Symbol("not found");

/** The key of `collection` equal to `wanted`: by identity first (Map/Set semantics), then deeply. */
function findKey(keys: Iterable<unknown>, wanted: unknown, collection: { has(key: unknown): boolean }): unknown {
  if (collection.has(wanted)) return wanted;
  if (typeof wanted !== "object" || wanted === null) {
    if (typeof wanted === "number" && Number.isNaN(wanted)) {
      for (const key of keys) if (typeof key === "number" && Number.isNaN(key)) return key;
    }
    return NOT_FOUND;
  }
  for (const key of keys) if (findDifference(key, wanted, "", new Map()) === null) return key;
  return NOT_FOUND;
}

function prefix(what: string | undefined): string {
  return what ? `${what} — ` : "";
}

/** True when the two values are deeply equal by the rules of `expectEqual`. */
export function deepEqual(actual: unknown, expected: unknown): boolean {
  return findDifference(actual, expected, "", new Map()) === null;
}

/**
 * Deep equality: arrays and typed arrays element by element (same kind required), Maps and Sets whatever
 * their order, plain objects by own enumerable keys, NaN equal to NaN, -0 equal to 0.
 * `what` names the checked value in the message, e.g. "taille pour []".
 */
export function expectEqual<T>(actual: T, expected: T, what?: string): void {
  const diff = findDifference(actual, expected, "", new Map());
  if (!diff) return;
  let message = `${prefix(what)}attendu : ${formatValue(expected)}, obtenu : ${formatValue(actual)}`;
  if (diff.path !== "" || diff.detail) {
    const where = diff.path === "" ? "" : ` en ${diff.path}`;
    const detail = diff.detail ?? `attendu ${formatValue(diff.expected)}, obtenu ${formatValue(diff.actual)}`;
    message += ` (différence${where} : ${detail})`;
  }
  throw new ExpectationError(message);
}

function asNumbers(value: unknown): number[] | null {
  if (Array.isArray(value) || (isTypedArray(value) && !(value instanceof BigInt64Array || value instanceof BigUint64Array))) {
    return Array.from(value as ArrayLike<unknown>) as number[];
  }
  return null;
}

/**
 * Numbers equal within an absolute tolerance: |actual − expected| ≤ tolerance, element-wise for arrays
 * (number[] or typed arrays, same length). NaN never matches.
 */
export function expectClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  tolerance = 1e-6,
  what?: string,
): void {
  if (!(tolerance >= 0)) throw new RangeError(`expectClose: tolerance must be a non-negative number, got ${tolerance}.`);
  const expectedList = typeof expected === "number" ? null : asNumbers(expected);
  if (typeof expected !== "number" && expectedList === null) {
    throw new TypeError(`expectClose: expected must be a number or an array of numbers, got ${formatValue(expected)}.`);
  }
  const fail = (detail?: string) => {
    const shownExpected = `${formatValue(expected)} ± ${tolerance}`;
    throw new ExpectationError(
      `${prefix(what)}attendu : ${shownExpected}, obtenu : ${formatValue(actual)}${detail ? ` (${detail})` : ""}`,
    );
  };
  const close = (a: unknown, e: number) => typeof a === "number" && Math.abs(a - e) <= tolerance;
  if (expectedList === null) {
    if (typeof actual !== "number") fail(`attendu un nombre, obtenu ${describeKind(actual)}`);
    if (!close(actual, expected as number)) fail();
    return;
  }
  const actualList = asNumbers(actual);
  if (actualList === null) return fail(`attendu un tableau de nombres, obtenu ${describeKind(actual)}`);
  if (actualList.length !== expectedList.length) {
    return fail(`longueur attendue ${expectedList.length}, obtenue ${actualList.length}`);
  }
  for (let i = 0; i < expectedList.length; i++) {
    if (!close(actualList[i], expectedList[i]!)) {
      fail(`à l'indice ${i} : attendu ${formatValue(expectedList[i])}, obtenu ${formatValue(actualList[i])}`);
    }
  }
}

/** Fails with `message` (French, shown as is) unless `condition` is truthy. */
export function expectTrue(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ExpectationError(message);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name} « ${error.message} »`;
  return formatValue(error);
}

function matches(error: unknown, pattern: RegExp | string): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return typeof pattern === "string" ? message.includes(pattern) : pattern.test(message);
}

function describePattern(pattern: RegExp | string | undefined): string {
  if (pattern === undefined) return "une erreur";
  return typeof pattern === "string" ? `une erreur dont le message contient « ${pattern} »` : `une erreur dont le message correspond à ${pattern}`;
}

/**
 * A released stub (`todo(...)`) or a refused delegation is not the error a test expects: it goes on up, so
 * that the exercise reads as not done (or delegated) instead of passing an "it must throw" test.
 */
function rethrowIfNotAnAnswer(error: unknown): void {
  if (isTodoError(error) || isDelegationError(error)) throw error;
}

/**
 * `fn()` must throw; with `pattern`, the error message must contain the string or match the RegExp.
 * Returns the thrown value. A TodoError or a DelegationError is passed on, not accepted.
 * For async functions use `expectRejects`.
 */
export function expectThrows(fn: () => unknown, pattern?: RegExp | string, what?: string): unknown {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    rethrowIfNotAnAnswer(error);
    if (pattern !== undefined && !matches(error, pattern)) {
      throw new ExpectationError(`${prefix(what)}attendu : ${describePattern(pattern)}, obtenu : ${describeError(error)}`);
    }
    return error;
  }
  if (result instanceof Promise) {
    result.catch(() => undefined);
    throw new ExpectationError(`${prefix(what)}attendu : ${describePattern(pattern)}, obtenu : une Promise (utilisez expectRejects pour une fonction async)`);
  }
  throw new ExpectationError(`${prefix(what)}attendu : ${describePattern(pattern)}, obtenu : aucune erreur (valeur renvoyée : ${formatValue(result)})`);
}

/** Async counterpart of `expectThrows`: the promise returned by `fn()` must reject (not with a TodoError). */
export async function expectRejects(fn: () => unknown, pattern?: RegExp | string, what?: string): Promise<unknown> {
  let result: unknown;
  try {
    result = await fn();
  } catch (error) {
    rethrowIfNotAnAnswer(error);
    if (pattern !== undefined && !matches(error, pattern)) {
      throw new ExpectationError(`${prefix(what)}attendu : ${describePattern(pattern)}, obtenu : ${describeError(error)}`);
    }
    return error;
  }
  throw new ExpectationError(`${prefix(what)}attendu : ${describePattern(pattern)}, obtenu : aucune erreur (valeur : ${formatValue(result)})`);
}
