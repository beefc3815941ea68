import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { initBackend } from "@llm-course/lib/backend";
import { decodeModel, encodeModel, nodeProto } from "@llm-course/lib/onnx/proto";
import { GPT_MOBY_DIR, loadGptMoby, type LoadedGptMoby } from "@llm-course/lib/models/gpt";
import { createEngine } from "@llm-course/lib/server/engine";
import { QueueFullError, type GeneratedToken, type GenerationEngine, type GenerationHandle, type GenerationRequest, type TokenConstraint } from "@llm-course/lib/server/types";

let moby: LoadedGptMoby;
let engine: GenerationEngine;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-engine-"));

before(async () => {
  await initBackend({ quiet: true });
  moby = loadGptMoby();
  engine = await createEngine(GPT_MOBY_DIR, { maxBatch: 8 });
});
after(async () => {
  moby?.model.dispose();
  await engine?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const GREEDY = { temperature: 0, topP: 1, topK: 0 };

function request(prompt: string, maxTokens: number, extra: Partial<GenerationRequest> = {}): GenerationRequest {
  return { promptIds: moby.tokenizer.encode(prompt), maxTokens, sampling: GREEDY, stopTokenIds: [], topLogprobs: 0, ...extra };
}

interface Collected {
  tokens: GeneratedToken[];
  ids: number[];
  reason: string;
  completionTokens: number;
}

async function collect(handle: GenerationHandle): Promise<Collected> {
  const tokens: GeneratedToken[] = [];
  for await (const token of handle.tokens) tokens.push(token);
  const { reason, completionTokens } = await handle.finished;
  return { tokens, ids: tokens.map((t) => t.id), reason, completionTokens };
}

function logSoftmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i]! - max);
  return Array.from(logits, (x) => x - max - Math.log(total));
}

const PROMPTS = ["Call me Ishmael.", "The whale", "It was the best of times; the sea was calm and the captain", "Ahab"];

test("greedy tokens of one request are the tfjs model's greedy generation, and the first logprob its log-softmax", async () => {
  for (const prompt of PROMPTS) {
    const ids = moby.tokenizer.encode(prompt);
    const maxTokens = 60;
    const expected = moby.model.generate(ids, { maxNewTokens: maxTokens, temperature: 0 }).ids;
    const got = await collect(engine.submit(request(prompt, maxTokens, { topLogprobs: 5 })));
    assert.deepEqual(got.ids, expected, `prompt ${JSON.stringify(prompt)}`);
    assert.equal(got.reason, "length");
    assert.equal(got.completionTokens, maxTokens);

    const session = moby.model.decodingSession();
    const reference = logSoftmax(session.next(ids));
    session.dispose();
    const first = got.tokens[0]!;
    assert.ok(Math.abs(first.logprob - reference[first.id]!) < 1e-4, `logprob ${first.logprob} vs tfjs ${reference[first.id]}`);
    const ranked = reference.map((lp, id) => ({ id, lp })).sort((a, b) => b.lp - a.lp || a.id - b.id);
    assert.deepEqual(first.top.map((t) => t.id), ranked.slice(0, 5).map((t) => t.id));
    assert.equal(first.top[0]!.id, first.id, "greedy draws the most likely token");
    first.top.forEach((t, i) => assert.ok(Math.abs(t.logprob - ranked[i]!.lp) < 1e-4));
  }
});

test("concurrent requests of different lengths, some joining mid-run, batch together and give the tokens they give alone", async () => {
  const specs = PROMPTS.map((prompt, i) => request(prompt, 20 + 15 * i, { topLogprobs: 3 }));
  const alone: Collected[] = [];
  for (const spec of specs) alone.push(await collect(engine.submit(spec)));

  const stepsBefore = engine.stats().steps;
  const first = engine.submit(specs[0]!);
  const firstTokens: GeneratedToken[] = [];
  const iterator = first.tokens[Symbol.asyncIterator]();
  for (let i = 0; i < 5; i++) firstTokens.push((await iterator.next()).value as GeneratedToken);
  // The others arrive while the first runs: they join its batch at the next step.
  const others = specs.slice(1).map((spec) => engine.submit(spec));
  assert.ok(engine.stats().active + engine.stats().queued >= 2);
  const rest = await Promise.all(others.map(collect));
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) firstTokens.push(next.value);
  const together = [{ tokens: firstTokens, ids: firstTokens.map((t) => t.id) }, ...rest];

  const stats = engine.stats();
  assert.ok(stats.largestBatch >= 4, `largest batch ${stats.largestBatch}`);
  const longest = Math.max(...specs.map((s) => s.maxTokens));
  assert.ok(stats.steps - stepsBefore < longest + 5 + specs.length, `${stats.steps - stepsBefore} forward passes for ${specs.length} requests of at most ${longest} tokens`);
  together.forEach((got, i) => {
    assert.deepEqual(got.ids, alone[i]!.ids, `request ${i}`);
    got.tokens.forEach((token, j) => {
      const reference = alone[i]!.tokens[j]!;
      assert.ok(Math.abs(token.logprob - reference.logprob) < 1e-4, `request ${i} token ${j}: ${token.logprob} vs ${reference.logprob}`);
      assert.deepEqual(token.top.map((t) => t.id), reference.top.map((t) => t.id));
      token.top.forEach((t, k) => assert.ok(Math.abs(t.logprob - reference.top[k]!.logprob) < 1e-4));
    });
  });
  assert.equal(engine.stats().active, 0);
});

test("seeded sampling is reproducible and does not depend on the other sequences of the batch", async () => {
  const sampled = (seed: number) => request("Call me Ishmael.", 50, { sampling: { temperature: 0.9, topP: 0.95, topK: 40, seed }, topLogprobs: 1 });
  const alone = await collect(engine.submit(sampled(7)));
  const again = await collect(engine.submit(sampled(7)));
  assert.deepEqual(again.ids, alone.ids);
  const other = await collect(engine.submit(sampled(8)));
  assert.notDeepEqual(other.ids, alone.ids, "another seed draws other tokens");

  const crowd = [
    engine.submit(request("The whale", 30, { sampling: { temperature: 1.3, topP: 1, topK: 0, seed: 1 } })),
    engine.submit(sampled(7)),
    engine.submit(request("Ahab", 70)),
    engine.submit(request("It was the best of times", 10, { sampling: { temperature: 0.5, topP: 0.5, topK: 3, seed: 2 } })),
  ];
  const results = await Promise.all(crowd.map(collect));
  assert.deepEqual(results[1]!.ids, alone.ids);
  results[1]!.tokens.forEach((t, j) => assert.ok(Math.abs(t.logprob - alone.tokens[j]!.logprob) < 1e-4));
  // top-k 3: every drawn token is among the 3 most likely.
  const session = moby.model.decodingSession();
  let logits = session.next(moby.tokenizer.encode("It was the best of times"));
  for (const id of results[3]!.ids) {
    const top3 = logSoftmax(logits).map((lp, i) => ({ lp, i })).sort((a, b) => b.lp - a.lp).slice(0, 3).map((t) => t.i);
    assert.ok(top3.includes(id), `token ${id} is outside the top 3 ${top3}`);
    logits = session.next([id]);
  }
  session.dispose();
});

test("an abort frees the slot at once (finished says abort), a reader leaving the loop aborts too, and later requests still work", async () => {
  const survivorAlone = await collect(engine.submit(request("Ahab", 30)));
  const controller = new AbortController();
  const running = engine.submit(request("Call me Ishmael.", 100, { signal: controller.signal }));
  const other = engine.submit(request("The whale", 100));
  const survivor = collect(engine.submit(request("Ahab", 30)));
  let seen = 0;
  for await (const _token of running.tokens) {
    if (++seen === 3) controller.abort();
  }
  const outcome = await running.finished;
  assert.equal(outcome.reason, "abort");
  assert.ok(outcome.completionTokens >= 3 && outcome.completionTokens <= 5, `${outcome.completionTokens} tokens after the abort`);
  assert.equal(engine.stats().active, 2, "the two other requests run on");
  assert.deepEqual((await survivor).ids, survivorAlone.ids, "the rows left keep their caches");

  let read = 0;
  for await (const _token of other.tokens) if (++read === 2) break;
  assert.equal((await other.finished).reason, "abort");
  assert.equal(engine.stats().active, 0);

  const already = new AbortController();
  already.abort();
  assert.deepEqual(await engine.submit(request("Ahab", 10, { signal: already.signal })).finished, { reason: "abort", promptTokens: 4, completionTokens: 0 });

  const after = await collect(engine.submit(request("The whale", 12)));
  assert.equal(after.ids.length, 12);
  assert.equal(after.reason, "length");
});

test("a queued request can be aborted before it starts; past maxBatch + maxQueue, submit throws QueueFullError", async () => {
  const small = await createEngine(GPT_MOBY_DIR, { maxBatch: 1, maxQueue: 1 });
  try {
    const first = small.submit(request("Call me", 40));
    const controller = new AbortController();
    const second = small.submit(request("The whale", 40, { signal: controller.signal }));
    assert.throws(
      () => small.submit(request("Ahab", 5)),
      (error: unknown) => error instanceof QueueFullError && error.retryAfterSeconds >= 1 && /too many requests/.test(error.message),
    );
    const reading = first.tokens[Symbol.asyncIterator]();
    await reading.next();
    assert.deepEqual({ active: small.stats().active, queued: small.stats().queued }, { active: 1, queued: 1 });
    controller.abort();
    assert.equal((await second.finished).reason, "abort");
    assert.equal(small.stats().queued, 0);
    const third = small.submit(request("Ahab", 5));
    let rest = 0;
    while (!(await reading.next()).done) rest++;
    assert.equal(rest, 39);
    assert.equal((await collect(third)).ids.length, 5);
    assert.equal(small.stats().largestBatch, 1);
  } finally {
    await small.close();
  }
  await assert.rejects(async () => small.submit(request("Ahab", 5)), /closed/);
});

test("maxTokens and the context end with length, a stop token with stop (left out of the tokens)", async () => {
  const { contextLength } = engine;
  assert.equal(contextLength, 128);
  const short = await collect(engine.submit(request("Call me Ishmael.", 1)));
  assert.deepEqual([short.ids.length, short.reason], [1, "length"]);

  const text = "x".repeat(120);
  const full = await collect(engine.submit(request(text, 50)));
  assert.deepEqual([full.ids.length, full.reason, full.completionTokens], [8, "length", 8]);
  const exact = await engine.submit(request("y".repeat(contextLength), 5)).finished;
  assert.deepEqual(exact, { reason: "length", promptTokens: contextLength, completionTokens: 0 });

  const free = await collect(engine.submit(request("Call me Ishmael.", 30)));
  const cut = free.ids.findIndex((id, i) => i > 0 && !free.ids.slice(0, i).includes(id));
  const stopped = await collect(engine.submit(request("Call me Ishmael.", 30, { stopTokenIds: [free.ids[cut]!] })));
  assert.deepEqual(stopped.ids, free.ids.slice(0, cut));
  assert.equal(stopped.reason, "stop");
  assert.equal(stopped.completionTokens, cut);
});

test("a constraint is obeyed: only its tokens are drawn, and a stop token only once it is done", async () => {
  const allowedIds = moby.tokenizer.encode("abc");
  const [a, b, c] = allowedIds;
  const stop = moby.tokenizer.encode(".")[0]!;
  const seen: number[] = [];
  const threeLetters: TokenConstraint = {
    allowed: (mask) => {
      mask.fill(0);
      if (seen.length < 3) for (const id of allowedIds) mask[id] = 1;
    },
    advance: (id) => {
      assert.ok(allowedIds.includes(id), `advance(${id}) outside the constraint`);
      seen.push(id);
    },
    done: () => seen.length >= 3,
  };
  const got = await collect(engine.submit(request("The whale", 20, { constraint: threeLetters, stopTokenIds: [stop], sampling: { temperature: 1, topP: 1, topK: 0, seed: 3 }, topLogprobs: 5 })));
  assert.equal(got.reason, "stop");
  assert.deepEqual(got.ids, seen);
  assert.equal(got.ids.length, 3);
  for (const token of got.tokens) {
    assert.ok([a, b, c].includes(token.id));
    assert.ok(Number.isFinite(token.logprob));
    // Disallowed tokens have probability 0 under the masked distribution: they are no alternatives.
    assert.deepEqual(token.top.map((t) => t.id).sort((x, y) => x - y), [...allowedIds].sort((x, y) => x - y));
    assert.ok(token.top.every((t) => Number.isFinite(t.logprob)));
  }

  const stuck: TokenConstraint = { allowed: (mask) => mask.fill(0), advance: () => undefined, done: () => false };
  const handle = engine.submit(request("The whale", 5, { constraint: stuck, stopTokenIds: [stop] }));
  await assert.rejects(handle.finished, /the constraint allows no token/);
  await assert.rejects(collect(handle), /the constraint allows no token/);
  assert.equal((await collect(engine.submit(request("The whale", 4)))).ids.length, 4, "the engine goes on after a failed sequence");
});

test("bad requests and bad folders get errors that name the problem", async () => {
  const base = request("Call me", 5);
  const cases: [Partial<GenerationRequest>, RegExp][] = [
    [{ promptIds: [] }, /prompt is empty/],
    [{ promptIds: [1, 93] }, /promptIds\[1\] = 93 is not a token id \(0…92\)/],
    [{ promptIds: [-1] }, /promptIds\[0\] = -1/],
    [{ promptIds: [1.5] }, /promptIds\[0\] = 1.5/],
    [{ promptIds: new Array(129).fill(3) }, /129 tokens, more than the model's context of 128/],
    [{ maxTokens: 0 }, /maxTokens must be an integer ≥ 1, got 0/],
    [{ topLogprobs: 21 }, /topLogprobs must be an integer in 0…20/],
    [{ sampling: { temperature: -1, topP: 1, topK: 0 } }, /temperature must be a finite number ≥ 0/],
    [{ sampling: { temperature: 1, topP: 0, topK: 0 } }, /topP must be in \(0, 1\]/],
    [{ stopTokenIds: [100] }, /stopTokenIds\[0\] = 100/],
  ];
  for (const [change, message] of cases) assert.throws(() => engine.submit({ ...base, ...change }), message);
  assert.equal(engine.stats().queued, 0);

  await assert.rejects(createEngine(path.join(tmp, "missing")), /model folder .*missing does not exist/);
  const noOnnx = path.join(tmp, "no-onnx");
  fs.mkdirSync(noOnnx);
  fs.copyFileSync(path.join(GPT_MOBY_DIR, "config.json"), path.join(noOnnx, "config.json"));
  await assert.rejects(createEngine(noOnnx), /has no onnx\/model\.onnx \(dtype fp32\)/);
  await assert.rejects(createEngine(noOnnx, { dtype: "q8" }), /has no onnx\/model_quantized\.onnx/);
  fs.mkdirSync(path.join(noOnnx, "onnx"));
  fs.copyFileSync(path.join(GPT_MOBY_DIR, "onnx", "model.onnx"), path.join(noOnnx, "onnx", "model.onnx"));
  fs.writeFileSync(path.join(noOnnx, "config.json"), JSON.stringify({ n_layer: 4, n_head: 4, n_embd: 128 }));
  await assert.rejects(createEngine(noOnnx), /config\.json has no max_position_embeddings or n_positions or n_ctx/);
  fs.writeFileSync(path.join(noOnnx, "config.json"), JSON.stringify({ n_layer: 6, n_head: 4, n_embd: 128, n_positions: 128 }));
  await assert.rejects(createEngine(noOnnx), /lacks the inputs past_key_values\.4\.key/);
  await assert.rejects(createEngine(GPT_MOBY_DIR, { maxBatch: 0 }), /maxBatch must be an integer ≥ 1/);

});

test("a Hugging Face-style config.json (num_hidden_layers, num_key_value_heads, max_position_embeddings…) is read too", async () => {
  const folder = path.join(tmp, "hub-style");
  fs.mkdirSync(path.join(folder, "onnx"), { recursive: true });
  fs.symlinkSync(path.join(GPT_MOBY_DIR, "onnx", "model.onnx"), path.join(folder, "onnx", "model.onnx"));
  const config = { model_type: "qwen2", num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4, hidden_size: 128, max_position_embeddings: 64, vocab_size: 93 };
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(config));
  const hub = await createEngine(folder);
  try {
    assert.deepEqual([hub.contextLength, hub.vocabSize], [64, 93]);
    const spec = request("Call me Ishmael.", 60);
    const got = await collect(hub.submit(spec));
    assert.deepEqual([got.ids.length, got.reason], [64 - spec.promptIds.length, "length"]);
    assert.deepEqual(got.ids, (await collect(engine.submit(spec))).ids.slice(0, got.ids.length));
  } finally {
    await hub.close();
  }
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...config, num_attention_heads: 3 }));
  await assert.rejects(createEngine(folder), /the attention heads \(3\) do not divide the width \(128\)/);
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...config, num_hidden_layers: 0 }));
  await assert.rejects(createEngine(folder), /num_hidden_layers = 0; expected an integer ≥ 1/);
  fs.writeFileSync(path.join(folder, "config.json"), "{ not json");
  await assert.rejects(createEngine(folder), /config\.json is not valid JSON/);
});

test("q8 (dynamically quantized activations) batches too, its greedy tokens close to fp32's", async (t) => {
  const warn = t.mock.method(console, "warn", () => undefined);
  const q8 = await createEngine(GPT_MOBY_DIR, { dtype: "q8" });
  try {
    assert.equal(warn.mock.callCount(), 0, "the padding check passes within quantization noise");
    const specs = PROMPTS.map((prompt) => request(prompt, 20));
    const results = await Promise.all(specs.map((spec) => collect(q8.submit(spec))));
    assert.ok(q8.stats().largestBatch > 1);
    const fp32 = await Promise.all(specs.map((spec) => collect(engine.submit(spec))));
    const same = results.reduce((n, r, i) => n + r.ids.filter((id, j) => id === fp32[i]!.ids[j]).length, 0);
    assert.ok(same >= 0.5 * 20 * specs.length, `${same} of ${20 * specs.length} tokens as in fp32`);
  } finally {
    await q8.close();
  }
});

test("a graph that ignores left padding is detected at load and runs one sequence per pass, still correct", async (t) => {
  // gpt-moby with its attention_mask replaced by ones: padding keys become visible, as in fused attention
  // kernels that assume right padding.
  const model = decodeModel(fs.readFileSync(path.join(GPT_MOBY_DIR, "onnx", "model.onnx")));
  const graph = model.graph!;
  for (const node of graph.node!) node.input = node.input!.map((name) => (name === "attention_mask" ? "mask_ignored" : name));
  graph.node!.unshift(
    nodeProto("Shape", ["attention_mask"], ["mask_shape"]),
    nodeProto("ConstantOfShape", ["mask_shape"], ["mask_ignored"], { value: { dataType: 7, dims: [1], int64Data: [1] } }),
  );
  const folder = path.join(tmp, "no-padding");
  fs.mkdirSync(path.join(folder, "onnx"), { recursive: true });
  fs.copyFileSync(path.join(GPT_MOBY_DIR, "config.json"), path.join(folder, "config.json"));
  fs.writeFileSync(path.join(folder, "onnx", "model.onnx"), encodeModel(model));
  const warn = t.mock.method(console, "warn", () => undefined);
  const serial = await createEngine(folder, { maxBatch: 4, maxQueue: 2 });
  try {
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0]!.arguments[0]), /cannot batch sequences of different lengths: it runs one sequence per forward pass/);
    const specs = PROMPTS.map((prompt) => request(prompt, 15));
    const handles = specs.map((spec) => serial.submit(spec));
    handles.push(serial.submit(specs[0]!), serial.submit(specs[1]!));
    assert.throws(() => serial.submit(specs[0]!), QueueFullError, "the queue keeps the capacity maxBatch + maxQueue");
    const together = await Promise.all(handles.map(collect));
    assert.equal(serial.stats().largestBatch, 1);
    for (let i = 0; i < specs.length; i++) {
      assert.deepEqual(together[i]!.ids, (await collect(engine.submit(specs[i]!))).ids);
    }
  } finally {
    await serial.close();
  }
});
