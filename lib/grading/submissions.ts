/**
 * The grader's inputs, taken as untrusted: the submissions of a folder and its sub-folders (links refused,
 * one line each), their bytes decoded (UTF-8 with or without BOM, UTF-16 with a BOM; anything else refused
 * in French), nbformat 3 converted to 4, and names made safe for the files and tables the grader writes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseNotebook, type Notebook, type NotebookCell } from "./notebook-file";

export interface FoundSubmission {
  /** Absolute path. */
  file: string;
  /** Path relative to the graded folder, with "/" (the name shown in gradebooks and feedback). */
  name: string;
}

export interface RefusedEntry {
  name: string;
  /** French reason. */
  reason: string;
}

/**
 * The `*.ipynb` files of `dir` and its sub-folders, sorted by relative path. Links (to files or folders) are
 * refused, never followed; `skip` folders (the output folder) and hidden folders (`.ipynb_checkpoints`…) are
 * not entered.
 */
export function listSubmissions(dir: string, skip: string[] = []): { found: FoundSubmission[]; refused: RefusedEntry[] } {
  const found: FoundSubmission[] = [];
  const refused: RefusedEntry[] = [];
  const skipped = new Set(skip.map((folder) => path.resolve(folder)));
  const walk = (folder: string, prefix: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const name = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        if (entry.name.endsWith(".ipynb") || fs.existsSync(full)) {
          refused.push({ name, reason: "lien symbolique refusé : déposez le fichier lui-même, pas un lien" });
        }
        continue;
      }
      if (entry.isDirectory()) {
        if (entry.name.startsWith(".") || skipped.has(path.resolve(full))) continue;
        walk(full, name);
      } else if (entry.isFile() && entry.name.endsWith(".ipynb")) {
        found.push({ file: full, name });
      }
    }
  };
  walk(dir, "");
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { found: found.sort(byName), refused: refused.sort(byName) };
}

/** A name fit for a Markdown title and a CSV cell: control characters (newlines…) become "?". */
export function printableName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
}

/** Distinct, safe feedback file names (`group/x y.ipynb` → `group__x_y.md`), in the order of `names`. */
export function feedbackFileNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const stem = name
      .replace(/\.ipynb$/, "")
      .split("/")
      .join("__")
      .replace(/[^\w.-]+/g, "_")
      .replace(/^[.-]+/, "")
      .slice(0, 120) || "notebook";
    let candidate = `${stem}.md`;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}.md`;
    used.add(candidate.toLowerCase());
    return candidate;
  });
}

/** Text of a notebook file: UTF-8 (BOM or not) or UTF-16 with a BOM; other bytes are refused in French. */
export function decodeNotebookBytes(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le", { fatal: true }).decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be", { fatal: true }).decode(bytes.subarray(2));
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start));
  } catch {
    throw new Error("encodage inconnu : le fichier n'est ni en UTF-8 ni en UTF-16 avec BOM ; enregistrez-le depuis Jupyter");
  }
}

type Json = Record<string, unknown>;

function text(value: unknown): string {
  return Array.isArray(value) ? value.filter((line) => typeof line === "string").join("") : typeof value === "string" ? value : "";
}

/** nbformat 3 (worksheets, `input`, heading cells) to nbformat 4; outputs are dropped (the grader re-runs). */
export function convertNbformat3(data: Json): Json {
  const worksheets = Array.isArray(data.worksheets) ? (data.worksheets as Json[]) : [];
  const cells: NotebookCell[] = [];
  for (const sheet of worksheets) {
    for (const cell of Array.isArray(sheet?.cells) ? (sheet.cells as Json[]) : []) {
      const metadata = typeof cell.metadata === "object" && cell.metadata !== null ? (cell.metadata as NotebookCell["metadata"]) : {};
      if (cell.cell_type === "code") cells.push({ cell_type: "code", source: text(cell.input), metadata, outputs: [], execution_count: null });
      else if (cell.cell_type === "heading") {
        const level = Math.min(6, Math.max(1, Number(cell.level) || 1));
        cells.push({ cell_type: "markdown", source: `${"#".repeat(level)} ${text(cell.source)}`, metadata });
      } else if (cell.cell_type === "markdown" || cell.cell_type === "raw") cells.push({ cell_type: cell.cell_type, source: text(cell.source), metadata });
    }
  }
  const metadata = typeof data.metadata === "object" && data.metadata !== null ? (data.metadata as Json) : {};
  return { nbformat: 4, nbformat_minor: 0, metadata, cells };
}

/** Decodes and parses a submission (nbformat 3 converted); errors are French and name the problem. */
export function decodeSubmission(bytes: Buffer, name: string): Notebook {
  const textContent = decodeNotebookBytes(bytes);
  let data: unknown;
  try {
    data = JSON.parse(textContent);
  } catch (error) {
    throw new Error(`ce n'est pas du JSON valide (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof data === "object" && data !== null && !Array.isArray(data)) {
    const format = (data as Json).nbformat;
    if (format === 3) data = convertNbformat3(data as Json);
    else if (format !== 4) throw new Error(`format de notebook non pris en charge (nbformat ${JSON.stringify(format)}) : enregistrez-le depuis un Jupyter récent (nbformat 4)`);
  }
  return parseNotebook(JSON.stringify(data), name);
}
