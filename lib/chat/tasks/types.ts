/**
 * What every task of the chat model generates: conversations with a checkable answer, drawn from a
 * training pool or from a disjoint test pool (values never seen in fine-tuning).
 */
import type { Random } from "../../random";
import type { ChatMessage, ChatTool } from "../template";

/** The six tasks of the chat model. */
export type ChatTaskName = "numbers" | "calculator" | "sotu-facts" | "spam-json" | "passages" | "few-shot";

/** Which pool of values an example is drawn from. */
export type ChatSplit = "train" | "test";

/** One conversation of a task. */
export interface ChatExample {
  task: ChatTaskName;
  /** The whole conversation: the prompt, then the assistant's turns (and, for tools, the tool's answer). */
  messages: ChatMessage[];
  /** Tools listed in the system prompt. */
  tools?: ChatTool[];
  /** The assistant's final text, as exact match compares it. */
  expected: string;
}

/** A task's example generator: `count` examples of `split`, seeded by `rng`. */
export type ChatTaskGenerator = (split: ChatSplit, count: number, rng: Random) => ChatExample[];

/** A random item of a non-empty list. */
export function pick<T>(items: readonly T[], rng: Random): T {
  if (items.length === 0) throw new RangeError("pick: the list is empty");
  return items[rng.int(items.length)]!;
}

/** `name` with its first letter upper-case ("emma" → "Emma"), as a header spells a person's name. */
export function capitalised(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The system prompts examples may start with (none half of the time): the model must answer with or without one. */
const SYSTEM_PROMPTS = ["You are a helpful assistant.", "Tu es un assistant serviable.", "You are the course's small chat model. Answer briefly."];

/** An optional generic system message, drawn by `rng`. */
export function optionalSystem(rng: Random): ChatMessage[] {
  return rng.next() < 0.5 ? [] : [{ role: "system", content: pick(SYSTEM_PROMPTS, rng) }];
}

/** The prompt of an example: its messages up to (not including) the first assistant turn. */
export function promptMessages(example: ChatExample): ChatMessage[] {
  const first = example.messages.findIndex((m) => m.role === "assistant");
  if (first < 1) throw new Error(`chat example of task ${example.task} has no prompt before its first assistant turn`);
  return example.messages.slice(0, first);
}
