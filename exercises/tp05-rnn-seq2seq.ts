/**
 * TP5 — RNNs and a seq2seq translator: the exercises of solutions/tp05-rnn-seq2seq.ipynb and their visible
 * tests. Expected values are worked out by hand in the comments.
 */
import * as tf from "@tensorflow/tfjs";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { GRUCell, runSequence } from "../lib/models/rnn";
import { Random } from "../lib/random";

type RnnStep = (Whx: number[][], Whh: number[][], b: number[], x: number[], hPrev: number[]) => number[];
type Unroll = (step: (x: number[], h: number[]) => number[], xs: number[][], h0: number[]) => number[][];
type GruParams = { Wz: number[][]; Wr: number[][]; W: number[][]; bz: number[]; br: number[]; b: number[] };
type GruStep = (p: GruParams, x: number[], hPrev: number[]) => number[];
type GruEncode = (ids: number[], embedding: number[][], p: GruParams) => number[][];
type PerplexityOf = (nlls: number[][]) => number;
type GreedyDecode = <S>(
  step: (token: number, state: S) => { logits: number[]; state: S },
  initialState: S,
  bos: number,
  eos: number,
  maxLength: number,
) => number[];

const rnnStep = defineExercise<RnnStep>({
  id: "tp05.rnn_step",
  title: "Un pas de RNN",
  symbol: "rnnStep",
  kind: "function",
  points: 2,
  task: "compléter rnnStep(Whx, Whh, b, x, hPrev) : renvoyer h_t = tanh(W_hx·x + W_hh·h_{t−1} + b), composante par composante",
  hints: [
    "Whx a une ligne par neurone caché et une colonne par composante de x : (W_hx·x)ᵢ = Σⱼ Whx[i][j]·x[j].",
    "De même (W_hh·h)ᵢ = Σⱼ Whh[i][j]·hPrev[j] : la ligne i de la matrice, pas la colonne.",
    "hᵢ = Math.tanh((W_hx·x)ᵢ + (W_hh·h)ᵢ + b[i]).",
  ],
  tests: [
    {
      // pre-activations: [1·1 + 0 + 0, −1·1 + 0 + 0.1] = [1, −0.9]
      name: "h₀ = 0, 2 neurones, 1 entrée : [tanh 1, tanh(−0,9)]",
      run: (f) => expectClose(f([[1], [-1]], [[0.5, 0], [0, 0.5]], [0, 0.1], [1], [0, 0]), [Math.tanh(1), Math.tanh(-0.9)], 1e-12),
    },
    {
      // 0.2·1 + 0.4·0.5 + 2·0.3 − 0.1 = 0.2 + 0.2 + 0.6 − 0.1 = 0.9
      name: "l'état précédent compte : 0,2·1 + 0,4·0,5 + 2·0,3 − 0,1 = 0,9 → tanh 0,9",
      run: (f) => expectClose(f([[0.2, 0.4]], [[2]], [-0.1], [1, 0.5], [0.3]), [Math.tanh(0.9)], 1e-12),
    },
    {
      // Whh = [[0, 1], [0, 0]]: row 0 reads h[1] = −2, row 1 reads nothing → [tanh(−2), tanh 0]
      name: "W_hh·h et non W_hhᵀ·h : Whh = [[0, 1], [0, 0]], h = [5, −2] → [tanh(−2), 0]",
      run: (f) => expectClose(f([[0], [0]], [[0, 1], [0, 0]], [0, 0], [3], [5, -2]), [Math.tanh(-2), 0], 1e-12),
    },
  ],
});

const unroll = defineExercise<Unroll>({
  id: "tp05.unroll",
  title: "Dérouler un RNN sur une séquence",
  symbol: "unroll",
  kind: "function",
  points: 2,
  task: "compléter unroll(step, xs, h0) : appliquer la même fonction step à chaque x_t en partant de h0 et renvoyer [h_1, …, h_T]",
  hints: [
    "Une boucle : h = h0, puis pour chaque x de xs, h = step(x, h) et on garde h.",
    "Le résultat a autant d'états que xs a d'entrées ; h0 n'en fait pas partie.",
  ],
  tests: [
    {
      name: "somme cumulée : step(x, h) = [h₀ + x₀] sur [1, 2, 3] → [[1], [3], [6]]",
      run: (f) => expectEqual(f((x, h) => [h[0]! + x[0]!], [[1], [2], [3]], [0]), [[1], [3], [6]]),
    },
    {
      // h1 = 2·1 + 0 = 2, h2 = 2·2 + 1 = 5
      name: "on part de h0 : step(x, h) = [2h + x], h0 = [1], xs = [[0], [1]] → [[2], [5]]",
      run: (f) => expectEqual(f((x, h) => [2 * h[0]! + x[0]!], [[0], [1]], [1]), [[2], [5]]),
    },
    {
      name: "la même fonction à chaque pas, dans l'ordre de la séquence",
      run: (f) => {
        const seen: number[] = [];
        const states = f((x, h) => {
          seen.push(x[0]!);
          return [h[0]! * 10 + x[0]!];
        }, [[1], [2], [3]], [0]);
        expectEqual(seen, [1, 2, 3], "entrées vues par step");
        expectEqual(states, [[1], [12], [123]]);
      },
    },
    { name: "séquence vide → aucun état", run: (f) => expectEqual(f((x) => x, [], [0]), []) },
  ],
});

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

const gruStep = defineExercise<GruStep>({
  id: "tp05.gru_step",
  title: "Un pas de GRU (les équations du cours)",
  symbol: "gruStep",
  kind: "function",
  points: 3,
  task: "compléter gruStep(p, x, hPrev) : z = σ(W_z·[h, x] + b_z), r = σ(W_r·[h, x] + b_r), h̃ = tanh(W·[r∗h, x] + b), renvoyer (1 − z)∗h + z∗h̃",
  hints: [
    "[h, x] est la concaténation [...hPrev, ...x] : l'état précédent d'abord, l'entrée ensuite.",
    "Écrivez une petite fonction matVec(W, v) (ligne i : Σⱼ W[i][j]·v[j]) et sigmoid(v) = 1 / (1 + e^(−v)).",
    "Le candidat h̃ lit [r∗h, x] : multipliez hPrev par r composante par composante AVANT de concaténer.",
    "∗ est le produit composante par composante : hᵢ = (1 − zᵢ)·hPrevᵢ + zᵢ·h̃ᵢ.",
  ],
  tests: [
    {
      // z = r = σ(0) = 0.5; h̃ = tanh(2·(0.5·1) + 1·1) = tanh 2; h = 0.5·1 + 0.5·tanh 2
      name: "1 neurone : z = r = ½, h̃ = tanh(2·(½·1) + 1) = tanh 2, h = ½ + ½·tanh 2",
      run: (f) =>
        expectClose(f({ Wz: [[0, 0]], Wr: [[0, 0]], W: [[2, 1]], bz: [0], br: [0], b: [0] }, [1], [1]), [0.5 + 0.5 * Math.tanh(2)], 1e-12),
    },
    {
      // bz = −100: z = σ(−100) ≈ 4e−44, so h = h_{t−1} up to 1e−43
      name: "porte de mise à jour fermée (b_z = −100) : l'état passe tel quel",
      run: (f) => {
        const zero = [[0, 0, 0], [0, 0, 0]];
        const p = { Wz: zero, Wr: zero, W: [[3, 1, 2], [1, -2, 1]], bz: [-100, -100], br: [0, 0], b: [1, 1] };
        expectClose(f(p, [0.5], [0.7, -0.3]), [0.7, -0.3], 1e-12);
      },
    },
    {
      // z = σ(100) = 1 (exactly, in double precision); r = σ(−100) ≈ 0, so h̃ = tanh(5·0·1 + 1·0.2 + 0.5) = tanh 0.7
      name: "porte de réinitialisation fermée (b_r = −100) : h̃ ignore h, h = tanh(0,2 + 0,5) = tanh 0,7",
      run: (f) =>
        expectClose(f({ Wz: [[0, 0]], Wr: [[0, 0]], W: [[5, 1]], bz: [100], br: [-100], b: [0.5] }, [0.2], [1]), [Math.tanh(0.7)], 1e-12),
    },
    {
      // z = r = 0.5; W·[r∗h, x] = [1·0.5·0.4, 1·2] = [0.2, 2]; h = 0.5·h + 0.5·tanh(·)
      name: "ordre de la concaténation [h, x] : 2 neurones, 1 entrée",
      run: (f) => {
        const zero = [[0, 0, 0], [0, 0, 0]];
        const p = { Wz: zero, Wr: zero, W: [[1, 0, 0], [0, 0, 1]], bz: [0, 0], br: [0, 0], b: [0, 0] };
        expectClose(f(p, [2], [0.4, 0.8]), [0.2 + 0.5 * Math.tanh(0.2), 0.4 + 0.5 * Math.tanh(2)], 1e-12);
      },
    },
    {
      // z = σ(1·1 + 0) = σ(1) with Wz = [[1, 0]] reading h = 1; r = 0.5; h̃ = tanh(0.5·1·1 + 0) = tanh 0.5
      name: "z lit aussi h : W_z = [[1, 0]], h = 1 → z = σ(1), h = (1 − σ(1)) + σ(1)·tanh ½",
      run: (f) => {
        const z = sigmoid(1);
        expectClose(f({ Wz: [[1, 0]], Wr: [[0, 0]], W: [[1, 0]], bz: [0], br: [0], b: [0] }, [7], [1]), [(1 - z) + z * Math.tanh(0.5)], 1e-12);
      },
    },
  ],
});

const perplexityOf = defineExercise<PerplexityOf>({
  id: "tp05.perplexity",
  title: "La perplexité à partir des NLL par token",
  symbol: "perplexityOf",
  kind: "function",
  points: 2,
  task: "compléter perplexityOf(nlls) : nlls[s][t] = −ln p(token t de la phrase s) ; renvoyer exp(somme des NLL / nombre total de tokens)",
  hints: [
    "La moyenne porte sur TOUS les tokens de toutes les phrases, pas sur les moyennes des phrases.",
    "Perplexité = exp(NLL moyenne) : 1 pour un modèle parfait, V pour un modèle qui hésite uniformément entre V tokens.",
  ],
  tests: [
    { name: "deux tokens à p = ½ → perplexité 2", run: (f) => expectClose(f([[Math.log(2), Math.log(2)]]), 2, 1e-12) },
    { name: "modèle uniforme sur 32 tokens → 32", run: (f) => expectClose(f([[Math.log(32), Math.log(32), Math.log(32)]]), 32, 1e-9) },
    { name: "modèle parfait (NLL nulles) → 1", run: (f) => expectClose(f([[0, 0], [0]]), 1, 1e-12) },
    {
      // total NLL ln 4 over 4 tokens → exp(ln 4 / 4) = 4^(1/4) = √2; the mean of the sentence means would give exp((ln 4 + 0)/2) = 2
      name: "phrases de longueurs différentes : [[ln 4], [0, 0, 0]] → 4^(1/4) = √2 (et non 2)",
      run: (f) => expectClose(f([[Math.log(4)], [0, 0, 0]]), Math.SQRT2, 1e-12),
    },
  ],
});

/** A toy "model" for the greedy tests: the logits put `best` first, the rest below (all negative). */
function logitsFor(best: number, vocab = 10): number[] {
  return Array.from({ length: vocab }, (_, i) => (i === best ? -0.5 : -1 - i));
}

const greedyDecode = defineExercise<GreedyDecode>({
  id: "tp05.greedy_decode",
  title: "Le décodage glouton",
  symbol: "greedyDecode",
  kind: "function",
  points: 3,
  task: "compléter greedyDecode(step, initialState, bos, eos, maxLength) : partir de bos, appeler step(token précédent, état), garder l'argmax des logits et le réinjecter, jusqu'à eos (non inclus) ou maxLength tokens",
  hints: [
    "Le premier appel est step(bos, initialState) ; chaque appel renvoie { logits, state } : gardez le nouvel état pour l'appel suivant.",
    "Le token choisi est l'indice du plus grand logit (attention : les logits peuvent tous être négatifs).",
    "Si le token choisi est eos, on s'arrête sans l'ajouter ; sinon on l'ajoute et il devient le token précédent.",
    "Au plus maxLength appels : un modèle qui n'écrit jamais eos renvoie exactement maxLength tokens.",
  ],
  tests: [
    {
      // state = [count]: argmax = 5 + count while count < 3, then eos = 9 → [5, 6, 7]
      name: "l'état circule : un compteur écrit 5, 6, 7 puis eos → [5, 6, 7]",
      run: (f) => {
        const step = (_token: number, state: number[]) => ({ logits: logitsFor(state[0]! < 3 ? 5 + state[0]! : 9), state: [state[0]! + 1] });
        expectEqual(f(step, [0], 0, 9, 20), [5, 6, 7]);
      },
    },
    {
      // the next token is previous + 1: bos 1 → 2 → 3 → 4 = eos
      name: "le token choisi est réinjecté : suivant = précédent + 1, bos = 1, eos = 4 → [2, 3]",
      run: (f) => {
        const fed: number[] = [];
        const step = (token: number, state: null) => {
          fed.push(token);
          return { logits: logitsFor(token + 1), state };
        };
        expectEqual(f(step, null, 1, 4, 20), [2, 3]);
        expectEqual(fed, [1, 2, 3], "tokens passés à step");
      },
    },
    {
      name: "sans eos : exactement maxLength tokens, maxLength appels",
      run: (f) => {
        let calls = 0;
        const step = (_token: number, state: number) => {
          calls++;
          return { logits: logitsFor(2), state };
        };
        expectEqual(f(step, 0, 0, 9, 4), [2, 2, 2, 2]);
        expectTrue(calls === 4, `step doit être appelé 4 fois, il l'a été ${calls} fois`);
      },
    },
    {
      name: "eos tout de suite → traduction vide",
      run: (f) => expectEqual(f((_t: number, s: number) => ({ logits: logitsFor(9), state: s }), 0, 0, 9, 10), []),
    },
  ],
});

const gruEncode = defineExercise<GruEncode>({
  id: "tp05.gru_encode",
  title: "L'encodeur GRU : une phrase entière, token par token",
  symbol: "gruEncode",
  kind: "function",
  points: 4,
  offLimits: ["GRUCell.fromWeights", "runSequence"],
  task:
    "compléter gruEncode(ids, embedding, p) : partir de h₀ = 0 (autant de zéros que p.bz), puis pour chaque id de la phrase, x = embedding[id] et h = gruStep(p, x, h) (exercice 3) ; renvoyer la liste des états h₁ … h_T (une ligne par token)",
  hints: [
    "La taille de l'état est p.bz.length : let h = new Array(p.bz.length).fill(0).",
    "L'embedding d'un token est une ligne de la table : embedding[ids[t]] (le one-hot × table du TP 3, sans la multiplication).",
    "C'est unroll (exercice 2) avec la fonction de pas (x, h) => gruStep(p, x, h) et les entrées ids.map((id) => embedding[id]).",
  ],
  tests: [
    {
      // W = 0, b = 1 for the candidate: z = r = σ(0) = ½, h̃ = tanh(1) → h₁ = ½·tanh 1, h₂ = ½·h₁ + ½·tanh 1.
      name: "poids nuls, biais du candidat 1 : h₁ = tanh(1)/2 ≈ 0,3808, h₂ = (h₁ + tanh 1)/2 ≈ 0,5712",
      run: (f) => {
        const zero = [[0, 0]];
        const h1 = Math.tanh(1) / 2;
        const states = f([0, 0], [[0]], { Wz: zero, Wr: zero, W: zero, bz: [0], br: [0], b: [1] });
        expectClose(states.flat(), [h1, (h1 + Math.tanh(1)) / 2], 1e-12, "états");
      },
    },
    {
      name: "une phrase de 6 tokens, état 4, embeddings 3, poids aléatoires : les états de la cellule GRUCell de la bibliothèque",
      run: (f) => {
        const rng = new Random(13);
        const matrix = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => 0.5 * rng.normal()));
        const p = { Wz: matrix(4, 7), Wr: matrix(4, 7), W: matrix(4, 7), bz: matrix(1, 4)[0]!, br: matrix(1, 4)[0]!, b: matrix(1, 4)[0]! };
        const embedding = matrix(5, 3);
        const ids = [2, 0, 4, 4, 1, 3];
        const cell = GRUCell.fromWeights(p);
        const expected = tf.tidy(() => (runSequence(cell, tf.tensor3d([ids.map((id) => embedding[id]!)])).outputs.arraySync() as number[][][])[0]!);
        for (const variable of Object.values(cell.variables())) variable.dispose();
        expectClose(f(ids, embedding, p).flat(), expected.flat(), 1e-5, "états h₁ … h₆");
      },
    },
    {
      name: "une phrase vide → aucun état ; les entrées ne sont pas modifiées",
      run: (f) => {
        const zero = [[0, 0]];
        const embedding = [[0.5]];
        expectEqual(f([], embedding, { Wz: zero, Wr: zero, W: zero, bz: [0], br: [0], b: [1] }), []);
        expectEqual(f([0], embedding, { Wz: zero, Wr: zero, W: zero, bz: [0], br: [0], b: [1] }).length, 1, "nombre d'états pour un token");
        expectEqual(embedding, [[0.5]], "embedding après l'appel");
      },
    },
  ],
});

export default defineLesson({
  tp: "tp05",
  notebook: "tp05-rnn-seq2seq",
  title: "RNN, LSTM, GRU et traduction seq2seq",
  exercises: [rnnStep, unroll, gruStep, gruEncode, perplexityOf, greedyDecode],
});
