/**
 * TP13 — Fine-tuning: the exercises of solutions/tp13-finetuning.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments. The exercises work on plain numbers, arrays and
 * token strings; the library's versions (lib/chat's assistantMask over token ids, lib/finetuning's LoRA
 * layers and DPO loss over tfjs tensors) take other inputs, so none is one call away.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectThrows, expectTrue } from "../lib/grading/expect";

type Matrix = number[][];
type LossMask = (tokens: string[]) => number[];
type LoraForward = (x: number[], W: Matrix, A: Matrix, B: Matrix, alpha: number) => number[];
type LoraParameterCount = (layers: { inFeatures: number; outFeatures: number }[], rank: number) => number;
type MergeLora = (W: Matrix, A: Matrix, B: Matrix, alpha: number) => Matrix;
type PreferenceScores = { policyChosen: number; policyRejected: number; referenceChosen: number; referenceRejected: number };
type DpoLoss = (pairs: PreferenceScores[], beta: number) => number;
type PpoClip = (ratio: number, advantage: number, epsilon: number) => number;

const lossMask = defineExercise<LossMask>({
  id: "tp13.loss_mask",
  title: "Le masque de perte de l'assistant",
  symbol: "lossMask",
  kind: "function",
  points: 2,
  task:
    "compléter lossMask(tokens) : pour chaque jeton, 1 s'il fait partie d'une réponse de l'assistant — les jetons après « <|assistant|> » jusqu'au « <|end|> » inclus — et 0 sinon (le jeton « <|assistant|> » lui-même, les messages system, user et tool, les retours à la ligne entre les messages)",
  hints: [
    "Parcourez les jetons avec un drapeau « dans une réponse » : « <|assistant|> » l'allume (et vaut 0), « <|end|> » vaut 1 s'il est allumé puis l'éteint.",
    "Une réponse non terminée (pas de « <|end|> ») reste à 1 jusqu'à la fin.",
  ],
  tests: [
    {
      name: "un échange : seul « Yo <|end|> » compte",
      run: (f) => expectEqual(f(["<|user|>", "Hi", "<|end|>", "\n", "<|assistant|>", "Yo", "<|end|>", "\n"]), [0, 0, 0, 0, 0, 1, 1, 0]),
    },
    {
      name: "deux tours avec un message system",
      run: (f) =>
        expectEqual(
          f(["<|system|>", "Sois bref.", "<|end|>", "<|user|>", "2+2 ?", "<|end|>", "<|assistant|>", "4", "<|end|>", "<|user|>", "Merci", "<|end|>", "<|assistant|>", "De rien", "<|end|>"]),
          [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1],
        ),
    },
    {
      name: "un appel d'outil est appris, le résultat de l'outil ne l'est pas",
      run: (f) => expectEqual(f(["<|assistant|>", "<tool_call>", "<|end|>", "<|tool|>", "5", "<|end|>", "<|assistant|>", "5.", "<|end|>"]), [0, 1, 1, 0, 0, 0, 0, 1, 1]),
    },
    { name: "une réponse non terminée reste dans le masque", run: (f) => expectEqual(f(["<|user|>", "a", "<|end|>", "<|assistant|>", "b", "c"]), [0, 0, 0, 0, 1, 1]) },
  ],
});

const loraForward = defineExercise<LoraForward>({
  id: "tp13.lora_forward",
  title: "La passe avant d'une couche LoRA",
  symbol: "loraForward",
  kind: "function",
  points: 2,
  task:
    "compléter loraForward(x, W, A, B, alpha) : y = W·x + (alpha / r)·B·(A·x) avec W [sortie][entrée], A [r][entrée], B [sortie][r] et r = le nombre de lignes de A ; sans jamais former la matrice B·A (deux petits produits) ; une erreur si les dimensions ne s'accordent pas",
  hints: [
    "Écrivez un produit matrice × vecteur : (M·v)[i] = Σ_j M[i][j]·v[j].",
    "h = A·x a r composantes ; B·h a autant de composantes que W·x ; ajoutez-les avec le facteur alpha / r.",
    "Vérifiez A[0].length === x.length, W[0].length === x.length, B.length === W.length et B[0].length === A.length, sinon throw new Error(...).",
  ],
  tests: [
    {
      // W·x = [1, 2]; A·x = [3]; B·[3] = [6, 0]; α/r = 1 → [7, 2]; α/r = 2 → [13, 2]
      name: "W = I, A = [[1, 1]], B = [[2], [0]], x = [1, 2] : α = 1 → [7, 2], α = 2 → [13, 2]",
      run: (f) => {
        expectClose(f([1, 2], [[1, 0], [0, 1]], [[1, 1]], [[2], [0]], 1), [7, 2], 1e-9, "α = 1");
        expectClose(f([1, 2], [[1, 0], [0, 1]], [[1, 1]], [[2], [0]], 2), [13, 2], 1e-9, "α = 2");
      },
    },
    {
      // W·x = [−1, −1, −1]; A·x = [1, −1]; B·A·x = [1, −1, 0]; α/r = 4/2 = 2 → [1, −3, −1]
      name: "une couche 2 → 3 de rang 2 (α = 4) : x = [1, −1] → [1, −3, −1]",
      run: (f) => expectClose(f([1, -1], [[1, 2], [3, 4], [5, 6]], [[1, 0], [0, 1]], [[1, 0], [0, 1], [1, 1]], 4), [1, -3, -1], 1e-9),
    },
    {
      name: "B = 0 : la couche adaptée calcule exactement W·x",
      run: (f) => expectClose(f([1, -1], [[1, 2], [3, 4], [5, 6]], [[0.3, -0.7], [1.1, 0.2]], [[0, 0], [0, 0], [0, 0]], 16), [-1, -1, -1], 1e-12),
    },
    {
      name: "des dimensions incompatibles → une erreur",
      run: (f) => {
        // A stub that always throws must not pass: the same function has to accept matching shapes.
        expectClose(f([1, 2], [[1, 0], [0, 1]], [[1, 1]], [[2], [0]], 1), [7, 2], 1e-9, "dimensions correctes");
        expectThrows(() => f([1, 2, 3], [[1, 0], [0, 1]], [[1, 1]], [[2], [0]], 1), undefined, "x a 3 composantes, W en attend 2");
        expectThrows(() => f([1, 2], [[1, 0], [0, 1]], [[1, 1]], [[2, 1], [0, 1]], 1), undefined, "B a 2 colonnes, A a 1 ligne");
      },
    },
  ],
});

const loraParameterCount = defineExercise<LoraParameterCount>({
  id: "tp13.lora_parameter_count",
  title: "Compter les paramètres entraînables de LoRA",
  symbol: "loraParameterCount",
  kind: "function",
  points: 1,
  task: "compléter loraParameterCount(layers, rank) : le nombre de paramètres de A et B sur toutes les couches listées, r·(entrée + sortie) par couche ; une erreur si le rang dépasse min(entrée, sortie) d'une couche",
  hints: ["A a r × entrée nombres, B a sortie × r nombres.", "Le rang d'une matrice entrée × sortie ne peut pas dépasser min(entrée, sortie) : throw new Error(...) dans ce cas."],
  tests: [
    // 8·(128 + 128) = 2048
    { name: "une projection 128 × 128 au rang 8 → 2 048", run: (f) => expectEqual(f([{ inFeatures: 128, outFeatures: 128 }], 8), 2048) },
    {
      // 32 blocks × (W_Q, W_V) of 4096 × 4096 at r = 8: 64 · 8 · 8192 = 4,194,304 (peft's figure for Llama-2-7B)
      name: "Llama-2-7B, W_Q et W_V de ses 32 blocs (4096 × 4096) au rang 8 → 4 194 304",
      run: (f) => expectEqual(f(Array.from({ length: 64 }, () => ({ inFeatures: 4096, outFeatures: 4096 })), 8), 4_194_304),
    },
    // 4·(128 + 512) + 4·(512 + 128) = 5120
    { name: "couches rectangulaires 128 → 512 et 512 → 128 au rang 4 → 5 120", run: (f) => expectEqual(f([{ inFeatures: 128, outFeatures: 512 }, { inFeatures: 512, outFeatures: 128 }], 4), 5120) },
    {
      name: "un rang plus grand que la couche → une erreur (le rang 4 passe)",
      run: (f) => {
        // 4·(4 + 16) = 80
        expectEqual(f([{ inFeatures: 4, outFeatures: 16 }], 4), 80, "rang 4");
        expectThrows(() => f([{ inFeatures: 4, outFeatures: 16 }], 5), undefined, "rang 5 sur une couche 4 → 16");
      },
    },
  ],
});

const mergeLora = defineExercise<MergeLora>({
  id: "tp13.merge_lora",
  title: "Fusionner un adaptateur dans les poids",
  symbol: "mergeLora",
  kind: "function",
  points: 2,
  task: "compléter mergeLora(W, A, B, alpha) : la nouvelle matrice W' = W + (alpha / r)·B·A (r = nombre de lignes de A), sans modifier W",
  hints: ["(B·A)[i][j] = Σ_k B[i][k]·A[k][j] : une matrice de la forme de W.", "Construisez une nouvelle matrice (W.map(...)) plutôt que d'écrire dans W."],
  tests: [
    {
      // B·A = [[2, 2], [0, 0]] → W' = [[3, 2], [0, 1]] (and W'·[1, 2] = [7, 2], the adapter's output)
      name: "W = I, A = [[1, 1]], B = [[2], [0]], α = 1 → [[3, 2], [0, 1]]",
      run: (f) => expectEqual(f([[1, 0], [0, 1]], [[1, 1]], [[2], [0]], 1), [[3, 2], [0, 1]]),
    },
    {
      // B·A = B; α/r = 2 → 2B = [[2, 0], [0, 2], [2, 2]] → W' = [[3, 2], [3, 6], [7, 8]]
      name: "une couche 2 → 3 de rang 2 (α = 4) → [[3, 2], [3, 6], [7, 8]]",
      run: (f) => expectEqual(f([[1, 2], [3, 4], [5, 6]], [[1, 0], [0, 1]], [[1, 0], [0, 1], [1, 1]], 4), [[3, 2], [3, 6], [7, 8]]),
    },
    {
      name: "W n'est pas modifiée",
      run: (f) => {
        const W = [[1, 0], [0, 1]];
        f(W, [[1, 1]], [[2], [0]], 1);
        expectEqual(W, [[1, 0], [0, 1]], "W après l'appel");
      },
    },
  ],
});

const dpoLoss = defineExercise<DpoLoss>({
  id: "tp13.dpo_loss",
  title: "La perte DPO",
  symbol: "dpoLoss",
  kind: "function",
  points: 2,
  task:
    "compléter dpoLoss(pairs, beta) : la moyenne sur les paires de −log σ(β·[(log π(y⁺) − log π_ref(y⁺)) − (log π(y⁻) − log π_ref(y⁻))]), calculée de façon stable (−log σ(z) = log(1 + e^−z), sans débordement pour |z| grand) ; une erreur si beta ≤ 0",
  hints: [
    "La marge z = β·((policyChosen − referenceChosen) − (policyRejected − referenceRejected)).",
    "−log σ(z) = log(1 + e^(−z)) ; pour z très négatif, e^(−z) déborde : écrivez max(−z, 0) + log(1 + e^(−|z|)).",
  ],
  tests: [
    { name: "politique = référence → ln 2", run: (f) => expectClose(f([{ policyChosen: -7, policyRejected: -9, referenceChosen: -7, referenceRejected: -9 }], 0.1), Math.LN2, 1e-9) },
    {
      // margin 0.1·((−10 + 11) − (−12 + 11)) = 0.2 → log(1 + e^−0.2) = 0.598139…; the mirrored pair: log(1 + e^0.2) = 0.798139…
      name: "β = 0.1, marge 0.2 → 0.598139 ; avec la paire inverse, moyenne 0.698139",
      run: (f) => {
        const pair = { policyChosen: -10, policyRejected: -12, referenceChosen: -11, referenceRejected: -11 };
        expectClose(f([pair], 0.1), 0.598139, 1e-6);
        expectClose(f([pair, { policyChosen: -11, policyRejected: -11, referenceChosen: -10, referenceRejected: -12 }], 0.1), 0.698139, 1e-6);
      },
    },
    {
      // margin ±2000: loss ≈ 0 and 2000 (a naive −Math.log(sigmoid) gives Infinity)
      name: "stable pour de grandes marges : ±2000 → 0 et 2000",
      run: (f) => {
        expectClose(f([{ policyChosen: 0, policyRejected: -20000, referenceChosen: 0, referenceRejected: 0 }], 0.1), 0, 1e-9, "marge +2000");
        expectClose(f([{ policyChosen: -20000, policyRejected: 0, referenceChosen: 0, referenceRejected: 0 }], 0.1), 2000, 1e-6, "marge −2000");
      },
    },
    {
      name: "beta ≤ 0 → une erreur (beta = 1 passe)",
      run: (f) => {
        const pair = { policyChosen: 0, policyRejected: 0, referenceChosen: 0, referenceRejected: 0 };
        expectClose(f([pair], 1), Math.LN2, 1e-9, "beta = 1");
        expectThrows(() => f([pair], 0), undefined, "beta = 0");
      },
    },
  ],
});

const ppoClip = defineExercise<PpoClip>({
  id: "tp13.ppo_clip",
  title: "L'objectif « clippé » de PPO",
  symbol: "ppoClip",
  kind: "function",
  points: 1,
  task: "compléter ppoClip(ratio, advantage, epsilon) : min(r·A, clip(r, 1 − ε, 1 + ε)·A), l'objectif de PPO pour un jeton (à maximiser)",
  hints: ["clip(r, a, b) = Math.min(Math.max(r, a), b).", "Avec A < 0, le min garde le terme le plus pessimiste : c'est lui qui empêche de trop s'éloigner."],
  tests: [
    // min(1.5·2 = 3, 1.2·2 = 2.4) = 2.4; min(0.5·2 = 1, 0.8·2 = 1.6) = 1
    { name: "A = 2, ε = 0.2 : r = 1.5 → 2.4 (plafonné), r = 0.5 → 1", run: (f) => expectClose([f(1.5, 2, 0.2), f(0.5, 2, 0.2)], [2.4, 1], 1e-12) },
    // min(−0.5, −0.8) = −0.8; min(−1.5, −1.2) = −1.5
    { name: "A = −1, ε = 0.2 : r = 0.5 → −0.8, r = 1.5 → −1.5", run: (f) => expectClose([f(0.5, -1, 0.2), f(1.5, -1, 0.2)], [-0.8, -1.5], 1e-12) },
    { name: "dans l'intervalle, rien n'est coupé : r = 1.1, A = 1 → 1.1", run: (f) => expectTrue(Math.abs(f(1.1, 1, 0.2) - 1.1) < 1e-12, "attendu 1.1") },
  ],
});

export default defineLesson({
  tp: "tp13",
  notebook: "tp13-finetuning",
  title: "Fine-tuning : SFT, LoRA, préférences (DPO)",
  exercises: [lossMask, loraForward, loraParameterCount, mergeLora, dpoLoss, ppoClip],
});
