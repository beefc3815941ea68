/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009): each ranking gives a document 1 / (k + rank)
 * (rank from 1), and the fused score is the sum. Only ranks matter, so a BM25 score and a cosine can be
 * fused without calibrating them; k = 60 is the paper's constant.
 */
import { topK, type Hit } from "./vectors";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** The fused ranking of several rankings (lists of ids, best first), best first, at most `limit` ids. */
export const reciprocalRankFusion = offLimitsDuringChecks("reciprocalRankFusion", function reciprocalRankFusion(rankings: readonly (readonly string[])[], options: { k?: number; limit?: number } = {}): Hit[] {
  const { k = 60, limit = Infinity } = options;
  if (!(k >= 0)) throw new Error(`reciprocalRankFusion: k must be ≥ 0, got ${k}`);
  const scores = new Map<string, number>();
  for (const ranking of rankings) {
    const seen = new Set<string>();
    ranking.forEach((id, index) => {
      if (seen.has(id)) throw new Error(`reciprocalRankFusion: "${id}" appears twice in one ranking`);
      seen.add(id);
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1));
    });
  }
  return topK([...scores].map(([id, score]) => ({ id, score })), limit);
});
