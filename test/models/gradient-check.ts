/**
 * The check both compiled-training-graph tests make: the onnxruntime graph's loss and gradients equal tfjs
 * autograd's on the same parameters, each gradient within 1e-5·max|g| + 1e-4·|g| (float32 rounding of
 * different summation orders). Returns the largest absolute gap between the two, loss and gradients together.
 */
import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";

export function assertSameLossAndGradients(
  named: readonly [string, tf.Variable][],
  autograd: { loss: number; grads: tf.NamedTensorMap },
  compiled: { loss: number; gradients: ReadonlyMap<string, Float32Array> },
): number {
  let gap = Math.abs(compiled.loss - autograd.loss);
  assert.ok(gap < 1e-5, `loss ${compiled.loss} vs ${autograd.loss}`);
  let largest = 0;
  for (const [, variable] of named) largest = Math.max(largest, ...Array.from(autograd.grads[variable.name]!.dataSync(), Math.abs));
  assert.ok(largest > 1e-3, "the gradients are not all zero");
  for (const [name, variable] of named) {
    const expected = autograd.grads[variable.name]!.dataSync();
    const actual = compiled.gradients.get(name)!;
    assert.equal(actual.length, expected.length, name);
    for (let i = 0; i < expected.length; i++) {
      gap = Math.max(gap, Math.abs(actual[i]! - expected[i]!));
      assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-5 * largest + 1e-4 * Math.abs(expected[i]!), `${name}[${i}]: ${actual[i]} vs ${expected[i]}`);
    }
  }
  return gap;
}
