import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initBackend } from "@llm-course/lib/backend";
import { splitTokenStream } from "@llm-course/lib/data";
import { GPT } from "@llm-course/lib/models/gpt";
import { Random } from "@llm-course/lib/random";
import { CharTokenizer } from "@llm-course/lib/tokenizers";
import { train } from "@llm-course/lib/training";

before(async () => {
  await initBackend({ quiet: true });
});

test("a short run of the course's training loop learns a tiny text", async () => {
  const text = "the quick brown fox jumps over the lazy dog. ".repeat(40);
  const tokenizer = CharTokenizer.fromText(text, { specialTokens: [] });
  const { train: trainSet, dev } = splitTokenStream(tokenizer.encode(text), 32);
  const model = new GPT({ vocabSize: tokenizer.vocabSize, blockSize: 32, layers: 2, heads: 2, width: 32, seed: 1 });
  const initial = model.evaluate(dev);
  assert.ok(Math.abs(initial - Math.log(tokenizer.vocabSize)) < 0.05, `initial loss ${initial}`);
  const history = await train(model, { train: trainSet, dev, steps: 150, batchSize: 16, lr: 3e-3, rng: new Random(2), progress: false, fastMode: false });
  const final = history.devLoss[history.devLoss.length - 1]!;
  console.log(`dev loss ${initial.toFixed(3)} → ${final.toFixed(3)} in ${history.seconds.toFixed(1)} s`);
  // The sentence repeats with a period of 45 characters: past the first words of a window, every character is determined.
  assert.ok(final < 0.3, `dev loss after 150 steps: ${final}`);
  // Greedy generation continues the sentence.
  const prompt = tokenizer.encode("the quick ");
  const out = model.generate(prompt, { maxNewTokens: 60, temperature: 0, decode: (ids) => tokenizer.decode(ids), stop: "." });
  console.log(JSON.stringify(out.text), out.finishReason);
  assert.equal(out.finishReason, "stop");
  assert.equal(out.text, "brown fox jumps over the lazy dog");
  model.dispose();
});
