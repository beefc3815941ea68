/**
 * BM25 keyword search (Robertson & Zaragoza), in memory, with Lucene's idf so no term scores negative:
 *   idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))
 *   score(q, d) = Σ_{t ∈ q} idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · |d| / avgdl))
 * Terms are lower-cased letter/digit runs minus a short English stop-word list; no stemming, so "taxes"
 * does not match "tax" (LanceDB's full-text index, in ./store, stems).
 */
import { topK, type Hit } from "./vectors";

/** Words too common to help a keyword search. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  "a an and are as at be by for from has have he her his i in is it its of on or our that the their there these this those to was we were which who will with you your not but had been they them what when where why how do does did so if than then into".split(" "),
);

/** The search terms of a text: lower-cased letter/digit runs, stop words removed. */
export function searchTerms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((term) => !STOP_WORDS.has(term));
}

/** Options of {@link Bm25Index}. */
export interface Bm25Options {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalisation, 0 (none) to 1 (full) (default 0.75). */
  b?: number;
}

/** An inverted index scored by BM25. */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  private readonly ids: string[] = [];
  private readonly lengths: number[] = [];
  private readonly postings = new Map<string, Map<number, number>>();
  private totalLength = 0;

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    if (!(this.k1 >= 0) || !(this.b >= 0 && this.b <= 1)) throw new Error(`Bm25Index: k1 must be ≥ 0 and b in [0, 1], got k1 = ${this.k1}, b = ${this.b}`);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Indexes texts under their ids. */
  add(ids: readonly string[], texts: readonly string[]): void {
    if (ids.length !== texts.length) throw new Error(`Bm25Index.add: ${ids.length} ids for ${texts.length} texts`);
    texts.forEach((text, i) => {
      const doc = this.ids.length;
      const terms = searchTerms(text);
      this.ids.push(ids[i]!);
      this.lengths.push(terms.length);
      this.totalLength += terms.length;
      for (const term of terms) {
        let posting = this.postings.get(term);
        if (posting === undefined) this.postings.set(term, (posting = new Map()));
        posting.set(doc, (posting.get(doc) ?? 0) + 1);
      }
    });
  }

  /** Lucene's inverse document frequency of a term (0 for a term never seen). */
  idf(term: string): number {
    const df = this.postings.get(term)?.size ?? 0;
    return df === 0 ? 0 : Math.log(1 + (this.ids.length - df + 0.5) / (df + 0.5));
  }

  /** The `k` best documents for `query`, best first; documents sharing no term with it are left out. */
  search(query: string, k: number): Hit[] {
    if (this.ids.length === 0) throw new Error("Bm25Index.search: the index is empty (add texts first)");
    const averageLength = this.totalLength / this.ids.length;
    const scores = new Map<number, number>();
    for (const term of new Set(searchTerms(query))) {
      const posting = this.postings.get(term);
      if (posting === undefined) continue;
      const idf = this.idf(term);
      for (const [doc, tf] of posting) {
        const norm = this.k1 * (1 - this.b + (this.b * this.lengths[doc]!) / averageLength);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * (this.k1 + 1)) / (tf + norm));
      }
    }
    return topK([...scores].map(([doc, score]) => ({ id: this.ids[doc]!, score })), k);
  }
}
