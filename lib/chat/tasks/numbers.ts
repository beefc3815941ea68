/**
 * Task (a): number words. Digits → English or French words, and English ↔ French words, for 0…999
 * (lib/data's number words). A seeded tenth of the numbers is held out: the tests ask only about them,
 * and neither the fine-tuning nor the pre-training corpus spells them out.
 */
import { englishNumberWords, frenchNumberWords } from "../../data/numberWords";
import { Random } from "../../random";
import { optionalSystem, pick, type ChatExample, type ChatSplit } from "./types";

/** The numbers of the task: 0 … NUMBERS_MAX. */
export const NUMBERS_MAX = 999;

/** The numbers of each split (seeded, disjoint): 100 test numbers, the other 900 train. */
export function numberSplit(seed = 42): Record<ChatSplit, number[]> {
  const all = new Random(seed).shuffle(Array.from({ length: NUMBERS_MAX + 1 }, (_, n) => n));
  return { test: all.slice(0, 100).sort((a, b) => a - b), train: all.slice(100).sort((a, b) => a - b) };
}

type Direction = (n: number, rng: Random) => { question: string; answer: string };

const DIRECTIONS: readonly Direction[] = [
  (n, rng) => ({ question: pick([`Write ${n} in English words.`, `Écris ${n} en lettres, en anglais.`], rng), answer: englishNumberWords(n) }),
  (n, rng) => ({ question: pick([`Write ${n} in French words.`, `Écris ${n} en toutes lettres.`], rng), answer: frenchNumberWords(n) }),
  (n, rng) => ({ question: pick([`Translate into French: ${englishNumberWords(n)}`, `Traduis en français : ${englishNumberWords(n)}`], rng), answer: frenchNumberWords(n) }),
  (n, rng) => ({ question: pick([`Translate into English: ${frenchNumberWords(n)}`, `Traduis en anglais : ${frenchNumberWords(n)}`], rng), answer: englishNumberWords(n) }),
];

/** Number-word conversations of `split`. */
export function numberExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const pool = numberSplit()[split];
  return Array.from({ length: count }, () => {
    const { question, answer } = pick(DIRECTIONS, rng)(pick(pool, rng), rng);
    return { task: "numbers", messages: [...optionalSystem(rng), { role: "user", content: question }, { role: "assistant", content: answer }], expected: answer };
  });
}
