/**
 * Every lesson notebook, through the grader's own pipeline, in fast mode:
 * - each solutions/*.ipynb runs without a cell error (check cells included) and scores full marks;
 * - each notebooks/*.ipynb (the student version) runs without crashing the grader and scores 0 on every
 *   exercise, each with the stub's "À compléter" message;
 * - notebooks/ is exactly what `npm run release` would write.
 * The fixture lesson (test/fixtures/grading) goes through the same steps, so the pipeline is tested even
 * before the course has lessons.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

const FIXTURES = path.join(__dirname, "..", "fixtures", "grading");
process.env.LLM_COURSE_EXERCISES_PATH = path.join(FIXTURES, "exercises");

import { PATHS } from "../../lib/env";
import { gradeNotebookFile, type NotebookRun } from "../../lib/grading/grade";
import { loadLesson } from "../../lib/grading/lessons";
import { planRelease, tpOfNotebookName } from "../../lib/grading/release";

const NOTEBOOK_TIMEOUT_MS = 200_000;
/**
 * Notebooks graded at once: each runs in its own kernel process, mostly on one core, so two at a time keep a
 * 2-core machine busy (the whole suite's longest part, in CI). No notebook meets itself: solutions run first,
 * in order, then the student versions.
 */
const NOTEBOOK_CONCURRENCY = Math.min(2, os.availableParallelism());
const listNotebooks = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(".ipynb")).sort() : []);

const folders = [
  { label: "course", solutionsDir: PATHS.solutions, notebooksDir: PATHS.notebooks },
  { label: "fixture", solutionsDir: path.join(FIXTURES, "solutions"), notebooksDir: path.join(FIXTURES, "notebooks") },
];

function describeFailures(run: NotebookRun): string {
  const problems = run.grade.cellProblems.map((problem) => `cell ${problem.cell} (${problem.status}): ${problem.summary}`);
  const exercises = run.grade.exercises
    .filter((exercise) => exercise.earned < exercise.max)
    .map((exercise) => `${exercise.id}: ${exercise.earned}/${exercise.max} ${exercise.reason ?? ""} ${exercise.tests.filter((t) => !t.passed).map((t) => `[${t.name}: ${t.message}]`).join(" ")}`);
  return [...problems, ...exercises].join("\n");
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "llm-lessons-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

for (const { label, solutionsDir, notebooksDir } of folders) {
  describe(`${label} notebooks`, { concurrency: NOTEBOOK_CONCURRENCY }, () => {
    it("notebooks/ is up to date with solutions/ (npm run release)", () => {
      const plan = planRelease({ solutionsDir, notebooksDir });
      const show = (files: string[]) => files.map((file) => path.relative(PATHS.root, file)).join(", ");
      assert.deepEqual(plan.stale, [], `stale: ${show(plan.stale)} — run npm run release`);
      assert.deepEqual(plan.orphans, [], `no source in solutions/: ${show(plan.orphans)}`);
    });

    for (const name of listNotebooks(solutionsDir)) {
      it(`solution ${name} runs without error and scores full marks`, { timeout: NOTEBOOK_TIMEOUT_MS }, async () => {
        const lesson = loadLesson(tpOfNotebookName(name));
        const run = await gradeNotebookFile(path.join(solutionsDir, name), { lesson, includeCheckCells: true });
        assert.equal(run.execution?.fatal, undefined);
        assert.deepEqual(run.grade.cellProblems, [], describeFailures(run));
        assert.equal(run.grade.earned, run.grade.max, describeFailures(run));
        // The check cells themselves ran and congratulated.
        const checkOutputs = run.plan!.cells
          .map((cell, index) => ({ cell, run: run.execution!.cells[index]! }))
          .filter(({ cell }) => /^\s*(await\s+)?check\s*\(/m.test(cell.code) && !cell.code.includes("llmCourseGradeCell"));
        assert.ok(checkOutputs.length >= lesson.exercises.length);
        for (const { run: cellRun } of checkOutputs) assert.match(cellRun.stdout, /🎉 Tous les tests passent/);
        console.log(`${name}: ${run.grade.earned}/${run.grade.max} in ${run.seconds.toFixed(1)} s`);
      });
    }

    for (const name of listNotebooks(solutionsDir)) {
      it(`student version of ${name} scores 0 with "À compléter" everywhere`, { timeout: NOTEBOOK_TIMEOUT_MS }, async () => {
        // The release in memory: the same text as notebooks/ when the staleness test passes.
        const released = planRelease({ solutionsDir, notebooksDir }).files.get(path.join(notebooksDir, name))!;
        const file = path.join(scratch, `${label}-${name}`);
        fs.writeFileSync(file, released);
        const lesson = loadLesson(tpOfNotebookName(name));
        const run = await gradeNotebookFile(file, { lesson });
        assert.equal(run.execution?.fatal, undefined);
        assert.equal(run.grade.earned, 0);
        for (const exercise of run.grade.exercises) {
          assert.equal(exercise.status, "todo", `${exercise.id}: ${exercise.reason}`);
          assert.match(exercise.reason ?? "", /À compléter : .* \(exercice /, exercise.id);
        }
        // Demonstrations that use a stub wait with the kernel's notice: no cell fails (Run All goes through).
        assert.deepEqual(run.grade.cellProblems, [], describeFailures(run));
        const waiting = run.execution!.cells.filter((cell) => /⏸ (Cette cellule utilise l'exercice|Cellule en attente)/.test(cell.stdout)).length;
        console.log(`${name} (student version): ${waiting} cell(s) waiting for an exercise, ${run.seconds.toFixed(1)} s`);
      });
    }
  });
}
