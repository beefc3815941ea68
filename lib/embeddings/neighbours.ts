/**
 * Questions asked of word vectors: which words are closest to this one (cosine similarity), and the
 * analogy "a is to b as ? is to c" answered with vector arithmetic a − b + c (3CosAdd, Mikolov et al. 2013).
 */
import { norm, type Vector } from "./vectors";
import type { WordVectors } from "./wordVectors";

/** A word with its cosine similarity to the query. */
export interface Neighbour {
  word: string;
  similarity: number;
}

/** Options of {@link nearestNeighbours}. */
export interface NeighbourOptions {
  /** Words never returned (the query word itself is always left out). */
  exclude?: readonly string[];
}

function checkK(k: number, caller: string): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${caller}: k must be an integer ≥ 1, got ${k}`);
}

/**
 * The `k` words whose vectors have the highest cosine with `query`, best first. `query` is a word
 * (never returned itself) or a vector. Ties keep vocabulary order.
 */
export function nearestNeighbours(vectors: WordVectors, query: string | Vector, k = 10, options: NeighbourOptions = {}): Neighbour[] {
  checkK(k, "nearestNeighbours");
  const excluded = new Set<number>();
  let target: Vector;
  if (typeof query === "string") {
    const i = vectors.index(query, "nearestNeighbours");
    excluded.add(i);
    target = vectors.row(i);
  } else {
    if (query === null || typeof query !== "object" || query.length !== vectors.dim) {
      throw new RangeError(`nearestNeighbours: the query vector must have ${vectors.dim} numbers, got ${query === null || typeof query !== "object" ? String(query) : query.length}`);
    }
    target = query;
  }
  for (const word of options.exclude ?? []) excluded.add(vectors.index(word, "nearestNeighbours (exclude)"));
  return topByCosine(vectors, target, k, excluded, "nearestNeighbours");
}

/**
 * Answers "`a` is to `b` as ? is to `c`" with the words closest to a − b + c, the three inputs excluded:
 * `analogy(vectors, "king", "man", "woman")` → queen first, with a good model. As in word2vec and gensim,
 * each input vector is scaled to length 1 before the sum, so no word dominates by its length; ranking by
 * cosine with that sum is then the 3CosAdd rule cos(x, a) − cos(x, b) + cos(x, c).
 */
export function analogy(vectors: WordVectors, a: string, b: string, c: string, k = 1): Neighbour[] {
  checkK(k, "analogy");
  const rows = [a, b, c].map((word) => vectors.index(word, "analogy"));
  const unit = vectors.unitData();
  const dim = vectors.dim;
  const query = new Float64Array(dim);
  const signs = [1, -1, 1];
  rows.forEach((row, n) => {
    for (let j = 0; j < dim; j++) query[j] += signs[n]! * unit[row * dim + j]!;
  });
  if (norm(query) === 0) throw new RangeError(`analogy: "${a}" − "${b}" + "${c}" is the zero vector, so nothing is closest to it`);
  return topByCosine(vectors, query, k, new Set(rows), "analogy");
}

function topByCosine(vectors: WordVectors, query: Vector, k: number, excluded: Set<number>, caller: string): Neighbour[] {
  const queryNorm = norm(query);
  if (queryNorm === 0) throw new RangeError(`${caller}: the query vector is zero, so it has no direction`);
  const unit = vectors.unitData();
  const dim = vectors.dim;
  // The k best so far, kept sorted best first; k is small, so insertion beats a heap here.
  const best: { index: number; score: number }[] = [];
  for (let i = 0; i < vectors.size; i++) {
    if (excluded.has(i)) continue;
    let score = 0;
    const offset = i * dim;
    for (let j = 0; j < dim; j++) score += unit[offset + j]! * query[j]!;
    score /= queryNorm;
    if (best.length === k && score <= best[k - 1]!.score) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < score) at--;
    best.splice(at, 0, { index: i, score });
    if (best.length > k) best.pop();
  }
  return best.map(({ index, score }) => ({ word: vectors.words[index]!, similarity: Math.max(-1, Math.min(1, score)) }));
}
