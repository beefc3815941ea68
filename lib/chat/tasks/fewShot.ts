/**
 * Task (f): following a few-shot format. The prompt shows k = 3 examples "input => output" of a rule that
 * no instruction names — reverse the digits, join them with dashes, write each digit twice, write the
 * number in English words or in French words — then a new input; the answer is the rule applied to it.
 * Inputs are three-digit numbers of the numbers task's pools (./numbers): test prompts, examples included,
 * use only held-out numbers, which fine-tuning never showed.
 *
 * Why digits and not words: the model must copy what it reads, and a word is not the same token at the
 * start of an answer ("whale"), after a space (" whale") or after a dash ("-whale"); a tiny model cannot
 * learn those spellings from the course's data. Each digit is one token everywhere (./../tokenizer), so
 * copying is a matter of attention — which is what in-context learning is about.
 */
import { englishNumberWords, frenchNumberWords } from "../../data/numberWords";
import type { Random } from "../../random";
import { numberSplit } from "./numbers";
import { pick, type ChatExample, type ChatSplit } from "./types";

/** The rules, by name: a number → the answer's text. */
export const FEW_SHOT_RULES: Readonly<Record<string, (n: number) => string>> = Object.freeze({
  reverse: (n) => [...String(n)].reverse().join(""),
  dashes: (n) => [...String(n)].join("-"),
  doubled: (n) => [...String(n)].map((d) => d + d).join(""),
  english: (n) => englishNumberWords(n),
  french: (n) => frenchNumberWords(n),
});

/** Examples shown before the question. */
export const FEW_SHOT_K = 3;

/** The smallest number of the task: three digits, so that every rule changes its input. */
const SMALLEST = 100;

const INSTRUCTIONS = ["Continue the pattern.", "Continue la série.", "Follow the examples.", "Suis le modèle des exemples."];

/** The three-digit numbers of the numbers task's `split` pool. */
export function fewShotNumbers(split: ChatSplit): number[] {
  return numberSplit()[split].filter((n) => n >= SMALLEST);
}

/** Few-shot conversations of `split`. */
export function fewShotExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const numbers = fewShotNumbers(split);
  const rules = Object.keys(FEW_SHOT_RULES);
  return Array.from({ length: count }, () => {
    const rule = FEW_SHOT_RULES[pick(rules, rng)]!;
    const lines = Array.from({ length: FEW_SHOT_K }, () => {
      const n = pick(numbers, rng);
      return `${n} => ${rule(n)}`;
    });
    const query = pick(numbers, rng);
    const answer = rule(query);
    const content = `${pick(INSTRUCTIONS, rng)}\n${lines.join("\n")}\n${query} =>`;
    return { task: "few-shot", messages: [{ role: "user", content }, { role: "assistant", content: answer }], expected: answer };
  });
}
