#!/usr/bin/env node
// The course's Jupyter kernel: tslab, plus tsx's require hook so that notebooks can import the course
// library's TypeScript sources (`@llm-course/lib/...`) at run time; tslab itself only type-checks them.
"use strict";
const path = require("node:path");

require("tsx/cjs");
const { startKernel } = require("tslab/dist/main");

const args = process.argv.slice(2);
const at = args.indexOf("--config-path");
if (args[0] !== "kernel" || at < 0 || !args[at + 1]) {
  console.error(`usage: node ${path.relative(process.cwd(), __filename)} kernel --config-path <connection file>`);
  process.exit(2);
}
// enableFindLocal: false pins this checkout's tslab, whatever node_modules the notebook's folder has.
startKernel({ configPath: args[at + 1], enableFindLocal: false, jsKernel: false });
