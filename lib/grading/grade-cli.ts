/**
 * `npm run grade -- <folder of .ipynb> [--out <dir>] [--timeout <s per cell>] [--deadline <s per notebook>]
 *  [--hidden <dir>] [--tp <tp id>] [--jobs <n>] [--memory <MiB>] [--shard <i>/<n>] [--no-resume] [--full] [--keep]`
 * `npm run grade -- --merge <shard out folder>… --out <dir>`
 * `npm run grade -- --report <out dir>` (class-report.html and notes-lms.csv from its gradebook.json)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stopAllExecutions } from "./executor";
import { SCRATCH_ROOT, gradeFolder, mergeGradebooks, type GradeFolderOptions } from "./grade";
import { writeClassReport } from "./report";

const USAGE = `usage: npm run grade -- <folder of .ipynb files> [options]
       npm run grade -- --merge <shard out folder>… --out <dir>   (one gradebook from --shard runs)
       npm run grade -- --report <out dir>   (class-report.html + notes-lms.csv from its gradebook.json)
  --out <dir>        output folder (default <folder>/grades)
  --timeout <s>      per-cell timeout in seconds (default 60)
  --deadline <s>     whole-notebook limit in seconds (default 180)
  --hidden <dir>     teacher's hidden tests: <dir>/<tp>-*.ts default-exporting { "<exercise id>": [tests] }
  --tp <id>          expected TP (default: the most common TP in the folder)
  --jobs <n>         notebooks graded in parallel (default 1; fewer if the machine lacks memory for n kernels)
  --memory <MiB>     memory cap of each kernel and what it starts (default 3072; V8 heap at 60 %)
  --shard <i>/<n>    grade only shard i of n (by a hash of each file name); merge the n outputs with --merge
  --no-resume        grade everything again (default: reuse <out>/.cache for unchanged submissions)
  --full             run lessons in full mode (default: fast mode, LLM_COURSE_FAST=1)
  --keep             keep the scratch folders under .grading/ (debugging)`;

function positive(flag: string, value: string | undefined): number {
  const number = Number(value);
  if (value === undefined || !Number.isFinite(number) || number <= 0) throw new Error(`${flag} needs a positive number, got "${value ?? ""}".`);
  return number;
}

function parseArgs(argv: string[]): GradeFolderOptions | { merge: string[]; outDir: string } | { report: string } | null {
  let dir: string | undefined;
  let merge: string[] | null = null;
  const options: Partial<GradeFolderOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${arg} needs a value.\n${USAGE}`);
      return next;
    };
    switch (arg) {
      case "--help":
      case "-h":
        return null;
      case "--out":
        options.outDir = value();
        break;
      case "--timeout":
        options.cellTimeoutSeconds = positive(arg, value());
        break;
      case "--deadline":
        options.deadlineSeconds = positive(arg, value());
        break;
      case "--hidden":
        options.hiddenDir = value();
        break;
      case "--tp":
        options.tp = value();
        break;
      case "--jobs":
        options.jobs = Math.floor(positive(arg, value()));
        break;
      case "--memory":
        options.limits = { ...options.limits, memoryMb: Math.floor(positive(arg, value())) };
        break;
      case "--shard": {
        const text = value();
        const match = /^(\d+)\/(\d+)$/.exec(text);
        if (!match || Number(match[1]) < 1 || Number(match[1]) > Number(match[2])) throw new Error(`--shard needs i/n with 1 ≤ i ≤ n, got "${text}".`);
        options.shard = { index: Number(match[1]), count: Number(match[2]) };
        break;
      }
      case "--no-resume":
        options.resume = false;
        break;
      case "--merge":
        merge = [];
        break;
      case "--report":
        return { report: value() };
      case "--full":
        options.fast = false;
        break;
      case "--keep":
        options.keepScratch = true;
        break;
      default:
        if (arg.startsWith("--")) throw new Error(`unknown option "${arg}".\n${USAGE}`);
        if (merge !== null) {
          merge.push(arg);
          break;
        }
        if (dir !== undefined) throw new Error(`one folder only (got "${dir}" and "${arg}").\n${USAGE}`);
        dir = arg;
    }
  }
  if (merge !== null) {
    if (options.outDir === undefined) throw new Error(`--merge needs --out <dir>.\n${USAGE}`);
    return { merge, outDir: options.outDir };
  }
  if (dir === undefined) throw new Error(`missing the folder of notebooks.\n${USAGE}`);
  return { ...options, dir };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (options === null) {
    console.log(USAGE);
    return 0;
  }
  if ("report" in options) {
    const summary = writeClassReport(options.report);
    console.log(`class report of ${summary.notebooks} notebook(s) → ${path.join(options.report, "class-report.html")}, ${path.join(options.report, "notes-lms.csv")}`);
    return 0;
  }
  if ("merge" in options) {
    const book = mergeGradebooks(options.merge, options.outDir);
    console.log(`${book.notebooks.length} notebook(s) from ${options.merge.length} shard(s) → ${options.outDir}`);
    return 0;
  }
  await gradeFolder(options);
  return 0;
}

// Interrupted: no kernel may outlive the grader, and its scratch folders go too.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopAllExecutions();
    if (fs.existsSync(SCRATCH_ROOT)) {
      for (const name of fs.readdirSync(SCRATCH_ROOT)) {
        if (name.startsWith(`run-${process.pid}-`)) fs.rmSync(path.join(SCRATCH_ROOT, name), { recursive: true, force: true });
      }
    }
    console.error(`grade: interrupted (${signal}); no gradebook written.`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`grade: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
