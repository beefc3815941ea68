/**
 * Tables for lessons: an HTML table in a notebook and the same table as aligned text (the notebook's
 * text/plain fallback, terminals, tests). The text form is deterministic so tests can compare it exactly.
 */
import { display, escapeHtml } from "./display";

/** One row: an object keyed by column name, or an array of cells in column order. */
export type TableRow = Record<string, unknown> | readonly unknown[];

/** How a table is laid out. */
export interface TableOptions {
  /** Column names, in order. Object rows: which keys to show (default: every key, in first-seen order). Array rows: headers (default "0", "1", …). */
  columns?: readonly string[];
  /** Title shown above the table. */
  caption?: string;
  /** Decimals for non-integer numbers (default 4); tiny numbers switch to exponent notation. */
  digits?: number;
  /** At most this many rows are shown (default 100); a last line says how many were left out. */
  maxRows?: number;
}

/** A table rendered both ways. */
export interface RenderedTable {
  /** Aligned plain text: header, dashes, rows (numbers right-aligned). */
  text: string;
  /** An escaped HTML `<table>`. */
  html: string;
}

interface Cell {
  text: string;
  numeric: boolean;
}

/**
 * A number as French prose writes it, with exactly `digits` decimals: `frenchNumber(0.1314, 2)` → "0,13",
 * `frenchNumber(226464)` → "226 464" (narrow no-break space between thousands).
 */
export function frenchNumber(value: number, digits = 0): string {
  if (typeof value !== "number") throw new TypeError(`frenchNumber: expected a number, got ${typeof value}`);
  return value.toLocaleString("fr-FR", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Formats one number the way the course's (French) tables show it: integers as is (no thousands separator,
 * so years stay years), others with a decimal comma and `digits` decimals — unless the value has fewer
 * (T = 0,5 rather than 0,5000): `formatNumber(2 / 3)` → "0,6667", `formatNumber(0.5)` → "0,5".
 */
export function formatNumber(value: number, digits = 4): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const abs = Math.abs(value);
  // Fixed notation would print 1e-7 as 0.0000 and 1e20 with 20 digits: neither is readable.
  if (abs < 10 ** -digits || abs >= 1e15) return value.toExponential(Math.max(1, digits - 1)).replace(".", ",");
  const fixed = value.toFixed(digits);
  const exact = Number(fixed) === value ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
  return exact.replace(".", ",");
}

const NO_ROWS = "(aucune ligne)";
const rowsLeftOut = (hidden: number) => `… ${hidden} ligne${hidden === 1 ? "" : "s"} de plus`;

function formatCell(value: unknown, digits: number): Cell {
  if (value === null || value === undefined) return { text: "", numeric: false };
  if (typeof value === "number") return { text: formatNumber(value, digits), numeric: true };
  if (typeof value === "bigint") return { text: value.toString(), numeric: true };
  if (typeof value === "string") return { text: value, numeric: false };
  if (typeof value === "boolean") return { text: value ? "oui" : "non", numeric: false };
  if (value instanceof Date) return { text: Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString(), numeric: false };
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>, (item) => formatCell(item, digits).text);
    return { text: `[${items.join(", ")}]`, numeric: false };
  }
  try {
    const json = JSON.stringify(value);
    return { text: json ?? String(value), numeric: false };
  } catch {
    return { text: String(value), numeric: false };
  }
}

/** Line breaks and tabs would break the alignment of the text table. */
function singleLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "⏎").replace(/\t/g, " ");
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;

/**
 * Terminal columns a string takes: combining marks take none, East Asian wide characters and emoji two.
 * Approximate (no grapheme clustering), but right for the accents, CJK and emoji lessons use.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (ZERO_WIDTH.test(char) || (code >= 0xfe00 && code <= 0xfe0f)) continue;
    if (PICTOGRAPHIC.test(char) && code > 0xff) width += 2;
    else if (isWide(code)) width += 2;
    else width += 1;
  }
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

function pad(text: string, width: number, right: boolean): string {
  const fill = " ".repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
}

function isObjectRow(row: unknown): row is Record<string, unknown> {
  return row !== null && typeof row === "object" && !Array.isArray(row);
}

/**
 * Renders rows as aligned text and as HTML without displaying them (for tests, files, or composing).
 * Throws on rows that are neither objects nor arrays, on mixed kinds, and on bad options.
 */
export function renderTable(rows: readonly TableRow[], options: TableOptions = {}): RenderedTable {
  if (!Array.isArray(rows)) throw new TypeError(`table: expected an array of rows, got ${rows === null ? "null" : typeof rows}`);
  const digits = options.digits ?? 4;
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new RangeError(`table: digits must be an integer from 0 to 20 (got ${String(options.digits)})`);
  }
  const maxRows = options.maxRows ?? 100;
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`table: maxRows must be a positive integer (got ${String(options.maxRows)})`);
  }
  if (options.columns !== undefined) {
    if (!Array.isArray(options.columns) || options.columns.some((c) => typeof c !== "string")) {
      throw new TypeError("table: columns must be an array of strings");
    }
  }
  const arrayRows = rows.length > 0 && Array.isArray(rows[0]);
  rows.forEach((row, i) => {
    if (arrayRows ? !Array.isArray(row) : !isObjectRow(row)) {
      const expected = arrayRows ? "an array (like row 0)" : "an object (like row 0)";
      throw new TypeError(`table: row ${i} should be ${expected}, got ${row === null ? "null" : Array.isArray(row) ? "an array" : typeof row}`);
    }
  });

  let columns: string[];
  let cellsOf: (row: TableRow) => unknown[];
  if (arrayRows) {
    const width = Math.max(0, ...rows.map((row) => (row as readonly unknown[]).length));
    if (options.columns && options.columns.length !== width) {
      throw new RangeError(`table: ${options.columns.length} column names for rows of ${width} cells`);
    }
    columns = options.columns ? [...options.columns] : Array.from({ length: width }, (_, i) => String(i));
    cellsOf = (row) => columns.map((_, i) => (row as readonly unknown[])[i]);
  } else {
    if (options.columns) {
      columns = [...options.columns];
    } else {
      const seen = new Set<string>();
      for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
      columns = [...seen];
    }
    cellsOf = (row) => columns.map((key) => (row as Record<string, unknown>)[key]);
  }

  const shown = rows.slice(0, maxRows).map((row) => cellsOf(row).map((value) => formatCell(value, digits)));
  const hidden = rows.length - shown.length;
  // A column is numeric (right-aligned) when every non-empty cell holds a number.
  const numeric = columns.map((_, c) => {
    const filled = shown.filter((row) => row[c].text !== "");
    return filled.length > 0 && filled.every((row) => row[c].numeric);
  });

  const headers = columns.map(singleLine);
  const body = shown.map((row) => row.map((cell) => singleLine(cell.text)));
  const widths = headers.map((header, c) => Math.max(displayWidth(header), ...body.map((row) => displayWidth(row[c]))));
  const line = (cells: string[]) => cells.map((cell, c) => pad(cell, widths[c], numeric[c])).join("  ").replace(/\s+$/, "");
  const textLines: string[] = [];
  if (options.caption) textLines.push(singleLine(options.caption));
  if (columns.length > 0) {
    textLines.push(line(headers));
    textLines.push(widths.map((w) => "-".repeat(w)).join("  "));
    for (const row of body) textLines.push(line(row));
  }
  if (rows.length === 0) textLines.push(NO_ROWS);
  if (hidden > 0) textLines.push(rowsLeftOut(hidden));

  const align = (c: number) => (numeric[c] ? ' style="text-align:right"' : ' style="text-align:left"');
  const htmlParts = ['<table class="llm-course-table">'];
  if (options.caption) htmlParts.push(`<caption>${escapeHtml(options.caption)}</caption>`);
  htmlParts.push(`<thead><tr>${columns.map((col, c) => `<th${align(c)}>${escapeHtml(col)}</th>`).join("")}</tr></thead>`);
  htmlParts.push("<tbody>");
  for (const row of shown) {
    htmlParts.push(`<tr>${row.map((cell, c) => `<td${align(c)}>${escapeHtml(cell.text)}</td>`).join("")}</tr>`);
  }
  if (rows.length === 0 || hidden > 0) {
    const note = rows.length === 0 ? NO_ROWS : rowsLeftOut(hidden);
    htmlParts.push(`<tr><td colspan="${Math.max(1, columns.length)}" style="text-align:left"><em>${escapeHtml(note)}</em></td></tr>`);
  }
  htmlParts.push("</tbody></table>");
  return { text: textLines.join("\n"), html: htmlParts.join("") };
}

/**
 * Shows rows as a table: HTML in a notebook (text fallback included), aligned text in a terminal.
 * `table([{ token: "la", count: 3 }, { token: "souris", count: 1 }], { caption: "Comptes" })`
 */
export function table(rows: readonly TableRow[], options: TableOptions = {}): void {
  const rendered = renderTable(rows, options);
  display({ "text/html": rendered.html, "text/plain": rendered.text });
}
