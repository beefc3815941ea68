/**
 * The contract between a model and the course's one training loop (`train` in ./loop): the loop owns
 * minibatch sampling, the learning-rate schedule, dev evaluation, loss history, progress bar and plots;
 * the model owns its maths. Every lesson's model (neural bigram, MLP, RNN, Transformer…) implements it.
 */

/** Examples as parallel arrays: `inputs[i]` (e.g. a context window of token ids) and `targets[i]`. */
export interface Dataset {
  /** One row of ids per example (for a bigram: one id; for an MLP: the context window). */
  inputs: Int32Array[];
  /** The id to predict for each example. */
  targets: Int32Array;
}

/** A model the loop can train. */
export interface Trainable {
  /**
   * One optimisation step on the examples `indices` of `data` at learning rate `lr`; returns the
   * minibatch's mean loss (before the update).
   */
  trainStep(data: Dataset, indices: Int32Array, lr: number): number;
  /** Mean loss (negative log-likelihood, nats) over all of `data`, without updating anything. */
  evaluate(data: Dataset): number;
}
