/**
 * Training a byte-level BPE vocabulary: the lecture's loop (count pairs, merge the most frequent, repeat)
 * made fast enough for a whole book. Three ideas:
 *  1. pre-tokenize and count each distinct chunk once — " the" occurs 14,000 times in Moby-Dick but is
 *     one word with a weight;
 *  2. keep pair counts across merges and update them only in the words that contain the merged pair
 *     (an index pair → words tells which);
 *  3. find the most frequent pair with a max-heap whose stale entries are skipped when popped.
 */
import type { ByteBpeModel } from "./byteBpe";
import { CL100K_SPLIT_PATTERN, compileSplitPattern } from "./patterns";
import { checkSpecialTokens, COURSE_SPECIAL_TOKENS } from "./specialTokens";
import { assertText, utf8Latin1 } from "./text";
import { offLimitsDuringChecks } from "../grading/off-limits";

// Ids stay below 2^20 during training, so left * 2^20 + right is an exact, unique Map key for a pair.
const PAIR_KEY_BASE = 1 << 20;

/** Options of {@link trainByteBpeModel}. */
export interface TrainByteBpeOptions {
  /** Pre-tokenization pattern. Default {@link CL100K_SPLIT_PATTERN} (GPT-4's). */
  pattern?: string;
  /** Special tokens, given the ids after the learned ones (as GPT-2's `<|endoftext|>`). Default `<pad> <s> </s> <unk>`. */
  specialTokens?: readonly string[];
  /** Called after each merge with the number done and the number planned. */
  onProgress?: (done: number, total: number) => void;
}

/** One learned merge: the pair of ids, the id of the result, and how often the pair occurred when merged. */
export interface TrainedMerge {
  left: number;
  right: number;
  id: number;
  count: number;
}

/** The trained model and its merges with their counts. */
export interface ByteBpeTrainingResult {
  model: ByteBpeModel;
  merges: TrainedMerge[];
}

/**
 * Learns merges on `text` until the vocabulary holds `vocabSize` ids: 256 bytes + merges + special tokens.
 * Ties between equally frequent pairs go to the smallest (left id, right id), as in Hugging Face's trainer.
 * Stops early, with a smaller vocabulary, when no pair is left. Special tokens written in the text are cut
 * out before counting, so no merge learns them.
 */
export const trainByteBpeModel = offLimitsDuringChecks("trainByteBpeModel", function trainByteBpeModel(text: string, vocabSize: number, options: TrainByteBpeOptions = {}): ByteBpeTrainingResult {
  assertText(text, "trainByteBpe");
  const pattern = options.pattern ?? CL100K_SPLIT_PATTERN;
  const specialTokens = options.specialTokens ?? COURSE_SPECIAL_TOKENS;
  checkSpecialTokens(specialTokens, "trainByteBpe");
  const minimum = 256 + specialTokens.length;
  if (!Number.isInteger(vocabSize) || vocabSize < minimum) {
    throw new RangeError(`trainByteBpe: vocabSize must be an integer ≥ ${minimum} (256 bytes + ${specialTokens.length} special tokens), got ${vocabSize}`);
  }
  if (vocabSize > PAIR_KEY_BASE) throw new RangeError(`trainByteBpe: vocabSize must be at most ${PAIR_KEY_BASE}, got ${vocabSize}`);

  // 1. Distinct chunks with their counts, as arrays of byte ids.
  const counts = new Map<string, number>();
  const regex = compileSplitPattern(pattern);
  for (const segment of splitOutSpecials(text, specialTokens)) {
    for (const chunk of segment.match(regex) ?? []) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
  }
  const words: number[][] = [];
  const weights: number[] = [];
  for (const [chunk, count] of counts) {
    const bytes = utf8Latin1(chunk);
    if (bytes.length < 2) continue;
    words.push(Array.from(bytes, (ch) => ch.charCodeAt(0)));
    weights.push(count);
  }

  // 2. Pair counts and the index pair → words containing it.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  words.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i] * PAIR_KEY_BASE + word[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + weights[w]);
      let where = pairWords.get(key);
      if (where === undefined) pairWords.set(key, (where = new Set()));
      where.add(w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const tokens: string[] = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
  const idByBytes = new Map(tokens.map((bytes, id) => [bytes, id]));
  const merges: TrainedMerge[] = [];
  const target = vocabSize - specialTokens.length;
  const planned = target - 256;

  // 3. Merge the most frequent pair, updating counts only where it occurs.
  while (tokens.length < target) {
    let best: { count: number; key: number } | null = null;
    while (heap.size > 0) {
      const top = heap.pop();
      if (pairCount.get(top.key) === top.count) {
        best = top;
        break;
      }
    }
    if (best === null) break;
    const left = Math.floor(best.key / PAIR_KEY_BASE);
    const right = best.key - left * PAIR_KEY_BASE;
    const bytes = tokens[left] + tokens[right];
    // Two different pairs can spell the same bytes; like Hugging Face, the second merge reuses the token.
    let id = idByBytes.get(bytes);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(bytes);
      idByBytes.set(bytes, id);
    }
    merges.push({ left, right, id, count: best.count });

    const delta = new Map<number, number>();
    for (const w of pairWords.get(best.key) ?? []) {
      const word = words[w];
      const merged = mergeWord(word, left, right, id);
      if (merged === null) continue;
      const weight = weights[w];
      for (let i = 0; i + 1 < word.length; i++) {
        const key = word[i] * PAIR_KEY_BASE + word[i + 1];
        delta.set(key, (delta.get(key) ?? 0) - weight);
      }
      for (let i = 0; i + 1 < merged.length; i++) {
        const key = merged[i] * PAIR_KEY_BASE + merged[i + 1];
        delta.set(key, (delta.get(key) ?? 0) + weight);
        if (merged[i] === id || merged[i + 1] === id) {
          let where = pairWords.get(key);
          if (where === undefined) pairWords.set(key, (where = new Set()));
          where.add(w);
        }
      }
      words[w] = merged;
    }
    pairWords.delete(best.key);
    for (const [key, change] of delta) {
      if (change === 0) continue;
      const count = (pairCount.get(key) ?? 0) + change;
      if (count > 0) {
        pairCount.set(key, count);
        heap.push(count, key);
      } else {
        pairCount.delete(key);
      }
    }
    options.onProgress?.(tokens.length - 256, planned);
  }

  const specialIds: Record<string, number> = {};
  specialTokens.forEach((token, i) => (specialIds[token] = tokens.length + i));
  const model: ByteBpeModel = {
    pattern,
    tokens,
    merges: merges.map((m) => [m.left, m.right] as const),
    specialTokens: specialIds,
    mergeMode: "pairs",
    ignoreMerges: false,
  };
  return { model, merges };
});

/** `word` with every (left, right) replaced by `id`, left to right; `null` when the pair does not occur. */
function mergeWord(word: number[], left: number, right: number, id: number): number[] | null {
  let out: number[] | null = null;
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
      if (out === null) out = word.slice(0, i);
      out.push(id);
      i += 1;
    } else if (out !== null) {
      out.push(word[i]);
    }
  }
  return out;
}

function splitOutSpecials(text: string, specialTokens: readonly string[]): string[] {
  if (specialTokens.length === 0) return [text];
  const escaped = [...specialTokens].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return text.split(new RegExp(escaped.join("|")));
}

/** Max-heap of (count, pair key); equal counts pop the smaller key first. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, key: number): void {
    const counts = this.counts;
    const keys = this.keys;
    let i = counts.length;
    counts.push(count);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(count, key, counts[parent], keys[parent])) break;
      counts[i] = counts[parent];
      keys[i] = keys[parent];
      i = parent;
    }
    counts[i] = count;
    keys[i] = key;
  }

  pop(): { count: number; key: number } {
    const counts = this.counts;
    const keys = this.keys;
    const top = { count: counts[0], key: keys[0] };
    const count = counts.pop()!;
    const key = keys.pop()!;
    const n = counts.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(counts[child + 1], keys[child + 1], counts[child], keys[child])) child++;
        if (!before(counts[child], keys[child], count, key)) break;
        counts[i] = counts[child];
        keys[i] = keys[child];
        i = child;
      }
      counts[i] = count;
      keys[i] = key;
    }
    return top;
  }
}

function before(countA: number, keyA: number, countB: number, keyB: number): boolean {
  return countA > countB || (countA === countB && keyA < keyB);
}
