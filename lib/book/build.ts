/**
 * `npm run book`: the course as a static, offline website (out/book/). The solution notebooks are executed
 * by Jupyter with the course's kernel (full mode unless `fast`), each executed copy cached under a hash of
 * what it depends on, then rendered: a French home page listing the TPs, one page per lesson with its
 * outputs and interactive figures (plotly.js served from the site's assets/, never a CDN), exercise cells
 * shown as the student gets them with the solution folded, navigation, a client-side search, and the
 * student notebook to download.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { marked, type Tokens } from "marked";
import { FAST_MODE_VARIABLE, PATHS } from "../env";
import { cellSource, readNotebook, type JsonObject, type JsonValue, type Notebook, type NotebookCell } from "../grading/notebook-file";
import { releaseNotebook } from "../grading/release";
import { escapeHtml, htmlToText } from "../notebook/display";
import { plotlySource } from "../notebook/plot";
import { slug } from "../notebook/slug";

export interface BookOptions {
  /** Run the lessons in fast mode (CI); the default is full mode, as students run them. */
  fast?: boolean;
  /** Only these notebooks (their TP ids, e.g. ["tp02"]); default all. */
  only?: string[];
  /** Site folder (default out/book). */
  outDir?: string;
  /** Executed notebooks, by content hash (default out/book-cache). */
  cacheDir?: string;
  /** The Python that has Jupyter (nbconvert, nbclient). */
  python: string;
  /** Environment of the Jupyter processes (JUPYTER_PATH pointing at the course's kernel). */
  env: NodeJS.ProcessEnv;
  /** Per-cell timeout in seconds (default none in full mode, 300 in fast mode). */
  cellTimeoutSeconds?: number;
  log?: (line: string) => void;
}

/** One lesson of the book. */
export interface BookLesson {
  stem: string;
  tp: string;
  title: string;
  summary: string;
  /** Cells that ended in an error when executed (their indices), shown as such on the page. */
  errors: number[];
  /** Whether the executed copy came from the cache. */
  cached: boolean;
}

export interface BookResult {
  outDir: string;
  lessons: BookLesson[];
}

/** The solution notebooks (tpNN-topic.ipynb), optionally only some TPs; an unknown TP is an error. */
export function lessonFiles(only?: string[]): string[] {
  const files = fs.readdirSync(PATHS.solutions).filter((f) => /^tp\d{2}-.+\.ipynb$/.test(f)).sort();
  if (!only || only.length === 0) return files;
  const unknown = only.filter((tp) => !files.some((f) => f.startsWith(`${tp}-`)));
  if (unknown.length > 0) throw new Error(`book: no solution notebook for ${unknown.join(", ")} (known: ${files.map((f) => f.slice(0, 4)).join(", ")})`);
  return files.filter((f) => only.some((tp) => f.startsWith(`${tp}-`)));
}

/**
 * What an executed copy depends on: the notebook's code cells, the TP's exercise spec (the check reports)
 * and the mode. Markdown edits re-render without re-running.
 */
export function executionKey(notebook: Notebook, specSource: string, fast: boolean): string {
  const hash = createHash("sha256");
  hash.update(fast ? "fast\n" : "full\n");
  for (const cell of notebook.cells) if (cell.cell_type === "code") hash.update(`${cellSource(cell)}\n\u0000`);
  hash.update(specSource);
  return hash.digest("hex").slice(0, 16);
}

function specSourceOf(tp: string): string {
  const file = fs.readdirSync(PATHS.exercises).find((f) => f.startsWith(`${tp}-`) && f.endsWith(".ts"));
  return file ? fs.readFileSync(path.join(PATHS.exercises, file), "utf8") : "";
}

/** Runs one notebook with nbconvert and the course's kernel; returns the executed notebook file. */
function executeNotebook(source: string, target: string, options: BookOptions): void {
  const timeout = options.cellTimeoutSeconds ?? (options.fast ? 300 : -1);
  const run = spawnSync(
    options.python,
    [
      "-m", "nbconvert", "--to", "notebook", "--execute",
      "--ExecutePreprocessor.kernel_name=tslab",
      `--ExecutePreprocessor.timeout=${timeout}`,
      "--ExecutePreprocessor.allow_errors=True",
      "--output-dir", path.dirname(target), "--output", path.basename(target),
      source,
    ],
    { encoding: "utf8", env: { ...options.env, [FAST_MODE_VARIABLE]: options.fast ? "1" : "0" }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0 || !fs.existsSync(target)) {
    throw new Error(`book: executing ${path.basename(source)} failed (nbconvert exit ${run.status}):\n${(run.stderr || "").slice(-3000)}`);
  }
}

/** The executed copy of a solution notebook, from the cache when its inputs did not change. */
function executedNotebook(file: string, options: BookOptions, cacheDir: string): { notebook: Notebook; cached: boolean } {
  const solution = readNotebook(path.join(PATHS.solutions, file));
  const stem = path.basename(file, ".ipynb");
  const key = executionKey(solution, specSourceOf(stem.slice(0, 4)), options.fast ?? false);
  const cached = path.join(cacheDir, `${stem}.${options.fast ? "fast" : "full"}.${key}.ipynb`);
  if (fs.existsSync(cached)) return { notebook: readNotebook(cached), cached: true };
  fs.mkdirSync(cacheDir, { recursive: true });
  const started = Date.now();
  executeNotebook(path.join(PATHS.solutions, file), cached, options);
  options.log?.(`${stem}: executed in ${((Date.now() - started) / 1000).toFixed(0)} s (${options.fast ? "fast" : "full"} mode)`);
  // Older copies of this notebook in this mode are stale now.
  for (const old of fs.readdirSync(cacheDir)) {
    if (old.startsWith(`${stem}.${options.fast ? "fast" : "full"}.`) && path.join(cacheDir, old) !== cached) fs.rmSync(path.join(cacheDir, old));
  }
  return { notebook: readNotebook(cached), cached: false };
}

// ---------------------------------------------------------------------------------------------------
// Rendering

/** `$…$` and `$$…$$` kept verbatim (marked would read their `_` and `*` as emphasis); shown as TeX source. */
function protectMath(markdown: string): { text: string; math: string[] } {
  const math: string[] = [];
  const text = markdown.replace(/\$\$[\s\S]+?\$\$|\$[^$\n]+?\$/g, (m) => {
    math.push(m);
    return `\u0000MATH${math.length - 1}\u0000`;
  });
  return { text, math };
}

function slugify(text: string, used: Set<string>): string {
  const base = slug(text, "section");
  let anchor = base;
  for (let i = 2; used.has(anchor); i++) anchor = `${base}-${i}`;
  used.add(anchor);
  return anchor;
}

/** A section of a page for the search: its heading, anchor and plain text. */
export interface SearchEntry {
  page: string;
  lesson: string;
  heading: string;
  anchor: string;
  text: string;
}

/** Markdown to HTML; headings get ids (recorded in `headings`), math stays as written. */
export function renderMarkdown(markdown: string, used: Set<string>, headings: { text: string; anchor: string; depth: number }[] = []): string {
  const { text, math } = protectMath(markdown);
  const restore = (html: string) => html.replace(/\u0000MATH(\d+)\u0000/g, (_, i: string) => `<span class="math">${escapeHtml(math[Number(i)]!)}</span>`);
  const renderer = new marked.Renderer();
  renderer.heading = function (this: typeof renderer, token: Tokens.Heading): string {
    const inner = this.parser.parseInline(token.tokens);
    const plain = htmlToText(restore(inner)).trim();
    const anchor = slugify(plain, used);
    headings.push({ text: plain, anchor, depth: token.depth });
    return `<h${token.depth} id="${anchor}">${inner}<a class="anchor" href="#${anchor}" aria-label="lien vers cette section">#</a></h${token.depth}>\n`;
  };
  return restore(marked.parse(text, { async: false, renderer }) as string);
}

// ANSI colour codes (tslab's and Node's error output) have no place in HTML.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The `<script>` carrying plotly.js inside a figure's HTML: the site loads plotly.js once from assets/. */
const EMBEDDED_PLOTLY = /<script type="text\/javascript">\/\* plotly\.js [^*]*, embedded from node_modules[\s\S]*?<\/script>\n?/g;

function joinText(value: JsonValue | undefined): string {
  if (Array.isArray(value)) return value.map(String).join("");
  return typeof value === "string" ? value : "";
}

/** One output of a code cell as HTML. */
export function renderOutput(output: JsonObject): string {
  const type = output.output_type;
  if (type === "stream") {
    const name = output.name === "stderr" ? "stderr" : "stdout";
    return `<pre class="output stream ${name}">${escapeHtml(joinText(output.text).replace(ANSI, ""))}</pre>`;
  }
  if (type === "error") {
    const traceback = joinText((output.traceback as JsonValue[] | undefined)?.map((line) => `${String(line)}\n`) ?? []);
    return `<pre class="output output-error">${escapeHtml((traceback || `${String(output.ename)}: ${String(output.evalue)}`).replace(ANSI, ""))}</pre>`;
  }
  const data = (output.data ?? {}) as JsonObject;
  if (typeof data["text/html"] !== "undefined") {
    return `<div class="output html">${joinText(data["text/html"]).replace(EMBEDDED_PLOTLY, "")}</div>`;
  }
  for (const image of ["image/png", "image/jpeg"]) {
    if (typeof data[image] !== "undefined") return `<div class="output"><img alt="figure" src="data:${image};base64,${joinText(data[image]).replace(/\s/g, "")}"></div>`;
  }
  if (typeof data["image/svg+xml"] !== "undefined") return `<div class="output">${joinText(data["image/svg+xml"])}</div>`;
  if (typeof data["text/markdown"] !== "undefined") return `<div class="output markdown">${marked.parse(joinText(data["text/markdown"]), { async: false })}</div>`;
  if (typeof data["text/plain"] !== "undefined") return `<pre class="output">${escapeHtml(joinText(data["text/plain"]).replace(ANSI, ""))}</pre>`;
  return "";
}

function codeBlock(source: string): string {
  return `<pre class="code"><code>${escapeHtml(source)}</code></pre>`;
}

/** The teacher's cell without its `// BEGIN SOLUTION` / `// END SOLUTION` lines (they mean nothing to a reader). */
function withoutSolutionMarkers(source: string): string {
  return source.split("\n").filter((line) => !/^\s*\/\/\s*(BEGIN|END) SOLUTION\s*$/.test(line)).join("\n");
}

/** A code cell: exercises show the student's version with the solution folded; then the outputs. */
function renderCodeCell(executed: NotebookCell, student: NotebookCell | undefined): { html: string; error: boolean } {
  const outputs = (executed.outputs ?? []) as JsonObject[];
  const error = outputs.some((o) => o.output_type === "error");
  const role = ((student?.metadata.llm_course ?? {}) as JsonObject).role;
  const body = outputs.map(renderOutput).join("\n");
  if (role === "exercise" && student) {
    const id = String(((student.metadata.llm_course ?? {}) as JsonObject).exercise ?? "");
    return {
      error,
      html:
        `<div class="cell code exercise"><div class="exercise-label">✏️ Exercice <code>${escapeHtml(id)}</code> : à compléter dans le notebook</div>\n` +
        `${codeBlock(cellSource(student))}\n` +
        `<details class="solution"><summary>Voir la solution</summary>\n${codeBlock(withoutSolutionMarkers(cellSource(executed)))}\n</details>\n` +
        `${body}</div>`,
    };
  }
  const kind = role === "check" ? " check" : "";
  return { error, html: `<div class="cell code${kind}">${codeBlock(cellSource(executed))}\n${body}</div>` };
}

/** The lesson's title: its first `# ` heading, as plain text. */
export function lessonTitle(notebook: Notebook): string {
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "markdown") continue;
    const match = /^#\s+(.+)$/m.exec(cellSource(cell));
    if (match) return inlineText(match[1]!);
  }
  return "";
}

/** Markdown of one line (a title, a paragraph) as plain text. */
function inlineText(markdown: string): string {
  return htmlToText(marked.parseInline(markdown.replace(/\n/g, " "), { async: false }) as string).replace(/\s+/g, " ").trim();
}

/**
 * The first paragraph after the title: what the lesson is about, in the notebook's own (French) words; one
 * that announces a list (ends with ":") takes the list's items along.
 */
export function lessonSummary(notebook: Notebook): string {
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "markdown") continue;
    const blocks = cellSource(cell).split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p && !p.startsWith("#"));
    if (blocks.length === 0) continue;
    let summary = inlineText(blocks[0]!);
    if (summary.endsWith(":") && blocks[1]) {
      const items = blocks[1].split(/\n(?=\s*(?:[-*+]|\d+[.)])\s)/).map((item) => inlineText(item.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, "")).replace(/\s*[;,.]$/, ""));
      summary += ` ${items.filter(Boolean).join(" ; ")}.`;
    }
    return summary;
  }
  return "";
}

const SITE_TITLE = "Cours LLM en TypeScript";

function pageShell(options: { title: string; body: string; nav: string; assets: string }): string {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" href="${options.assets}/book.css">
<script src="${options.assets}/plotly.min.js"></script>
<script src="${options.assets}/search-index.js" defer></script>
<script src="${options.assets}/search.js" defer></script>
</head>
<body>
<header class="top"><a class="site" href="index.html">${escapeHtml(SITE_TITLE)}</a>
<input id="search" type="search" placeholder="Rechercher dans le cours…" aria-label="Rechercher dans le cours" autocomplete="off">
<div id="search-results" hidden></div></header>
<div class="layout">
<nav class="toc">${options.nav}</nav>
<main>
${options.body}
</main>
</div>
</body>
</html>
`;
}

function navigation(lessons: BookLesson[], current?: string): string {
  const items = lessons
    .map((l) => `<li${l.stem === current ? ' class="current"' : ""}><a href="${l.stem}.html">${escapeHtml(l.title)}</a></li>`)
    .join("\n");
  return `<a href="index.html">Accueil</a>\n<ol>\n${items}\n</ol>`;
}

const CSS = `
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; }
header.top { position: sticky; top: 0; z-index: 10; display: flex; gap: 1rem; align-items: center; padding: .6rem 1.2rem; background: #0b3d62; }
header.top a.site { color: #fff; font-weight: 600; text-decoration: none; }
#search { flex: 0 1 22rem; padding: .35rem .6rem; border-radius: 4px; border: 0; font-size: 15px; }
#search-results { position: absolute; top: 2.9rem; left: 1rem; right: 1rem; max-width: 46rem; max-height: 70vh; overflow: auto; background: #fff; border: 1px solid #ccd; border-radius: 6px; box-shadow: 0 6px 24px rgba(0,0,0,.2); padding: .4rem .8rem; }
#search-results a { display: block; padding: .35rem 0; color: #0b3d62; text-decoration: none; border-bottom: 1px solid #eee; }
#search-results small { display: block; color: #555; }
.layout { display: flex; }
nav.toc { flex: 0 0 16rem; padding: 1rem; border-right: 1px solid #e3e3e3; font-size: 14px; position: sticky; top: 3rem; align-self: flex-start; max-height: calc(100vh - 3rem); overflow: auto; }
nav.toc ol { padding-left: 1.2rem; } nav.toc li { margin: .3rem 0; } nav.toc li.current a { font-weight: 700; }
main { flex: 1; min-width: 0; max-width: 60rem; padding: 1rem 2rem 4rem; }
pre { overflow: auto; padding: .6rem .8rem; border-radius: 4px; font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; }
pre.code { background: #f6f8fa; border: 1px solid #e1e4e8; }
pre.output { background: #fff; border-left: 3px solid #d0d7de; white-space: pre-wrap; }
pre.stderr { border-left-color: #d29922; } pre.output-error { border-left-color: #cf222e; background: #fff5f5; }
.cell { margin: 1rem 0; } .cell.exercise { border: 2px solid #8250df; border-radius: 6px; padding: .2rem .8rem .6rem; }
.exercise-label { font-weight: 600; color: #8250df; margin: .4rem 0; }
details.solution summary { cursor: pointer; color: #8250df; } .cell.check pre.code { border-color: #8250df; }
.output.html { overflow-x: auto; } .output.html table { border-collapse: collapse; } .output.html td, .output.html th { border: 1px solid #ddd; padding: .2rem .5rem; }
.math { font-family: ui-monospace, monospace; background: #f3f3f3; padding: 0 .2em; }
a.anchor { margin-left: .4rem; color: #bbb; text-decoration: none; font-size: .8em; }
.download { display: inline-block; margin: .4rem 0 1rem; padding: .4rem .8rem; background: #0b3d62; color: #fff; border-radius: 4px; text-decoration: none; }
.pager { display: flex; justify-content: space-between; margin-top: 3rem; }
table.lessons td { vertical-align: top; padding: .5rem; border-bottom: 1px solid #eee; }
`;

const SEARCH_JS = `(function () {
  var input = document.getElementById("search");
  var box = document.getElementById("search-results");
  function norm(s) { return s.normalize("NFD").replace(/[\\u0300-\\u036f]/g, "").toLowerCase(); }
  var entries = (window.BOOK_INDEX || []).map(function (e) { return { e: e, t: norm(e.heading + " " + e.text) }; });
  function show() {
    var words = norm(input.value).split(/\\s+/).filter(Boolean);
    if (words.length === 0) { box.hidden = true; box.textContent = ""; return; }
    var hits = entries.filter(function (x) { return words.every(function (w) { return x.t.indexOf(w) >= 0; }); }).slice(0, 25);
    box.textContent = "";
    if (hits.length === 0) { var none = document.createElement("p"); none.textContent = "Aucun résultat pour « " + input.value + " »."; box.appendChild(none); }
    hits.forEach(function (x) {
      var a = document.createElement("a");
      a.href = x.e.page + "#" + x.e.anchor;
      a.textContent = x.e.heading;
      var small = document.createElement("small");
      var at = norm(x.e.text).indexOf(words[0]);
      small.textContent = x.e.lesson + " — " + x.e.text.slice(Math.max(0, at - 60), at + 120) + "…";
      a.appendChild(small);
      box.appendChild(a);
    });
    box.hidden = false;
  }
  input.addEventListener("input", show);
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { box.hidden = true; } });
})();
`;

/** Renders one lesson page; returns its HTML, its search entries and the cells that ended in an error. */
export function renderLesson(executed: Notebook, student: Notebook, lesson: BookLesson, lessons: BookLesson[]): { html: string; entries: SearchEntry[]; errors: number[] } {
  const used = new Set<string>();
  const entries: SearchEntry[] = [];
  const errors: number[] = [];
  const parts: string[] = [];
  let section: SearchEntry = { page: `${lesson.stem}.html`, lesson: lesson.title, heading: lesson.title, anchor: "", text: "" };
  entries.push(section);
  executed.cells.forEach((cell, index) => {
    if (cell.cell_type === "markdown") {
      const headings: { text: string; anchor: string; depth: number }[] = [];
      const html = renderMarkdown(cellSource(cell), used, headings);
      const text = htmlToText(html).replace(/#/g, " ").replace(/\s+/g, " ").trim();
      if (headings.length > 0) {
        section = { page: `${lesson.stem}.html`, lesson: lesson.title, heading: headings[0]!.text, anchor: headings[0]!.anchor, text: "" };
        entries.push(section);
      }
      section.text += ` ${text}`;
      parts.push(`<div class="cell markdown">${html}</div>`);
    } else if (cell.cell_type === "code") {
      const rendered = renderCodeCell(cell, student.cells[index]);
      if (rendered.error) errors.push(index);
      parts.push(rendered.html);
    }
  });
  const at = lessons.findIndex((l) => l.stem === lesson.stem);
  const previous = lessons[at - 1];
  const next = lessons[at + 1];
  const pager =
    `<nav class="pager">${previous ? `<a rel="prev" href="${previous.stem}.html">← ${escapeHtml(previous.title)}</a>` : "<span></span>"}` +
    `${next ? `<a rel="next" href="${next.stem}.html">${escapeHtml(next.title)} →</a>` : "<span></span>"}</nav>`;
  const download =
    `<a class="download" href="notebooks/${lesson.stem}.ipynb" download>Télécharger le notebook de l'étudiant (${lesson.stem}.ipynb)</a>` +
    `<p>Ouvert avec <code>npm start</code> dans le dossier du cours, ce notebook contient les exercices à compléter ; cette page montre les sorties de la version corrigée.</p>`;
  const html = pageShell({ title: `${lesson.title} — ${SITE_TITLE}`, nav: navigation(lessons, lesson.stem), assets: "assets", body: `${download}\n${parts.join("\n")}\n${pager}` });
  for (const entry of entries) entry.text = entry.text.trim().slice(0, 4000);
  return { html, entries: entries.filter((entry) => entry.text !== ""), errors };
}

function renderHome(lessons: BookLesson[], fast: boolean): string {
  const rows = lessons
    .map((l) => `<tr><td><a href="${l.stem}.html">${escapeHtml(l.title)}</a><br><a href="notebooks/${l.stem}.ipynb" download><small>notebook de l'étudiant</small></a></td><td>${escapeHtml(l.summary)}</td></tr>`)
    .join("\n");
  const body =
    `<h1>${escapeHtml(SITE_TITLE)}</h1>\n` +
    `<p>Des tokens aux agents : chaque TP est un notebook Jupyter en TypeScript. Ce site montre chaque leçon exécutée, avec ses sorties et ses figures interactives, sans rien installer ni lancer. ` +
    `Les exercices apparaissent tels que vous les recevez, la solution repliée en dessous ; pour les faire, téléchargez le notebook de l'étudiant et ouvrez-le avec <code>npm start</code> dans le dossier du cours.</p>\n` +
    (fast ? `<p><strong>Version rapide</strong> : les leçons ont été exécutées en mode rapide (entraînements écourtés), les chiffres diffèrent de ceux du mode complet.</p>\n` : "") +
    `<table class="lessons"><tbody>\n${rows}\n</tbody></table>`;
  return pageShell({ title: SITE_TITLE, nav: navigation(lessons), assets: "assets", body });
}

/** Builds the site; returns where it is and each lesson's state. */
export function buildBook(options: BookOptions): BookResult {
  const outDir = options.outDir ?? path.join(PATHS.root, "out", "book");
  const cacheDir = options.cacheDir ?? path.join(PATHS.root, "out", "book-cache");
  const log = options.log ?? (() => undefined);
  const files = lessonFiles(options.only);
  const executed = files.map((file) => {
    const result = executedNotebook(file, options, cacheDir);
    if (result.cached) log(`${path.basename(file, ".ipynb")}: outputs reused (inputs unchanged)`);
    return { file, ...result };
  });
  const lessons: BookLesson[] = executed.map(({ file, notebook, cached }) => {
    const stem = path.basename(file, ".ipynb");
    return { stem, tp: stem.slice(0, 4), title: lessonTitle(notebook) || stem, summary: lessonSummary(notebook), errors: [], cached };
  });
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, "assets"), { recursive: true });
  fs.mkdirSync(path.join(outDir, "notebooks"), { recursive: true });
  const index: SearchEntry[] = [];
  executed.forEach(({ file, notebook }, i) => {
    const lesson = lessons[i]!;
    const student = releaseNotebook(readNotebook(path.join(PATHS.solutions, file)), file);
    const page = renderLesson(notebook, student, lesson, lessons);
    lesson.errors = page.errors;
    index.push(...page.entries);
    fs.writeFileSync(path.join(outDir, `${lesson.stem}.html`), page.html);
    fs.copyFileSync(path.join(PATHS.notebooks, file), path.join(outDir, "notebooks", file));
  });
  fs.writeFileSync(path.join(outDir, "index.html"), renderHome(lessons, options.fast ?? false));
  fs.writeFileSync(path.join(outDir, "assets", "plotly.min.js"), plotlySource().source);
  fs.writeFileSync(path.join(outDir, "assets", "book.css"), CSS.trimStart());
  fs.writeFileSync(path.join(outDir, "assets", "search.js"), SEARCH_JS);
  // A script, not JSON fetched at run time: pages opened from file:// cannot fetch.
  fs.writeFileSync(path.join(outDir, "assets", "search-index.js"), `window.BOOK_INDEX = ${JSON.stringify(index)};\n`);
  return { outDir, lessons };
}
