/**
 * TP6 — Attention: the exercises of solutions/tp06-attention.ipynb and their visible tests. Expected values
 * are worked out by hand in the comments; multi-head attention is also checked against the library's
 * MultiHeadAttention layer with the same weights.
 */
import * as tf from "@tensorflow/tfjs";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { MultiHeadAttention } from "../lib/models/attention";
import { Random } from "../lib/random";

type AdditiveScore = (v: number[], Wq: number[][], Wk: number[][], s: number[], h: number[]) => number;
type MaskedSoftmax = (scores: number[], mask: number[]) => number[];
type DotProductAttention = (Q: number[][], K: number[][], V: number[][], mask?: number[][]) => { weights: number[][]; output: number[][] };
type BuildCausalMask = (n: number) => number[][];
type MhaParams = { Wq: number[][]; Wk: number[][]; Wv: number[][]; Wo: number[][]; bq: number[]; bk: number[]; bv: number[]; bo: number[] };
type MultiHead = (X: number[][], p: MhaParams, heads: number, mask?: number[][]) => number[][];
type PositionalEncoding = (pos: number, dimension: number, dModel: number) => number;

const additiveScore = defineExercise<AdditiveScore>({
  id: "tp06.additive_score",
  title: "Le score additif de Bahdanau",
  symbol: "additiveScore",
  kind: "function",
  points: 2,
  task: "compléter additiveScore(v, Wq, Wk, s, h) : renvoyer e = vᵀ · tanh(W_q·s + W_k·h), un nombre",
  hints: [
    "W_q·s : la ligne a de Wq donne Σⱼ Wq[a][j]·s[j] ; de même W_k·h. Les deux vecteurs ont la taille de v.",
    "tanh s'applique composante par composante à la SOMME W_q·s + W_k·h, avant le produit scalaire avec v.",
  ],
  tests: [
    {
      // W_q s = [1·0.3 + 0·9] = [0.3], W_k h = [0.5·0.4] = [0.2] → 2·tanh(0.5)
      name: "une unité d'attention : 2·tanh(0,3 + 0,2) = 2·tanh 0,5",
      run: (f) => expectClose(f([2], [[1, 0]], [[0.5]], [0.3, 9], [0.4]), 2 * Math.tanh(0.5), 1e-12),
    },
    {
      // W_q s = [0.5, 0], W_k h = [0, 2] → tanh 0.5 − tanh 2
      name: "deux unités, v = [1, −1] : tanh 0,5 − tanh 2",
      run: (f) => expectClose(f([1, -1], [[1], [0]], [[0], [1]], [0.5], [2]), Math.tanh(0.5) - Math.tanh(2), 1e-12),
    },
    {
      // W_q s = [1·1 + 2·1] = [3], W_k h = [−1·2 + 0.5·2] = [−1] → tanh 2
      name: "requête et clé de taille 2 : tanh(3 − 1) = tanh 2",
      run: (f) => expectClose(f([1], [[1, 2]], [[-1, 0.5]], [1, 1], [2, 2]), Math.tanh(2), 1e-12),
    },
  ],
});

const maskedSoftmax = defineExercise<MaskedSoftmax>({
  id: "tp06.masked_softmax",
  title: "Softmax avec masque",
  symbol: "maskedSoftmax",
  kind: "function",
  points: 2,
  task: "compléter maskedSoftmax(scores, mask) : softmax des scores des positions où mask vaut 1, poids 0 exactement là où mask vaut 0, calcul stable",
  hints: [
    "Stable : soustrayez le plus grand score VISIBLE avant l'exponentielle (exp(1000) vaut Infinity).",
    "Une position masquée contribue 0 au dénominateur et reçoit le poids 0 (c'est exp(−∞)).",
  ],
  tests: [
    {
      // exp(0) : exp(ln 3) = 1 : 3 → [1/4, 3/4]
      name: "sans masque : [0, ln 3] → [0,25, 0,75]",
      run: (f) => expectClose(f([0, Math.log(3)], [1, 1]), [0.25, 0.75], 1e-12),
    },
    {
      // e^14 / (e^14 + e^12) = 1 / (1 + e^−2) = 0.880797…
      name: "l'exemple du cours : [14, 12] → [0,8808, 0,1192]",
      run: (f) => expectClose(f([14, 12], [1, 1]), [1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2))], 1e-12),
    },
    {
      // the masked 100 must not count: softmax([1, 2]) = [1/(1+e), e/(1+e)], then 0
      name: "position masquée : [1, 2, 100], masque [1, 1, 0] → [1/(1+e), e/(1+e), 0]",
      run: (f) => expectClose(f([1, 2, 100], [1, 1, 0]), [1 / (1 + Math.E), Math.E / (1 + Math.E), 0], 1e-12),
    },
    {
      name: "grands scores : [1000, 1000, −5] → [0,5, 0,5, ≈ 0] sans NaN",
      run: (f) => expectClose(f([1000, 1000, -5], [1, 1, 1]), [0.5, 0.5, 0], 1e-12),
    },
  ],
});

/** expectClose row by row, for matrices (arrays of rows). */
function expectCloseRows(actual: unknown, expected: number[][], tolerance: number, what: string): void {
  expectTrue(Array.isArray(actual), `${what} : attendu un tableau de ${expected.length} lignes`);
  const rows = actual as unknown[];
  expectTrue(rows.length === expected.length, `${what} : attendu ${expected.length} lignes, obtenu ${rows.length}`);
  expected.forEach((row, i) => expectClose(rows[i] as number[], row, tolerance, `${what}[${i}]`));
}

// The seeds' worked example in vectors of d_k = 64: q = (1, …, 1), k₁ = (1.75, …), k₂ = (1.5, …) → 112 and 96.
const ones = (n: number, value: number) => Array.from({ length: n }, () => value);

const dotProductAttention = defineExercise<DotProductAttention>({
  id: "tp06.scaled_attention",
  title: "L'attention par produit scalaire normalisé",
  symbol: "dotProductAttention",
  kind: "function",
  points: 3,
  offLimits: ["attentionByHand"],
  task: "compléter dotProductAttention(Q, K, V, mask?) : weights = softmax par ligne de Q·Kᵀ/√d_k (−∞ là où mask[i][j] = 0), output = weights·V ; renvoyer { weights, output }",
  hints: [
    "scores[i][j] = Σₐ Q[i][a]·K[j][a] : le produit scalaire de la requête i et de la clé j ; d_k = Q[0].length.",
    "Divisez par Math.sqrt(d_k), mettez −Infinity là où mask[i][j] === 0, puis un softmax stable sur chaque ligne.",
    "output[i] = Σⱼ weights[i][j]·V[j] : une moyenne pondérée des lignes de V.",
  ],
  tests: [
    {
      // q·k₁ = 64·1.75 = 112, q·k₂ = 64·1.5 = 96; /√64 = 8 → 14, 12; softmax → 0.8808, 0.1192; V = identity → output = weights
      name: "l'exemple du cours (d_k = 64) : scores 112 et 96, /8 → 14 et 12, softmax → 0,8808 et 0,1192",
      run: (f) => {
        const w = [1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2))];
        const { weights, output } = f([ones(64, 1)], [ones(64, 1.75), ones(64, 1.5)], [[1, 0], [0, 1]]);
        expectCloseRows(weights, [w], 1e-9, "weights");
        expectCloseRows(output, [w], 1e-9, "output");
      },
    },
    {
      // scores [[1, 0], [0, 1]] / √2; row 0: key 1 hidden → [1, 0], output V[0] = [1, 2];
      // row 1: softmax([0, 1/√2]) = [0.33024, 0.66976] → output 0.33024·[1, 2] + 0.66976·[3, 4] = [2.33952, 3.33952]
      name: "masque causal 2×2 : la ligne 0 ne voit que la clé 0, la ligne 1 mélange [1, 2] et [3, 4]",
      run: (f) => {
        const a = 1 / (1 + Math.exp(Math.SQRT1_2));
        const { weights, output } = f([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]], [[1, 0], [1, 1]]);
        expectCloseRows(weights, [[1, 0], [a, 1 - a]], 1e-9, "weights");
        expectCloseRows(output, [[1, 2], [a + 3 * (1 - a), 2 * a + 4 * (1 - a)]], 1e-9, "output");
      },
    },
    {
      // "The big dog": Q = K = V = X; first row of the scores: 0.5² + 0.87² = 1.0069, 0.5·(−0.7) + (−0.87)·0.7 = −0.959,
      // 0.5·0.81 − 0.87·0.59 = −0.1083; /√2, softmax → 0.5870, 0.1462, 0.2668
      name: "« The big dog » (Q = K = V = X, d_k = 2) : première ligne des poids ≈ [0,587, 0,146, 0,267]",
      run: (f) => {
        const x = [[0.5, -0.87], [-0.7, 0.7], [0.81, 0.59]];
        const row = [1.0069, -0.959, -0.1083].map((s) => Math.exp(s / Math.SQRT2));
        const total = row.reduce((a, b) => a + b, 0);
        const { weights, output } = f(x, x, x);
        expectClose(weights[0], row.map((e) => e / total), 1e-9, "weights[0]");
        expectClose(weights.map((r) => r.reduce((a, b) => a + b, 0)), [1, 1, 1], 1e-12, "somme de chaque ligne");
        const w0 = weights[0]!;
        expectClose(output[0], [0, 1].map((c) => w0.reduce((sum, w, j) => sum + w * x[j]![c]!, 0)), 1e-12, "output[0]");
      },
    },
    {
      name: "les formes : 3 requêtes, 2 clés, valeurs de taille 4 → weights 3×2, output 3×4",
      run: (f) => {
        const { weights, output } = f([[1], [2], [3]], [[1], [-1]], [[1, 1, 1, 1], [0, 0, 0, 0]]);
        expectEqual([weights.length, weights[0]!.length, output.length, output[0]!.length], [3, 2, 3, 4], "formes");
      },
    },
  ],
});

const buildCausalMask = defineExercise<BuildCausalMask>({
  id: "tp06.causal_mask",
  title: "Le masque causal",
  symbol: "buildCausalMask",
  kind: "function",
  points: 1,
  offLimits: ["causalMaskArray", "causalMask"],
  task: "compléter buildCausalMask(n) : la matrice n×n qui vaut 1 quand la clé j est à la position de la requête i ou avant (j ≤ i), 0 sinon",
  hints: ["Ligne i : des 1 pour j = 0 … i, des 0 ensuite (un triangle inférieur, diagonale comprise)."],
  tests: [
    { name: "n = 1 → [[1]]", run: (f) => expectEqual(f(1), [[1]]) },
    { name: "n = 3 → triangle inférieur", run: (f) => expectEqual(f(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]) },
    { name: "n = 5 : la ligne i voit i + 1 positions", run: (f) => expectEqual(f(5).map((row) => row.reduce((a, b) => a + b, 0)), [1, 2, 3, 4, 5]) },
  ],
});

const positionalEncoding = defineExercise<PositionalEncoding>({
  id: "tp06.positional_encoding",
  title: "Un encodage positionnel sinusoïdal",
  symbol: "positionalEncoding",
  kind: "function",
  points: 2,
  offLimits: ["positionalEncodingValue", "positionalEncodingTable"],
  task: "compléter positionalEncoding(pos, dimension, dModel) : PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))",
  hints: [
    "Pour la dimension d, 2i est le nombre pair d − (d % 2) : les dimensions 2i et 2i+1 partagent la même fréquence.",
    "Dimension paire → Math.sin, impaire → Math.cos, de l'angle pos / Math.pow(10000, 2i / dModel).",
  ],
  tests: [
    { name: "position 0 : sin 0 = 0 (dimensions paires), cos 0 = 1 (impaires)", run: (f) => expectClose([0, 1, 2, 3].map((d) => f(0, d, 4)), [0, 1, 0, 1], 1e-12) },
    {
      // d_model = 4: dimensions 0, 1 → angle 1/10000^0 = 1; dimensions 2, 3 → angle 1/10000^(2/4) = 1/100
      name: "position 1, d_model = 4 : [sin 1, cos 1, sin 0,01, cos 0,01]",
      run: (f) => expectClose([0, 1, 2, 3].map((d) => f(1, d, 4)), [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)], 1e-12),
    },
    {
      // dimension 3 = 2·1 + 1: exponent 2/4 (not 3/4) → cos(10 / 100) = cos 0.1
      name: "une dimension impaire utilise l'exposant de sa paire : PE(10, 3, 4) = cos(10/100) = cos 0,1",
      run: (f) => expectClose(f(10, 3, 4), Math.cos(0.1), 1e-12),
    },
    {
      // 10000^(6/8) = 1000 → sin(5/1000), cos(5/1000)
      name: "PE(5, 6, 8) = sin 0,005 et PE(5, 7, 8) = cos 0,005",
      run: (f) => expectClose([f(5, 6, 8), f(5, 7, 8)], [Math.sin(0.005), Math.cos(0.005)], 1e-12),
    },
  ],
});

/**
 * The library's layer (d_model 8) with random weights and biases, the same numbers as arrays, and its output
 * on a random sentence of 5 positions, without and with the causal mask.
 */
function libraryAttention(heads: number, seed: number) {
  const layer = new MultiHeadAttention({ dModel: 8, heads, rng: new Random(seed) });
  const rng = new Random(seed + 1);
  try {
    for (const linear of [layer.wq, layer.wk, layer.wv, layer.wo]) linear.bias!.assign(tf.tensor1d(Array.from({ length: 8 }, () => 0.1 * rng.normal())));
    const X = Array.from({ length: 5 }, () => Array.from({ length: 8 }, () => rng.normal()));
    const params: MhaParams = {
      Wq: layer.wq.weight.arraySync() as number[][], Wk: layer.wk.weight.arraySync() as number[][],
      Wv: layer.wv.weight.arraySync() as number[][], Wo: layer.wo.weight.arraySync() as number[][],
      bq: layer.wq.bias!.arraySync() as number[], bk: layer.wk.bias!.arraySync() as number[],
      bv: layer.wv.bias!.arraySync() as number[], bo: layer.wo.bias!.arraySync() as number[],
    };
    const outputOf = (causal: boolean) =>
      tf.tidy(() => (layer.forward(tf.tensor3d([X]), null, { causal }).output.arraySync() as number[][][])[0]!);
    return { X, params, plain: outputOf(false), causal: outputOf(true) };
  } finally {
    layer.dispose();
  }
}

const multiHeadAttention = defineExercise<MultiHead>({
  id: "tp06.multi_head",
  title: "Assembler l'attention multi-têtes",
  symbol: "multiHeadAttention",
  kind: "function",
  points: 4,
  offLimits: ["scaledDotProductAttention", "causalSelfAttention", "attentionByHand"],
  task:
    "compléter multiHeadAttention(X, p, heads, mask?) : Q = X·W_Q + b_Q, K = X·W_K + b_K, V = X·W_V + b_V (matrices [entrée][sortie]) ; découper les d colonnes en `heads` blocs consécutifs de d / heads ; pour chaque tête, dotProductAttention (exercice 3) sur ses colonnes de Q, K et V, avec le masque ; remettre les sorties des têtes côte à côte ; renvoyer cette concaténation · W_O + b_O",
  hints: [
    "Une projection : X.map((x) => p.Wq[0].map((_, j) => x.reduce((s, xi, i) => s + xi * p.Wq[i][j], 0) + p.bq[j])).",
    "La tête h lit les colonnes h·dₕ … (h + 1)·dₕ − 1 de Q, K et V (dₕ = d / heads) : rows.map((row) => row.slice(h * dh, (h + 1) * dh)).",
    "Chaque tête renvoie T lignes de dₕ nombres ; la ligne t de la concaténation est [...tête0[t], ...tête1[t], …], puis une dernière projection par W_O et b_O.",
  ],
  tests: [
    {
      // One head, identity projections, no bias: softmax of [[1, 0], [0, 1]] / √2 per row → a = σ(1/√2) = 0.66976.
      name: "une tête, projections identité : X = [[1, 0], [0, 1]] → [[0,66976, 0,33024], [0,33024, 0,66976]]",
      run: (f) => {
        const I = [[1, 0], [0, 1]];
        const a = 1 / (1 + Math.exp(-Math.SQRT1_2));
        const out = f(I, { Wq: I, Wk: I, Wv: I, Wo: I, bq: [0, 0], bk: [0, 0], bv: [0, 0], bo: [0, 0] }, 1);
        expectCloseRows(out, [[a, 1 - a], [1 - a, a]], 1e-9, "sortie");
      },
    },
    {
      name: "2 têtes, d = 8, poids et biais aléatoires : la sortie de la couche MultiHeadAttention de la bibliothèque",
      run: (f) => {
        const reference = libraryAttention(2, 3);
        expectCloseRows(f(reference.X, reference.params, 2), reference.plain, 1e-4, "sortie");
      },
    },
    {
      name: "4 têtes et le masque causal : la sortie de la bibliothèque avec causal: true",
      run: (f) => {
        const reference = libraryAttention(4, 7);
        const mask = reference.X.map((_, i) => reference.X.map((__, j) => (j <= i ? 1 : 0)));
        expectCloseRows(f(reference.X, reference.params, 4, mask), reference.causal, 1e-4, "sortie");
      },
    },
    {
      name: "le nombre de têtes change le résultat (mêmes poids, 1 tête ou 2 têtes)",
      run: (f) => {
        const reference = libraryAttention(2, 3);
        const one = f(reference.X, reference.params, 1);
        const two = f(reference.X, reference.params, 2);
        const gap = Math.max(...one.flatMap((row, i) => row.map((x, j) => Math.abs(x - two[i]![j]!))));
        expectTrue(gap > 1e-3, `les sorties à 1 et 2 têtes ne devraient pas coïncider (écart ${gap})`);
      },
    },
  ],
});

export default defineLesson({
  tp: "tp06",
  notebook: "tp06-attention",
  title: "Attention : Bahdanau, produit scalaire, masques, têtes multiples, positions",
  exercises: [additiveScore, maskedSoftmax, dotProductAttention, buildCausalMask, multiHeadAttention, positionalEncoding],
});
