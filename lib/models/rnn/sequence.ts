/**
 * Runs a recurrent cell over whole sequences: h_1 … h_T from x_1 … x_T, the same cell at every step.
 * With a mask, a padded position leaves the state unchanged (h_t = h_{t−1}), so the final state of a short
 * sequence is its state after its last real token, whatever padding the batch added after it.
 */
import * as tf from "@tensorflow/tfjs";
import type { RecurrentCell, RecurrentState } from "./cell";
import { offLimitsDuringChecks } from "../../grading/off-limits";

/** Options of {@link runSequence}. */
export type RunSequenceOptions = {
  /** h_0 (and c_0); zeros by default. */
  initial?: RecurrentState;
  /** [batch, time]: 1 on real tokens, 0 on padding. */
  mask?: tf.Tensor2D;
};

/** Every h_t stacked, and the final state. */
export type SequenceRun = {
  /** [batch, time, hidden]. */
  outputs: tf.Tensor3D;
  final: RecurrentState;
};

/** Runs `cell` over `inputs` [batch, time, input]; call inside tf.tidy or dispose the result. */
export const runSequence = offLimitsDuringChecks("runSequence", function runSequence(cell: RecurrentCell, inputs: tf.Tensor3D, options: RunSequenceOptions = {}): SequenceRun {
  if (!(inputs instanceof tf.Tensor) || inputs.rank !== 3) throw new RangeError("runSequence: inputs must be a [batch, time, input] tensor");
  const [batch, time, size] = inputs.shape;
  if (size !== cell.inputSize) throw new RangeError(`runSequence: inputs have ${size} features per step but the cell expects ${cell.inputSize}`);
  if (time < 1) throw new RangeError("runSequence: the sequences are empty (time = 0)");
  const { mask } = options;
  if (mask !== undefined && (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time)) {
    throw new RangeError(`runSequence: mask must be [${batch}, ${time}], got [${mask.shape.join(", ")}]`);
  }
  return tf.tidy(() => {
    // The input half of every gate for all steps in one product, then one slice per step.
    const projected = cell.projectInputs(inputs.reshape([batch * time, size]) as tf.Tensor2D).reshape([batch, time, -1]);
    const steps = tf.unstack(projected, 1) as tf.Tensor2D[];
    const masks = mask === undefined ? null : (tf.unstack(mask.expandDims(2), 1) as tf.Tensor2D[]);
    let state: RecurrentState = options.initial ?? cell.initialState(batch);
    const outputs: tf.Tensor2D[] = [];
    steps.forEach((x, t) => {
      const next = cell.stepProjected(x, state);
      if (masks !== null) {
        const m = masks[t]!;
        const keep = (fresh: tf.Tensor2D, old: tf.Tensor2D) => tf.add(old, tf.mul(m, tf.sub(fresh, old))) as tf.Tensor2D;
        state = next.c !== undefined && state.c !== undefined ? { h: keep(next.h, state.h), c: keep(next.c, state.c) } : { h: keep(next.h, state.h) };
      } else {
        state = next;
      }
      outputs.push(state.h);
    });
    return { outputs: tf.stack(outputs, 1) as tf.Tensor3D, final: state };
  });
});
