/**
 * The JavaScript built-ins as they were before any student code ran, and a way to put them back. The grader's
 * setup cell takes the snapshot; the grading function restores it before it runs the tests, after each call
 * of the student's function and right before it writes its authenticated result, so that a notebook that
 * rewrote `JSON.stringify`, `Array.prototype.push` or added `Object.prototype.then` or `toJSON` cannot change
 * how its results are computed or written. Properties a notebook added are removed during the grading and
 * put back afterwards (the notebook's later cells see what they left). A built-in the notebook made
 * impossible to restore (a non-configurable property of its own) is reported as tampered — except a
 * locked addition under a symbol of its own, which libraries make (reflect-metadata's registry on Reflect)
 * and nothing looks up.
 *
 * The restoring code uses only functions captured at snapshot time, indexed loops and null-prototype
 * objects: it does not look anything up on the (possibly poisoned) prototypes it is repairing.
 */

const ownKeys = Reflect.ownKeys;

/** The well-known symbols (Symbol.iterator, Symbol.toPrimitive…): the language itself looks them up on objects. */
const WELL_KNOWN_SYMBOLS: symbol[] = Object.getOwnPropertyNames(Symbol)
  .map((name) => (Symbol as unknown as Record<string, unknown>)[name])
  .filter((value): value is symbol => typeof value === "symbol");

/**
 * Whether a property a notebook added and locked can stay during grading: a key that is a symbol of its
 * own (a library's registry, as reflect-metadata puts on Reflect), which nothing in the language or the
 * grader looks up. A string key (`then`, `toJSON`) or a well-known symbol would change behaviour.
 */
function harmlessLockedAddition(key: string | symbol): boolean {
  if (typeof key !== "symbol") return false;
  for (let i = 0; i < WELL_KNOWN_SYMBOLS.length; i++) if (WELL_KNOWN_SYMBOLS[i] === key) return false;
  return true;
}
const getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const defineProperty = Reflect.defineProperty;
const deleteProperty = Reflect.deleteProperty;
const getPrototypeOf = Reflect.getPrototypeOf;
const setPrototypeOf = Reflect.setPrototypeOf;
const create = Object.create;
const toText = String;

/**
 * Appends without `list[i] = value`, which would look for a setter the notebook may have put on
 * Array.prototype: the element is defined, not set.
 */
function append<T>(list: T[], value: T): void {
  const descriptor = create(null) as PropertyDescriptor;
  descriptor.value = value;
  descriptor.writable = true;
  descriptor.enumerable = true;
  descriptor.configurable = true;
  defineProperty(list, list.length, descriptor);
}

type Key = string | symbol;

interface Saved {
  target: object;
  proto: object | null;
  keys: Key[];
  descriptors: PropertyDescriptor[];
  /** key → true, for the keys that existed (null prototype: nothing inherited). */
  known: Record<Key, true>;
  /** The global object: only its built-ins are restored, the notebook's own globals stay. */
  keepAdditions: boolean;
}

/** What a restore changed, to undo it afterwards. */
export interface Restoration {
  /** Properties the notebook added, removed for the grading: [target, key, descriptor]. */
  removed: Array<[object, Key, PropertyDescriptor]>;
  /** Changed originals put back: [target, key, the notebook's descriptor]. */
  replaced: Array<[object, Key, PropertyDescriptor]>;
  /** Prototype links put back: [target, the notebook's prototype]. */
  relinked: Array<[object, object | null]>;
  /** A built-in the notebook locked (cannot be restored): its name. */
  tampered: string | null;
}

function copyDescriptor(descriptor: PropertyDescriptor): PropertyDescriptor {
  const copy = create(null) as PropertyDescriptor;
  if (getOwnPropertyDescriptor(descriptor, "value") !== undefined) copy.value = descriptor.value;
  if (getOwnPropertyDescriptor(descriptor, "writable") !== undefined) copy.writable = descriptor.writable;
  if (getOwnPropertyDescriptor(descriptor, "get") !== undefined) copy.get = descriptor.get;
  if (getOwnPropertyDescriptor(descriptor, "set") !== undefined) copy.set = descriptor.set;
  copy.enumerable = descriptor.enumerable;
  copy.configurable = descriptor.configurable;
  return copy;
}

const GLOBAL_NAMES = [
  "Object", "Function", "Array", "String", "Number", "Boolean", "Symbol", "BigInt", "Math", "JSON", "Reflect", "Promise",
  "Map", "Set", "WeakMap", "WeakSet", "Date", "RegExp", "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError",
  "EvalError", "URIError", "AggregateError", "ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array",
  "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
  "BigInt64Array", "BigUint64Array", "Proxy", "WeakRef", "Atomics", "parseInt", "parseFloat", "isNaN", "isFinite",
  "encodeURIComponent", "decodeURIComponent", "structuredClone", "queueMicrotask", "setTimeout", "clearTimeout",
  "setInterval", "clearInterval", "setImmediate", "clearImmediate",
];

/** The objects whose properties the snapshot keeps: the global's built-ins, their prototypes, the iterator prototypes. */
function intrinsicObjects(): Array<[string, object]> {
  const global = globalThis as unknown as Record<string, unknown>;
  const found: Array<[string, object]> = [["globalThis", globalThis]];
  const add = (name: string, value: unknown) => {
    if ((typeof value === "object" || typeof value === "function") && value !== null) found.push([name, value]);
  };
  for (const name of GLOBAL_NAMES) {
    const value = global[name];
    add(name, value);
    if (typeof value === "function") add(`${name}.prototype`, (value as { prototype?: unknown }).prototype);
  }
  const typedArray = getPrototypeOf(Int8Array) as object;
  add("TypedArray", typedArray);
  add("TypedArray.prototype", (typedArray as { prototype: unknown }).prototype);
  const arrayIterator = getPrototypeOf([][Symbol.iterator]());
  add("ArrayIterator.prototype", arrayIterator);
  add("Iterator.prototype", getPrototypeOf(arrayIterator as object));
  add("AsyncFunction.prototype", getPrototypeOf(async () => undefined));
  add("Generator.prototype", (getPrototypeOf(function* () {}) as { prototype?: unknown } | null)?.prototype);
  add("MapIterator.prototype", getPrototypeOf(new Map().entries()));
  add("SetIterator.prototype", getPrototypeOf(new Set().values()));
  add("StringIterator.prototype", getPrototypeOf(""[Symbol.iterator]()));
  add("RegExpStringIterator.prototype", getPrototypeOf(/a/g[Symbol.matchAll]("a")));
  return found;
}

/** A snapshot of the built-ins, and the function that puts them back. */
export interface IntrinsicsSnapshot {
  restore(): Restoration;
  /** Puts back what the notebook had set (after the grading). */
  undo(restoration: Restoration): void;
}

export function snapshotIntrinsics(): IntrinsicsSnapshot {
  const objects = intrinsicObjects();
  const saved: Saved[] = [];
  const names: string[] = [];
  for (let i = 0; i < objects.length; i++) {
    const [name, target] = objects[i]!;
    const keepAdditions = target === globalThis;
    const keys = keepAdditions ? GLOBAL_NAMES.filter((key) => getOwnPropertyDescriptor(target, key) !== undefined) : ownKeys(target);
    const descriptors: PropertyDescriptor[] = [];
    const known = create(null) as Record<Key, true>;
    for (let j = 0; j < keys.length; j++) {
      descriptors[j] = copyDescriptor(getOwnPropertyDescriptor(target, keys[j]!)!);
      known[keys[j]!] = true;
    }
    saved[i] = { target, proto: getPrototypeOf(target), keys, descriptors, known, keepAdditions };
    names[i] = name;
  }
  return {
    restore() {
      const restoration: Restoration = { removed: [], replaced: [], relinked: [], tampered: null };
      for (let i = 0; i < saved.length; i++) {
        const entry = saved[i]!;
        const target = entry.target;
        const proto = getPrototypeOf(target);
        if (proto !== entry.proto) {
          append(restoration.relinked, [target, proto]);
          if (!setPrototypeOf(target, entry.proto)) restoration.tampered ??= names[i]!;
        }
        const now = entry.keepAdditions ? [] : ownKeys(target);
        for (let j = 0; j < now.length; j++) {
          const key = now[j]!;
          if (entry.known[key] === true) continue;
          const descriptor = copyDescriptor(getOwnPropertyDescriptor(target, key)!);
          if (deleteProperty(target, key)) append(restoration.removed, [target, key, descriptor]);
          else if (!harmlessLockedAddition(key)) restoration.tampered ??= `${names[i]!}.${toText(key)}`;
        }
        for (let j = 0; j < entry.keys.length; j++) {
          const key = entry.keys[j]!;
          const found = getOwnPropertyDescriptor(target, key);
          const current = found === undefined ? undefined : copyDescriptor(found);
          const original = entry.descriptors[j]!;
          if (
            current !== undefined &&
            current.value === original.value &&
            current.get === original.get &&
            current.set === original.set &&
            current.writable === original.writable &&
            current.enumerable === original.enumerable &&
            current.configurable === original.configurable
          ) {
            continue;
          }
          if (current !== undefined) append(restoration.replaced, [target, key, current]);
          if (!defineProperty(target, key, original)) restoration.tampered ??= `${names[i]!}.${toText(key)}`;
        }
      }
      return restoration;
    },
    undo(restoration) {
      for (let i = 0; i < restoration.relinked.length; i++) setPrototypeOf(restoration.relinked[i]![0], restoration.relinked[i]![1]);
      for (let i = 0; i < restoration.replaced.length; i++) defineProperty(restoration.replaced[i]![0], restoration.replaced[i]![1], restoration.replaced[i]![2]);
      for (let i = 0; i < restoration.removed.length; i++) defineProperty(restoration.removed[i]![0], restoration.removed[i]![1], restoration.removed[i]![2]);
    },
  };
}
