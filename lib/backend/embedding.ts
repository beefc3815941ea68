/**
 * Embedding lookups that train on every backend. `tf.gather`'s gradient needs the UnsortedSegmentSum
 * kernel, which the wasm backend lacks; this lookup gathers forward and scatters (ScatterNd, which sums
 * repeated ids) backward — O(ids × dim), where a one-hot matmul would cost O(ids × vocabulary × dim).
 */
import * as tf from "@tensorflow/tfjs";

/** Token ids: an int32 tensor of any shape, or nested arrays of integers. */
export type TokenIds = tf.Tensor | number[] | number[][] | number[][][];

let lookup: ((table: tf.Tensor, ids: tf.Tensor) => tf.Tensor) | null = null;

function gatherWithScatterGradient(): (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor {
  if (lookup) return lookup;
  const op = tf.customGrad((...inputs) => {
    const [table, ids, save] = inputs as [tf.Tensor2D, tf.Tensor, tf.GradSaveFunc];
    save([ids]);
    return {
      value: tf.gather(table, ids),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedIds] = saved;
        const [vocab, dim] = table.shape;
        const dTable = tf.scatterND(savedIds.reshape([-1, 1]), dy.reshape([-1, dim]), [vocab, dim]);
        // Ids are not differentiable, but every input needs a float32 gradient.
        return [dTable, tf.zeros(savedIds.shape)];
      },
    };
  });
  lookup = (table, ids) => op(table, ids);
  return lookup;
}

function checkIdArray(ids: unknown, vocab: number, where: string): void {
  if (Array.isArray(ids)) {
    ids.forEach((item, i) => checkIdArray(item, vocab, `${where}[${i}]`));
    return;
  }
  if (typeof ids !== "number" || !Number.isInteger(ids)) throw new TypeError(`embeddingLookup: ids${where} must be an integer (got ${String(ids)})`);
  if (ids < 0 || ids >= vocab) throw new RangeError(`embeddingLookup: ids${where} = ${ids} is outside the table's ${vocab} rows (0…${vocab - 1})`);
}

/**
 * Rows of `table` ([vocabulary, dim]) for each id: output shape = ids' shape + [dim], as `tf.gather(table, ids)`,
 * but differentiable on wasm too. Use it for every trainable embedding table:
 * `const emb = embeddingLookup(C, xBatch); // [batch, context, dim]`.
 * Array ids are range-checked; tensor ids must be int32 and are not read back (no sync), so keep them in range.
 */
export function embeddingLookup(table: tf.Tensor, ids: TokenIds): tf.Tensor {
  if (!(table instanceof tf.Tensor)) throw new TypeError("embeddingLookup: table must be a tf.Tensor (or tf.Variable) of shape [vocabulary, dim]");
  if (table.rank !== 2) throw new RangeError(`embeddingLookup: table must be 2-D [vocabulary, dim], got shape [${table.shape.join(", ")}]`);
  if (table.dtype !== "float32") throw new TypeError(`embeddingLookup: table must be float32, got ${table.dtype}`);
  const vocab = table.shape[0];
  if (ids instanceof tf.Tensor) {
    if (ids.dtype !== "int32") throw new TypeError(`embeddingLookup: ids must be an int32 tensor, got ${ids.dtype} (use tf.tensor(ids, shape, "int32") or .toInt())`);
    return gatherWithScatterGradient()(table, ids);
  }
  if (!Array.isArray(ids)) throw new TypeError(`embeddingLookup: ids must be an int32 tensor or an array of integers (got ${ids === null ? "null" : typeof ids})`);
  checkIdArray(ids, vocab, "");
  return tf.tidy(() => gatherWithScatterGradient()(table, tf.tensor(ids, undefined, "int32")));
}
