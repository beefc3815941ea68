/**
 * Reading and writing .ipynb files (nbformat 4) for the release step and the grader: parsing with clear
 * errors, cell sources as text, byte-stable serialisation in nbformat's own style, and atomic writes.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One notebook cell, as stored in an nbformat 4 file (unknown fields are kept as they are). */
export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: JsonObject;
  id?: string;
  outputs?: JsonValue[];
  execution_count?: number | null;
  [key: string]: unknown;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: JsonObject;
  nbformat: number;
  nbformat_minor: number;
  [key: string]: unknown;
}

/** Parses an nbformat 4 notebook; `name` (usually the file path) is used in error messages. */
export function parseNotebook(text: string, name: string): Notebook {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new Error(`${name} is not a notebook (not a JSON object).`);
  const notebook = data as Partial<Notebook>;
  if (notebook.nbformat !== 4) throw new Error(`${name} is not an nbformat 4 notebook (nbformat: ${JSON.stringify(notebook.nbformat)}).`);
  if (!Array.isArray(notebook.cells)) throw new Error(`${name} is not a notebook (no "cells" list).`);
  notebook.cells.forEach((cell, index) => {
    const c = cell as Partial<NotebookCell> | null;
    if (typeof c !== "object" || c === null || !["code", "markdown", "raw"].includes(c.cell_type as string)) {
      throw new Error(`${name}: cell ${index + 1} is not a notebook cell (cell_type missing or unknown).`);
    }
    const source = c.source;
    if (!(typeof source === "string" || (Array.isArray(source) && source.every((line) => typeof line === "string")))) {
      throw new Error(`${name}: cell ${index + 1} has no text source.`);
    }
    if (typeof c.metadata !== "object" || c.metadata === null || Array.isArray(c.metadata)) c.metadata = {};
  });
  if (typeof notebook.metadata !== "object" || notebook.metadata === null || Array.isArray(notebook.metadata)) notebook.metadata = {};
  if (typeof notebook.nbformat_minor !== "number") notebook.nbformat_minor = 4;
  return notebook as Notebook;
}

/** Reads and parses a notebook file. */
export function readNotebook(file: string): Notebook {
  return parseNotebook(fs.readFileSync(file, "utf8"), file);
}

/** A cell's source as one string. */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** nbformat's on-disk form of a source: lines that keep their "\n", the last one without. */
export function splitSource(text: string): string[] {
  if (text === "") return [];
  return text.split(/(?<=\n)/);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) sorted[key] = sortKeys(child);
    }
    return sorted;
  }
  return value;
}

/**
 * Serialises like nbformat (and Jupyter's save): keys sorted, 1-space indentation, non-ASCII kept, final
 * newline. Same notebook → same bytes, and saving it again from Jupyter changes nothing.
 */
export function serializeNotebook(notebook: Notebook): string {
  return `${JSON.stringify(sortKeys(notebook), null, 1)}\n`;
}

/**
 * Writes a file so that readers never see it half-written: a temporary file in the same folder, then a
 * rename over the target (atomic on POSIX file systems).
 */
export function writeFileAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
