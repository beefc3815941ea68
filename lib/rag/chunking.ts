/**
 * Chunkers: fixed size in tiktoken tokens (with or without overlap), recursive (paragraphs → sentences →
 * words, merged up to a size) and semantic (split where consecutive sentences' embeddings drift apart).
 * Every chunk keeps its source — document, year, president, character offsets — so an answer can cite it,
 * and `chunk.text === document.text.slice(chunk.start, chunk.end)` always holds.
 */
import type { Tiktoken } from "tiktoken";
import { withTiktoken } from "../tokenizers/tiktokenWrapper";
import { sotuPassage } from "../chat/sotu";
import { assertCorpus, type RagDocument } from "./corpus";
import { percentile } from "../stats/summary";
import { cosine } from "./vectors";
import type { Embedder } from "./embedders";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** A piece of a document, with where it comes from. */
export interface Chunk {
  /** `<document id>#<index>`, unique within one chunking of a corpus. */
  id: string;
  documentId: string;
  /** Position of the chunk in its document (0, 1, …). */
  index: number;
  year: number;
  president: string;
  party: string;
  /** Character offsets in the document's text: text = document.text.slice(start, end). */
  start: number;
  end: number;
  text: string;
}

/** A character span [start, end). */
export interface Span {
  start: number;
  end: number;
}

/** The chunks of `document` for the given spans (whitespace at a span's edges is trimmed off the span). */
export function chunksFromSpans(document: RagDocument, spans: readonly Span[]): Chunk[] {
  const chunks: Chunk[] = [];
  for (const span of spans) {
    let { start, end } = span;
    while (start < end && /\s/.test(document.text[start]!)) start++;
    while (end > start && /\s/.test(document.text[end - 1]!)) end--;
    if (end <= start) continue;
    const index = chunks.length;
    chunks.push({ id: `${document.id}#${index}`, documentId: document.id, index, year: document.year, president: document.president, party: document.party, start, end, text: document.text.slice(start, end) });
  }
  return chunks;
}

/**
 * What the indexes read for a chunk: its source header, then its text (the same header as the chat
 * model's reader passages). The header lets a question naming a year or a president find the speech.
 */
export function chunkSearchText(chunk: Chunk): string {
  return sotuPassage({ year: chunk.year, name: chunk.president, party: chunk.party }, chunk.text);
}

/** Options of {@link fixedTokenChunks}. */
export interface FixedChunkOptions {
  /** Tokens per chunk. */
  size: number;
  /** Tokens shared by consecutive chunks (0 = no overlap); must be < size. */
  overlap?: number;
  /** tiktoken encoding (default cl100k_base, GPT-4's). */
  encoding?: "cl100k_base" | "o200k_base" | "gpt2";
}

/** Character offset where each token starts, plus the text's length at the end (tokens are UTF-8 bytes, offsets UTF-16). */
function tokenOffsets(text: string, tiktoken: Tiktoken, tokenBytes: Map<number, number>): number[] {
  const byteLengths = Array.from(tiktoken.encode_ordinary(text), (id) => {
    let length = tokenBytes.get(id);
    if (length === undefined) tokenBytes.set(id, (length = tiktoken.decode_single_token_bytes(id).length));
    return length;
  });
  // UTF-8 byte offset → UTF-16 offset, at every character start.
  const charAtByte = new Map<number, number>();
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    charAtByte.set(bytes, i);
    const code = text.codePointAt(i)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    i += code > 0xffff ? 2 : 1;
  }
  charAtByte.set(bytes, text.length);
  const offsets: number[] = [];
  let position = 0;
  for (const length of byteLengths) {
    // A token that ends inside a character (possible with byte-level BPE) takes the previous character start.
    let at = position;
    while (!charAtByte.has(at)) at--;
    offsets.push(charAtByte.get(at)!);
    position += length;
  }
  offsets.push(text.length);
  return offsets;
}

/** Fixed-size chunks of `size` tokens, each starting `size − overlap` tokens after the previous one. */
export const fixedTokenChunks = offLimitsDuringChecks("fixedTokenChunks", function fixedTokenChunks(documents: readonly RagDocument[], options: FixedChunkOptions): Chunk[] {
  assertCorpus(documents, "fixedTokenChunks");
  const { size, overlap = 0, encoding = "cl100k_base" } = options;
  if (!Number.isInteger(size) || size <= 0) throw new Error(`fixedTokenChunks: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size) throw new Error(`fixedTokenChunks: overlap must be an integer in [0, size), got ${overlap} with size ${size}`);
  const tokenBytes = new Map<number, number>();
  return withTiktoken(encoding, (tiktoken) => documents.flatMap((document) => {
    const offsets = tokenOffsets(document.text, tiktoken, tokenBytes);
    const tokens = offsets.length - 1;
    const spans: Span[] = [];
    for (let first = 0; first < tokens; first += size - overlap) {
      const last = Math.min(first + size, tokens);
      spans.push({ start: offsets[first]!, end: offsets[last]! });
      if (last === tokens) break;
    }
    return chunksFromSpans(document, spans);
  }));
});

/**
 * Sentence spans of a text: a sentence ends at ".", "!" or "?" (optionally followed by a quote or a
 * parenthesis) before whitespace and a capital letter, a digit or a quote. Abbreviations such as "Mr." split
 * too — a known limit of rule-based splitting.
 */
export function sentenceSpans(text: string): Span[] {
  const spans: Span[] = [];
  const boundary = /[.!?]["')\]]?\s+(?=["'(\[]?[A-Z0-9])/g;
  let start = 0;
  for (let match = boundary.exec(text); match !== null; match = boundary.exec(text)) {
    const end = match.index + match[0].trimEnd().length;
    spans.push({ start, end });
    start = match.index + match[0].length;
  }
  if (start < text.length) spans.push({ start, end: text.length });
  return spans.filter((s) => text.slice(s.start, s.end).trim() !== "");
}

/** The default separators of {@link recursiveChunks}, coarsest first: paragraphs, lines, sentences, words. */
export const RECURSIVE_SEPARATORS: readonly string[] = ["\n\n", "\n", ". ", " "];

/** Options of {@link recursiveChunks}. */
export interface RecursiveChunkOptions {
  /** Most characters per chunk. */
  maxCharacters: number;
  separators?: readonly string[];
}

/** Splits [start, end) of `text` into spans of at most `max` characters, trying separators in order. */
function recursiveSpans(text: string, start: number, end: number, max: number, separators: readonly string[]): Span[] {
  if (end - start <= max) return [{ start, end }];
  const slice = text.slice(start, end);
  const level = separators.findIndex((separator) => slice.includes(separator));
  if (level < 0) {
    // No separator left: cut hard every `max` characters.
    const spans: Span[] = [];
    for (let at = start; at < end; at += max) spans.push({ start: at, end: Math.min(at + max, end) });
    return spans;
  }
  const separator = separators[level]!;
  // Pieces keep their separator at their end, so the spans tile the text.
  const pieces: Span[] = [];
  let from = start;
  for (let at = slice.indexOf(separator); at >= 0; at = slice.indexOf(separator, at + separator.length)) {
    pieces.push({ start: from, end: start + at + separator.length });
    from = start + at + separator.length;
  }
  if (from < end) pieces.push({ start: from, end });
  // Greedy merge of consecutive pieces up to `max`; a piece alone over `max` goes down one separator.
  const spans: Span[] = [];
  let current: Span | undefined;
  for (const piece of pieces) {
    if (piece.end - piece.start > max) {
      if (current !== undefined) spans.push(current);
      current = undefined;
      spans.push(...recursiveSpans(text, piece.start, piece.end, max, separators.slice(level + 1)));
    } else if (current !== undefined && piece.end - current.start <= max) {
      current = { start: current.start, end: piece.end };
    } else {
      if (current !== undefined) spans.push(current);
      current = { ...piece };
    }
  }
  if (current !== undefined) spans.push(current);
  return spans;
}

/** Recursive chunks: the largest runs of paragraphs, else sentences, else words, of at most `maxCharacters`. */
export const recursiveChunks = offLimitsDuringChecks("recursiveChunks", function recursiveChunks(documents: readonly RagDocument[], options: RecursiveChunkOptions): Chunk[] {
  assertCorpus(documents, "recursiveChunks");
  const { maxCharacters, separators = RECURSIVE_SEPARATORS } = options;
  if (!Number.isInteger(maxCharacters) || maxCharacters <= 0) throw new Error(`recursiveChunks: maxCharacters must be a positive integer, got ${maxCharacters}`);
  return documents.flatMap((document) => chunksFromSpans(document, recursiveSpans(document.text, 0, document.text.length, maxCharacters, separators)));
});

/** Options of {@link semanticChunks}. */
export interface SemanticChunkOptions {
  embedder: Embedder;
  /** A split falls between two sentences whose cosine distance is above this percentile of the document's distances (default 90). */
  percentile?: number;
  /** Most characters per chunk: a chunk that would grow past it is closed at the previous sentence (default 1,500). */
  maxCharacters?: number;
}

/**
 * Semantic chunks: sentences are embedded, and a chunk ends where consecutive sentences drift apart (cosine
 * distance above the document's `percentile`), or before it would pass `maxCharacters`.
 */
export async function semanticChunks(documents: readonly RagDocument[], options: SemanticChunkOptions): Promise<Chunk[]> {
  assertCorpus(documents, "semanticChunks");
  const { embedder, percentile: percentileRank = 90, maxCharacters = 1500 } = options;
  if (!(percentileRank > 0 && percentileRank <= 100)) throw new Error(`semanticChunks: percentile must be in (0, 100], got ${percentileRank}`);
  const chunks: Chunk[] = [];
  for (const document of documents) {
    const sentences = sentenceSpans(document.text);
    const vectors = await embedder.embed(sentences.map((s) => document.text.slice(s.start, s.end)));
    const distances = sentences.slice(1).map((_, i) => 1 - cosine(vectors[i]!, vectors[i + 1]!));
    const threshold = distances.length === 0 ? Infinity : percentile(distances, percentileRank);
    const spans: Span[] = [];
    let current: Span = { ...sentences[0]! };
    sentences.slice(1).forEach((sentence, i) => {
      if (distances[i]! > threshold || sentence.end - current.start > maxCharacters) {
        spans.push(current);
        current = { ...sentence };
      } else current = { start: current.start, end: sentence.end };
    });
    spans.push(current);
    chunks.push(...chunksFromSpans(document, spans));
  }
  return chunks;
}
