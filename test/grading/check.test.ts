import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";

// The fixture lesson tp99 lives outside exercises/.
process.env.LLM_COURSE_EXERCISES_PATH = path.join(__dirname, "..", "fixtures", "grading", "exercises");

import { check, formatReport, runExercise } from "../../lib/grading/check";
import { clearCompileFailures, recordCompileResult } from "../../lib/notebook/kernel-session";
import { expectEqual } from "../../lib/grading/expect";
import { availableLessons, findExercise, findLessonFile, loadLesson } from "../../lib/grading/lessons";
import { TodoError, isTodoError, todo } from "../../lib/grading/todo";

const add = () => findExercise("tp99.add");

async function printed(fn: () => Promise<unknown>): Promise<{ output: string; value: unknown }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    const value = await fn();
    return { output: lines.join("\n"), value };
  } finally {
    console.log = original;
  }
}

describe("lesson loading", () => {
  it("finds the fixture lesson through LLM_COURSE_EXERCISES_PATH", () => {
    assert.equal(path.basename(findLessonFile("tp99")), "tp99-fixture.ts");
    assert.ok(availableLessons().includes("tp99"));
    assert.deepEqual(loadLesson("tp99").exercises.map((exercise) => exercise.id), ["tp99.add", "tp99.reverse_words", "tp99.double_later"]);
  });

  it("names the problem for unknown lessons and exercises", () => {
    assert.throws(() => loadLesson("tp77"), /TP inconnu « tp77 » : aucun fichier tp77-\*\.ts/);
    assert.throws(() => findExercise("tp99.nope"), /Exercice inconnu « tp99\.nope » \(exercices du tp99 : tp99\.add, tp99\.reverse_words, tp99\.double_later\)/);
    assert.throws(() => findExercise("add"), /"add" is not an exercise id/);
    assert.throws(() => findLessonFile("TP1"), /n'est pas un identifiant de TP/);
  });
});

describe("todo", () => {
  it("throws a TodoError whose French message gives the task", () => {
    assert.throws(
      () => todo("tp99.add"),
      (error: unknown) =>
        error instanceof TodoError &&
        isTodoError(error) &&
        error.message === "À compléter : compléter add(a, b) : renvoyer a + b (exercice tp99.add)" &&
        error.exerciseId === "tp99.add",
    );
  });

  it("an unknown id is a plain error, not an unfinished exercise", () => {
    assert.throws(() => todo("tp99.typo"), (error: unknown) => !isTodoError(error) && /Exercice inconnu « tp99\.typo »/.test(String(error)));
  });
});

describe("runExercise", () => {
  it("gives full marks to a correct submission", async () => {
    const result = await runExercise(add(), (a: number, b: number) => a + b);
    assert.equal(result.status, "passed");
    assert.equal(result.earned, 2);
    assert.equal(result.passed, 2);
    assert.deepEqual(result.tests.map((test) => test.passed), [true, true]);
  });

  it("gives partial credit rounded to 2 decimals, hidden tests included", async () => {
    const extra = { name: "add(1, 1) → 2", run: (f: (a: number, b: number) => number) => expectEqual(f(1, 1), 2) };
    const result = await runExercise(add(), (a: number, b: number) => (a === 2 ? 5 : a * b), { extraTests: [extra] });
    assert.equal(result.status, "partial");
    assert.equal(result.total, 3);
    assert.equal(result.passed, 1);
    assert.equal(result.earned, 0.67);
    assert.equal(result.tests[1]!.message, "attendu : 0, obtenu : -4");
    assert.equal(result.tests[2]!.hidden, true);
  });

  it("reports a wrong kind of submission without running the tests", async () => {
    const result = await runExercise(add(), 42);
    assert.equal(result.status, "missing");
    assert.equal(result.earned, 0);
    assert.equal(result.reason, "« add » doit être une fonction, obtenu : un nombre (42).");
    const undefinedResult = await runExercise(add(), undefined);
    assert.match(undefinedResult.reason!, /« add » n'est pas défini \(undefined\)/);
  });

  it("turns throws, rejections and TodoErrors into failed tests", async () => {
    const thrown = await runExercise(add(), () => {
      throw new RangeError("trop grand");
    });
    assert.equal(thrown.status, "failed");
    assert.equal(thrown.tests[0]!.message, "RangeError : trop grand");

    const stub = await runExercise(add(), () => todo("tp99.add"));
    assert.equal(stub.status, "todo");
    assert.equal(stub.reason, "À compléter : compléter add(a, b) : renvoyer a + b (exercice tp99.add)");
    assert.ok(stub.tests.every((test) => test.todo));

    const rejected = await runExercise(findExercise("tp99.double_later"), async () => {
      throw new Error("réseau");
    });
    assert.equal(rejected.tests[0]!.message, "réseau");
  });

  it("fails a test whose promise never settles after the per-test timeout", async () => {
    const result = await runExercise(findExercise("tp99.double_later"), () => new Promise(() => undefined), { testTimeoutMs: 50 });
    assert.equal(result.status, "failed");
    assert.equal(result.tests[0]!.message, "délai dépassé (0.05 s) : la promesse renvoyée ne s'est jamais terminée.");
  });
});

describe("check", () => {
  it("prints a French report with hints after a failure, and returns undefined", async () => {
    const { output, value } = await printed(() => check("tp99.add", (a: number, b: number) => a - b));
    assert.equal(value, undefined);
    assert.equal(
      output,
      [
        "📝 tp99.add — Additionner deux nombres",
        "  ❌ add(2, 3) → 5",
        "     attendu : 5, obtenu : -1",
        "  ❌ add(-2, 2) → 0",
        "     attendu : 0, obtenu : -4",
        "Score : 0 / 2 points (0/2 tests réussis).",
        "💡 Indice (1 sur 1) :",
        "  • L'opérateur + additionne deux nombres.",
      ].join("\n"),
    );
  });

  it("shows the hints one at a time: the first failure the first hint, the next failure one more", async () => {
    const wrong = (text: string) => text;
    const first = await printed(() => check("tp99.reverse_words", wrong));
    assert.match(first.output, /💡 Indice \(1 sur 2\) :\n  • text\.split\(" "\) découpe en mots\.\n  \(un indice de plus à chaque vérification qui échoue\)$/);
    // A stub and a success do not count as failures.
    await printed(() => check("tp99.reverse_words", () => todo("tp99.reverse_words")));
    const second = await printed(() => check("tp99.reverse_words", wrong));
    assert.match(second.output, /💡 Indices \(2 sur 2\) :\n  • text\.split\(" "\) découpe en mots\.\n  • Array\.prototype\.reverse\(\) inverse un tableau\.$/);
    const third = await printed(() => check("tp99.reverse_words", wrong));
    assert.match(third.output, /💡 Indices \(2 sur 2\) :\n(  • .*\n){1}  • Array\.prototype\.reverse\(\) inverse un tableau\.$/);
  });

  it("says, instead of grading, that the cell defining the submission did not compile", async () => {
    const reverseWords = (text: string) => text.split(" ").reverse().join(" ");
    recordCompileResult("const reverseWords = (text: string) => text.split(' ').reverse().join(' ') +;", [{ line: 1, column: 78, message: "Expression expected.", code: 1109 }]);
    try {
      const { output } = await printed(() => check("tp99.reverse_words", reverseWords));
      assert.match(output, /La dernière version de la cellule qui définit `reverseWords` n'a pas compilé/);
      assert.match(output, /ligne 1, colonne 78/);
      assert.doesNotMatch(output, /✅/, "the previous definition is not graded");
    } finally {
      clearCompileFailures();
    }
    const { output } = await printed(() => check("tp99.reverse_words", reverseWords));
    assert.match(output, /✅/, "graded again once the cell compiles");
  });

  it("celebrates full marks", async () => {
    const { output } = await printed(() => check("tp99.reverse_words", (text: string) => text.split(" ").reverse().join(" ")));
    assert.match(output, /🎉 Tous les tests passent : 3 \/ 3 points\.$/);
  });

  it("says ⏳ pas encore fait for a stub, without hints", async () => {
    const { output } = await printed(() => check("tp99.add", () => todo("tp99.add")));
    assert.equal(output, "📝 tp99.add — Additionner deux nombres\n  ⏳ pas encore fait : compléter add(a, b) : renvoyer a + b\nScore : 0 / 2 points (0/2 tests réussis).");
  });

  it("never throws: unknown ids and odd submissions become messages", async () => {
    const unknown = await printed(() => check("tp99.nope", () => 1));
    assert.match(unknown.output, /^⚠️ check : Exercice inconnu « tp99\.nope »/);
    const wrongKind = await printed(() => check("tp99.add", "add"));
    assert.match(wrongKind.output, /❌ « add » doit être une fonction, obtenu : une chaîne \("add"\)\./);
    const notAnId = await printed(() => check(undefined as unknown as string, 1));
    assert.match(notAnId.output, /^⚠️ check : /);
  });

  it("formatReport marks hidden tests", () => {
    const text = formatReport({
      exercise: "tp99.add",
      title: "Additionner deux nombres",
      status: "partial",
      earned: 1,
      max: 2,
      passed: 1,
      total: 2,
      tests: [
        { name: "visible", passed: true },
        { name: "caché", passed: false, message: "attendu : 1, obtenu : 2", hidden: true },
      ],
      hints: [],
    });
    assert.equal(text, "📝 tp99.add — Additionner deux nombres\n  ✅ visible\n  ❌ caché (test caché)\n     attendu : 1, obtenu : 2\nScore : 1 / 2 points (1/2 tests réussis).");
  });
});
