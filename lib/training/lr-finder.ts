/**
 * makemore's learning-rate search (part 2): train for N steps while the learning rate grows
 * exponentially from 10^minExponent to 10^maxExponent (default 0.001 → 1), and plot the loss against it.
 * The loss falls while the rate is useful and blows up once it is too large; a good rate sits in the
 * valley, a little before the loss turns up. The sweep trains the model it is given: start the real run
 * from a fresh model.
 */
import { linePlot } from "../notebook/plot";
import type { Random } from "../random";
import { averageLoss } from "./curves";
import { train } from "./loop";
import type { Examples, Trainable } from "./trainable";

/** Options of {@link findLearningRate}. */
export interface LrFinderOptions<D extends Examples> {
  train: D;
  /** Examples per step (makemore: 32). */
  batchSize: number;
  rng: Random;
  /** Steps of the sweep (default 1000, as makemore; fast mode caps it like any run). */
  steps?: number;
  /** log10 of the first and last rates (default −3 and 0). */
  minExponent?: number;
  maxExponent?: number;
  progress?: boolean;
  /** See TrainOptions.fastMode. */
  fastMode?: boolean;
}

/** A sweep: the rate and the minibatch loss at each step, and the rate where the smoothed loss was lowest. */
export interface LrSweep {
  exponents: number[];
  lrs: number[];
  losses: number[];
  /** Where the loss, averaged over ~5 % of the steps, is lowest: a starting point, not an oracle (makemore picks a bit less). */
  bestLr: number;
}

/** The rate of step `step` of `totalSteps`: 10^(min + (max − min) · step / (totalSteps − 1)), makemore's `10 ** torch.linspace(-3, 0, 1000)`. */
export function sweepRate(step: number, totalSteps: number, minExponent = -3, maxExponent = 0): number {
  const t = totalSteps <= 1 ? 0 : step / (totalSteps - 1);
  return 10 ** (minExponent + (maxExponent - minExponent) * t);
}

/** Runs the sweep with the course's training loop (no dev set) and returns rates and losses for {@link plotLrSweep}. */
export async function findLearningRate<D extends Examples>(model: Trainable<D>, options: LrFinderOptions<D>): Promise<LrSweep> {
  if (options === null || typeof options !== "object") throw new TypeError("findLearningRate: options must be an object { train, batchSize, rng, … }");
  const { minExponent = -3, maxExponent = 0, steps = 1000 } = options;
  if (!Number.isFinite(minExponent) || !Number.isFinite(maxExponent) || !(minExponent < maxExponent)) {
    throw new RangeError(`findLearningRate: need minExponent < maxExponent, got ${minExponent} and ${maxExponent}`);
  }
  const history = await train(model, {
    train: options.train,
    steps,
    batchSize: options.batchSize,
    lr: (step, total) => sweepRate(step, total, minExponent, maxExponent),
    rng: options.rng,
    progress: options.progress,
    label: "balayage du taux",
    fastMode: options.fastMode,
  });
  // A diverged step has a NaN loss: keep the rates and losses up to the last finite one.
  const n = history.trainLoss.filter((l) => Number.isFinite(l)).length;
  const lrs = history.lr.slice(0, n);
  const losses = history.trainLoss.slice(0, n);
  if (n === 0) throw new Error(`findLearningRate: the loss was not finite from the first step (lr ${history.lr[0]}); lower minExponent`);
  const smooth = averageLoss(lrs.map((_, i) => i), losses, Math.max(1, Math.round(n / 20)));
  let best = 0;
  for (let i = 1; i < smooth.y.length; i++) if (smooth.y[i]! < smooth.y[best]!) best = i;
  return { exponents: lrs.map((lr) => Math.log10(lr)), lrs, losses, bestLr: lrs[Math.round(smooth.x[best]!)]! };
}

/** The sweep's loss against the learning rate on a log axis (makemore plots it against the exponent). */
export function plotLrSweep(sweep: LrSweep, options: { title?: string; file?: string } = {}): void {
  if (sweep === null || typeof sweep !== "object" || !Array.isArray(sweep.lrs) || !Array.isArray(sweep.losses)) {
    throw new TypeError("plotLrSweep: expected the result of findLearningRate()");
  }
  linePlot({ y: sweep.losses, x: sweep.lrs, name: "perte du mini-lot" }, {
    title: options.title ?? "Balayage du taux d'apprentissage",
    xLabel: "taux d'apprentissage",
    yLabel: "perte (nats)",
    logX: true,
    file: options.file,
  });
}
