/**
 * `npm run book` on one lesson in fast mode, opened from disk in Debian's Chromium: no console error,
 * every figure drawn by the site's own plotly.js (network blocked: no CDN), every local link and anchor
 * valid, exercises shown with their solution folded, the search finds a section. Also takes the lesson
 * screenshot that the README shows (docs/book-lesson.png is a copy of it).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
// @ts-expect-error -- environment/ holds plain ES modules run by node before anything is installed
import { findJupyterPython, jupyterEnv } from "../../environment/jupyter.mjs";
import { buildBook, type BookResult } from "../../lib/book/build";
import { PATHS } from "../../lib/env";
import { SCRATCH_ROOT } from "../../lib/grading/grade";
import { browserSkipReason, collectErrors, launchChromium, SCREENSHOT_DIR, waitUntil, withScreenshotOnFailure } from "./browser";

const skip = browserSkipReason();
const outDir = path.join(SCRATCH_ROOT, `book-${process.pid}`);
let browser: Browser | undefined;
let book: BookResult | undefined;
let buildSeconds = 0;

/** Local links of the page: [href, target file, anchor]. */
async function localLinks(page: Page): Promise<string[]> {
  return (await page.evaluate(`[...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"))`)) as string[];
}

async function checkLinks(page: Page, file: string): Promise<void> {
  for (const href of await localLinks(page)) {
    assert.ok(!/^(https?:)?\/\//.test(href), `${path.basename(file)} links outside the site: ${href}`);
    const [target, anchor] = href.split("#") as [string, string | undefined];
    const targetFile = target === "" ? file : path.join(path.dirname(file), target);
    assert.ok(fs.existsSync(targetFile), `${path.basename(file)}: broken link ${href}`);
    if (anchor) assert.ok(fs.readFileSync(targetFile, "utf8").includes(`id="${anchor}"`), `${path.basename(file)}: no anchor #${anchor} in ${target || "the page"}`);
  }
}

describe("the book in Chromium", { skip, timeout: 300_000 }, () => {
  before(async () => {
    const started = Date.now();
    const python = (findJupyterPython as () => string | null)() ?? "python3";
    book = buildBook({ fast: true, only: ["tp02"], outDir, python, env: (jupyterEnv as () => NodeJS.ProcessEnv)() });
    buildSeconds = (Date.now() - started) / 1000;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it("home and lesson pages: no console error, figures drawn offline, links valid, solutions folded, search", async () => {
    assert.deepEqual(book!.lessons.map((l) => [l.stem, l.errors]), [["tp02-embeddings", []]], "the lesson ran without an errored cell");
    console.log(`# book of tp02 in fast mode built in ${buildSeconds.toFixed(1)} s (${book!.lessons[0]!.cached ? "outputs reused" : "executed"})`);
    const page = await browser!.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = collectErrors(page);
    await page.route(/^https?:/, (route) => route.abort());
    await withScreenshotOnFailure(page, "book", async () => {
      const home = path.join(outDir, "index.html");
      await page.goto(`file://${home}`);
      assert.match(await page.locator("h1").innerText(), /Cours LLM en TypeScript/);
      assert.match(await page.locator("table.lessons").innerText(), /TP 2 — Embeddings/);
      await checkLinks(page, home);

      const lessonFile = path.join(outDir, "tp02-embeddings.html");
      await page.click("table.lessons a[href='tp02-embeddings.html']");
      await waitUntil(page, `document.querySelectorAll(".llm-course-plot").length > 0 && document.querySelectorAll(".llm-course-plot:has(.main-svg)").length === document.querySelectorAll(".llm-course-plot").length`, "every figure of the lesson is drawn");
      await checkLinks(page, lessonFile);
      assert.equal(await page.locator(".output-error").count(), 0);
      const exercises = page.locator(".cell.exercise");
      const student = JSON.parse(fs.readFileSync(path.join(PATHS.notebooks, "tp02-embeddings.ipynb"), "utf8")) as { cells: { metadata: { llm_course?: { role?: string } } }[] };
      const exerciseCells = student.cells.filter((cell) => cell.metadata.llm_course?.role === "exercise").length;
      assert.ok(exerciseCells >= 4);
      assert.equal(await exercises.count(), exerciseCells, "every exercise cell of the student notebook");
      assert.match(await exercises.first().locator("pre.code").first().innerText(), /todo\("tp02\./, "the exercise as the student gets it");
      const solution = exercises.first().locator("details.solution");
      assert.equal(await solution.getAttribute("open"), null, "solutions are folded");
      await solution.locator("summary").click();
      assert.doesNotMatch(await solution.locator("pre.code").innerText(), /todo\(/);
      const download = page.locator("a.download");
      assert.ok(fs.existsSync(path.join(outDir, (await download.getAttribute("href"))!)), "the student notebook is downloadable");

      await page.fill("#search", "word2vec skip-gram");
      await waitUntil(page, `document.querySelectorAll("#search-results a").length > 0`, "the search finds word2vec");
      const first = page.locator("#search-results a").first();
      assert.match((await first.getAttribute("href"))!, /^tp02-embeddings\.html#/);
      await page.fill("#search", "");

      // The README's screenshot: the lesson's first figure with the text above it.
      await page.evaluate(`window.scrollTo(0, document.querySelector(".llm-course-plot").getBoundingClientRect().top + window.scrollY - 300)`);
      await page.waitForTimeout(300);
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, "book-lesson.png") });
      assert.deepEqual(errors, [], "no console error");
    });
    await page.close();
  });
});
