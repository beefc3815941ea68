/**
 * Grading a class in shards, as an Indexed Job would (environment/grading-job.yaml), simulated locally: three
 * `--shard i/3` runs and a merge give the same bytes as one run over the whole folder, and that run,
 * handed the shards' caches, grades nothing again (resumable). Two notebooks run a kernel; the others are
 * refused or of another TP, so the simulation costs two kernel runs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

const FIXTURES = path.join(__dirname, "..", "fixtures", "grading");
process.env.LLM_COURSE_EXERCISES_PATH = path.join(FIXTURES, "exercises");

import { gradeFolder, mergeGradebooks, shardOf } from "../../lib/grading/grade";

const SHARDS = 3;

function outputs(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of ["gradebook.csv", "gradebook.json"]) files.set(name, fs.readFileSync(path.join(dir, name), "utf8"));
  for (const name of fs.readdirSync(path.join(dir, "feedback")).sort()) files.set(`feedback/${name}`, fs.readFileSync(path.join(dir, "feedback", name), "utf8"));
  return files;
}

describe("sharded grading and merge", { timeout: 600_000 }, () => {
  let work: string;
  let dir: string;
  const logs: string[] = [];
  const options = { cellTimeoutSeconds: 15, interruptGraceSeconds: 1.5, tp: "tp99", log: (line: string) => logs.push(line) };

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-shards-"));
    dir = path.join(work, "classe");
    fs.mkdirSync(path.join(dir, "groupe"), { recursive: true });
    const submissions = path.join(FIXTURES, "submissions");
    fs.copyFileSync(path.join(submissions, "01-correct.ipynb"), path.join(dir, "alice.ipynb"));
    fs.copyFileSync(path.join(submissions, "05-throws.ipynb"), path.join(dir, "groupe", "bob.ipynb"));
    for (const name of ["carole", "david", "emma", "farid", "gaelle"]) fs.copyFileSync(path.join(submissions, "10-wrong-tp.ipynb"), path.join(dir, `${name}.ipynb`));
    fs.copyFileSync(path.join(submissions, "09-corrupt.ipynb"), path.join(dir, "groupe", "hugo.ipynb"));
    fs.symlinkSync("/etc/passwd", path.join(dir, "ines.ipynb"));
    for (let index = 1; index <= SHARDS; index++) {
      await gradeFolder({ ...options, dir, outDir: path.join(work, `shard-${index}`), shard: { index, count: SHARDS } });
    }
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("spreads the class over the shards, each file in exactly one", () => {
    const names = ["alice.ipynb", "groupe/bob.ipynb", "carole.ipynb", "david.ipynb", "emma.ipynb", "farid.ipynb", "gaelle.ipynb", "groupe/hugo.ipynb", "ines.ipynb"];
    const counts = Array.from({ length: SHARDS }, (_, shard) => names.filter((name) => shardOf(name, SHARDS) === shard + 1).length);
    assert.equal(counts.reduce((a, b) => a + b, 0), names.length);
    const graded = Array.from({ length: SHARDS }, (_, shard) => JSON.parse(fs.readFileSync(path.join(work, `shard-${shard + 1}`, "gradebook.json"), "utf8")).notebooks.length as number);
    assert.deepEqual(graded, counts);
  });

  it("merges into the bytes of one run over the whole folder, which reuses the shards' grades", async () => {
    const merged = path.join(work, "fusion");
    const book = mergeGradebooks(Array.from({ length: SHARDS }, (_, shard) => path.join(work, `shard-${shard + 1}`)), merged);
    assert.equal(book.notebooks.length, 9);
    assert.equal(book.notebooks.find((notebook) => notebook.file === "alice.ipynb")!.earned, 6);
    assert.equal(book.notebooks.find((notebook) => notebook.file === "groupe/bob.ipynb")!.earned, 3);
    const whole = path.join(work, "entier");
    fs.mkdirSync(path.join(whole, ".cache"), { recursive: true });
    for (let shard = 1; shard <= SHARDS; shard++) {
      const cache = path.join(work, `shard-${shard}`, ".cache");
      for (const name of fs.readdirSync(cache)) fs.copyFileSync(path.join(cache, name), path.join(whole, ".cache", name));
    }
    logs.length = 0;
    await gradeFolder({ ...options, dir, outDir: whole });
    assert.equal(logs.filter((line) => line.endsWith("déjà noté (mêmes entrées)")).length, 9, logs.join("\n"));
    assert.deepEqual(outputs(whole), outputs(merged));
  });

  it("refuses to merge a shard twice", () => {
    assert.throws(() => mergeGradebooks([path.join(work, "shard-1"), path.join(work, "shard-1")], path.join(work, "double")), /is in two shards/);
  });
});
