import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { initBackend } from "@llm-course/lib/backend";
import { tokenStreamDataset } from "@llm-course/lib/data";
import { generateWithPipeline, loadPipeline, pipelineContext, pipelineLogits, pipelinePerplexity, pipelineTokenIds, pipelineTokenText, type TextGenerationPipe } from "@llm-course/lib/llm";
import { gptMobyData, loadGptMoby, type LoadedGptMoby } from "@llm-course/lib/models/gpt";

// The course's GPT twice: its tfjs checkpoint and its transformers.js export (same weights).
let gpt: LoadedGptMoby;
let pipe: TextGenerationPipe;
before(async () => {
  await initBackend({ quiet: true });
  gpt = loadGptMoby();
  pipe = (await loadPipeline<TextGenerationPipe>("text-generation", "gpt", { online: false, quiet: true })).pipe;
});
after(async () => {
  gpt?.model.dispose();
  await pipe?.dispose();
});

const decode = (ids: readonly number[]) => gpt.tokenizer.decode(ids);

test("the pipeline's tokenizer and next-token logits are the tfjs model's", async () => {
  const prompt = "Call me Ishmael. Some years ago";
  assert.deepEqual(pipelineTokenIds(pipe, prompt), gpt.tokenizer.encode(prompt));
  assert.equal(pipelineTokenText(pipe, gpt.tokenizer.encode("w")[0]!), "w");
  assert.equal(pipelineContext(pipe), gpt.model.config.blockSize);
  const ours = gpt.model.nextTokenLogits(gpt.tokenizer.encode(prompt));
  const theirs = await pipelineLogits(pipe, prompt);
  assert.equal(theirs.length, ours.length);
  let gap = 0;
  for (let i = 0; i < ours.length; i++) gap = Math.max(gap, Math.abs(ours[i]! - theirs[i]!));
  assert.ok(gap < 1e-4, `max |Δ logit| = ${gap}`);
});

test("greedy generation and stop sequences: generateWithPipeline = GPT.generate", async () => {
  const prompt = "It was the whale that ";
  const ours = gpt.model.generate(gpt.tokenizer.encode(prompt), { maxNewTokens: 60, temperature: 0, decode });
  const theirs = await generateWithPipeline(pipe, prompt, { maxNewTokens: 60 });
  assert.deepEqual(theirs.ids, ours.ids);
  assert.equal(theirs.text, ours.text);
  assert.equal(theirs.finishReason, "length");
  assert.ok(theirs.tokensPerSecond > 0);
  // Stop at the first "e" of the continuation: cut before it, the token that completed it counted.
  const stopped = await generateWithPipeline(pipe, prompt, { maxNewTokens: 60, stop: ["e", "xyz"] });
  const reference = gpt.model.generate(gpt.tokenizer.encode(prompt), { maxNewTokens: 60, temperature: 0, decode, stop: ["e", "xyz"] });
  assert.equal(stopped.finishReason, "stop");
  assert.equal(stopped.stoppedBy, "e");
  assert.equal(stopped.text, reference.text);
  assert.deepEqual(stopped.ids, reference.ids);
  assert.equal(decode(stopped.ids), `${stopped.text}e`);
});

test("sampling through the pipeline: seeded, top-p and top-k applied (transformers.js alone ignores top_p)", async () => {
  const prompt = "It was the whale that ";
  const greedy = (await generateWithPipeline(pipe, prompt, { maxNewTokens: 50 })).text;
  const a = await generateWithPipeline(pipe, prompt, { maxNewTokens: 50, temperature: 1, seed: 7 });
  const b = await generateWithPipeline(pipe, prompt, { maxNewTokens: 50, temperature: 1, seed: 7 });
  const c = await generateWithPipeline(pipe, prompt, { maxNewTokens: 50, temperature: 1, seed: 8 });
  assert.equal(a.text, b.text, "same seed, same text");
  assert.notEqual(a.text, c.text, "another seed, another text");
  assert.notEqual(a.text, greedy);
  assert.equal((await generateWithPipeline(pipe, prompt, { maxNewTokens: 50, temperature: 1, topP: 1e-9, seed: 7 })).text, greedy, "a tiny top-p is greedy");
  assert.equal((await generateWithPipeline(pipe, prompt, { maxNewTokens: 50, temperature: 1.5, topK: 1, seed: 7 })).text, greedy, "top-k = 1 is greedy");
});

test("the context caps max_new_tokens; bad options are named", async () => {
  const prompt = "Call me Ishmael. ";
  const run = await generateWithPipeline(pipe, prompt, { maxNewTokens: 500 });
  assert.equal(run.maxNewTokens, gpt.model.config.blockSize - prompt.length);
  assert.equal(run.ids.length, run.maxNewTokens);
  await assert.rejects(generateWithPipeline(pipe, prompt, { maxNewTokens: 0 }), /maxNewTokens must be an integer ≥ 1/);
  await assert.rejects(generateWithPipeline(pipe, prompt, { maxNewTokens: 5, temperature: -1 }), /temperature/);
  await assert.rejects(generateWithPipeline(pipe, "x".repeat(200), { maxNewTokens: 5 }), /fill the model's context/);
  await assert.rejects(pipelineLogits(pipe, ""), /non-empty/);
});

test("pipelinePerplexity on the validation windows = exp(GPT.evaluate) on the same windows", async () => {
  const { dev } = gptMobyData();
  const T = gpt.model.config.blockSize;
  const windows = 6;
  const ours = Math.exp(gpt.model.evaluate(tokenStreamDataset(dev.ids.subarray(0, windows * T + 1), T)));
  const theirs = await pipelinePerplexity(pipe, dev.ids, T, { windows, batchSize: 4 });
  assert.equal(theirs.tokens, windows * T);
  assert.ok(Math.abs(theirs.perplexity / ours - 1) < 1e-5, `ONNX ${theirs.perplexity}, tfjs ${ours}`);
  await assert.rejects(pipelinePerplexity(pipe, dev.ids, 2 * T), /do not fit the model's context/);
});
