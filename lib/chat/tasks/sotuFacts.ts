/**
 * Task (c): facts about the State of the Union speeches — who gave the address of a year, and the party.
 * "Unseen values", honestly: every year's facts are in the training text (fact sentences in several
 * phrasings, EN and FR, in pre-training and mixed into fine-tuning — a model cannot answer what it never
 * read); fine-tuning asks questions about 80 % of the years; the tests ask about the other 20 %, so the
 * model must answer from what it stored by reading, in a question–answer form it never practised on those
 * years.
 */
import type { Random } from "../../random";
import { splitSotuYears, type SotuFact } from "../sotu";
import { optionalSystem, pick, type ChatExample, type ChatSplit } from "./types";

const QUESTIONS: readonly ((fact: SotuFact) => { question: string; answer: string })[] = [
  (f) => ({ question: `Who gave the State of the Union address in ${f.year}?`, answer: f.name }),
  (f) => ({ question: `Qui a prononcé le discours sur l'état de l'Union en ${f.year} ?`, answer: f.name }),
  (f) => ({ question: `Which party did the president who gave the ${f.year} State of the Union address belong to?`, answer: f.party }),
  (f) => ({ question: `À quel parti appartenait le président du discours sur l'état de l'Union de ${f.year} ?`, answer: f.party }),
];

/** SOTU fact questions of `split` (train years or held-out years). */
export function sotuFactExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const pool = splitSotuYears()[split];
  return Array.from({ length: count }, () => {
    const { question, answer } = pick(QUESTIONS, rng)(pick(pool, rng));
    return { task: "sotu-facts", messages: [...optionalSystem(rng), { role: "user", content: question }, { role: "assistant", content: answer }], expected: answer };
  });
}
