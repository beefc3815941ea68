/**
 * The README's newcomer path, command by command as written in « Démarrage rapide »: `npm install` is what
 * CI's set-up just ran (`npm ci` from the same lock file), `npm start` is run literally (plus `--no-browser`
 * and a known port and token, which it passes to Jupyter) and must serve the notebook the README says to
 * open, with the course's kernel; `npm test` is the command running this test. The browser tests
 * (test/browser) then run a notebook and the book as a student would.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { PATHS } from "../../lib/env";
import { freePort } from "../browser/browser";

const readme = fs.readFileSync(path.join(PATHS.root, "README.md"), "utf8");
const quickStart = readme.slice(readme.indexOf("## Démarrage rapide"), readme.indexOf("\n## ", readme.indexOf("## Démarrage rapide") + 5));

test("the README's quick start lists npm install, npm start, npm test, and names a notebook that exists", () => {
  const block = /```sh\n([\s\S]*?)```/.exec(quickStart);
  assert.ok(block, "« Démarrage rapide » has a sh block");
  const commands = block[1]!.split("\n").map((line) => line.replace(/#.*$/, "").trim()).filter(Boolean);
  assert.deepEqual(commands, ["npm install", "npm start", "npm test"]);
  const scripts = (JSON.parse(fs.readFileSync(path.join(PATHS.root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  for (const name of ["start", "test", "book"]) assert.ok(scripts[name], `package.json has no "${name}" script`);
  const opened = /Ouvrez `(notebooks\/[^`]+\.ipynb)`/.exec(quickStart);
  assert.ok(opened && fs.existsSync(path.join(PATHS.root, opened[1]!)), `the notebook the README opens exists (${opened?.[1]})`);
  assert.match(quickStart, /`npm run book`, puis ouvrez\s+`out\/book\/index\.html`/);
});

test("`npm start` serves the README's first notebook with the course's kernel", { timeout: 90_000 }, async () => {
  const notebook = /Ouvrez `notebooks\/([^`]+\.ipynb)`/.exec(quickStart)![1]!;
  const port = await freePort();
  const token = `readme-${process.pid}`;
  const npm = spawn("npm", ["start", "--", "--no-browser", `--port=${port}`, `--NotebookApp.token=${token}`], {
    cwd: PATHS.root,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  npm.stdout.on("data", (chunk) => (log += String(chunk)));
  npm.stderr.on("data", (chunk) => (log += String(chunk)));
  try {
    const base = `http://127.0.0.1:${port}`;
    const started = Date.now();
    let contents: { name?: string; content?: { metadata?: { kernelspec?: { name?: string } } } } | undefined;
    while (!contents) {
      contents = await fetch(`${base}/api/contents/${notebook}?token=${token}`).then((r) => (r.ok ? r.json() : undefined), () => undefined) as typeof contents;
      if (contents) break;
      assert.ok(Date.now() - started < 60_000 && npm.exitCode === null, `npm start did not serve ${notebook}:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.equal(contents.name, notebook);
    const kernel = contents.content?.metadata?.kernelspec?.name;
    const specs = (await fetch(`${base}/api/kernelspecs?token=${token}`).then((r) => r.json())) as { kernelspecs: Record<string, { spec: { display_name: string; argv: string[] } }> };
    const spec = specs.kernelspecs[kernel ?? ""];
    assert.ok(spec, `the notebook's kernel "${kernel}" is registered (${Object.keys(specs.kernelspecs).join(", ")})`);
    assert.equal(spec.spec.display_name, "TypeScript (cours LLM)");
    assert.equal(spec.spec.argv[1], path.join(PATHS.root, "environment", "kernel.cjs"));
    assert.match(log, /Registered the "tslab" kernel for this checkout/);
  } finally {
    if (npm.pid) process.kill(-npm.pid, "SIGTERM");
  }
});
