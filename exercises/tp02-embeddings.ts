/**
 * TP2 — word embeddings: the exercises of solutions/tp02-embeddings.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments; the skip-gram update is checked against the
 * library's gradients (negativeSamplingGradients) and by training on a corpus with two topics.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { negativeSamplingGradients } from "../lib/embeddings";
import { Random } from "../lib/random";

type Cosine = (a: number[], b: number[]) => number;
type Cooccurrence = (tokens: string[], vocabulary: string[], window: number) => number[][];
type NoiseDistribution = (counts: number[]) => number[];
type SkipGramStep = (inputVectors: number[][], outputVectors: number[][], center: number, context: number, negatives: number[], lr: number) => number;
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
  offLimits: ["negativeSamplingLoss", "negativeSamplingGradients"],
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

const cosine = (a: number[], b: number[]) => {
  const dot = a.reduce((sum, x, i) => sum + x * b[i]!, 0);
  return dot / Math.sqrt(a.reduce((sum, x) => sum + x * x, 0) * b.reduce((sum, x) => sum + x * x, 0));
};

const skipGramStep = defineExercise<SkipGramStep>({
  id: "tp02.skipgram_step",
  title: "Une mise à jour du skip-gram avec negative sampling",
  symbol: "skipGramStep",
  kind: "function",
  points: 4,
  offLimits: ["negativeSamplingGradients", "negativeSamplingLoss", "trainWord2Vec", "trainMobyDickWord2Vec"],
  task:
    "compléter skipGramStep(inputVectors, outputVectors, center, context, negatives, lr) : avec v = inputVectors[center], u_o = outputVectors[context] et u_k = outputVectors[negatives[k]], calculer la perte L = −ln σ(u_o·v) − Σₖ ln σ(−u_k·v) et ses gradients ∂L/∂v = (σ(u_o·v) − 1)·u_o + Σₖ σ(u_k·v)·u_k, ∂L/∂u_o = (σ(u_o·v) − 1)·v, ∂L/∂u_k = σ(u_k·v)·v, tous avec les vecteurs d'avant la mise à jour ; puis retrancher lr × gradient à chacun de ces vecteurs (sur place) ; renvoyer L",
  hints: [
    "σ(x) = 1 / (1 + e^(−x)) ; la perte est celle de l'exercice 4 (réutilisez negativeSamplingLoss).",
    "Calculez d'abord tous les gradients (copiez v : il change à la fin), puis faites les mises à jour.",
    "Le même mot peut être tiré deux fois comme négatif : chaque tirage retranche son propre lr × σ(u_k·v)·v.",
  ],
  tests: [
    {
      // v = u_o = 0: σ(0) = ½, L = 2 ln 2 (one negative); ∂L/∂v = −½·u_o + ½·u_1 = 0, ∂L/∂u_o = −½·v = 0 …
      // so take v = [1, 0], u_o = [0, 0], u_1 = [0, 0]: ∂L/∂u_o = −½·[1, 0], ∂L/∂u_1 = ½·[1, 0], ∂L/∂v = 0.
      name: "v = [1, 0], u_o = u_1 = 0, lr 1 → L = 2 ln 2, u_o = [0,5, 0], u_1 = [−0,5, 0], v inchangé",
      run: (f) => {
        const input = [[1, 0], [0, 0], [0, 0]];
        const output = [[0, 0], [0, 0], [0, 0]];
        expectClose(f(input, output, 0, 1, [2], 1), 2 * Math.LN2, 1e-12, "perte");
        expectClose(output.flat(), [0, 0, 0.5, 0, -0.5, 0], 1e-12, "vecteurs de sortie");
        expectClose(input.flat(), [1, 0, 0, 0, 0, 0], 1e-12, "vecteurs d'entrée");
      },
    },
    {
      name: "vecteurs aléatoires, 3 négatifs : chaque vecteur bouge de −lr × le gradient de la bibliothèque (negativeSamplingGradients)",
      run: (f) => {
        const rng = new Random(17);
        const input = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => rng.normal()));
        const output = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => rng.normal()));
        const reference = negativeSamplingGradients(input[2]!, output[0]!, [output[3]!, output[4]!, output[5]!]);
        const expectedInput = input[2]!.map((x, i) => x - 0.1 * reference.center[i]!);
        const expectedOutputs = [output[0]!.map((x, i) => x - 0.1 * reference.context[i]!), ...[3, 4, 5].map((k, j) => output[k]!.map((x, i) => x - 0.1 * reference.negatives[j]![i]!))];
        expectClose(f(input, output, 2, 0, [3, 4, 5], 0.1), reference.loss, 1e-12, "perte");
        expectClose(input[2]!, expectedInput, 1e-12, "vecteur d'entrée du mot central");
        expectClose([0, 3, 4, 5].flatMap((k) => output[k]!), expectedOutputs.flat(), 1e-12, "vecteurs de sortie");
      },
    },
    {
      name: "un négatif tiré deux fois reçoit deux fois sa mise à jour ; les autres mots ne bougent pas",
      run: (f) => {
        const input = [[1, 0], [0, 1]];
        const output = [[0, 0], [0, 0], [0, 0]];
        f(input, output, 0, 1, [2, 2], 1);
        // σ(0) = ½ for both draws: u_2 = −2 × ½ × [1, 0].
        expectClose(output[2]!, [-1, 0], 1e-12, "vecteur de sortie du mot 2");
        expectClose(input[1]!, [0, 1], 0, "vecteur d'entrée d'un autre mot");
      },
    },
    {
      name: "3 000 paires d'un corpus à deux thèmes (mots 0–4 ensemble, 5–9 ensemble) : les mots d'un même thème se rapprochent",
      run: (f) => {
        const rng = new Random(3);
        const input = Array.from({ length: 10 }, () => Array.from({ length: 8 }, () => (rng.next() - 0.5) / 8));
        const output = Array.from({ length: 10 }, () => new Array<number>(8).fill(0));
        let first = 0;
        let last = 0;
        for (let step = 0; step < 3000; step++) {
          const topic = rng.int(2) * 5;
          const center = topic + rng.int(5);
          const context = topic + rng.int(5);
          const negatives = [rng.int(10), rng.int(10), rng.int(10)];
          const loss = f(input, output, center, context, negatives, 0.05);
          if (step < 300) first += loss / 300;
          if (step >= 2700) last += loss / 300;
        }
        expectTrue(last < first, `la perte moyenne doit baisser (300 premières paires ${first}, 300 dernières ${last})`);
        const same = cosine(input[0]!, input[1]!);
        const other = cosine(input[0]!, input[7]!);
        expectTrue(same > other + 0.5, `cos(mot 0, mot 1) = ${same} devrait dépasser nettement cos(mot 0, mot 7) = ${other}`);
      },
    },
  ],
});

export default defineLesson({
  tp: "tp02",
  notebook: "tp02-embeddings",
  title: "Embeddings : one-hot, co-occurrences et SVD, word2vec",
  exercises: [cosineSimilarity, cooccurrence, noiseDistribution, negativeSamplingLoss, skipGramStep],
});
