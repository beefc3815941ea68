/**
 * The course's kernel (environment/kernel.cjs) on top of tslab: a cell that does not compile is reported in
 * French (nothing of it ran, its names keep their previous definition) and `staleSubmissionNotice`, which
 * `check` calls, says so until a version of the cell compiles; each cell knows which page sent it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { SCRATCH_ROOT } from "../../lib/grading/grade";
import { executeCells } from "../../lib/grading/executor";
import { compileFailureNotice, declaredNames, recordCompileResult, staleSubmissionNotice, clearCompileFailures } from "../../lib/notebook/kernel-session";

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
});
