import assert from "node:assert/strict";
import { test } from "node:test";
import { AdamwKernelState } from "../../lib/kernels/adamw";
import { Random } from "../../lib/random";

test("the AdamW kernel: Σg² in f64 and the update of w, m, v equal a float64 loop, sizes not a multiple of 4 included", () => {
  const rng = new Random(11);
  const sizes = [1, 7, 130, 250_001];
  const state = new AdamwKernelState(sizes);
  const step = { scale: 0.7, beta1: 0.9, beta2: 0.98, stepSize: 1e-3, epsilon: 1e-8 };
  const decay = 1e-4;
  sizes.forEach((size, p) => {
    const w = Float64Array.from({ length: size }, () => rng.normal());
    const m = Float64Array.from({ length: size }, () => 0.1 * rng.normal());
    const v = Float64Array.from({ length: size }, () => 0.01 * rng.next());
    const g = Float64Array.from({ length: size }, () => rng.normal());
    state.weights[p]!.set(w);
    state.m[p]!.set(m);
    state.v[p]!.set(v);
    state.gradients[p]!.set(g);
    // The reference reads the same float32 values the kernel holds.
    const [w32, m32, v32, g32] = [state.weights[p]!, state.m[p]!, state.v[p]!, state.gradients[p]!].map((a) => Float64Array.from(a));
    let squares = 0;
    for (const x of g32!) squares += x * x;
    const kernelSquares = state.sumOfSquares(p);
    assert.ok(Math.abs(kernelSquares - squares) <= 1e-6 * squares, `Σg² of ${size}: ${kernelSquares} vs ${squares}`);
    state.update(p, step, decay);
    for (let i = 0; i < size; i++) {
      const gi = g32![i]! * step.scale;
      const mi = step.beta1 * m32![i]! + (1 - step.beta1) * gi;
      const vi = step.beta2 * v32![i]! + (1 - step.beta2) * gi * gi;
      const wi = w32![i]! - (step.stepSize * mi) / (Math.sqrt(vi) + step.epsilon) - decay * w32![i]!;
      for (const [name, got, want] of [["m", state.m[p]![i]!, mi], ["v", state.v[p]![i]!, vi], ["w", state.weights[p]![i]!, wi]] as const) {
        if (Math.abs(got - want) > 2e-6 * Math.max(1, Math.abs(want))) assert.fail(`${name}[${i}] of a parameter of ${size}: ${got} vs ${want}`);
      }
    }
  });
});
