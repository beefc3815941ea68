/**
 * TP8 — BERT, encoder-only: the exercises of solutions/tp08-bert.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { Random } from "../lib/random";

type ApplyMasking = (
  ids: number[],
  positions: number[],
  draws: number[],
  randomIds: number[],
  maskId: number,
) => { inputs: number[]; labels: number[] };
type MeanPooling = (hidden: number[][][], attentionMask: number[][]) => number[][];
type BinaryCrossEntropy = (logits: number[], labels: number[]) => number;
type LogisticStep = (w: number[], b: number, X: number[][], y: number[], lr: number) => { w: number[]; b: number };
type TrainHead = (X: number[][], y: number[], options: { steps: number; batchSize: number; lr: number; rng: Random }) => { w: number[]; b: number; losses: number[] };
type Confusion = { truePositives: number; falsePositives: number; falseNegatives: number; trueNegatives: number };
type ClassificationMetrics = (m: Confusion) => { accuracy: number; precision: number; recall: number; f1: number };

const applyMasking = defineExercise<ApplyMasking>({
  id: "tp08.apply_masking",
  title: "La règle 80 / 10 / 10 du MLM",
  symbol: "applyMasking",
  kind: "function",
  points: 3,
  task: "compléter applyMasking(ids, positions, draws, randomIds, maskId) : pour la k-ième position choisie, [MASK] si draws[k] < 0.8, randomIds[k] si draws[k] < 0.9, le token inchangé sinon ; labels = le token d'origine aux positions choisies, −100 ailleurs",
  hints: [
    "Copiez d'abord : inputs = [...ids], labels = ids.map(() => -100) (−100 = position ignorée par la perte).",
    "Pour k = 0, 1, … : p = positions[k] ; labels[p] = ids[p] dans les trois cas (même inchangé, le token doit être prédit).",
    "Les seuils : r < 0.8 → maskId ; 0.8 ≤ r < 0.9 → randomIds[k] ; r ≥ 0.9 → on ne touche pas inputs[p].",
  ],
  tests: [
    {
      // positions 1, 3, 4 with r = 0.5 (→ [MASK] = 4), 0.85 (→ random 41), 0.95 (→ unchanged 13)
      name: "[CLS] 10 11 12 13 [SEP], positions 1, 3, 4, tirages 0.5 / 0.85 / 0.95 → [MASK], aléatoire, inchangé",
      run: (f) =>
        expectEqual(f([2, 10, 11, 12, 13, 3], [1, 3, 4], [0.5, 0.85, 0.95], [40, 41, 42], 4), {
          inputs: [2, 4, 11, 41, 13, 3],
          labels: [-100, 10, -100, 12, 13, -100],
        }),
    },
    {
      // r = 0.8 is not < 0.8 → random (20); r = 0.9 is not < 0.9 → unchanged (8); r = 0 → [MASK]
      name: "les seuils : 0.8 → aléatoire, 0.9 → inchangé, 0 → [MASK]",
      run: (f) =>
        expectEqual(f([2, 7, 8, 9, 3], [1, 2, 3], [0.8, 0.9, 0], [20, 21, 22], 4), {
          inputs: [2, 20, 8, 4, 3],
          labels: [-100, 7, 8, 9, -100],
        }),
    },
    {
      name: "aucune position choisie → entrée inchangée, toutes les étiquettes à −100",
      run: (f) => expectEqual(f([2, 5, 3], [], [], [], 4), { inputs: [2, 5, 3], labels: [-100, -100, -100] }),
    },
    {
      name: "le tableau ids reçu n'est pas modifié",
      run: (f) => {
        const ids = [2, 10, 11, 3];
        f(ids, [1, 2], [0.1, 0.85], [30, 31], 4);
        expectEqual(ids, [2, 10, 11, 3], "ids après l'appel");
      },
    },
  ],
});

const meanPooling = defineExercise<MeanPooling>({
  id: "tp08.mean_pooling",
  title: "Mean pooling avec le masque d'attention",
  symbol: "meanPooling",
  kind: "function",
  points: 2,
  task: "compléter meanPooling(hidden, attentionMask) : pour chaque texte b, Σₜ mask[b][t]·hidden[b][t] / max(Σₜ mask[b][t], 1e-9) (la moyenne des vecteurs des vrais tokens, le padding exclu)",
  hints: [
    "hidden[b][t] est le vecteur (longueur d) du token t du texte b ; attentionMask[b][t] vaut 1 pour un vrai token, 0 pour [PAD].",
    "Additionnez mask · vecteur composante par composante, puis divisez par le nombre de vrais tokens.",
    "Comme sentence-transformers : diviser par max(Σ mask, 1e-9), si bien qu'un masque tout à 0 donne le vecteur nul.",
  ],
  tests: [
    {
      // (1,2) and (3,4) are real tokens, (100,100) is padding: mean = (2, 3)
      name: "un texte de 2 tokens + 1 [PAD] : [[1,2],[3,4],[100,100]], masque [1,1,0] → [2, 3]",
      run: (f) => expectClose(f([[[1, 2], [3, 4], [100, 100]]], [[1, 1, 0]])[0]!, [2, 3], 1e-12),
    },
    {
      // text 1: mean of (0,0), (3,3), (6,−3) = (3, 0); text 2: only (5, 1) counts
      name: "deux textes : le premier sans padding → (3, 0), le second d'un seul token → (5, 1)",
      run: (f) => {
        const out = f([[[0, 0], [3, 3], [6, -3]], [[5, 1], [9, 9], [-7, 2]]], [[1, 1, 1], [1, 0, 0]]);
        expectEqual(out.length, 2, "nombre de vecteurs");
        expectClose(out[0]!, [3, 0], 1e-12, "texte 1");
        expectClose(out[1]!, [5, 1], 1e-12, "texte 2");
      },
    },
    {
      name: "les valeurs sous le padding ne changent rien",
      run: (f) => {
        const a = f([[[1, -1], [2, 4], [0, 0]]], [[1, 1, 0]])[0]!;
        const b = f([[[1, -1], [2, 4], [-50, 80]]], [[1, 1, 0]])[0]!;
        expectClose(a, [1.5, 1.5], 1e-12);
        expectClose(b, a, 1e-12, "avec d'autres valeurs sous le [PAD]");
      },
    },
    {
      name: "masque entièrement nul → vecteur nul (pas de NaN)",
      run: (f) => expectClose(f([[[1, 2], [3, 4]]], [[0, 0]])[0]!, [0, 0], 1e-12),
    },
  ],
});

const binaryCrossEntropy = defineExercise<BinaryCrossEntropy>({
  id: "tp08.binary_cross_entropy",
  title: "Sigmoïde et entropie croisée binaire",
  symbol: "binaryCrossEntropy",
  kind: "function",
  points: 2,
  task: "compléter binaryCrossEntropy(logits, labels) : la moyenne de −[y·ln σ(z) + (1 − y)·ln(1 − σ(z))], calculée de façon stable (pas d'Infinity ni de NaN pour |z| = 1000)",
  hints: [
    "σ(z) = 1 / (1 + e^(−z)), et 1 − σ(z) = σ(−z).",
    "−ln σ(z) = ln(1 + e^(−z)) : pour y = 1 la perte est ln(1 + e^(−z)), pour y = 0 elle est ln(1 + e^(z)).",
    "ln(1 + eˢ) de façon stable : s > 0 ? s + Math.log1p(Math.exp(−s)) : Math.log1p(Math.exp(s)).",
  ],
  tests: [
    {
      name: "logit 0 (σ = 0,5) → ln 2, quelle que soit l'étiquette",
      run: (f) => {
        expectClose(f([0], [1]), Math.LN2, 1e-12, "y = 1");
        expectClose(f([0], [0]), Math.LN2, 1e-12, "y = 0");
      },
    },
    {
      // σ(ln 3) = 3/4: y = 1 → −ln(3/4) = ln(4/3); y = 0 → −ln(1/4) = ln 4; mean of the two
      name: "z = ln 3 (σ = 3/4) avec y = 1 puis y = 0 → (ln(4/3) + ln 4) / 2",
      run: (f) => expectClose(f([Math.log(3), Math.log(3)], [1, 0]), (Math.log(4 / 3) + Math.log(4)) / 2, 1e-12),
    },
    {
      name: "stable pour de grands logits : z = 1000 → 0 (y = 1) ou 1000 (y = 0) ; z = −1000, y = 0 → 0",
      run: (f) => {
        expectClose(f([1000], [1]), 0, 1e-9, "z = 1000, y = 1");
        expectClose(f([1000], [0]), 1000, 1e-9, "z = 1000, y = 0");
        expectClose(f([-1000], [0]), 0, 1e-9, "z = −1000, y = 0");
      },
    },
  ],
});

const logisticStep = defineExercise<LogisticStep>({
  id: "tp08.logistic_step",
  title: "Un pas de gradient de la régression logistique",
  symbol: "logisticStep",
  kind: "function",
  points: 2,
  task: "compléter logisticStep(w, b, X, y, lr) : pᵢ = σ(w·xᵢ + b), gradients g_w = moyenne de (pᵢ − yᵢ)·xᵢ et g_b = moyenne de (pᵢ − yᵢ) ; renvoyer { w: w − lr·g_w, b: b − lr·g_b }",
  hints: [
    "La dérivée de l'entropie croisée binaire par rapport au logit z est simplement σ(z) − y.",
    "Moyenne sur les n exemples : g_w[j] = (1/n) Σᵢ (pᵢ − yᵢ)·X[i][j].",
    "Ne modifiez pas w en place : construisez un nouveau tableau.",
  ],
  tests: [
    {
      // p = [0.5, 0.5], errors [−0.5, 0.5]; g_w = ([−0.5, −1] + [1.5, −0.5]) / 2 = [0.5, −0.75]; g_b = 0
      // w = [0, 0] − 0.5·[0.5, −0.75] = [−0.25, 0.375]
      name: "w = [0, 0], b = 0, deux exemples [1, 2] → 1 et [3, −1] → 0, lr = 0.5 → w = [−0.25, 0.375], b = 0",
      run: (f) => {
        const out = f([0, 0], 0, [[1, 2], [3, -1]], [1, 0], 0.5);
        expectClose(out.w, [-0.25, 0.375], 1e-12, "w");
        expectClose(out.b, 0, 1e-12, "b");
      },
    },
    {
      // z = ln 3, p = 3/4, error = −1/4: w = ln 3 + 1/4, b = 0 + 1/4
      name: "w = [ln 3], b = 0, x = [1], y = 1, lr = 1 (p = 3/4) → w = [ln 3 + 0.25], b = 0.25",
      run: (f) => {
        const out = f([Math.log(3)], 0, [[1]], [1], 1);
        expectClose(out.w, [Math.log(3) + 0.25], 1e-12, "w");
        expectClose(out.b, 0.25, 1e-12, "b");
      },
    },
    {
      // z = 0·2 + ln 3 = ln 3 → p = 3/4, y = 0: error 3/4; w = 0 − 0.1·(3/4·2) = −0.15, b = ln 3 − 0.1·3/4
      name: "le biais compte dans le logit : w = [0], b = ln 3, x = [2], y = 0, lr = 0.1 → w = [−0.15], b = ln 3 − 0.075",
      run: (f) => {
        const out = f([0], Math.log(3), [[2]], [0], 0.1);
        expectClose(out.w, [-0.15], 1e-12, "w");
        expectClose(out.b, Math.log(3) - 0.075, 1e-12, "b");
      },
    },
    {
      name: "les poids reçus ne sont pas modifiés",
      run: (f) => {
        const w = [1, 2];
        f(w, 0, [[1, 1]], [0], 0.1);
        expectEqual(w, [1, 2], "w après l'appel");
      },
    },
  ],
});

const classificationMetrics = defineExercise<ClassificationMetrics>({
  id: "tp08.classification_metrics",
  title: "Accuracy, précision, rappel et F1 depuis la matrice de confusion",
  symbol: "classificationMetrics",
  kind: "function",
  points: 1,
  task: "compléter classificationMetrics(m) : accuracy = (VP + VN) / total, précision = VP / (VP + FP), rappel = VP / (VP + FN), F1 = 2·VP / (2·VP + FP + FN) ; 0 quand un dénominateur est nul",
  hints: [
    "VP = m.truePositives (spam détecté), FP = m.falsePositives (ham classé spam), FN = m.falseNegatives (spam manqué), VN = m.trueNegatives.",
    "F1 est la moyenne harmonique de la précision et du rappel : 2PR / (P + R) = 2VP / (2VP + FP + FN).",
    "Un classifieur qui ne dit jamais « spam » a VP = FP = 0 : sa précision 0/0 vaut 0 par convention (comme scikit-learn avec zero_division=0).",
  ],
  tests: [
    {
      // accuracy (8 + 86) / 100 = 0.94; precision 8/10 = 0.8; recall 8/12 = 2/3; F1 = 16 / (16 + 2 + 4) = 8/11
      name: "VP 8, FP 2, FN 4, VN 86 → accuracy 0.94, précision 0.8, rappel 2/3, F1 8/11",
      run: (f) => {
        const out = f({ truePositives: 8, falsePositives: 2, falseNegatives: 4, trueNegatives: 86 });
        expectClose([out.accuracy, out.precision, out.recall, out.f1], [0.94, 0.8, 2 / 3, 8 / 11], 1e-12, "[accuracy, précision, rappel, F1]");
      },
    },
    {
      // 69 ham, 31 spam, always "ham": accuracy 0.69, precision 0/0 → 0, recall 0/31 = 0, F1 0
      name: "toujours « ham » (VP 0, FP 0, FN 31, VN 69) → accuracy 0.69 mais F1 0, sans NaN",
      run: (f) => {
        const out = f({ truePositives: 0, falsePositives: 0, falseNegatives: 31, trueNegatives: 69 });
        expectClose([out.accuracy, out.precision, out.recall, out.f1], [0.69, 0, 0, 0], 1e-12, "[accuracy, précision, rappel, F1]");
      },
    },
    {
      name: "classifieur parfait (VP 5, VN 5) → tout vaut 1",
      run: (f) => {
        const out = f({ truePositives: 5, falsePositives: 0, falseNegatives: 0, trueNegatives: 5 });
        expectClose([out.accuracy, out.precision, out.recall, out.f1], [1, 1, 1, 1], 1e-12);
      },
    },
    {
      // precision 1/1, recall 1/9: F1 = 2/(2 + 0 + 8) = 0.2, the harmonic mean, far below the arithmetic 0.556
      name: "F1 est une moyenne harmonique : précision 1, rappel 1/9 → F1 0.2",
      run: (f) => {
        const out = f({ truePositives: 1, falsePositives: 0, falseNegatives: 8, trueNegatives: 11 });
        expectTrue(Math.abs(out.f1 - 0.2) < 1e-12, `F1 attendu 0.2 (2·1 / (2·1 + 0 + 8)), obtenu ${out.f1}`);
      },
    },
  ],
});

/** The exercise's loop written out, for reference: the same minibatches, one gradient step each. */
function referenceHead(X: number[][], y: number[], steps: number, batchSize: number, lr: number, rng: Random) {
  let w = new Array<number>(X[0]!.length).fill(0);
  let b = 0;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const rows = Array.from({ length: batchSize }, () => rng.int(X.length));
    const n = rows.length;
    const gradW = new Array<number>(w.length).fill(0);
    let gradB = 0;
    let loss = 0;
    for (const i of rows) {
      const z = X[i]!.reduce((sum, xj, j) => sum + xj * w[j]!, b);
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z;
      const error = 1 / (1 + Math.exp(-z)) - y[i]!;
      gradB += error / n;
      X[i]!.forEach((xj, j) => (gradW[j] += (error * xj) / n));
    }
    losses.push(loss / n);
    w = w.map((wj, j) => wj - lr * gradW[j]!);
    b -= lr * gradB;
  }
  return { w, b, losses };
}

/** Two Gaussian clouds in 3-D, centred at ±(1, 1, 0): label 1 for the positive one. */
function twoClouds(n: number, seed: number) {
  const rng = new Random(seed);
  const y = Array.from({ length: n }, (_, i) => i % 2);
  const X = y.map((label) => [label ? 1 : -1, label ? 1 : -1, 0].map((c) => c + 0.7 * rng.normal()));
  return { X, y };
}

const trainLogisticHead = defineExercise<TrainHead>({
  id: "tp08.train_head",
  title: "La boucle d'entraînement de la tête de classification",
  symbol: "trainLogisticHead",
  kind: "function",
  points: 4,
  offLimits: ["fitLogisticRegression"],
  task:
    "compléter trainLogisticHead(X, y, { steps, batchSize, lr, rng }) : partir de w = 0 et b = 0 ; à chaque pas, tirer un minibatch de batchSize indices rng.int(X.length), noter sa perte (l'entropie croisée binaire moyenne des logits w·x + b, avant le pas), puis (w, b) = logisticStep(w, b, X du minibatch, y du minibatch, lr) ; renvoyer { w, b, losses }",
  hints: [
    "Les indices : const rows = Array.from({ length: batchSize }, () => rng.int(X.length)), puis rows.map((i) => X[i]) et rows.map((i) => y[i]).",
    "La perte du minibatch : binaryCrossEntropy (exercice 3) des logits rows.map((i) => w·X[i] + b).",
    "Le pas : logisticStep (exercice 4) renvoie de nouveaux w et b ; gardez-les pour le pas suivant.",
  ],
  tests: [
    {
      // One step on all four points: w = 0 gives p = ½ everywhere, loss ln 2; the step is logisticStep's.
      name: "1 pas, lr 1, w = 0 : perte ln 2 puis la mise à jour de logisticStep",
      run: (f) => {
        const X = [[1, 0], [0, 1], [1, 1], [-1, 0]];
        const y = [1, 0, 1, 0];
        const expected = referenceHead(X, y, 1, 4, 1, new Random(2));
        const out = f(X, y, { steps: 1, batchSize: 4, lr: 1, rng: new Random(2) });
        expectClose(out.losses, [Math.LN2], 1e-12, "perte du premier pas");
        expectClose(out.w, expected.w, 1e-12, "w");
        expectClose(out.b, expected.b, 1e-12, "b");
      },
    },
    {
      name: "200 pas (batch 16, lr 0,5) sur deux nuages de points : les mêmes pertes et les mêmes poids que la boucle de référence",
      run: (f) => {
        const { X, y } = twoClouds(100, 4);
        const expected = referenceHead(X, y, 200, 16, 0.5, new Random(9));
        const out = f(X, y, { steps: 200, batchSize: 16, lr: 0.5, rng: new Random(9) });
        expectClose(out.losses, expected.losses, 1e-9, "pertes");
        expectClose([...out.w, out.b], [...expected.w, expected.b], 1e-9, "w et b");
      },
    },
    {
      name: "la tête apprise sépare les deux nuages : plus de 90 % de bonnes réponses sur 200 nouveaux points",
      run: (f) => {
        const train = twoClouds(200, 5);
        const test = twoClouds(200, 6);
        const { w, b } = f(train.X, train.y, { steps: 300, batchSize: 32, lr: 0.5, rng: new Random(1) });
        const correct = test.X.filter((x, i) => (x.reduce((sum, xj, j) => sum + xj * w[j]!, b) > 0 ? 1 : 0) === test.y[i]).length;
        expectTrue(correct / test.X.length > 0.9, `${correct} bonnes réponses sur ${test.X.length}`);
      },
    },
  ],
});

export default defineLesson({
  tp: "tp08",
  notebook: "tp08-bert",
  title: "BERT : un encodeur, le masked language model et la classification de spams",
  exercises: [applyMasking, meanPooling, binaryCrossEntropy, logisticStep, trainLogisticHead, classificationMetrics],
});
