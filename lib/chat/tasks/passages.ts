/**
 * Task (e): a reader for retrieval-augmented generation (TP12). The prompt holds two passages that look
 * like retrieved chunks of State of the Union speeches (a header with year, president and party, then
 * about PASSAGE_CHARACTERS characters of the speech) and a question about a year; the answer is copied
 * from the passage of that year, or is "I don't know." / « Je ne sais pas. » when no passage is of that
 * year (a third of the questions). Test prompts use only the speeches of held-out years (see ./sotuFacts)
 * and of the years from the knowledge cutoff on, that no training text mentions (../sotu).
 *
 * In training, each passage's header names, half of the time, another speaker than the one who gave the
 * speech — another president, or a made-up person (a first name and an initial, then a surname from the
 * makemore names or of random syllables) with a party — and another year, drawn up to 2029 (so that the
 * reader meets years of the 2000s, never with their true speaker). Headers are swapped one by one, so a
 * prompt may show a true header next to a swapped one: a model that answers from memory (fine-tuning also asks it the year's facts with no
 * passage, ./sotuFacts) is then wrong, so it must learn to read the header of the question's year and copy
 * whatever name it holds — what a reader does with any retrieved text, including years and names it never
 * saw (the speakers after the knowledge cutoff). In a fifth of the other prompts both passages are chunks of
 * one speech, as a year filter retrieves them. LOOKUP_SHARE of the training prompts are short look-ups
 * (2–4 passages with a few words of text). Test prompts keep the true headers and two speeches of different
 * years.
 */
import { loadNames } from "../../data/names";
import type { Random } from "../../random";
import { loadSotu, sotuChunk, sotuPassage, splitSotuYears, type SotuFact, type SotuSpeech } from "../sotu";
import { capitalised, pick, type ChatExample, type ChatSplit } from "./types";

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

/** Chance that a training header names another speaker and year than the speech's (see the module comment). */
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

type Speaker = Pick<SotuFact, "name" | "party">;

const CONSONANTS = [..."bcdfghjklmnprstvwz"];
const VOWELS = [..."aeiou"];

/**
 * A made-up surname of 2–4 random syllables ("Kavoru"). Its tokens are arbitrary pieces, as an unseen real
 * name's are (" Obama" is " Ob" "ama"): the reader learns to copy any piece, not only the tokens of common names.
 */
function madeUpSurname(rng: Random): string {
  const syllables = Array.from({ length: 2 + rng.int(3) }, () => pick(CONSONANTS, rng) + pick(VOWELS, rng) + (rng.next() < 0.3 ? pick(CONSONANTS, rng) : ""));
  return capitalised(syllables.join(""));
}

/** A speaker for a counterfactual header: half the time another president of `facts`, else a made-up person. */
function otherSpeaker(facts: readonly SotuFact[], names: readonly string[], rng: Random): Speaker {
  if (rng.next() < 0.5) return pick(facts, rng);
  const initial = String.fromCharCode(65 + rng.int(26));
  const surname = rng.next() < 0.5 ? capitalised(pick(names, rng)) : madeUpSurname(rng);
  return { name: `${capitalised(pick(names, rng))} ${initial} ${surname}`, party: pick(MADE_UP_PARTIES, rng) };
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

/**
 * Share of training prompts that are short look-ups: 2–4 passages of at most LOOKUP_CHARACTERS characters,
 * every header swapped (see the module comment), their years often one digit apart. They hold little text
 * besides the headers, so that a row of fine-tuning packs several, and the model meets many questions where
 * only the year (one token, ../tokenizer) tells which header answers.
 */
export const LOOKUP_SHARE = 0.25;
export const LOOKUP_CHARACTERS = 40;

/** A year of {@link COUNTERFACTUAL_YEARS} that differs from `year` by one of its last three digits, when it can. */
function nearYear(year: number, rng: Random): number {
  const digits = String(year).split("");
  digits[1 + rng.int(3)] = String(rng.int(10));
  const near = Number(digits.join(""));
  return near >= COUNTERFACTUAL_YEARS.first && near <= COUNTERFACTUAL_YEARS.last ? near : distinctYears(1, new Set([year]), rng)[0]!;
}

/** A short look-up prompt (see {@link LOOKUP_SHARE}). */
function lookupExample(facts: readonly SotuFact[], names: readonly string[], speeches: readonly SotuSpeech[], rng: Random): ChatExample {
  const shownCount = 2 + rng.int(3);
  const years = distinctYears(1, new Set(), rng);
  while (years.length < shownCount + 1) {
    const year = rng.next() < 0.7 ? nearYear(pick(years, rng), rng) : distinctYears(1, new Set(years), rng)[0]!;
    if (!years.includes(year)) years.push(year);
  }
  const shown = years.slice(0, shownCount).map((year) => ({ year, ...otherSpeaker(facts, names, rng) }));
  const characters = rng.int(LOOKUP_CHARACTERS + 1);
  const passages = shown.map((header) => sotuPassage(header, characters === 0 ? "" : sotuChunk(pick(speeches, rng), characters, rng)).trim());
  const language = rng.next() < 0.5 ? "en" : "fr";
  const answerable = rng.next() < 2 / 3;
  const target = answerable ? pick(shown, rng) : undefined;
  const { question, field } = pick(QUESTIONS[language], rng)(target?.year ?? years[shownCount]!);
  const answer = target === undefined ? UNKNOWN_ANSWER[language] : target[field];
  return { task: "passages", messages: [{ role: "user", content: readerPrompt(passages, question, language) }, { role: "assistant", content: answer }], expected: answer };
}

/** Reader conversations of `split`. */
export function passageExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const pools = splitSotuYears();
  const facts = split === "train" ? pools.train : [...pools.test, ...pools.afterCutoff];
  const names = split === "train" ? loadNames() : [];
  const years = new Set(facts.map((f) => f.year));
  const speeches = loadSotu().filter((s) => years.has(s.year));
  return Array.from({ length: count }, () => {
    if (split === "train" && rng.next() < LOOKUP_SHARE) return lookupExample(facts, names, speeches, rng);
    const first = pick(speeches, rng);
    let second = first;
    if (split === "test" || rng.next() >= SAME_SPEECH_SHARE) {
      while (second.year === first.year) second = pick(speeches, rng);
    }
    let shown: SotuSpeech[] = [first, second];
    let counterfactual = false;
    if (split === "train") {
      // Each speech's header is swapped on its own: a prompt may mix a true header with a swapped one, so
      // "answer from memory when a header looks familiar" fails as often as reading succeeds.
      const swapped = shown.map(() => rng.next() < COUNTERFACTUAL_HEADER_SHARE);
      const speakers = twoOtherSpeakers(facts, names, rng);
      const years = distinctYears(2, new Set([first.year, second.year]), rng);
      // One speech keeps one header.
      const header = (i: number) => (second === first ? 0 : i);
      shown = shown.map((s, i) => (swapped[header(i)] ? { ...s, year: years[header(i)]!, name: speakers[header(i)]!.name, party: speakers[header(i)]!.party } : s));
      counterfactual = swapped.some(Boolean);
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
