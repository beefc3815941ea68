/**
 * Plotly figures inline in notebooks, fully offline: plotly.js comes from node_modules and is embedded
 * in the first figure each browser page receives (a reload is a new page, and so is a re-run of the cell
 * that carried it, whose output the front end clears), so saved notebooks and their HTML exports carry it
 * too. A figure that still finds no plotly.js on its page (the carrying output was cleared by hand) loads
 * the copy that `npm start` serves from .jupyter/nbextensions. JupyterLab and VS Code render the plotly
 * MIME type natively; classic Notebook and HTML exports run the `text/html` part. In a terminal a figure
 * is a one-line description, plus a standalone HTML file when LLM_COURSE_PLOT_DIR is set.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { display, escapeHtml, isNotebook, newDisplayId, type MimeBundle } from "./display";
import { currentExecution, type ExecutionContext } from "./kernel-session";
import { slug } from "./slug";

/** One Plotly trace (https://plotly.com/javascript/reference/): `{ type: "scatter", x, y, name, … }`. */
export interface PlotTrace {
  type?: string;
  name?: string;
  [attribute: string]: unknown;
}

/** Plotly layout attributes (title, axes, size, …). Plain strings are accepted for titles. */
export type PlotLayout = Record<string, unknown>;

/** Plotly config attributes (toolbar, responsiveness, …). */
export type PlotConfig = Record<string, unknown>;

/** A complete figure, as Plotly and its Jupyter MIME type take it. */
export interface Figure {
  data: PlotTrace[];
  layout: PlotLayout;
  config: PlotConfig;
}

/** Anything with `arraySync()`, i.e. a tfjs tensor, so lessons can plot tensors without converting them. */
export interface ArraySyncable {
  arraySync(): unknown;
}

/** Numbers: an array, a typed array (`tensor.dataSync()`), or a 1-D tensor. */
export type NumberList = ArrayLike<number> | ArraySyncable;

/** Tick values of an axis: numbers or category names. */
export type AxisValues = ArrayLike<number | string> | ArraySyncable;

/** Options shared by the plot helpers. */
export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Height in pixels (default 400); the width follows the notebook. */
  height?: number;
  /** Width in pixels (default: responsive). */
  width?: number;
  logX?: boolean;
  logY?: boolean;
  /** File name (without .html) for the standalone copy written in a terminal when LLM_COURSE_PLOT_DIR is set. */
  file?: string;
}

/** The Jupyter MIME type of Plotly figures. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
/** Environment variable: the folder where terminal runs save each figure as a standalone HTML file. */
export const PLOT_DIR_VARIABLE = "LLM_COURSE_PLOT_DIR";

/**
 * Where plotly.js was last embedded: the page and cell of that figure (`{}` outside the course's kernel,
 * where pages cannot be told apart: embedded once per kernel), or null when not yet.
 */
let plotlyEmbeddedIn: Partial<ExecutionContext> | null = null;
let plotlyCache: { source: string; version: string } | null = null;
let savedFigures = 0;

/** plotly.js's minified source and version, read once from node_modules (never from a CDN). */
export function plotlySource(): { source: string; version: string } {
  if (plotlyCache) return plotlyCache;
  let file: string;
  try {
    file = require.resolve("plotly.js-dist-min");
  } catch {
    throw new Error("plot: the npm package plotly.js-dist-min is missing; run `npm install` in the course folder");
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(file), "package.json"), "utf8")) as { version?: string };
  plotlyCache = { source: fs.readFileSync(file, "utf8"), version: pkg.version ?? "unknown" };
  return plotlyCache;
}

/**
 * Forgets that the page already has plotly.js, so the next figure embeds it again. The course's kernel
 * does this by itself after a reload or a re-run of the carrying cell; this is for other kernels.
 */
export function resetPlotlyEmbedding(): void {
  plotlyEmbeddedIn = null;
}

/**
 * Whether a figure shown now must carry plotly.js: the first figure of each page (client session), and
 * again when the cell that carried it runs anew (the front end cleared its output).
 */
export function needsPlotlyEmbedding(now: ExecutionContext | null, embeddedIn: Partial<ExecutionContext> | null): boolean {
  if (embeddedIn === null) return true;
  if (now === null) return false;
  if (now.clientSession !== embeddedIn.clientSession) return true;
  return now.cellKey === embeddedIn.cellKey && now.number !== embeddedIn.number;
}

/** Where `npm start` serves plotly.js (under the Jupyter server's base URL); registerKernel copies it there. */
export const SERVED_PLOTLY_PATH = "nbextensions/llm-course/plotly.min.js";

/**
 * A `<script>` defining `window.Plotly`. The source runs inside a function whose `define`, `module`,
 * `exports` and `require` are undefined: on pages with RequireJS (classic Notebook 6) a UMD wrapper would
 * otherwise register an anonymous AMD module (or throw "Mismatched anonymous define()") instead of
 * setting the global that the figures use.
 */
export function plotlyScriptTag(): string {
  const { source, version } = plotlySource();
  return (
    `<script type="text/javascript">/* plotly.js ${version}, embedded from node_modules by @llm-course/lib/notebook */\n` +
    `${wrapUmdSource(source, "Plotly")}\n</script>`
  );
}

let packedPlotly: string | null = null;

/**
 * The `<script>` that notebook figures carry: plotly.js gzipped and in base64 (1.9 MB instead of 4.9 MB
 * per saved notebook), unpacked by the browser's DecompressionStream and run with the same UMD wrapper as
 * {@link plotlyScriptTag}. Figures wait for `window.Plotly`, so the unpacking being asynchronous is fine.
 */
export function packedPlotlyScriptTag(): string {
  const { source, version } = plotlySource();
  packedPlotly ??= gzipSync(Buffer.from(source, "utf8"), { level: 9 }).toString("base64");
  const [before, after] = wrapUmdSource("\u0000", "Plotly").split("\u0000") as [string, string];
  return (
    `<script type="text/javascript">/* plotly.js ${version}, embedded from node_modules by @llm-course/lib/notebook (gzip, base64) */\n` +
    `(function () {\n` +
    `  if (window.Plotly || window.__llmCoursePlotlyUnpacking) { return; }\n` +
    `  window.__llmCoursePlotlyUnpacking = true;\n` +
    `  var bytes = Uint8Array.from(atob("${packedPlotly}"), function (c) { return c.charCodeAt(0); });\n` +
    `  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(function (source) {\n` +
    `    var script = document.createElement("script");\n` +
    `    script.textContent = ${scriptJson(before)} + source + ${scriptJson(after)};\n` +
    `    document.head.appendChild(script);\n` +
    `  });\n` +
    `})();\n</script>`
  );
}

/**
 * Wraps a UMD bundle so that it always takes its "browser global" branch: it runs inside a function whose
 * `define`, `module`, `exports` and `require` parameters are undefined, and is skipped when
 * `window[globalName]` already exists. The result is safe inside a `<script>` element.
 */
export function wrapUmdSource(source: string, globalName: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(globalName)) throw new Error(`wrapUmdSource: invalid global name "${globalName}"`);
  // "</script" inside the source would end the tag early; "<\/script" means the same to JavaScript.
  const safe = source.replace(/<\/script/gi, "<\\/script");
  return (
    `(function (define, module, exports, require) {\n` +
    `if (typeof window !== "undefined" && window.${globalName}) { return; }\n` +
    `${safe}\n` +
    `}).call(typeof window !== "undefined" ? window : this);`
  );
}

/** JSON that is safe inside a `<script>` element (no `</script>`, `<!--` or line separators). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function titleText(title: unknown): string | undefined {
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && typeof (title as { text?: unknown }).text === "string") {
    return (title as { text: string }).text;
  }
  return undefined;
}

function valueCount(value: unknown): number | undefined {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return (value as ArrayLike<unknown>).length;
  return undefined;
}

/** Trace kinds as the one-line description names them (French: students read it where figures do not render). */
const TRACE_KIND_NAMES: Record<string, string> = { line: "courbe", scatter: "nuage de points", bar: "barres", heatmap: "carte de chaleur", contour: "contours" };

function describeTrace(trace: PlotTrace, index: number): string {
  const type = trace.type ?? "scatter";
  const name = typeof trace.name === "string" && trace.name !== "" ? ` « ${trace.name} »` : "";
  if (type === "heatmap" || type === "contour") {
    const z = trace.z;
    const rows = Array.isArray(z) ? z.length : 0;
    const cols = Array.isArray(z) && Array.isArray(z[0]) ? (z[0] as unknown[]).length : 0;
    return `${TRACE_KIND_NAMES[type]}${name} ${rows}×${cols}`;
  }
  let kind = type;
  if (type === "scatter" || type === "scattergl") {
    const mode = typeof trace.mode === "string" ? trace.mode : "lines";
    kind = mode.includes("lines") ? "line" : "scatter";
  }
  const n = valueCount(trace.y) ?? valueCount(trace.x) ?? valueCount(trace.values) ?? valueCount(trace.z);
  const unit = type === "bar" ? "barre" : "point";
  const size = n === undefined ? "" : ` (${n} ${unit}${n === 1 ? "" : "s"})`;
  return `${TRACE_KIND_NAMES[kind] ?? kind}${name || ` n° ${index + 1}`}${size}`;
}

/** The figure in one line of text: what a terminal prints and the notebook's text/plain fallback. */
export function describeFigure(figure: Figure): string {
  const title = titleText(figure.layout.title);
  const traces = figure.data.map(describeTrace).join(", ");
  const axes: string[] = [];
  const x = titleText((figure.layout.xaxis as PlotLayout | undefined)?.title);
  const y = titleText((figure.layout.yaxis as PlotLayout | undefined)?.title);
  if (x) axes.push(`x : ${x}`);
  if (y) axes.push(`y : ${y}`);
  return `Figure${title ? ` « ${title} »` : ""} — ${traces || "aucune série"}${axes.length ? ` ; ${axes.join(", ")}` : ""}`;
}

/** Shown in place of a figure when no copy of plotly.js could be found (French: students read it). */
export const PLOTLY_MISSING_MESSAGE =
  "Figure non affichée : plotly.js n'est ni dans ce notebook ni servi par Jupyter. Exécutez de nouveau cette cellule (avec `npm start`).";

/**
 * The `<div>` and `<script>` that draw one figure once `window.Plotly` exists. It waits for a copy
 * embedded elsewhere on the page (an export runs the outputs in document order, not in execution order);
 * after a second without one, on a Jupyter page (whose body has data-base-url), it loads the copy the
 * server serves: through RequireJS when the page has it (plotly's UMD header then registers a module),
 * else with a script element.
 */
export function figureHtml(figure: Figure, divId: string = `llm-course-plot-${newDisplayId()}`): string {
  if (!/^[A-Za-z][\w-]*$/.test(divId)) throw new Error(`plot: invalid element id "${divId}" (letters, digits, - and _ only)`);
  const height = typeof figure.layout.height === "number" ? `${figure.layout.height}px` : "400px";
  // The placeholder text stays where scripts do not run (untrusted notebooks, GitHub's viewer).
  return (
    `<div id="${divId}" class="llm-course-plot" style="width:100%;min-height:${height}">${escapeHtml(describeFigure(figure))}</div>\n` +
    `<script type="text/javascript">\n(function () {\n` +
    `  var figure = ${scriptJson(figure)};\n` +
    `  var waited = 0;\n` +
    `  function loadServedPlotly() {\n` +
    `    var base = document.body && document.body.getAttribute("data-base-url");\n` +
    `    if (base === null || base === undefined || window.__llmCoursePlotlyRequested) { return; }\n` +
    `    window.__llmCoursePlotlyRequested = true;\n` +
    `    var url = base.replace(/\\/?$/, "/") + ${scriptJson(SERVED_PLOTLY_PATH)};\n` +
    `    if (typeof window.requirejs === "function") {\n` +
    `      window.requirejs([url], function (Plotly) { if (!window.Plotly) { window.Plotly = Plotly; } });\n` +
    `    } else {\n` +
    `      var script = document.createElement("script"); script.src = url; document.head.appendChild(script);\n` +
    `    }\n` +
    `  }\n` +
    `  function draw() {\n` +
    `    var el = document.getElementById(${scriptJson(divId)});\n` +
    `    if (el && window.Plotly) { el.textContent = ""; window.Plotly.newPlot(el, figure.data, figure.layout, figure.config); return; }\n` +
    `    waited += 100;\n` +
    `    if (waited === 1000) { loadServedPlotly(); }\n` +
    `    if (waited > 15000) { if (el) { el.textContent = ${scriptJson(PLOTLY_MISSING_MESSAGE)}; } return; }\n` +
    `    setTimeout(draw, 100);\n` +
    `  }\n  draw();\n})();\n</script>`
  );
}

/**
 * The MIME bundle of a figure: plotly JSON, HTML (with plotly.js itself, packed, when `embedPlotly`), and a
 * one-line text description.
 */
export function figureBundle(figure: Figure, options: { embedPlotly?: boolean; divId?: string } = {}): MimeBundle {
  const htmlPart = (options.embedPlotly ? `${packedPlotlyScriptTag()}\n` : "") + figureHtml(figure, options.divId);
  return {
    [PLOTLY_MIME]: { data: figure.data, layout: figure.layout, config: figure.config },
    "text/html": htmlPart,
    "text/plain": describeFigure(figure),
  };
}

/** A complete HTML page showing the figure, with plotly.js inline (opens offline in any browser). */
export function standaloneHtml(figure: Figure): string {
  const title = escapeHtml(titleText(figure.layout.title) ?? "Figure");
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title>\n${plotlyScriptTag()}\n</head>\n` +
    `<body>\n${figureHtml(figure)}\n</body></html>\n`
  );
}


/**
 * Shows a figure: inline in a notebook (embedding plotly.js the first time), as a text line in a terminal
 * (plus an HTML file in LLM_COURSE_PLOT_DIR when set). Returns the file written, if any.
 */
export function showFigure(figure: Figure, file?: string): string | undefined {
  checkFigure(figure);
  if (isNotebook()) {
    const now = currentExecution();
    const embed = needsPlotlyEmbedding(now, plotlyEmbeddedIn);
    display(figureBundle(figure, { embedPlotly: embed }));
    if (embed) plotlyEmbeddedIn = now ?? {};
    return undefined;
  }
  const dir = process.env[PLOT_DIR_VARIABLE];
  let line = describeFigure(figure);
  let written: string | undefined;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    savedFigures += 1;
    const name = `${String(savedFigures).padStart(2, "0")}-${slug(file ?? titleText(figure.layout.title) ?? "figure", "figure")}.html`;
    written = path.join(dir, name);
    fs.writeFileSync(written, standaloneHtml(figure));
    line += ` → ${written}`;
  }
  process.stdout.write(`${line}\n`);
  return written;
}

function checkFigure(figure: Figure): void {
  if (!figure || typeof figure !== "object") throw new TypeError("plot: expected a figure { data, layout, config }");
  if (!Array.isArray(figure.data)) throw new TypeError("plot: figure.data must be an array of traces");
}

/** Plotly JSON must be plain: typed arrays and tensors become arrays, functions are refused. */
function plain(value: unknown, where: string, depth = 0): unknown {
  if (depth > 32) throw new Error(`plot: ${where} is nested too deeply (a cycle?)`);
  if (value === null || value === undefined) return value;
  if (typeof value === "function") throw new TypeError(`plot: ${where} is a function; Plotly figures hold data only`);
  if (typeof value === "bigint") return Number(value);
  if (typeof value !== "object") return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof (value as Partial<ArraySyncable>).arraySync === "function") return (value as ArraySyncable).arraySync();
  if (Array.isArray(value)) return value.map((item, i) => plain(item, `${where}[${i}]`, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = plain(item, `${where}.${key}`, depth + 1);
  return out;
}

/** Plotly 3 dropped string titles (`title: "Loss"`); accept them and write `{ text: "Loss" }`. */
function normalizeTitles(layout: PlotLayout): PlotLayout {
  const out: PlotLayout = { ...layout };
  if (typeof out.title === "string") out.title = { text: out.title };
  for (const key of Object.keys(out)) {
    if (/^[xy]axis\d*$/.test(key) && out[key] && typeof out[key] === "object") {
      const axis = { ...(out[key] as PlotLayout) };
      if (typeof axis.title === "string") axis.title = { text: axis.title };
      out[key] = axis;
    }
  }
  return out;
}

function baseLayout(options: PlotOptions): PlotLayout {
  checkOptions(options);
  const layout: PlotLayout = {
    height: options.height ?? 400,
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 60 },
    // automargin grows the margins for long tick labels so axis titles are never cut off.
    xaxis: { title: { text: options.xLabel ?? "" }, automargin: true, ...(options.logX ? { type: "log" } : {}) },
    yaxis: { title: { text: options.yLabel ?? "" }, automargin: true, ...(options.logY ? { type: "log" } : {}) },
  };
  if (options.width !== undefined) layout.width = options.width;
  if (options.title) layout.title = { text: options.title };
  return layout;
}

function checkOptions(options: PlotOptions): void {
  if (options === null || typeof options !== "object") throw new TypeError("plot: options must be an object such as { title: \"Loss\" }");
  for (const key of ["height", "width"] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v <= 0)) {
      throw new RangeError(`plot: ${key} must be a positive number of pixels (got ${String(v)})`);
    }
  }
}

const DEFAULT_CONFIG: PlotConfig = { responsive: true, displaylogo: false };

/**
 * Shows any Plotly figure: `plot([{ type: "scatter", x, y }], { title: "…" })`. Typed arrays and tensors
 * in the traces are converted; string titles are accepted.
 */
export function plot(traces: PlotTrace | readonly PlotTrace[], layout: PlotLayout = {}, config: PlotConfig = {}): void {
  const list = Array.isArray(traces) ? traces : [traces];
  list.forEach((trace, i) => {
    if (!trace || typeof trace !== "object" || Array.isArray(trace)) {
      throw new TypeError(`plot: trace ${i} must be an object such as { type: "scatter", x: [...], y: [...] }`);
    }
  });
  if (!layout || typeof layout !== "object" || Array.isArray(layout)) throw new TypeError("plot: layout must be an object");
  const figure: Figure = {
    data: list.map((trace, i) => plain(trace, `trace ${i}`) as PlotTrace),
    layout: normalizeTitles(plain(layout, "layout") as PlotLayout),
    config: { ...DEFAULT_CONFIG, ...(plain(config, "config") as PlotConfig) },
  };
  showFigure(figure, titleText(figure.layout.title));
}

function toList(value: unknown, what: string): unknown[] {
  if (value && typeof value === "object" && typeof (value as Partial<ArraySyncable>).arraySync === "function") {
    value = (value as ArraySyncable).arraySync();
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>);
  throw new TypeError(`${what} must be an array, a typed array or a tensor (got ${value === null ? "null" : typeof value})`);
}

function toNumbers(value: unknown, what: string): number[] {
  const list = toList(value, what);
  list.forEach((v, i) => {
    if (typeof v !== "number") throw new TypeError(`${what} must hold numbers; index ${i} is ${Array.isArray(v) ? "an array" : typeof v}`);
  });
  return list as number[];
}

function toAxis(value: unknown, what: string): (number | string)[] {
  const list = toList(value, what);
  list.forEach((v, i) => {
    if (typeof v !== "number" && typeof v !== "string") throw new TypeError(`${what} must hold numbers or strings; index ${i} is ${typeof v}`);
  });
  return list as (number | string)[];
}

function toMatrix(value: unknown, what: string): number[][] {
  const rows = toList(value, what);
  if (rows.length === 0) throw new RangeError(`${what} is empty`);
  const matrix = rows.map((row, i) => toNumbers(row, `${what} row ${i}`));
  const width = matrix[0].length;
  matrix.forEach((row, i) => {
    if (row.length !== width) throw new RangeError(`${what} is ragged: row 0 has ${width} values, row ${i} has ${row.length}`);
  });
  return matrix;
}

function checkSameLength(a: unknown[], b: unknown[], what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} x values for ${b.length} y values`);
}

/** One line of {@link linePlot}: y values, optional x values and legend name. */
export interface SeriesSpec {
  y: NumberList;
  x?: AxisValues;
  name?: string;
}

/** Lines for {@link linePlot}: one list of numbers, `{ y, x?, name? }`, a list of those, or `{ name: numbers }`. */
export type LineSeries = NumberList | SeriesSpec | readonly SeriesSpec[] | Record<string, NumberList | SeriesSpec>;

/** Options of {@link linePlot}. */
export interface LinePlotOptions extends PlotOptions {
  /** x values shared by every line that has none (default 0, 1, 2, …). */
  x?: AxisValues;
  /** Draw markers on the points too. */
  markers?: boolean;
}

function isSeriesSpec(value: unknown): value is SeriesSpec {
  return !!value && typeof value === "object" && !Array.isArray(value) && !ArrayBuffer.isView(value) && "y" in value;
}

function isNumberListLike(value: unknown): boolean {
  if (ArrayBuffer.isView(value)) return true;
  if (value && typeof value === "object" && typeof (value as Partial<ArraySyncable>).arraySync === "function") return true;
  return Array.isArray(value) && (value.length === 0 || typeof value[0] === "number");
}

/**
 * Line chart, e.g. loss curves: `linePlot({ train: trainLoss, dev: devLoss }, { xLabel: "step", yLabel: "loss" })`.
 */
export function linePlot(series: LineSeries, options: LinePlotOptions = {}): void {
  let specs: SeriesSpec[];
  if (isNumberListLike(series)) specs = [{ y: series as NumberList }];
  else if (isSeriesSpec(series)) specs = [series];
  else if (Array.isArray(series)) specs = series as SeriesSpec[];
  else if (series && typeof series === "object") {
    specs = Object.entries(series as Record<string, NumberList | SeriesSpec>).map(([name, s]) =>
      isSeriesSpec(s) ? { name, ...s } : { name, y: s },
    );
  } else {
    throw new TypeError(`linePlot: expected numbers, { y, x?, name? }, a list of those, or { name: numbers } (got ${series === null ? "null" : typeof series})`);
  }
  if (specs.length === 0) throw new RangeError("linePlot: no series to draw");
  const sharedX = options.x === undefined ? undefined : toAxis(options.x, "linePlot: options.x");
  const traces = specs.map((spec, i): PlotTrace => {
    if (!isSeriesSpec(spec)) throw new TypeError(`linePlot: series ${i} must be { y, x?, name? }`);
    const label = spec.name ?? `series ${i}`;
    const y = toNumbers(spec.y, `linePlot: "${label}" y`);
    const x = spec.x !== undefined ? toAxis(spec.x, `linePlot: "${label}" x`) : sharedX ?? y.map((_, j) => j);
    checkSameLength(x, y, `linePlot: "${label}"`);
    const trace: PlotTrace = { type: "scatter", mode: options.markers ? "lines+markers" : "lines", x, y };
    if (spec.name !== undefined) trace.name = spec.name;
    return trace;
  });
  const layout = baseLayout(options);
  layout.showlegend = traces.some((t) => t.name !== undefined);
  showFigure({ data: traces, layout, config: { ...DEFAULT_CONFIG } }, options.file ?? options.title);
}

/** Points for {@link scatterPlot}: an N×2 matrix (e.g. 2-D embeddings) or `{ x, y }`. */
export type ScatterPoints = readonly (readonly number[])[] | ArraySyncable | { x: NumberList; y: NumberList };

/** Options of {@link scatterPlot}. */
export interface ScatterPlotOptions extends PlotOptions {
  /** Text written next to each point (tokens, words): the usual view of 2-D embeddings. */
  labels?: ArrayLike<string | number>;
  /** A category per point; each category gets its own colour and legend entry. */
  groups?: ArrayLike<string | number>;
  /** Marker size in pixels (default 8). */
  markerSize?: number;
}

/**
 * Scatter plot with optional text labels: `scatterPlot(embeddings2d, { labels: vocab, title: "Embeddings" })`.
 */
export function scatterPlot(points: ScatterPoints, options: ScatterPlotOptions = {}): void {
  let x: number[];
  let y: number[];
  if (points && typeof points === "object" && !Array.isArray(points) && "x" in points && "y" in points) {
    x = toNumbers(points.x, "scatterPlot: x");
    y = toNumbers(points.y, "scatterPlot: y");
    checkSameLength(x, y, "scatterPlot");
  } else {
    const matrix = toMatrix(points, "scatterPlot: points");
    if (matrix[0].length !== 2) throw new RangeError(`scatterPlot: points must be N×2 (x, y) pairs, got N×${matrix[0].length}`);
    x = matrix.map((row) => row[0]);
    y = matrix.map((row) => row[1]);
  }
  const labels = options.labels === undefined ? undefined : Array.from(options.labels, String);
  const groups = options.groups === undefined ? undefined : Array.from(options.groups, String);
  if (labels && labels.length !== x.length) throw new RangeError(`scatterPlot: ${labels.length} labels for ${x.length} points`);
  if (groups && groups.length !== x.length) throw new RangeError(`scatterPlot: ${groups.length} groups for ${x.length} points`);
  const size = options.markerSize ?? 8;
  const trace = (idx: number[], name?: string): PlotTrace => {
    const t: PlotTrace = {
      type: "scatter",
      mode: labels ? "markers+text" : "markers",
      x: idx.map((i) => x[i]),
      y: idx.map((i) => y[i]),
      marker: { size },
    };
    // cliponaxis: false keeps the labels of points on the plot's edge readable.
    if (labels) Object.assign(t, { text: idx.map((i) => labels[i]), textposition: "top center", hoverinfo: "text+x+y", cliponaxis: false });
    if (name !== undefined) t.name = name;
    return t;
  };
  const all = x.map((_, i) => i);
  const traces = groups
    ? [...new Set(groups)].map((g) => trace(all.filter((i) => groups[i] === g), g))
    : [trace(all)];
  const layout = baseLayout(options);
  layout.showlegend = groups !== undefined;
  showFigure({ data: traces, layout, config: { ...DEFAULT_CONFIG } }, options.file ?? options.title);
}

/** A Plotly colour scale: a name ("Viridis", "RdBu", …) or [position 0…1, CSS colour] stops. */
export type ColorScale = string | readonly (readonly [number, string])[];

/**
 * White to dark blue, like matplotlib's "Blues" (the makemore count matrix): large values stand out.
 * Plotly's own "Blues" runs the other way, dark for small values.
 */
export const LIGHT_TO_DARK_BLUES: readonly (readonly [number, string])[] = [
  [0, "#f7fbff"],
  [0.125, "#deebf7"],
  [0.25, "#c6dbef"],
  [0.375, "#9ecae1"],
  [0.5, "#6baed6"],
  [0.625, "#4292c6"],
  [0.75, "#2171b5"],
  [0.875, "#08519c"],
  [1, "#08306b"],
];

/** Options of {@link heatmap}. */
export interface HeatmapOptions extends PlotOptions {
  /** Colour scale (default {@link LIGHT_TO_DARK_BLUES}). */
  colorscale?: ColorScale;
  /** Write each cell's value in it (for small matrices: counts, attention weights). */
  showValues?: boolean;
  /** Decimals of the written values (default: as Plotly prints them). */
  digits?: number;
  /** Square cells (x and y scaled alike). */
  square?: boolean;
  zmin?: number;
  zmax?: number;
}

function checkLabels(labels: (number | string)[] | undefined, count: number, what: string): void {
  if (!labels) return;
  if (labels.length !== count) throw new RangeError(`heatmap: ${labels.length} ${what} for ${count} ${what === "xLabels" ? "columns" : "rows"}`);
  const seen = new Map<string, number>();
  labels.forEach((label, i) => {
    const key = String(label);
    // Plotly merges equal category names, which would silently misplace cells.
    if (seen.has(key)) throw new RangeError(`heatmap: ${what} repeats "${key}" (positions ${seen.get(key)} and ${i})`);
    seen.set(key, i);
  });
}

/**
 * Heat-map of a matrix, row 0 at the top (as matrices are written): count matrices, attention weights.
 * `heatmap(counts, chars, chars, { showValues: true, title: "Bigrammes" })`
 */
export function heatmap(matrix: readonly (readonly number[])[] | ArraySyncable, xLabels?: AxisValues, yLabels?: AxisValues, options: HeatmapOptions = {}): void {
  const z = toMatrix(matrix, "heatmap: matrix");
  const xs = xLabels === undefined ? undefined : toAxis(xLabels, "heatmap: xLabels").map(String);
  const ys = yLabels === undefined ? undefined : toAxis(yLabels, "heatmap: yLabels").map(String);
  checkLabels(xs, z[0].length, "xLabels");
  checkLabels(ys, z.length, "yLabels");
  if (options.digits !== undefined && (!Number.isInteger(options.digits) || options.digits < 0 || options.digits > 20)) {
    throw new RangeError(`heatmap: digits must be an integer from 0 to 20 (got ${String(options.digits)})`);
  }
  const colorscale = plain(options.colorscale ?? LIGHT_TO_DARK_BLUES, "heatmap: colorscale");
  const trace: PlotTrace = { type: "heatmap", z, colorscale, hoverongaps: false };
  if (xs) trace.x = xs;
  if (ys) trace.y = ys;
  if (options.zmin !== undefined) trace.zmin = options.zmin;
  if (options.zmax !== undefined) trace.zmax = options.zmax;
  if (options.showValues) trace.texttemplate = options.digits === undefined ? "%{z}" : `%{z:.${options.digits}f}`;
  const layout = baseLayout(options);
  const xaxis = layout.xaxis as PlotLayout;
  const yaxis = layout.yaxis as PlotLayout;
  // Category axes keep labels such as "1" or "." as names instead of parsing them as numbers.
  if (xs) Object.assign(xaxis, { type: "category", tickmode: "array", tickvals: xs });
  if (ys) Object.assign(yaxis, { type: "category", tickmode: "array", tickvals: ys });
  yaxis.autorange = "reversed";
  if (options.square) yaxis.scaleanchor = "x";
  showFigure({ data: [trace], layout, config: { ...DEFAULT_CONFIG } }, options.file ?? options.title);
}

/** Options of {@link barPlot}. */
export interface BarPlotOptions extends PlotOptions {
  /** Horizontal bars (labels on the y axis), better for long labels. */
  horizontal?: boolean;
}

/**
 * Bar chart: `barPlot(["le", "la", "les"], [12, 9, 4])` or `barPlot({ le: 12, la: 9, les: 4 })`.
 */
export function barPlot(data: Record<string, number>, options?: BarPlotOptions): void;
export function barPlot(labels: AxisValues, values: NumberList, options?: BarPlotOptions): void;
export function barPlot(
  first: AxisValues | Record<string, number>,
  second?: NumberList | BarPlotOptions,
  third: BarPlotOptions = {},
): void {
  let labels: string[];
  let values: number[];
  let options: BarPlotOptions;
  const isRecord = !!first && typeof first === "object" && !Array.isArray(first) && !ArrayBuffer.isView(first) &&
    typeof (first as Partial<ArraySyncable>).arraySync !== "function";
  if (isRecord) {
    const entries = Object.entries(first as Record<string, unknown>);
    labels = entries.map(([k]) => k);
    values = toNumbers(entries.map(([, v]) => v), "barPlot: values");
    options = (second as BarPlotOptions | undefined) ?? {};
  } else {
    labels = toAxis(first, "barPlot: labels").map(String);
    if (second === undefined) throw new TypeError("barPlot: missing values (call barPlot(labels, values) or barPlot({ label: value }))");
    values = toNumbers(second, "barPlot: values");
    options = third;
    if (labels.length !== values.length) throw new RangeError(`barPlot: ${labels.length} labels for ${values.length} values`);
  }
  const trace: PlotTrace = options.horizontal
    ? { type: "bar", orientation: "h", x: values, y: labels }
    : { type: "bar", x: labels, y: values };
  const layout = baseLayout(options);
  const categoryAxis = (options.horizontal ? layout.yaxis : layout.xaxis) as PlotLayout;
  categoryAxis.type = "category";
  if (options.horizontal) categoryAxis.autorange = "reversed";
  showFigure({ data: [trace], layout, config: { ...DEFAULT_CONFIG } }, options.file ?? options.title);
}
