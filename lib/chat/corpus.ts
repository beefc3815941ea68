/**
 * The chat model's pre-training corpus, made only of the course's own data: Moby-Dick, the beginning of
 * every State of the Union speech, SpamAssassin training mail, sentences stating each speech's year,
 * president and party (every year before the cutoff, test years included: facts are learned here, see
 * tasks/sotuFacts), and sentences giving the training numbers' words in English and French (never a test
 * number). Nothing of the speeches from CHAT_KNOWLEDGE_CUTOFF on (./sotu) goes in.
 */
import { loadMobyDick } from "../data/books";
import { englishNumberWords, frenchNumberWords } from "../data/numberWords";
import { loadSpamAssassin, splitMail } from "../data/spam";
import { Random } from "../random";
import { CHAT_KNOWLEDGE_CUTOFF, loadSotu, sotuFactSentences, sotuFactsBeforeCutoff } from "./sotu";
import { numberSplit } from "./tasks/numbers";
import { CHAT_SPECIAL_TOKENS } from "./template";

/** How much of each source goes in. */
export interface CorpusOptions {
  /** Characters from the start of each speech. */
  speechCharacters: number;
  /** SpamAssassin training messages included, and characters of each. */
  mails: number;
  mailCharacters: number;
  /** Times the fact sentences are repeated (shuffled each time): facts must be seen often to be stored. */
  factRepeats: number;
  /** Times the number sentences are repeated. */
  numberRepeats: number;
  seed: number;
}

/** The corpus as documents (joined by `<|endoftext|>` for training). */
export function pretrainingDocuments(options: CorpusOptions): string[] {
  const rng = new Random(options.seed);
  const documents: string[] = [loadMobyDick()];
  for (const speech of loadSotu().filter((s) => s.year < CHAT_KNOWLEDGE_CUTOFF)) documents.push(`State of the Union, ${speech.year}, ${speech.name}.\n${speech.text.slice(0, options.speechCharacters)}`);
  const mails = splitMail(loadSpamAssassin()).train.slice(0, options.mails);
  for (const mail of mails) documents.push(mail.text.slice(0, options.mailCharacters));
  documents.push(...factDocuments(options.factRepeats, rng));
  const numbers = numberSplit().train.map((n) => `${n} = ${englishNumberWords(n)} = ${frenchNumberWords(n)}.`);
  for (let r = 0; r < options.numberRepeats; r++) documents.push(rng.shuffle([...numbers]).join("\n"));
  return rng.shuffle(documents);
}

/**
 * The fact sentences of every year before the cutoff (./sotu), `repeats` times, each time shuffled and cut into documents of
 * `sentencesPerDocument` sentences (default: one document per pass, as pre-training reads them; fine-tuning
 * reads them in short documents, see lib/chat/build's recipe).
 */
export function factDocuments(repeats: number, rng: Random, sentencesPerDocument = Number.POSITIVE_INFINITY): string[] {
  const sentences = sotuFactsBeforeCutoff().flatMap(sotuFactSentences);
  const documents: string[] = [];
  for (let r = 0; r < repeats; r++) {
    const shuffled = rng.shuffle([...sentences]);
    for (let i = 0; i < shuffled.length; i += sentencesPerDocument) documents.push(shuffled.slice(i, i + sentencesPerDocument).join("\n"));
  }
  return documents;
}

/** The documents as one training text, separated by `<|endoftext|>`. */
export function joinDocuments(documents: readonly string[]): string {
  return documents.join(CHAT_SPECIAL_TOKENS.endOfText);
}
