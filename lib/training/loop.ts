/**
 * The course's one training loop, makemore style:
 *
 *   for step in 0 … steps − 1:
 *     indices = batchSize integers drawn uniformly, WITH replacement, from the training set (seeded rng)
 *     loss = model.trainStep(train, indices, lr(step))      // forward, backward, update
 *     every `evalEvery` steps: devLoss = model.evaluate(dev)
 *
 * Sampling with replacement is what makemore does (`torch.randint(0, Xtr.shape[0], (32,))`): each step
 * is independent of the others, there are no epochs, and a seed fixes every minibatch. `batchSize: "full"`
 * is plain gradient descent on the whole set instead (makemore part 1's neural bigram).
 *
 * Fast mode (LLM_COURSE_FAST, see lib/env): a run stops after FAST_LIMITS.maxSteps = 200 steps or
 * FAST_LIMITS.maxSeconds = 5 s, whichever comes first; the history says how many steps really ran.
 */
import { FAST_LIMITS, isFastMode } from "../env";
import { progress as startProgress } from "../notebook/progress";
import { Random } from "../random";
import { learningRateAt, type LearningRate } from "./schedules";
import type { Examples, Trainable } from "./trainable";

export { constantLr, cosineLr, learningRateAt, stepDecayLr } from "./schedules";
export type { LearningRate, LearningRateSchedule } from "./schedules";
export { plotLossCurves } from "./curves";
export type { LossCurveOptions } from "./curves";

/** Options of {@link train}. */
export interface TrainOptions<D extends Examples> {
  /** The examples minibatches are drawn from. */
  train: D;
  /** Held-out examples, evaluated every `evalEvery` steps (and before the first and after the last). */
  dev?: D;
  /** Optimisation steps wanted (fewer in fast mode, or when `maxSeconds` runs out). */
  steps: number;
  /** Examples per step, drawn with replacement; "full" = every example, in order, at every step. */
  batchSize: number | "full";
  /** A number, or a schedule such as `stepDecayLr(0.1, 0.01)` or `(step) => …`. */
  lr: LearningRate;
  /** Steps between dev evaluations (default: about 20 evaluations per run). */
  evalEvery?: number;
  /** Draws the minibatches: the same seed gives the same run. */
  rng: Random;
  /** Show a progress bar with the loss and dev loss (default true). */
  progress?: boolean;
  /** Label of the progress bar (default « entraînement »: the bar is shown in the French notebooks). */
  label?: string;
  /** Stop after this many seconds of wall time (dev evaluations included). */
  maxSeconds?: number;
  /**
   * Apply the fast-mode limits (default: `isFastMode()`). Tests that check a full run pass false;
   * nothing else should.
   */
  fastMode?: boolean;
}

/** Why a run ended. */
export type StopReason = "steps" | "time" | "diverged";

/** What a run did: per-step training loss and learning rate, dev losses, time. */
export interface TrainHistory {
  /** Step numbers 0, 1, 2, …: `trainLoss[i]` is the minibatch loss after `steps[i]` updates. */
  steps: number[];
  trainLoss: number[];
  /** Learning rate used at each step. */
  lr: number[];
  /** Updates done when each dev loss was measured: 0, evalEvery, 2·evalEvery, …, and the last step. */
  devSteps: number[];
  devLoss: number[];
  /** Wall time of the run, dev evaluations included. */
  seconds: number;
  /** Steps asked for, and steps the run was allowed after the fast-mode cap. */
  requestedSteps: number;
  plannedSteps: number;
  fastMode: boolean;
  stopReason: StopReason;
}

/** Mean of the last minibatch losses the bar shows: one minibatch is too noisy to read. */
const BAR_WINDOW = 50;
/** How often the loop lets the event loop run, so a notebook's progress bar (sent asynchronously) redraws. */
const YIELD_EVERY_MS = 100;

function checkPositiveInteger(value: unknown, name: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new RangeError(`train: ${name} must be an integer ≥ 1, got ${String(value)}`);
}

function checkExamples(data: unknown, name: string): void {
  if (data === null || typeof data !== "object" || typeof (data as Examples).size !== "number") {
    throw new TypeError(`train: ${name} must be a dataset with a size (e.g. a ContextDataset from buildContextDataset)`);
  }
  const size = (data as Examples).size;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`train: ${name} is empty (size ${size})`);
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Trains `model` and returns its loss history:
 * `const history = await train(model, { train, dev, steps: 20_000, batchSize: 32, lr: stepDecayLr(0.1, 0.01), rng: new Random(42) })`.
 * Asynchronous only so that the progress bar updates in a notebook while it runs; the work is the same.
 * A loss that becomes NaN or infinite stops the run (stopReason "diverged") with a warning, not an error.
 */
export async function train<D extends Examples>(model: Trainable<D>, options: TrainOptions<D>): Promise<TrainHistory> {
  if (model === null || typeof model !== "object" || typeof model.trainStep !== "function" || typeof model.evaluate !== "function") {
    throw new TypeError("train: the model must implement Trainable (trainStep(data, indices, lr) and evaluate(data))");
  }
  if (options === null || typeof options !== "object") throw new TypeError("train: options must be an object { train, steps, batchSize, lr, rng, … }");
  const { train: data, dev, steps, batchSize, lr, rng, label = "entraînement" } = options;
  checkExamples(data, "train");
  if (dev !== undefined) checkExamples(dev, "dev");
  checkPositiveInteger(steps, "steps");
  if (batchSize !== "full") checkPositiveInteger(batchSize, "batchSize (or \"full\")");
  if (!(rng instanceof Random)) throw new TypeError("train: rng must be a Random (new Random(seed)); it draws the minibatches");
  if (typeof lr !== "number" && typeof lr !== "function") throw new TypeError("train: lr must be a number or a schedule (step, totalSteps) => number");
  if (options.maxSeconds !== undefined && !(options.maxSeconds > 0)) throw new RangeError(`train: maxSeconds must be > 0, got ${options.maxSeconds}`);

  const fastMode = options.fastMode ?? isFastMode();
  const plannedSteps = fastMode ? Math.min(steps, FAST_LIMITS.maxSteps) : steps;
  const maxSeconds = fastMode ? Math.min(options.maxSeconds ?? Infinity, FAST_LIMITS.maxSeconds) : options.maxSeconds ?? Infinity;
  const evalEvery = options.evalEvery ?? Math.max(1, Math.round(plannedSteps / 20));
  checkPositiveInteger(evalEvery, "evalEvery");
  learningRateAt(lr, 0, plannedSteps); // a broken schedule fails before any work

  const showProgress = options.progress ?? true;
  if (showProgress && fastMode && plannedSteps < steps) {
    // Students read this in the notebook, so it is in the course's language.
    console.log(`mode rapide : ${plannedSteps} pas sur ${steps} demandés, ${maxSeconds} s au plus`);
  }
  const history: TrainHistory = {
    steps: [],
    trainLoss: [],
    lr: [],
    devSteps: [],
    devLoss: [],
    seconds: 0,
    requestedSteps: steps,
    plannedSteps,
    fastMode,
    stopReason: "steps",
  };
  const start = Date.now();
  const bar = startProgress({ total: plannedSteps, label, unit: "pas", mode: showProgress ? "auto" : "silent" });
  const fullBatch = batchSize === "full" ? Int32Array.from({ length: data.size }, (_, i) => i) : null;
  const evaluateDev = (done: number): void => {
    if (dev === undefined) return;
    history.devSteps.push(done);
    history.devLoss.push(model.evaluate(dev));
  };

  let lastYield = start;
  let windowSum = 0;
  evaluateDev(0);
  for (let step = 0; step < plannedSteps; step++) {
    let indices: Int32Array;
    if (fullBatch !== null) {
      indices = fullBatch;
    } else {
      indices = new Int32Array(batchSize as number);
      for (let j = 0; j < indices.length; j++) indices[j] = rng.int(data.size);
    }
    const rate = learningRateAt(lr, step, plannedSteps);
    const result = model.trainStep(data, indices, rate);
    const loss = typeof result === "number" ? result : await result;
    history.steps.push(step);
    history.trainLoss.push(loss);
    history.lr.push(rate);
    const done = step + 1;
    if (!Number.isFinite(loss)) {
      history.stopReason = "diverged";
      if (showProgress) console.warn(`train : la perte vaut ${loss} au pas ${step} (lr ${rate}) : arrêt. Un pas d'apprentissage plus petit règle en général le problème.`);
      break;
    }
    if (done % evalEvery === 0 || done === plannedSteps) evaluateDev(done);

    windowSum += loss;
    if (history.trainLoss.length > BAR_WINDOW) windowSum -= history.trainLoss[history.trainLoss.length - 1 - BAR_WINDOW]!;
    const metrics: Record<string, number> = { perte: windowSum / Math.min(BAR_WINDOW, history.trainLoss.length) };
    if (history.devLoss.length > 0) metrics.validation = history.devLoss[history.devLoss.length - 1]!;
    bar.update(done, metrics);

    const now = Date.now();
    if ((now - start) / 1000 >= maxSeconds && done < plannedSteps) {
      history.stopReason = "time";
      break;
    }
    if (now - lastYield >= YIELD_EVERY_MS) {
      await nextTick();
      lastYield = Date.now();
    }
  }
  // A run cut short by the clock still ends with a dev point where it stopped.
  const completed = history.steps.length;
  if (history.stopReason === "time" && history.devSteps[history.devSteps.length - 1] !== completed) evaluateDev(completed);
  history.seconds = (Date.now() - start) / 1000;
  if (history.stopReason === "steps") {
    bar.done(); // reaching the total already drew the final state
  } else {
    // The bar is read in the notebook: why the run stopped, in the course's language.
    const final: Record<string, number | string> = { arrêt: history.stopReason === "time" ? "temps écoulé" : "perte non finie" };
    if (history.devLoss.length > 0) final.validation = history.devLoss[history.devLoss.length - 1]!;
    bar.done(final);
  }
  return history;
}
