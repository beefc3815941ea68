/**
 * Learning-rate schedules for the training loop: a schedule maps the step (0-based) and the number of
 * steps planned to a learning rate, so "decay at half" still means half when fast mode shortens a run.
 */

/** A fixed learning rate, or a schedule `(step, totalSteps) => lr`; `(step) => …` fits too. */
export type LearningRate = number | LearningRateSchedule;

/** The learning rate at `step` (0 … totalSteps − 1) of a run of `totalSteps` steps. */
export type LearningRateSchedule = (step: number, totalSteps: number) => number;

function checkRate(value: number, name: string, where: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new RangeError(`${where}: ${name} must be a finite number ≥ 0, got ${value}`);
}

/** The same learning rate at every step. */
export function constantLr(lr: number): LearningRateSchedule {
  checkRate(lr, "lr", "constantLr");
  return () => lr;
}

/**
 * makemore's schedule: `initial` for the first `at` fraction of the steps, then `decayed`
 * (`stepDecayLr(0.1, 0.01)` is `lr = 0.1 if i < 100000 else 0.01` for 200,000 steps).
 */
export function stepDecayLr(initial: number, decayed: number, at = 0.5): LearningRateSchedule {
  checkRate(initial, "initial", "stepDecayLr");
  checkRate(decayed, "decayed", "stepDecayLr");
  if (typeof at !== "number" || !(at >= 0 && at <= 1)) throw new RangeError(`stepDecayLr: at is a fraction of the steps in [0, 1], got ${at}`);
  return (step, totalSteps) => (step < at * totalSteps ? initial : decayed);
}

/**
 * Half a cosine from `max` at step 0 down to `min` at the last step: large steps while far from a
 * minimum, small ones to settle into it, with no cliff to choose.
 */
export function cosineLr(max: number, min = 0): LearningRateSchedule {
  checkRate(max, "max", "cosineLr");
  checkRate(min, "min", "cosineLr");
  return (step, totalSteps) => {
    const progress = totalSteps <= 1 ? 0 : Math.min(1, step / (totalSteps - 1));
    return min + ((max - min) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

/** The learning rate `lr` gives at `step` of `totalSteps`, checked to be a finite number ≥ 0. */
export function learningRateAt(lr: LearningRate, step: number, totalSteps: number): number {
  const value = typeof lr === "function" ? lr(step, totalSteps) : lr;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`train: the learning rate at step ${step} is ${value}; it must be a finite number ≥ 0`);
  }
  return value;
}
