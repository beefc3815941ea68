// @ts-nocheck — AssemblyScript, not TypeScript: compiled to lib/kernels/word2vec.wasm by lib/kernels/build.ts
// (`npm run build:kernels`). The TypeScript checker does not know its types (i32, f32, v128) or builtins.
//
// word2vec's training loop — subsampling, the C code's shrunk window, negative sampling from the unigram
// table, skip-gram or CBOW, SGD on the input and output matrices — over a range of sentences in one call,
// with the dot products and the axpy updates in f32x4 lanes. lib/embeddings/word2vec.ts keeps the readable
// TypeScript version of the same loop (its "ts" backend), and test/embeddings/word2vec-kernel.test.ts
// checks that both give the same losses and vectors.
//
// Randomness is lib/random.ts's xoshiro128** ported as is, started from the host generator's state, and the
// draws are made in the same order as the TypeScript loop (keep-or-drop per word, reach per center word,
// then the negatives of each prediction), so both backends see the same windows and negatives and differ
// only by float rounding (f32 lanes here, float64 intermediates in JavaScript).
//
// The module owns no allocation: lib/kernels/word2vec.ts lays out, in this instance's memory, the matrices
// (rows padded to a multiple of 4 floats, padding zero, so no loop needs a tail; the padding stays zero
// because every update of a padded lane multiplies a zero), the corpus and the tables, and writes their
// addresses in the descriptor below. The matrices stay here for the whole training.

import { at } from "./simd.as";
export { heapBase } from "./simd.as";

// Descriptor slots (i32 each); lib/kernels/word2vec.ts writes them in the same order.
const DIM = 0; // row stride of both matrices, the vector size rounded up to 4
const WINDOW = 1;
const NEGATIVE = 2;
const CBOW = 3; // 1 for CBOW, 0 for skip-gram
const TABLE_SIZE = 4;
const P_INPUT = 5; // vocabulary × DIM floats ("syn0")
const P_OUTPUT = 6; // vocabulary × DIM floats ("syn1neg")
const P_TABLE = 7; // unigram table, TABLE_SIZE i32
const P_KEEP = 8; // keep probability per word, f64
const P_IDS = 9; // the corpus as word ids, i32
const P_ENDS = 10; // end (exclusive) of each sentence in the ids, i32
const P_KEPT = 11; // the current sentence after subsampling, i32
const P_HIDDEN = 12; // CBOW's mean of the context vectors, DIM floats
const P_STEP = 13; // −lr·∂L/∂hidden accumulated over one prediction's targets, DIM floats
const P_TARGETS = 14; // the word to predict then its negatives, NEGATIVE + 1 i32
const P_RNG = 15; // xoshiro128** state, 4 u32
// Results of the last trainSentences call, f64 each, from byte RESULTS of the descriptor.
const RESULTS: usize = 64;

@inline function slot(desc: usize, i: i32): i32 {
  return load<i32>(desc + (<usize>i << 2));
}

@inline function ptr(desc: usize, i: i32): usize {
  return <usize>load<i32>(desc + (<usize>i << 2));
}

// The generator's state lives in globals during a call (loaded from and stored back to P_RNG).
let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;

/** lib/random.ts's Random.nextUint32. */
@inline function nextUint32(): u32 {
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return result;
}

/** lib/random.ts's Random.next: uniform in [0, 1), exact in f64. */
@inline function nextFloat(): f64 {
  return <f64>nextUint32() / 4294967296.0;
}

/** Σ lanes of a·b over `dim` floats (a multiple of 4), with two accumulators when dim allows. */
@inline function dot(a: usize, b: usize, dim: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= dim; j += 8) {
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(a, j)), v128.load(at(b, j))));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(at(a, j + 4)), v128.load(at(b, j + 4))));
  }
  if (j < dim) acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(a, j)), v128.load(at(b, j))));
  const s = f32x4.add(acc0, acc1);
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** y += x over `dim` floats. */
@inline function addTo(y: usize, x: usize, dim: i32): void {
  for (let j = 0; j < dim; j += 4) v128.store(at(y, j), f32x4.add(v128.load(at(y, j)), v128.load(at(x, j))));
}

// Loss and number of predictions of the sentence being trained, written by the two sentence loops.
let sentenceLoss: f64 = 0;
let sentencePredictions: i32 = 0;

// The loss, −log σ(positive score) − Σ log σ(−negative score), is a sum of logs: the kernel multiplies the
// probabilities σ(±score) instead and takes one log when the product gets small, which saves a log per
// target. With scores clamped to ±30, each factor is at least σ(−30) ≈ 9e-14, so a product still above
// 1e-280 before a factor stays a normal float64 after it.
let probabilityProduct: f64 = 1;

// One target's update over 4 lanes at j: row += g·hidden, and step = g·row (first target) or step += g·row.
@inline function update4(row: usize, hidden: usize, step: usize, gv: v128, j: i32, first: bool): v128 {
  const h = v128.load(at(hidden, j));
  const o = v128.load(at(row, j));
  v128.store(at(step, j), first ? f32x4.mul(gv, o) : f32x4.add(v128.load(at(step, j)), f32x4.mul(gv, o)));
  v128.store(at(row, j), f32x4.add(o, f32x4.mul(gv, h)));
  return h;
}

/** One target's update over the whole row. */
@inline function update(row: usize, hidden: usize, step: usize, gv: v128, dim: i32, first: bool): void {
  for (let j = 0; j < dim; j += 4) update4(row, hidden, step, gv, j, first);
}

/**
 * One target's update fused with the next target's dot product hidden · next (next ≠ row), so the hidden
 * vector is read once for both: returns that dot product.
 */
@inline function updateThenDot(row: usize, next: usize, hidden: usize, step: usize, gv: v128, dim: i32, first: bool): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= dim; j += 8) {
    acc0 = f32x4.add(acc0, f32x4.mul(update4(row, hidden, step, gv, j, first), v128.load(at(next, j))));
    acc1 = f32x4.add(acc1, f32x4.mul(update4(row, hidden, step, gv, j + 4, first), v128.load(at(next, j + 4))));
  }
  if (j < dim) acc0 = f32x4.add(acc0, f32x4.mul(update4(row, hidden, step, gv, j, first), v128.load(at(next, j))));
  const s = f32x4.add(acc0, acc1);
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/**
 * lib/embeddings/negativeSampling.ts's negativeSamplingUpdate: for each target (the word to predict, then
 * the negatives) its output row moves by g·hidden and `step` gets Σ g·row (written by the first target, so
 * it needs no zeroing), with g = lr·(label − σ(score)). Multiplies the probabilities the model gave the
 * right answers into probabilityProduct. Each target's update and the next one's dot product share one
 * pass over the vectors, except when a negative repeats the previous target (the dot must then see the
 * updated row, as in the sequential loop).
 */
function predict(hidden: usize, output: usize, dim: i32, targets: usize, count: i32, lr: f64, step: usize): void {
  let product = probabilityProduct;
  const rowBytes = <usize>dim << 2;
  let row = output + <usize>load<i32>(targets) * rowBytes;
  let score = dot(hidden, row, dim);
  for (let d = 0; d < count; d++) {
    // Clamped so exp never overflows, as in the TypeScript loop.
    const s: f64 = score > 30 ? 30 : score < -30 ? -30 : <f64>score;
    const e = Math.exp(-s);
    const p = 1 / (1 + e);
    let g: f64;
    if (d == 0) {
      g = (1 - p) * lr;
      product *= p;
    } else {
      g = -p * lr;
      // σ(−s) = e/(1 + e), exact even where 1 − p would round to 0.
      product *= e * p;
    }
    if (product < 1e-280) {
      sentenceLoss -= Math.log(product);
      product = 1;
    }
    const gv = f32x4.splat(<f32>g);
    if (d + 1 < count) {
      const next = output + <usize>load<i32>(targets + (<usize>(d + 1) << 2)) * rowBytes;
      if (next != row) {
        score = d == 0 ? updateThenDot(row, next, hidden, step, gv, dim, true) : updateThenDot(row, next, hidden, step, gv, dim, false);
      } else {
        if (d == 0) update(row, hidden, step, gv, dim, true);
        else update(row, hidden, step, gv, dim, false);
        score = dot(hidden, next, dim);
      }
      row = next;
    } else if (d == 0) {
      update(row, hidden, step, gv, dim, true);
    } else {
      update(row, hidden, step, gv, dim, false);
    }
  }
  probabilityProduct = product;
}

/** Fills the targets with `word` then NEGATIVE draws from the table, skipping `word` itself; returns how many. */
@inline function drawTargets(desc: usize, word: i32): i32 {
  const targets = ptr(desc, P_TARGETS);
  const table = ptr(desc, P_TABLE);
  const size = <u32>slot(desc, TABLE_SIZE);
  const negative = slot(desc, NEGATIVE);
  store<i32>(targets, word);
  let count = 1;
  for (let d = 0; d < negative; d++) {
    const sample = load<i32>(table + (<usize>(nextUint32() % size) << 2));
    if (sample != word) store<i32>(targets + (<usize>(count++) << 2), sample);
  }
  return count;
}


function skipgramSentence(desc: usize, length: i32, lr: f64): void {
  const dim = slot(desc, DIM);
  const window = <u32>slot(desc, WINDOW);
  const kept = ptr(desc, P_KEPT);
  const input = ptr(desc, P_INPUT);
  const output = ptr(desc, P_OUTPUT);
  const step = ptr(desc, P_STEP);
  const targets = ptr(desc, P_TARGETS);
  const bytes = <usize>dim << 2;
  for (let pos = 0; pos < length; pos++) {
    const word = load<i32>(kept + (<usize>pos << 2));
    // As in the C code: b ∈ 1…window words on each side, uniform.
    const reach = <i32>(window - nextUint32() % window);
    const from = pos - reach < 0 ? 0 : pos - reach;
    const to = pos + reach >= length ? length - 1 : pos + reach;
    for (let c = from; c <= to; c++) {
      if (c == pos) continue;
      // The context word's input vector predicts the center word.
      const row = input + <usize>load<i32>(kept + (<usize>c << 2)) * bytes;
      const count = drawTargets(desc, word);
      predict(row, output, dim, targets, count, lr, step);
      sentencePredictions++;
      addTo(row, step, dim);
    }
  }
}

function cbowSentence(desc: usize, length: i32, lr: f64): void {
  const dim = slot(desc, DIM);
  const window = <u32>slot(desc, WINDOW);
  const kept = ptr(desc, P_KEPT);
  const input = ptr(desc, P_INPUT);
  const output = ptr(desc, P_OUTPUT);
  const hidden = ptr(desc, P_HIDDEN);
  const step = ptr(desc, P_STEP);
  const targets = ptr(desc, P_TARGETS);
  const bytes = <usize>dim << 2;
  for (let pos = 0; pos < length; pos++) {
    const word = load<i32>(kept + (<usize>pos << 2));
    const reach = <i32>(window - nextUint32() % window);
    const from = pos - reach < 0 ? 0 : pos - reach;
    const to = pos + reach >= length ? length - 1 : pos + reach;
    if (to == from) continue;
    memory.fill(hidden, 0, bytes);
    for (let c = from; c <= to; c++) {
      if (c == pos) continue;
      addTo(hidden, input + <usize>load<i32>(kept + (<usize>c << 2)) * bytes, dim);
    }
    const scale = f32x4.splat(<f32>(1 / <f64>(to - from)));
    for (let j = 0; j < dim; j += 4) v128.store(at(hidden, j), f32x4.mul(v128.load(at(hidden, j)), scale));
    const count = drawTargets(desc, word);
    predict(hidden, output, dim, targets, count, lr, step);
    sentencePredictions++;
    // gensim's cbow_mean=1: every context word gets the whole step.
    for (let c = from; c <= to; c++) {
      if (c == pos) continue;
      addTo(input + <usize>load<i32>(kept + (<usize>c << 2)) * bytes, step, dim);
    }
  }
}

/**
 * The input vectors' initial values, drawn as the TypeScript loop draws them: (next() − 0.5) / vectorSize
 * in float64, rounded to float32, row after row (the padding lanes stay zero); the generator's state moves on.
 */
export function initInput(desc: usize, vocabSize: i32, vectorSize: i32): void {
  const rng = ptr(desc, P_RNG);
  s0 = load<u32>(rng);
  s1 = load<u32>(rng, 4);
  s2 = load<u32>(rng, 8);
  s3 = load<u32>(rng, 12);
  const input = ptr(desc, P_INPUT);
  const dim = slot(desc, DIM);
  for (let w = 0; w < vocabSize; w++) {
    for (let i = 0; i < vectorSize; i++) store<f32>(at(input, w * dim + i), <f32>((nextFloat() - 0.5) / <f64>vectorSize));
  }
  store<u32>(rng, s0);
  store<u32>(rng, s1, 4);
  store<u32>(rng, s2, 8);
  store<u32>(rng, s3, 12);
}

/**
 * Trains sentences first … last − 1 of one epoch. `done` is the number of corpus words (before
 * subsampling) trained before `first`, over all epochs: each sentence's learning rate is
 * alpha − (alpha − minAlpha)·done / totalWork, as in the TypeScript loop. Writes the loss summed over the
 * sentences' predictions, the number of predictions and the words kept by subsampling at RESULTS.
 */
export function trainSentences(desc: usize, first: i32, last: i32, done: f64, totalWork: f64, alpha: f64, minAlpha: f64): void {
  const rng = ptr(desc, P_RNG);
  s0 = load<u32>(rng);
  s1 = load<u32>(rng, 4);
  s2 = load<u32>(rng, 8);
  s3 = load<u32>(rng, 12);
  const ids = ptr(desc, P_IDS);
  const ends = ptr(desc, P_ENDS);
  const keep = ptr(desc, P_KEEP);
  const kept = ptr(desc, P_KEPT);
  const cbow = slot(desc, CBOW) != 0;
  let loss: f64 = 0;
  let predictions: f64 = 0;
  let trained: f64 = 0;
  let start = first == 0 ? 0 : load<i32>(ends + (<usize>(first - 1) << 2));
  for (let sentence = first; sentence < last; sentence++) {
    const end = load<i32>(ends + (<usize>sentence << 2));
    const lr = alpha - (alpha - minAlpha) * (done / totalWork);
    // Subsampling: each occurrence kept with its word's probability, before windows are drawn.
    let length = 0;
    for (let i = start; i < end; i++) {
      const word = load<i32>(ids + (<usize>i << 2));
      const p = load<f64>(keep + (<usize>word << 3));
      if (p >= 1 || nextFloat() < p) store<i32>(kept + (<usize>(length++) << 2), word);
    }
    sentenceLoss = 0;
    sentencePredictions = 0;
    probabilityProduct = 1;
    if (cbow) cbowSentence(desc, length, lr);
    else skipgramSentence(desc, length, lr);
    sentenceLoss -= Math.log(probabilityProduct);
    loss += sentenceLoss;
    predictions += <f64>sentencePredictions;
    trained += <f64>length;
    done += <f64>(end - start);
    start = end;
  }
  store<f64>(desc + RESULTS, loss);
  store<f64>(desc + RESULTS + 8, predictions);
  store<f64>(desc + RESULTS + 16, trained);
  store<u32>(rng, s0);
  store<u32>(rng, s1, 4);
  store<u32>(rng, s2, 8);
  store<u32>(rng, s3, 12);
}
