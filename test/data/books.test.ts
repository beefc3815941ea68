import assert from "node:assert/strict";
import { test } from "node:test";
import { loadMobyDick, loadMobyDickSections } from "@llm-course/lib/data/books";

test("Moby-Dick: 139 sections, one string with chapter headings", () => {
  const sections = loadMobyDickSections();
  assert.equal(sections.length, 139);
  assert.deepEqual(sections.slice(0, 4).map((s) => s.chapter), ["Contents", "Etymology", "Extracts", "1"]);
  assert.equal(sections[138].chapter, "Epilogue");
  const text = loadMobyDick();
  assert.equal(text.length, 1_217_534);
  assert.ok(text.includes("CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago—never mind how long precisely"));
  assert.ok(text.endsWith("only found another orphan.\n"));
  assert.equal(loadMobyDick(), text, "cached");
  sections[0].text = "changed";
  assert.notEqual(loadMobyDickSections()[0].text, "changed", "callers get copies");
});
