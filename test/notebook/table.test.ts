import assert from "node:assert/strict";
import { test } from "node:test";
import { displayWidth, formatNumber, frenchNumber, renderTable, setDisplayWriter, table, type DisplayMessage } from "@llm-course/lib/notebook";

test("object rows: header, dashes, numbers right-aligned with a decimal comma and at most 4 decimals", () => {
  const { text } = renderTable(
    [
      { token: "la", count: 3, p: 0.375 },
      { token: "souris", count: 1, p: 0.125 },
      { token: "pluie", count: 12, p: 1e-7 },
    ],
    { caption: "Comptes" },
  );
  assert.equal(
    text,
    [
      "Comptes",
      "token   count         p",
      "------  -----  --------",
      "la          3     0,375",
      "souris      1     0,125",
      "pluie      12  1,000e-7",
    ].join("\n"),
  );
});

test("array rows with column names, digits, empty cells and a wide-character column", () => {
  const { text } = renderTable(
    [
      ["日本", 1.5, null],
      ["é", -2, true],
    ],
    { columns: ["mot", "score", "ok"], digits: 1 },
  );
  assert.equal(text, ["mot   score  ok", "----  -----  ---", "日本    1,5", "é        -2  oui"].join("\n"));
});

test("missing keys, maxRows and the rows-left-out line", () => {
  const rows = [{ a: 1 }, { a: 2, b: "x" }, { a: 3 }];
  assert.equal(renderTable(rows, { maxRows: 2 }).text, ["a  b", "-  -", "1", "2  x", "… 1 ligne de plus"].join("\n"));
  assert.equal(renderTable(rows, { maxRows: 1 }).text, ["a  b", "-  -", "1", "… 2 lignes de plus"].join("\n"));
  assert.equal(renderTable([]).text, "(aucune ligne)");
});

test("HTML is escaped and aligned", () => {
  const { html } = renderTable([{ "<k>": "<script>alert('x')</script>", n: 2 }], { caption: "A & B" });
  assert.equal(
    html,
    '<table class="llm-course-table"><caption>A &amp; B</caption>' +
      '<thead><tr><th style="text-align:left">&lt;k&gt;</th><th style="text-align:right">n</th></tr></thead>' +
      "<tbody><tr><td style=\"text-align:left\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>" +
      '<td style="text-align:right">2</td></tr></tbody></table>',
  );
});

test("table() sends HTML plus the text table to a notebook", () => {
  const messages: DisplayMessage[] = [];
  const restore = setDisplayWriter((m) => messages.push(m));
  try {
    table([{ x: 1 }]);
  } finally {
    restore();
  }
  assert.equal(messages.length, 1);
  assert.deepEqual(Object.keys(messages[0].data).sort(), ["text/html", "text/plain"]);
  assert.equal(messages[0].data["text/plain"], "x\n-\n1");
});

test("number formatting and display width", () => {
  assert.equal(formatNumber(3), "3");
  assert.equal(formatNumber(2 / 3), "0,6667");
  assert.equal(formatNumber(2 / 3, 2), "0,67");
  assert.equal(formatNumber(0.5), "0,5", "a value with fewer decimals is not padded (T = 0,5, not 0,5000)");
  assert.equal(formatNumber(1.25, 1), "1,3");
  assert.equal(formatNumber(0.1 + 0.2), "0,3000", "a computed value keeps its digits");
  assert.equal(formatNumber(-1.5e-9), "-1,500e-9");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(-Infinity), "-Inf");
  assert.equal(displayWidth("abc"), 3);
  assert.equal(displayWidth("日本"), 4);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(displayWidth("👋"), 2);
});

test("bad input gets errors that name the problem", () => {
  assert.throws(() => renderTable("rows" as never), /expected an array of rows/);
  assert.throws(() => renderTable([{ a: 1 }, [1]] as never), /row 1 should be an object/);
  assert.throws(() => renderTable([[1, 2]], { columns: ["a"] }), /1 column names for rows of 2 cells/);
  assert.throws(() => renderTable([{ a: 1 }], { digits: -1 }), /digits must be an integer/);
});

test("frenchNumber: decimal comma, narrow no-break space between thousands, exactly the digits asked", () => {
  assert.equal(frenchNumber(0.1314, 2), "0,13");
  assert.equal(frenchNumber(226_464), "226\u202f464");
  assert.equal(frenchNumber(5500), "5\u202f500");
  assert.equal(frenchNumber(100, 1), "100,0");
  assert.throws(() => frenchNumber("3" as never), /frenchNumber: expected a number, got string/);
});
