/**
 * Shaping the next-token distribution before drawing from it, as the OpenAI and Hugging Face APIs do, in
 * their order: temperature (softmax of logits / T), then top-k (keep the k most probable tokens), then
 * top-p or "nucleus" (keep the smallest set of most probable tokens whose probabilities add up to p), then
 * renormalise and draw. Greedy decoding is temperature 0: the argmax, no randomness used.
 *
 * Ties between equal probabilities are broken by the smaller token id, so every function here is
 * deterministic; the only randomness is the seeded draw of {@link sampleNextToken}.
 */
import { Random } from "../random";
import { softmax } from "./temperature";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** How the next token is chosen from the model's logits. */
export interface SamplingOptions {
  /** Softmax temperature (default 1, the model's own distribution); 0 = greedy (argmax). */
  temperature?: number;
  /** Keep only the k most probable tokens (an integer ≥ 1; default: every token). */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose probabilities sum to ≥ p, 0 < p ≤ 1 (default 1: every token). */
  topP?: number;
}

/** Below this, a cumulative sum that should equal p is taken to reach it (0.1 + 0.2 is not 0.3 in floating point). */
const CUMULATIVE_TOLERANCE = 1e-12;

function checkDistribution(probabilities: ArrayLike<number>, where: string): number {
  if (probabilities === null || typeof probabilities !== "object" || typeof probabilities.length !== "number") {
    throw new TypeError(`${where}: expected an array of probabilities`);
  }
  if (probabilities.length === 0) throw new RangeError(`${where}: the distribution is empty`);
  let total = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0) || p === Infinity) throw new RangeError(`${where}: probability ${i} is ${p}; expected a finite number ≥ 0`);
    total += p;
  }
  if (!(total > 0)) throw new RangeError(`${where}: every probability is 0`);
  return total;
}

function checkTopK(k: number, where: string): void {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) throw new RangeError(`${where}: topK must be an integer ≥ 1, got ${k}`);
}

function checkTopP(p: number, where: string): void {
  if (typeof p !== "number" || !(p > 0 && p <= 1)) throw new RangeError(`${where}: topP must be a number in (0, 1], got ${p}`);
}

/** Token ids sorted by decreasing probability, ties by increasing id. */
export function rankTokens(probabilities: ArrayLike<number>): number[] {
  checkDistribution(probabilities, "rankTokens");
  const order = Array.from({ length: probabilities.length }, (_, i) => i);
  // Array.prototype.sort is stable, so equal probabilities keep increasing ids.
  return order.sort((a, b) => probabilities[b]! - probabilities[a]!);
}

/** `ids` with their probabilities renormalised to sum to 1, every other entry 0. */
function keepOnly(probabilities: ArrayLike<number>, ids: readonly number[]): Float64Array {
  const out = new Float64Array(probabilities.length);
  let total = 0;
  for (const id of ids) total += probabilities[id]!;
  for (const id of ids) out[id] = probabilities[id]! / total;
  return out;
}

/**
 * Top-k: the k most probable tokens keep their probabilities, renormalised; the others get 0. With k ≥ the
 * vocabulary size, the distribution is only renormalised. `topKFilter([0.5, 0.3, 0.15, 0.05], 2)` → [0.625, 0.375, 0, 0].
 */
export const topKFilter = offLimitsDuringChecks("topKFilter", function topKFilter(probabilities: ArrayLike<number>, k: number): Float64Array {
  checkTopK(k, "topKFilter");
  const order = rankTokens(probabilities);
  return keepOnly(probabilities, order.slice(0, Math.min(k, order.length)));
});

/** The data of the cumulative-probability plot of top-p: tokens by decreasing probability and the running sum. */
export interface NucleusCurve {
  /** Token ids by decreasing probability. */
  order: number[];
  /** Their probabilities (normalised to sum to 1), in that order. */
  probabilities: number[];
  /** cumulative[i] = probabilities[0] + … + probabilities[i]. */
  cumulative: number[];
  /** The p asked for. */
  topP: number;
  /** How many tokens top-p keeps: the first i + 1 where cumulative[i] ≥ p. */
  kept: number;
}

/**
 * The cumulative-probability curve behind top-p: with p = 0.9 on [0.5, 0.3, 0.15, 0.05] the running sums are
 * 0.5, 0.8, 0.95, 1 and the first to reach 0.9 is the third, so 3 tokens are kept. Plot `cumulative` against
 * the rank with a horizontal line at `topP`.
 */
export const nucleusCurve = offLimitsDuringChecks("nucleusCurve", function nucleusCurve(probabilities: ArrayLike<number>, topP: number): NucleusCurve {
  checkTopP(topP, "nucleusCurve");
  const total = checkDistribution(probabilities, "nucleusCurve");
  const order = rankTokens(probabilities);
  const sorted = order.map((id) => probabilities[id]! / total);
  const cumulative: number[] = [];
  let sum = 0;
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) {
    sum += sorted[i]!;
    cumulative.push(sum);
    if (kept === 0 && sum >= topP - CUMULATIVE_TOLERANCE) kept = i + 1;
  }
  // Rounding can leave the total a hair below p = 1: then every token is needed.
  if (kept === 0) kept = sorted.length;
  return { order, probabilities: sorted, cumulative, topP, kept };
});

/**
 * Top-p (nucleus): keeps the smallest set of most probable tokens whose probabilities sum to ≥ p, renormalised.
 * `topPFilter([0.5, 0.3, 0.15, 0.05], 0.9)` keeps 3 tokens → [0.5/0.95, 0.3/0.95, 0.15/0.95, 0]. The most probable
 * token is always kept, so a tiny p is greedy decoding.
 */
export const topPFilter = offLimitsDuringChecks("topPFilter", function topPFilter(probabilities: ArrayLike<number>, topP: number): Float64Array {
  const curve = nucleusCurve(probabilities, topP);
  return keepOnly(probabilities, curve.order.slice(0, curve.kept));
});

function checkSamplingOptions(options: SamplingOptions, where: string): Required<SamplingOptions> {
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object such as { temperature: 0.8, topK: 40 }`);
  const { temperature = 1, topK = Infinity, topP = 1 } = options;
  if (typeof temperature !== "number" || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`${where}: temperature must be a finite number ≥ 0 (0 = greedy), got ${temperature}`);
  }
  if (topK !== Infinity) checkTopK(topK, where);
  checkTopP(topP, where);
  return { temperature, topK, topP };
}

/**
 * The distribution the next token is drawn from: softmax(logits / T), then top-k, then top-p, renormalised.
 * Temperature 0 puts all the mass on the argmax.
 */
export const nextTokenDistribution = offLimitsDuringChecks("nextTokenDistribution", function nextTokenDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): Float64Array {
  const { temperature, topK, topP } = checkSamplingOptions(options, "nextTokenDistribution");
  let p = softmax(logits, temperature);
  if (topK < p.length) p = topKFilter(p, topK);
  if (topP < 1) p = topPFilter(p, topP);
  return p;
});

/** The index of the largest value, the smallest index among ties: greedy decoding's choice. */
export const greedyToken = offLimitsDuringChecks("greedyToken", function greedyToken(logits: ArrayLike<number>): number {
  if (logits === null || typeof logits !== "object" || typeof logits.length !== "number" || logits.length === 0) {
    throw new RangeError("greedyToken: expected a non-empty array of logits");
  }
  let best = 0;
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i]!)) throw new RangeError(`greedyToken: logit ${i} is NaN`);
    if (logits[i]! > logits[best]!) best = i;
  }
  return best;
});

/**
 * The next token: the argmax at temperature 0 (no random number drawn), otherwise one seeded draw from
 * {@link nextTokenDistribution}. `sampleNextToken(logits, rng, { temperature: 0.8, topP: 0.9 })`.
 */
export const sampleNextToken = offLimitsDuringChecks("sampleNextToken", function sampleNextToken(logits: ArrayLike<number>, rng: Random, options: SamplingOptions = {}): number {
  const { temperature } = checkSamplingOptions(options, "sampleNextToken");
  if (temperature === 0) return greedyToken(logits);
  if (!(rng instanceof Random)) throw new TypeError("sampleNextToken: rng must be a Random (new Random(seed)) when temperature > 0");
  return rng.categorical(nextTokenDistribution(logits, options));
});

/** One row of the "most probable next tokens" table. */
export interface RankedToken {
  id: number;
  probability: number;
}

/** The n most probable next tokens with their probabilities at temperature T (default 1): TP9's top-5 table. */
export function topTokens(logits: ArrayLike<number>, n: number, temperature = 1): RankedToken[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`topTokens: n must be an integer ≥ 1, got ${n}`);
  const p = softmax(logits, temperature);
  return rankTokens(p)
    .slice(0, n)
    .map((id) => ({ id, probability: p[id]! }));
}
