import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluationOffsets, splitTokenStream, tokenStreamDataset, windowBatch } from "@llm-course/lib/data";

test("token stream: windows of blockSize + 1 ids, inputs and targets shifted by one", () => {
  const data = tokenStreamDataset([10, 11, 12, 13, 14, 15, 16], 3);
  assert.equal(data.size, 4); // windows start at 0, 1, 2, 3
  const { inputs, targets } = windowBatch(data, [0, 3, 1]);
  assert.deepEqual(Array.from(inputs), [10, 11, 12, 13, 14, 15, 11, 12, 13]);
  assert.deepEqual(Array.from(targets), [11, 12, 13, 14, 15, 16, 12, 13, 14]);
  assert.throws(() => windowBatch(data, [4]), /offset 4 is outside 0…3/);
  // Non-overlapping evaluation windows 0, 3: targets 1…6, every token after the first once.
  assert.deepEqual(Array.from(evaluationOffsets(data)), [0, 3]);
  assert.deepEqual(Array.from(evaluationOffsets(tokenStreamDataset([1, 2, 3, 4], 3))), [0]);
  assert.deepEqual(Array.from(evaluationOffsets(tokenStreamDataset(new Array(10).fill(0), 3))), [0, 3, 6]);
  assert.throws(() => tokenStreamDataset([1, 2, 3], 3), /3 ids cannot fill one window of blockSize \+ 1 = 4 tokens/);
  assert.throws(() => tokenStreamDataset([1, -2, 3, 4], 2), /ids\[1\] = -2/);
  assert.throws(() => tokenStreamDataset([1, 2.5, 3, 4], 2), /ids\[1\] = 2.5/);
  assert.throws(() => tokenStreamDataset([1, 2, 3], 0), /blockSize must be an integer ≥ 1/);
});

test("splitTokenStream: the last tenth validates, in reading order", () => {
  const ids = Array.from({ length: 100 }, (_, i) => i);
  const { train, dev, trainEnd } = splitTokenStream(ids, 4);
  assert.equal(trainEnd, 90);
  assert.deepEqual(Array.from(train.ids.slice(-2)), [88, 89]);
  assert.deepEqual(Array.from(dev.ids), ids.slice(90));
  assert.equal(dev.size, 6);
  assert.throws(() => splitTokenStream(ids, 10), /shorter than one window/);
  assert.throws(() => splitTokenStream(ids, 4, 1), /devFraction must be in \(0, 1\)/);
});
