import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import * as vm from "node:vm";
import {
  barPlot,
  heatmap,
  LIGHT_TO_DARK_BLUES,
  linePlot,
  packedPlotlyScriptTag,
  plot,
  PLOTLY_MIME,
  plotlySource,
  resetPlotlyEmbedding,
  scatterPlot,
  setDisplayWriter,
  wrapUmdSource,
  type DisplayMessage,
  type Figure,
} from "@llm-course/lib/notebook";
import { recordExecuteRequest } from "@llm-course/lib/notebook/kernel-session";
import { needsPlotlyEmbedding, PLOTLY_MISSING_MESSAGE, SERVED_PLOTLY_PATH } from "@llm-course/lib/notebook/plot";

/** Runs `work` as if in a notebook and returns the bundles it displayed. */
function displayed(work: () => void): DisplayMessage["data"][] {
  const bundles: DisplayMessage["data"][] = [];
  const restore = setDisplayWriter((message) => bundles.push(message.data));
  try {
    work();
  } finally {
    restore();
  }
  return bundles;
}

function figureOf(bundle: DisplayMessage["data"]): Figure {
  return bundle[PLOTLY_MIME] as Figure;
}

const { version: plotlyVersion } = plotlySource();

test("the first figure embeds plotly.js from node_modules, the next ones do not", () => {
  resetPlotlyEmbedding();
  const [first, second] = displayed(() => {
    linePlot({ train: [3, 2.5, 2.2], dev: [3.1, 2.7, 2.5] }, { title: "Perte", xLabel: "step", yLabel: "loss" });
    linePlot([1, 2, 3]);
  });
  assert.deepEqual(Object.keys(first).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
  const html1 = String(first["text/html"]);
  const html2 = String(second["text/html"]);
  assert.ok(html1.includes(`plotly.js ${plotlyVersion}, embedded from node_modules`));
  assert.ok(html1.length > 1_000_000, `first figure HTML is only ${html1.length} characters`);
  assert.ok(html1.includes("(function (define, module, exports, require) {"));
  assert.ok(!/<script[^>]+src=/.test(html1), "no external script (CDN)");
  assert.ok(!html2.includes("plotly.js v"), "second figure must not embed plotly again");
  assert.ok(html2.length < 5_000);
  assert.ok(html2.includes("window.Plotly.newPlot"));
  assert.equal(first["text/plain"], 'Figure « Perte » — courbe « train » (3 points), courbe « dev » (3 points) ; x : step, y : loss');
  assert.equal(second["text/plain"], "Figure — courbe n° 1 (3 points)");
  const fig = figureOf(first);
  assert.deepEqual(fig.data, [
    { type: "scatter", mode: "lines", x: [0, 1, 2], y: [3, 2.5, 2.2], name: "train" },
    { type: "scatter", mode: "lines", x: [0, 1, 2], y: [3.1, 2.7, 2.5], name: "dev" },
  ]);
  assert.deepEqual(fig.layout.title, { text: "Perte" });
  assert.deepEqual((fig.layout.xaxis as { title: unknown }).title, { text: "step" });
  assert.equal(fig.config.responsive, true);
});

test("names and titles are escaped in the HTML; the JSON cannot close the script element", () => {
  const evil = "</script><img src=x onerror=alert(1)>";
  const [bundle] = displayed(() => linePlot([{ y: [1, 2], name: evil }], { title: "a & b" }));
  const htmlPart = String(bundle["text/html"]);
  assert.ok(!htmlPart.includes("<img"), "no raw <img> anywhere in the HTML");
  assert.ok(htmlPart.includes("\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e"), "JSON escapes < and >");
  assert.ok(htmlPart.includes("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"), "placeholder text is HTML-escaped");
  assert.ok(htmlPart.includes('Figure « a &amp; b »'));
  assert.equal(figureOf(bundle).data[0].name, evil, "the plotly JSON keeps the real name");
});

test("typed arrays and tensor-like values become plain arrays; string titles are upgraded", () => {
  const tensorLike = { arraySync: () => [[1, 2], [3, 4]] };
  const [bundle] = displayed(() =>
    plot([{ type: "heatmap", z: tensorLike }, { type: "scatter", y: new Float32Array([0.5, 1.5]) }], { title: "T", yaxis: { title: "y" } }),
  );
  const fig = figureOf(bundle);
  assert.deepEqual(fig.data[0].z, [[1, 2], [3, 4]]);
  assert.deepEqual(fig.data[1].y, [0.5, 1.5]);
  assert.deepEqual(fig.layout.title, { text: "T" });
  assert.deepEqual(fig.layout.yaxis, { title: { text: "y" } });
  assert.equal(bundle["text/plain"], 'Figure « T » — carte de chaleur 2×2, courbe n° 2 (2 points) ; y : y');
});

test("heatmap: rows top-down, category axes, values in cells", () => {
  const [bundle] = displayed(() => heatmap([[1, 2, 3], [4, 5, 6]], ["a", "b", "."], ["x", "1"], { showValues: true, digits: 1 }));
  const fig = figureOf(bundle);
  assert.deepEqual(fig.data[0], {
    type: "heatmap",
    z: [[1, 2, 3], [4, 5, 6]],
    colorscale: LIGHT_TO_DARK_BLUES.map((stop) => [...stop]),
    hoverongaps: false,
    x: ["a", "b", "."],
    y: ["x", "1"],
    texttemplate: "%{z:.1f}",
  });
  const yaxis = fig.layout.yaxis as Record<string, unknown>;
  assert.equal(yaxis.autorange, "reversed");
  assert.equal(yaxis.type, "category");
  assert.equal(bundle["text/plain"], "Figure — carte de chaleur 2×3");
});

test("scatter with text labels and groups; bar charts from a record", () => {
  const [scatter, bars] = displayed(() => {
    scatterPlot([[0, 1], [1, 0], [2, 2]], { labels: ["a", "e", "z"], groups: ["voyelle", "voyelle", "consonne"] });
    barPlot({ le: 12, la: 9 }, { horizontal: true });
  });
  const s = figureOf(scatter);
  assert.equal(s.data.length, 2);
  assert.deepEqual(
    s.data.map((t) => [t.name, t.mode, t.x, t.y, t.text]),
    [
      ["voyelle", "markers+text", [0, 1], [1, 0], ["a", "e"]],
      ["consonne", "markers+text", [2], [2], ["z"]],
    ],
  );
  const b = figureOf(bars);
  assert.deepEqual(b.data, [{ type: "bar", orientation: "h", x: [12, 9], y: ["le", "la"] }]);
  assert.equal(bars["text/plain"], "Figure — barres n° 1 (2 barres)");
});

test("the wrapped UMD bundle sets the global even where RequireJS defines `define` (classic Notebook)", () => {
  const umd =
    '(function (root, factory) { if (typeof define === "function" && define.amd) { define([], factory); }' +
    ' else if (typeof module === "object" && module.exports) { module.exports = factory(); }' +
    ' else { root.Plotly = factory(); } })(this, function () { return { version: "fake" }; });';
  const defineCalls: unknown[] = [];
  const define = Object.assign((...args: unknown[]) => defineCalls.push(args), { amd: {} });
  const window: Record<string, unknown> = {};
  vm.runInNewContext(wrapUmdSource(umd, "Plotly"), { window, define, module: { exports: {} }, exports: {} });
  assert.equal((window.Plotly as { version?: string } | undefined)?.version, "fake");
  assert.equal(defineCalls.length, 0);
  // A second copy is skipped when the page already has the library.
  vm.runInNewContext(wrapUmdSource('throw new Error("ran twice")', "Plotly"), { window });
  assert.ok(wrapUmdSource("a='</script>'", "Plotly").includes("a='<\\/script>'"));
});

test("the packed plotly.js of notebook figures unpacks to the same source and sets window.Plotly once", async () => {
  const tag = packedPlotlyScriptTag();
  assert.ok(tag.length < 2_100_000, `packed tag is ${tag.length} characters`);
  assert.ok(tag.length < plotlySource().source.length / 2);
  const code = /<script type="text\/javascript">([\s\S]*)<\/script>$/.exec(tag)![1]!;
  const appended: string[] = [];
  const window: Record<string, unknown> = {};
  const document = { createElement: () => ({ textContent: "" }), head: { appendChild: (el: { textContent: string }) => appended.push(el.textContent) } };
  const context = { window, document, atob, Uint8Array, Response, Blob, DecompressionStream };
  vm.runInNewContext(code, context);
  vm.runInNewContext(code, context); // a second copy on the same page does nothing
  for (let i = 0; i < 100 && appended.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(appended.length, 1);
  assert.equal(appended[0], wrapUmdSource(plotlySource().source, "Plotly").replace(/<\\\/script/gi, "</script"));
});

test("in a terminal: one text line, and a standalone HTML file in LLM_COURSE_PLOT_DIR", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plots-"));
  const previous = process.env.LLM_COURSE_PLOT_DIR;
  process.env.LLM_COURSE_PLOT_DIR = dir;
  const original = process.stdout.write;
  let out = "";
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  const restore = setDisplayWriter(null);
  try {
    barPlot(["a", "b"], [1, 2], { title: "Fréquences" });
  } finally {
    restore();
    process.stdout.write = original;
    if (previous === undefined) delete process.env.LLM_COURSE_PLOT_DIR;
    else process.env.LLM_COURSE_PLOT_DIR = previous;
  }
  const files = fs.readdirSync(dir);
  assert.equal(files.length, 1);
  assert.match(files[0], /^\d\d-frequences\.html$/);
  assert.equal(out, `Figure « Fréquences » — barres n° 1 (2 barres) → ${path.join(dir, files[0])}\n`);
  const page = fs.readFileSync(path.join(dir, files[0]), "utf8");
  assert.ok(page.startsWith("<!DOCTYPE html>"));
  assert.ok(page.includes(`plotly.js ${plotlyVersion}`));
  fs.rmSync(dir, { recursive: true });
});

test("bad input gets errors that name the problem", () => {
  const restore = setDisplayWriter(() => undefined);
  try {
    assert.throws(() => linePlot({ train: [1, "x" as never] }), /linePlot: "train" y must hold numbers; index 1 is string/);
    assert.throws(() => linePlot([{ y: [1, 2], x: [0] }]), /1 x values for 2 y values/);
    assert.throws(() => heatmap([[1, 2], [3]]), /ragged: row 0 has 2 values, row 1 has 1/);
    assert.throws(() => heatmap([[1, 2]], ["a", "a"]), /xLabels repeats "a"/);
    assert.throws(() => scatterPlot([[1, 2, 3]]), /N×2/);
    assert.throws(() => barPlot(["a"], [1, 2]), /1 labels for 2 values/);
    assert.throws(() => plot([{ type: "scatter", x: () => 1 }]), /trace 0\.x is a function/);
    assert.throws(() => linePlot([1], { height: -5 }), /height must be a positive number/);
  } finally {
    restore();
  }
});

test("plotly.js is embedded again for a reloaded page and for a re-run of the cell that carried it", () => {
  resetPlotlyEmbedding();
  const embeds = (): boolean[] =>
    displayed(() => linePlot([1, 2, 3])).map((bundle) => String(bundle["text/html"]).includes("embedded from node_modules"));
  recordExecuteRequest("page-1", "linePlot(a);");
  assert.deepEqual(embeds(), [true], "first figure of the page");
  recordExecuteRequest("page-1", "linePlot(b);");
  assert.deepEqual(embeds(), [false], "same page, another cell");
  recordExecuteRequest("page-2", "linePlot(b);");
  assert.deepEqual(embeds(), [true], "the tab was reloaded: a new client session");
  recordExecuteRequest("page-2", "linePlot(b);");
  assert.deepEqual(embeds(), [true], "the carrying cell runs again, which clears its output");
  recordExecuteRequest("page-2", "other", "cell-id-1");
  assert.deepEqual(embeds(), [false]);
  // Outside the course's kernel (no execution context) plotly.js is embedded once per process.
  assert.equal(needsPlotlyEmbedding(null, null), true);
  assert.equal(needsPlotlyEmbedding(null, {}), false);
  const html = String(displayed(() => linePlot([1]))[0]!["text/html"]);
  assert.ok(html.includes(JSON.stringify(SERVED_PLOTLY_PATH)), "a figure without plotly.js on its page loads the served copy");
  assert.ok(html.includes(JSON.stringify(PLOTLY_MISSING_MESSAGE)));
});
