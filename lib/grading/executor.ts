/**
 * Headless execution of notebook cells in the course's kernel, shared by the grader and the notebook
 * tests. The work is done by `kernel_driver.py` (jupyter_client, Debian's Python): per-cell timeout with
 * interrupt then kill of the kernel's process group, pause after errors (tslab's abort window), restart
 * and replay after a timeout or a dead kernel, and a hard deadline for the whole notebook.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { pathToFileURL } from "node:url";
import { COURSE_ROOT, FAST_MODE_VARIABLE } from "../env";

/** One cell to run. */
export interface PlannedCell {
  code: string;
  /** Re-run after a kernel restart if it succeeded (false for injected grading cells). Default true. */
  replay?: boolean;
  /** Overrides the plan's per-cell timeout. */
  timeoutSeconds?: number;
}

export interface ExecutionPlan {
  cells: PlannedCell[];
  /** Kernel working folder; must be inside the checkout for `@llm-course/lib` imports to resolve. */
  cwd: string;
  /** Extra environment for the kernel (LLM_COURSE_FAST is set to 1 unless given here). */
  env?: Record<string, string>;
  cellTimeoutSeconds?: number;
  /** Hard limit for the whole notebook, kernel starts and replays included (default 180 s). */
  deadlineSeconds?: number;
  /** How long an interrupted cell may take to stop before the kernel is killed (default 3 s). */
  interruptGraceSeconds?: number;
  kernelName?: string;
  /** Isolation of the kernel (lib/grading/sandbox.ts); none when absent. */
  sandbox?: DriverSandbox;
  /** A file the driver writes afresh before each kernel start (the grader's secret for its setup cell). */
  payload?: { file: string; content: string };
}

/** What the driver needs of a KernelSandbox. */
export interface DriverSandbox {
  prefix: string[];
  nodeFlags: string[];
  privateDir: string;
  memoryCgroup: string | null;
}

export type CellStatus = "ok" | "error" | "timeout" | "dead" | "not_run";

export interface CellRun {
  index: number;
  status: CellStatus;
  stdout: string;
  stderr: string;
  /** text/plain of display_data and execute_result outputs. */
  display: string;
  seconds: number;
  /** A dead kernel's known cause: "memory" (V8 heap or cgroup limit). */
  cause?: "memory";
  /** The notebook's deadline struck during this cell. */
  deadline?: true;
}

/** A cell that ran fine but left the kernel busy or doomed (a timer, a loop), found after `victim` failed. */
export interface Leftover {
  index: number;
  victim: number;
  reason: "timeout" | "dead";
}

export interface KernelRestart {
  reason: "timeout" | "dead";
  /** Plan indices re-run on the new kernel. */
  replayed: number[];
  /** Plan indices that failed when replayed and were left out. */
  dropped: number[];
}

export interface ExecutionResult {
  /** One entry per planned cell, in plan order. */
  cells: CellRun[];
  restarts: KernelRestart[];
  /** Cells found to have left something running that hung or killed the kernel later (never replayed again). */
  leftovers: Leftover[];
  kernelStarts: number;
  seconds: number;
  /** Set when the driver could not go on (kernel failed to start…); remaining cells are not_run. */
  fatal?: string;
}

export const DEFAULT_CELL_TIMEOUT_SECONDS = 60;
export const DEFAULT_DEADLINE_SECONDS = 180;

const DRIVER = path.join(__dirname, "kernel_driver.py");

interface JupyterModule {
  findJupyterPython(): string | null;
  registerKernel(options?: { quiet?: boolean }): string;
  jupyterEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  JUPYTER_DIR: string;
  KERNEL_NAME: string;
}

let jupyterModule: Promise<JupyterModule> | undefined;

/** environment/jupyter.mjs, which knows how to find Jupyter and the checkout's kernel. */
function loadJupyterModule(): Promise<JupyterModule> {
  jupyterModule ??= import(pathToFileURL(path.join(COURSE_ROOT, "environment", "jupyter.mjs")).href) as Promise<JupyterModule>;
  return jupyterModule;
}

let python: string | undefined;

/** The Python that runs the driver, after making sure the checkout's kernel is registered. */
async function driverPython(jupyter: JupyterModule, kernelName: string): Promise<string> {
  if (python === undefined) {
    const found = jupyter.findJupyterPython();
    if (!found) {
      throw new Error(
        "Jupyter is missing (python3 with notebook, nbclient and jupyter_client): install it with " +
          "`sudo apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient`.",
      );
    }
    python = found;
  }
  if (kernelName === jupyter.KERNEL_NAME && !fs.existsSync(path.join(jupyter.JUPYTER_DIR, "kernels", kernelName, "kernel.json"))) {
    jupyter.registerKernel({ quiet: true });
  }
  return python;
}

/** Drivers and kernel process groups of the executions in progress, for `stopAllExecutions`. */
const active = new Set<{ child: ReturnType<typeof spawn>; groups: Set<number> }>();

/** Kills every execution in progress (drivers and their kernels); for a CLI that is being interrupted. */
export function stopAllExecutions(): void {
  for (const { child, groups } of active) {
    child.kill("SIGKILL");
    for (const pgid of groups) killGroup(pgid);
  }
  active.clear();
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * Runs the plan's cells in order in a fresh kernel and reports every cell. Never rejects because of what
 * the cells do; it rejects only when Jupyter itself is missing or the driver breaks.
 */
export async function executeCells(
  plan: ExecutionPlan,
  options: { onCell?: (cell: CellRun) => void } = {},
): Promise<ExecutionResult> {
  if (!fs.existsSync(plan.cwd) || !fs.statSync(plan.cwd).isDirectory()) throw new Error(`executeCells: cwd ${plan.cwd} is not a folder.`);
  const jupyter = await loadJupyterModule();
  const kernelName = plan.kernelName ?? jupyter.KERNEL_NAME;
  const pythonPath = await driverPython(jupyter, kernelName);
  const deadlineSeconds = plan.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;
  const driverPlan = {
    kernel: kernelName,
    cwd: plan.cwd,
    env: { [FAST_MODE_VARIABLE]: "1", ...plan.env },
    cellTimeout: plan.cellTimeoutSeconds ?? DEFAULT_CELL_TIMEOUT_SECONDS,
    deadline: deadlineSeconds,
    interruptGrace: plan.interruptGraceSeconds ?? 3,
    cells: plan.cells.map((cell) => ({ code: cell.code, replay: cell.replay ?? true, timeout: cell.timeoutSeconds ?? null })),
    sandbox: plan.sandbox ?? null,
    payload: plan.payload ?? null,
  };

  const child = spawn(pythonPath, [DRIVER], { cwd: plan.cwd, env: jupyter.jupyterEnv(), stdio: ["pipe", "pipe", "pipe"] });
  const cells = new Map<number, CellRun>();
  const restarts: KernelRestart[] = [];
  const leftovers: Leftover[] = [];
  const groups = new Set<number>();
  const entry = { child, groups };
  active.add(entry);
  let kernelStarts = 0;
  let seconds = 0;
  let fatal: string | undefined;
  let done = false;
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    // Jupyter's own warnings; kept (bounded) to explain a driver failure.
    stderr = (stderr + chunk).slice(-20_000);
  });
  // The driver enforces the deadline itself; this is the safety net if the driver hangs.
  const watchdog = setTimeout(() => {
    child.kill("SIGKILL");
    for (const pgid of groups) killGroup(pgid);
  }, (deadlineSeconds + 60) * 1000);

  const lines = readline.createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (event.event) {
      case "kernel":
        kernelStarts += 1;
        if (typeof event.pgid === "number") groups.add(event.pgid);
        break;
      case "cell": {
        const run: CellRun = {
          index: event.index as number,
          status: event.status as CellStatus,
          stdout: String(event.stdout ?? ""),
          stderr: String(event.stderr ?? ""),
          display: String(event.display ?? ""),
          seconds: Number(event.seconds ?? 0),
        };
        if (event.cause === "memory") run.cause = "memory";
        if (event.deadline === true) run.deadline = true;
        cells.set(run.index, run);
        options.onCell?.(run);
        break;
      }
      case "restart":
        restarts.push({ reason: event.reason as "timeout" | "dead", replayed: event.replayed as number[], dropped: event.dropped as number[] });
        break;
      case "blame":
        leftovers.push({ index: event.index as number, victim: event.victim as number, reason: event.reason as "timeout" | "dead" });
        break;
      case "fatal":
        fatal = String(event.message);
        break;
      case "done":
        done = true;
        seconds = Number(event.seconds ?? 0);
        break;
    }
  });
  child.stdin.on("error", () => undefined);
  child.stdin.end(JSON.stringify(driverPlan));

  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
  clearTimeout(watchdog);
  active.delete(entry);
  // Whatever happened to the driver, no kernel of this run may survive it.
  for (const pgid of groups) killGroup(pgid);
  if (!done) {
    fatal ??= `the kernel driver stopped unexpectedly (exit code ${exitCode}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`;
  }
  const all = plan.cells.map(
    (_, index) => cells.get(index) ?? { index, status: "not_run" as const, stdout: "", stderr: "", display: "", seconds: 0 },
  );
  const result: ExecutionResult = { cells: all, restarts, leftovers, kernelStarts, seconds };
  if (fatal !== undefined) result.fatal = fatal;
  return result;
}
