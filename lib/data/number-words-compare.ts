/**
 * Compares the course's number words with Python's num2words over EVERY number 0 … 999,999, in English
 * and in French, and writes two fixtures:
 *
 * - test/fixtures/number-words/num2words-diff.json: the count checked, each difference (ours, num2words',
 *   and why ours is kept), and a SHA-256 of num2words' full output per language;
 * - test/fixtures/number-words/num2words-sample.json: num2words' strings for a seeded sample of numbers,
 *   which test/data/numberWords.test.ts re-checks without Python.
 *
 * Run (about 3 minutes, needs Debian's python3-num2words):
 *   node --import tsx lib/data/number-words-compare.ts
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { COURSE_ROOT } from "../env";
import { Random } from "../random";
import { NUMBER_WORDS_MAX, numberWords, type NumberLanguage } from "./numberWords";

const FIXTURES = path.join(COURSE_ROOT, "test", "fixtures", "number-words");
const SCRIPT = path.join(__dirname, "number-words-reference.py");
const PYTHON = process.env.PYTHON ?? "/usr/bin/python3";
/** Seed and size of the sample the unit test re-checks (plus the hand-checked list below). */
export const SAMPLE_SEED = 5;
export const SAMPLE_SIZE = 3000;
/** The numbers whose spelling the unit test checks by hand against the rules. */
export const HAND_CHECKED = [0, 1, 16, 17, 21, 70, 71, 77, 80, 81, 90, 91, 99, 100, 101, 180, 200, 201, 280, 1000, 1001, 2000, 21000, 71000, 80000, 80001, 100000, 200000, 201000, 999999];

/** One number where the course and num2words disagree. */
export interface NumberWordsDifference {
  n: number;
  language: NumberLanguage;
  ours: string;
  num2words: string;
  /** Why the course's spelling is kept (the traditional rule num2words breaks). */
  reason: string;
}

/** Explains a French difference by the rule involved; "" when no known rule covers it. */
function explain(language: NumberLanguage, ours: string, theirs: string): string {
  if (language === "fr" && /quatre-vingts/.test(theirs) && !/quatre-vingts/.test(ours)) {
    return "quatre-vingts takes its s only at the end of the number; num2words keeps it before another number word";
  }
  if (language === "fr" && /cents/.test(theirs) && !/cents/.test(ours)) {
    return "cents takes its s only at the end of the number; num2words keeps it before another number word";
  }
  return "";
}

async function main(): Promise<void> {
  const sampleRng = new Random(SAMPLE_SEED);
  const sampleNumbers = [...HAND_CHECKED, ...Array.from(sampleRng.sampleIndices(NUMBER_WORDS_MAX + 1, SAMPLE_SIZE))];
  const wanted = new Map<number, number>(sampleNumbers.map((n, i) => [n, i]));
  const sample = { en: new Array<string>(sampleNumbers.length), fr: new Array<string>(sampleNumbers.length) };

  const child = spawn(PYTHON, [SCRIPT], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
  const hashes = { en: createHash("sha256"), fr: createHash("sha256") };
  const differences: NumberWordsDifference[] = [];
  const counts = { en: 0, fr: 0 };
  let version = "unknown";
  let n = 0;
  const started = Date.now();
  for await (const line of readline.createInterface({ input: child.stdout })) {
    if (line.startsWith("# num2words ")) {
      version = line.slice("# num2words ".length).trim();
      continue;
    }
    const parts = line.split("\t");
    if (parts.length !== 2) throw new Error(`number-words-compare: line for ${n} is not "<english>\\t<french>": ${JSON.stringify(line)}`);
    const theirs = { en: parts[0]!, fr: parts[1]! };
    for (const language of ["en", "fr"] as const) {
      hashes[language].update(`${theirs[language]}\n`);
      const ours = numberWords(n, language);
      if (ours !== theirs[language]) {
        counts[language]++;
        differences.push({ n, language, ours, num2words: theirs[language], reason: explain(language, ours, theirs[language]) });
      }
      const at = wanted.get(n);
      if (at !== undefined) sample[language][at] = theirs[language];
    }
    n++;
    if (n % 100_000 === 0) console.log(`${n.toLocaleString("en-US")} numbers compared (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  const code = await exited;
  if (code !== 0) throw new Error(`number-words-compare: ${PYTHON} ${SCRIPT} exited with code ${code} (is python3-num2words installed?)`);
  if (n !== NUMBER_WORDS_MAX + 1) throw new Error(`number-words-compare: num2words gave ${n} lines, expected ${NUMBER_WORDS_MAX + 1}`);

  const unexplained = differences.filter((d) => d.reason === "");
  fs.mkdirSync(FIXTURES, { recursive: true });
  const diff = {
    description:
      "The course's number words (lib/data/numberWordsEn.ts, numberWordsFr.ts) against Python's num2words for every integer 0…999,999. " +
      "Written by `node --import tsx lib/data/number-words-compare.ts`; sha256 hashes num2words' words, one number per line (\"<words>\\n\", 0 first).",
    num2words: version,
    checked: n,
    first: 0,
    last: NUMBER_WORDS_MAX,
    languages: {
      en: { differences: counts.en, sha256: hashes.en.digest("hex") },
      fr: { differences: counts.fr, sha256: hashes.fr.digest("hex") },
    },
    differences,
  };
  fs.writeFileSync(path.join(FIXTURES, "num2words-diff.json"), `${JSON.stringify(diff, null, 1)}\n`);
  fs.writeFileSync(
    path.join(FIXTURES, "num2words-sample.json"),
    `${JSON.stringify({ description: `num2words ${version} for the hand-checked numbers then ${SAMPLE_SIZE} numbers drawn by new Random(${SAMPLE_SEED}).sampleIndices(1000000, ${SAMPLE_SIZE}); written by lib/data/number-words-compare.ts`, numbers: sampleNumbers, en: sample.en, fr: sample.fr })}\n`,
  );
  console.log(`num2words ${version}: ${n.toLocaleString("en-US")} numbers checked; differences: en ${counts.en}, fr ${counts.fr}; fixtures in ${path.relative(COURSE_ROOT, FIXTURES)}`);
  if (unexplained.length > 0) {
    console.error(`${unexplained.length} differences have no known explanation, e.g.:`);
    for (const d of unexplained.slice(0, 20)) console.error(`  ${d.n} ${d.language}: ours ${JSON.stringify(d.ours)} vs num2words ${JSON.stringify(d.num2words)}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
