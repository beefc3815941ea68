/**
 * The headless executor on its own: errors do not abort the next cell (tslab's 200 ms window), a cell
 * that blocks the event loop is killed at the notebook's hard deadline and the rest is reported not run.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { SCRATCH_ROOT } from "../../lib/grading/grade";
import { executeCells } from "../../lib/grading/executor";

const cwd = path.join(SCRATCH_ROOT, `executor-test-${process.pid}`);
fs.mkdirSync(cwd, { recursive: true });
after(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe("executeCells", { timeout: 60_000 }, () => {
  it("runs on after errors, and kills the kernel at the notebook deadline", async () => {
    const started = Date.now();
    const result = await executeCells({
      cwd,
      cellTimeoutSeconds: 60,
      deadlineSeconds: 8,
      cells: [
        { code: 'import { isFastMode } from "@llm-course/lib/env";\nconst x = 20;\nconsole.log("rapide :", isFastMode());' },
        { code: 'throw new Error("boum");' },
        { code: "console.log(x + 1);" },
        { code: "await Promise.resolve();\nwhile (true) {}" },
        { code: 'console.log("jamais");' },
      ],
    });
    const seconds = (Date.now() - started) / 1000;
    assert.deepEqual(result.cells.map((cell) => cell.status), ["ok", "error", "ok", "timeout", "not_run"]);
    assert.equal(result.cells[0]!.stdout, "rapide : true\n");
    assert.match(result.cells[1]!.stderr, /Error: boum/);
    assert.equal(result.cells[2]!.stdout, "21\n");
    assert.equal(result.fatal, undefined);
    assert.ok(seconds < 20, `took ${seconds} s`);
  });
});
