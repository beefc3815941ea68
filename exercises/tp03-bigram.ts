/**
 * TP3 — bigram language model: the exercises of solutions/tp03-bigram.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";

type NormalizeRows = (counts: number[][], smoothing: number) => number[][];
type SampleIndex = (probabilities: number[], u: number) => number;
type AverageNll = (probabilities: number[][], ids: number[]) => number;
type Softmax = (logits: number[]) => number[];

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

export default defineLesson({
  tp: "tp03",
  notebook: "tp03-bigram",
  title: "Modèle bigramme : comptes, échantillonnage, log-vraisemblance et réseau de neurones",
  exercises: [normalizeRows, sampleIndex, averageNll, softmax],
});
