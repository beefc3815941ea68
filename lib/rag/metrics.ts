/**
 * Retrieval metrics with BEIR's definitions (pytrec_eval, binary relevance), for one question: the ranked
 * ids a retriever returned and the set of relevant ids.
 * - recall@k = |relevant ∩ top k| / |relevant|
 * - MRR@k: 1 / rank of the first relevant id in the top k, else 0 (averaged over questions)
 * - nDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i ≤ k} rel_i / log2(i + 1), IDCG the DCG of a perfect ranking
 */
import { offLimitsDuringChecks } from "../grading/off-limits";

function checkInputs(ranked: readonly string[], relevant: ReadonlySet<string>, k: number, metric: string): void {
  if (!Number.isInteger(k) || k <= 0) throw new Error(`${metric}: k must be a positive integer, got ${k}`);
  if (relevant.size === 0) throw new Error(`${metric}: the question has no relevant id (its gold set is empty)`);
  if (new Set(ranked).size !== ranked.length) throw new Error(`${metric}: the ranking repeats an id`);
}

/** Share of the relevant ids found in the top `k`. */
export const recallAtK = offLimitsDuringChecks("recallAtK", function recallAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  checkInputs(ranked, relevant, k, "recallAtK");
  return ranked.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
});

/** 1 / rank of the first relevant id within the top `k` (0 if none). */
export const reciprocalRank = offLimitsDuringChecks("reciprocalRank", function reciprocalRank(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  checkInputs(ranked, relevant, k, "reciprocalRank");
  const index = ranked.slice(0, k).findIndex((id) => relevant.has(id));
  return index < 0 ? 0 : 1 / (index + 1);
});

/** Normalised discounted cumulative gain at `k`, binary relevance. */
export const ndcgAtK = offLimitsDuringChecks("ndcgAtK", function ndcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  checkInputs(ranked, relevant, k, "ndcgAtK");
  const dcg = ranked.slice(0, k).reduce((sum, id, i) => sum + (relevant.has(id) ? 1 / Math.log2(i + 2) : 0), 0);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
});

/** Mean metrics of a retriever over a question set. */
export interface RetrievalScores {
  questions: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  mrrAt10: number;
  ndcgAt10: number;
}

/** Averages the metrics over questions: `runs[i]` is the ranking returned for the question whose gold set is `gold[i]`. */
export const scoreRetrieval = offLimitsDuringChecks("scoreRetrieval", function scoreRetrieval(runs: readonly (readonly string[])[], gold: readonly ReadonlySet<string>[]): RetrievalScores {
  if (runs.length !== gold.length) throw new Error(`scoreRetrieval: ${runs.length} rankings for ${gold.length} gold sets`);
  if (runs.length === 0) throw new Error("scoreRetrieval: no question to score");
  const mean = (metric: (ranked: readonly string[], relevant: ReadonlySet<string>) => number) => runs.reduce((sum, ranked, i) => sum + metric(ranked, gold[i]!), 0) / runs.length;
  return {
    questions: runs.length,
    recallAt1: mean((r, g) => recallAtK(r, g, 1)),
    recallAt5: mean((r, g) => recallAtK(r, g, 5)),
    recallAt10: mean((r, g) => recallAtK(r, g, 10)),
    mrrAt10: mean((r, g) => reciprocalRank(r, g, 10)),
    ndcgAt10: mean((r, g) => ndcgAtK(r, g, 10)),
  };
});
