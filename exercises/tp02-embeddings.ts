/**
 * TP2 — word embeddings: the exercises of solutions/tp02-embeddings.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual } from "../lib/grading/expect";

type Cosine = (a: number[], b: number[]) => number;
type Cooccurrence = (tokens: string[], vocabulary: string[], window: number) => number[][];
type NoiseDistribution = (counts: number[]) => number[];
type NegativeSamplingLoss = (center: number[], context: number[], negatives: number[][]) => number;

const cosineSimilarity = defineExercise<Cosine>({
  id: "tp02.cosine_similarity",
  title: "Similarité cosinus",
  symbol: "cosineSimilarity",
  kind: "function",
  points: 2,
  task: "compléter cosineSimilarity(a, b) : a·b / (‖a‖ ‖b‖)",
  hints: [
    "Produit scalaire : Σ aᵢ bᵢ ; norme : √(Σ aᵢ²).",
    "Le résultat est entre −1 et 1 : 1 pour deux vecteurs de même direction, 0 pour deux vecteurs orthogonaux.",
  ],
  tests: [
    { name: "[1, 0] et [0, 1] (deux one-hot) → 0", run: (f) => expectClose(f([1, 0], [0, 1]), 0, 1e-12) },
    { name: "[1, 2, 3] et [2, 4, 6] (même direction) → 1", run: (f) => expectClose(f([1, 2, 3], [2, 4, 6]), 1, 1e-12) },
    // (1·3 + 1·(−1)) / (√2 · √10) = 2 / √20 = 1/√5
    { name: "[1, 1] et [3, −1] → 2 / √20 ≈ 0.4472", run: (f) => expectClose(f([1, 1], [3, -1]), 1 / Math.sqrt(5), 1e-12) },
    { name: "[1, 0] et [−2, 0] (sens opposé) → −1", run: (f) => expectClose(f([1, 0], [-2, 0]), -1, 1e-12) },
  ],
});

const cooccurrence = defineExercise<Cooccurrence>({
  id: "tp02.cooccurrence",
  title: "Matrice de co-occurrence",
  symbol: "cooccurrenceCounts",
  kind: "function",
  points: 3,
  task: "compléter cooccurrenceCounts(tokens, vocabulary, window) : counts[i][j] = nombre de fois où le mot j apparaît à une distance ≤ window d'une occurrence du mot i",
  hints: [
    "Pour chaque position p, regardez les positions q ≠ p avec |p − q| ≤ window.",
    "Les lignes et colonnes suivent l'ordre de `vocabulary` ; ignorez les mots absents du vocabulaire.",
    "La matrice obtenue est symétrique.",
  ],
  tests: [
    {
      // a b a with window 1: (a,b) at positions 0-1 and 2-1 → counts[a][b] = 2, counts[b][a] = 2
      name: "« a b a », fenêtre 1 → [[0, 2], [2, 0]]",
      run: (f) => expectEqual(f(["a", "b", "a"], ["a", "b"], 1), [[0, 2], [2, 0]]),
    },
    {
      // window 2 adds the pair (a, a) at distance 2, counted from both occurrences
      name: "« a b a », fenêtre 2 → [[2, 2], [2, 0]]",
      run: (f) => expectEqual(f(["a", "b", "a"], ["a", "b"], 2), [[2, 2], [2, 0]]),
    },
    {
      name: "« le chat mange le poisson », fenêtre 1, vocabulaire [le, chat, poisson]",
      // le–chat (0-1), le–poisson (3-4); mange is outside the vocabulary
      run: (f) => expectEqual(f(["le", "chat", "mange", "le", "poisson"], ["le", "chat", "poisson"], 1), [[0, 1, 1], [1, 0, 0], [1, 0, 0]]),
    },
  ],
});

const noiseDistribution = defineExercise<NoiseDistribution>({
  id: "tp02.noise_distribution",
  title: "Distribution des exemples négatifs",
  symbol: "noiseDistribution",
  kind: "function",
  points: 2,
  task: "compléter noiseDistribution(counts) : P(w) = U(w)^(3/4) / Σ_v U(v)^(3/4)",
  hints: [
    "Élevez chaque compte à la puissance 0.75 (Math.pow ou **), puis divisez par la somme.",
    "L'exposant 3/4 donne plus de chances aux mots rares qu'une simple fréquence.",
  ],
  tests: [
    // 16^0.75 = 8, 1^0.75 = 1 → [8/9, 1/9]
    { name: "comptes [16, 1] → [8/9, 1/9]", run: (f) => expectClose(f([16, 1]), [8 / 9, 1 / 9], 1e-12) },
    { name: "comptes égaux [5, 5, 5, 5] → uniforme", run: (f) => expectClose(f([5, 5, 5, 5]), [0.25, 0.25, 0.25, 0.25], 1e-12) },
    {
      // 81^0.75 = 27, 1 → 27/28 and 1/28, versus 81/82 and 1/82 for plain frequencies
      name: "comptes [81, 1] → [27/28, 1/28] (le mot rare passe de 1/82 à 1/28)",
      run: (f) => expectClose(f([81, 1]), [27 / 28, 1 / 28], 1e-12),
    },
  ],
});

const negativeSamplingLoss = defineExercise<NegativeSamplingLoss>({
  id: "tp02.negative_sampling_loss",
  title: "La perte du negative sampling",
  symbol: "negativeSamplingLoss",
  kind: "function",
  points: 3,
  task: "compléter negativeSamplingLoss(center, context, negatives) : −ln σ(context·center) − Σₖ ln σ(−negativeₖ·center)",
  hints: [
    "σ(x) = 1 / (1 + e^(−x)).",
    "Le vrai mot de contexte doit avoir un grand produit scalaire avec le mot central, les mots négatifs un petit.",
    "Avec des vecteurs nuls, chaque terme vaut −ln σ(0) = ln 2.",
  ],
  tests: [
    {
      name: "vecteurs nuls, 2 négatifs → 3 ln 2 ≈ 2.0794",
      run: (f) => expectClose(f([0, 0], [0, 0], [[0, 0], [0, 0]]), 3 * Math.LN2, 1e-12),
    },
    {
      // context·center = 2 → −ln σ(2); negative·center = −1 → −ln σ(1)
      name: "center [1, 1], context [1, 1], négatif [−1, 0] → −ln σ(2) − ln σ(1)",
      run: (f) => {
        const sigma = (x: number) => 1 / (1 + Math.exp(-x));
        expectClose(f([1, 1], [1, 1], [[-1, 0]]), -Math.log(sigma(2)) - Math.log(sigma(1)), 1e-12);
      },
    },
    {
      name: "sans négatif : seulement le terme positif, −ln σ(0.5·2) = −ln σ(1)",
      run: (f) => expectClose(f([0.5], [2], []), Math.log(1 + Math.exp(-1)), 1e-12),
    },
  ],
});

export default defineLesson({
  tp: "tp02",
  notebook: "tp02-embeddings",
  title: "Embeddings : one-hot, co-occurrences et SVD, word2vec",
  exercises: [cosineSimilarity, cooccurrence, noiseDistribution, negativeSamplingLoss],
});
