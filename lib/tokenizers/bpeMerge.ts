/**
 * Applying learned merges to one pre-token: start from its bytes' ids and repeatedly merge the adjacent
 * pair of lowest rank (the earliest-learned merge), the leftmost one on a tie, until no pair has a rank.
 * This is the loop of tiktoken and Hugging Face BPE; only the bookkeeping differs between short and long
 * inputs.
 */

import type { PairTable } from "./pairTable";

/** Which adjacent pairs merge, how urgently, and into what. */
export interface MergeTable {
  /** (left id, right id) → rank; lower ranks merge first; absent pairs never merge. */
  readonly ranks: PairTable;
  /** Rank → id of the token the pair merges into. */
  readonly rankToId: ArrayLike<number>;
}

// Below this length the quadratic scan beats the heap's bookkeeping; pre-tokens are almost always short.
const LONG_INPUT = 48;

/** Merges `ids` (a pre-token's byte ids, modified in place and returned) until no adjacent pair has a rank. */
export function applyMerges(ids: number[], table: MergeTable): number[] {
  if (ids.length < 2) return ids;
  return ids.length < LONG_INPUT ? mergeShort(ids, table) : mergeLong(ids, table);
}

// tiktoken's loop: keep the rank of each adjacent pair, merge the minimum, recompute its two neighbours.
function mergeShort(parts: number[], table: MergeTable): number[] {
  const pairs = table.ranks;
  const ranks: number[] = new Array(parts.length - 1);
  for (let i = 0; i + 1 < parts.length; i++) ranks[i] = pairs.rank(parts[i], parts[i + 1]);
  for (;;) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i < ranks.length; i++) {
      if (ranks[i] < best) {
        best = ranks[i];
        at = i;
      }
    }
    if (at < 0) return parts;
    parts[at] = table.rankToId[best];
    parts.splice(at + 1, 1);
    ranks.splice(at, 1);
    if (at > 0) ranks[at - 1] = pairs.rank(parts[at - 1], parts[at]);
    if (at < ranks.length) ranks[at] = pairs.rank(parts[at], parts[at + 1]);
  }
}

// Long inputs (a run of 10,000 spaces…): a doubly linked list of parts and a min-heap of candidate merges
// keyed by rank * n + position, so ties go to the leftmost pair. Entries go stale when a neighbour merges;
// a popped entry is used only if the pair now at its position still has its rank.
function mergeLong(parts: number[], { ranks: pairs, rankToId }: MergeTable): number[] {
  const n = parts.length;
  const ids = Int32Array.from(parts);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
    if (i + 1 < n) {
      const rank = pairs.rank(ids[i], ids[i + 1]);
      if (rank !== Infinity) heap.push(rank * n + i);
    }
  }
  while (heap.size > 0) {
    const key = heap.pop();
    const rank = Math.floor(key / n);
    const i = key - rank * n;
    const j = next[i];
    if (alive[i] === 0 || j < 0 || pairs.rank(ids[i], ids[j]) !== rank) continue;
    ids[i] = rankToId[rank];
    alive[j] = 0;
    const k = next[j];
    next[i] = k;
    if (k >= 0) {
      prev[k] = i;
      const right = pairs.rank(ids[i], ids[k]);
      if (right !== Infinity) heap.push(right * n + i);
    }
    const p = prev[i];
    if (p >= 0) {
      const left = pairs.rank(ids[p], ids[i]);
      if (left !== Infinity) heap.push(left * n + p);
    }
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(ids[i]);
  return out;
}

/** A binary min-heap of numbers. */
class MinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= value) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      const n = items.length;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && items[child + 1] < items[child]) child++;
        if (items[child] >= last) break;
        items[i] = items[child];
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
