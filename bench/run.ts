/**
 * `npm run bench -- <name>…`: runs the named benchmarks (bench/<name>.ts, each exporting
 * `run(): Promise<Record<string, unknown>>`), or all of them when no name is given. Each benchmark prints
 * its human-readable lines, then one JSON line `{"name": …, …figures}`; with several benchmarks a final
 * line holds the JSON array of all results. Exits 1 if any benchmark fails.
 * Each result carries `machine`: the CPUs, the load average and the share of CPU time other processes took
 * while it ran; ratios are withheld when that share makes them meaningless (bench/support/machine.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { machineState, OTHERS_CPU_LIMIT, ratioVerdict, startMeasuring } from "./support/machine";

type Bench = { run: () => Promise<Record<string, unknown>> };

function available(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && file !== "run.ts")
    .map((file) => file.slice(0, -3))
    .sort();
}

async function main(): Promise<number> {
  const names = available();
  const wanted = process.argv.slice(2).filter((arg) => arg !== "--");
  const unknown = wanted.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. Available: ${names.join(", ")}`);
    return 1;
  }
  const selected = wanted.length > 0 ? wanted : names;
  const results: Record<string, unknown>[] = [];
  let failed = false;
  for (const name of selected) {
    console.log(`# ${name}`);
    try {
      const bench = require(path.join(__dirname, name)) as Partial<Bench>;
      if (typeof bench.run !== "function") throw new Error(`bench/${name}.ts does not export run()`);
      startMeasuring();
      const figures = await bench.run();
      const state = machineState();
      const verdict = ratioVerdict();
      console.log(`${name}: machine ${state.cpus} CPUs, load average ${state.loadAverageStart.toFixed(1)} → ${state.loadAverageNow.toFixed(1)}; ${verdict.reportable ? "ratios reported" : "ratios withheld"}: ${verdict.reason}`);
      const result = { name, ...figures, machine: { ...state, othersCpuLimit: OTHERS_CPU_LIMIT, ratiosReported: verdict.reportable } };
      results.push(result);
      console.log(JSON.stringify(result));
    } catch (error) {
      failed = true;
      console.error(`Benchmark ${name} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      results.push({ name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (selected.length > 1) console.log(JSON.stringify(results));
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code));
