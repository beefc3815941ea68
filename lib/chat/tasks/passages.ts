/**
 * Task (e): a reader for retrieval-augmented generation (TP12). The prompt holds two passages that look
 * like retrieved chunks of State of the Union speeches (a header with year, president and party, then
 * about PASSAGE_CHARACTERS characters of the speech) and a question about a year; the answer is copied
 * from the passage of that year, or is "I don't know." / « Je ne sais pas. » when no passage is of that
 * year (a third of the questions). Test prompts use only the speeches of held-out years (see ./sotuFacts).
 *
 * In half of the training prompts the headers name another president (and his party) than the one who
 * gave the speech: a model that answers from memory (fine-tuning also asks it the year's facts with no
 * passage, ./sotuFacts) is then wrong, so it must learn to read the header of the question's year — what a
 * reader does with any retrieved text, including years it never saw. Test prompts keep the true headers.
 */
import type { Random } from "../../random";
import { loadSotu, sotuChunk, sotuPassage, splitSotuYears, type SotuFact, type SotuSpeech } from "../sotu";
import { pick, type ChatExample, type ChatSplit } from "./types";

/** Characters of speech text per passage. */
export const PASSAGE_CHARACTERS = 220;

/** The answer when the passages do not hold it, by the question's language. */
export const UNKNOWN_ANSWER = { en: "I don't know.", fr: "Je ne sais pas." } as const;

const INSTRUCTIONS = { en: "Answer from these passages only.", fr: "Réponds uniquement à partir de ces passages." };

const QUESTIONS = {
  en: [(y: number) => ({ question: `Who gave the State of the Union address of ${y}?`, field: "name" as const }), (y: number) => ({ question: `Which party did the speaker of ${y} belong to?`, field: "party" as const })],
  fr: [(y: number) => ({ question: `Qui a prononcé le discours de ${y} ?`, field: "name" as const }), (y: number) => ({ question: `De quel parti était l'orateur de ${y} ?`, field: "party" as const })],
};

/** The user message of a reader prompt: instruction, passages, question. */
export function readerPrompt(passages: readonly string[], question: string, language: "en" | "fr"): string {
  return `${INSTRUCTIONS[language]}\n${passages.join("\n")}\n${language === "en" ? "Question:" : "Question :"} ${question}`;
}

/** Share of training prompts whose headers name another president than the speech's (see the module comment). */
export const COUNTERFACTUAL_HEADER_SHARE = 0.5;

/** Two different speakers (name and party) drawn from `facts`. */
function twoOtherSpeakers(facts: readonly SotuFact[], rng: Random): [SotuFact, SotuFact] {
  const first = pick(facts, rng);
  let second = pick(facts, rng);
  while (second.name === first.name) second = pick(facts, rng);
  return [first, second];
}

/** Reader conversations of `split`. */
export function passageExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const facts = splitSotuYears()[split];
  const years = new Set(facts.map((f) => f.year));
  const speeches = loadSotu().filter((s) => years.has(s.year));
  return Array.from({ length: count }, () => {
    const first = pick(speeches, rng);
    let second: SotuSpeech = pick(speeches, rng);
    while (second.year === first.year) second = pick(speeches, rng);
    let shown: SotuSpeech[] = [first, second];
    if (split === "train" && rng.next() < COUNTERFACTUAL_HEADER_SHARE) {
      const speakers = twoOtherSpeakers(facts, rng);
      shown = shown.map((s, i) => ({ ...s, name: speakers[i]!.name, party: speakers[i]!.party }));
    }
    const language = rng.next() < 0.5 ? "en" : "fr";
    const answerable = rng.next() < 2 / 3;
    let target: SotuFact | SotuSpeech = pick(shown, rng);
    if (!answerable) {
      let other = pick(facts, rng);
      while (other.year === first.year || other.year === second.year) other = pick(facts, rng);
      target = other;
    }
    const { question, field } = pick(QUESTIONS[language], rng)(target.year);
    const answer = answerable ? target[field] : UNKNOWN_ANSWER[language];
    const passages = shown.map((s) => sotuPassage(s, sotuChunk(s, PASSAGE_CHARACTERS, rng)));
    return { task: "passages", messages: [{ role: "user", content: readerPrompt(passages, question, language) }, { role: "assistant", content: answer }], expected: answer };
  });
}
