/**
 * makemore's sampling loop, shared by every character model of the course: start from a context of
 * boundary symbols ("..."), draw the next id from the model's distribution, slide the context window,
 * stop when the boundary comes out again.
 */
import { Random } from "../random";
import { sampleFromProbabilities } from "./temperature";

/** Options of {@link generateIds}. */
export interface GenerateOptions {
  /** Symbols the model looks at (bigram: 1, makemore MLP: 3). */
  contextSize: number;
  rng: Random;
  /** Default 1 (the model's own distribution); 0 = greedy. */
  temperature?: number;
  /** Id that starts and ends a sequence (default 0, the "." of the names vocabulary). */
  boundary?: number;
  /** Stop after this many ids even without a boundary (default 50: a model that never ends still returns). */
  maxLength?: number;
}

/**
 * One sequence of ids, without the boundary that ended it. `next(context)` returns the probabilities (or
 * counts) of the next id given the last `contextSize` ids; it is called with a fresh array each time.
 */
export function generateIds(next: (context: number[]) => ArrayLike<number>, options: GenerateOptions): number[] {
  if (typeof next !== "function") throw new TypeError("generateIds: next must be a function context → probabilities");
  const { contextSize, rng, temperature = 1, boundary = 0, maxLength = 50 } = options;
  if (!Number.isInteger(contextSize) || contextSize < 1) throw new RangeError(`generateIds: contextSize must be an integer ≥ 1, got ${contextSize}`);
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`generateIds: maxLength must be an integer ≥ 1, got ${maxLength}`);
  if (!(rng instanceof Random)) throw new TypeError("generateIds: rng must be a Random (new Random(seed))");
  const context = new Array<number>(contextSize).fill(boundary);
  const out: number[] = [];
  while (out.length < maxLength) {
    const id = sampleFromProbabilities(next(context.slice()), rng, temperature);
    if (id === boundary) break;
    out.push(id);
    context.shift();
    context.push(id);
  }
  return out;
}
