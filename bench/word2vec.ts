/**
 * word2vec benchmark, side by side with gensim (Debian's python3-gensim, the C-optimised reference) on the
 * same tokenised Moby-Dick with the same hyper-parameters (vector size 100, window 5, 5 negatives,
 * min_count 5, 5 epochs, sample 1e-3, alpha 0.025 → 0.0001), for skip-gram and CBOW:
 *  - quality: Spearman correlation, over 300 fixed word pairs drawn among the 1,000 most frequent words,
 *    between our cosine similarities and gensim's; the yardstick is the correlation between two gensim runs
 *    that differ only by their seed (word2vec is noisy on a 215k-word book), and the ratio
 *    ours-vs-gensim / gensim-vs-gensim should be ≥ 0.8;
 *  - speed: our training time (1 thread; the WebAssembly SIMD kernel where it can run) against gensim's with 1 and 2 worker threads, as our speed over
 *    gensim's (> 1 = ours faster); withheld when other processes load the machine (bench/support/machine.ts).
 *
 * Run: `npm run bench -- word2vec`, or `npx tsx bench/word2vec.ts`. Needs /usr/bin/python3 with gensim
 * (`apt-get install python3-gensim`). The gensim side is bench/word2vec_reference.py.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildVocabulary, mobyDickSentences, trainWord2Vec, type Word2VecArchitecture, type Word2VecOptions } from "../lib/embeddings";
import { Random } from "../lib/random";
import { spearman } from "../lib/stats";
import { round } from "./support/figures";
import { machineLine, reportedRatio, shownRatio } from "./support/machine";

/** The Python script that trains gensim. */
export const REFERENCE_SCRIPT = path.join(__dirname, "word2vec_reference.py");
/** The interpreter with gensim (Debian's package installs it for the system Python). */
export const PYTHON = process.env.GENSIM_PYTHON ?? "/usr/bin/python3";

/** Hyper-parameters shared by both sides. */
export interface SharedParams {
  architecture: Word2VecArchitecture;
  vectorSize: number;
  window: number;
  negative: number;
  minCount: number;
  epochs: number;
  alpha: number;
  minAlpha: number;
  sample: number;
  nsExponent: number;
}

/** The benchmark's configuration: the issue's, gensim's defaults elsewhere. */
export function fullParams(architecture: Word2VecArchitecture): SharedParams {
  return { architecture, vectorSize: 100, window: 5, negative: 5, minCount: 5, epochs: 5, alpha: 0.025, minAlpha: 0.0001, sample: 1e-3, nsExponent: 0.75 };
}

/** Our options for `params`. */
export function oursOptions(params: SharedParams, seed: number): Word2VecOptions {
  return { ...params, seed, progress: false };
}

/** gensim's keyword arguments for `params`. */
function gensimParams(params: SharedParams): Record<string, number> {
  return {
    sg: params.architecture === "skipgram" ? 1 : 0,
    vector_size: params.vectorSize,
    window: params.window,
    negative: params.negative,
    min_count: params.minCount,
    epochs: params.epochs,
    alpha: params.alpha,
    min_alpha: params.minAlpha,
    sample: params.sample,
    ns_exponent: params.nsExponent,
  };
}

/** The corpus as the Python side reads it: one sentence per line, words separated by spaces. */
export function corpusText(sentences: readonly (readonly string[])[]): string {
  return sentences.map((sentence) => sentence.join(" ")).join("\n") + "\n";
}

/** SHA-256 of {@link corpusText}, to tell whether a fixture was made from the same tokens. */
export function corpusHash(sentences: readonly (readonly string[])[]): string {
  return createHash("sha256").update(corpusText(sentences)).digest("hex");
}

/**
 * `count` distinct unordered pairs of distinct words among the `top` most frequent words of the corpus
 * (min_count applied, frequency order, ties by first appearance), drawn with lib/random's `Random(seed)`.
 */
export function choosePairs(sentences: readonly (readonly string[])[], minCount: number, top: number, count: number, seed: number): [string, string][] {
  const words = buildVocabulary(sentences, minCount).words.slice(0, top);
  if (words.length < 2) throw new Error(`choosePairs: need at least 2 words, the vocabulary has ${words.length}`);
  const rng = new Random(seed);
  const seen = new Set<string>();
  const pairs: [string, string][] = [];
  while (pairs.length < count) {
    const i = rng.int(words.length);
    const j = rng.int(words.length);
    if (i === j) continue;
    const key = i < j ? `${i},${j}` : `${j},${i}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([words[i]!, words[j]!]);
  }
  return pairs;
}

/** One gensim training, as word2vec_reference.py reports it. */
export interface GensimRun {
  seed: number;
  workers: number;
  seconds: number;
  /** CPU time of the training, all of gensim's threads together (its "1 worker" runs a producer thread besides the worker). */
  cpu_seconds: number;
  vocab_size: number;
  similarities: number[];
}

/** Trains gensim once per entry of `runs` on `sentences` and returns the similarities of `pairs`. */
export function runGensim(
  sentences: readonly (readonly string[])[],
  params: SharedParams,
  runs: { seed: number; workers: number }[],
  pairs: [string, string][],
): { gensim: string; runs: GensimRun[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "word2vec-bench-"));
  try {
    const job = {
      corpus: path.join(dir, "corpus.txt"),
      params: gensimParams(params),
      runs,
      pairs,
      output: path.join(dir, "result.json"),
    };
    fs.writeFileSync(job.corpus, corpusText(sentences));
    fs.writeFileSync(path.join(dir, "job.json"), JSON.stringify(job));
    const result = spawnSync(PYTHON, [REFERENCE_SCRIPT, path.join(dir, "job.json")], { stdio: ["ignore", "inherit", "inherit"] });
    if (result.error) throw new Error(`could not start ${PYTHON}: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`${REFERENCE_SCRIPT} failed (exit ${result.status}); is python3-gensim installed?`);
    return JSON.parse(fs.readFileSync(job.output, "utf8")) as { gensim: string; runs: GensimRun[] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}


async function compareArchitecture(architecture: Word2VecArchitecture, sentences: string[][], pairs: [string, string][]): Promise<Record<string, number | string | null>> {
  const params = fullParams(architecture);
  const reference = runGensim(sentences, params, [{ seed: 1, workers: 1 }, { seed: 2, workers: 1 }, { seed: 3, workers: 2 }], pairs);
  const [g1, g2, g3] = reference.runs as [GensimRun, GensimRun, GensimRun];
  const cpuStart = process.cpuUsage();
  const model = await trainWord2Vec(sentences, oursOptions(params, 1));
  const cpu = process.cpuUsage(cpuStart);
  const oursCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const ours = pairs.map(([a, b]) => model.vectors.similarity(a, b));
  const oursVsGensim = (spearman(ours, g1.similarities) + spearman(ours, g2.similarities)) / 2;
  const gensimVsGensim = spearman(g1.similarities, g2.similarities);
  const ratio = oursVsGensim / gensimVsGensim;
  console.log(
    `${architecture}: Spearman ours vs gensim ${oursVsGensim.toFixed(3)} (mean over 2 gensim seeds), gensim vs gensim ${gensimVsGensim.toFixed(3)}, ` +
      `ratio ${ratio.toFixed(3)} (≥ 0.8 wanted)${ratio >= 0.8 ? "" : "  ← BELOW 0.8"}`,
  );
  console.log(
    `${architecture}: training time ours ${model.seconds.toFixed(2)} s (1 thread, ${model.backend === "wasm" ? "WebAssembly SIMD kernel" : "TypeScript loop"}), gensim ${g1.seconds.toFixed(2)} s (1 worker), ${g3.seconds.toFixed(2)} s (2 workers); ` +
      `our speed ${shownRatio(g1.seconds / model.seconds)} gensim's at 1 thread each, ${shownRatio(g3.seconds / model.seconds)} gensim's with 2 workers; vocabulary ${model.vectors.size} vs ${g1.vocab_size}`,
  );
  // Raw CPU times, printed whatever the load: on a loaded machine they say more than wall times, where a
  // two-thread process (gensim's worker and its producer thread) gets a larger share than a one-thread one.
  console.log(
    `${architecture}: CPU time ours ${oursCpuSeconds.toFixed(2)} s, gensim ${g1.cpu_seconds.toFixed(2)} s (1 worker, its threads together), ` +
      `${g3.cpu_seconds.toFixed(2)} s (2 workers)`,
  );
  console.log(machineLine({ ours: 1, reference: "1 and 2 (gensim workers)" }));
  return {
    [`${architecture}_spearman_ours_gensim`]: round(oursVsGensim, 3),
    [`${architecture}_spearman_gensim_gensim`]: round(gensimVsGensim, 3),
    [`${architecture}_ratio`]: round(ratio, 3),
    [`${architecture}_speed_ratio_1_thread_each`]: reportedRatio(g1.seconds / model.seconds, 3),
    [`${architecture}_speed_ratio_vs_2_workers`]: reportedRatio(g3.seconds / model.seconds, 3),
    [`${architecture}_ours_s`]: round(model.seconds, 2),
    [`${architecture}_ours_cpu_s`]: round(oursCpuSeconds, 2),
    [`${architecture}_gensim_1worker_cpu_s`]: round(g1.cpu_seconds, 2),
    [`${architecture}_gensim_2workers_cpu_s`]: round(g3.cpu_seconds, 2),
    [`${architecture}_ours_backend`]: model.backend,
    [`${architecture}_gensim_1worker_s`]: round(g1.seconds, 2),
    [`${architecture}_gensim_2workers_s`]: round(g3.seconds, 2),
    [`${architecture}_vocab`]: model.vectors.size,
  };
}

/** Runs the benchmark, printing a line per measurement; returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const sentences = mobyDickSentences();
  const words = sentences.reduce((sum, sentence) => sum + sentence.length, 0);
  console.log(`Moby-Dick: ${sentences.length.toLocaleString("en")} sentences, ${words.toLocaleString("en")} words; machine: ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
  const pairs = choosePairs(sentences, 5, 1000, 300, 2024);
  const figures: Record<string, unknown> = { pairs: pairs.length, words };
  for (const architecture of ["skipgram", "cbow"] as const) Object.assign(figures, await compareArchitecture(architecture, sentences, pairs));
  return figures;
}

if (require.main === module) {
  run().then(
    (figures) => console.log(JSON.stringify({ name: "word2vec", ...figures })),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
