/**
 * Approximate nearest neighbours with HNSW (Malkov & Yashunin, 2016) through the `usearch` npm package
 * (prebuilt native binaries): a layered proximity graph searched greedily from the top layer down.
 * `connectivity` (M) is the number of neighbours kept per node, `expansionAdd` (efConstruction) and
 * `expansionSearch` (ef) the candidate lists while building and searching: larger = better recall, slower.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Index, MetricKind } from "usearch";
import { assertDimension, type Hit } from "./vectors";

/** Options of {@link HnswIndex}. */
export interface HnswOptions {
  /** Neighbours per node (M, default 16). */
  connectivity?: number;
  /** Candidate list while inserting (efConstruction, default 128). */
  expansionAdd?: number;
  /** Candidate list while searching (ef, default 64). */
  expansionSearch?: number;
}

/** An HNSW index over cosine distance, with string ids. */
export class HnswIndex {
  readonly dimension: number;
  readonly options: Required<HnswOptions>;
  private index: Index;
  private readonly ids: string[] = [];

  constructor(dimension: number, options: HnswOptions = {}) {
    if (!Number.isInteger(dimension) || dimension <= 0) throw new Error(`HnswIndex: the dimension must be a positive integer, got ${dimension}`);
    this.dimension = dimension;
    this.options = { connectivity: options.connectivity ?? 16, expansionAdd: options.expansionAdd ?? 128, expansionSearch: options.expansionSearch ?? 64 };
    for (const [name, value] of Object.entries(this.options)) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`HnswIndex: ${name} must be a positive integer, got ${value}`);
    }
    this.index = this.create(this.options.expansionSearch);
  }

  private create(expansionSearch: number): Index {
    return new Index({ dimensions: this.dimension, metric: MetricKind.Cos, connectivity: this.options.connectivity, expansion_add: this.options.expansionAdd, expansion_search: expansionSearch, multi: false } as ConstructorParameters<typeof Index>[0]);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Adds vectors under their ids (one thread: the course machine is shared). */
  add(ids: readonly string[], vectors: readonly ArrayLike<number>[]): void {
    if (ids.length !== vectors.length) throw new Error(`HnswIndex.add: ${ids.length} ids for ${vectors.length} vectors`);
    if (ids.length === 0) return;
    const matrix = new Float32Array(ids.length * this.dimension);
    vectors.forEach((vector, i) => {
      if (vector.length !== this.dimension) throw new Error(`HnswIndex.add: vector "${ids[i]}" has ${vector.length} dimensions, the index ${this.dimension}`);
      matrix.set(vector, i * this.dimension);
    });
    const keys = BigUint64Array.from(ids, (_, i) => BigInt(this.ids.length + i));
    this.index.add(keys, matrix, 1);
    this.ids.push(...ids);
  }

  /** The `k` approximate nearest neighbours of `query`, best first; score = cosine similarity. */
  search(query: ArrayLike<number>, k: number): Hit[] {
    assertDimension(query, this.dimension, "HnswIndex.search");
    if (this.ids.length === 0) throw new Error("HnswIndex.search: the index is empty (add vectors first)");
    const matches = this.index.search(Float32Array.from(query), Math.min(k, this.ids.length), 1);
    return Array.from(matches.keys, (key, i) => ({ id: this.ids[Number(key)]!, score: 1 - matches.distances[i]! }));
  }

  /** Changes the search's candidate list (ef) without rebuilding: the graph is saved and reloaded. */
  setExpansionSearch(expansionSearch: number): void {
    if (!Number.isInteger(expansionSearch) || expansionSearch <= 0) throw new Error(`HnswIndex: expansionSearch must be a positive integer, got ${expansionSearch}`);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hnsw-")), "index.usearch");
    try {
      this.index.save(file);
      const reloaded = this.create(expansionSearch);
      reloaded.load(file);
      this.index = reloaded;
      this.options.expansionSearch = expansionSearch;
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }

  /** Bytes of the serialised index (vectors + graph): its memory footprint, measured. */
  byteSize(): number {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "hnsw-"));
    try {
      const file = path.join(folder, "index.usearch");
      this.index.save(file);
      return fs.statSync(file).size;
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  }
}
