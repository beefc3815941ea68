import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

process.env.LLM_COURSE_EXERCISES_PATH = path.join(__dirname, "..", "fixtures", "grading", "exercises");

import { checkCallIds, declaresSymbol, importsTodo, isCheckOnly, stripComments } from "../../lib/grading/cells";
import { cellSource, readNotebook, serializeNotebook, splitSource, type Notebook, type NotebookCell } from "../../lib/grading/notebook-file";
import type { LessonSpec } from "../../lib/grading/spec";
import { RELEASE_FORMAT, planRelease, releaseNotebook, writeRelease } from "../../lib/grading/release";

const FIXTURES = path.join(__dirname, "..", "fixtures", "grading");
const SOLUTION = path.join(FIXTURES, "solutions", "tp99-fixture.ipynb");

const code = (text: string, metadata: NotebookCell["metadata"] = {}): NotebookCell => ({
  cell_type: "code",
  metadata,
  source: splitSource(text),
  outputs: [{ output_type: "stream", name: "stdout", text: ["x\n"] }],
  execution_count: 3,
});
const notebook = (...cells: NotebookCell[]): Notebook => ({ nbformat: 4, nbformat_minor: 4, metadata: {}, cells });
const IMPORT = code('import { check, todo } from "@llm-course/lib/grading";');
/** A one-exercise lesson, so that each rejection test is about one thing. */
const LESSON: LessonSpec = {
  tp: "tp99",
  notebook: "tp99-fixture",
  title: "t",
  exercises: [{ id: "tp99.add", title: "a", symbol: "add", kind: "function", points: 1, task: "t", hints: [], tests: [{ name: "n", run: () => undefined }] }],
};

describe("cell scanning", () => {
  it("finds check ids, ignoring comments", () => {
    assert.deepEqual(checkCallIds('await check("tp01.count_pairs", countPairs);\n// check("tp01.old", f)\ncheck(\'tp01.b\', g)'), ["tp01.count_pairs", "tp01.b"]);
    assert.equal(stripComments('a /* x */ "// kept" // gone'), 'a         "// kept" ');
  });

  it("recognises cells made only of check calls", () => {
    assert.ok(isCheckOnly('await check("tp01.a", f);'));
    assert.ok(isCheckOnly('// vérification\nawait check("tp01.a", (x) => f(x, [1, 2]));\ncheck("tp01.b", g)\n'));
    assert.ok(!isCheckOnly('const check = () => 1;\nawait check("tp01.a", f);'));
    assert.ok(!isCheckOnly('await check("tp01.a", f); console.log(f(1))'));
    assert.ok(!isCheckOnly("// rien\n"));
  });

  it("finds top-level declarations of a symbol", () => {
    assert.ok(declaresSymbol("function add(a: number) {}", "add"));
    assert.ok(declaresSymbol("export async function add<T>(a: T) {}", "add"));
    assert.ok(declaresSymbol("const add = (a: number) => a;", "add"));
    assert.ok(declaresSymbol("let add: (a: number) => number;", "add"));
    assert.ok(!declaresSymbol("  const add = 1;", "add"));
    assert.ok(!declaresSymbol("const addAll = 1;", "add"));
    assert.ok(!declaresSymbol("// function add() {}", "add"));
    assert.ok(importsTodo('import { check, todo } from "@llm-course/lib/grading";'));
    assert.ok(!importsTodo('import { check } from "@llm-course/lib/grading";'));
  });
});

describe("releaseNotebook", () => {
  const solution = readNotebook(SOLUTION);
  const released = releaseNotebook(solution, "tp99-fixture.ipynb");

  it("replaces each solution region by one todo line with the region's indentation", () => {
    assert.equal(cellSource(released.cells[3]!), 'function add(a: number, b: number): number {\n  todo("tp99.add");\n}');
    assert.equal(cellSource(released.cells[10]!), 'async function doubleLater(x: number): Promise<number> {\n  todo("tp99.double_later");\n}');
    assert.deepEqual(released.cells[6]!.source, ["function reverseWords(text: string): string {\n", '  todo("tp99.reverse_words");\n', "}"]);
  });

  it("writes the metadata the grader reads", () => {
    assert.deepEqual(released.metadata.llm_course, { tp: "tp99", notebook: "tp99-fixture", release: RELEASE_FORMAT });
    assert.deepEqual(released.cells[3]!.metadata, { llm_course: { role: "exercise", exercise: "tp99.add" } });
    assert.deepEqual(released.cells[4]!.metadata, { llm_course: { role: "check", exercise: "tp99.add" }, editable: false, deletable: false });
    assert.deepEqual(released.cells[1]!.metadata, {});
    assert.deepEqual(released.metadata.kernelspec, solution.metadata.kernelspec);
  });

  it("clears outputs and execution counts, and is byte-deterministic", () => {
    const withOutputs = notebook(IMPORT, code("function add(): number {\n    // BEGIN SOLUTION\n    return 1;\n    // END SOLUTION\n}"), code('await check("tp99.add", add);'));
    const out = releaseNotebook(withOutputs, "tp99-fixture.ipynb", LESSON);
    for (const cell of out.cells) {
      assert.deepEqual(cell.outputs, []);
      assert.equal(cell.execution_count, null);
    }
    assert.equal(cellSource(out.cells[1]!), 'function add(): number {\n    todo("tp99.add");\n}');
    const text = serializeNotebook(out);
    assert.equal(serializeNotebook(releaseNotebook(withOutputs, "tp99-fixture.ipynb", LESSON)), text);
    assert.ok(text.startsWith('{\n "cells": [\n  {\n   "cell_type": "code",'));
    assert.ok(text.endsWith("}\n"));
  });

  it("rejects what would leak a solution or break the student notebook", () => {
    const release = (...cells: NotebookCell[]) => releaseNotebook(notebook(...cells), "tp99-fixture.ipynb", LESSON);
    const region = "function add(a: number, b: number): number {\n  // BEGIN SOLUTION\n  return a + b;\n  // END SOLUTION\n}";
    assert.throws(() => release(IMPORT, code(region)), /tp99-fixture\.ipynb, cell 2: cannot find the exercise id of this solution region/);
    assert.throws(
      () => release(IMPORT, code(region), code(region), code('await check("tp99.add", add);')),
      /tp99-fixture\.ipynb, cell 2: cannot find the exercise id/,
    );
    assert.throws(() => release(IMPORT, code("// BEGIN SOLUTION\nreturn 1;"), code('check("tp99.add", add)')), /cell 2, line 1: "\/\/ BEGIN SOLUTION" is never closed/);
    assert.throws(() => release(IMPORT, code("return 1;\n// END SOLUTION"), code('check("tp99.add", add)')), /cell 2, line 2: "\/\/ END SOLUTION" without/);
    assert.throws(() => release(IMPORT, code("// BEGIN SOLUTION: add\n"), code('check("tp99.add", add)')), /malformed marker/);
    assert.throws(() => release(code(region), code('await check("tp99.add", add);')), /no cell before the first exercise \(cell 1\) imports it/);
    assert.throws(() => release(IMPORT, code(region), code('await check("tp99.sub", add);')), /check\("tp99\.sub", …\) names no exercise of the tp99 spec/);
    assert.throws(
      () => release(IMPORT, code("// BEGIN SOLUTION\nfunction add(a: number, b: number) { return a + b; }\n// END SOLUTION"), code('await check("tp99.add", add);')),
      /no cell of tp99\.add declares "add" at top level/,
    );
    assert.throws(() => release(IMPORT, code(`${region}\nawait check("tp99.add", add);`)), /must not call check/);
    assert.throws(() => releaseNotebook(notebook(IMPORT), "tp01 tokens.ipynb"), /name must look like "tp01-topic\.ipynb"/);
  });

  it("requires a check cell for every exercise of the spec", () => {
    const partial = { ...solution, cells: solution.cells.slice(0, 5) };
    assert.throws(() => releaseNotebook(partial, "tp99-fixture.ipynb"), /exercise tp99\.reverse_words of the tp99 spec has no check cell/);
  });
});

describe("planRelease / writeRelease", () => {
  it("detects stale, missing and orphan notebooks, and writes only what changed", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "llm-release-"));
    const solutionsDir = path.join(root, "solutions");
    const notebooksDir = path.join(root, "notebooks");
    fs.mkdirSync(solutionsDir);
    fs.copyFileSync(SOLUTION, path.join(solutionsDir, "tp99-fixture.ipynb"));
    try {
      const first = planRelease({ solutionsDir, notebooksDir });
      assert.deepEqual(first.stale, [path.join(notebooksDir, "tp99-fixture.ipynb")]);
      assert.deepEqual(writeRelease(first), first.stale);
      assert.deepEqual(planRelease({ solutionsDir, notebooksDir }).stale, []);

      // A change in the solution makes the student notebook stale.
      const changed = readNotebook(path.join(solutionsDir, "tp99-fixture.ipynb"));
      changed.cells[0]!.source = ["# TP 99 — nouveau titre"];
      fs.writeFileSync(path.join(solutionsDir, "tp99-fixture.ipynb"), serializeNotebook(changed));
      assert.equal(planRelease({ solutionsDir, notebooksDir }).stale.length, 1);

      fs.writeFileSync(path.join(notebooksDir, "tp98-old.ipynb"), "{}");
      assert.deepEqual(planRelease({ solutionsDir, notebooksDir }).orphans, [path.join(notebooksDir, "tp98-old.ipynb")]);
      assert.deepEqual(fs.readdirSync(notebooksDir).filter((name) => name.endsWith(".tmp")), []);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
