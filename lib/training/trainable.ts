/**
 * The contract between a model and the course's one training loop (`train` in ./loop): the loop owns
 * minibatch sampling, the learning-rate schedule, dev evaluation, loss history, progress bar and plots;
 * the model owns its maths. Every lesson's model (neural bigram, MLP, RNN, Transformer…) implements it.
 */

/** Any split the loop can sample minibatches from: examples are addressed by index 0 … size − 1. */
export interface Examples {
  readonly size: number;
}

/**
 * Next-token examples with a fixed-width context (bigram: width 1; makemore MLP: width 3): example i is
 * `contexts[i * width … i * width + width − 1]` → `targets[i]`.
 */
export interface ContextDataset extends Examples {
  readonly width: number;
  readonly contexts: Int32Array;
  readonly targets: Int32Array;
}

/** A model the loop can train on data of type `D`. */
export interface Trainable<D extends Examples = ContextDataset> {
  /**
   * One optimisation step on the examples `indices` of `data` at learning rate `lr`; returns the minibatch's
   * mean loss before the update, or a promise of it (a step run by a native runtime, as the GPT's).
   */
  trainStep(data: D, indices: Int32Array, lr: number): number | Promise<number>;
  /** Mean loss (negative log-likelihood in nats) over all of `data`, updating nothing. */
  evaluate(data: D): number;
}
