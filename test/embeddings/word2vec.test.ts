import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import {
  mobyDickSentences,
  nearestNeighbours,
  plantedSynonymCorpus,
  trainMobyDickWord2Vec,
  trainWord2Vec,
  type Word2VecArchitecture,
  type Word2VecOptions,
} from "@llm-course/lib/embeddings";
import { FAST_MODE_VARIABLE } from "../../lib/env";
import { spearman } from "@llm-course/lib/stats";

for (const architecture of ["skipgram", "cbow"] as const satisfies readonly Word2VecArchitecture[]) {
  test(`${architecture}: planted synonyms (same contexts, never together) become each other's nearest neighbour`, async () => {
    const { sentences, synonyms } = plantedSynonymCorpus({ topics: 8, sentences: 3000, seed: 1 });
    const model = await trainWord2Vec(sentences, { architecture, vectorSize: 20, window: 2, minCount: 1, epochs: 5, sample: 0, seed: 1, progress: false });
    for (const [a, b] of synonyms) {
      assert.equal(nearestNeighbours(model.vectors, a, 1)[0]!.word, b, `nearest to ${a}`);
      assert.equal(nearestNeighbours(model.vectors, b, 1)[0]!.word, a, `nearest to ${b}`);
      assert.ok(model.vectors.similarity(a, b) > 0.95, `${a}~${b}: ${model.vectors.similarity(a, b)}`);
    }
    // Learning happens: the loss falls from log 2 per binary question (≈ 6 × 0.693 at the start) by half.
    assert.ok(model.lossPerEpoch[4]! < 0.5 * model.lossPerEpoch[0]!, `loss per epoch ${model.lossPerEpoch}`);
  });
}

test("same seed, same vectors; another seed, other vectors", async () => {
  const { sentences } = plantedSynonymCorpus({ sentences: 500 });
  const options: Word2VecOptions = { vectorSize: 8, window: 2, minCount: 1, epochs: 2, progress: false };
  const a = await trainWord2Vec(sentences, { ...options, seed: 7 });
  const b = await trainWord2Vec(sentences, { ...options, seed: 7 });
  const c = await trainWord2Vec(sentences, { ...options, seed: 8 });
  assert.deepEqual(a.vectors.data, b.vectors.data);
  assert.notDeepEqual(a.vectors.data, c.vectors.data);
  assert.equal(a.options.alpha, 0.025, "gensim's defaults fill the rest");
  assert.equal(a.options.sample, 1e-3);
});

test("word2vec errors name the problem", async () => {
  await assert.rejects(trainWord2Vec([]), /the corpus is empty/);
  await assert.rejects(trainWord2Vec([[]]), /the corpus is empty/);
  await assert.rejects(trainWord2Vec("Call me Ishmael." as unknown as string[][]), /expected tokenized sentences/);
  await assert.rejects(trainWord2Vec([["call", "me"]], { minCount: 5 }), /no word occurs 5 times or more/);
  await assert.rejects(trainWord2Vec([["a", "a"]], { minCount: 1, architecture: "glove" as Word2VecArchitecture }), /architecture must be "skipgram" or "cbow"/);
  await assert.rejects(trainWord2Vec([["a", "a"]], { minCount: 1, window: 0 }), /window must be an integer ≥ 1, got 0/);
});

test("the lesson's Moby-Dick run in fast mode: a slice of the book, one epoch, seconds", async () => {
  const saved = process.env[FAST_MODE_VARIABLE];
  process.env[FAST_MODE_VARIABLE] = "1";
  try {
    const model = await trainMobyDickWord2Vec({ progress: false });
    assert.equal(model.options.epochs, 1);
    assert.equal(model.vectors.dim, 100);
    assert.ok(model.vocabulary.rawWords <= 30_000);
    assert.ok(model.vectors.has("whale"));
  } finally {
    if (saved === undefined) delete process.env[FAST_MODE_VARIABLE];
    else process.env[FAST_MODE_VARIABLE] = saved;
  }
});

interface GensimFixture {
  params: Word2VecOptions & { architecture: Word2VecArchitecture };
  corpusSha256: string;
  pairs: [string, string][];
  similarities: [number[], number[]];
  spearmanGensimVsGensim: number;
}

test("Moby-Dick: our similarities correlate with gensim's at least 0.8× as well as two gensim seeds do", async (t) => {
  // test/fixtures/word2vec/gensim-pairs.json says how it was made (npx tsx test/fixtures/word2vec/make-gensim-pairs.ts).
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/word2vec/gensim-pairs.json"), "utf8")) as GensimFixture;
  const sentences = mobyDickSentences();
  const text = sentences.map((sentence) => sentence.join(" ")).join("\n") + "\n";
  assert.equal(
    createHash("sha256").update(text).digest("hex"),
    fixture.corpusSha256,
    "the tokenisation changed since the fixture was made: run `npx tsx test/fixtures/word2vec/make-gensim-pairs.ts`",
  );
  const model = await trainWord2Vec(sentences, { ...fixture.params, seed: 1, progress: false });
  const ours = fixture.pairs.map(([a, b]) => model.vectors.similarity(a, b));
  const oursVsGensim = (spearman(ours, fixture.similarities[0]) + spearman(ours, fixture.similarities[1])) / 2;
  const ratio = oursVsGensim / fixture.spearmanGensimVsGensim;
  t.diagnostic(`Spearman ours vs gensim ${oursVsGensim.toFixed(3)}, gensim vs gensim ${fixture.spearmanGensimVsGensim.toFixed(3)}, ratio ${ratio.toFixed(3)}, trained in ${model.seconds.toFixed(1)} s`);
  assert.ok(
    ratio >= 0.8,
    `Spearman ours vs gensim ${oursVsGensim.toFixed(3)}, gensim vs gensim ${fixture.spearmanGensimVsGensim}: ratio ${ratio.toFixed(3)} < 0.8`,
  );
  // Sanity of the yardstick itself: two gensim seeds agree well on this corpus.
  assert.ok(fixture.spearmanGensimVsGensim > 0.8);
});
