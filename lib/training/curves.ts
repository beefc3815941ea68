/**
 * Loss curves of a training run: the minibatch loss (averaged over windows, as makemore plots
 * `lossi.view(-1, 1000).mean(1)`, since single minibatches are noisy and 200,000 points are too many
 * for a notebook) and the dev loss, on a shared step axis.
 */
import { linePlot } from "../notebook/plot";
import type { TrainHistory } from "./loop";

/** Options of {@link plotLossCurves}. */
export interface LossCurveOptions {
  title?: string;
  /** Logarithmic loss axis, to see progress once the loss flattens (default false). */
  logY?: boolean;
  /** Steps averaged into one point of the training curve (default: enough for at most 500 points). */
  average?: number;
  height?: number;
  /** File name for the standalone HTML copy written outside a notebook (see lib/notebook). */
  file?: string;
}

/** The training curve averaged over consecutive windows of `window` steps, each point at its window's centre. */
export function averageLoss(steps: readonly number[], losses: readonly number[], window: number): { x: number[]; y: number[] } {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`averageLoss: window must be an integer ≥ 1, got ${window}`);
  if (steps.length !== losses.length) throw new RangeError(`averageLoss: ${steps.length} steps for ${losses.length} losses`);
  const x: number[] = [];
  const y: number[] = [];
  for (let start = 0; start < losses.length; start += window) {
    const end = Math.min(losses.length, start + window);
    let sum = 0;
    for (let i = start; i < end; i++) sum += losses[i]!;
    x.push((steps[start]! + steps[end - 1]!) / 2);
    y.push(sum / (end - start));
  }
  return { x, y };
}

/** Plots the training (and dev) loss of a run against the step: `plotLossCurves(history, { logY: true })`. */
export function plotLossCurves(history: TrainHistory, options: LossCurveOptions = {}): void {
  if (history === null || typeof history !== "object" || !Array.isArray(history.trainLoss) || !Array.isArray(history.devLoss)) {
    throw new TypeError("plotLossCurves: expected the history returned by train()");
  }
  if (history.trainLoss.length === 0) throw new RangeError("plotLossCurves: the history has no steps");
  const window = options.average ?? Math.max(1, Math.ceil(history.trainLoss.length / 500));
  const trainCurve = averageLoss(history.steps, history.trainLoss, window);
  const series = [{ name: window > 1 ? `entraînement (moyenne de ${window} pas)` : "entraînement", ...trainCurve }];
  if (history.devLoss.length > 0) series.push({ name: "validation", x: history.devSteps, y: history.devLoss });
  linePlot(series, {
    title: options.title ?? "Perte",
    xLabel: "pas",
    yLabel: "perte (nats)",
    logY: options.logY ?? false,
    height: options.height,
    file: options.file,
  });
}
