/**
 * What a speed ratio is worth on a shared machine. bench/run.ts starts a measurement before each benchmark;
 * a benchmark shows its ratios through `shownRatio` / `reportedRatio`, which withhold them (and say why)
 * when other processes took more than OTHERS_CPU_LIMIT of the machine's CPU time since the benchmark
 * started: ours and the reference then ran on whatever the others left, and the ratio says nothing about
 * the code. The CPU time of other processes comes from /proc (Linux); elsewhere the 1-minute load average
 * minus the benchmark's own threads stands in for it. `LLM_COURSE_BENCH_ANY_LOAD=1` reports them anyway,
 * marked "under load".
 */
import * as fs from "node:fs";
import * as os from "node:os";

/** The share of the machine's CPU time other processes may take during a benchmark before its ratios are withheld. */
export const OTHERS_CPU_LIMIT = 0.25;

/** Linux's USER_HZ: /proc/stat and /proc/self/stat count CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU time counters at one moment. */
export interface CpuSample {
  /** Wall-clock seconds. */
  at: number;
  /** CPU seconds the whole machine spent busy since boot, or null without /proc. */
  machineBusy: number | null;
  /** CPU seconds of this process (all its threads) and of the children it waited for. */
  own: number;
  loadAverage: number;
}

/** CPU seconds the machine spent busy since boot, from /proc/stat's first line (idle and iowait left out). */
export function machineBusySeconds(procStat: string): number {
  const [user, nice, system, , , irq, softirq, steal] = procStat.split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / TICKS_PER_SECOND;
}

/** CPU seconds of a process and of the children it waited for, from its /proc/<pid>/stat. */
export function processSeconds(procSelfStat: string): number {
  // After the command name (which may hold spaces and parentheses): utime, stime, cutime, cstime are the 12th–15th fields.
  const fields = procSelfStat.slice(procSelfStat.lastIndexOf(")") + 2).split(" ").map(Number);
  return (fields[11]! + fields[12]! + fields[13]! + fields[14]!) / TICKS_PER_SECOND;
}

function sample(): CpuSample {
  const usage = process.cpuUsage();
  let own = (usage.user + usage.system) / 1e6;
  let machineBusy: number | null = null;
  try {
    machineBusy = machineBusySeconds(fs.readFileSync("/proc/stat", "utf8"));
    own = processSeconds(fs.readFileSync("/proc/self/stat", "utf8"));
  } catch {
    machineBusy = null;
  }
  return { at: performance.now() / 1000, machineBusy, own, loadAverage: os.loadavg()[0]! };
}

/** The share of the machine's CPU time (all `cpus`) that other processes used between two samples; null when unknown. */
export function othersCpuShare(from: CpuSample, to: CpuSample, cpus: number): number | null {
  const wall = to.at - from.at;
  if (to.machineBusy === null || from.machineBusy === null || wall < 1) return null;
  const others = to.machineBusy - from.machineBusy - (to.own - from.own);
  return Math.min(1, Math.max(0, others / (wall * cpus)));
}

let start: CpuSample = sample();

/** Starts measuring what other processes take (bench/run.ts calls it before each benchmark). */
export function startMeasuring(): void {
  start = sample();
}

/** The machine as a benchmark ran on it: CPUs, load average, and the CPU share other processes took since it started. */
export interface MachineState {
  cpus: number;
  loadAverageStart: number;
  loadAverageNow: number;
  /** Fraction of the machine's CPU time (all CPUs) that other processes used since the start; null when unknown. */
  othersCpuShare: number | null;
}

/** The machine now, since the last `startMeasuring`. */
export function machineState(): MachineState {
  const now = sample();
  const cpus = os.cpus().length;
  return { cpus, loadAverageStart: start.loadAverage, loadAverageNow: now.loadAverage, othersCpuShare: othersCpuShare(start, now, cpus) };
}

/** Whether a ratio measured since the start means something, and the sentence that says why (or why not). */
export function ratioVerdict(ownThreads = 1): { reportable: boolean; reason: string } {
  return verdictFor(machineState(), ownThreads, process.env.LLM_COURSE_BENCH_ANY_LOAD === "1");
}

/** The verdict on a machine state (`forced`: report under load anyway, saying so). */
export function verdictFor(state: MachineState, ownThreads: number, forced: boolean): { reportable: boolean; reason: string } {
  let share = state.othersCpuShare;
  let measure = "of the CPU time";
  if (share === null) {
    // Without /proc: the load average beyond the benchmark's own threads, per CPU.
    share = Math.max(0, Math.max(state.loadAverageStart, state.loadAverageNow) - ownThreads) / state.cpus;
    measure = "of the CPUs by the load average";
  }
  const percent = `${(100 * share).toFixed(0)} %`;
  if (share <= OTHERS_CPU_LIMIT) return { reportable: true, reason: `other processes took ${percent} ${measure} (limit ${100 * OTHERS_CPU_LIMIT} %)` };
  const reason = `other processes took ${percent} ${measure} during this benchmark (limit ${100 * OTHERS_CPU_LIMIT} %)`;
  return forced ? { reportable: true, reason: `${reason}; reported anyway (LLM_COURSE_BENCH_ANY_LOAD=1): under load` } : { reportable: false, reason };
}

/** A ratio for the JSON line: the value, or null when the load makes it meaningless. */
export function reportedRatio(value: number, digits = 2, ownThreads = 1): number | null {
  return ratioVerdict(ownThreads).reportable ? Number(value.toFixed(digits)) : null;
}

/** A ratio for a printed line: "×1.23", or "withheld (…why…)" when the load makes it meaningless. */
export function shownRatio(value: number, digits = 2, ownThreads = 1): string {
  const verdict = ratioVerdict(ownThreads);
  return verdict.reportable ? `×${value.toFixed(digits)}` : `withheld (${verdict.reason})`;
}

/** One line naming the thread settings of both sides and the machine's state. */
export function machineLine(threads: { ours: number | string; reference?: number | string }): string {
  const state = machineState();
  const sides = `threads: ours ${threads.ours}${threads.reference !== undefined ? `, reference ${threads.reference}` : ""}`;
  const others = state.othersCpuShare === null ? "" : `; other processes took ${(100 * state.othersCpuShare).toFixed(0)} % of the CPU time so far`;
  return `${sides}; machine: ${state.cpus} CPUs, load average ${state.loadAverageStart.toFixed(1)} → ${state.loadAverageNow.toFixed(1)}${others}`;
}
