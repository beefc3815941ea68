/**
 * The new task TP13 teaches chat-mini: say whether a number is even or odd, in the language of the question:
 *
 *   user: "Le nombre 48213 est-il pair ou impair ?"     assistant: "impair"
 *   user: "Is 5710 even or odd?"                        assistant: "even"
 *
 * chat-mini never saw the question (its six tasks do not include it), so it starts near 0 %. The answer
 * depends on one token — the last digit; digits are one token each in chat-mini's tokenizer — and on the
 * question's language, which is what a fine-tuning must pick up. Numbers have 3 to 6 digits; multiples of 11
 * are held out for the test, so a test prompt is never a training prompt.
 */
import type { ChatGenerator } from "../chat/evaluate";
import { parseAssistantOutput, type ChatMessage } from "../chat/template";
import type { Random } from "../random";

/** A conversation of the task and its expected answer. */
export interface TaskExample {
  messages: ChatMessage[];
  expected: string;
}

/** Which pool a number comes from: multiples of 11 are the test pool. */
export type ParitySplit = "train" | "test";

const QUESTIONS: readonly { ask: (n: number) => string; even: string; odd: string }[] = [
  { ask: (n) => `Le nombre ${n} est-il pair ou impair ?`, even: "pair", odd: "impair" },
  { ask: (n) => `${n} : pair ou impair ?`, even: "pair", odd: "impair" },
  { ask: (n) => `Is ${n} even or odd?`, even: "even", odd: "odd" },
];

/** A number of 3 to 6 digits from `split`'s pool. */
function drawNumber(split: ParitySplit, rng: Random): number {
  for (;;) {
    const digits = 3 + rng.int(4);
    const n = 10 ** (digits - 1) + rng.int(9 * 10 ** (digits - 1));
    if ((n % 11 === 0) === (split === "test")) return n;
  }
}

/** `count` conversations of the task from `split`, seeded by `rng`. */
export function parityExamples(split: ParitySplit, count: number, rng: Random): TaskExample[] {
  if (split !== "train" && split !== "test") throw new RangeError(`parityExamples: split must be "train" or "test", got ${String(split)}`);
  return Array.from({ length: count }, () => {
    const n = drawNumber(split, rng);
    const question = QUESTIONS[rng.int(QUESTIONS.length)]!;
    const expected = n % 2 === 0 ? question.even : question.odd;
    return { messages: [{ role: "user", content: question.ask(n) }, { role: "assistant", content: expected }], expected };
  });
}

/** Exact-match accuracy of `generate` on examples (their prompt: every message before the last). */
export function exactMatchAccuracy(generate: ChatGenerator, examples: readonly TaskExample[]): number {
  if (examples.length === 0) throw new RangeError("exactMatchAccuracy: no examples");
  let right = 0;
  for (const example of examples) {
    const output = parseAssistantOutput(generate(example.messages.slice(0, -1))).content ?? "";
    if (output.trim() === example.expected) right++;
  }
  return right / examples.length;
}
