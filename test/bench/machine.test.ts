/**
 * bench/support/machine.ts: the CPU time other processes took during a benchmark, from /proc counters,
 * and the verdict that withholds speed ratios when that share makes them meaningless.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { machineBusySeconds, OTHERS_CPU_LIMIT, othersCpuShare, processSeconds, verdictFor } from "../../bench/support/machine";

test("reads the machine's busy time and a process's own time from /proc, in seconds", () => {
  // user nice system idle iowait irq softirq steal guest guest_nice (ticks of 1/100 s); idle and iowait are not busy.
  assert.equal(machineBusySeconds("cpu  4200 170 250 2235764 5374 0 30 50 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10"), (4200 + 170 + 250 + 30 + 50) / 100);
  // A command name with spaces and a parenthesis; utime 300, stime 50, cutime 120, cstime 30 ticks.
  const stat = "4242 (node (bench) x) R 1 2 3 4 5 6 7 8 9 10 300 50 120 30 20 0 1 0 5 6 7";
  assert.equal(processSeconds(stat), 5);
});

test("the others' share is the machine's busy time minus our own, over the wall time of every CPU", () => {
  const from = { at: 10, machineBusy: 100, own: 20, loadAverage: 0.5 };
  // 2 s on 2 CPUs = 4 CPU-seconds; the machine was busy 3 s, 1 s of it ours → others took 2 of 4 = 50 %.
  assert.equal(othersCpuShare(from, { at: 12, machineBusy: 103, own: 21, loadAverage: 1 }, 2), 0.5);
  assert.equal(othersCpuShare(from, { at: 12, machineBusy: 102, own: 22, loadAverage: 1 }, 2), 0, "all of it ours");
  assert.equal(othersCpuShare(from, { at: 10.5, machineBusy: 101, own: 20, loadAverage: 1 }, 2), null, "under a second: unknown");
  assert.equal(othersCpuShare({ ...from, machineBusy: null }, { at: 12, machineBusy: null, own: 21, loadAverage: 1 }, 2), null, "no /proc");
});

test("ratios are withheld above the limit, with the reason; forced, they are reported and marked", () => {
  const state = (share: number | null, load = 0) => ({ cpus: 2, loadAverageStart: load, loadAverageNow: load, othersCpuShare: share });
  assert.deepEqual(verdictFor(state(0.1), 1, false), { reportable: true, reason: `other processes took 10 % of the CPU time (limit ${100 * OTHERS_CPU_LIMIT} %)` });
  const busy = verdictFor(state(0.63), 1, false);
  assert.equal(busy.reportable, false);
  assert.equal(busy.reason, "other processes took 63 % of the CPU time during this benchmark (limit 25 %)");
  const forced = verdictFor(state(0.63), 1, true);
  assert.equal(forced.reportable, true);
  assert.match(forced.reason, /reported anyway \(LLM_COURSE_BENCH_ANY_LOAD=1\): under load$/);
  // Without /proc: the load average beyond our own 2 threads, per CPU: (3.2 − 2) / 2 = 60 %.
  assert.equal(verdictFor(state(null, 3.2), 2, false).reason, "other processes took 60 % of the CPUs by the load average during this benchmark (limit 25 %)");
  assert.equal(verdictFor(state(null, 2.4), 2, false).reportable, true);
});
