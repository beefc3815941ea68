import assert from "node:assert/strict";
import { test } from "node:test";
import { applyCharBpe, countPairs, mergePair, mostFrequentPair, pairFromKey, pairKey, trainCharBpe } from "@llm-course/lib/tokenizers";

const SOURIS = "la souris rit sous la pluie";

test("countPairs counts overlapping pairs, keyed in order of first occurrence", () => {
  const counts = countPairs(["a", "a", "a", "b", "a", "a"]);
  assert.deepEqual([...counts], [
    [pairKey("a", "a"), 3],
    [pairKey("a", "b"), 1],
    [pairKey("b", "a"), 1],
  ]);
  assert.equal(pairKey("l", "a"), '["l","a"]');
  assert.deepEqual(pairFromKey(pairKey(" ", ",")), [" ", ","]);
  assert.equal(countPairs([]).size, 0);
  assert.equal(countPairs(["x"]).size, 0);
});

test("the seeds' sentence: seven pairs tie at 2 in the initial segmentation", () => {
  const counts = countPairs([...SOURIS]);
  const tied = [...counts].filter(([, c]) => c === 2).map(([k]) => pairFromKey(k).join(""));
  // By hand: l+a (la, la), a+␣ (la␣ twice), ␣+s (␣souris, ␣sous), s+o, o+u, r+i (souris, rit), s+␣ (souris␣, sous␣).
  assert.deepEqual(tied, ["la", "a ", " s", "so", "ou", "ri", "s "]);
  assert.equal(Math.max(...counts.values()), 2);
  assert.deepEqual(mostFrequentPair(counts), { pair: ["l", "a"], count: 2 });
  assert.equal(mostFrequentPair(new Map()), null);
});

test("mergePair merges left to right and leaves the input alone", () => {
  const symbols = ["a", "a", "a", "b"];
  assert.deepEqual(mergePair(symbols, ["a", "a"]), ["aa", "a", "b"]);
  assert.deepEqual(symbols, ["a", "a", "a", "b"]);
  assert.deepEqual(mergePair(["x", "y"], ["y", "x"]), ["x", "y"]);
  assert.throws(() => mergePair(["a"], ["a"] as unknown as [string, string]), /pair must be \[left, right\]/);
  assert.throws(() => countPairs(["a", 3] as unknown as string[]), /symbols\[1\] must be a string, got number/);
});

test("trainCharBpe on the seeds' sentence, first occurrence breaking ties (computed by hand)", () => {
  const result = trainCharBpe(SOURIS, 10);
  assert.deepEqual(result.initial, [...SOURIS]);
  assert.deepEqual(
    result.steps.map((s) => [s.merged, s.count]),
    [
      ["la", 2], // first of the seven tied pairs
      ["la ", 2], // la+␣ now ties with ␣s, so, ou, ri, s␣ and occurs first
      ["so", 2],
      ["sou", 2],
      ["ri", 2],
      ["s ", 2],
      // Every pair now occurs once: the first pair of the text wins each time.
      ["la sou", 1],
      ["la souri", 1],
      ["la souris ", 1],
      ["la souris ri", 1],
    ],
  );
  assert.deepEqual(result.steps[5].symbols, ["la ", "sou", "ri", "s ", "ri", "t", " ", "sou", "s ", "la ", "p", "l", "u", "i", "e"]);
  assert.deepEqual(result.symbols, ["la souris ri", "t", " ", "sou", "s ", "la ", "p", "l", "u", "i", "e"]);
  assert.deepEqual(result.vocab.slice(0, 11), ["l", "a", " ", "s", "o", "u", "r", "i", "t", "p", "e"]);
  assert.deepEqual(result.vocab.slice(11), ["la", "la ", "so", "sou", "ri", "s ", "la sou", "la souri", "la souris ", "la souris ri"]);
});

test("trainCharBpe with 5 merges, minCount, and applying merges to a new text", () => {
  const five = trainCharBpe(SOURIS, 5);
  assert.deepEqual(five.symbols, ["la ", "sou", "ri", "s", " ", "ri", "t", " ", "sou", "s", " ", "la ", "p", "l", "u", "i", "e"]);
  const stopped = trainCharBpe(SOURIS, 10, { minCount: 2 });
  assert.equal(stopped.steps.length, 6);
  assert.deepEqual(applyCharBpe("la souris sourit", five.steps), ["la ", "sou", "ri", "s", " ", "sou", "ri", "t"]);
  assert.deepEqual(applyCharBpe("ab", [["a", "b"]]), ["ab"]);
  assert.equal(trainCharBpe("", 3).steps.length, 0);
  assert.equal(trainCharBpe("a", 3).steps.length, 0);
  assert.deepEqual(trainCharBpe("😀😀", 1).steps[0].merged, "😀😀");
  assert.throws(() => trainCharBpe("ab", -1), /numMerges must be an integer ≥ 0, got -1/);
  assert.throws(() => trainCharBpe(42 as unknown as string, 1), /trainCharBpe\(\) expects a string, got number/);
  assert.throws(() => trainCharBpe("a\uD800", 1), /lone surrogate U\+D800 at index 1/);
});
