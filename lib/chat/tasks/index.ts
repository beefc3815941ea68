/**
 * The chat model's six tasks, each a generator of conversations with a checkable answer whose test pool
 * is disjoint from its training pool (see each file for what "unseen" means there).
 */
import { calculatorExamples } from "./calculator";
import { fewShotExamples } from "./fewShot";
import { numberExamples } from "./numbers";
import { passageExamples } from "./passages";
import { sotuFactExamples } from "./sotuFacts";
import { spamExamples } from "./spamJson";
import type { ChatTaskGenerator, ChatTaskName } from "./types";

/** Every task's generator, in the report's order. */
export const CHAT_TASKS: Readonly<Record<ChatTaskName, ChatTaskGenerator>> = Object.freeze({
  numbers: numberExamples,
  calculator: calculatorExamples,
  "sotu-facts": sotuFactExamples,
  "spam-json": spamExamples,
  passages: passageExamples,
  "few-shot": fewShotExamples,
});

/** The task names, in the report's order. */
export const CHAT_TASK_NAMES = Object.freeze(Object.keys(CHAT_TASKS) as ChatTaskName[]);

export { calculatorAnswer, calculatorExamples, calculatorOperandSplit } from "./calculator";
export { FEW_SHOT_K, FEW_SHOT_RULES, fewShotExamples, fewShotNumbers } from "./fewShot";
export { NUMBERS_MAX, numberExamples, numberSplit } from "./numbers";
export { LOOKUP_CHARACTERS, LOOKUP_SHARE, PASSAGE_CHARACTERS, passageExamples, readerPrompt, UNKNOWN_ANSWER } from "./passages";
export { sotuFactExamples } from "./sotuFacts";
export { MAIL_CHARACTERS, spamAnswer, spamExamples, spamTaskMail } from "./spamJson";
export { capitalised, optionalSystem, pick, promptMessages } from "./types";
export type { ChatExample, ChatSplit, ChatTaskGenerator, ChatTaskName } from "./types";
