import assert from "node:assert/strict";
import { test } from "node:test";
import { BOUNDARY, buildContextDataset, CharVocabulary, formatExample, loadNames, nameDatasets, splitNames } from "@llm-course/lib/data";

test("names: 8,422 distinct lower-case names over 27 characters, 28 symbols with '.'", () => {
  const names = loadNames();
  assert.equal(names.length, 8422);
  assert.deepEqual(names.slice(0, 4), ["aaren", "aarika", "aaron", "ab"]);
  assert.equal(new Set(names).size, names.length, "no duplicates");
  assert.ok(names.every((n, i) => i === 0 || names[i - 1]! < n), "sorted");
  assert.ok(names.includes("emma") && names.includes("anne-marie"));
  // Σ (length + 1): one example per character plus the end marker, as buildContextDataset counts them.
  assert.equal(names.reduce((sum, n) => sum + n.length + 1, 0), 59167);
  const vocab = CharVocabulary.fromNames(names);
  assert.equal(vocab.size, 28);
  assert.equal(vocab.itos.join(""), ".abcdefghijklmnopqrstuvwxyz-");
  assert.equal(vocab.stoi.get(BOUNDARY), 0);
  assert.equal(vocab.stoi.get("a"), 1, "makemore's ids: a = 1 … z = 26");
  assert.equal(vocab.stoi.get("z"), 26);
  assert.equal(vocab.stoi.get("-"), 27);
  names[0] = "changed";
  assert.equal(loadNames()[0], "aaren", "callers get copies");
});

test("vocabulary: encode/decode round trip, unknown characters named with their position", () => {
  const vocab = new CharVocabulary(["a", "b", "c"]);
  assert.deepEqual(vocab.encode("cab"), [3, 1, 2]);
  assert.equal(vocab.decode([0, 3, 1, 2, 0]), ".cab.");
  assert.throws(() => vocab.encode("abz"), /unknown character "z" at position 2 of "abz"/);
  assert.throws(() => vocab.decode([4]), /id 4 at position 0 is outside 0…3/);
  assert.throws(() => new CharVocabulary(["a", "."]), /reserved/);
  assert.throws(() => new CharVocabulary(["a", "a"]), /appears twice/);
  assert.throws(() => CharVocabulary.fromNames(["a.b"]), /contains "\." at position 1/);
  assert.throws(() => CharVocabulary.fromNames([]), /empty/);
});

test("context dataset: the rows of 'emma' with context 3 (makemore's X and Y)", () => {
  const vocab = CharVocabulary.fromNames(loadNames());
  const ds = buildContextDataset(["emma"], 3, vocab);
  assert.equal(ds.size, 5);
  assert.equal(ds.width, 3);
  const [e, m, a] = [5, 13, 1];
  assert.deepEqual(Array.from(ds.contexts), [0, 0, 0, 0, 0, e, 0, e, m, e, m, m, m, m, a]);
  assert.deepEqual(Array.from(ds.targets), [e, m, m, a, 0]);
  assert.deepEqual(
    Array.from({ length: 5 }, (_, i) => formatExample(ds, i, vocab)),
    ["... → e", "..e → m", ".em → m", "emm → a", "mma → ."],
  );
  // Context 1: the bigram pairs.
  const pairs = buildContextDataset(["emma", "ab"], 1, vocab);
  assert.deepEqual(Array.from({ length: pairs.size }, (_, i) => formatExample(pairs, i, vocab)), [". → e", "e → m", "m → m", "m → a", "a → .", ". → a", "a → b", "b → ."]);
});

test("context dataset: clear errors", () => {
  const vocab = new CharVocabulary(["a", "b"]);
  assert.throws(() => buildContextDataset([], 3, vocab), /list of names is empty/);
  assert.throws(() => buildContextDataset(["ab"], 0, vocab), /contextSize must be an integer ≥ 1, got 0/);
  assert.throws(() => buildContextDataset(["ab", "abx"], 2, vocab), /names\[1\]: .*unknown character "x" at position 2 of "abx"/);
  assert.throws(() => buildContextDataset(["ab", ""], 2, vocab), /names\[1\] is empty/);
});

test("splits: 80/10/10 of the names, seeded, disjoint, deterministic", () => {
  const names = loadNames();
  const a = splitNames(names);
  assert.deepEqual([a.train.length, a.dev.length, a.test.length], [6737, 842, 843]);
  assert.deepEqual(new Set([...a.train, ...a.dev, ...a.test]), new Set(names), "a partition of the names");
  const b = splitNames(names, { seed: 42 });
  assert.deepEqual(b, a, "seed 42 is the default, and the same seed gives the same split");
  assert.deepEqual(a.train.slice(0, 3), ["jesselyn", "sibby", "nevins"]);
  const c = splitNames(names, { seed: 7 });
  assert.notDeepEqual(c.train.slice(0, 10), a.train.slice(0, 10));
  assert.equal(names[0], "aaren", "the input is not shuffled in place");
  assert.throws(() => splitNames(names, { trainFraction: 0.95, devFraction: 0.1 }), /sum ≤ 1/);

  const ds = nameDatasets(1);
  assert.equal(ds.vocab.size, 28);
  assert.deepEqual([ds.train.size, ds.dev.size, ds.test.size], [47296, 5983, 5888]);
  assert.equal(ds.train.size + ds.dev.size + ds.test.size, 59167);
  assert.equal(nameDatasets(3).train.contexts.length, 47296 * 3);
});
