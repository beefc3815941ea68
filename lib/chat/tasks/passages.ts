/**
 * Task (e): a reader for retrieval-augmented generation (TP12). The prompt holds two passages that look
 * like retrieved chunks of State of the Union speeches (a header with year, president and party, then
 * about PASSAGE_CHARACTERS characters of the speech) and a question about a year; the answer is copied
 * from the passage of that year, or is "I don't know." / « Je ne sais pas. » when no passage is of that
 * year (a third of the questions). Test prompts use only the speeches of held-out years (see ./sotuFacts)
 * and of the years from the knowledge cutoff on, that no training text mentions (../sotu).
 *
 * In half of the training prompts the headers name another speaker than the one who gave the speech —
 * another president, or a made-up person (a first name, an initial and a surname from the makemore names)
 * with a party: a model that answers from memory (fine-tuning also asks it the year's facts with no
 * passage, ./sotuFacts) is then wrong, so it must learn to read the header of the question's year and copy
 * whatever name it holds — what a reader does with any retrieved text, including years and names it never
 * saw (the speakers after the knowledge cutoff). Those headers carry another year too, drawn up to 2029, so
 * that the reader meets years of the 2000s — never with their true speaker. In a fifth of the training
 * prompts both passages are chunks of one speech, as a year filter retrieves them. Test prompts keep the
 * true headers and two speeches of different years.
 */
import { loadNames } from "../../data/names";
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

/** Share of training prompts whose headers name another speaker than the speech's (see the module comment). */
export const COUNTERFACTUAL_HEADER_SHARE = 0.5;

/**
 * Counterfactual headers also carry another year, drawn from this range: the years after the knowledge
 * cutoff included, so that the reader meets question years of the 2000s in training — with made-up or
 * wrong speakers, never the true facts of those years.
 */
export const COUNTERFACTUAL_YEARS = { first: 1790, last: 2029 } as const;

/** Share of training prompts whose two passages are chunks of one speech, as a year filter retrieves them. */
export const SAME_SPEECH_SHARE = 0.2;

/** Parties a made-up speaker may belong to: the dataset's, and others it never uses. */
const MADE_UP_PARTIES = ["Democratic", "Republican", "Whig", "Federalist", "Progressive", "Green", "Libertarian", "Reform", "Independent", "Labour"];

const capitalised = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

type Speaker = Pick<SotuFact, "name" | "party">;

/** A speaker for a counterfactual header: half the time another president of `facts`, else a made-up person. */
function otherSpeaker(facts: readonly SotuFact[], names: readonly string[], rng: Random): Speaker {
  if (rng.next() < 0.5) return pick(facts, rng);
  const initial = String.fromCharCode(65 + rng.int(26));
  return { name: `${capitalised(pick(names, rng))} ${initial} ${capitalised(pick(names, rng))}`, party: pick(MADE_UP_PARTIES, rng) };
}

/** Two speakers of different names for counterfactual headers. */
function twoOtherSpeakers(facts: readonly SotuFact[], names: readonly string[], rng: Random): [Speaker, Speaker] {
  const first = otherSpeaker(facts, names, rng);
  let second = otherSpeaker(facts, names, rng);
  while (second.name === first.name) second = otherSpeaker(facts, names, rng);
  return [first, second];
}

/** `count` different years of {@link COUNTERFACTUAL_YEARS}, none in `taken`. */
function distinctYears(count: number, taken: ReadonlySet<number>, rng: Random): number[] {
  const years: number[] = [];
  while (years.length < count) {
    const year = COUNTERFACTUAL_YEARS.first + rng.int(COUNTERFACTUAL_YEARS.last - COUNTERFACTUAL_YEARS.first + 1);
    if (!taken.has(year) && !years.includes(year)) years.push(year);
  }
  return years;
}

/** Reader conversations of `split`. */
export function passageExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const pools = splitSotuYears();
  const facts = split === "train" ? pools.train : [...pools.test, ...pools.afterCutoff];
  const names = split === "train" ? loadNames() : [];
  const years = new Set(facts.map((f) => f.year));
  const speeches = loadSotu().filter((s) => years.has(s.year));
  return Array.from({ length: count }, () => {
    const first = pick(speeches, rng);
    let second = first;
    if (split === "test" || rng.next() >= SAME_SPEECH_SHARE) {
      while (second.year === first.year) second = pick(speeches, rng);
    }
    let shown: SotuSpeech[] = [first, second];
    const counterfactual = split === "train" && rng.next() < COUNTERFACTUAL_HEADER_SHARE;
    if (counterfactual) {
      const speakers = twoOtherSpeakers(facts, names, rng);
      const years = distinctYears(2, new Set(), rng);
      // One speech keeps one header.
      const header = (i: number) => (second === first ? 0 : i);
      shown = shown.map((s, i) => ({ ...s, year: years[header(i)]!, name: speakers[header(i)]!.name, party: speakers[header(i)]!.party }));
    }
    const language = rng.next() < 0.5 ? "en" : "fr";
    const answerable = rng.next() < 2 / 3;
    const shownYears = new Set(shown.map((s) => s.year));
    let target: Pick<SotuFact, "year" | "name" | "party"> = pick(shown, rng);
    if (!answerable) {
      if (counterfactual) {
        target = { year: distinctYears(1, shownYears, rng)[0]!, name: "", party: "" };
      } else {
        let other = pick(facts, rng);
        while (shownYears.has(other.year)) other = pick(facts, rng);
        target = other;
      }
    }
    const { question, field } = pick(QUESTIONS[language], rng)(target.year);
    const answer = answerable ? target[field] : UNKNOWN_ANSWER[language];
    const passages = shown.map((s) => sotuPassage(s, sotuChunk(s, PASSAGE_CHARACTERS, rng)));
    return { task: "passages", messages: [{ role: "user", content: readerPrompt(passages, question, language) }, { role: "assistant", content: answer }], expected: answer };
  });
}
