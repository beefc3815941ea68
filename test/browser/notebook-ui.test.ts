/**
 * The course as a student sees it: `npm start`'s classic Notebook UI in Debian's Chromium, a student
 * notebook run with Cell ▸ Run All (every code cell runs and none fails: a demonstration that needs an
 * unfinished exercise waits with the kernel's French « ⏸ » notice; « pas encore fait » reports; figures drawn);
 * then the tab reloaded while the kernel runs (saved figures drawn again, and new ones), a figure whose
 * page lost the embedded plotly.js (served copy), and the saved notebook exported to HTML (figures drawn
 * from file://, offline).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { PATHS } from "../../lib/env";
import { SCRATCH_ROOT } from "../../lib/grading/grade";
// @ts-expect-error -- environment/ holds plain ES modules run by node before anything is installed
import { findJupyterPython } from "../../environment/jupyter.mjs";
import { browserSkipReason, collectErrors, freePort, launchChromium, waitUntil, withScreenshotOnFailure } from "./browser";

/** A light student notebook with figures before its first demonstration that needs an exercise done. */
const NOTEBOOK = "tp02-embeddings.ipynb";
const skip = browserSkipReason();
const folder = path.join(SCRATCH_ROOT, `browser-${process.pid}`);
const token = `course-test-${process.pid}`;
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let base = "";

/** Classic Notebook's own state, read in the page (strings: the course's tsconfig has no DOM types). */
const KERNEL_IDLE = "!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected() && !Jupyter.notebook.kernel_busy)";
const CELLS = `Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code").map((c) => ({
  prompt: c.input_prompt_number === undefined ? null : String(c.input_prompt_number),
  errors: c.output_area.outputs.filter((o) => o.output_type === "error").map((o) => o.ename + ": " + o.evalue),
  text: c.output_area.outputs.map((o) => o.text || (o.data && o.data["text/plain"]) || "").join(""),
}))`;

/** The Python that has Jupyter (npm test already stopped with one line when there is none). */
const jupyterPython = (): string => (findJupyterPython as () => string | null)() ?? "python3";

interface CellState {
  prompt: string | null;
  errors: string[];
  text: string;
}

async function openNotebook(page: Page): Promise<void> {
  await page.goto(`${base}/notebooks/${NOTEBOOK}?token=${token}`);
  await waitUntil(page, KERNEL_IDLE, "the kernel is connected and idle", 60_000);
}

async function runAllAndWait(page: Page): Promise<CellState[]> {
  // Through the menus, as a student does.
  await page.click("#celllink");
  await page.click("#run_all_cells > a");
  // Run All marks every cell "*" at once; done when none is left waiting (a failed cell makes the kernel
  // abort the rest, whose prompts go blank) and the kernel is idle.
  const done = `((cells) => !cells.some((c) => c.prompt === "*") && cells.some((c) => c.prompt !== null && c.prompt.trim() !== ""))(${CELLS}) && ${KERNEL_IDLE}`;
  const state = `(${CELLS}).map((c, i) => i + ": [" + c.prompt + "] " + c.errors.join(" ") + " " + c.text.slice(-120))`;
  await waitUntil(page, done, "Run All has run every cell", 240_000, state);
  return (await page.evaluate(CELLS)) as CellState[];
}

describe("npm start's Notebook UI in Chromium", { skip, timeout: 420_000 }, () => {
  before(async () => {
    fs.mkdirSync(folder, { recursive: true });
    fs.copyFileSync(path.join(PATHS.root, "notebooks", NOTEBOOK), path.join(folder, NOTEBOOK));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // npm start's launcher with its own flags; a scratch copy of the notebook so that saving leaves notebooks/ alone.
    server = spawn(
      process.execPath,
      [path.join(PATHS.root, "environment", "start.mjs"), "--no-browser", `--port=${port}`, `--NotebookApp.token=${token}`, `--notebook-dir=${folder}`],
      { cwd: PATHS.root, stdio: ["ignore", "ignore", "pipe"], detached: true, env: { ...process.env, LLM_COURSE_FAST: "1" } },
    );
    let log = "";
    server.stderr?.on("data", (chunk) => (log += String(chunk)));
    const started = Date.now();
    for (;;) {
      const ok = await fetch(`${base}/api/contents/${NOTEBOOK}?token=${token}&content=0`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() - started > 60_000 || server.exitCode !== null) throw new Error(`npm start did not serve ${NOTEBOOK}:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    // Kernels first: Jupyter starts them in their own session, and they hold the server's stderr pipe.
    const kernels = await fetch(`${base}/api/kernels?token=${token}`).then((r) => r.json() as Promise<{ id: string }[]>, () => []);
    for (const kernel of kernels) await fetch(`${base}/api/kernels/${kernel.id}?token=${token}`, { method: "DELETE" }).catch(() => undefined);
    server?.stderr?.destroy();
    if (server?.pid) {
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("Run All: every cell runs, none fails (demonstrations of unfinished exercises wait, in French), reports, figures drawn; still drawn after a reload and in the HTML export", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    await withScreenshotOnFailure(page, "notebook-ui-run-all", async () => {
      await openNotebook(page);
      const started = Date.now();
      const cells = await runAllAndWait(page);
      const runSeconds = (Date.now() - started) / 1000;
      assert.deepEqual(cells.flatMap((c) => c.errors), [], "no cell ends with an error output");
      // The demonstrations use the student's functions (issue 13): on an untouched notebook, those that
      // need an unfinished exercise wait with the kernel's French notice, and Run All goes on to the end.
      const ran = (c: CellState) => c.prompt !== null && c.prompt.trim() !== "" && c.prompt.trim() !== "*";
      cells.forEach((c, i) => assert.ok(ran(c), `code cell ${i} did not run (prompt ${JSON.stringify(c.prompt)})`));
      cells.forEach((c, i) => assert.doesNotMatch(c.text, /^\w*Error\b/m, `code cell ${i} failed:\n${c.text.slice(-1500)}`));
      const waiting = cells.filter((c) => /⏸ (Cette cellule utilise l'exercice|Cellule en attente)/.test(c.text));
      assert.ok(waiting.length >= 1, "the demonstration of an unfinished exercise waits with the French notice");
      const reports = cells.filter((c) => /⏳ pas encore fait : compléter/.test(c.text));
      assert.ok(reports.length >= 1, `no « pas encore fait : compléter » report:\n${cells.map((c) => c.text).join("\n---\n").slice(0, 3000)}`);
      const figures = await page.locator(".llm-course-plot").count();
      await waitUntil(page, `document.querySelectorAll(".llm-course-plot:has(.main-svg)").length === ${figures}`, "every figure is drawn after Run All");
      assert.ok(figures >= 2, `only ${figures} figures`);
      console.log(`# Run All of ${NOTEBOOK}: ${cells.length} code cells run, ${waiting.length} waiting, ${reports.length} « pas encore fait » reports, ${figures} figures, ${runSeconds.toFixed(1)} s`);

      // Save, then reload the tab while the kernel keeps running.
      await page.evaluate("Jupyter.notebook.save_notebook()");
      await waitUntil(page, "Jupyter.notebook.dirty === false", "the notebook is saved");
      await page.reload();
      await waitUntil(page, KERNEL_IDLE, "the kernel is connected again after the reload", 60_000);
      await waitUntil(page, `document.querySelectorAll(".llm-course-plot:has(.main-svg)").length === ${figures}`, "the saved figures are drawn after the reload");

      // A plot cell run again after the reload: a new page for the kernel, so it embeds plotly.js again.
      // Its index is read once: after clear_output() the search would find the next plot cell.
      const plotCell = String(await page.evaluate(`Jupyter.notebook.get_cells().findIndex((c) => c.cell_type === "code" && c.output_area.element[0].querySelector(".llm-course-plot") !== null)`));
      assert.notEqual(plotCell, "-1");
      const withPlotly = (index: string) => `Jupyter.notebook.get_cell(${index}).output_area.outputs.some((o) => o.data && String(o.data["text/html"] || "").includes("embedded from node_modules"))`;
      await page.evaluate(`(() => { const i = ${plotCell}; Jupyter.notebook.get_cell(i).clear_output(); Jupyter.notebook.execute_cells([i]); })()`);
      await waitUntil(page, `${KERNEL_IDLE} && ${withPlotly(plotCell)} && Jupyter.notebook.get_cell(${plotCell}).output_area.element[0].querySelector(".llm-course-plot .main-svg") !== null`, "the plot cell run after the reload draws its figure", 60_000);
      assert.equal(await page.evaluate(withPlotly(plotCell)), true, "the first figure after a reload carries plotly.js");
      await page.evaluate("Jupyter.notebook.save_notebook()");
      await waitUntil(page, "Jupyter.notebook.dirty === false", "the notebook is saved");

      // Item 1: a cell that does not compile says so in French under TypeScript's diagnostics.
      await page.evaluate(`(() => { const cell = Jupyter.notebook.insert_cell_at_bottom("code"); cell.set_text("function moyenne(xs: number[]): number {\\n  return xs.lenght;\\n}"); cell.execute(); })()`);
      const lastOutput = `Jupyter.notebook.get_cell(Jupyter.notebook.ncells() - 1).output_area.outputs.map((o) => o.text || "").join("")`;
      await waitUntil(page, `${KERNEL_IDLE} && (${lastOutput}).includes("n'a pas compilé")`, "the kernel's French notice under a cell that does not compile", 30_000, lastOutput);
      const notice = (await page.evaluate(lastOutput)) as string;
      assert.match(notice, /Property 'lenght' does not exist/);
      assert.match(notice, /⚠️ Cette cellule n'a pas compilé : TypeScript l'a refusée et aucune de ses lignes n'a été exécutée\. `moyenne` garde sa définition précédente/);
      assert.match(notice, /→ cette propriété n'existe pas/);
      assert.deepEqual(errors, [], "no console error in the Notebook UI");
    });
    await page.close();

    // A page with no embedded copy at all (every plotly.js-carrying output removed): the served copy is loaded.
    const savedText = fs.readFileSync(path.join(folder, NOTEBOOK), "utf8");
    const plotlyCopies = savedText.split("embedded from node_modules").length - 1;
    console.log(`# saved ${NOTEBOOK}: ${(savedText.length / 1e6).toFixed(2)} MB with ${plotlyCopies} packed plotly.js`);
    // The cell re-run after the reload carried the first page's copy: its new output replaced it.
    assert.equal(plotlyCopies, 1, "one plotly.js in the saved notebook, not one per figure or per page");
    const saved = JSON.parse(savedText) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
    const stripped = structuredClone(saved);
    for (const cell of stripped.cells) cell.outputs = (cell.outputs ?? []).filter((o) => !String(o.data?.["text/html"] ?? "").includes("embedded from node_modules"));
    const strippedName = NOTEBOOK.replace(".ipynb", "-sans-plotly.ipynb");
    fs.writeFileSync(path.join(folder, strippedName), JSON.stringify(stripped));
    // Signed as the notebook server would sign a notebook it saved, so that its output scripts run.
    const sign = "import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nNotebookNotary().sign(nbformat.read(sys.argv[1], 4))";
    const trusted = spawnSync(jupyterPython(), ["-c", sign, path.join(folder, strippedName)], { encoding: "utf8" });
    assert.equal(trusted.status, 0, trusted.stderr);
    const strippedPage = await browser!.newPage();
    await withScreenshotOnFailure(strippedPage, "notebook-ui-served-plotly", async () => {
      await strippedPage.goto(`${base}/notebooks/${strippedName}?token=${token}`);
      await waitUntil(strippedPage, `document.querySelectorAll(".llm-course-plot:has(.main-svg)").length > 0`, "a notebook without plotly.js draws its figures with the served copy");
    });
    await strippedPage.close();

    // The saved notebook exported to HTML and opened from disk, offline.
    const exported = spawnSync(jupyterPython(), ["-m", "nbconvert", "--to", "html", "--output-dir", folder, "--output", "export", path.join(folder, NOTEBOOK)], { encoding: "utf8" });
    assert.equal(exported.status, 0, exported.stderr);
    const exportPage = await browser!.newPage();
    // Offline: the export's CDN scripts (RequireJS, MathJax) must not be needed for figures.
    await exportPage.route(/^https?:/, (route) => route.abort());
    await withScreenshotOnFailure(exportPage, "notebook-ui-html-export", async () => {
      await exportPage.goto(`file://${path.join(folder, "export.html")}`);
      const figures = await exportPage.locator(".llm-course-plot").count();
      assert.ok(figures >= 2, `the export has ${figures} figures`);
      await waitUntil(exportPage, `document.querySelectorAll(".llm-course-plot:has(.main-svg)").length === ${figures}`, "every figure of the HTML export is drawn");
    });
    await exportPage.close();
  });
});
