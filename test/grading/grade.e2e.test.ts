/**
 * End to end: grades the fixture submissions (test/fixtures/grading/submissions, made by make-fixtures.ts)
 * with real kernels, twice, and checks the exact points and that both runs write identical gradebooks.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

const FIXTURES = path.join(__dirname, "..", "fixtures", "grading");
process.env.LLM_COURSE_EXERCISES_PATH = path.join(FIXTURES, "exercises");

import { SCRATCH_ROOT, gradeFolder, type Gradebook } from "../../lib/grading/grade";

const EXPECTED_CSV = `file,tp99.add,tp99.reverse_words,tp99.double_later,total,max
01-correct.ipynb,2,3,1,6,6
02-infinite-loop.ipynb,0,3,1,4,6
03-async-loop.ipynb,2,0,1,3,6
04-process-exit.ipynb,2,2,1,5,6
05-throws.ipynb,0,3,0,3,6
06-type-error.ipynb,2,0,1,3,6
07-check-redefined.ipynb,0,3,1,4,6
08-deleted-checks.ipynb,1.5,3,1,5.5,6
09-corrupt.ipynb,0,0,0,0,6
10-wrong-tp.ipynb,0,0,0,0,6
`;

describe("grading the fixture submissions end to end", { timeout: 600_000 }, () => {
  let work: string;
  let hiddenDir: string;
  let book: Gradebook;
  const logs: string[] = [];
  const grade = (outDir: string) =>
    gradeFolder({
      dir: path.join(FIXTURES, "submissions"),
      outDir,
      hiddenDir,
      cellTimeoutSeconds: 5,
      interruptGraceSeconds: 1.5,
      jobs: 2,
      log: (line) => logs.push(line),
    });
  const exercise = (file: string, id: string) => book.notebooks.find((n) => n.file === file)!.exercises.find((e) => e.id === id)!;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-grade-"));
    // Hidden tests outside the checkout, as a teacher keeps them; they import the library by its name.
    hiddenDir = path.join(work, "hidden");
    fs.mkdirSync(hiddenDir);
    fs.copyFileSync(path.join(FIXTURES, "hidden", "tp99-hidden.ts"), path.join(hiddenDir, "tp99-hidden.ts"));
    book = await grade(path.join(work, "run1"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("scores every exercise exactly", () => {
    assert.equal(fs.readFileSync(path.join(work, "run1", "gradebook.csv"), "utf8"), EXPECTED_CSV);
    assert.deepEqual(book.hiddenTests, { "tp99.add": 2, "tp99.reverse_words": 0, "tp99.double_later": 0 });
  });

  it("explains each zero in French", () => {
    assert.equal(exercise("02-infinite-loop.ipynb", "tp99.add").status, "timeout");
    assert.match(exercise("02-infinite-loop.ipynb", "tp99.add").reason!, /délai de 5 s dépassé pendant les tests de « add »/);
    assert.equal(exercise("03-async-loop.ipynb", "tp99.reverse_words").reason, "« reverseWords » n'est pas défini : la cellule qui le définit n'a pas abouti, elle a dépassé le délai de 5 s — boucle infinie ?");
    assert.match(exercise("06-type-error.ipynb", "tp99.reverse_words").reason!, /elle a échoué : ligne 2:9 - Type 'string' is not assignable to type 'number'\./);
    assert.equal(exercise("05-throws.ipynb", "tp99.add").tests[0]!.message, "pas encore fini");
    assert.equal(exercise("05-throws.ipynb", "tp99.double_later").status, "todo");
    assert.match(exercise("05-throws.ipynb", "tp99.double_later").reason!, /^À compléter : compléter doubleLater/);
    const corrupt = book.notebooks.find((n) => n.file === "09-corrupt.ipynb")!;
    assert.equal(corrupt.status, "unreadable");
    assert.match(corrupt.message!, /^fichier illisible : ce n'est pas du JSON valide \(/);
    const wrong = book.notebooks.find((n) => n.file === "10-wrong-tp.ipynb")!;
    assert.equal(wrong.status, "wrong_tp");
    assert.equal(wrong.message, "ce notebook est celui du tp98, pas du tp99 (TP de test du correcteur) : rien n'a été noté.");
  });

  it("reports failing cells and keeps going after a dead kernel", () => {
    const exited = book.notebooks.find((n) => n.file === "04-process-exit.ipynb")!;
    assert.deepEqual(exited.cellProblems, [{ cell: 6, status: "dead", summary: "la cellule a arrêté le noyau (process.exit ?) : il a été redémarré" }]);
    assert.equal(exercise("04-process-exit.ipynb", "tp99.reverse_words").tests[2]!.message, 'attendu : "", obtenu : "vide"');
    const looped = book.notebooks.find((n) => n.file === "03-async-loop.ipynb")!;
    assert.deepEqual(looped.cellProblems.map((problem) => problem.status), ["timeout", "error"]);
  });

  it("writes French feedback per notebook, without hidden tests' messages", () => {
    const feedback = fs.readFileSync(path.join(work, "run1", "feedback", "08-deleted-checks.md"), "utf8");
    assert.match(feedback, /^# Correction — 08-deleted-checks\.ipynb\n/);
    assert.match(feedback, /\*\*Note : 5\.5 \/ 6 points\*\*/);
    assert.match(feedback, /- ❌ add\(0\.1, 0\.2\) ≈ 0\.3 \(test caché\)\n- ✅ add\(1e6, 1\) → 1000001 \(test caché\)\n/);
    assert.doesNotMatch(feedback, /0\.3 ± /);
    assert.match(feedback, /💡 Indices :\n- L'opérateur \+ additionne deux nombres\./);
    assert.deepEqual(fs.readdirSync(path.join(work, "run1", "feedback")).length, 10);
  });

  it("prints each notebook's elapsed time and cleans its scratch folders", () => {
    assert.ok(logs.some((line) => /^\[\d+\/10\] 01-correct\.ipynb: 6 \/ 6 points, \d+\.\d s$/.test(line)), logs.join("\n"));
    const leftovers = fs.existsSync(SCRATCH_ROOT) ? fs.readdirSync(SCRATCH_ROOT).filter((name) => name.startsWith(`run-${process.pid}-`)) : [];
    assert.deepEqual(leftovers, []);
  });

  it("gives byte-identical gradebooks on a second run", async () => {
    await grade(path.join(work, "run2"));
    const files = (dir: string) => ["gradebook.csv", "gradebook.json", ...fs.readdirSync(path.join(dir, "feedback")).map((name) => path.join("feedback", name))];
    const first = files(path.join(work, "run1"));
    assert.deepEqual(files(path.join(work, "run2")), first);
    for (const file of first) {
      assert.equal(fs.readFileSync(path.join(work, "run2", file), "utf8"), fs.readFileSync(path.join(work, "run1", file), "utf8"), file);
    }
  });
});
