/**
 * Rich output for notebooks: sends MIME bundles to the tslab kernel when the code runs inside one, and
 * falls back to plain text in a terminal (tests, scripts, CI logs).
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";

/**
 * What Jupyter displays: one representation per MIME type. `text/plain` is mandatory because every front
 * end (and every terminal) can show it when it cannot render the richer ones.
 */
export interface MimeBundle {
  "text/plain": string;
  [mime: string]: unknown;
}

/** The content of a Jupyter `display_data` / `update_display_data` message. */
export interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

/**
 * The kernel's writer for display messages (tslab's `lastWriteDisplayData`): `update` true sends
 * `update_display_data`, which replaces the output that carries the same display id.
 */
export type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

/** How a display call is sent. */
export interface DisplayOptions {
  /** Display id: a later call with the same id and `update: true` replaces this output in place. */
  displayId?: string;
  /** Replace the output that was shown with `displayId` instead of adding a new one. */
  update?: boolean;
  /** Per-MIME metadata, passed through to the front end. */
  metadata?: Record<string, unknown>;
}

interface TslabJupyterModule {
  lastWriteDisplayData?: DisplayWriter | null;
}

let writerOverride: DisplayWriter | null | undefined;

/**
 * Redirects rich output to `writer` (tests, or a front end other than tslab); `null` forces terminal mode.
 * Returns a function that restores the previous behaviour.
 */
export function setDisplayWriter(writer: DisplayWriter | null): () => void {
  if (writer !== null && typeof writer !== "function") {
    throw new TypeError(`setDisplayWriter: expected a function or null, got ${typeof writer}`);
  }
  const previous = writerOverride;
  writerOverride = writer;
  return () => {
    writerOverride = previous;
  };
}

/**
 * Only looks at modules the kernel has already loaded: requiring tslab's jupyter module from a terminal
 * would pull in its TypeScript compiler for nothing. A checkout-local tslab is tried first, then any tslab
 * the process has loaded (a globally installed kernel importing this library).
 */
function kernelWriter(): DisplayWriter | null {
  if (writerOverride !== undefined) return writerOverride;
  const fromModule = (mod: NodeJS.Module | undefined): DisplayWriter | null => {
    const exported = mod?.exports as TslabJupyterModule | undefined;
    const writer = exported?.lastWriteDisplayData;
    return typeof writer === "function" ? writer : null;
  };
  try {
    const found = fromModule(require.cache[require.resolve("tslab/dist/jupyter")]);
    if (found) return found;
  } catch {
    // tslab is not resolvable from here: maybe a kernel installed elsewhere loaded its own copy.
  }
  const suffix = `${path.sep}tslab${path.sep}dist${path.sep}jupyter.js`;
  for (const [file, mod] of Object.entries(require.cache)) {
    if (file.endsWith(suffix)) {
      const found = fromModule(mod);
      if (found) return found;
    }
  }
  return null;
}

/** True when the code runs in a tslab notebook cell (rich output is possible), false in a terminal. */
export function isNotebook(): boolean {
  return kernelWriter() !== null;
}

/** A fresh display id (random, like tslab's own) for outputs that will be updated in place. */
export function newDisplayId(): string {
  return randomBytes(8).toString("hex");
}

function checkBundle(bundle: MimeBundle, caller: string): void {
  if (bundle === null || typeof bundle !== "object" || Array.isArray(bundle)) {
    throw new TypeError(`${caller}: expected a MIME bundle object such as { "text/plain": "…" }, got ${describeValue(bundle)}`);
  }
  if (typeof bundle["text/plain"] !== "string") {
    throw new TypeError(`${caller}: the bundle needs a "text/plain" string fallback (got ${describeValue(bundle["text/plain"])})`);
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/**
 * Shows a MIME bundle: in a notebook as rich output (the front end picks the richest type it can
 * render), in a terminal as its `text/plain` on stdout. Returns true when it went to a notebook.
 */
export function display(bundle: MimeBundle, options: DisplayOptions = {}): boolean {
  checkBundle(bundle, "display");
  if (options.update && !options.displayId) {
    throw new Error("display: `update: true` needs the `displayId` of the output to replace");
  }
  const writer = kernelWriter();
  if (!writer) {
    process.stdout.write(`${bundle["text/plain"]}\n`);
    return false;
  }
  const transient: DisplayMessage["transient"] = {};
  if (options.displayId) transient.display_id = options.displayId;
  send(writer, { data: bundle, metadata: options.metadata ?? {}, transient }, options.update === true);
  return true;
}

interface QueuedDisplay {
  writer: DisplayWriter;
  message: DisplayMessage;
  update: boolean;
}

/** Messages waiting for the kernel's socket, oldest first. */
const waiting: QueuedDisplay[] = [];
let retryScheduled = false;

function isSocketBusy(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "EBUSY";
}

/**
 * zeromq allows one pending send per socket and throws EBUSY synchronously on the next one: under a burst
 * of output (a progress bar redrawn from a timer while the cell prints) that exception would kill the
 * kernel. Busy sends wait in order and are retried once the event loop has let the socket drain; an update
 * of an output already waiting replaces it, since only its last state will be seen.
 */
function send(writer: DisplayWriter, message: DisplayMessage, update: boolean): void {
  if (waiting.length === 0) {
    try {
      writer(message, update);
      return;
    } catch (error) {
      if (!isSocketBusy(error)) throw error;
    }
  }
  const id = message.transient.display_id;
  const last = waiting[waiting.length - 1];
  if (update && last !== undefined && last.writer === writer && id !== undefined && last.message.transient.display_id === id) {
    last.message = message;
  } else {
    waiting.push({ writer, message, update });
  }
  scheduleRetry();
}

function scheduleRetry(): void {
  if (retryScheduled) return;
  retryScheduled = true;
  setTimeout(flushWaiting, 1);
}

function flushWaiting(): void {
  retryScheduled = false;
  while (waiting.length > 0) {
    const next = waiting[0]!;
    try {
      next.writer(next.message, next.update);
    } catch (error) {
      if (isSocketBusy(error)) {
        scheduleRetry();
        return;
      }
      // Thrown from a timer, this would kill the kernel: that message alone is lost, and said so.
      process.stderr.write(`display: an output could not be sent to the notebook (${String(error)})\n`);
    }
    waiting.shift();
  }
}

/**
 * One output area that can be redrawn in place: the first `show` adds it, later ones replace it
 * (`update_display_data`). Outside a notebook every `show` prints the text fallback.
 */
export class DisplayHandle {
  /** The Jupyter display id shared by every message of this handle. */
  readonly id: string;
  private shown = false;

  constructor(id: string = newDisplayId()) {
    if (typeof id !== "string" || id === "") throw new TypeError("DisplayHandle: the display id must be a non-empty string");
    this.id = id;
  }

  /** Shows `bundle` in place of what this handle showed before. Returns true in a notebook. */
  show(bundle: MimeBundle): boolean {
    const inNotebook = display(bundle, { displayId: this.id, update: this.shown });
    // Only a display that really reached the front end can be updated later.
    if (inNotebook) this.shown = true;
    return inNotebook;
  }
}

/** A new output area that can be updated in place (progress bars, live plots). */
export function createDisplay(): DisplayHandle {
  return new DisplayHandle();
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Shows Markdown (rendered in a notebook, printed as is in a terminal). */
export function markdown(text: string): void {
  if (typeof text !== "string") throw new TypeError(`markdown: expected a string, got ${describeValue(text)}`);
  display({ "text/markdown": text, "text/plain": text });
}

/**
 * Shows an HTML fragment. `textFallback` is what terminals and text-only front ends get; by default the
 * HTML with its tags removed.
 */
export function html(content: string, textFallback?: string): void {
  if (typeof content !== "string") throw new TypeError(`html: expected a string of HTML, got ${describeValue(content)}`);
  display({ "text/html": content, "text/plain": textFallback ?? htmlToText(content) });
}

/** A rough plain-text view of HTML, only for fallbacks: drops scripts, styles and tags, decodes basic entities. */
export function htmlToText(content: string): string {
  return content
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|tr|li|h[1-6])\s*>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
