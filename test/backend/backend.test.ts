import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { version } from "@tensorflow/tfjs";
import { BACKEND_VARIABLE, backendInfo, initBackend, isLoadingNoise } from "@llm-course/lib/backend";

const tfjsVersion = version.tfjs;

const ROOT = path.resolve(__dirname, "..", "..");
// These tests are about this machine's default choice; a forced backend would change every answer.
delete process.env[BACKEND_VARIABLE];

/** Runs a snippet in a fresh Node process (backend selection is process-wide), with the given environment. */
function runFresh(code: string, env: Record<string, string | undefined>) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("auto picks the fastest available backend (wasm here), and a matmul gives the hand-computed values", async () => {
  const tf = await initBackend({ quiet: true });
  const info = backendInfo();
  assert.ok(info);
  assert.equal(tf.getBackend(), info.name);
  if (info.name === "tensorflow") {
    // A machine where `npm run setup:gpu` (or tfjs-node) installed a native backend.
    assert.match(info.packageName, /^@tensorflow\/tfjs-node(-gpu)?$/);
  } else {
    // This course machine: no @tensorflow/tfjs-node-gpu, and @tensorflow/tfjs-node is an alias of plain tfjs.
    assert.equal(info.name, "wasm");
    assert.equal(info.simd, true);
    assert.equal(info.threads, 1);
    assert.equal(info.summary, `tfjs ${tf.version.tfjs} · backend: wasm (SIMD, 1 thread)`);
    assert.deepEqual(
      info.skipped.map((s) => s.candidate),
      ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"],
    );
  }
  // [[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
  const product = tf.matMul(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[7, 8], [9, 10], [11, 12]]));
  assert.deepEqual(await product.array(), [[58, 64], [139, 154]]);
  product.dispose();
});

test("idempotent: a second call returns the same namespace and keeps the backend", async () => {
  const a = await initBackend({ quiet: true });
  const before = backendInfo();
  const b = await initBackend();
  assert.equal(a, b);
  assert.equal(backendInfo(), before);
  assert.equal(b.getBackend(), before?.name);
});

test("prints exactly one line, with no tfjs banner or registration warning", () => {
  const code =
    'const { initBackend } = require("@llm-course/lib/backend");' +
    "(async () => { const tf = await initBackend(); await initBackend(); tf.tensor([1, 2]).square().dataSync(); })();";
  const auto = runFresh(code, { [BACKEND_VARIABLE]: undefined });
  assert.equal(auto.status, 0, auto.stderr);
  assert.equal(auto.stdout, `${backendInfo()?.summary}\n`);
  assert.equal(auto.stderr, "");
  // The CPU backend prints its "install tfjs-node" banner on its first tensor: it must be filtered too.
  const cpu = runFresh(code, { [BACKEND_VARIABLE]: "cpu" });
  assert.equal(cpu.status, 0, cpu.stderr);
  assert.equal(cpu.stdout, `tfjs ${tfjsVersion} · backend: cpu (pure JavaScript, the slowest) · set by LLM_COURSE_BACKEND\n`);
  assert.equal(cpu.stderr, "");
});

test("LLM_COURSE_BACKEND: clear errors for an unavailable or unknown backend", (t) => {
  if (backendInfo()?.name === "tensorflow") return t.skip("a native backend is installed on this machine");
  const code = 'require("@llm-course/lib/backend").initBackend().catch((e) => { console.log(e.message); process.exit(3); });';
  const native = runFresh(code, { [BACKEND_VARIABLE]: "tensorflow" });
  assert.equal(native.status, 3);
  assert.match(native.stdout, /^LLM_COURSE_BACKEND=tensorflow: the tensorflow backend is not available/);
  assert.match(native.stdout, /@tensorflow\/tfjs-node-gpu: not installed \(opt in with `npm run setup:gpu`\)/);
  assert.match(native.stdout, /@tensorflow\/tfjs-node: (resolves to @tensorflow\/tfjs@\d+\.\d+\.\d+ \(an npm override\)|not installed)/);
  const unknown = runFresh(code, { [BACKEND_VARIABLE]: "gpu" });
  assert.equal(unknown.status, 3);
  assert.equal(unknown.stdout, 'LLM_COURSE_BACKEND=gpu: unknown backend "gpu"; use one of auto, tensorflow, wasm, cpu\n');
});

test("switching backends on request (benchmarks), then back", async () => {
  const tf = await initBackend({ backend: "cpu", quiet: true });
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).array(), [[11]]);
  await initBackend({ backend: "wasm", quiet: true });
  assert.equal(tf.getBackend(), "wasm");
});

test("only the known loading messages are treated as noise", () => {
  assert.ok(
    isLoadingNoise(
      "\n============================\nHi, looks like you are running TensorFlow.js in Node.js. To speed things up dramatically, install our node backend, visit https://github.com/tensorflow/tfjs-node for more details. \n============================",
    ),
  );
  assert.ok(isLoadingNoise("Hi there 👋. Looks like you are running TensorFlow.js in Node.js. To speed things up dramatically, install our node backend, visit https://github.com/tensorflow/tfjs-node for more details."));
  assert.ok(isLoadingNoise("The kernel 'MatMul' for backend 'wasm' is already registered"));
  assert.ok(isLoadingNoise("wasm backend was already registered. Reusing existing backend factory."));
  assert.ok(!isLoadingNoise("Initialization of backend wasm failed"));
  assert.ok(!isLoadingNoise("The kernel 'MatMul' for backend 'wasm' is already registered, and something else"));
  assert.ok(!isLoadingNoise(undefined));
});
