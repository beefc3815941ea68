/**
 * The class report from a small hand-made gradebook: success rates, mean and median, the histogram, the most
 * failed tests, the HTML page (French, escaped) and the LMS CSV (formula-like identifiers escaped).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import type { ExerciseGrade, Gradebook, NotebookGrade } from "../../lib/grading/grade";
import { classReportHtml, lmsCsv, summarizeClass, writeClassReport } from "../../lib/grading/report";

const exercise = (id: string, earned: number, max: number, failed: string[] = []): ExerciseGrade => ({
  id,
  title: id,
  earned,
  max,
  status: earned >= max ? "passed" : "partial",
  tests: [...failed.map((name) => ({ name, passed: false, message: "non" })), { name: "ok", passed: true }],
});
const notebook = (file: string, add: number, rev: number, failed: string[] = []): NotebookGrade => ({
  file,
  tp: "tp99",
  status: "graded",
  earned: add + rev,
  max: 5,
  exercises: [exercise("tp99.add", add, 2, add < 2 ? failed : []), exercise("tp99.reverse_words", rev, 3, rev < 3 ? ["« <b> »"] : [])],
  cellProblems: [],
});
const book: Gradebook = {
  tp: "tp99",
  title: "TP <test>",
  exercises: [
    { id: "tp99.add", title: "Additionner", points: 2 },
    { id: "tp99.reverse_words", title: "Inverser", points: 3 },
  ],
  max: 5,
  hiddenTests: { "tp99.add": 0, "tp99.reverse_words": 0 },
  notebooks: [notebook("alice.ipynb", 2, 3), notebook("bob.ipynb", 1, 3, ["add(2, 3)"]), notebook("=cmd|x.ipynb", 0, 1.5, ["add(2, 3)", "add(-2, 2)"]), notebook("dan.ipynb", 2, 0)],
};

describe("class report", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-report-"));
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("summarises the class with danfojs", () => {
    const summary = summarizeClass(book);
    assert.equal(summary.notebooks, 4);
    assert.equal(summary.meanTotal, 3.13);
    assert.equal(summary.medianTotal, 3);
    assert.deepEqual(summary.exercises.map((e) => [e.id, e.meanPoints, e.successRate]), [["tp99.add", 1.25, 0.5], ["tp99.reverse_words", 1.88, 0.5]]);
    assert.deepEqual(summary.histogram.filter((bin) => bin.count > 0).map((bin) => [bin.from, bin.count]), [[1.5, 1], [2, 1], [4, 1], [4.5, 1]]);
    assert.deepEqual(summary.mostFailed, [
      { exercise: "tp99.add", test: "add(2, 3)", failures: 2, hidden: false },
      { exercise: "tp99.reverse_words", test: "« <b> »", failures: 2, hidden: false },
      { exercise: "tp99.add", test: "add(-2, 2)", failures: 1, hidden: false },
    ]);
  });

  it("writes a French HTML page with escaped names and an LMS CSV without formulas", () => {
    const html = classReportHtml(book);
    assert.match(html, /<h1>Bilan de la classe — tp99 : TP &lt;test&gt;<\/h1>/);
    assert.match(html, /Note moyenne : 3,13 \/ 5 ; médiane : 3\./);
    assert.match(html, /« &lt;b&gt; »/);
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.equal(lmsCsv(book), "identifiant,note,note_max,note_sur_20\nalice,5,5,20\nbob,4,5,16\n'=cmd|x,1.5,5,6\ndan,2,5,8\n");
    fs.writeFileSync(path.join(work, "gradebook.json"), JSON.stringify(book));
    writeClassReport(work);
    assert.deepEqual(fs.readdirSync(work).sort(), ["class-report.html", "gradebook.json", "notes-lms.csv"]);
    assert.equal(fs.readFileSync(path.join(work, "class-report.html"), "utf8"), html);
  });
});
