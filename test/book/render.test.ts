/**
 * The book's renderer without executing anything: markdown with math and heading anchors, outputs (the
 * embedded plotly.js is dropped since the site loads its own copy), the cache key, exercise cells shown as
 * the student gets them with the solution folded, and an unknown TP named in the error.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { executionKey, lessonFiles, lessonSummary, lessonTitle, renderLesson, renderMarkdown, renderOutput, type BookLesson } from "../../lib/book/build";
import { PATHS } from "../../lib/env";
import { readNotebook, type Notebook } from "../../lib/grading/notebook-file";
import { releaseNotebook } from "../../lib/grading/release";
import { figureBundle } from "../../lib/notebook/plot";

test("markdown: math kept as written, headings get unique anchors", () => {
  const headings: { text: string; anchor: string; depth: number }[] = [];
  const used = new Set<string>();
  const html = renderMarkdown("# Étape 1 : *compter*\n\nLa perte $x_1 * y_2$ et **gras**.\n\n## Étape 1 : compter", used, headings);
  assert.match(html, /<span class="math">\$x_1 \* y_2\$<\/span>/);
  assert.match(html, /<strong>gras<\/strong>/);
  assert.deepEqual(headings.map((h) => [h.anchor, h.depth]), [["etape-1-compter", 1], ["etape-1-compter-2", 2]]);
  assert.match(html, /<h1 id="etape-1-compter">Étape 1 : <em>compter<\/em><a class="anchor" href="#etape-1-compter"/);
});

test("outputs: streams escaped without colour codes, figures without their embedded plotly.js", () => {
  assert.equal(renderOutput({ output_type: "stream", name: "stderr", text: ["\u001b[31m<b>\u001b[0m\n"] }), '<pre class="output stream stderr">&lt;b&gt;\n</pre>');
  const bundle = figureBundle({ data: [{ type: "bar", x: ["a"], y: [1] }], layout: {}, config: {} }, { embedPlotly: true, divId: "fig-1" });
  const html = renderOutput({ output_type: "display_data", data: bundle as never, metadata: {} });
  assert.ok(String(bundle["text/html"]).length > 1_000_000, "the notebook output carries plotly.js");
  assert.ok(html.length < 5_000, `the book's copy is ${html.length} characters`);
  assert.match(html, /id="fig-1"/);
  assert.match(html, /window\.Plotly\.newPlot/);
  assert.match(renderOutput({ output_type: "error", ename: "Error", evalue: "boum", traceback: [] }), /class="output output-error">Error: boum/);
});

test("the cache key changes with code, spec and mode, not with markdown", () => {
  const notebook = (code: string, text: string): Notebook => ({
    cells: [
      { cell_type: "markdown", source: text, metadata: {} },
      { cell_type: "code", source: code, metadata: {}, outputs: [], execution_count: null },
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  });
  const key = executionKey(notebook("f(1)", "texte"), "spec", false);
  assert.equal(executionKey(notebook("f(1)", "autre texte"), "spec", false), key);
  assert.notEqual(executionKey(notebook("f(2)", "texte"), "spec", false), key);
  assert.notEqual(executionKey(notebook("f(1)", "texte"), "spec 2", false), key);
  assert.notEqual(executionKey(notebook("f(1)", "texte"), "spec", true), key);
});

test("a lesson page: exercises as the student gets them, solution folded, download link, search entries", () => {
  const file = "tp02-embeddings.ipynb";
  const solution = readNotebook(path.join(PATHS.solutions, file));
  const student = releaseNotebook(solution, file);
  const lesson: BookLesson = { stem: "tp02-embeddings", tp: "tp02", title: "TP 2", summary: "", errors: [], cached: false };
  const page = renderLesson(solution, student, lesson, [lesson]);
  const exercises = student.cells.filter((cell) => (cell.metadata.llm_course as { role?: string } | undefined)?.role === "exercise").length;
  assert.equal(page.html.split('class="cell code exercise"').length - 1, exercises);
  assert.equal(page.html.split('<details class="solution">').length - 1, exercises);
  assert.match(page.html, /todo\(&quot;tp02\./);
  assert.doesNotMatch(page.html, /BEGIN SOLUTION|END SOLUTION/, "the folded solution is the teacher's code without the release markers");
  assert.match(page.html, /href="notebooks\/tp02-embeddings\.ipynb" download/);
  assert.ok(page.entries.length > 5 && page.entries.every((e) => e.anchor !== "" && e.text !== ""));
  assert.ok(fs.existsSync(path.join(PATHS.notebooks, file)));
});

test("an unknown TP is named in the error", () => {
  assert.throws(() => lessonFiles(["tp99"]), /no solution notebook for tp99 \(known: tp01, tp02/);
  assert.deepEqual(lessonFiles(["tp02"]), ["tp02-embeddings.ipynb"]);
});

test("the home page's title and summary of a lesson: plain text, a list announced by « : » taken along", () => {
  const notebook: Notebook = {
    cells: [{ cell_type: "markdown", source: "# TP 5 — Traduction *seq2seq*\n\nOn le fera de deux façons :\n\n1. en **comptant** ;\n2. en apprenant,\n   sur Moby-Dick.\n\nSuite.", metadata: {} }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
  assert.equal(lessonTitle(notebook), "TP 5 — Traduction seq2seq");
  assert.equal(lessonSummary(notebook), "On le fera de deux façons : en comptant ; en apprenant, sur Moby-Dick.");
});
