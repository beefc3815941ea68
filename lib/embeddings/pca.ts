/**
 * Principal component analysis for 2-D pictures of word vectors: centre the vectors, then keep their top
 * singular directions, i.e. the directions along which the chosen words differ most.
 */
import { svdProjection } from "./svd";
import type { Vector } from "./vectors";

/**
 * Coordinates of `rows` (one vector per word) on their first `k` principal components (default 2), in the
 * same order: `scatterPlot` them with the words as labels. Signs follow {@link svdProjection}'s convention.
 */
export function pcaProjection(rows: readonly Vector[], k = 2): number[][] {
  if (!Array.isArray(rows) || rows.length < 2) throw new RangeError(`pcaProjection: need at least 2 vectors, got ${Array.isArray(rows) ? rows.length : typeof rows}`);
  const dim = rows[0]!.length;
  const mean = new Float64Array(dim);
  rows.forEach((row, i) => {
    if (row.length !== dim) throw new RangeError(`pcaProjection: vector ${i} has ${row.length} numbers, vector 0 has ${dim}`);
    for (let j = 0; j < dim; j++) mean[j] += row[j]! / rows.length;
  });
  const centred = rows.map((row) => Array.from({ length: dim }, (_, j) => row[j]! - mean[j]!));
  if (!Number.isInteger(k) || k < 1 || k > Math.min(rows.length, dim)) {
    throw new RangeError(`pcaProjection: k must be an integer in [1, ${Math.min(rows.length, dim)}], got ${k}`);
  }
  return svdProjection(centred, k);
}
