/**
 * TP4 — MLP language model (Bengio et al. 2003): the exercises of solutions/tp04-mlp.ipynb and their
 * visible tests. Expected values are worked out by hand in the comments; the training loop (tfjs autograd)
 * is checked step by step against the library's plain-TypeScript backpropagation (mlp-math.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { mlpReferenceStep, type MlpShape } from "../lib/models/mlp-math";
import { Random } from "../lib/random";

type BuildContexts = (words: string[], stoi: Map<string, number>, blockSize: number) => { X: number[][]; Y: number[] };
type MlpForward = (
  params: { C: number[][]; W1: number[][]; b1: number[]; W2: number[][]; b2: number[] },
  context: number[],
) => number[];
type CrossEntropy = (logits: number[][], targets: number[]) => number;
type MlpVariables = { C: tf.Variable<tf.Rank.R2>; W1: tf.Variable<tf.Rank.R2>; b1: tf.Variable<tf.Rank.R1>; W2: tf.Variable<tf.Rank.R2>; b2: tf.Variable<tf.Rank.R1> };
type TrainOptions = { steps: number; batchSize: number; lr: (step: number) => number; rng: Random };
type TrainMlp = (params: MlpVariables, X: number[][], Y: number[], options: TrainOptions) => number[];
type SgdStep = (params: number[], grads: number[], lr: number, weightDecay: number) => number[];

const stoi = new Map([[".", 0], ["a", 1], ["b", 2], ["e", 3], ["m", 4]]);

const buildContexts = defineExercise<BuildContexts>({
  id: "tp04.build_contexts",
  title: "Fenêtres de contexte",
  symbol: "buildContexts",
  kind: "function",
  points: 2,
  task: "compléter buildContexts(words, stoi, blockSize) : pour chaque mot, les fenêtres des blockSize ids précédents (complétées par « . » = 0) et l'id suivant, fin de mot « . » comprise",
  hints: [
    "Commencez chaque mot avec un contexte [0, 0, …, 0] (blockSize fois « . »).",
    "Pour chaque caractère de word + \".\" : ajoutez (contexte, id du caractère), puis faites glisser : contexte = [...contexte.slice(1), id].",
    "« emma » avec blockSize 3 donne 5 exemples : ... → e, ..e → m, .em → m, emm → a, mma → .",
  ],
  tests: [
    {
      name: "« emma », blockSize 3 → 5 fenêtres (... → e, ..e → m, .em → m, emm → a, mma → .)",
      run: (f) =>
        expectEqual(f(["emma"], stoi, 3), {
          X: [[0, 0, 0], [0, 0, 3], [0, 3, 4], [3, 4, 4], [4, 4, 1]],
          Y: [3, 4, 4, 1, 0],
        }),
    },
    {
      name: "deux mots, blockSize 1 (le bigramme) : « ab », « b »",
      run: (f) => expectEqual(f(["ab", "b"], stoi, 1), { X: [[0], [1], [2], [0], [2]], Y: [1, 2, 0, 2, 0] }),
    },
    {
      name: "liste vide → aucun exemple",
      run: (f) => expectEqual(f([], stoi, 3), { X: [], Y: [] }),
    },
  ],
});

const mlpForward = defineExercise<MlpForward>({
  id: "tp04.mlp_forward",
  title: "La passe avant du MLP",
  symbol: "mlpForward",
  kind: "function",
  points: 3,
  task: "compléter mlpForward(params, context) : concaténer C[id] des ids du contexte, h = tanh(x·W1 + b1), renvoyer les logits h·W2 + b2",
  hints: [
    "x = context.flatMap((id) => params.C[id]) : un vecteur de taille blockSize × E.",
    "W1 a une ligne par composante de x et une colonne par neurone caché : hⱼ = tanh(bⱼ + Σᵢ xᵢ W1[i][j]).",
    "Même calcul sans tanh pour la sortie : logitₖ = b2ₖ + Σⱼ hⱼ W2[j][k].",
  ],
  tests: [
    {
      // x = [1, 0] (C[1]) ; h = tanh([1·0.5 + 0, 1·(-1) + 0]) = [tanh 0.5, tanh(-1)]
      // logits = [h0·1 + h1·0, h0·0 + h1·2] + [0.1, -0.1]
      name: "contexte [1], E = 2, 2 neurones cachés, 2 sorties : valeurs calculées à la main",
      run: (f) => {
        const params = {
          C: [[0, 0], [1, 0]],
          W1: [[0.5, -1], [3, 3]],
          b1: [0, 0],
          W2: [[1, 0], [0, 2]],
          b2: [0.1, -0.1],
        };
        const h0 = Math.tanh(0.5);
        const h1 = Math.tanh(-1);
        expectClose(f(params, [1]), [h0 + 0.1, 2 * h1 - 0.1], 1e-12);
      },
    },
    {
      // x = C[0] ++ C[1] = [1, 2]; h = tanh(1·1 + 2·1 + 0) = tanh 3; logits = [tanh 3 · 1, tanh 3 · (-1)]
      name: "contexte de 2 ids : la concaténation des embeddings est dans le bon ordre",
      run: (f) => {
        const params = { C: [[1], [2]], W1: [[1], [1]], b1: [0], W2: [[1, -1]], b2: [0, 0] };
        expectClose(f(params, [0, 1]), [Math.tanh(3), -Math.tanh(3)], 1e-12);
        const swapped = { ...params, W1: [[1], [0]] };
        expectClose(f(swapped, [1, 0]), [Math.tanh(2), -Math.tanh(2)], 1e-12, "x[0] doit venir du premier id");
      },
    },
  ],
});

const crossEntropy = defineExercise<CrossEntropy>({
  id: "tp04.cross_entropy",
  title: "L'entropie croisée moyenne",
  symbol: "crossEntropy",
  kind: "function",
  points: 2,
  task: "compléter crossEntropy(logits, targets) : la moyenne sur les exemples de −ln softmax(logits[i])[targets[i]], calculée de façon stable",
  hints: [
    "−ln softmax(z)ₜ = ln Σⱼ exp(zⱼ) − zₜ = (m + ln Σⱼ exp(zⱼ − m)) − zₜ, avec m = max z.",
    "Moyenne sur les exemples, pas somme.",
  ],
  tests: [
    {
      name: "logits nuls sur 4 classes → ln 4",
      run: (f) => expectClose(f([[0, 0, 0, 0]], [2]), Math.log(4), 1e-12),
    },
    {
      // example 1: z = [ln 3, 0], target 0 → −ln(3/4); example 2: same, target 1 → −ln(1/4); mean = (ln 4/3 + ln 4) / 2
      name: "deux exemples : [[ln 3, 0] → 0, [ln 3, 0] → 1] → (ln(4/3) + ln 4) / 2",
      run: (f) => expectClose(f([[Math.log(3), 0], [Math.log(3), 0]], [0, 1]), (Math.log(4 / 3) + Math.log(4)) / 2, 1e-12),
    },
    {
      name: "stable pour de grands logits : [[1000, 0]] → 0 pour la cible 0, 1000 pour la cible 1",
      run: (f) => {
        expectClose(f([[1000, 0]], [0]), 0, 1e-9);
        expectClose(f([[1000, 0]], [1]), 1000, 1e-9);
      },
    },
  ],
});

const sgdStep = defineExercise<SgdStep>({
  id: "tp04.sgd_step",
  title: "Un pas de descente de gradient (avec weight decay)",
  symbol: "sgdStep",
  kind: "function",
  points: 1,
  task: "compléter sgdStep(params, grads, lr, weightDecay) : renvoyer p − lr · (g + weightDecay · p) pour chaque paramètre",
  hints: ["Le weight decay λ ajoute λ·p au gradient : c'est le gradient de la pénalité (λ/2)·p²."],
  tests: [
    { name: "sans weight decay : [1, -2] − 0.1 · [10, -10] → [0, -1]", run: (f) => expectClose(f([1, -2], [10, -10], 0.1, 0), [0, -1], 1e-12) },
    {
      // 2 − 0.5·(0 + 0.1·2) = 1.9 ; −4 − 0.5·(1 + 0.1·(−4)) = −4.3
      name: "avec weight decay 0.1, lr 0.5 : [2, -4], gradients [0, 1] → [1.9, -4.3]",
      run: (f) => expectClose(f([2, -4], [0, 1], 0.5, 0.1), [1.9, -4.3], 1e-12),
    },
    {
      name: "les paramètres reçus ne sont pas modifiés",
      run: (f) => {
        const params = [1, 2];
        f(params, [1, 1], 0.1, 0);
        expectEqual(params, [1, 2], "paramètres après l'appel");
      },
    },
  ],
});

/**
 * A small MLP (V = 5, B = 2, E = 3, H = 8, so the library's hidden stride is H) with random weights, as tf
 * variables for the submission and as the library's arrays (W2 transposed: row v = weights of output v).
 */
function smallMlp(seed: number) {
  const shape: MlpShape = { vocabSize: 5, contextSize: 2, embeddingSize: 3, hiddenSize: 8 };
  const rng = new Random(seed);
  const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * rng.normal());
  const C = values(5 * 3, 1);
  const W1 = values(6 * 8, 0.5);
  const b1 = values(8, 0.1);
  const W2 = values(8 * 5, 0.5);
  const b2 = values(5, 0.1);
  const W2rows = new Float32Array(5 * 8);
  for (let h = 0; h < 8; h++) for (let v = 0; v < 5; v++) W2rows[v * 8 + h] = W2[h * 5 + v]!;
  const variables: MlpVariables = {
    C: tf.variable(tf.tensor2d(C, [5, 3])),
    W1: tf.variable(tf.tensor2d(W1, [6, 8])),
    b1: tf.variable(tf.tensor1d(b1)),
    W2: tf.variable(tf.tensor2d(W2, [8, 5])),
    b2: tf.variable(tf.tensor1d(b2)),
  };
  const library = { embedding: C, hiddenWeight: W1, hiddenBias: b1, outputWeight: W2rows, outputBias: b2 };
  const X = Array.from({ length: 40 }, () => [rng.int(5), rng.int(5)]);
  const Y = Array.from({ length: 40 }, () => rng.int(5));
  const dispose = () => Object.values(variables).forEach((v) => v.dispose());
  return { shape, variables, library, X, Y, dispose };
}

const trainMlp = defineExercise<TrainMlp>({
  id: "tp04.train_loop",
  title: "La boucle d'entraînement du MLP, avec la différentiation automatique",
  symbol: "trainMlp",
  kind: "function",
  points: 5,
  offLimits: ["mlpReferenceStep", "mlpLossAndGradients", "sgdUpdate"],
  task:
    "compléter trainMlp(params, X, Y, { steps, batchSize, lr, rng }) : à chaque pas, tirer un minibatch (batchSize indices rng.int(X.length), dans l'ordre), passe avant (one-hot × C, concaténation, tanh(· W1 + b1), · W2 + b2), perte = entropie croisée moyenne, gradients par tf.variableGrads, mise à jour v ← v − lr(pas) · gradient de chaque variable ; renvoyer la perte de chaque pas (avant sa mise à jour), sans laisser de tenseur derrière soi",
  hints: [
    "Le minibatch : const rows = Array.from({ length: batchSize }, () => rng.int(X.length)), puis rows.map((i) => X[i]) et rows.map((i) => Y[i]).",
    "Embeddings : tf.matMul(tf.oneHot(xb.flatten(), V), C) donne [batchSize × B, E] ; .reshape([batchSize, -1]) les concatène (le gradient de tf.gather n'existe pas sur le backend wasm).",
    "La perte : tf.losses.softmaxCrossEntropy(tf.oneHot(yb, V), logits) est la moyenne de −ln softmax(logits)[y].",
    "const { value, grads } = tf.variableGrads(() => perte, [C, W1, b1, W2, b2]) ; grads est indexé par le nom de chaque variable (C.name…) ; C.assign(C.sub(grads[C.name].mul(lr))).",
    "Entourez chaque pas de tf.tidy(() => { … ; return value.dataSync()[0]; }) : tous les tenseurs intermédiaires sont libérés.",
  ],
  tests: [
    {
      name: "5 pas (batch 4, lr 0,5) d'un petit MLP : mêmes pertes et mêmes poids que la rétropropagation de la bibliothèque sur les mêmes minibatchs",
      run: (f) => {
        const mlp = smallMlp(11);
        try {
          const losses = f(mlp.variables, mlp.X, mlp.Y, { steps: 5, batchSize: 4, lr: () => 0.5, rng: new Random(3) });
          const rows = new Random(3);
          const contexts = Int32Array.from(mlp.X.flat());
          const targets = Int32Array.from(mlp.Y);
          const expected = Array.from({ length: 5 }, () =>
            mlpReferenceStep(mlp.shape, mlp.library, contexts, targets, Int32Array.from({ length: 4 }, () => rows.int(40)), 0.5),
          );
          expectClose(losses, expected, 1e-4, "pertes des 5 pas");
          expectClose(Array.from(mlp.variables.C.dataSync()), Array.from(mlp.library.embedding), 1e-4, "C après 5 pas");
          expectClose(Array.from(mlp.variables.W1.dataSync()), Array.from(mlp.library.hiddenWeight), 1e-4, "W1 après 5 pas");
          expectClose(Array.from(mlp.variables.b2.dataSync()), Array.from(mlp.library.outputBias), 1e-4, "b2 après 5 pas");
        } finally {
          mlp.dispose();
        }
      },
    },
    {
      name: "le pas d'apprentissage lr(pas) est demandé à chaque pas (0, 1, 2) ; lr = 0 ne change aucun poids",
      run: (f) => {
        const mlp = smallMlp(5);
        try {
          const before = Array.from(mlp.variables.W2.dataSync());
          const asked: number[] = [];
          f(mlp.variables, mlp.X, mlp.Y, { steps: 3, batchSize: 2, lr: (step) => (asked.push(step), 0), rng: new Random(1) });
          expectEqual(asked, [0, 1, 2], "pas demandés à lr");
          expectClose(Array.from(mlp.variables.W2.dataSync()), before, 0, "W2 avec lr = 0");
        } finally {
          mlp.dispose();
        }
      },
    },
    {
      name: "aucune fuite de mémoire : autant de tenseurs avant et après 10 pas (tf.tidy)",
      run: (f) => {
        const mlp = smallMlp(9);
        try {
          const before = tf.memory().numTensors;
          f(mlp.variables, mlp.X, mlp.Y, { steps: 10, batchSize: 8, lr: () => 0.1, rng: new Random(2) });
          expectEqual(tf.memory().numTensors - before, 0, "tenseurs laissés par 10 pas");
        } finally {
          mlp.dispose();
        }
      },
    },
    {
      name: "sur 40 exemples, 100 pas (batch 8, lr 0,5) font baisser la perte moyenne des 10 derniers pas sous celle des 10 premiers",
      run: (f) => {
        const mlp = smallMlp(21);
        try {
          const losses = f(mlp.variables, mlp.X, mlp.Y, { steps: 100, batchSize: 8, lr: () => 0.5, rng: new Random(4) });
          expectEqual(losses.length, 100, "nombre de pertes renvoyées");
          const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
          const first = mean(losses.slice(0, 10));
          const last = mean(losses.slice(-10));
          expectTrue(last < first, `perte moyenne des 10 derniers pas (${last}) ≥ celle des 10 premiers (${first})`);
        } finally {
          mlp.dispose();
        }
      },
    },
  ],
});

export default defineLesson({
  tp: "tp04",
  notebook: "tp04-mlp",
  title: "Modèle de langage MLP (Bengio et al., 2003)",
  exercises: [buildContexts, mlpForward, crossEntropy, sgdStep, trainMlp],
});
