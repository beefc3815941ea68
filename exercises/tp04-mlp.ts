/**
 * TP4 — MLP language model (Bengio et al. 2003): the exercises of solutions/tp04-mlp.ipynb and their
 * visible tests. Expected values are worked out by hand in the comments; the training loop (tfjs autograd)
 * is checked step by step against the library's plain-TypeScript backpropagation (mlp-math.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { mlpReferenceStep, type MlpShape } from "../lib/models/mlp-math";
import {
  BATCHNORM_MLP_PARAMETERS,
  batchNormMlpForward,
  initBatchNormMlp,
  type BatchNormMlpForward,
  type BatchNormMlpParams,
} from "../lib/models/mlp-batchnorm";
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
type BatchNormLayer = { gain: tf.Tensor1D; bias: tf.Tensor1D; runningMean: tf.Variable<tf.Rank.R1>; runningVar: tf.Variable<tf.Rank.R1>; momentum: number; eps: number };
type BatchNorm = (x: tf.Tensor2D, layer: BatchNormLayer, training: boolean) => tf.Tensor2D;
type MlpGradients = { [K in keyof BatchNormMlpParams]: tf.Tensor };
type MlpBackward = (params: BatchNormMlpParams, forward: BatchNormMlpForward) => MlpGradients;

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


/** A BatchNorm layer of `size` units with the given gain, bias and running statistics (the caller disposes it). */
function batchNormLayer(gain: number[], bias: number[], runningMean: number[], runningVar: number[], momentum: number, eps: number): BatchNormLayer & { dispose(): void } {
  const layer = {
    gain: tf.tensor1d(gain),
    bias: tf.tensor1d(bias),
    runningMean: tf.variable(tf.tensor1d(runningMean)),
    runningVar: tf.variable(tf.tensor1d(runningVar)),
    momentum,
    eps,
  };
  return { ...layer, dispose: () => tf.dispose([layer.gain, layer.bias, layer.runningMean, layer.runningVar]) };
}

const batchNorm = defineExercise<BatchNorm>({
  id: "tp04.batchnorm",
  title: "La BatchNorm : normaliser avec le batch, prédire avec les statistiques courantes",
  symbol: "batchNorm",
  kind: "function",
  points: 3,
  offLimits: ["batchNormMlpForward"],
  task:
    "compléter batchNorm(x, layer, training) : en entraînement, moyenne μ et variance σ² (biaisée, 1/n) de chaque colonne du batch, sortie gain ⊙ (x − μ)/√(σ² + eps) + bias, et mise à jour runningMean ← (1 − momentum)·runningMean + momentum·μ (de même pour runningVar avec σ²) ; en inférence (training = false), la même formule avec runningMean et runningVar, sans rien mettre à jour ; avec des opérations tfjs (la sortie doit rester dérivable)",
  hints: [
    "μ = x.mean(0) et σ² = x.sub(μ).square().mean(0) : des vecteurs de H nombres, un par neurone (colonne). tf.moments(x, 0) donne les deux.",
    "La normalisation : x.sub(μ).div(σ².add(eps).sqrt()), puis .mul(layer.gain).add(layer.bias) (la diffusion étend les vecteurs à toutes les lignes).",
    "Les statistiques courantes sont des tf.Variable : layer.runningMean.assign(layer.runningMean.mul(1 - layer.momentum).add(μ.mul(layer.momentum))). Pas de tf.tidy autour de la sortie : elle doit survivre à l'appel.",
    "En inférence, un batch d'un seul exemple a σ² = 0 et x − μ = 0 : c'est pour cela qu'on utilise runningMean et runningVar à la place.",
  ],
  tests: [
    {
      // columns [1, 3] and [2, 6]: μ = [2, 4], σ² = [1, 4], x̂ = [[−1, −1], [1, 1]]; gain [2, 1], bias [0, 10] → [[−2, 9], [2, 11]]
      name: "entraînement, calculé à la main : x = [[1, 2], [3, 6]], gain [2, 1], biais [0, 10], eps 0 → [[−2, 9], [2, 11]]",
      // tf.tidy frees every tensor the test and the submission create.
      run: (f) => tf.tidy(() => {
        const layer = batchNormLayer([2, 1], [0, 10], [0, 0], [1, 1], 0.1, 0);
        const x = tf.tensor2d([[1, 2], [3, 6]]);
        try {
          const out = f(x, layer, true);
          expectEqual(out.shape, [2, 2], "forme de la sortie");
          expectClose(Array.from(out.dataSync()), [-2, 9, 2, 11], 1e-6, "sortie (ligne par ligne)");
        } finally {
          tf.dispose(x);
          layer.dispose();
        }
      }),
    },
    {
      // running mean 0.9·[0, 0] + 0.1·[2, 4] = [0.2, 0.4]; running var 0.9·[1, 1] + 0.1·[1, 4] = [1, 1.3]
      name: "mise à jour des statistiques courantes (momentum 0,1) : moyenne [0, 0] → [0,2, 0,4], variance [1, 1] → [1, 1,3]",
      // tf.tidy frees every tensor the test and the submission create.
      run: (f) => tf.tidy(() => {
        const layer = batchNormLayer([1, 1], [0, 0], [0, 0], [1, 1], 0.1, 1e-5);
        const x = tf.tensor2d([[1, 2], [3, 6]]);
        try {
          tf.dispose(f(x, layer, true));
          expectClose(Array.from(layer.runningMean.dataSync()), [0.2, 0.4], 1e-6, "runningMean");
          expectClose(Array.from(layer.runningVar.dataSync()), [1, 1.3], 1e-6, "runningVar");
        } finally {
          tf.dispose(x);
          layer.dispose();
        }
      }),
    },
    {
      // (3 − 2)/√1 · 2 + 0 = 2 ; (8 − 4)/√4 · 1 + 10 = 12
      name: "inférence sur un seul exemple : statistiques courantes μ = [2, 4], σ² = [1, 4] ; [[3, 8]] → [[2, 12]], rien n'est mis à jour",
      // tf.tidy frees every tensor the test and the submission create.
      run: (f) => tf.tidy(() => {
        const layer = batchNormLayer([2, 1], [0, 10], [2, 4], [1, 4], 0.1, 0);
        const x = tf.tensor2d([[3, 8]]);
        try {
          const out = f(x, layer, false);
          expectEqual(out.shape, [1, 2], "forme de la sortie");
          expectClose(Array.from(out.dataSync()), [2, 12], 1e-6, "sortie");
          expectClose(Array.from(layer.runningMean.dataSync()), [2, 4], 0, "runningMean en inférence");
          expectClose(Array.from(layer.runningVar.dataSync()), [1, 4], 0, "runningVar en inférence");
        } finally {
          tf.dispose(x);
          layer.dispose();
        }
      }),
    },
    {
      name: "32 × 10 valeurs au hasard : même sortie et mêmes gradients (x, gain, biais) que tf.moments + tf.batchNorm",
      // tf.tidy frees every tensor the test and the submission create.
      run: (f) => tf.tidy(() => {
        const rng = new Random(17);
        const values = (n: number, scale: number, offset = 0) => Array.from({ length: n }, () => offset + scale * rng.normal());
        const layer = batchNormLayer(values(10, 0.5, 1), values(10, 0.5), values(10, 0), values(10, 0, 1), 0.01, 1e-5);
        const x = tf.tensor2d(values(320, 3, 2), [32, 10]);
        const weights = tf.tensor2d(values(320, 1), [32, 10]);
        const reference = (input: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D) => {
          const { mean, variance } = tf.moments(input, 0);
          return tf.batchNorm(input, mean, variance, bias, gain, 1e-5);
        };
        try {
          const out = f(x, layer, true);
          expectClose(Array.from(out.dataSync()), Array.from(reference(x, layer.gain, layer.bias).dataSync()), 1e-4, "sortie");
          const [dx, dGain, dBias] = tf.grads((input: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor) =>
            f(input as tf.Tensor2D, { ...layer, gain: gain as tf.Tensor1D, bias: bias as tf.Tensor1D }, true).mul(weights).sum(),
          )([x, layer.gain, layer.bias]);
          const [rx, rGain, rBias] = tf.grads((input: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor) =>
            reference(input as tf.Tensor2D, gain as tf.Tensor1D, bias as tf.Tensor1D).mul(weights).sum(),
          )([x, layer.gain, layer.bias]);
          expectClose(Array.from(dx!.dataSync()), Array.from(rx!.dataSync()), 1e-4, "gradient par rapport à x (la sortie doit être calculée avec des opérations tfjs)");
          expectClose(Array.from(dGain!.dataSync()), Array.from(rGain!.dataSync()), 1e-4, "gradient par rapport au gain");
          expectClose(Array.from(dBias!.dataSync()), Array.from(rBias!.dataSync()), 1e-4, "gradient par rapport au biais");
        } finally {
          tf.dispose([x, weights]);
          layer.dispose();
        }
      }),
    },
  ],
});

/**
 * Runs `compute` with tfjs autograd switched off: every gradient function of tfjs (tf.grad, tf.grads,
 * tf.valueAndGrads, tf.variableGrads, optimizers' minimize) goes through the engine's `gradients`, which
 * throws a French message meanwhile. Used so that the manual backward pass cannot hand its work to autograd.
 */
function withoutAutograd<T>(compute: () => T): T {
  const engine = tf.engine() as unknown as { gradients: unknown };
  const own = Object.prototype.hasOwnProperty.call(engine, "gradients");
  const saved = engine.gradients;
  engine.gradients = () => {
    throw new Error("la différentiation automatique de tfjs (tf.grad, tf.grads, tf.variableGrads…) est désactivée pendant cette vérification : la rétropropagation est à écrire à la main");
  };
  try {
    return compute();
  } finally {
    if (own) engine.gradients = saved;
    else delete (engine as { gradients?: unknown }).gradients;
  }
}

/** The student's gradients next to tfjs autograd's on one batch of a BatchNorm MLP: the largest |difference| per parameter. */
function compareWithAutograd(f: MlpBackward, shape: { vocabSize: number; contextSize: number; embeddingSize: number; hiddenSize: number }, seed: number, n: number) {
  const variables = initBatchNormMlp(shape, seed);
  const rng = new Random(seed + 1);
  const X = Array.from({ length: n }, () => Array.from({ length: shape.contextSize }, () => rng.int(shape.vocabSize)));
  const Y = Array.from({ length: n }, () => rng.int(shape.vocabSize));
  const forward = batchNormMlpForward(variables, X, Y);
  const list = BATCHNORM_MLP_PARAMETERS.map((name) => variables[name]);
  const autograd = tf.variableGrads(() => batchNormMlpForward(variables, X, Y).loss, list);
  try {
    const mine = withoutAutograd(() => f(variables, forward));
    for (const name of BATCHNORM_MLP_PARAMETERS) {
      const grad = mine?.[name];
      expectTrue(grad instanceof tf.Tensor, `gradients.${name} doit être un tenseur tfjs`);
      expectEqual(grad.shape, variables[name].shape, `forme de gradients.${name}`);
      expectClose(Array.from(grad.dataSync()), Array.from(autograd.grads[variables[name].name]!.dataSync()), 2e-5, `gradients.${name} (comparé à tf.variableGrads)`);
    }
    tf.dispose(mine as unknown as tf.TensorContainer);
  } finally {
    tf.dispose([forward as unknown as tf.TensorContainer, autograd.value, autograd.grads as unknown as tf.TensorContainer]);
    tf.dispose(list);
  }
}

/** The tiny model of the hand-computed tests: V = 2, B = 1, E = 1, H = 1, two examples. */
function tinyBatchNormMlp(w2: number) {
  const params: BatchNormMlpParams = {
    C: tf.tensor2d([[0], [1]]),
    W1: tf.tensor2d([[2]]),
    b1: tf.tensor1d([0]),
    bnGain: tf.tensor1d([1]),
    bnBias: tf.tensor1d([0]),
    W2: tf.tensor2d([[w2, -w2]]),
    b2: tf.tensor1d([0, 0]),
  };
  const forward = batchNormMlpForward(params, [[0], [1]], [0, 1]);
  return { params, forward, dispose: () => tf.dispose([params as unknown as tf.TensorContainer, forward as unknown as tf.TensorContainer]) };
}

const mlpBackward = defineExercise<MlpBackward>({
  id: "tp04.manual_backward",
  title: "La rétropropagation du MLP à la main (avec BatchNorm), vérifiée contre l'autograd",
  symbol: "mlpBackward",
  kind: "function",
  points: 5,
  offLimits: ["batchNormMlpForward", "mlpLossAndGradients", "mlpReferenceStep", "sgdUpdate"],
  task:
    "compléter mlpBackward(params, forward) : à partir des intermédiaires de la passe avant (forward.probs, forward.h, forward.bnRaw, forward.bnVarInv, forward.embcat, forward.contexts, forward.targets…), calculer à la main, avec des opérations tfjs et sans différentiation automatique, le gradient de la perte moyenne par rapport à chacun des 7 paramètres C, W1, b1, bnGain, bnBias, W2, b2 (mêmes formes que les paramètres)",
  hints: [
    "Commencez par la fin : dlogits = (probs − oneHot(targets)) / n, puis dW2 = hᵀ · dlogits, db2 = somme des lignes de dlogits, dh = dlogits · W2ᵀ (tf.matMul(a, b, transposeA, transposeB)).",
    "tanh : dhpreact = dh ⊙ (1 − h²). La couche affine de la BatchNorm : dbnGain = Σ_lignes dhpreact ⊙ bnRaw, dbnBias = Σ_lignes dhpreact, dbnRaw = dhpreact ⊙ bnGain.",
    "La normalisation (variance biaisée 1/n), en une formule : dhprebn = bnVarInv / n ⊙ (n·dbnRaw − Σ_lignes dbnRaw − bnRaw ⊙ Σ_lignes(dbnRaw ⊙ bnRaw)). Vérifiez-la sur le papier en dérivant μ et σ² par rapport à chaque x.",
    "Couche cachée : dW1 = embcatᵀ · dhprebn, db1 = Σ_lignes dhprebn (≈ 0 : la BatchNorm retire la moyenne), dembcat = dhprebn · W1ᵀ.",
    "L'embedding : chaque position du contexte a copié une ligne de C ; renvoyez-y son gradient en l'additionnant : dC = oneHot(contexts aplatis)ᵀ · dembcat.reshape([-1, E]).",
  ],
  tests: [
    {
      // x = C[ids] = [0, 1], hprebn = 2x = [0, 2]: μ = 1, σ² = 1, bnRaw = [−s, s] with s = 1/√(1 + 1e-5), h = [−t, t] with t = tanh s.
      // W2 = 0: logits = 0, probs = ½, loss = ln 2; dlogits = (½ − onehot)/2 = [[−¼, ¼], [¼, −¼]] (targets 0, 1);
      // db2 = [0, 0]; dW2 = Σ h·dlogits = −t·[−¼, ¼] + t·[¼, −¼] = [t/2, −t/2]; dh = dlogits·W2ᵀ = 0, so every other gradient is 0.
      name: "à la main, W2 = 0 : dW2 = [[t/2, −t/2]] (t = tanh 1/√(1 + 10⁻⁵)), db2 = 0 et tous les autres gradients nuls",
      // tf.tidy frees every tensor the test and the submission create.
      run: (f) => tf.tidy(() => {
        const tiny = tinyBatchNormMlp(0);
        try {
          const t = Math.tanh(1 / Math.sqrt(1 + 1e-5));
          const grads = withoutAutograd(() => f(tiny.params, tiny.forward));
          expectEqual(grads.W2.shape, [1, 2], "forme de dW2");
          expectClose(Array.from(grads.W2.dataSync()), [t / 2, -t / 2], 1e-6, "dW2");
          expectClose(Array.from(grads.b2.dataSync()), [0, 0], 1e-6, "db2");
          for (const name of ["C", "W1", "b1", "bnGain", "bnBias"] as const) {
            expectClose(Array.from(grads[name].dataSync()), new Array(grads[name].size).fill(0), 1e-7, `d${name}`);
          }
          tf.dispose(grads as unknown as tf.TensorContainer);
        } finally {
          tiny.dispose();
        }
      }),
    },
    {
      // Same batch, W2 = [[1, −1]]: logits = [[−t, t], [t, −t]], both targets have logit −t, q = σ(−2t) = 1/(1 + e^{2t}).
      // dlogits = [[q − 1, 1 − q], [1 − q, q − 1]]/2; db2 = 0; dW2 = −t·[q − 1, 1 − q]/2 + t·[1 − q, q − 1]/2 = [t(1 − q), −t(1 − q)].
      // dh = dlogits·[1, −1]ᵀ = [q − 1, 1 − q]; dhpreact = dh·(1 − t²) = [−k, k] with k = (1 − q)(1 − t²);
      // dbnBias = −k + k = 0; dbnGain = (−k)(−s) + k·s = 2ks; db1 = 0 (BatchNorm subtracts the mean).
      name: "à la main, W2 = [[1, −1]] : dW2 = [[t(1 − q), −t(1 − q)]], dbnGain = 2ks, dbnBias = 0, db1 = 0 (q = 1/(1 + e^{2t}), k = (1 − q)(1 − t²))",
      // tf.tidy frees every tensor the test and the submission create.
      run: (f) => tf.tidy(() => {
        const tiny = tinyBatchNormMlp(1);
        try {
          const s = 1 / Math.sqrt(1 + 1e-5);
          const t = Math.tanh(s);
          const q = 1 / (1 + Math.exp(2 * t));
          const k = (1 - q) * (1 - t * t);
          const grads = withoutAutograd(() => f(tiny.params, tiny.forward));
          expectEqual(grads.W2.shape, [1, 2], "forme de dW2");
          expectClose(Array.from(grads.W2.dataSync()), [t * (1 - q), -t * (1 - q)], 1e-6, "dW2");
          expectClose(Array.from(grads.b2.dataSync()), [0, 0], 1e-6, "db2");
          expectClose(Array.from(grads.bnGain.dataSync()), [2 * k * s], 1e-6, "dbnGain");
          expectClose(Array.from(grads.bnBias.dataSync()), [0], 1e-6, "dbnBias");
          expectClose(Array.from(grads.b1.dataSync()), [0], 1e-6, "db1");
          tf.dispose(grads as unknown as tf.TensorContainer);
        } finally {
          tiny.dispose();
        }
      }),
    },
    {
      name: "V = 7, B = 3, E = 4, H = 10, batch de 16 : les 7 gradients égaux à ceux de tf.variableGrads à 2·10⁻⁵ près, tenseur par tenseur",
      run: (f) => tf.tidy(() => compareWithAutograd(f, { vocabSize: 7, contextSize: 3, embeddingSize: 4, hiddenSize: 10 }, 5, 16)),
    },
    {
      name: "la taille du TP (V = 28, B = 3, E = 10, H = 64), batch de 32 (des symboles reviennent dans les contextes : leurs gradients s'additionnent dans C) : mêmes gradients que tf.variableGrads",
      run: (f) => tf.tidy(() => compareWithAutograd(f, { vocabSize: 28, contextSize: 3, embeddingSize: 10, hiddenSize: 64 }, 8, 32)),
    },
  ],
});

export default defineLesson({
  tp: "tp04",
  notebook: "tp04-mlp",
  title: "Modèle de langage MLP (Bengio et al., 2003)",
  exercises: [buildContexts, mlpForward, crossEntropy, sgdStep, trainMlp, batchNorm, mlpBackward],
});
