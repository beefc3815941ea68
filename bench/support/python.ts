/**
 * Running a benchmark's Python reference (bench/<name>_reference.py): the job goes in as a JSON file, each
 * result comes back as one JSON line on stdout.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Writes `job` to `jobFile`, runs bench/`script` on it with `python` (Debian's /usr/bin/python3 has
 * python3-torch; another interpreter may lack it) and returns the JSON lines it printed, in order. Throws with
 * the end of its stderr when it fails.
 */
export function runPythonReference<T>(script: string, jobFile: string, job: unknown, python: string): T[] {
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const result = spawnSync(python, [path.join(__dirname, "..", script), jobFile], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (result.error) throw new Error(`cannot run ${python}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`bench/${script} failed (exit ${result.status}):\n${result.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return result.stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as T);
}
