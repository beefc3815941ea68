import assert from "node:assert/strict";
import { before, test } from "node:test";
import type * as tfType from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { disableFusedLayerKernels, fusedLayerKernelsAvailable, LayerNorm, linear, MultiHeadAttention, sumRows } from "@llm-course/lib/models/attention";
import { Random } from "@llm-course/lib/random";

let tf: typeof tfType;
before(async () => {
  tf = await initBackend({ quiet: true });
});

const rng = new Random(11);
const randomTensor = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

function close(actual: tfType.Tensor, expected: tfType.Tensor, tol: number, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${e[i]}`);
}

test("linear: value and gradients equal autograd's x·W + b, up- and down-projections, with and without bias", () => {
  for (const [n, inF, outF] of [[7, 3, 5], [7, 5, 3], [4, 4, 4]] as const) {
    const [x, w, b, weights] = [randomTensor([n, inF]), randomTensor([inF, outF]), randomTensor([outF]), randomTensor([n, outF])];
    for (const withBias of [true, false]) {
      const ours = (xi: tfType.Tensor, wi: tfType.Tensor, bi: tfType.Tensor) => tf.sum(tf.mul(linear(xi, wi, withBias ? bi : null), weights));
      const plain = (xi: tfType.Tensor, wi: tfType.Tensor, bi: tfType.Tensor) => tf.sum(tf.mul(withBias ? tf.add(tf.matMul(xi, wi), bi) : tf.matMul(xi, wi), weights));
      const what = `[${n}, ${inF}] → ${outF}${withBias ? " + b" : ""}`;
      close(ours(x, w, b), plain(x, w, b), 1e-4, `${what}: value`);
      const inputs = withBias ? [x, w, b] : [x, w];
      const g1 = tf.grads((...t: tfType.Tensor[]) => ours(t[0]!, t[1]!, t[2] ?? b))(inputs);
      const g2 = tf.grads((...t: tfType.Tensor[]) => plain(t[0]!, t[1]!, t[2] ?? b))(inputs);
      close(g1[0]!, g2[0]!, 1e-5, `${what}: dx`);
      close(g1[1]!, g2[1]!, 1e-5, `${what}: dW`);
      if (withBias) close(g1[2]!, g2[2]!, 1e-5, `${what}: db`);
    }
  }
  assert.throws(() => linear(tf.zeros([2, 3]), tf.zeros([4, 5]), null), /expected x \[n, in\], weight \[in, out\]/);
  close(sumRows(tf.tensor2d([[1, 2], [3, 4], [5, 6]])), tf.tensor1d([9, 12]), 0, "sumRows");
});

for (const kernel of [true, false]) {
  test(`LayerNorm ${kernel ? "(WebAssembly kernel)" : "(tfjs operations)"}: its written-out gradient equals autograd through tf.moments`, () => {
    disableFusedLayerKernels(!kernel);
    try {
      assert.equal(fusedLayerKernelsAvailable(), kernel);
      const ln = new LayerNorm(8, { epsilon: 1e-5 });
      ln.gamma.assign(randomTensor([8]));
      ln.beta.assign(randomTensor([8]));
      const x = tf.mul(randomTensor([2, 5, 8]), 3);
      const weights = randomTensor([2, 5, 8]);
      const byMoments = (xi: tfType.Tensor, g: tfType.Tensor, b: tfType.Tensor) => {
        const { mean, variance } = tf.moments(xi, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(xi, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
      };
      close(ln.apply(x), byMoments(x, ln.gamma, ln.beta), 1e-5, "value");
      // Each row has mean 0 and variance 1 before γ and β.
      const plainLn = new LayerNorm(8);
      const { mean, variance } = tf.moments(plainLn.apply(x), -1);
      close(mean, tf.zeros([2, 5]), 1e-6, "row means");
      close(variance, tf.fill([2, 5], 1 - 1e-5 / (1e-5 + 1)), 1e-4, "row variances");
      const dx = tf.grad((xi: tfType.Tensor) => tf.sum(tf.mul(ln.apply(xi), weights)))(x);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(ln.apply(x), weights)) as tfType.Scalar, [ln.gamma, ln.beta]);
      const reference = tf.grads((xi: tfType.Tensor, g: tfType.Tensor, b: tfType.Tensor) => tf.sum(tf.mul(byMoments(xi, g, b), weights)))([x, ln.gamma, ln.beta]);
      close(dx, reference[0]!, 1e-4, "dx");
      close(grads[ln.gamma.name]!, reference[1]!, 1e-4, "dγ");
      close(grads[ln.beta.name]!, reference[2]!, 1e-4, "dβ");
      // A width that is not a multiple of 4 always takes the tfjs path.
      const odd = new LayerNorm(6);
      const y = randomTensor([3, 6]);
      close(odd.apply(y), byMoments(y, odd.gamma, odd.beta), 1e-5, "width 6");
      ln.dispose();
      plainLn.dispose();
      odd.dispose();
    } finally {
      disableFusedLayerKernels(false);
    }
  });
}

test("self-attention's fused Q/K/V projection equals three separate projections, gradients included", () => {
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2, rng: new Random(5), name: "self" });
  const x = randomTensor([2, 5, 8]);
  const weights = randomTensor([2, 5, 8]);
  const vars = mha.namedParameters().map(([, v]) => v);
  const fused = () => tf.sum(tf.mul(mha.forward(x, null, { causal: true }).output, weights)) as tfType.Scalar;
  const separate = () => tf.sum(tf.mul(mha.attend(x, mha.keyValues(x), { causal: true }).output, weights)) as tfType.Scalar;
  const a = tf.variableGrads(fused, vars);
  const b = tf.variableGrads(separate, vars);
  close(a.value, b.value, 1e-5, "value");
  for (const [name, v] of mha.namedParameters()) close(a.grads[v.name]!, b.grads[v.name]!, 1e-5, `d${name}`);
  mha.dispose();
});
