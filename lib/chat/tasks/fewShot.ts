/**
 * Task (f): following a few-shot format. The prompt shows k = 3 examples "input => output" of a rule on
 * three words (reverse them, keep the first, keep the last, rotate, swap the first two, join with dashes),
 * then a new input; the answer is the rule applied to it. Words come from Moby-Dick's vocabulary, split in
 * two seeded pools: tests use only words that fine-tuning never showed.
 */
import { loadMobyDick } from "../../data/books";
import { Random } from "../../random";
import { pick, type ChatExample, type ChatSplit } from "./types";

/** The rules, by name. */
export const FEW_SHOT_RULES: Readonly<Record<string, (words: readonly string[]) => string>> = Object.freeze({
  reverse: (w) => [...w].reverse().join(" "),
  first: (w) => w[0]!,
  last: (w) => w[w.length - 1]!,
  rotate: (w) => [...w.slice(1), w[0]!].join(" "),
  swap: (w) => [w[1]!, w[0]!, ...w.slice(2)].join(" "),
  dashes: (w) => w.join("-"),
});

/** Examples shown before the question. */
export const FEW_SHOT_K = 3;

let pools: Record<ChatSplit, string[]> | undefined;

/** The 1,500 most frequent lower-case words of 3–8 letters in Moby-Dick, split 80/20 (seeded) into train and test. */
export function fewShotWordSplit(): Record<ChatSplit, string[]> {
  if (pools === undefined) {
    const counts = new Map<string, number>();
    for (const word of loadMobyDick().match(/\b[a-z]{3,8}\b/g) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
    const frequent = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 1500).map(([w]) => w);
    const shuffled = new Random(44).shuffle(frequent);
    pools = { test: shuffled.slice(0, 300), train: shuffled.slice(300) };
  }
  return pools;
}

const INSTRUCTIONS = ["Continue the pattern.", "Continue la série.", "Follow the examples.", "Suis le modèle des exemples."];

/** Few-shot conversations of `split`. */
export function fewShotExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const words = fewShotWordSplit()[split];
  const rules = Object.keys(FEW_SHOT_RULES);
  const triple = () => [pick(words, rng), pick(words, rng), pick(words, rng)];
  return Array.from({ length: count }, () => {
    const rule = FEW_SHOT_RULES[pick(rules, rng)]!;
    const lines = Array.from({ length: FEW_SHOT_K }, () => {
      const input = triple();
      return `${input.join(" ")} => ${rule(input)}`;
    });
    const query = triple();
    const answer = rule(query);
    const content = `${pick(INSTRUCTIONS, rng)}\n${lines.join("\n")}\n${query.join(" ")} =>`;
    return { task: "few-shot", messages: [{ role: "user", content }, { role: "assistant", content: answer }], expected: answer };
  });
}
