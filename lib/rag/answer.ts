/**
 * Grounded answers: retrieved chunks → passages in the reader format the course chat model was fine-tuned
 * on (lib/chat/tasks/passages: a source header with year, president and party, then the text) → the chat
 * model through the `openai` SDK → an answer, and the sources it cites. The reader questions ask about a
 * year's speaker or party, in English or French, and the model must answer « Je ne sais pas. » / "I don't
 * know." when no passage is of that year; the same questions asked without retrieval use the phrasing of
 * the model's closed-book fact task (lib/chat/tasks/sotuFacts).
 */
import { sotuFacts, sotuPassage, type SotuFact } from "../chat/sotu";
import { PASSAGE_CHARACTERS, readerPrompt, UNKNOWN_ANSWER } from "../chat/tasks/passages";
import { Random } from "../random";
import type { Chunk } from "./chunking";
import type { RagQuestion } from "./questions";

/** A question about one year's speech, with its expected answer. */
export interface YearQuestion {
  year: number;
  language: "en" | "fr";
  field: "name" | "party";
  /** The question as the reader was fine-tuned on it (with passages). */
  question: string;
  /** The same question as the closed-book fact task phrases it (no passage). */
  closedBookQuestion: string;
  expected: string;
}

// The two tasks' phrasings, copied from lib/chat/tasks (passages.ts and sotuFacts.ts) so the model is in distribution.
function phrasings(year: number, language: "en" | "fr", field: "name" | "party"): { question: string; closedBookQuestion: string } {
  if (language === "en") {
    return field === "name"
      ? { question: `Who gave the State of the Union address of ${year}?`, closedBookQuestion: `Who gave the State of the Union address in ${year}?` }
      : { question: `Which party did the speaker of ${year} belong to?`, closedBookQuestion: `Which party did the president who gave the ${year} State of the Union address belong to?` };
  }
  return field === "name"
    ? { question: `Qui a prononcé le discours de ${year} ?`, closedBookQuestion: `Qui a prononcé le discours sur l'état de l'Union en ${year} ?` }
    : { question: `De quel parti était l'orateur de ${year} ?`, closedBookQuestion: `À quel parti appartenait le président du discours sur l'état de l'Union de ${year} ?` };
}

/** `count` seeded year questions (speaker or party, English or French) about the single-speaker years in `years` (default: all). */
export function yearQuestions(count: number, options: { seed?: number; years?: readonly number[] } = {}): YearQuestion[] {
  if (!Number.isInteger(count) || count <= 0) throw new Error(`yearQuestions: count must be a positive integer, got ${count}`);
  const allowed = options.years === undefined ? undefined : new Set(options.years);
  const facts = sotuFacts().filter((f) => allowed === undefined || allowed.has(f.year));
  if (facts.length === 0) throw new Error("yearQuestions: no single-speaker year among the years given");
  const rng = new Random(options.seed ?? 7);
  const order = rng.shuffle(facts.map((_, i) => i));
  return Array.from({ length: count }, (_, i) => {
    const fact: SotuFact = facts[order[i % facts.length]!]!;
    const language = rng.next() < 0.5 ? "en" : "fr";
    const field = rng.next() < 0.5 ? "name" : "party";
    return { year: fact.year, language, field, ...phrasings(fact.year, language, field), expected: fact[field] };
  });
}

/**
 * A question of the retrieval question set asked in the reader format: who gave the speech that holds its
 * evidence, in English, in the same words with and without passages (the closed-book fact task has no
 * phrasing for it). chat-mini's reader was fine-tuned on year questions only, so these measure how far its
 * reading goes beyond the one form of question it learned.
 */
export function speakerQuestion(question: RagQuestion): YearQuestion {
  return { year: question.year, language: "en", field: "name", question: question.question, closedBookQuestion: question.question, expected: question.answer };
}

/** A chunk as a reader passage: its source header and its first `characters` characters, cut at a word. */
export function chunkPassage(chunk: Chunk, characters: number = PASSAGE_CHARACTERS): string {
  let text = chunk.text.replace(/\s+/g, " ");
  if (text.length > characters) {
    const cut = text.slice(0, characters);
    const space = cut.lastIndexOf(" ");
    text = space > characters / 2 ? cut.slice(0, space) : cut;
  }
  return sotuPassage({ year: chunk.year, name: chunk.president, party: chunk.party }, text);
}

/** The passages' numbers (1-based) that contain the answer, case-insensitively; none for an « I don't know ». */
export function citedPassages(answer: string, passages: readonly string[]): number[] {
  const needle = answer.trim().replace(/[.]$/, "").toLowerCase();
  if (needle === "" || isUnknownAnswer(answer)) return [];
  return passages.flatMap((passage, i) => (passage.toLowerCase().includes(needle) ? [i + 1] : []));
}

/** True for the reader's « I don't know » answers, in either language. */
export function isUnknownAnswer(answer: string): boolean {
  const text = answer.trim().toLowerCase();
  return text === UNKNOWN_ANSWER.en.toLowerCase() || text === UNKNOWN_ANSWER.fr.toLowerCase();
}

/** One grounded (or closed-book) answer. */
export interface AnswerRecord {
  question: YearQuestion;
  answer: string;
  /** The chunks shown to the model (none for a closed-book answer). */
  sources: Chunk[];
  /** Numbers of the passages that hold the answer. */
  cited: number[];
  exact: boolean;
  /** A shown chunk is of the question's year (always false closed-book). */
  retrieved: boolean;
}

/**
 * The chat endpoint and model used to answer: an `openai` client (`chatClient()`'s) fits. Typed by the one
 * call it makes, so that notebooks importing lib/rag do not type-check the whole SDK.
 */
export interface AnswerModel {
  client: {
    chat: {
      completions: {
        create(body: { model: string; messages: { role: "user"; content: string }[]; temperature: number; max_tokens: number }): Promise<{ choices: { message: { content: string | null } }[] }>;
      };
    };
  };
  model: string;
}

async function complete(chat: AnswerModel, content: string): Promise<string> {
  const response = await chat.client.chat.completions.create({ model: chat.model, messages: [{ role: "user", content }], temperature: 0, max_tokens: 24 });
  return (response.choices[0]?.message.content ?? "").trim();
}

/** The server refused the prompt as longer than the model's context (OpenAI's 400 "maximum context length"). */
function isContextLengthError(error: unknown): boolean {
  return error instanceof Error && (error as { status?: unknown }).status === 400 && /maximum context length/i.test(error.message);
}

/** Shortest passage text tried before giving up on a prompt that does not fit. */
const MIN_PASSAGE_CHARACTERS = 60;

/**
 * Answers `question` from `sources` (best first; the first `passages` are shown) with the reader prompt.
 * Passages are cut to the reader's training length; when the model's context cannot hold the prompt
 * (chat-mini has 256 tokens, and old speeches or names can take more tokens per character), they are cut
 * by a quarter and the question is asked again.
 */
export async function groundedAnswer(chat: AnswerModel, question: YearQuestion, sources: readonly Chunk[], passages = 2): Promise<AnswerRecord> {
  const shown = sources.slice(0, passages);
  for (let characters = PASSAGE_CHARACTERS; ; characters = Math.floor(characters * 0.75)) {
    const texts = shown.map((chunk) => chunkPassage(chunk, characters));
    try {
      const answer = await complete(chat, readerPrompt(texts, question.question, question.language));
      return { question, answer, sources: shown, cited: citedPassages(answer, texts), exact: answer === question.expected, retrieved: shown.some((c) => c.year === question.year) };
    } catch (error) {
      if (!isContextLengthError(error) || characters * 0.75 < MIN_PASSAGE_CHARACTERS) throw error;
    }
  }
}

/** Asks the same question without retrieval, in the model's closed-book phrasing. */
export async function closedBookAnswer(chat: AnswerModel, question: YearQuestion): Promise<AnswerRecord> {
  const answer = await complete(chat, question.closedBookQuestion);
  return { question, answer, sources: [], cited: [], exact: answer === question.expected, retrieved: false };
}

/** Generation metrics, computed deterministically from the records. */
export interface AnswerScores {
  questions: number;
  /** Answers equal to the expected answer. */
  exactMatch: number;
  /** Questions whose year was among the shown chunks. */
  retrievalHit: number;
  /** Among answers citing a passage: the cited passages include one of the question's year (so it supports the answer). */
  citationCorrect: number;
  /** Among questions whose year was not retrieved: answers « I don't know » (the right behaviour). */
  unknownWhenMissed: number;
  /** How many questions missed retrieval (the denominator of unknownWhenMissed). */
  missed: number;
}

/** Scores answer records (rates in [0, 1]; NaN where a denominator is 0). */
export function scoreAnswers(records: readonly AnswerRecord[]): AnswerScores {
  if (records.length === 0) throw new Error("scoreAnswers: no answer to score");
  const rate = (count: number, of: number) => (of === 0 ? Number.NaN : count / of);
  const citing = records.filter((r) => r.cited.length > 0);
  const missed = records.filter((r) => !r.retrieved);
  return {
    questions: records.length,
    exactMatch: rate(records.filter((r) => r.exact).length, records.length),
    retrievalHit: rate(records.filter((r) => r.retrieved).length, records.length),
    citationCorrect: rate(citing.filter((r) => r.cited.some((n) => r.sources[n - 1]!.year === r.question.year)).length, citing.length),
    unknownWhenMissed: rate(missed.filter((r) => isUnknownAnswer(r.answer)).length, missed.length),
    missed: missed.length,
  };
}
