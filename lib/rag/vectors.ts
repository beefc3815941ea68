/**
 * Vectors and exact search: cosine similarity (the seeds' `cosine_similarity`), unit-length vectors, and
 * brute-force nearest neighbours — the reference every approximate index is measured against.
 */

/** A scored hit of a search: an id and its score (higher is better). */
export interface Hit {
  id: string;
  score: number;
}

/** Cosine similarity a·b / (‖a‖ ‖b‖); 0 when either vector is zero. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: vectors of different dimensions (${a.length} and ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** The vector scaled to length 1 (a zero vector stays zero). */
export function unitVector(vector: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  return Float32Array.from(vector, (x) => x * scale);
}

/** Throws when a query's dimension is not the index's — the sign of a query embedded by another model. */
export function assertDimension(vector: ArrayLike<number>, dimension: number, where: string): void {
  if (vector.length !== dimension) {
    throw new Error(`${where}: the query vector has ${vector.length} dimensions but the index holds ${dimension}-dimensional vectors — was it embedded with another model?`);
  }
}

/** The `k` best hits by score, best first (ties: smaller id first, so results are reproducible). */
export function topK(hits: Iterable<Hit>, k: number): Hit[] {
  return [...hits].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, k);
}

/** Exact nearest neighbours by cosine similarity: one dot product per stored vector (vectors are stored unit-length). */
export class ExactIndex {
  readonly dimension: number;
  private readonly ids: string[] = [];
  private readonly matrix: Float32Array[] = [];

  constructor(dimension: number) {
    if (!Number.isInteger(dimension) || dimension <= 0) throw new Error(`ExactIndex: the dimension must be a positive integer, got ${dimension}`);
    this.dimension = dimension;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Adds vectors under their ids. */
  add(ids: readonly string[], vectors: readonly ArrayLike<number>[]): void {
    if (ids.length !== vectors.length) throw new Error(`ExactIndex.add: ${ids.length} ids for ${vectors.length} vectors`);
    vectors.forEach((vector, i) => {
      if (vector.length !== this.dimension) throw new Error(`ExactIndex.add: vector "${ids[i]}" has ${vector.length} dimensions, the index ${this.dimension}`);
      this.ids.push(ids[i]!);
      this.matrix.push(unitVector(vector));
    });
  }

  /** The `k` stored vectors most similar to `query` (cosine), best first. */
  search(query: ArrayLike<number>, k: number): Hit[] {
    assertDimension(query, this.dimension, "ExactIndex.search");
    if (this.ids.length === 0) throw new Error("ExactIndex.search: the index is empty (add vectors first)");
    const q = unitVector(query);
    const hits: Hit[] = this.matrix.map((row, i) => {
      let dot = 0;
      for (let j = 0; j < row.length; j++) dot += row[j]! * q[j]!;
      return { id: this.ids[i]!, score: dot };
    });
    return topK(hits, k);
  }
}
