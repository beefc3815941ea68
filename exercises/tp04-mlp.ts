/**
 * TP4 — MLP language model (Bengio et al. 2003): the exercises of solutions/tp04-mlp.ipynb and their
 * visible tests. Expected values are worked out by hand in the comments.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual } from "../lib/grading/expect";

type BuildContexts = (words: string[], stoi: Map<string, number>, blockSize: number) => { X: number[][]; Y: number[] };
type MlpForward = (
  params: { C: number[][]; W1: number[][]; b1: number[]; W2: number[][]; b2: number[] },
  context: number[],
) => number[];
type CrossEntropy = (logits: number[][], targets: number[]) => number;
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

export default defineLesson({
  tp: "tp04",
  notebook: "tp04-mlp",
  title: "Modèle de langage MLP (Bengio et al., 2003)",
  exercises: [buildContexts, mlpForward, crossEntropy, sgdStep],
});
