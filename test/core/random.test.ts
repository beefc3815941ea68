import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../../lib/random";

test("xoshiro128** matches the reference C implementation from state [1, 2, 3, 4]", () => {
  // Expected words printed by Blackman & Vigna's xoshiro128starstar.c with s = {1, 2, 3, 4}.
  const rng = new Random(0) as unknown as { s0: number; s1: number; s2: number; s3: number; nextUint32(): number };
  rng.s0 = 1;
  rng.s1 = 2;
  rng.s2 = 3;
  rng.s3 = 4;
  const words = Array.from({ length: 6 }, () => rng.nextUint32());
  assert.deepEqual(words, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test("same seed, same stream; different seeds, different streams", () => {
  const a = new Random(7);
  const b = new Random(7);
  const c = new Random(8);
  const streamA = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(Array.from({ length: 5 }, () => b.next()), streamA);
  assert.notDeepEqual(Array.from({ length: 5 }, () => c.next()), streamA);
});

test("int, normal and categorical have the right ranges and moments", () => {
  const rng = new Random(1);
  const n = 20000;
  let sum = 0;
  let sumSq = 0;
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const k = rng.int(3);
    assert.ok(k >= 0 && k < 3);
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
    counts[rng.categorical([1, 0, 3])]! += 1;
  }
  assert.ok(Math.abs(sum / n) < 0.03, `mean ${sum / n}`);
  assert.ok(Math.abs(sumSq / n - 1) < 0.05, `variance ${sumSq / n}`);
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[2]! / n - 0.75) < 0.02, `p(2) = ${counts[2]! / n}`);
});

test("shuffle is a permutation and sampleIndices draws distinct indices", () => {
  const rng = new Random(3);
  const items = Array.from({ length: 50 }, (_, i) => i);
  assert.deepEqual([...rng.shuffle(items.slice())].sort((x, y) => x - y), items);
  const drawn = rng.sampleIndices(10, 10);
  assert.deepEqual(Array.from(drawn).sort((x, y) => x - y), items.slice(0, 10));
  assert.throws(() => rng.int(0), /positive integer/);
  assert.throws(() => rng.categorical([0, 0]), /all weights are zero/);
});
