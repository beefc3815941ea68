/**
 * Tokenizer benchmark, side by side with tiktoken (OpenAI's Rust tokenizer compiled to wasm) in the same
 * process: the course's byte-level BPE encoder loaded with cl100k_base's ranks must give tiktoken's ids on
 * the whole of Moby-Dick, and its throughput is reported as a ratio (ours / tiktoken, > 1 = faster).
 * Also times training a 4,096-token vocabulary on the same book.
 *
 * Run: `npm run bench -- tokenizer`, or `npx tsx bench/tokenizer.ts`.
 */
import { get_encoding } from "tiktoken";
import { loadMobyDick } from "../lib/data/books";
import { fromTiktoken, trainByteBpeModel } from "../lib/tokenizers";
import { round } from "./support/figures";
import { machineLine, reportedRatio, shownRatio } from "./support/machine";

const RUNS = 5;
const TRAIN_RUNS = 3;
const TRAIN_VOCAB = 4096;

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs the benchmark, printing a line per measurement; returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const text = loadMobyDick();
  const megabytes = Buffer.byteLength(text, "utf8") / 1e6;
  console.log(`Moby-Dick: ${text.length.toLocaleString("en")} characters, ${megabytes.toFixed(2)} MB of UTF-8`);

  // The first call parses the ranks and builds the tables; later calls reuse them.
  let ours: ReturnType<typeof fromTiktoken> | undefined;
  const loadMs = time(() => (ours = fromTiktoken("cl100k_base")));
  const encoder = ours!;
  const tiktoken = get_encoding("cl100k_base");
  try {
    const reference = tiktoken.encode_ordinary(text);
    const ids = encoder.encode(text);
    if (ids.length !== reference.length || ids.some((id, i) => id !== reference[i])) {
      const at = ids.findIndex((id, i) => id !== reference[i]);
      throw new Error(
        `ids differ from tiktoken's: ${ids.length} vs ${reference.length} tokens, first difference at token ${at} ` +
          `(ours ${ids[at]}, tiktoken ${reference[at]})`,
      );
    }
    console.log(`ids equal tiktoken's on the whole book: ${ids.length.toLocaleString("en")} tokens (cl100k_base)`);

    // Same process, interleaved, best of RUNS after a warm-up. Our cache of pre-token encodings is cleared
    // before every timed run, so each run encodes the book from scratch as a first call would.
    const oursTimes: number[] = [];
    const warmTimes: number[] = [];
    const tiktokenTimes: number[] = [];
    encoder.encode(text);
    tiktoken.encode_ordinary(text);
    for (let r = 0; r < RUNS; r++) {
      encoder.clearCache();
      oursTimes.push(time(() => encoder.encode(text)));
      warmTimes.push(time(() => encoder.encode(text)));
      tiktokenTimes.push(time(() => tiktoken.encode_ordinary(text)));
    }
    const oursMs = Math.min(...oursTimes);
    const warmMs = Math.min(...warmTimes);
    const tiktokenMs = Math.min(...tiktokenTimes);
    const ratio = tiktokenMs / oursMs;
    console.log(`encode, tiktoken (wasm):         ${tiktokenMs.toFixed(1)} ms  ${(megabytes / (tiktokenMs / 1000)).toFixed(2)} MB/s`);
    console.log(`encode, course (cold cache):     ${oursMs.toFixed(1)} ms  ${(megabytes / (oursMs / 1000)).toFixed(2)} MB/s  ratio ${shownRatio(ratio)}`);
    console.log(`encode, course (warm cache):     ${warmMs.toFixed(1)} ms  ratio ${shownRatio(tiktokenMs / warmMs)}`);
    // Both encoders run on the calling thread: one thread each.
    console.log(machineLine({ ours: 1, reference: "1 (tiktoken's wasm)" }));
    console.log(`loading cl100k ranks into the course's encoder: ${loadMs.toFixed(0)} ms (once per process)`);

    const trainTimes: number[] = [];
    let merges = 0;
    for (let r = 0; r < TRAIN_RUNS; r++) {
      trainTimes.push(time(() => (merges = trainByteBpeModel(text, TRAIN_VOCAB).merges.length)));
    }
    const trainMs = Math.min(...trainTimes);
    console.log(`BPE training, ${TRAIN_VOCAB} tokens (${merges} merges) on the whole book: ${(trainMs / 1000).toFixed(2)} s (best of ${TRAIN_RUNS})`);

    return {
      ratio: reportedRatio(ratio, 3),
      ratioWarmCache: reportedRatio(tiktokenMs / warmMs, 3),
      threads: { ours: 1, reference: 1 },
      oursMs: round(oursMs, 3),
      oursWarmMs: round(warmMs, 3),
      tiktokenMs: round(tiktokenMs, 3),
      oursMBps: round(megabytes / (oursMs / 1000), 3),
      tiktokenMBps: round(megabytes / (tiktokenMs / 1000), 3),
      loadMs: round(loadMs, 3),
      tokens: ids.length,
      megabytes: round(megabytes, 3),
      idsEqual: true,
      trainVocab: TRAIN_VOCAB,
      trainSeconds: round(trainMs / 1000, 3),
      encoding: "cl100k_base",
    };
  } finally {
    tiktoken.free();
  }
}


if (require.main === module) {
  run().then(
    (result) => console.log(JSON.stringify({ name: "tokenizer", ...result })),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
