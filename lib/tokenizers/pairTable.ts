/**
 * A hash table from a pair of token ids to a number (the pair's merge rank), stored in typed arrays with
 * open addressing. Encoding asks "what is the rank of (left, right)?" for every adjacent pair; a JavaScript
 * Map would need one number key per pair and is about three times slower here.
 */

const EMPTY = -1;

/** (left id, right id) → non-negative integer, for ids below 2^31. */
export class PairTable {
  private lefts: Int32Array;
  private rights: Int32Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  /** An empty table sized for about `expected` entries (it grows as needed). */
  constructor(expected = 16) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.lefts = new Int32Array(capacity).fill(EMPTY);
    this.rights = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Number of pairs stored. */
  get size(): number {
    return this.count;
  }

  /** The value of (left, right), or `Infinity` when the pair is absent (so it never wins a "lowest rank" test). */
  rank(left: number, right: number): number {
    const lefts = this.lefts;
    let slot = hash(left, right) & this.mask;
    for (;;) {
      const stored = lefts[slot];
      if (stored === EMPTY) return Infinity;
      if (stored === left && this.rights[slot] === right) return this.values[slot];
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether (left, right) is stored. */
  has(left: number, right: number): boolean {
    return this.rank(left, right) !== Infinity;
  }

  /** Stores `value` for (left, right), replacing any previous value. */
  set(left: number, right: number, value: number): void {
    if (!Number.isInteger(left) || !Number.isInteger(right) || left < 0 || right < 0 || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`PairTable.set: ids and value must be integers ≥ 0, got (${left}, ${right}) → ${value}`);
    }
    if ((this.count + 1) * 2 > this.lefts.length) this.grow();
    let slot = hash(left, right) & this.mask;
    while (this.lefts[slot] !== EMPTY && !(this.lefts[slot] === left && this.rights[slot] === right)) slot = (slot + 1) & this.mask;
    if (this.lefts[slot] === EMPTY) this.count++;
    this.lefts[slot] = left;
    this.rights[slot] = right;
    this.values[slot] = value;
  }

  private grow(): void {
    const { lefts, rights, values } = this;
    this.lefts = new Int32Array(lefts.length * 2).fill(EMPTY);
    this.rights = new Int32Array(lefts.length * 2);
    this.values = new Int32Array(lefts.length * 2);
    this.mask = lefts.length * 2 - 1;
    this.count = 0;
    for (let i = 0; i < lefts.length; i++) if (lefts[i] !== EMPTY) this.set(lefts[i], rights[i], values[i]);
  }
}

// Multiplicative mixing of both ids (golden-ratio and murmur constants) so that neighbouring ids spread out.
function hash(left: number, right: number): number {
  const h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca6b);
  return (h ^ (h >>> 15)) >>> 0;
}
