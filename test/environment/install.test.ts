/**
 * `npm install` prints no warning of ours: every install script in the lock file is reviewed by
 * package.json's `allowScripts` (npm 11 warns about the others, and runs them), and npm reads the
 * project's .npmrc without an "Unknown project config" warning.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { PATHS } from "../../lib/env";

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(PATHS.root, file), "utf8")) as Record<string, unknown>;

test("every package with an install script is allowed or denied in package.json's allowScripts", () => {
  const allowScripts = (readJson("package.json").allowScripts ?? {}) as Record<string, boolean>;
  const packages = readJson("package-lock.json").packages as Record<string, { hasInstallScript?: boolean }>;
  const withScripts = Object.entries(packages)
    .filter(([location, entry]) => location !== "" && entry.hasInstallScript === true)
    .map(([location]) => location.slice(location.lastIndexOf("node_modules/") + "node_modules/".length));
  assert.ok(withScripts.length > 0, "the lock file has packages with install scripts (esbuild at least)");
  const unreviewed = [...new Set(withScripts)].filter((name) => typeof allowScripts[name] !== "boolean");
  assert.deepEqual(unreviewed, [], "add these to allowScripts (true to run their script, false to skip it)");
  // onnxruntime-node's script downloads CUDA binaries from outside the npm registry: it must not run.
  assert.equal(allowScripts["onnxruntime-node"], false);
});

test("npm reads the project's .npmrc without a warning", () => {
  const npm = spawnSync("npm", ["config", "get", "fund"], { cwd: PATHS.root, encoding: "utf8" });
  assert.equal(npm.status, 0, npm.stderr);
  assert.equal(npm.stdout.trim(), "false");
  assert.doesNotMatch(npm.stderr, /warn/i);
});
