/**
 * The teacher's view of a graded class, from `gradebook.json`: per-exercise success rates and mean points,
 * the distribution of totals, the most failed tests, as one self-contained French HTML page with SVG bar
 * charts (`class-report.html`), and an LMS-ready CSV (`notes-lms.csv`: identifier, grade, maximum, grade out
 * of 20; formula-like cells escaped). The tables are computed with danfojs-node.
 * `npm run grade -- --report <output folder of a run>`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Gradebook } from "./grade";
import { csvField } from "./grade";
import { writeFileAtomic } from "./notebook-file";

/** What the report shows, also returned for tests and scripts. */
export interface ClassSummary {
  notebooks: number;
  /** Notebooks that ran (graded), the others being unreadable or of another TP. */
  graded: number;
  meanTotal: number;
  medianTotal: number;
  exercises: Array<{ id: string; title: string; points: number; meanPoints: number; successRate: number }>;
  /** Totals by bin: `[from, to)` (the last bin includes the maximum). */
  histogram: Array<{ from: number; to: number; count: number }>;
  /** Failed tests, most failed first (ties by exercise then name), at most 10. */
  mostFailed: Array<{ exercise: string; test: string; failures: number; hidden: boolean }>;
}

/** The few danfo Series members used here. */
interface DanfoSeries {
  values: unknown[];
  mean(): number;
  sum(): number;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export function summarizeClass(book: Gradebook): ClassSummary {
  // Loaded here: danfojs-node brings TensorFlow.js, which the grader itself does not need.
  const dfd = require("danfojs-node") as { DataFrame: new (rows: object[]) => Record<string, DanfoSeries> };
  const rows = book.notebooks.map((notebook) => {
    const row: Record<string, number | string> = { file: notebook.file, total: notebook.earned, graded: notebook.status === "graded" ? 1 : 0 };
    for (const exercise of notebook.exercises) {
      row[`points:${exercise.id}`] = exercise.earned;
      row[`full:${exercise.id}`] = exercise.earned >= exercise.max ? 1 : 0;
    }
    return row;
  });
  const frame = new dfd.DataFrame(rows);
  const column = (name: string) => frame[name]!;
  const totals = (column("total").values as number[]).slice().sort((a, b) => a - b);
  const median = totals.length === 0 ? 0 : totals.length % 2 === 1 ? totals[(totals.length - 1) / 2]! : (totals[totals.length / 2 - 1]! + totals[totals.length / 2]!) / 2;
  const exercises = book.exercises.map((exercise) => ({
    id: exercise.id,
    title: exercise.title,
    points: exercise.points,
    meanPoints: round(column(`points:${exercise.id}`).mean() as number),
    successRate: round(column(`full:${exercise.id}`).mean() as number, 4),
  }));
  const bins = 10;
  const width = book.max / bins;
  const histogram = Array.from({ length: bins }, (_, index) => ({ from: round(index * width), to: round((index + 1) * width), count: 0 }));
  for (const total of totals) histogram[Math.min(bins - 1, Math.floor(total / width))]!.count += 1;
  const failures = new Map<string, { exercise: string; test: string; failures: number; hidden: boolean }>();
  for (const notebook of book.notebooks) {
    for (const exercise of notebook.exercises) {
      for (const test of exercise.tests) {
        if (test.passed) continue;
        const key = `${exercise.id}\u0000${test.name}`;
        const entry = failures.get(key) ?? { exercise: exercise.id, test: test.name, failures: 0, hidden: test.hidden === true };
        entry.failures += 1;
        failures.set(key, entry);
      }
    }
  }
  const mostFailed = Array.from(failures.values())
    .sort((a, b) => b.failures - a.failures || (a.exercise < b.exercise ? -1 : a.exercise > b.exercise ? 1 : a.test < b.test ? -1 : a.test > b.test ? 1 : 0))
    .slice(0, 10);
  return {
    notebooks: book.notebooks.length,
    graded: column("graded").sum() as number,
    meanTotal: round(column("total").mean() as number),
    medianTotal: round(median),
    exercises,
    histogram,
    mostFailed,
  };
}

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const frenchNumber = (value: number) => String(value).replace(".", ",");

/** A horizontal SVG bar chart: one bar per label, values from 0 to `max`. */
function barChart(bars: Array<{ label: string; value: number; text: string }>, max: number): string {
  const rowHeight = 26;
  const labelWidth = 260;
  const plotWidth = 360;
  const height = bars.length * rowHeight + 10;
  const rows = bars.map((bar, index) => {
    const y = 5 + index * rowHeight;
    const width = max > 0 ? Math.round((plotWidth * bar.value) / max) : 0;
    return (
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeHtml(bar.label)}</text>` +
      `<rect x="${labelWidth}" y="${y + 4}" width="${width}" height="${rowHeight - 8}" fill="#4c78a8"/>` +
      `<text x="${labelWidth + width + 6}" y="${y + 17}">${escapeHtml(bar.text)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 80}" height="${height}" font-family="sans-serif" font-size="13">${rows.join("")}</svg>`;
}

/** The French HTML page of the class report (no timestamp: same gradebook, same bytes). */
export function classReportHtml(book: Gradebook, summary: ClassSummary = summarizeClass(book)): string {
  const percent = (rate: number) => `${frenchNumber(round(rate * 100, 1))} %`;
  const exerciseRows = summary.exercises
    .map((exercise) => `<tr><td>${escapeHtml(exercise.id)} — ${escapeHtml(exercise.title)}</td><td>${frenchNumber(exercise.meanPoints)} / ${frenchNumber(exercise.points)}</td><td>${percent(exercise.successRate)}</td></tr>`)
    .join("\n");
  const failedRows = summary.mostFailed
    .map((entry) => `<tr><td>${escapeHtml(entry.exercise)}</td><td>${escapeHtml(entry.test)}${entry.hidden ? " (test caché)" : ""}</td><td>${entry.failures}</td></tr>`)
    .join("\n");
  return `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Bilan de la classe — ${escapeHtml(book.tp)}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>
<body>
<h1>Bilan de la classe — ${escapeHtml(book.tp)} : ${escapeHtml(book.title)}</h1>
<p>${summary.notebooks} notebook(s), dont ${summary.graded} exécuté(s). Note moyenne : ${frenchNumber(summary.meanTotal)} / ${frenchNumber(book.max)} ; médiane : ${frenchNumber(summary.medianTotal)}.</p>
<h2>Réussite par exercice</h2>
<p>Part des notebooks qui ont tous les points de l'exercice.</p>
${barChart(summary.exercises.map((exercise) => ({ label: exercise.id, value: exercise.successRate, text: percent(exercise.successRate) })), 1)}
<table><tr><th>Exercice</th><th>Points moyens</th><th>Réussite complète</th></tr>
${exerciseRows}
</table>
<h2>Distribution des notes</h2>
${barChart(summary.histogram.map((bin, index) => ({ label: `${frenchNumber(bin.from)} – ${frenchNumber(bin.to)}${index === summary.histogram.length - 1 ? " (inclus)" : ""}`, value: bin.count, text: String(bin.count) })), Math.max(1, ...summary.histogram.map((bin) => bin.count)))}
<h2>Tests les plus échoués</h2>
<table><tr><th>Exercice</th><th>Test</th><th>Échecs</th></tr>
${failedRows}
</table>
</body>
</html>
`;
}

/** The LMS import: one row per notebook (identifier = file name without .ipynb), grade, maximum, grade out of 20. */
export function lmsCsv(book: Gradebook): string {
  const rows = [["identifiant", "note", "note_max", "note_sur_20"]];
  for (const notebook of book.notebooks) {
    const outOf20 = book.max > 0 ? round((20 * notebook.earned) / book.max) : 0;
    rows.push([notebook.file.replace(/\.ipynb$/, ""), String(notebook.earned), String(book.max), String(outOf20)]);
  }
  const [header, ...body] = rows;
  return `${[header!.join(","), ...body.map((row) => row.map((cell, index) => csvField(index === 0 ? cell : Number(cell))).join(","))].join("\n")}\n`;
}

/** Writes class-report.html and notes-lms.csv next to the gradebook of `outDir`. */
export function writeClassReport(outDir: string): ClassSummary {
  const book = JSON.parse(fs.readFileSync(path.join(outDir, "gradebook.json"), "utf8")) as Gradebook;
  const summary = summarizeClass(book);
  writeFileAtomic(path.join(outDir, "class-report.html"), classReportHtml(book, summary));
  writeFileAtomic(path.join(outDir, "notes-lms.csv"), lmsCsv(book));
  return summary;
}
