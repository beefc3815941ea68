/**
 * Light source scanning of notebook cells, shared by the release step and the grader: which exercise a
 * `check(...)` call names, whether a cell holds nothing but check calls, whether it declares a symbol.
 * A scanner (strings and comments aware) is enough here; cells are never rewritten from it.
 */

/** Exercise ids look like "tp01.count_pairs" (same rule as spec.ts). */
const ID = "tp\\d{2}\\.[a-z][a-z0-9_]*";
const CHECK_CALL = new RegExp(`\\bcheck\\s*\\(\\s*(["'\`])(${ID})\\1`, "g");

/** Index just past the string literal that starts at `start` (a quote or backtick). */
function skipString(source: string, start: number): number {
  const quote = source[start];
  let i = start + 1;
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === quote) return i + 1;
    if (quote !== "`" && c === "\n") return i;
    i += 1;
  }
  return i;
}

/** The source with comments blanked out (strings kept), so that commented-out code is ignored. */
export function stripComments(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '"' || c === "'" || c === "`") {
      const end = skipString(source, i);
      out += source.slice(i, end);
      i = end;
    } else if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      i = end < 0 ? source.length : end;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      // Keep line breaks so that line-based rules still see the same lines.
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Exercise ids of the `check("<id>", …)` calls of a cell, in order (comments ignored). */
export function checkCallIds(source: string): string[] {
  const code = stripComments(source);
  return Array.from(code.matchAll(CHECK_CALL), (match) => match[2]!);
}

/** Index just past the parenthesised group that opens at `start`, or -1 when unbalanced. */
function skipParens(code: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < code.length) {
    const c = code[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i = skipString(code, i);
      continue;
    }
    if (c === "(") depth += 1;
    else if (c === ")") {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  return -1;
}

/**
 * True when the cell is only `check(...)` calls (optionally awaited, with `;`, blank lines and comments):
 * the grader skips such cells. A cell that mixes a check call with other code is not check-only, because
 * the other code may define something the rest of the notebook needs.
 */
export function isCheckOnly(source: string): boolean {
  const code = stripComments(source);
  const call = /^(?:await\s+)?check\s*\(/;
  let i = 0;
  let calls = 0;
  while (i < code.length) {
    const rest = code.slice(i);
    const blank = /^[\s;]+/.exec(rest);
    if (blank) {
      i += blank[0].length;
      continue;
    }
    const match = call.exec(rest);
    if (!match) return false;
    const end = skipParens(code, i + match[0].length - 1);
    if (end < 0) return false;
    calls += 1;
    i = end;
  }
  return calls > 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * True when the cell declares `symbol` at top level (no indentation): `function f`, `async function f`,
 * `const f =`, `let f`, `var f`, `class F`, optionally exported.
 */
export function declaresSymbol(source: string, symbol: string): boolean {
  const name = escapeRegExp(symbol);
  const declaration = new RegExp(
    `^(?:export\\s+)?(?:(?:async\\s+)?function\\s*\\*?\\s*${name}\\s*[<(]|(?:const|let|var)\\s+${name}\\s*[:=;]|(?:const|let|var)\\s+${name}\\s*$|class\\s+${name}\\b)`,
    "m",
  );
  return declaration.test(stripComments(source));
}

/** True when the cell imports `todo` from the course's grading module. */
export function importsTodo(source: string): boolean {
  return /import\s*\{[^}]*\btodo\b[^}]*\}\s*from\s*["']@llm-course\/lib\/grading["']/.test(stripComments(source));
}
