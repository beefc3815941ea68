import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { PATHS } from "../../lib/env";
// @ts-expect-error -- environment/ holds plain ES modules run by node before anything is installed
import { notebookServerArgs } from "../../environment/jupyter.mjs";

test("npm start opens notebooks/, or solutions/ with --solutions, or the --notebook-dir given; other flags go to Jupyter", () => {
  const args = notebookServerArgs as (flags: string[], options?: { root?: boolean }) => string[];
  assert.deepEqual(args([]), ["-m", "notebook", `--notebook-dir=${path.join(PATHS.root, "notebooks")}`]);
  assert.deepEqual(args(["--solutions", "--no-browser"]), ["-m", "notebook", `--notebook-dir=${path.join(PATHS.root, "solutions")}`, "--no-browser"]);
  assert.deepEqual(args(["--port=9999"], { root: true }).slice(-2), ["--port=9999", "--allow-root"]);
  assert.deepEqual(args(["--notebook-dir=/tmp/classe", "--solutions"]), ["-m", "notebook", "--notebook-dir=/tmp/classe"]);
  assert.equal(args(["--allow-root"], { root: true }).filter((a) => a === "--allow-root").length, 1);
});
