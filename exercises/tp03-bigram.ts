/**
 * TP3 — bigram language model: the exercises of solutions/tp03-bigram.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments. The two building exercises (the count matrix,
 * and one step of gradient descent written by hand for the neural bigram) are also checked against the
 * library's count model, on the course's names.
 */
import { buildContextDataset, nameDatasets } from "../lib/data";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { CountBigram } from "../lib/models/bigram";
import { Random } from "../lib/random";

type CountBigrams = (names: string[], stoi: ReadonlyMap<string, number>) => number[][];
type GradientStep = (W: number[][], xs: number[], ys: number[], lr: number) => number;
type NormalizeRows = (counts: number[][], smoothing: number) => number[][];
type SampleIndex = (probabilities: number[], u: number) => number;
type AverageNll = (probabilities: number[][], ids: number[]) => number;
type Softmax = (logits: number[]) => number[];

const countBigrams = defineExercise<CountBigrams>({
  id: "tp03.count_bigrams",
  title: "Compter les bigrammes avec deux boucles",
  symbol: "countBigrams",
  kind: "function",
  points: 3,
  offLimits: ["CountBigram.fit"],
  task:
    "compléter countBigrams(names, stoi) : la matrice V × V (V = stoi.size) où N[a][b] compte combien de fois le symbole b suit le symbole a dans les prénoms, chaque prénom étant entouré de « . » (début et fin) : « emma » donne .e, em, mm, ma, a.",
  hints: [
    "Partez d'une matrice de zéros : Array.from({ length: V }, () => new Array(V).fill(0)).",
    "Pour chaque prénom, const chars = [\".\", ...name, \".\"] ; pour i de 0 à chars.length − 2, la paire est (chars[i], chars[i + 1]).",
    "stoi.get(c) donne l'id d'un caractère ; N[stoi.get(a)!][stoi.get(b)!] += 1.",
  ],
  tests: [
    {
      // ".ab." → .a, ab, b. ; ".b." → .b, b.  (ids . 0, a 1, b 2)
      name: "[« ab », « b »] avec . → 0, a → 1, b → 2 : [[0, 1, 1], [0, 0, 1], [2, 0, 0]]",
      run: (f) => expectEqual(f(["ab", "b"], new Map([[".", 0], ["a", 1], ["b", 2]])), [[0, 1, 1], [0, 0, 1], [2, 0, 0]]),
    },
    {
      name: "« emma » : .e, em, mm, ma, a. comptés une fois chacun (5 bigrammes)",
      run: (f) => {
        const stoi = new Map([[".", 0], ["a", 1], ["e", 2], ["m", 3]]);
        expectEqual(f(["emma"], stoi), [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 1]]);
      },
    },
    {
      name: "aucun prénom → une matrice V × V de zéros",
      run: (f) => expectEqual(f([], new Map([[".", 0], ["x", 1]])), [[0, 0], [0, 0]]),
    },
    {
      name: "les prénoms d'entraînement du TP : la même matrice que le modèle de comptes de la bibliothèque",
      run: (f) => {
        const { vocab, names, train } = nameDatasets(1);
        const expected = CountBigram.fit(train, vocab.size).countMatrix();
        expectEqual(f(names.train, vocab.stoi), expected, "matrice des comptes");
      },
    },
  ],
});

const normalizeRows = defineExercise<NormalizeRows>({
  id: "tp03.normalize_rows",
  title: "Des comptes aux probabilités (lissage add-k)",
  symbol: "normalizeRows",
  kind: "function",
  points: 2,
  task: "compléter normalizeRows(counts, k) : ajouter k à chaque compte puis diviser chaque ligne par sa somme",
  hints: [
    "P(b | a) = (N[a][b] + k) / Σ_c (N[a][c] + k).",
    "Chaque ligne du résultat doit sommer à 1.",
    "Ne modifiez pas la matrice reçue : construisez-en une nouvelle (counts.map(...)).",
  ],
  tests: [
    {
      name: "[[1, 3], [0, 2]] sans lissage → [[0.25, 0.75], [0, 1]]",
      run: (f) => expectClose(f([[1, 3], [0, 2]], 0).flat(), [0.25, 0.75, 0, 1], 1e-12),
    },
    {
      name: "[[1, 3], [0, 2]] avec k = 1 → [[2/6, 4/6], [1/4, 3/4]]",
      run: (f) => expectClose(f([[1, 3], [0, 2]], 1).flat(), [2 / 6, 4 / 6, 1 / 4, 3 / 4], 1e-12),
    },
    {
      name: "chaque ligne somme à 1 (matrice 3 × 3, k = 0,5)",
      run: (f) => {
        const rows = f([[5, 0, 1], [2, 2, 2], [0, 0, 9]], 0.5);
        rows.forEach((row, i) => expectClose(row.reduce((s, p) => s + p, 0), 1, 1e-12, `somme de la ligne ${i}`));
      },
    },
    {
      name: "la matrice d'entrée n'est pas modifiée",
      run: (f) => {
        const counts = [[1, 3], [0, 2]];
        f(counts, 1);
        expectEqual(counts, [[1, 3], [0, 2]], "matrice d'entrée après l'appel");
      },
    },
  ],
});

const sampleIndex = defineExercise<SampleIndex>({
  id: "tp03.sample_index",
  title: "Tirer un caractère selon une distribution",
  symbol: "sampleIndex",
  kind: "function",
  points: 2,
  task: "compléter sampleIndex(probabilities, u) : le premier indice i tel que p[0] + … + p[i] > u (u uniforme dans [0, 1))",
  hints: [
    "Cumulez les probabilités de gauche à droite et arrêtez-vous dès que le cumul dépasse u.",
    "u = 0 doit renvoyer le premier indice de probabilité non nulle.",
    "Si les arrondis font que le cumul n'atteint jamais u, renvoyez le dernier indice de probabilité non nulle.",
  ],
  tests: [
    {
      name: "p = [0.2, 0.5, 0.3] : u = 0.1 → 0, u = 0.2 → 1, u = 0.69 → 1, u = 0.7 → 2",
      run: (f) => {
        const p = [0.2, 0.5, 0.3];
        expectEqual([f(p, 0.1), f(p, 0.2), f(p, 0.69), f(p, 0.7)], [0, 1, 1, 2]);
      },
    },
    {
      name: "une probabilité nulle n'est jamais tirée : p = [0, 1, 0], u = 0 → 1",
      run: (f) => expectEqual(f([0, 1, 0], 0), 1),
    },
    {
      name: "sur 1 000 valeurs de u régulières, les fréquences suivent p = [0.1, 0.6, 0.3]",
      run: (f) => {
        const counts = [0, 0, 0];
        for (let i = 0; i < 1000; i++) counts[f([0.1, 0.6, 0.3], (i + 0.5) / 1000)] += 1;
        expectEqual(counts, [100, 600, 300]);
      },
    },
  ],
});

const averageNll = defineExercise<AverageNll>({
  id: "tp03.average_nll",
  title: "La log-vraisemblance négative moyenne",
  symbol: "averageNll",
  kind: "function",
  points: 2,
  task: "compléter averageNll(P, ids) : la moyenne de −ln P[ids[i]][ids[i + 1]] sur les paires consécutives de ids",
  hints: [
    "Une séquence de n ids contient n − 1 bigrammes.",
    "NLL = −(1 / (n − 1)) Σ ln P[a][b] ; Math.log est le logarithme népérien.",
    "Une probabilité nulle donne une NLL infinie (Infinity) : c'est attendu, c'est pour cela qu'on lisse.",
  ],
  tests: [
    {
      // pairs (0,1): 0.5, (1,0): 0.25 → (ln 2 + ln 4) / 2 = 1.5 ln 2
      name: "P = [[0.5, 0.5], [0.25, 0.75]], ids [0, 1, 0] → (ln 2 + ln 4) / 2 ≈ 1.0397",
      run: (f) => expectClose(f([[0.5, 0.5], [0.25, 0.75]], [0, 1, 0]), 1.5 * Math.LN2, 1e-12),
    },
    {
      name: "modèle uniforme sur 28 symboles → ln 28 ≈ 3.3322 quel que soit le mot",
      run: (f) => {
        const uniform = Array.from({ length: 28 }, () => new Array(28).fill(1 / 28));
        expectClose(f(uniform, [0, 5, 13, 13, 1, 0]), Math.log(28), 1e-12);
      },
    },
    {
      name: "une paire de probabilité nulle → Infinity",
      run: (f) => expectTrue(f([[0, 1], [1, 0]], [0, 0]) === Infinity, "la NLL doit valoir Infinity"),
    },
  ],
});

const softmax = defineExercise<Softmax>({
  id: "tp03.softmax",
  title: "Softmax numériquement stable",
  symbol: "softmax",
  kind: "function",
  points: 2,
  task: "compléter softmax(logits) : exp(z_i − max z) / Σ_j exp(z_j − max z)",
  hints: [
    "Soustraire le maximum ne change pas le résultat (le facteur exp(−max) se simplifie) mais évite exp(1000) = Infinity.",
    "Le résultat est positif et somme à 1.",
  ],
  tests: [
    {
      name: "[0, ln 3] → [0.25, 0.75]",
      run: (f) => expectClose(f([0, Math.log(3)]), [0.25, 0.75], 1e-12),
    },
    {
      name: "grands logits : [1000, 1000] → [0.5, 0.5] (pas de NaN)",
      run: (f) => expectClose(f([1000, 1000]), [0.5, 0.5], 1e-12),
    },
    {
      name: "invariance par translation : softmax(z + 5) = softmax(z)",
      run: (f) => expectClose(f([6, 7, 8]), f([1, 2, 3]), 1e-12),
    },
  ],
});

/** Mean NLL of targets ys after rows xs of W, as the exercise defines it (the tests' own reference). */
function bigramLoss(W: number[][], xs: number[], ys: number[]): number {
  let total = 0;
  xs.forEach((x, i) => {
    const row = W[x]!;
    const max = Math.max(...row);
    const logSum = Math.log(row.reduce((sum, z) => sum + Math.exp(z - max), 0)) + max;
    total += logSum - row[ys[i]!]!;
  });
  return total / xs.length;
}

const gradientStep = defineExercise<GradientStep>({
  id: "tp03.gradient_step",
  title: "Le bigramme neuronal : propagation avant, perte, gradient à la main et mise à jour",
  symbol: "gradientStep",
  kind: "function",
  points: 5,
  task:
    "compléter gradientStep(W, xs, ys, lr) : pour chaque exemple i, logits = W[xs[i]] (one-hot × W), p = softmax(logits), perte = moyenne de −ln p[ys[i]] (calculée de façon stable) ; gradient de cette perte par rapport à W écrit à la main ; puis W[a][b] −= lr × ∂perte/∂W[a][b] (W modifiée sur place) ; renvoyer la perte calculée avant la mise à jour",
  hints: [
    "Multiplier le vecteur one-hot de x par W choisit la ligne x : les logits de l'exemple i sont W[xs[i]].",
    "Pour la perte moyenne sur n exemples, ∂perte/∂logits de l'exemple i vaut (p − onehot(ys[i])) / n : p[b] / n partout, moins 1 / n sur la bonne case.",
    "Pour la perte, −ln p[y] = ln Σ_b exp(z_b − max) − (z_y − max) : pas de ln 0 (= −Infinity) quand p[y] est minuscule.",
    "Ce gradient s'ajoute à la ligne xs[i] d'une matrice de gradient de zéros (plusieurs exemples peuvent partager la même ligne).",
    "Calculez tout le gradient avant de toucher à W, puis W[a][b] −= lr × grad[a][b] ; la perte renvoyée est celle d'avant la mise à jour.",
  ],
  tests: [
    {
      // W = 0, V = 2: p = (½, ½), loss ln 2. Row 0 (2 examples → 1): 2·((½, ½) − (0, 1)) / 3 = (⅓, −⅓);
      // row 1 (1 example → 0): ((½, ½) − (1, 0)) / 3 = (−⅙, ⅙). lr 3: W = [[−1, 1], [½, −½]].
      name: "W = 0 (2 × 2), xs [0, 0, 1], ys [1, 1, 0], lr 3 → perte ln 2, W = [[−1, 1], [0.5, −0.5]]",
      run: (f) => {
        const W = [[0, 0], [0, 0]];
        expectClose(f(W, [0, 0, 1], [1, 1, 0], 3), Math.LN2, 1e-12, "perte renvoyée");
        expectClose(W.flat(), [-1, 1, 0.5, -0.5], 1e-12, "W après la mise à jour");
      },
    },
    {
      name: "W aléatoire 4 × 4, 7 exemples : la mise à jour est −lr × le gradient obtenu par différences finies",
      run: (f) => {
        const rng = new Random(7);
        const W = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => rng.normal()));
        const xs = [0, 1, 1, 3, 0, 2, 1];
        const ys = [1, 1, 2, 0, 3, 2, 0];
        const lr = 0.5;
        const h = 1e-5;
        const expected = W.map((row, a) =>
          row.map((w, b) => {
            const plus = W.map((r) => r.slice());
            const minus = W.map((r) => r.slice());
            plus[a]![b] = w + h;
            minus[a]![b] = w - h;
            return w - (lr * (bigramLoss(plus, xs, ys) - bigramLoss(minus, xs, ys))) / (2 * h);
          }),
        );
        const lossBefore = bigramLoss(W, xs, ys);
        expectClose(f(W, xs, ys, lr), lossBefore, 1e-9, "perte renvoyée");
        expectClose(W.flat(), expected.flat(), 1e-7, "W après la mise à jour");
      },
    },
    {
      name: "de grands logits (1000) ne donnent ni NaN ni Infinity",
      run: (f) => {
        const W = [[1000, 0], [0, 1000]];
        const loss = f(W, [0, 1], [1, 1], 0.1);
        expectClose(loss, 500, 1e-9, "perte (−ln p vaut 1000 pour l'exemple 0 et ≈ 0 pour l'exemple 1)");
        expectTrue(W.flat().every(Number.isFinite), `W doit rester fini, obtenu ${JSON.stringify(W)}`);
      },
    },
    {
      name: "200 pas (lr 50) sur 30 prénoms du TP : la perte rejoint à 0,02 près la NLL du modèle de comptes (le minimum)",
      run: (f) => {
        const { vocab, names } = nameDatasets(1);
        const data = buildContextDataset(names.train.slice(0, 30), 1, vocab);
        const xs = Array.from(data.contexts.subarray(0, data.size));
        const ys = Array.from(data.targets.subarray(0, data.size));
        const countNll = CountBigram.fit(data, vocab.size).nll(data);
        const W = Array.from({ length: vocab.size }, () => new Array(vocab.size).fill(0));
        let loss = Infinity;
        for (let step = 0; step < 200; step++) loss = f(W, xs, ys, 50);
        expectTrue(loss >= countNll - 1e-9, `la perte ${loss} passe sous la NLL des comptes ${countNll}, qui est le minimum`);
        expectClose(loss, countNll, 0.02, "perte après 200 pas");
      },
    },
  ],
});

export default defineLesson({
  tp: "tp03",
  notebook: "tp03-bigram",
  title: "Modèle bigramme : comptes, échantillonnage, log-vraisemblance et réseau de neurones",
  exercises: [countBigrams, normalizeRows, sampleIndex, averageNll, softmax, gradientStep],
});
