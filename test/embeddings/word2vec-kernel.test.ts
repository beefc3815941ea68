import assert from "node:assert/strict";
import { test } from "node:test";
import { nearestNeighbours, plantedSynonymCorpus, trainWord2Vec, type Word2VecArchitecture } from "@llm-course/lib/embeddings";
import { word2vecKernelAvailable } from "../../lib/kernels/word2vec";

// The WebAssembly kernel (lib/kernels/word2vec.as.ts) against the TypeScript reference loop: the same
// random draws in the same order, so the runs differ only by float rounding (f32 lanes vs float64
// intermediates) and the vectors stay equal to a few float32 ulps.
for (const architecture of ["skipgram", "cbow"] as const satisfies readonly Word2VecArchitecture[]) {
  // 18 is not a multiple of 4: the kernel pads its rows, and the padding must not leak into the vectors.
  for (const vectorSize of [20, 18]) {
    test(`${architecture}, ${vectorSize} dimensions: the WebAssembly kernel trains the same vectors as the TypeScript loop`, async () => {
      assert.ok(word2vecKernelAvailable(), "this Node has WebAssembly SIMD");
      const { sentences, synonyms } = plantedSynonymCorpus({ topics: 8, sentences: 1500, seed: 3 });
      // Subsampling on, so the kernel's keep-or-drop draws are exercised too.
      const options = { architecture, vectorSize, window: 3, negative: 5, minCount: 1, epochs: 3, sample: 1e-2, seed: 5, progress: false } as const;
      const reference = await trainWord2Vec(sentences, { ...options, backend: "ts" });
      const kernel = await trainWord2Vec(sentences, { ...options, backend: "wasm" });
      assert.equal(reference.backend, "ts");
      assert.equal(kernel.backend, "wasm");
      assert.equal(kernel.trainedWords, reference.trainedWords, "same subsampling draws");
      assert.equal(kernel.vectors.data.length, reference.vectors.data.length);
      kernel.lossPerEpoch.forEach((loss, epoch) => assert.ok(Math.abs(loss - reference.lossPerEpoch[epoch]!) < 1e-5, `epoch ${epoch + 1}: loss ${loss} vs ${reference.lossPerEpoch[epoch]}`));
      let largest = 0;
      for (let i = 0; i < kernel.vectors.data.length; i++) largest = Math.max(largest, Math.abs(kernel.vectors.data[i]! - reference.vectors.data[i]!));
      assert.ok(largest < 1e-5, `input vectors differ by up to ${largest}`);
      let largestOutput = 0;
      for (let i = 0; i < kernel.outputVectors.length; i++) largestOutput = Math.max(largestOutput, Math.abs(kernel.outputVectors[i]! - reference.outputVectors[i]!));
      assert.ok(largestOutput < 1e-5, `output vectors differ by up to ${largestOutput}`);
      for (const [a] of synonyms) assert.equal(nearestNeighbours(kernel.vectors, a, 1)[0]!.word, nearestNeighbours(reference.vectors, a, 1)[0]!.word, `nearest to ${a}`);
      // The loss falls: both really trained.
      assert.ok(kernel.lossPerEpoch[2]! < kernel.lossPerEpoch[0]!, `loss per epoch ${kernel.lossPerEpoch}`);
    });
  }
}

test("word2vec uses the kernel by default where it can run, and names a wrong backend", async () => {
  const { sentences } = plantedSynonymCorpus({ sentences: 200 });
  const model = await trainWord2Vec(sentences, { vectorSize: 8, minCount: 1, epochs: 1, progress: false });
  assert.equal(model.backend, word2vecKernelAvailable() ? "wasm" : "ts");
  await assert.rejects(trainWord2Vec(sentences, { minCount: 1, backend: "gpu" as "ts" }), /backend must be "wasm" or "ts", got "gpu"/);
});
