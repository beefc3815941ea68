/**
 * The course's kernel (environment/kernel.cjs) on top of tslab: a cell that does not compile is reported in
 * French (nothing of it ran, its names keep their previous definition) and `staleSubmissionNotice`, which
 * `check` calls, says so until a version of the cell compiles; each cell knows which page sent it; a cell
 * that stops on an unfinished exercise waits, with the cells that use its names, instead of failing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { SCRATCH_ROOT } from "../../lib/grading/grade";
import { executeCells } from "../../lib/grading/executor";
import { TodoError } from "../../lib/grading/todo-error";
import {
  clearCompileFailures, clearWaitingCells, compileFailureNotice, declaredNames, recordCellSuccess, recordCompileResult, recordTodoStop,
  staleSubmissionNotice, waitingDependency,
} from "../../lib/notebook/kernel-session";

const cwd = path.join(SCRATCH_ROOT, `kernel-test-${process.pid}`);
fs.mkdirSync(cwd, { recursive: true });
after(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe("kernel-session without a kernel", () => {
  it("finds the names a cell declares at top level only", () => {
    const source = [
      "// function commented(x) {}",
      "export async function countPairs(text: string): Promise<number> {",
      "  const inner = 1;",
      "  return inner;",
      "}",
      "const table = new Map(), other = 2;",
      "let counter = 0;",
      "class Tokenizer {}",
      "/* class Hidden {} */",
    ].join("\n");
    assert.deepEqual(declaredNames(source), ["countPairs", "table", "counter", "Tokenizer"]);
    assert.deepEqual(declaredNames("const { vectors, lossPerEpoch: losses, ...rest } = model;\nconst [first, , last = 0] = xs;\nlet [a]: number[] = [];"), ["vectors", "losses", "rest", "first", "last", "a"]);
  });

  it("makes the cells that use a stopped cell's names wait, until it runs to the end", () => {
    clearWaitingCells();
    const stopped = "const pairs = buildPairs();\nconst losses = trainSkipGram(pairs);";
    const notice = recordTodoStop(stopped, new TodoError("tp02.skipgram_step", "un pas de skip-gram"));
    assert.equal(notice, "⏸ Cette cellule utilise l'exercice tp02.skipgram_step, qui n'est pas encore fait (« un pas de skip-gram ») : elle s'est arrêtée là, sans erreur de votre part. `pairs`, `losses` ne sont pas encore définis : les cellules qui s'en servent attendront aussi.\nComplétez l'exercice, puis exécutez de nouveau cette cellule.");
    assert.throws(() => recordTodoStop(stopped, new Error("bug")), /not a TodoError/);
    assert.equal(waitingDependency('console.log("pairs", other.pairs); // pairs'), undefined, "a word in a string, a property or a comment is not a use");
    assert.equal(waitingDependency("const pairs = 3;\nconsole.log(pairs);"), undefined, "a cell that declares the name itself does not wait");
    const waits = waitingDependency("const curve = losses.map((l) => l * 2);");
    assert.equal(waits, "⏸ Cellule en attente, non exécutée : elle utilise `losses`, que définit une cellule arrêtée sur l'exercice tp02.skipgram_step (pas encore fait). Complétez l'exercice, exécutez de nouveau cette cellule-là, puis celle-ci.");
    assert.match(waitingDependency("plot(curve);") ?? "", /elle utilise `curve`/, "waiting is transitive");
    recordCellSuccess(stopped);
    recordCellSuccess("const curve = losses.map((l) => l * 2);");
    assert.equal(waitingDependency("plot(curve, losses, pairs);"), undefined, "once the cells ran to the end, nothing waits");
  });

  it("marks a failed cell's names stale until a version compiles", () => {
    clearCompileFailures();
    function countPairs(): number {
      return 0;
    }
    const failure = recordCompileResult("function countPairs() {\n  return x;\n}", [{ line: 2, column: 10, message: "Cannot find name 'x'.", code: 2304 }]);
    assert.deepEqual(failure?.names, ["countPairs"]);
    const notice = staleSubmissionNotice(countPairs);
    assert.match(notice ?? "", /La dernière version de la cellule qui définit `countPairs` n'a pas compilé/);
    assert.match(notice ?? "", /ligne 2, colonne 10 \(TS2304\) : Cannot find name 'x'\.\n {4}→ ce nom n'est déclaré nulle part/);
    assert.equal(staleSubmissionNotice(() => 1), undefined, "an anonymous function is never matched");
    assert.equal(staleSubmissionNotice({ countPairs }), undefined, "only functions and classes are matched by name");
    assert.equal(recordCompileResult("function countPairs() {\n  return 1;\n}", []), null);
    assert.equal(staleSubmissionNotice(countPairs), undefined);
    assert.match(compileFailureNotice(failure!), /^⚠️ Cette cellule n'a pas compilé : TypeScript l'a refusée et aucune de ses lignes n'a été exécutée\. `countPairs` garde sa définition précédente/);
  });
});

describe("the course's kernel", { timeout: 90_000 }, () => {
  it("says in French that a cell did not compile, and check's notice holds until it compiles", async () => {
    const result = await executeCells({
      cwd,
      cellTimeoutSeconds: 60,
      deadlineSeconds: 80,
      cells: [
        { code: 'import { staleSubmissionNotice, currentExecution } from "@llm-course/lib/notebook/kernel-session";\nfunction double(n: number): number {\n  return n + 1;\n}' },
        { code: "function double(n: number): number {\n  return n * deux;\n}" },
        { code: 'console.log(double(5));\nconsole.log(staleSubmissionNotice(double) ?? "à jour");' },
        { code: "function double(n: number): number {\n  return n * 2;\n}" },
        { code: 'console.log(double(5));\nconsole.log(staleSubmissionNotice(double) ?? "à jour");\nconsole.log(currentExecution()?.clientSession !== "");' },
      ],
    });
    assert.deepEqual(result.cells.map((cell) => cell.status), ["ok", "error", "ok", "ok", "ok"]);
    const failed = result.cells[1]!.stderr;
    assert.match(failed, /2:14 - Cannot find name 'deux'/, "tslab's own diagnostic stays");
    assert.match(failed, /⚠️ Cette cellule n'a pas compilé : TypeScript l'a refusée et aucune de ses lignes n'a été exécutée\. `double` garde sa définition précédente/);
    assert.match(failed, /ligne 2, colonne 14 \(TS2304\) : Cannot find name 'deux'\./);
    const stale = result.cells[2]!.stdout;
    assert.match(stale, /^6\n/, "the previous definition (n + 1) is still the one that runs");
    assert.match(stale, /La dernière version de la cellule qui définit `double` n'a pas compilé/);
    assert.equal(result.cells[4]!.stdout, "10\nà jour\ntrue\n");
  });

  it("lets a cell that stops on an unfinished exercise, and the cells that use its names, wait without an error", async () => {
    const stub = 'function cosine(a: number[], b: number[]): number {\n  todo("tp02.cosine_similarity");\n}';
    const result = await executeCells({
      cwd,
      cellTimeoutSeconds: 60,
      deadlineSeconds: 80,
      cells: [
        { code: 'import { todo } from "@llm-course/lib/grading";\n' + stub },
        { code: 'console.log("avant");\nconst similarity = cosine([1, 0], [0, 1]);' },
        { code: "console.log(similarity.toFixed(2));" },
        { code: 'console.log("indépendante");' },
        { code: "throw new Error(\"une vraie erreur\");" },
        { code: "function cosine(a: number[], b: number[]): number {\n  return a.reduce((s, x, i) => s + x * b[i]!, 0);\n}" },
        { code: 'console.log("avant");\nconst similarity = cosine([1, 0], [0, 1]);' },
        { code: "console.log(similarity.toFixed(2));" },
      ],
    });
    assert.deepEqual(result.cells.map((cell) => cell.status), ["ok", "ok", "ok", "ok", "error", "ok", "ok", "ok"]);
    assert.match(result.cells[1]!.stdout, /^avant\n⏸ Cette cellule utilise l'exercice tp02\.cosine_similarity, qui n'est pas encore fait/);
    assert.equal(result.cells[1]!.stderr, "", "no stack trace for an unfinished exercise");
    assert.match(result.cells[2]!.stdout, /^⏸ Cellule en attente, non exécutée : elle utilise `similarity`/);
    assert.equal(result.cells[3]!.stdout, "indépendante\n");
    assert.match(result.cells[4]!.stderr, /une vraie erreur/, "any other error is still an error");
    assert.equal(result.cells[7]!.stdout, "0.00\n", "once the exercise is done, the cells run");
  });
});
