/**
 * A hostile class, graded in one run: every attack of issue 14 in its own small notebook of the fixture
 * lesson (tp99), next to three controls (an honest notebook, the untouched stub, a wrong answer in a
 * sub-folder) and the input traps (links, encodings, nbformat 3, odd file names). Attackers must get what
 * their own work deserves, controls their usual scores, and the run must leave nothing running and nothing
 * changed in the checkout, the output folder or $TMPDIR. Without bubblewrap the attacks that would hit the
 * test process itself (killing, rewriting files) are left out, with one printed line.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

const FIXTURES = path.join(__dirname, "..", "fixtures", "grading");
process.env.LLM_COURSE_EXERCISES_PATH = path.join(FIXTURES, "exercises");

import { COURSE_ROOT } from "../../lib/env";
import { SCRATCH_ROOT, gradeFolder, type Gradebook, type NotebookGrade } from "../../lib/grading/grade";
import { serializeNotebook, splitSource, type Notebook, type NotebookCell } from "../../lib/grading/notebook-file";
import { isolationSupport } from "../../lib/grading/sandbox";

const released = JSON.parse(fs.readFileSync(path.join(FIXTURES, "notebooks", "tp99-fixture.ipynb"), "utf8")) as Notebook;
const CELL = { imports: 1, add: 3, reverse: 6, double: 10 } as const;
const SOLVED = {
  add: "function add(a: number, b: number): number {\n  return a + b;\n}",
  reverse: 'function reverseWords(text: string): string {\n  return text.split(" ").reverse().join(" ");\n}',
  double: "async function doubleLater(x: number): Promise<number> {\n  return 2 * x;\n}",
};
const code = (text: string): NotebookCell => ({ cell_type: "code", metadata: {}, source: splitSource(text), outputs: [], execution_count: null });

/** The released notebook, optionally solved, with cells inserted after given cells (by original index). */
function notebook(options: { solved?: boolean; add?: string; after?: Record<number, string> } = {}): Notebook {
  const copy = JSON.parse(JSON.stringify(released)) as Notebook;
  if (options.solved) {
    copy.cells[CELL.add]!.source = splitSource(SOLVED.add);
    copy.cells[CELL.reverse]!.source = splitSource(SOLVED.reverse);
    copy.cells[CELL.double]!.source = splitSource(SOLVED.double);
  }
  if (options.add !== undefined) copy.cells[CELL.add]!.source = splitSource(options.add);
  const inserts = Object.entries(options.after ?? {}).sort(([a], [b]) => Number(b) - Number(a));
  for (const [index, text] of inserts) copy.cells.splice(Number(index) + 1, 0, code(text));
  return copy;
}

const isolated = isolationSupport().bwrap !== null;

// One-cell tampers, each after the imports of a blank (stub) notebook: each deserves 0.
const TAMPERS: Record<string, string> = {
  "attaque-json.ipynb": `const realStringify = JSON.stringify;
(JSON as any).stringify = (value: any, ...rest: any[]) => {
  if (value && typeof value === "object" && Array.isArray(value.tests)) {
    value.status = "passed";
    for (const test of value.tests) { test.passed = true; delete test.message; delete test.todo; }
  }
  return (realStringify as any)(value, ...rest);
};`,
  "attaque-push.ipynb": `const realPush = Array.prototype.push;
Array.prototype.push = function (this: any[], ...items: any[]) {
  for (const item of items) if (item && typeof item === "object" && "passed" in item) { item.passed = true; delete item.message; delete item.todo; }
  return realPush.apply(this, items);
};`,
  "attaque-then.ipynb": `Object.defineProperty(Object.prototype, "then", { configurable: true, get(this: any) {
  if (this && typeof this.exercise === "string" && Array.isArray(this.tests)) {
    const result = this;
    return (resolve: (value: unknown) => void) => {
      delete (Object.prototype as any).then;
      resolve({ ...result, status: "passed", tests: result.tests.map((t: any) => ({ name: t.name, passed: true })) });
    };
  }
  return undefined;
} });
Object.defineProperty(Object.prototype, "toJSON", { configurable: true, get(this: any) {
  if (this && typeof this.exercise === "string" && Array.isArray(this.tests)) {
    const result = this;
    return () => ({ exercise: result.exercise, status: "passed", tests: result.tests.map((t: any) => ({ name: t.name, passed: true })) });
  }
  return undefined;
} });`,
  // Follows tslab's per-cell writer (set by assignment) and rewrites every line on its way out.
  "attaque-stdout.ipynb": `let current: any = process.stdout.write;
const rewrite = (text: string) => text.replace(/"passed":false/g, '"passed":true').replace(/"status":"(todo|failed|missing)"/g, '"status":"passed"');
Object.defineProperty(process.stdout, "write", {
  configurable: true,
  get: () => (chunk: any, ...rest: any[]) => current.call(process.stdout, rewrite(String(chunk)), ...rest),
  set: (writer: any) => { current = writer; },
});`,
  "attaque-require-cache.ipynb": `const noop = () => undefined;
for (const name of ["expect", "check", "grade-cell", "index"]) {
  const file = require.resolve("@llm-course/lib/grading/" + name);
  const cached = require.cache[file];
  if (!cached) continue;
  const fake: any = {};
  for (const key of Object.keys(cached.exports)) fake[key] = noop;
  fake.runExercise = async (exercise: any) => ({ exercise: exercise.id, status: "passed", tests: exercise.tests.map((t: any) => ({ name: t.name, passed: true })) });
  cached.exports = fake;
  for (const key of Object.keys(require(file))) { try { Object.defineProperty(require(file), key, { value: noop }); } catch {} }
}
try { Object.defineProperty(globalThis, "llmCourseGradeCell", { value: async () => undefined }); } catch (error) { console.log("refusé :", String(error)); }`,
};

/** Reads the teacher's files through the checkout: solutions, lib/ (to edit it), tsx's cache, hidden tests. */
const FILES_ATTACK = `import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
const root = ${JSON.stringify(COURSE_ROOT)};
const report: string[] = [];
try { fs.appendFileSync(path.join(root, "node_modules/@llm-course/lib/grading/expect.ts"), "\\n// attaque\\n"); report.push("lib modifiée"); } catch (error: any) { report.push("lib : " + error.code); }
try { const dir = path.join(os.tmpdir(), "tsx-0"); fs.mkdirSync(dir, { recursive: true }); fs.writeFileSync(path.join(dir, "llm-attack-marker"), "poison"); report.push("cache tsx : " + dir); } catch (error: any) { report.push("cache tsx : " + error.code); }
const found: string[] = [];
const walk = (dir: string, depth: number) => {
  if (depth > 4) return;
  let entries: fs.Dirent[] = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "node_modules" && entry.name !== "proc") walk(full, depth + 1);
    else if (entry.name.startsWith("tp99-hidden")) { try { found.push(fs.readFileSync(full, "utf8")); } catch {} }
  }
};
walk(os.tmpdir(), 0);
walk("/tmp", 0);
for (const key of Object.keys(require.cache)) if (key.includes("hidden")) found.push(key);
let solution = "";
for (const file of [path.join(root, "test/fixtures/grading/solutions/tp99-fixture.ipynb"), path.join(root, "solutions/tp01-tokenization.ipynb")]) {
  try { solution += fs.readFileSync(file, "utf8"); } catch (error: any) { report.push("solution : " + error.code); }
}
console.log(report.join(" | "));
if (found.length > 0) throw new Error("FUITE " + found.join(" "));`;
const STOLEN_ADD = `function add(a: number, b: number): number {
  const match = /return a \\+ b;/.exec(solution);
  return match ? a + b : NaN;
}`;

/** Detached processes: one outlives grading, one rewrites the gradebook later, one kills every other process. */
const PROCESS_ATTACK = `import { spawn } from "node:child_process";
spawn("sleep", ["1001"], { detached: true, stdio: "ignore" }).unref();
spawn("sh", ["-c", 'sleep 2; for f in $(find / -name gradebook.json 2>/dev/null); do echo PIRATE > "$f"; done; exec sleep 1002'], { detached: true, stdio: "ignore" }).unref();
spawn("sh", ["-c", 'for i in 1 2 3 4 5 6; do for d in /proc/[0-9]*; do p=${"$"}{d#/proc/}; [ "$p" = "$KERNEL" ] && continue; [ "$p" = "$$" ] && continue; tr "\\0" " " < "$d/cmdline" 2>/dev/null | grep -qE "node|python|jupyter|bwrap" && kill -9 "$p"; done; sleep 0.5; done'], { detached: true, stdio: "ignore", env: { ...process.env, KERNEL: String(process.pid) } }).unref();
console.log("lancés");`;

/** A busy timer left behind by a cell that itself "succeeds". */
const INTERVAL_ATTACK = "setInterval(() => {\n  const start = Date.now();\n  while (Date.now() - start < 60000) {}\n}, 1);";
/**
 * A kernel that grows without limit: 26 arrays of 2^25 slots, 6.5 GiB if nothing stops it. Holey arrays:
 * little CPU per byte, so the limit is reached in seconds even on a loaded machine (filled arrays took
 * over 15 s there, in garbage collections near the limit).
 */
// JavaScript heap on purpose: Buffers and typed arrays live outside it, and only a memory cgroup (root)
// would stop them; a machine without one would really allocate 6.5 GiB.
const MEMORY_ATTACK = "const hog: unknown[][] = [];\nfor (let i = 0; i < 26; i++) hog.push(new Array(2 ** 25));\nconsole.log(hog.length);";

const HIDDEN_SOURCE_MARKERS = ["expectClose(f(0.1, 0.2)", "1e-9", "tp99-hidden"];

function listProcesses(): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      found.push({ pid: Number(entry), cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim() });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

describe("a hostile class", { timeout: 900_000 }, () => {
  let work: string;
  let dir: string;
  let outDir: string;
  let book: Gradebook;
  let seconds = 0;
  const logs: string[] = [];
  const expectFile = path.join(COURSE_ROOT, "lib", "grading", "expect.ts");
  let expectBefore = "";
  const grade = (file: string): NotebookGrade => {
    const found = book.notebooks.find((notebook) => notebook.file === file);
    assert.ok(found, `${file} not in the gradebook: ${book.notebooks.map((n) => n.file).join(", ")}`);
    return found;
  };

  before(async () => {
    if (!isolated) console.log("bubblewrap absent : les attaques contre le correcteur lui-même (processus, fichiers) ne sont pas jouées");
    work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-hostile-"));
    dir = path.join(work, "classe");
    outDir = path.join(work, "notes");
    fs.mkdirSync(path.join(dir, "groupe-b"), { recursive: true });
    const hiddenDir = path.join(work, "caches");
    fs.mkdirSync(hiddenDir);
    fs.copyFileSync(path.join(FIXTURES, "hidden", "tp99-hidden.ts"), path.join(hiddenDir, "tp99-hidden.ts"));
    const write = (name: string, content: Notebook | string | Buffer) =>
      fs.writeFileSync(path.join(dir, name), typeof content === "string" || Buffer.isBuffer(content) ? content : serializeNotebook(content));
    // Controls.
    write("controle-honnete.ipynb", notebook({ solved: true }));
    write("controle-vide.ipynb", notebook());
    write("groupe-b/controle-faux.ipynb", notebook({ solved: true, add: "function add(a: number, b: number): number {\n  return a * b;\n}" }));
    // Attacks.
    for (const [name, tamper] of Object.entries(TAMPERS)) write(name, notebook({ after: { [CELL.imports]: tamper } }));
    write("attaque-fichiers.ipynb", notebook({ add: `${FILES_ATTACK}\n${STOLEN_ADD}` }));
    write("attaque-minuterie.ipynb", notebook({ solved: true, after: { [CELL.add]: INTERVAL_ATTACK } }));
    write("attaque-memoire.ipynb", notebook({ solved: true, after: { [CELL.double]: MEMORY_ATTACK } }));
    if (isolated) write("attaque-processus.ipynb", notebook({ after: { [CELL.imports]: PROCESS_ATTACK } }));
    // Inputs.
    const honest = serializeNotebook(notebook({ solved: true }));
    write("entree-utf16.ipynb", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(honest, "utf16le")]));
    const v4 = notebook({ solved: true });
    const v3 = {
      nbformat: 3,
      nbformat_minor: 0,
      metadata: v4.metadata,
      worksheets: [{ cells: v4.cells.map((cell) => (cell.cell_type === "code" ? { cell_type: "code", input: cell.source, language: "typescript", outputs: [], metadata: cell.metadata } : cell)) }],
    };
    write("entree-nbformat3.ipynb", JSON.stringify(v3));
    write("entree-latin1.ipynb", Buffer.from('{"cells": [], "métadonnées": "é"}', "latin1"));
    fs.symlinkSync("/etc/passwd", path.join(dir, "lien-passwd.ipynb"));
    fs.symlinkSync(path.join(FIXTURES, "solutions", "tp99-fixture.ipynb"), path.join(dir, "lien-solution.ipynb"));
    const otherTp = notebook();
    otherTp.metadata = { ...otherTp.metadata, llm_course: { tp: "tp98", notebook: "tp98-autre", release: 1 } };
    write("nom\navec-saut.ipynb", otherTp);
    write("=HYPERLINK(1).ipynb", "{ pas du json");

    expectBefore = fs.readFileSync(expectFile, "utf8");
    const started = Date.now();
    book = await gradeFolder({
      dir,
      outDir,
      hiddenDir,
      tp: "tp99",
      // Room for the memory attack to reach its cap with 4 kernels on a loaded 2-core machine (9 s alone).
      cellTimeoutSeconds: 30,
      deadlineSeconds: 240,
      interruptGraceSeconds: 1.5,
      jobs: 4,
      limits: { memoryMb: 1024 },
      log: (line) => logs.push(line),
    });
    seconds = (Date.now() - started) / 1000;
    console.log(`classe hostile : ${book.notebooks.length} fichiers notés en ${seconds.toFixed(1)} s`);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("gives the controls their usual scores", () => {
    assert.equal(grade("controle-honnete.ipynb").earned, 6);
    assert.equal(grade("controle-vide.ipynb").earned, 0);
    assert.equal(grade("groupe-b/controle-faux.ipynb").earned, 4);
  });

  it("gives each one-cell tamper the 0 its blank notebook deserves", () => {
    for (const name of Object.keys(TAMPERS)) {
      const graded = grade(name);
      assert.equal(graded.earned, 0, `${name}: ${JSON.stringify(graded.exercises.map((e) => [e.id, e.earned, e.status, e.reason]))}`);
    }
    for (const exercise of grade("attaque-stdout.ipynb").exercises) assert.match(exercise.reason!, /^résultat de notation non authentifié/);
  });

  it("keeps the teacher's files out of reach", { skip: !isolated && "bubblewrap absent" }, () => {
    const files = grade("attaque-fichiers.ipynb");
    assert.equal(files.exercises[0]!.earned, 0, JSON.stringify(files.exercises[0]));
    assert.equal(fs.readFileSync(expectFile, "utf8"), expectBefore);
    const feedback = fs.readdirSync(path.join(outDir, "feedback")).map((name) => fs.readFileSync(path.join(outDir, "feedback", name), "utf8")).join("\n");
    for (const marker of HIDDEN_SOURCE_MARKERS) assert.ok(!feedback.includes(marker), `the feedback shows ${marker}`);
    const tsxCaches = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("tsx-"));
    for (const cache of tsxCaches) assert.ok(!fs.existsSync(path.join(os.tmpdir(), cache, "llm-attack-marker")), `tsx cache ${cache} poisoned`);
  });

  it("names the cell that left a busy timer, and does not blame the others", () => {
    const interval = grade("attaque-minuterie.ipynb");
    assert.equal(interval.earned, 6, JSON.stringify(interval));
    assert.deepEqual(
      interval.cellProblems.map((problem) => problem.cell),
      [CELL.add + 2],
      JSON.stringify(interval.cellProblems),
    );
    assert.match(interval.cellProblems[0]!.summary, /laissé tourner une tâche/);
  });

  it("stops a kernel that grows without limit and says why in French", () => {
    const memory = grade("attaque-memoire.ipynb");
    assert.equal(memory.earned, 6, JSON.stringify(memory));
    assert.equal(memory.cellProblems.length, 1, JSON.stringify(memory.cellProblems));
    assert.match(memory.cellProblems[0]!.summary, /mémoire épuisée : le noyau a dépassé la limite de 1024 Mo/);
  });

  it("refuses links, reads UTF-16 and nbformat 3, refuses other encodings in French, names files safely", () => {
    assert.equal(grade("entree-utf16.ipynb").earned, 6);
    assert.equal(grade("entree-nbformat3.ipynb").earned, 6);
    assert.match(grade("entree-latin1.ipynb").message!, /encodage inconnu/);
    for (const link of ["lien-passwd.ipynb", "lien-solution.ipynb"]) {
      assert.equal(grade(link).earned, 0);
      assert.match(grade(link).message!, /lien symbolique refusé/);
    }
    assert.ok(logs.includes("refusé : lien-passwd.ipynb — lien symbolique refusé : déposez le fichier lui-même, pas un lien"), logs.join("\n"));
    assert.equal(grade("nom?avec-saut.ipynb").status, "wrong_tp");
    const csv = fs.readFileSync(path.join(outDir, "gradebook.csv"), "utf8");
    assert.match(csv, /^'=HYPERLINK\(1\)\.ipynb,0,0,0,0,6$/m);
    assert.match(csv, /^groupe-b\/controle-faux\.ipynb,0,3,1,4,6$/m);
    const feedback = fs.readdirSync(path.join(outDir, "feedback")).sort();
    assert.ok(feedback.includes("nom_avec-saut.md") && feedback.includes("groupe-b__controle-faux.md") && feedback.includes("_HYPERLINK_1_.md"), feedback.join(", "));
    assert.ok(feedback.every((name) => /^[\w.-]+\.md$/.test(name)));
  });

  it("survives the process attacks: nothing left running, the gradebook intact", { skip: !isolated && "bubblewrap absent" }, () => {
    assert.equal(grade("attaque-processus.ipynb").earned, 0);
    assert.deepEqual(listProcesses().filter(({ cmdline }) => /sleep 100[12]|llm-course-kernel/.test(cmdline)), []);
    const json = fs.readFileSync(path.join(outDir, "gradebook.json"), "utf8");
    assert.doesNotMatch(json, /PIRATE/);
    assert.deepEqual(fs.readdirSync(outDir).sort(), [".cache", "feedback", "gradebook.csv", "gradebook.json"]);
    const scratch = fs.existsSync(SCRATCH_ROOT) ? fs.readdirSync(SCRATCH_ROOT).filter((name) => name.startsWith(`run-${process.pid}-`)) : [];
    assert.deepEqual(scratch, []);
  });

  it("runs in bounded time", () => {
    // Measured on a loaded 2-core machine; the bound only catches a run that hangs until its deadlines.
    assert.ok(seconds < 600, `${seconds} s`);
  });
});
