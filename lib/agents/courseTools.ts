/**
 * The course's tools: the calculator (the one chat-mini was fine-tuned to call, listed exactly as in its
 * training conversations), numbers in French words (TP5's data), a keyword search of the State of the
 * Union speeches (TP12's BM25 over recursive chunks) and date arithmetic.
 */
import { z } from "zod";
import { calculate, CALCULATOR_TOOL } from "../chat/calculator";
import { frenchNumberWords, NUMBER_WORDS_MAX } from "../data/numberWords";
// lib/rag's modules, not its index: the index also loads LanceDB, usearch and the embedders, whose types
// tslab would check in every notebook that imports the agents.
import { recursiveChunks, type Chunk } from "../rag/chunking";
import { sotuDocuments } from "../rag/corpus";
import { bm25Retriever, type Retriever } from "../rag/retrievers";
import { defineTool, ToolInputError, type AgentTool } from "./tools";

/** The calculator of lib/chat, as a tool: same name, description and JSON Schema as chat-mini's training data. */
export const calculatorTool: AgentTool = defineTool({
  name: CALCULATOR_TOOL.function.name,
  description: CALCULATOR_TOOL.function.description!,
  parameters: z.object({ expression: z.string() }),
  run: ({ expression }) => {
    try {
      return calculate(expression);
    } catch (error) {
      // A malformed expression or a division by zero: the model wrote it, the model can fix it.
      throw new ToolInputError((error as Error).message);
    }
  },
});

/** An integer in French words (lib/data's number words, 0 … 999,999). */
export const frenchNumberTool: AgentTool = defineTool({
  name: "number_to_french",
  description: "Writes an integer from 0 to 999999 in French words.",
  parameters: z.object({ n: z.number().int().min(0).max(NUMBER_WORDS_MAX).describe("the integer to write in words") }),
  run: ({ n }) => frenchNumberWords(n),
});

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Milliseconds in a day (UTC dates have no daylight-saving jumps). */
export const DAY_MS = 86_400_000;

/** Milliseconds since 1970 of an ISO date (UTC midnight); a ToolInputError for "2026-02-30" and other non-dates. */
function parseIsoDate(text: string, argument: string): number {
  const match = ISO_DATE.exec(text);
  if (!match) throw new ToolInputError(`${argument}: expected a date YYYY-MM-DD, got ${JSON.stringify(text)}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const back = new Date(time);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) throw new ToolInputError(`${argument}: ${text} is not a day of the calendar`);
  return time;
}

/** A date `days` after (or before, when negative) another. */
export const addDaysTool: AgentTool = defineTool({
  name: "add_days",
  description: "Adds a number of days (negative to go back) to a date given as YYYY-MM-DD; returns the date as YYYY-MM-DD.",
  parameters: z.object({ date: z.string().describe("a date, YYYY-MM-DD"), days: z.number().int().min(-1_000_000).max(1_000_000) }),
  run: ({ date, days }) => new Date(parseIsoDate(date, "date") + days * DAY_MS).toISOString().slice(0, 10),
});

/** The number of days from one date to another. */
export const daysBetweenTool: AgentTool = defineTool({
  name: "days_between",
  description: "Counts the days from one date to another (both YYYY-MM-DD); negative when the second is earlier.",
  parameters: z.object({ from: z.string().describe("a date, YYYY-MM-DD"), to: z.string().describe("a date, YYYY-MM-DD") }),
  run: ({ from, to }) => String(Math.round((parseIsoDate(to, "to") - parseIsoDate(from, "from")) / DAY_MS)),
});

/** The characters of a search chunk: about a paragraph of a speech. */
export const SOTU_SEARCH_CHUNK_CHARACTERS = 1200;

let sotuIndex: { retriever: Retriever; chunks: Map<string, Chunk> } | undefined;

/** The BM25 index of every speech, built on first use (about 2 s) and kept for the process. */
function sotuSearchIndex(): { retriever: Retriever; chunks: Map<string, Chunk> } {
  if (sotuIndex === undefined) {
    const chunks = recursiveChunks(sotuDocuments(), { maxCharacters: SOTU_SEARCH_CHUNK_CHARACTERS });
    sotuIndex = { retriever: bm25Retriever(chunks), chunks: new Map(chunks.map((chunk) => [chunk.id, chunk])) };
  }
  return sotuIndex;
}

/** The passage text a search returns per hit: source header, then the start of the chunk. */
const PASSAGE_CHARACTERS = 300;

/**
 * Keyword search (BM25, lib/rag) of the 233 State of the Union speeches, optionally within one year: the
 * best passages, each headed by its year and president so an answer can cite them.
 */
export const sotuSearchTool: AgentTool = defineTool({
  name: "sotu_search",
  description: "Searches the State of the Union addresses (1790-2021) by keywords; returns the best passages with their year and president.",
  parameters: z.object({
    query: z.string().min(1).describe("keywords"),
    year: z.number().int().min(1790).max(2021).optional().describe("only speeches of this year"),
    k: z.number().int().min(1).max(5).optional().describe("how many passages (default 3)"),
  }),
  run: async ({ query, year, k = 3 }) => {
    const { retriever, chunks } = sotuSearchIndex();
    // A year filter keeps the query's own matches of that year: search deep, then filter.
    const hits = (await retriever.search(year === undefined ? query : `${query} ${year}`, year === undefined ? k : 200))
      .map((hit) => chunks.get(hit.id)!)
      .filter((chunk) => year === undefined || chunk.year === year)
      .slice(0, k);
    if (hits.length === 0) return year === undefined ? "No passage matches these keywords." : `No passage of ${year} matches these keywords.`;
    return hits.map((chunk, i) => `[${i + 1}] ${chunk.year}, ${chunk.president}: ${chunk.text.slice(0, PASSAGE_CHARACTERS)}${chunk.text.length > PASSAGE_CHARACTERS ? "…" : ""}`).join("\n");
  },
});

/** Every course tool, in the order the notebook presents them. */
export const COURSE_TOOLS: readonly AgentTool[] = Object.freeze([calculatorTool, frenchNumberTool, sotuSearchTool, addDaysTool, daysBetweenTool]);
