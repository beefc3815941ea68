/**
 * Drawing the next token from a model's distribution, with a seed and a temperature: the one step every
 * generator of the course repeats (bigram, MLP, RNN, GPT). Top-k and top-p live in ./filters.
 *
 * Temperature T rescales log-probabilities: p_i ∝ exp(log p_i / T) = p_i^(1/T). T = 1 keeps the model's
 * distribution, T < 1 sharpens it (T → 0 is greedy argmax), T > 1 flattens it toward uniform.
 */
import { Random } from "../random";
import { offLimitsDuringChecks } from "../grading/off-limits";

function checkTemperature(temperature: number, where: string): void {
  if (typeof temperature !== "number" || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`${where}: temperature must be a finite number ≥ 0 (0 = greedy), got ${temperature}`);
  }
}

function checkVector(values: ArrayLike<number>, where: string): void {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new TypeError(`${where}: expected an array of numbers`);
  }
  if (values.length === 0) throw new RangeError(`${where}: the distribution is empty`);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * softmax(logits / T) as probabilities (Float64Array), computed stably by subtracting the largest logit
 * first (exp of a large logit would overflow to Infinity). T = 0 puts all the mass on the argmax.
 */
export const softmax = offLimitsDuringChecks("softmax", function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  checkVector(logits, "softmax");
  checkTemperature(temperature, "softmax");
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i]!) || logits[i] === Infinity) throw new RangeError(`softmax: logit ${i} is ${logits[i]}`);
  }
  if (temperature === 0) {
    out[argmax(logits)] = 1;
    return out;
  }
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  if (max === -Infinity) throw new RangeError("softmax: every logit is -Infinity");
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i]! - max) / temperature);
    total += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
});

/** Probabilities (≥ 0, any positive total: counts work too) reshaped by temperature: p^(1/T), renormalised. */
export const applyTemperature = offLimitsDuringChecks("applyTemperature", function applyTemperature(probabilities: ArrayLike<number>, temperature = 1): Float64Array {
  checkVector(probabilities, "applyTemperature");
  checkTemperature(temperature, "applyTemperature");
  let total = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0) || p === Infinity) throw new RangeError(`applyTemperature: probability ${i} is ${p}; expected a finite number ≥ 0`);
    total += p;
  }
  if (!(total > 0)) throw new RangeError("applyTemperature: every probability is 0");
  const out = new Float64Array(probabilities.length);
  if (temperature === 0) {
    out[argmax(probabilities)] = 1;
    return out;
  }
  // Through logs, so p^(1/T) with a small T does not underflow to 0 for every entry.
  const logits = new Float64Array(probabilities.length);
  for (let i = 0; i < logits.length; i++) logits[i] = Math.log(probabilities[i]! / total);
  return softmax(logits, temperature);
});

/** One token id drawn from `probabilities` (or counts) at `temperature` (default 1, 0 = argmax) with a seeded generator. */
export const sampleFromProbabilities = offLimitsDuringChecks("sampleFromProbabilities", function sampleFromProbabilities(probabilities: ArrayLike<number>, rng: Random, temperature = 1): number {
  if (!(rng instanceof Random)) throw new TypeError("sampleFromProbabilities: rng must be a Random (new Random(seed))");
  checkVector(probabilities, "sampleFromProbabilities");
  if (temperature === 1) return rng.categorical(probabilities);
  const p = applyTemperature(probabilities, temperature);
  return temperature === 0 ? argmax(p) : rng.categorical(p);
});

/** One token id drawn from softmax(logits / T) with a seeded generator (T = 0: the argmax, no randomness used). */
export const sampleFromLogits = offLimitsDuringChecks("sampleFromLogits", function sampleFromLogits(logits: ArrayLike<number>, rng: Random, temperature = 1): number {
  if (!(rng instanceof Random)) throw new TypeError("sampleFromLogits: rng must be a Random (new Random(seed))");
  if (temperature === 0) {
    checkVector(logits, "sampleFromLogits");
    return argmax(logits);
  }
  return rng.categorical(softmax(logits, temperature));
});
