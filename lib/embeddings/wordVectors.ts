/**
 * A table of word vectors: one row of `dim` numbers per vocabulary word, stored in one Float32Array (the
 * layout word2vec trains in), with look-ups by word that name the missing word when there is none.
 */
import { cosineSimilarity, type Vector } from "./vectors";

/** Word vectors, row i belonging to `words[i]`. */
export class WordVectors {
  /** The vocabulary, in row order. */
  readonly words: readonly string[];
  /** Numbers per vector. */
  readonly dim: number;
  /** All vectors, row after row (`words.length × dim`). */
  readonly data: Float32Array;
  private readonly indexOf: Map<string, number>;
  private unitRows: Float32Array | undefined;

  /** Wraps `data` (not copied) as `words.length` rows of `dim` numbers. */
  constructor(words: readonly string[], data: Float32Array, dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`WordVectors: dim must be an integer ≥ 1, got ${dim}`);
    if (!(data instanceof Float32Array)) throw new TypeError("WordVectors: data must be a Float32Array");
    if (data.length !== words.length * dim) {
      throw new RangeError(`WordVectors: ${words.length} words × ${dim} dims need ${words.length * dim} numbers, data has ${data.length}`);
    }
    this.words = words.slice();
    this.dim = dim;
    this.data = data;
    this.indexOf = new Map();
    this.words.forEach((word, i) => {
      if (this.indexOf.has(word)) throw new RangeError(`WordVectors: "${word}" appears twice in the vocabulary (rows ${this.indexOf.get(word)} and ${i})`);
      this.indexOf.set(word, i);
    });
  }

  /** Vectors given as one array per word: `WordVectors.fromRows(["a", "b"], [[1, 0], [0, 1]])`. */
  static fromRows(words: readonly string[], rows: readonly Vector[]): WordVectors {
    if (words.length !== rows.length) throw new RangeError(`WordVectors.fromRows: ${words.length} words but ${rows.length} rows`);
    if (rows.length === 0) throw new RangeError("WordVectors.fromRows: no words");
    const dim = rows[0]!.length;
    const data = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => {
      if (row.length !== dim) throw new RangeError(`WordVectors.fromRows: row ${i} ("${words[i]}") has ${row.length} numbers, row 0 has ${dim}`);
      for (let j = 0; j < dim; j++) data[i * dim + j] = row[j]!;
    });
    return new WordVectors(words, data, dim);
  }

  /** Number of words. */
  get size(): number {
    return this.words.length;
  }

  /** Whether `word` has a vector. */
  has(word: string): boolean {
    return this.indexOf.has(word);
  }

  /** The row of `word`; throws, naming the word, when it is not in the vocabulary. */
  index(word: string, caller = "WordVectors"): number {
    const index = this.indexOf.get(word);
    if (index === undefined) {
      throw new RangeError(`${caller}: "${word}" is not in the vocabulary (${this.size} words${this.size > 0 ? `, e.g. "${this.words[0]}"` : ""})`);
    }
    return index;
  }

  /** The vector of `word` (a view on the table: writing to it changes the table). */
  vector(word: string): Float32Array {
    const i = this.index(word, "vector");
    return this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Row i (a view). */
  row(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`row: index must be an integer in [0, ${this.size - 1}], got ${i}`);
    return this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Cosine similarity of two words' vectors. */
  similarity(a: string, b: string): number {
    this.index(a, "similarity");
    this.index(b, "similarity");
    return cosineSimilarity(this.vector(a), this.vector(b));
  }

  /**
   * Every row scaled to length 1 (zero rows stay zero), computed once: cosine similarity with a unit
   * query is then a plain dot product, which is what makes neighbour search over the vocabulary fast.
   */
  unitData(): Float32Array {
    if (this.unitRows === undefined) {
      const unit = new Float32Array(this.data.length);
      for (let i = 0; i < this.size; i++) {
        const offset = i * this.dim;
        let sum = 0;
        for (let j = 0; j < this.dim; j++) sum += this.data[offset + j]! * this.data[offset + j]!;
        const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
        for (let j = 0; j < this.dim; j++) unit[offset + j] = this.data[offset + j]! * scale;
      }
      this.unitRows = unit;
    }
    return this.unitRows;
  }

  /** The vectors as one plain array per word (for display, plots, JSON). */
  toRows(): number[][] {
    return this.words.map((_, i) => Array.from(this.row(i)));
  }
}
