import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatDuration,
  formatMetric,
  formatProgress,
  progress,
  setDisplayWriter,
  track,
  type DisplayMessage,
} from "@llm-course/lib/notebook";

/** A fake stream and clock, so outputs are exact. */
function harness(isTTY: boolean) {
  const writes: string[] = [];
  let time = 1_000;
  return {
    writes,
    stream: { isTTY, write: (s: string) => writes.push(s) },
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

test("formatProgress: the documented example, exactly", () => {
  assert.equal(
    formatProgress({ label: "train", current: 42, total: 100, elapsedMs: 3000, metrics: { loss: 2.31 } }),
    "train:  42%|████████▍           |  42/100 [00:03<00:04, 14.0 it/s] loss=2.3100",
  );
});

test("formatProgress: start, partial blocks, slow rates, the end, unknown totals", () => {
  assert.equal(formatProgress({ current: 0, total: 10, elapsedMs: 0 }), "  0%|                    |  0/10 [00:00<?, ? it/s]");
  assert.equal(formatProgress({ current: 1, total: 3, elapsedMs: 500, width: 10 }), " 33%|███▎      | 1/3 [00:00<00:01, 2.00 it/s]");
  assert.equal(
    formatProgress({ current: 10, total: 10, elapsedMs: 65_000, metrics: { acc: 0.9, epoch: 3 } }),
    "100%|████████████████████| 10/10 [01:05<00:00, 6.50 s/it] acc=0.9000 epoch=3",
  );
  assert.equal(formatProgress({ label: "read", current: 1500, elapsedMs: 2000, unit: "lines" }), "read: 1500 lines [00:02, 750 lines/s]");
  assert.equal(formatProgress({ current: 50_000, total: 100_000, elapsedMs: 1000, width: 4 }), " 50%|██  |  50000/100000 [00:01<00:01, 50.0k it/s]");
});

test("formatDuration and formatMetric", () => {
  assert.equal(formatDuration(0), "00:00");
  assert.equal(formatDuration(59.9), "00:59");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(NaN), "?");
  assert.equal(formatMetric(2.31), "2.3100");
  assert.equal(formatMetric(3), "3");
  assert.equal(formatMetric(1e-5), "1.000e-5");
  assert.equal(formatMetric(123456.7), "1.235e+5");
  assert.equal(formatMetric(NaN), "NaN");
  assert.equal(formatMetric("warmup"), "warmup");
});

test("log mode (CI): one line per 10 %, the final state always", () => {
  const h = harness(false);
  const bar = progress({ total: 20, label: "data", stream: h.stream, now: h.now });
  assert.equal(bar.outputMode, "log");
  for (let i = 1; i <= 20; i++) {
    h.advance(100);
    bar.update(i, { loss: 1 / i });
  }
  bar.done();
  assert.equal(h.writes.length, 11);
  assert.equal(h.writes[0], "data:   0%|                    |  0/20 [00:00<?, ? it/s]\n");
  assert.equal(h.writes[1], "data:  10%|██                  |  2/20 [00:00<00:01, 10.0 it/s] loss=0.5000\n");
  assert.equal(h.writes[10], "data: 100%|████████████████████| 20/20 [00:02<00:00, 10.0 it/s] loss=0.0500\n");
  assert.ok(bar.finished);
});

test("tty mode: \\r redraws, at most one per 100 ms, newline at the end", () => {
  const h = harness(true);
  const bar = progress({ total: 50, stream: h.stream, now: h.now });
  assert.equal(bar.outputMode, "tty");
  for (let i = 1; i <= 50; i++) {
    h.advance(10);
    bar.update(i);
  }
  // Drawn at creation, at t = 100, 200, 300, 400 ms, and the final state at 500 ms.
  assert.equal(h.writes.length, 6);
  assert.ok(h.writes.every((w) => w.startsWith("\r")));
  assert.equal(h.writes[1], "\r 20%|████                | 10/50 [00:00<00:00, 100 it/s]\x1b[K");
  assert.equal(h.writes[5], "\r100%|████████████████████| 50/50 [00:00<00:00, 100 it/s]\x1b[K\n");
});

test("notebook mode: one display id, display_data then throttled update_display_data, final state shown", () => {
  const messages: { message: DisplayMessage; update: boolean }[] = [];
  const restore = setDisplayWriter((message, update) => messages.push({ message, update }));
  const h = harness(false);
  try {
    const bar = progress({ total: 100, label: "<b>train</b>", now: h.now });
    assert.equal(bar.outputMode, "notebook");
    for (let i = 1; i <= 100; i++) {
      h.advance(5);
      bar.update(i, { loss: 2 });
    }
    bar.done({ loss: 1.5 });
  } finally {
    restore();
  }
  const ids = new Set(messages.map((m) => m.message.transient.display_id));
  assert.equal(ids.size, 1);
  assert.equal(messages[0].update, false);
  assert.ok(messages.slice(1).every((m) => m.update));
  // 500 ms of updates: creation, every 100 ms (4), the end at 100 %, then done() with a new metric.
  assert.equal(messages.length, 7);
  const last = messages[messages.length - 1].message.data;
  assert.equal(last["text/plain"], "<b>train</b>: 100%|████████████████████| 100/100 [00:00<00:00, 200 it/s] loss=1.5000");
  const html = String(last["text/html"]);
  assert.match(html, /&lt;b&gt;train&lt;\/b&gt;:/);
  assert.match(html, /<progress value="1" max="1"/);
});

test("an update skipped by the throttle is drawn a moment later, without done()", async () => {
  const h = harness(true);
  const bar = progress({ total: 10, stream: h.stream, now: h.now });
  bar.update(3);
  assert.equal(h.writes.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(h.writes.length, 2);
  assert.equal(h.writes[1], "\r 30%|██████              |  3/10 [00:00<?, ? it/s]\x1b[K");
});

test("track: total from the array, finishes when the loop breaks", () => {
  const h = harness(false);
  const seen: number[] = [];
  for (const x of track([10, 20, 30, 40], { label: "items", stream: h.stream, now: h.now })) {
    h.advance(1000);
    if (x === 30) break;
    seen.push(x);
  }
  assert.deepEqual(seen, [10, 20]);
  assert.equal(h.writes[h.writes.length - 1], "items:  50%|██████████          | 2/4 [00:03<00:03, 1.50 s/it]\n");
});

test("bad input gets errors that name the problem", () => {
  const h = harness(false);
  assert.throws(() => progress({ total: -1 }), /total must be a finite number ≥ 0/);
  assert.throws(() => progress({ total: 10, mode: "fancy" as never }), /mode must be one of/);
  const bar = progress({ total: 10, stream: h.stream, now: h.now });
  assert.throws(() => bar.update(NaN), /step must be a finite number ≥ 0 \(got NaN\)/);
  assert.throws(() => bar.update(1, { loss: null as never }), /metric "loss" must be a number or a string/);
  assert.throws(() => track(42 as never), /expected an iterable/);
});
