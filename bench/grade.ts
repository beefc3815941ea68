/**
 * `npm run bench -- grade`: the grader's throughput, in submissions per minute, on N copies of the fixture
 * lesson's correct submission (three small exercises, one hidden-test file), with `--jobs 1` and `--jobs 2`,
 * each with the kernels isolated by bubblewrap and without (the cost of the isolation). N is 6 by default
 * (`LLM_COURSE_BENCH_GRADE_N`), so that the four runs take a few minutes on a 2-core machine; the issue's
 * 100 submissions is `LLM_COURSE_BENCH_GRADE_N=100` (about 27 minutes there, under load).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { machineLine, reportedRatio, shownRatio } from "./support/machine";

const FIXTURES = path.join(__dirname, "..", "test", "fixtures", "grading");

export async function run(): Promise<Record<string, unknown>> {
  process.env.LLM_COURSE_EXERCISES_PATH = path.join(FIXTURES, "exercises");
  const { gradeFolder } = await import("../lib/grading/grade");
  const { isolationSupport } = await import("../lib/grading/sandbox");
  const count = Number(process.env.LLM_COURSE_BENCH_GRADE_N ?? 6);
  if (!(Number.isInteger(count) && count > 0)) throw new Error(`LLM_COURSE_BENCH_GRADE_N must be a positive integer, got ${process.env.LLM_COURSE_BENCH_GRADE_N}.`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-bench-grade-"));
  const dir = path.join(work, "classe");
  fs.mkdirSync(dir);
  for (let index = 0; index < count; index++) {
    fs.copyFileSync(path.join(FIXTURES, "submissions", "01-correct.ipynb"), path.join(dir, `etudiant-${String(index + 1).padStart(3, "0")}.ipynb`));
  }
  const hiddenDir = path.join(FIXTURES, "hidden");
  const isolated = isolationSupport().bwrap !== null;
  const figures: Record<string, unknown> = { submissions: count, bubblewrap: isolated };
  try {
    for (const jobs of [1, 2]) {
      for (const isolation of isolated ? [true, false] : [false]) {
        const label = `jobs${jobs}_${isolation ? "isolated" : "none"}`;
        const started = Date.now();
        const book = await gradeFolder({
          dir,
          outDir: path.join(work, label),
          hiddenDir,
          tp: "tp99",
          jobs,
          resume: false,
          noIsolation: !isolation,
          log: () => undefined,
        });
        const seconds = (Date.now() - started) / 1000;
        const full = book.notebooks.filter((notebook) => notebook.earned === notebook.max).length;
        if (full !== count) throw new Error(`${label}: ${full}/${count} submissions at full marks (expected all)`);
        const perMinute = Math.round((count * 60 * 10) / seconds) / 10;
        figures[`${label}_per_minute`] = perMinute;
        figures[`${label}_seconds`] = Math.round(seconds * 10) / 10;
        console.log(`--jobs ${jobs}, ${isolation ? "bubblewrap" : "sans isolation"} : ${count} soumissions en ${seconds.toFixed(1)} s → ${perMinute} / min`);
      }
    }
    if (isolated) {
      for (const jobs of [1, 2]) {
        const cost = (figures[`jobs${jobs}_isolated_seconds`] as number) / (figures[`jobs${jobs}_none_seconds`] as number);
        figures[`jobs${jobs}_isolation_cost_ratio`] = reportedRatio(cost, 2, 2);
        console.log(`coût de l'isolation, --jobs ${jobs} : ${shownRatio(cost, 2, 2)} sur la durée`);
      }
    }
    // Each job is one kernel (one busy thread) plus its Python driver.
    console.log(machineLine({ ours: "--jobs 1, then 2 (one kernel each)", reference: "the same runs without isolation" }));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return figures;
}
