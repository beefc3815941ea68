#!/usr/bin/env node
// `npm test`: type-check the whole course, then every test under test/ with node's test runner, in fast mode.
// Benchmarks (bench/), model rebuilding and full-mode runs are not part of it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { COURSE_ROOT, jupyterEnv, registerKernel, requireJupyterPython } from "./jupyter.mjs";

requireJupyterPython();
registerKernel({ quiet: true });

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : testFiles(full);
    return entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

const filter = process.argv.slice(2);
const files = testFiles(path.join(COURSE_ROOT, "test"))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort();
if (files.length === 0) {
  console.error(`No test file matches ${filter.join(" ")}`);
  process.exit(1);
}

const run = (command, args) =>
  spawnSync(command, args, { cwd: COURSE_ROOT, stdio: "inherit", env: jupyterEnv({ LLM_COURSE_FAST: "1" }) }).status ?? 1;

if (filter.length === 0 && run(process.execPath, [path.join(COURSE_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"]) !== 0) {
  console.error("Type check failed (npm run typecheck).");
  process.exit(1);
}
process.exit(run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files.map((f) => path.relative(COURSE_ROOT, f))]));
