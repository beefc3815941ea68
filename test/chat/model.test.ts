import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { CHAT_TASK_NAMES, CHAT_TOKEN_IDS, chatTestExamples, encodeChat, evaluateChatFolder, evaluateExamples, gptChatGenerator, loadChatModel, renderChat, type LoadedChatModel } from "@llm-course/lib/chat";
import { createSession, runSession, type FeedTensor } from "@llm-course/lib/onnx/runtime";

let chat: LoadedChatModel;

before(async () => {
  await initBackend({ quiet: true });
  chat = loadChatModel();
});
after(() => chat.model.dispose());

test("report.json: every task with base and chat figures, the targets, and the build's sizes", () => {
  const { report, model, tokenizer } = chat;
  assert.equal(report.parameters, model.parameterCount);
  assert.equal(report.vocabSize, tokenizer.vocabSize);
  assert.deepEqual(Object.keys(report.tasks), [...CHAT_TASK_NAMES]);
  for (const task of CHAT_TASK_NAMES) {
    const { base, chat: tuned } = report.tasks[task];
    assert.equal(base.n, report.recipe.evaluation.testPerTask);
    assert.equal(tuned.n, base.n);
    for (const share of [base.exactMatch, tuned.exactMatch]) assert.ok(share >= 0 && share <= 1);
  }
  assert.equal(typeof report.tasks["spam-json"].chat.jsonValidity, "number");
  assert.equal(typeof report.tasks.calculator.chat.toolCallValidity, "number");
});

test("the committed model re-scored on the fixed test subset gives report.json's outcomes, through the batched engine (as the build scores it) and the tfjs GPT", async () => {
  const { report, model, tokenizer, directory } = chat;
  const { perTask, outcomes } = report.fixedSubset;
  const all = chatTestExamples(report.recipe.evaluation.testPerTask);
  const n = report.recipe.evaluation.testPerTask;
  const subset = CHAT_TASK_NAMES.flatMap((_, i) => all.slice(i * n, i * n + perTask));
  const evaluation = await evaluateChatFolder(directory, tokenizer, subset);
  assert.deepEqual(evaluation.outcomes, outcomes);
  // Under constrained decoding every answer is JSON of the schema (report.json: 100 % on the 100 prompts).
  assert.equal(evaluation.constrainedJson.n, perTask);
  assert.equal(evaluation.constrainedJson.jsonValidity, 1);
  assert.deepEqual(await evaluateExamples(gptChatGenerator(model, tokenizer), subset), outcomes);
});

test("the exported ONNX graph's logits equal the tfjs model's on a chat prompt, with and without the cache", async () => {
  const { model, tokenizer, directory } = chat;
  const { layers, heads, width } = model.config;
  const dHead = width / heads;
  const prompt = encodeChat(tokenizer, renderChat([{ role: "user", content: "Écris 347 en toutes lettres." }]));
  const expected = tf.tidy(() => model.forward(tf.tensor2d([prompt], [1, prompt.length], "int32")).dataSync() as Float32Array);
  const session = await createSession(path.join(directory, "onnx", "model.onnx"));
  const cache = (past: number, values?: Record<string, { data: unknown; dims: readonly number[] }>): Record<string, FeedTensor> => {
    const feeds: Record<string, FeedTensor> = {};
    for (let i = 0; i < layers; i++) {
      for (const kind of ["key", "value"]) {
        const present = values?.[`present.${i}.${kind}`];
        feeds[`past_key_values.${i}.${kind}`] = { type: "float32", data: (present?.data as Float32Array) ?? new Float32Array(0), dims: present ? [...present.dims] : [1, heads, past, dHead] };
      }
    }
    return feeds;
  };
  const feed = (ids: number[], start: number, past: Record<string, FeedTensor>): Record<string, FeedTensor> => ({
    input_ids: { type: "int64", data: ids, dims: [1, ids.length] },
    attention_mask: { type: "int64", data: new Array(start + ids.length).fill(1), dims: [1, start + ids.length] },
    position_ids: { type: "int64", data: ids.map((_, i) => start + i), dims: [1, ids.length] },
    ...past,
  });
  const whole = await runSession(session, feed(prompt, 0, cache(0)));
  const split = prompt.length - 3;
  const first = await runSession(session, feed(prompt.slice(0, split), 0, cache(0)));
  const rest = await runSession(session, feed(prompt.slice(split), split, cache(split, first)));
  const stitched = new Float32Array([...(first.logits!.data as Float32Array), ...(rest.logits!.data as Float32Array)]);
  for (const [label, logits] of [["whole prompt", whole.logits!.data as Float32Array], ["with the cache", stitched]] as const) {
    let max = 0;
    for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(logits[i]! - expected[i]!));
    assert.ok(max < 1e-3, `${label}: max |ONNX − tfjs| = ${max}`);
  }
  await session.release();
});

test("transformers.js: the chat template and greedy generation of the exported folder give GPT.generate's answer", async () => {
  const { model, tokenizer, directory } = chat;
  const { pipeline, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  const generator = await pipeline("text-generation", directory, { dtype: "fp32" });
  const messages = [{ role: "user" as const, content: "Translate into French: three hundred and forty-seven" }];
  const text = renderChat(messages);
  const ours = model.generate(encodeChat(tokenizer, text), { maxNewTokens: 20, temperature: 0, stopTokenIds: [CHAT_TOKEN_IDS.end] });
  const encoded = generator.tokenizer(text, { add_special_tokens: false });
  const generated = (await generator.model.generate({ ...encoded, max_new_tokens: 20, do_sample: false })) as { tolist(): bigint[][] };
  const theirs = generated.tolist()[0]!.map(Number).slice(encodeChat(tokenizer, text).length);
  // transformers.js keeps the eos token (<|end|>) it stopped on; GPT.generate leaves it out.
  assert.deepEqual(theirs.filter((id) => id !== CHAT_TOKEN_IDS.end), ours.ids);
  await generator.dispose();
});
