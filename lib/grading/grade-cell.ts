/**
 * The kernel side of the grader. Its first cell, before any student code:
 *   import { installGrader as llmCourseInstallGrader } from "@llm-course/lib/grading/grade-cell";
 *   llmCourseInstallGrader("<payload file>");
 * reads the payload the driver wrote for this kernel (key, nonce, TP, the hidden tests' compiled code) and
 * deletes it, loads the lesson, snapshots the built-ins (intrinsics.ts) and defines a non-writable global
 * `llmCourseGradeCell`. After each exercise cell the grader injects
 *   await (globalThis as any).llmCourseGradeCell("tp01.count_pairs", () => countPairs, 5000);
 * which prints one line `<nonce><JSON result>\t<HMAC-SHA-256(key, nonce + JSON)>`. The key never reaches the
 * notebook's code (it lives in this closure), so a printed or rewritten line fails authentication and scores
 * 0, like a missing one. Before running the tests, after each test and right before writing, the built-ins
 * are put back as they were at setup (about 2 ms each time, so not after every call of the student's
 * function); a test counts as passed only if both runExercise and this module's own record of the test's
 * end say so.
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";
import { PATHS } from "../env";
import { errorMessage, runExercise } from "./check";
import { validateHiddenTests, type HiddenTests } from "./hidden";
import { hexBytes, hmacSha256Hex } from "./hmac";
import { snapshotIntrinsics } from "./intrinsics";
import { loadLesson } from "./lessons";
import type { ExerciseTest } from "./spec";

/** The global the injected grading cells call. */
export const GRADE_FUNCTION = "llmCourseGradeCell";

/** What the grader passes to the kernel, once per kernel, through a file only that kernel sees. */
export interface GradingPayload {
  /** HMAC key, hex. */
  key: string;
  nonce: string;
  tp: string;
  /** The hidden tests compiled to CommonJS (hidden.ts `compileHiddenTests`), by file name. */
  hidden: Record<string, string>;
}

/** One test of a result line. */
export interface GradedTest {
  name: string;
  passed: boolean;
  message?: string;
  todo?: boolean;
  hidden?: boolean;
}

/** A result line: the tests' outcomes, or the failure of the grading itself (bad spec, locked built-in). */
export type GradeCellOutput =
  | { exercise: string; status: string; tests: GradedTest[]; reason?: string }
  | { exercise: string; error: string };

// Captured when this module loads, in the setup cell, before any student code.
const stringify = JSON.stringify;
const promiseThen: <T>(promise: Promise<T>, ok: (value: T) => unknown, fail: (error: unknown) => unknown) => Promise<unknown> =
  Function.prototype.call.bind(Promise.prototype.then) as never;
const getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const defineProperty = Object.defineProperty;

/** An own data property's value (never a getter, never inherited). */
function own(target: unknown, key: string): unknown {
  if ((typeof target !== "object" && typeof target !== "function") || target === null) return undefined;
  const descriptor = getOwnPropertyDescriptor(target, key);
  return descriptor !== undefined && getOwnPropertyDescriptor(descriptor, "value") !== undefined ? descriptor.value : undefined;
}

/** Evaluates the compiled hidden tests; they `require("@llm-course/lib/grading")` from the checkout. */
function evaluateHiddenTests(compiled: Record<string, string>, tp: string): HiddenTests {
  const requireFromCourse = Module.createRequire(path.join(PATHS.root, "package.json"));
  const records: Array<[string, unknown]> = [];
  for (const name of Object.keys(compiled).sort()) {
    const wrapper = vm.runInThisContext(`(function (exports, require, module) {"use strict";\n${compiled[name]}\n})`, { filename: `tests-caches/${name}` }) as (
      exports: unknown,
      require: NodeRequire,
      module: { exports: unknown },
    ) => void;
    const module = { exports: {} as unknown };
    wrapper(module.exports, requireFromCourse, module);
    records.push([name, module.exports]);
  }
  return validateHiddenTests(records, tp);
}

/** Installs the grading function; called once per kernel by the grader's setup cell. */
export function installGrader(payloadFile: string): void {
  const payload = JSON.parse(fs.readFileSync(payloadFile, "utf8")) as GradingPayload;
  fs.rmSync(payloadFile, { force: true });
  const key = hexBytes(payload.key);
  const nonce = payload.nonce;
  let setupError: string | null = null;
  let lesson: ReturnType<typeof loadLesson> | null = null;
  let hidden: HiddenTests = {};
  try {
    lesson = loadLesson(payload.tp, { fresh: true });
    hidden = evaluateHiddenTests(payload.hidden, payload.tp);
  } catch (error) {
    setupError = errorMessage(error);
  }
  const snapshot = snapshotIntrinsics();

  const write = (output: GradeCellOutput) => {
    // Synchronous from the last restore to the write: no notebook code can run in between.
    snapshot.restore();
    const json = stringify(output);
    process.stdout.write(`\n${nonce}${json}\t${hmacSha256Hex(key, nonce + json)}\n`);
  };

  const grade = async (exerciseId: string, getSubmission: () => unknown, testTimeoutMs: number): Promise<void> => {
    const before = snapshot.restore();
    try {
      if (before.tampered !== null) {
        write({ exercise: exerciseId, error: `un objet natif a été verrouillé par le notebook (${before.tampered}) : notation impossible` });
        return;
      }
      const exercise = lesson?.exercises.find((candidate) => candidate.id === exerciseId);
      if (!exercise) {
        write({ exercise: exerciseId, error: setupError ?? `exercice inconnu « ${exerciseId} »` });
        return;
      }
      let submission: unknown;
      try {
        submission = getSubmission();
      } catch {
        // A `let` still in its temporal dead zone: same as not defined.
        submission = undefined;
      }
      snapshot.restore();
      // Each test's end as this module saw it: runExercise's own bookkeeping runs next to notebook code.
      const finished: boolean[] = [];
      const record = (index: number, test: ExerciseTest<any>): ExerciseTest<any> => ({
        name: test.name,
        run: (value: unknown) => {
          let returned: unknown;
          try {
            returned = test.run(value);
          } catch (error) {
            snapshot.restore();
            throw error;
          }
          snapshot.restore();
          if (returned instanceof Promise) {
            return promiseThen(
              returned,
              () => {
                snapshot.restore();
                defineProperty(finished, index, { value: true, enumerable: true, configurable: true, writable: true });
              },
              (error) => {
                snapshot.restore();
                throw error;
              },
            ) as Promise<void>;
          }
          defineProperty(finished, index, { value: true, enumerable: true, configurable: true, writable: true });
          return returned as void;
        },
      });
      const visible = exercise.tests.map((test, index) => record(index, test));
      const extra = (hidden[exerciseId] ?? []).map((test, index) => record(visible.length + index, test));
      const result = await runExercise({ ...exercise, tests: visible }, submission, { extraTests: extra, testTimeoutMs });
      snapshot.restore();
      const reported = own(result, "tests");
      const names = [...visible, ...extra];
      const tests: GradedTest[] = [];
      for (let index = 0; index < names.length; index++) {
        const outcome = own(reported, String(index));
        const passed = own(outcome, "name") === names[index]!.name && own(outcome, "passed") === true && own(finished, String(index)) === true;
        const test: GradedTest = { name: names[index]!.name, passed };
        const message = own(outcome, "message");
        if (!passed) test.message = typeof message === "string" ? message : "résultat du test manquant";
        if (own(outcome, "todo") === true) test.todo = true;
        if (index >= visible.length) test.hidden = true;
        tests.push(test);
      }
      const status = own(result, "status");
      const reason = own(result, "reason");
      const output: GradeCellOutput = { exercise: exerciseId, status: typeof status === "string" ? status : "failed", tests };
      if (typeof reason === "string") output.reason = reason;
      write(output);
    } catch (error) {
      write({ exercise: exerciseId, error: errorMessage(error) });
    } finally {
      snapshot.undo(before);
    }
  };
  defineProperty(globalThis, GRADE_FUNCTION, { value: grade, writable: false, enumerable: false, configurable: false });
}
