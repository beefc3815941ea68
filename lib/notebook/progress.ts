/**
 * Progress bars for long work (training loops, data preparation): one output updated in place in a
 * notebook, a `\r`-rewritten line on an interactive terminal, a line every ~10 % in logs (CI).
 */
import { DisplayHandle, escapeHtml, isNotebook } from "./display";

/** Extra numbers shown after the bar, e.g. `{ loss: 2.31, lr: 0.1 }`. */
export type Metrics = Record<string, number | string>;

/** Everything one rendering of a bar depends on (see {@link formatProgress}). */
export interface ProgressState {
  /** Units done so far. */
  current: number;
  /** Units in all; unknown when undefined (no percentage, bar or ETA then). */
  total?: number;
  /** Time since the bar started, in milliseconds. */
  elapsedMs: number;
  /** Shown first, followed by a colon. */
  label?: string;
  metrics?: Metrics;
  /** Bar width in characters (default 20). */
  width?: number;
  /** Unit name for rates (default "it"). */
  unit?: string;
}

/** Where a bar goes: "auto" picks notebook, then tty (interactive stream), then log. */
export type ProgressMode = "auto" | "notebook" | "tty" | "log" | "silent";

/** The part of a writable stream progress bars use (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** Units in all (steps, items, bytes); leave undefined when unknown. */
  total?: number;
  label?: string;
  unit?: string;
  /** Bar width in characters (default 20). */
  width?: number;
  mode?: ProgressMode;
  /** Stream for tty and log modes (default process.stderr, so stdout stays clean for results). */
  stream?: ProgressStream;
  /** Clock in milliseconds (default Date.now); tests inject one. */
  now?: () => number;
  /** Least time between two redraws in notebook and tty modes (default 100 ms, i.e. ≤ 10 per second). */
  minIntervalMs?: number;
}

const PARTIAL_BLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
/** Log mode without a total has no 10 % steps: it prints a line this often instead. */
const LOG_INTERVAL_UNKNOWN_TOTAL_MS = 10_000;

/** `mm:ss`, or `h:mm:ss` from one hour on; whole seconds, counted down like a clock. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** A metric value as bars show it: integers as is, others with 4 decimals, very small or large ones in exponent notation. */
export function formatMetric(value: number | string): string {
  if (typeof value === "string") return value;
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Inf" : "-Inf";
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e5) return value.toFixed(4);
  return value.toExponential(3);
}

function formatRate(current: number, elapsedMs: number, unit: string): string {
  const perSecond = elapsedMs > 0 ? current / (elapsedMs / 1000) : NaN;
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `? ${unit}/s`;
  if (perSecond < 1) return `${(1 / perSecond).toFixed(2)} s/${unit}`;
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M ${unit}/s`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k ${unit}/s`;
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : 2;
  return `${perSecond.toFixed(digits)} ${unit}/s`;
}

interface ProgressParts {
  label: string;
  /** "42%", padded to 4 characters; empty without a total. */
  percent: string;
  /** Fraction done, 0…1; NaN without a total. */
  fraction: number;
  bar: string;
  /** "42/100" or "42 it". */
  count: string;
  /** "[00:03<00:04, 14.0 it/s]" or "[00:03, 14.0 it/s]". */
  timing: string;
  metrics: string;
}

function checkState(state: ProgressState): void {
  if (!Number.isFinite(state.current) || state.current < 0) {
    throw new RangeError(`progress: the step must be a finite number ≥ 0 (got ${String(state.current)})`);
  }
  if (state.total !== undefined && (!Number.isFinite(state.total) || state.total < 0)) {
    throw new RangeError(`progress: total must be a finite number ≥ 0 or undefined (got ${String(state.total)})`);
  }
  if (!Number.isFinite(state.elapsedMs) || state.elapsedMs < 0) {
    throw new RangeError(`progress: elapsedMs must be a finite number ≥ 0 (got ${String(state.elapsedMs)})`);
  }
  if (state.width !== undefined && (!Number.isInteger(state.width) || state.width < 1)) {
    throw new RangeError(`progress: width must be a positive integer (got ${String(state.width)})`);
  }
}

function progressParts(state: ProgressState): ProgressParts {
  checkState(state);
  const { current, total, elapsedMs } = state;
  const unit = state.unit ?? "it";
  const width = state.width ?? 20;
  const elapsed = formatDuration(elapsedMs / 1000);
  const rate = formatRate(current, elapsedMs, unit);
  const metrics = Object.entries(state.metrics ?? {})
    .map(([key, value]) => `${key}=${formatMetric(value)}`)
    .join(" ");
  const label = state.label ?? "";
  if (total === undefined) {
    return { label, percent: "", fraction: NaN, bar: "", count: `${current} ${unit}`, timing: `[${elapsed}, ${rate}]`, metrics };
  }
  const fraction = total === 0 ? 1 : Math.min(1, current / total);
  const cells = fraction * width;
  const full = Math.floor(cells);
  const partial = full < width ? PARTIAL_BLOCKS[Math.floor((cells - full) * 8)] : "";
  const bar = ("█".repeat(full) + partial).padEnd(width, " ");
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  let eta = "?";
  if (current >= total) eta = formatDuration(0);
  else if (current > 0 && elapsedMs > 0) eta = formatDuration(((total - current) * elapsedMs) / current / 1000);
  const count = `${String(current).padStart(String(total).length)}/${total}`;
  return { label, percent, fraction, bar, count, timing: `[${elapsed}<${eta}, ${rate}]`, metrics };
}

/**
 * The one-line text of a bar, tqdm-style:
 * `train:  42%|████████▍           | 42/100 [00:03<00:04, 14.0 it/s] loss=2.3100`
 * (without a total: `train: 42 it [00:03, 14.0 it/s] loss=2.3100`). Pure, for tests and custom output.
 */
export function formatProgress(state: ProgressState): string {
  const p = progressParts(state);
  const label = p.label ? `${p.label}: ` : "";
  const metrics = p.metrics ? ` ${p.metrics}` : "";
  if (state.total === undefined) return `${label}${p.count} ${p.timing}${metrics}`;
  return `${label}${p.percent}|${p.bar}| ${p.count} ${p.timing}${metrics}`;
}

function progressHtml(state: ProgressState): string {
  const p = progressParts(state);
  const label = p.label ? `<span style="margin-right:0.5em">${escapeHtml(p.label)}:</span>` : "";
  const bar =
    state.total === undefined
      ? ""
      : `<progress value="${p.fraction}" max="1" style="width:16em;vertical-align:middle;margin-right:0.5em"></progress>` +
        `<span>${escapeHtml(p.percent.trim())}</span> `;
  const metrics = p.metrics ? ` <span>${escapeHtml(p.metrics)}</span>` : "";
  return (
    `<div class="llm-course-progress" style="font-family:monospace;white-space:pre">` +
    `${label}${bar}<span>${escapeHtml(p.count)} ${escapeHtml(p.timing)}</span>${metrics}</div>`
  );
}

/**
 * A running progress bar; create it with {@link progress}. `update(step)` sets the units done,
 * `tick()` adds some, `done()` shows the final state (reaching `total` does too).
 */
export class ProgressBar {
  private readonly options: ProgressOptions;
  private readonly mode: Exclude<ProgressMode, "auto">;
  private readonly now: () => number;
  private readonly stream: ProgressStream;
  private readonly minIntervalMs: number;
  private readonly handle: DisplayHandle | null;
  private readonly startMs: number;
  private endMs: number | null = null;
  private currentValue = 0;
  private readonly metricValues: Metrics = {};
  private lastDrawMs = -Infinity;
  private lastLoggedDecile = -1;
  private pending: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ProgressOptions = {}) {
    if (options === null || typeof options !== "object") throw new TypeError("progress: options must be an object such as { total: 100, label: \"train\" }");
    const { total, minIntervalMs = 100 } = options;
    if (total !== undefined && (typeof total !== "number" || !Number.isFinite(total) || total < 0)) {
      throw new RangeError(`progress: total must be a finite number ≥ 0 or undefined (got ${String(total)})`);
    }
    if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) {
      throw new RangeError(`progress: minIntervalMs must be a number ≥ 0 (got ${String(minIntervalMs)})`);
    }
    const modes: ProgressMode[] = ["auto", "notebook", "tty", "log", "silent"];
    const mode = options.mode ?? "auto";
    if (!modes.includes(mode)) throw new RangeError(`progress: mode must be one of ${modes.join(", ")} (got ${String(mode)})`);
    if (options.label !== undefined && typeof options.label !== "string") {
      throw new TypeError(`progress: label must be a string (got ${typeof options.label})`);
    }
    // Bad widths fail here, at creation, rather than at the first redraw.
    checkState({ current: 0, total, elapsedMs: 0, width: options.width });
    this.options = options;
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.minIntervalMs = minIntervalMs;
    this.mode = mode !== "auto" ? mode : isNotebook() ? "notebook" : this.stream.isTTY ? "tty" : "log";
    this.handle = this.mode === "notebook" ? new DisplayHandle() : null;
    this.startMs = this.now();
    this.draw();
  }

  /** Units done so far. */
  get current(): number {
    return this.currentValue;
  }

  /** True once `done()` ran or `total` was reached. */
  get finished(): boolean {
    return this.endMs !== null;
  }

  /** Where this bar is drawn. */
  get outputMode(): Exclude<ProgressMode, "auto"> {
    return this.mode;
  }

  /** The bar's current state, as {@link formatProgress} takes it. */
  state(): ProgressState {
    return {
      current: this.currentValue,
      total: this.options.total,
      elapsedMs: Math.max(0, (this.endMs ?? this.now()) - this.startMs),
      label: this.options.label,
      metrics: { ...this.metricValues },
      width: this.options.width,
      unit: this.options.unit,
    };
  }

  /** Sets the units done to `step` (absolute, not an increment) and merges `metrics` into the shown ones. Ignored once finished. */
  update(step: number, metrics?: Metrics): void {
    if (typeof step !== "number" || !Number.isFinite(step) || step < 0) {
      throw new RangeError(`progress.update: the step must be a finite number ≥ 0 (got ${String(step)})`);
    }
    if (this.finished) return;
    this.mergeMetrics(metrics);
    this.currentValue = step;
    const total = this.options.total;
    if (total !== undefined && step >= total) this.finish();
    else this.maybeDraw();
  }

  /** Adds `count` units (default 1). */
  tick(count = 1, metrics?: Metrics): void {
    if (typeof count !== "number" || !Number.isFinite(count) || count < 0) {
      throw new RangeError(`progress.tick: the count must be a finite number ≥ 0 (got ${String(count)})`);
    }
    this.update(this.currentValue + count, metrics);
  }

  /** Shows the final state (with `metrics` merged in) and stops the clock. Calling it again only redraws new metrics. */
  done(metrics?: Metrics): void {
    if (!this.finished) {
      this.mergeMetrics(metrics);
      this.finish();
    } else if (metrics && Object.keys(metrics).length > 0) {
      this.mergeMetrics(metrics);
      this.draw(true);
    }
  }

  private mergeMetrics(metrics: Metrics | undefined): void {
    if (metrics === undefined) return;
    if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics)) {
      throw new TypeError("progress: metrics must be an object such as { loss: 2.31 }");
    }
    for (const [key, value] of Object.entries(metrics)) {
      if (typeof value !== "number" && typeof value !== "string") {
        throw new TypeError(`progress: metric "${key}" must be a number or a string (got ${value === null ? "null" : typeof value})`);
      }
      this.metricValues[key] = value;
    }
  }

  private finish(): void {
    this.endMs = this.now();
    this.cancelPending();
    this.draw(true);
  }

  private cancelPending(): void {
    if (this.pending !== null) {
      clearTimeout(this.pending);
      this.pending = null;
    }
  }

  private maybeDraw(): void {
    if (this.mode === "log") {
      this.draw();
      return;
    }
    const wait = this.lastDrawMs + this.minIntervalMs - this.now();
    if (wait <= 0) {
      this.draw();
    } else if (this.pending === null && this.mode !== "silent") {
      // Without this, the last update before a pause (or a forgotten done()) would never be shown.
      const timer = setTimeout(() => {
        this.pending = null;
        if (!this.finished) this.draw();
      }, wait);
      if (typeof timer === "object" && typeof timer.unref === "function") timer.unref();
      this.pending = timer;
    }
  }

  /** `final` marks the last drawing: log mode always prints it, tty mode ends the line. */
  private draw(final = false): void {
    const state = this.state();
    const nowMs = this.now();
    switch (this.mode) {
      case "silent":
        break;
      case "notebook":
        this.handle?.show({ "text/plain": formatProgress(state), "text/html": progressHtml(state) });
        break;
      case "tty":
        this.stream.write(`\r${formatProgress(state)}\x1b[K${final ? "\n" : ""}`);
        break;
      case "log": {
        const total = state.total;
        if (total === undefined) {
          if (!final && nowMs - this.lastDrawMs < LOG_INTERVAL_UNKNOWN_TOTAL_MS) return;
        } else {
          const decile = total === 0 ? 10 : Math.floor((Math.min(1, state.current / total) * 100) / 10);
          if (!final && decile <= this.lastLoggedDecile) return;
          this.lastLoggedDecile = decile;
        }
        this.stream.write(`${formatProgress(state)}\n`);
        break;
      }
    }
    this.lastDrawMs = nowMs;
  }
}

/**
 * Starts a progress bar and draws it at 0.
 * `const bar = progress({ total: steps, label: "train" }); … bar.update(step + 1, { loss }); … bar.done();`
 */
export function progress(options: ProgressOptions = {}): ProgressBar {
  return new ProgressBar(options);
}

function sizeOf(items: unknown): number | undefined {
  if (Array.isArray(items) || ArrayBuffer.isView(items) || typeof items === "string") return (items as ArrayLike<unknown>).length;
  if (items instanceof Map || items instanceof Set) return items.size;
  return undefined;
}

/**
 * Iterates over `items` with a progress bar (total taken from arrays, typed arrays, strings, maps and sets):
 * `for (const name of track(names, "encode")) { … }`. The bar finishes when the loop ends or breaks.
 */
export function track<T>(items: Iterable<T>, options: string | ProgressOptions = {}): Generator<T, void, undefined> {
  if (items === null || items === undefined || typeof (items as Partial<Iterable<T>>)[Symbol.iterator] !== "function") {
    throw new TypeError(`track: expected an iterable (array, set, generator…), got ${items === null ? "null" : typeof items}`);
  }
  const settings: ProgressOptions = typeof options === "string" ? { label: options } : { ...options };
  if (settings.total === undefined) settings.total = sizeOf(items);
  return trackGenerator(items, settings);
}

function* trackGenerator<T>(items: Iterable<T>, settings: ProgressOptions): Generator<T, void, undefined> {
  const bar = progress(settings);
  let completed = 0;
  try {
    for (const item of items) {
      yield item;
      completed += 1;
      bar.update(completed);
    }
  } finally {
    bar.done();
  }
}
