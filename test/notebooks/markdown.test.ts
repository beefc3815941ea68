/**
 * The lessons' markdown renders as written in Jupyter:
 * - no `$` that is not math: Jupyter's MathJax reads "2,50 $ … 10 $" as an equation and the prose between
 *   the two dollars becomes math (write `\$`); intended math, `$$…$$` or a `$…$` pair with a LaTeX command,
 *   `^`, `_` or braces inside, is kept;
 * - every `**` opens or closes emphasis by CommonMark's flanking rules: `le**« mot »**` or an unclosed
 *   `**` shows the asterisks themselves.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PATHS } from "../../lib/env";

const PUNCTUATION = /[\p{P}\p{S}]/u;
const isSpace = (ch: string) => ch === "" || /\s/u.test(ch);
const isPunctuation = (ch: string) => ch !== "" && PUNCTUATION.test(ch);

/** The markdown problems of one cell's source: each names the problem and quotes its place. */
export function markdownProblems(source: string): string[] {
  // Code blocks and spans render literally: blank them out (same length, so offsets stay meaningful).
  const text = source.replace(/```[\s\S]*?```/g, (m) => " ".repeat(m.length)).replace(/`[^`\n]*`/g, (m) => "x".repeat(m.length));
  const problems: string[] = [];
  const quote = (at: number) => JSON.stringify(text.slice(Math.max(0, at - 30), at + 30));
  const isMath = (inner: string) => /\\[a-zA-Z]|[\^_{}]/.test(inner);
  const dollars = [...text.replace(/\$\$[\s\S]*?\$\$/g, (m) => " ".repeat(m.length)).matchAll(/(?<!\\)\$/g)].map((m) => m.index);
  for (let i = 0; i < dollars.length; i++) {
    const next = dollars[i + 1];
    if (next !== undefined && isMath(text.slice(dollars[i]! + 1, next))) {
      i++;
      continue;
    }
    problems.push(`unescaped $ (MathJax reads it as math: write \\$) near ${quote(dollars[i]!)}`);
  }
  for (const paragraph of text.split(/\n\s*\n/)) {
    const open: number[] = [];
    for (const match of paragraph.matchAll(/(?<![*\\])\*\*(?!\*)/g)) {
      const before = paragraph[match.index - 1] ?? "";
      const after = paragraph[match.index + 2] ?? "";
      const leftFlanking = !isSpace(after) && (!isPunctuation(after) || isSpace(before) || isPunctuation(before));
      const rightFlanking = !isSpace(before) && (!isPunctuation(before) || isSpace(after) || isPunctuation(after));
      if (rightFlanking && open.length > 0) open.pop();
      else if (leftFlanking) open.push(match.index);
      else problems.push(`** that can neither open nor close emphasis (shown as asterisks) near ${JSON.stringify(paragraph.slice(Math.max(0, match.index - 30), match.index + 30))}`);
    }
    for (const at of open) problems.push(`** never closed (shown as asterisks) near ${JSON.stringify(paragraph.slice(Math.max(0, at - 30), at + 30))}`);
    // A single * (not a list bullet) opens italics only if a closer follows; an opener left alone shows
    // the asterisk, which is what a wildcard like `text-embedding-3-*` wants: it must say so with \*.
    const openSingle: number[] = [];
    for (const match of paragraph.matchAll(/(?<![*\\])\*(?!\*)/g)) {
      const lineStart = paragraph.lastIndexOf("\n", match.index - 1) + 1;
      if (/^\s*$/.test(paragraph.slice(lineStart, match.index)) && isSpace(paragraph[match.index + 1] ?? "")) continue;
      const before = paragraph[match.index - 1] ?? "";
      const after = paragraph[match.index + 1] ?? "";
      const leftFlanking = !isSpace(after) && (!isPunctuation(after) || isSpace(before) || isPunctuation(before));
      const rightFlanking = !isSpace(before) && (!isPunctuation(before) || isSpace(after) || isPunctuation(after));
      if (rightFlanking && openSingle.length > 0) openSingle.pop();
      else if (leftFlanking) openSingle.push(match.index);
    }
    for (const at of openSingle) problems.push(`* never closed (shown as an asterisk: write \\* if it is meant) near ${JSON.stringify(paragraph.slice(Math.max(0, at - 30), at + 30))}`);
  }
  return problems;
}

describe("markdown lint", () => {
  it("finds dollar pairs and stray ** and accepts what renders", () => {
    assert.equal(markdownProblems("gpt-4o à **2,50 $** par million et **10 $** en sortie").length, 2);
    assert.deepEqual(markdownProblems("gpt-4o à **2,50 \\$** et `$HOME` ```\n$x$\n```"), []);
    assert.deepEqual(markdownProblems("$$\\cos(a, b) = \\frac{a \\cdot b}{2}$$ et $x_i$ ou $d^2$"), []);
    assert.deepEqual(markdownProblems("l'**attention** (« **mot** »), **0,9**."), []);
    assert.equal(markdownProblems("le**« mot »** ici").length, 2);
    assert.equal(markdownProblems("**ouvert sans fin").length, 1);
    assert.deepEqual(markdownProblems("**un**\n\n**deux**"), []);
    assert.deepEqual(markdownProblems("les *tokens*, un *batch* et **gras**\n* une puce\n- 2 * 3 et text-embedding-3-\\*"), []);
    assert.equal(markdownProblems("les modèles (text-embedding-3-*) :").length, 1);
    assert.equal(markdownProblems("les *tokens sans fin").length, 1);
  });

  for (const folder of [PATHS.solutions, PATHS.notebooks]) {
    for (const name of fs.readdirSync(folder).filter((file) => file.endsWith(".ipynb")).sort()) {
      it(`${path.basename(folder)}/${name}: markdown cells render as written`, () => {
        const notebook = JSON.parse(fs.readFileSync(path.join(folder, name), "utf8")) as { cells: { cell_type: string; source: string | string[] }[] };
        const problems = notebook.cells.flatMap((cell, index) =>
          cell.cell_type === "markdown" ? markdownProblems(Array.isArray(cell.source) ? cell.source.join("") : cell.source).map((p) => `cell ${index}: ${p}`) : [],
        );
        assert.deepEqual(problems, []);
      });
    }
  }
});
