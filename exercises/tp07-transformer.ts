/**
 * TP7 — the Transformer (encoder–decoder translator and decoder-only mini-GPT): the exercises of
 * solutions/tp07-transformer.ipynb and their visible tests. Expected values are worked out by hand in the
 * comments.
 */
import * as tf from "@tensorflow/tfjs";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { EncoderLayer, transformerConfig } from "../lib/models/transformer";
import { disposeTinyGpt, tinyGptForward, tinyGptLoss, tinyGptNamedVariables, tinyGptTrainStep, tinyGptWeights, type TinyGptShape, type TinyGptWeights } from "../lib/models/gpt/tiny";
import { Random } from "../lib/random";

type LayerNormFn = (x: number[], gamma: number[], beta: number[], epsilon?: number) => number[];
type Rows = number[][];
type ResidualStep = (x: Rows, sublayer: (h: Rows) => Rows, norm: (row: number[]) => number[], placement: "pre" | "post") => Rows;
type BlockParams = {
  attention: (h: Rows) => Rows;
  gamma1: number[]; beta1: number[]; gamma2: number[]; beta2: number[];
  W1: number[][]; b1: number[]; W2: number[][]; b2: number[];
};
type EncoderBlock = (x: Rows, p: BlockParams, placement: "pre" | "post") => Rows;
type CausalMask = (queries: number, keys?: number) => number[][];
type BlockParameterCount = (dModel: number, dFF: number, kind: "encoder" | "decoder") => number;
type GenerationFlops = (newTokens: number, dModel: number, useCache: boolean) => number;
type GptForward = (w: TinyGptWeights, ids: number[][]) => tf.Tensor;
type GptLoss = (w: TinyGptWeights, windows: number[][]) => tf.Tensor;
type GptTrainStep = (w: TinyGptWeights, windows: number[][], optimizer: tf.Optimizer) => number;

const layerNorm = defineExercise<LayerNormFn>({
  id: "tp07.layer_norm",
  title: "LayerNorm d'un vecteur",
  symbol: "layerNorm",
  kind: "function",
  points: 2,
  task: "compléter layerNorm(x, gamma, beta, epsilon) : centrer x, le diviser par √(variance + epsilon) (variance sur les d composantes, divisée par d), puis renvoyer gamma ⊙ x̂ + beta",
  hints: [
    "μ = (Σ xᵢ) / d et σ² = (Σ (xᵢ − μ)²) / d : on divise par d, pas par d − 1.",
    "x̂ᵢ = (xᵢ − μ) / √(σ² + ε) : ε est sous la racine, il évite une division par 0 pour un vecteur constant.",
    "yᵢ = γᵢ · x̂ᵢ + βᵢ, composante par composante.",
  ],
  tests: [
    {
      // μ = 2.5, σ² = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, √1.25 = √5 / 2 → x̂ = (−1.5, −0.5, 0.5, 1.5)·2/√5 = (−3, −1, 1, 3)/√5
      name: "[1, 2, 3, 4], γ = 1, β = 0, ε = 0 → (−3, −1, 1, 3)/√5",
      run: (f) => expectClose(f([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 0, 0], 0), [-3, -1, 1, 3].map((v) => v / Math.sqrt(5)), 1e-9),
    },
    {
      // μ = 3, σ² = 1 → x̂ = (−1, 1); y = (2·(−1) + 1, 0.5·1 − 1) = (−1, −0.5)
      name: "[2, 4] avec γ = [2, 0.5], β = [1, −1], ε = 0 → [−1, −0.5]",
      run: (f) => expectClose(f([2, 4], [2, 0.5], [1, -1], 0), [-1, -0.5], 1e-9),
    },
    {
      // μ = 1, σ² = 1, ε = 1 → x̂ = (−1, 1)/√2
      name: "ε sous la racine : [0, 2], ε = 1 → [−1/√2, 1/√2]",
      run: (f) => expectClose(f([0, 2], [1, 1], [0, 0], 1), [-Math.SQRT1_2, Math.SQRT1_2], 1e-9),
    },
    {
      name: "vecteur constant [5, 5, 5] avec ε par défaut (1e-5) → [0, 0, 0], sans NaN",
      run: (f) => expectClose(f([5, 5, 5], [1, 1, 1], [0, 0, 0]), [0, 0, 0], 1e-9),
    },
  ],
});

// The tests' stand-ins: a "norm" that doubles each number, and sublayers easy to follow by hand.
const double = (row: number[]) => row.map((v) => 2 * v);
const plusOne = (rows: Rows) => rows.map((row) => row.map((v) => v + 1));
/** Every output row is the mean of the input rows: a sublayer that mixes positions, like attention. */
const meanOfRows = (rows: Rows) => {
  const mean = rows[0]!.map((_, j) => rows.reduce((sum, row) => sum + row[j]!, 0) / rows.length);
  return rows.map(() => [...mean]);
};

const residualStep = defineExercise<ResidualStep>({
  id: "tp07.residual_step",
  title: "Connexion résiduelle et LayerNorm (pre-LN et post-LN)",
  symbol: "residualStep",
  kind: "function",
  points: 2,
  task: "compléter residualStep(x, sublayer, norm, placement) : « pre » renvoie x + sublayer(norm de chaque ligne de x), « post » renvoie norm de chaque ligne de (x + sublayer(x))",
  hints: [
    "x est une séquence : une ligne (un vecteur) par position. norm s'applique ligne par ligne, sublayer à toute la séquence d'un coup (l'attention mélange les positions).",
    "pre-LN (GPT-2, nos modèles) : h = x.map(norm), puis x[i][j] + sublayer(h)[i][j].",
    "post-LN (l'article de 2017) : s = sublayer(x), puis norm de chaque ligne x[i] + s[i].",
    "Ne modifiez pas x : construisez de nouveaux tableaux.",
  ],
  tests: [
    {
      // pre: norm([1, 2]) = [2, 4], +1 → [3, 5], + x → [4, 7]
      name: "pre-LN, x = [[1, 2]], norm = ×2, sous-couche = +1 → [[4, 7]]",
      run: (f) => expectClose(f([[1, 2]], plusOne, double, "pre").flat(), [4, 7], 1e-12),
    },
    {
      // post: x + (x + 1) = [3, 5], norm → [6, 10]
      name: "post-LN, x = [[1, 2]], norm = ×2, sous-couche = +1 → [[6, 10]]",
      run: (f) => expectClose(f([[1, 2]], plusOne, double, "post").flat(), [6, 10], 1e-12),
    },
    {
      // pre: normed [[2, 0], [6, 4]], mean [4, 2] on each row, + x → [[5, 2], [7, 4]]
      // post: mean of x = [2, 1], + x → [[3, 1], [5, 3]], ×2 → [[6, 2], [10, 6]]
      name: "sous-couche qui mélange les positions (moyenne des lignes) : pre → [[5, 2], [7, 4]], post → [[6, 2], [10, 6]]",
      run: (f) => {
        const x = [[1, 0], [3, 2]];
        expectEqual(f(x, meanOfRows, double, "pre"), [[5, 2], [7, 4]], "pre-LN");
        expectEqual(f(x, meanOfRows, double, "post"), [[6, 2], [10, 6]], "post-LN");
      },
    },
    {
      name: "x n'est pas modifié",
      run: (f) => {
        const x = [[1, 2], [3, 4]];
        f(x, plusOne, double, "pre");
        f(x, plusOne, double, "post");
        expectEqual(x, [[1, 2], [3, 4]], "x après les appels");
      },
    },
  ],
});

const causalMask = defineExercise<CausalMask>({
  id: "tp07.causal_mask",
  title: "Le masque causal (avec un cache de clés)",
  symbol: "causalMask",
  kind: "function",
  points: 1,
  offLimits: ["causalMask", "causalMaskArray"],
  task: "compléter causalMask(queries, keys = queries) : la matrice 0/1 [queries × keys] où la requête i voit les clés 0 … i + (keys − queries)",
  hints: [
    "Sans cache (keys = queries) : le triangle inférieur, mask[i][j] = 1 si j ≤ i.",
    "Avec un cache, les requêtes sont les DERNIÈRES positions : la requête i est à la position i + (keys − queries), elle voit les clés j ≤ i + (keys − queries).",
    "N'oubliez pas la valeur par défaut : causalMask(3) = causalMask(3, 3).",
  ],
  tests: [
    { name: "causalMask(1) → [[1]]", run: (f) => expectEqual(f(1), [[1]]) },
    { name: "causalMask(3) → le triangle inférieur", run: (f) => expectEqual(f(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]) },
    // one new token after 3 cached ones: position 3, sees keys 0…3
    { name: "causalMask(1, 4) : un nouveau jeton après 3 en cache voit tout → [[1, 1, 1, 1]]", run: (f) => expectEqual(f(1, 4), [[1, 1, 1, 1]]) },
    // queries at positions 2 and 3
    { name: "causalMask(2, 4) → [[1, 1, 1, 0], [1, 1, 1, 1]]", run: (f) => expectEqual(f(2, 4), [[1, 1, 1, 0], [1, 1, 1, 1]]) },
  ],
});

const blockParameterCount = defineExercise<BlockParameterCount>({
  id: "tp07.block_params",
  title: "Les paramètres d'une couche de Transformer",
  symbol: "blockParameterCount",
  kind: "function",
  points: 2,
  offLimits: ["encoderLayerParameterCount", "decoderLayerParameterCount", "multiHeadAttentionParameterCount", "feedForwardParameterCount", "transformerParameterCount", "countParameters"],
  task: "compléter blockParameterCount(dModel, dFF, kind) : les paramètres d'une couche d'encodeur (attention, feed-forward, 2 LayerNorm) ou de décodeur (2 attentions, feed-forward, 3 LayerNorm), biais compris",
  hints: [
    "Une attention multi-têtes : 4 projections d × d (W_Q, W_K, W_V, W_O), chacune avec d biais → 4·(d² + d). Le nombre de têtes ne change rien.",
    "Le feed-forward : d → d_ff → d, soit d·d_ff + d_ff + d_ff·d + d.",
    "Une LayerNorm : γ et β, 2·d. Encodeur : 1 attention + FF + 2 LN ; décodeur : 2 attentions (masquée, croisée) + FF + 3 LN.",
  ],
  tests: [
    {
      // attention 4·(4 + 2) = 24; FF 2·3 + 3 + 3·2 + 2 = 17; LN 2·2 = 4 each → encoder 24 + 17 + 8 = 49, decoder 48 + 17 + 12 = 77
      name: "d = 2, d_ff = 3 : encodeur 49, décodeur 77",
      run: (f) => {
        expectEqual(f(2, 3, "encoder"), 49, "encodeur");
        expectEqual(f(2, 3, "decoder"), 77, "décodeur");
      },
    },
    {
      // attention 4·(4096 + 64) = 16,640; FF 8192 + 128 + 8192 + 64 = 16,576; LN 128 each
      // encoder 16,640 + 16,576 + 256 = 33,472; decoder 33,280 + 16,576 + 384 = 50,240
      name: "le traducteur du TP (d = 64, d_ff = 128) : encodeur 33 472, décodeur 50 240",
      run: (f) => {
        expectEqual(f(64, 128, "encoder"), 33_472, "encodeur");
        expectEqual(f(64, 128, "decoder"), 50_240, "décodeur");
      },
    },
    {
      // attention 4·(262,144 + 512) = 1,050,624; FF 1,048,576 + 2048 + 1,048,576 + 512 = 2,099,712; LN 1024 each
      // encoder 1,050,624 + 2,099,712 + 2048 = 3,152,384; decoder 2,101,248 + 2,099,712 + 3072 = 4,204,032
      name: "le modèle « base » de l'article (d = 512, d_ff = 2048) : encodeur 3 152 384, décodeur 4 204 032",
      run: (f) => {
        expectEqual(f(512, 2048, "encoder"), 3_152_384, "encodeur");
        expectEqual(f(512, 2048, "decoder"), 4_204_032, "décodeur");
      },
    },
  ],
});

const generationFlops = defineExercise<GenerationFlops>({
  id: "tp07.generation_flops",
  title: "Le coût de l'attention pendant la génération, avec et sans cache KV",
  symbol: "generationAttentionFlops",
  kind: "function",
  points: 2,
  task: "compléter generationAttentionFlops(newTokens, dModel, useCache) : la somme, pour t = 1 … newTokens, des FLOPs d'attention du pas t (4·t·d avec le cache, 4·t²·d sans)",
  hints: [
    "Au pas t, le contexte compte t jetons. Avec le cache, seule la nouvelle requête est calculée : scores 1 × t (2·t·d FLOPs) et mélange des valeurs (2·t·d) → 4·t·d.",
    "Sans cache, on recalcule toute l'attention t × t : 4·t²·d.",
    "Une boucle for de t = 1 à newTokens suffit (ou les formules Σt = n(n+1)/2 et Σt² = n(n+1)(2n+1)/6).",
  ],
  tests: [
    {
      name: "un seul jeton, d = 1 : 4 FLOPs dans les deux cas",
      run: (f) => {
        expectClose(f(1, 1, true), 4, 1e-9, "avec cache");
        expectClose(f(1, 1, false), 4, 1e-9, "sans cache");
      },
    },
    {
      // with: 4·2·(1 + 2 + 3) = 48; without: 4·2·(1 + 4 + 9) = 112
      name: "3 jetons, d = 2 : 48 avec cache, 112 sans",
      run: (f) => {
        expectClose(f(3, 2, true), 48, 1e-9, "avec cache");
        expectClose(f(3, 2, false), 112, 1e-9, "sans cache");
      },
    },
    {
      // with: 2·128·256·257 = 16,842,752; without: (2/3)·128·256·257·513 = 2,880,110,592; ratio (2n + 1)/3 = 171
      name: "256 jetons, d = 128 : 16 842 752 avec cache, 2 880 110 592 sans (171 fois plus)",
      run: (f) => {
        const cached = f(256, 128, true);
        const full = f(256, 128, false);
        expectClose(cached, 16_842_752, 1e-3, "avec cache");
        expectClose(full, 2_880_110_592, 1e-3, "sans cache");
        expectTrue(Math.abs(full / cached - 171) < 1e-9, `rapport attendu 171, obtenu ${full / cached}`);
      },
    },
  ],
});

/**
 * A library encoder layer (d = 8, 2 heads, d_ff = 16) with random LayerNorm γ, β, its weights as arrays, its
 * self-attention as a function on arrays (given to the submission: the block assembles, it does not rewrite
 * attention), and its output on a random sequence of 5 positions.
 */
function libraryEncoderLayer(placement: "pre" | "post", seed: number) {
  const config = transformerConfig({ sourceVocabSize: 4, targetVocabSize: 4, dModel: 8, heads: 2, dFF: 16, norm: placement });
  const layer = new EncoderLayer(config, new Random(seed), "test");
  const rng = new Random(seed + 100);
  const randomVector = (n: number, center: number) => Array.from({ length: n }, () => center + 0.3 * rng.normal());
  for (const norm of [layer.norm1, layer.norm2]) {
    norm.gamma.assign(tf.tensor1d(randomVector(8, 1)));
    norm.beta.assign(tf.tensor1d(randomVector(8, 0)));
  }
  layer.feedForward.inner.bias!.assign(tf.tensor1d(randomVector(16, 0)));
  layer.feedForward.outer.bias!.assign(tf.tensor1d(randomVector(8, 0)));
  const x = Array.from({ length: 5 }, () => randomVector(8, 0));
  const allVisible = tf.ones([1, 1, 5]);
  const attention = (h: Rows): Rows => tf.tidy(() => (layer.selfAttention.forward(tf.tensor3d([h]), null, { mask: allVisible }).output.arraySync() as Rows[])[0]!);
  const params: BlockParams = {
    attention,
    gamma1: Array.from(layer.norm1.gamma.dataSync()), beta1: Array.from(layer.norm1.beta.dataSync()),
    gamma2: Array.from(layer.norm2.gamma.dataSync()), beta2: Array.from(layer.norm2.beta.dataSync()),
    W1: layer.feedForward.inner.weight.arraySync() as Rows, b1: Array.from(layer.feedForward.inner.bias!.dataSync()),
    W2: layer.feedForward.outer.weight.arraySync() as Rows, b2: Array.from(layer.feedForward.outer.bias!.dataSync()),
  };
  const expected = tf.tidy(() => (layer.apply(tf.tensor3d([x]), allVisible).arraySync() as Rows[])[0]!);
  const dispose = () => {
    allVisible.dispose();
    layer.dispose();
  };
  return { x, params, expected, dispose };
}

const encoderBlock = defineExercise<EncoderBlock>({
  id: "tp07.encoder_block",
  title: "Assembler un bloc Transformer (encodeur)",
  symbol: "encoderBlock",
  kind: "function",
  points: 4,
  task:
    "compléter encoderBlock(x, p, placement) : deux pas résiduels (exercice 2) avec vos LayerNorm (exercice 1, ε = 10⁻⁵) : d'abord l'attention p.attention avec (γ₁, β₁), puis le feed-forward FFN(h) = ReLU(h·W1 + b1)·W2 + b2, ligne par ligne, avec (γ₂, β₂) ; placement « pre » ou « post » comme pour residualStep",
  hints: [
    "const norm1 = (row: number[]) => layerNorm(row, p.gamma1, p.beta1) ; de même norm2.",
    "h = residualStep(x, p.attention, norm1, placement) ; puis residualStep(h, (rows) => rows.map(ffn), norm2, placement).",
    "ffn(row) : inner[j] = max(0, b1[j] + Σᵢ row[i]·W1[i][j]) (W1 est rangée [entrée][sortie]), puis out[k] = b2[k] + Σⱼ inner[j]·W2[j][k].",
  ],
  tests: [
    {
      // Attention returns 0, identity FF weights with b = 0, γ = 1, β = 0: pre-LN adds ReLU(LN(x)) to x.
      // x = [[1, 3]]: LN → [−1, 1] (ε aside), h = x, FF(LN(h)) = ReLU([−1, 1]) = [0, 1] → [1, 4].
      name: "attention nulle, feed-forward identité, pre-LN : [[1, 3]] → [[1, 4]] (à ε près)",
      run: (f) => {
        const I = [[1, 0], [0, 1]];
        const p: BlockParams = { attention: (h) => h.map((row) => row.map(() => 0)), gamma1: [1, 1], beta1: [0, 0], gamma2: [1, 1], beta2: [0, 0], W1: I, b1: [0, 0], W2: I, b2: [0, 0] };
        expectClose(f([[1, 3]], p, "pre").flat(), [1, 4], 1e-4);
      },
    },
    {
      name: "pre-LN, d = 8, 2 têtes, d_ff = 16, γ, β et biais aléatoires : la sortie d'EncoderLayer de la bibliothèque",
      run: (f) => {
        const reference = libraryEncoderLayer("pre", 1);
        try {
          expectClose(f(reference.x, reference.params, "pre").flat(), reference.expected.flat(), 1e-4, "sortie du bloc");
        } finally {
          reference.dispose();
        }
      },
    },
    {
      name: "post-LN (l'article de 2017) : la sortie d'EncoderLayer de la bibliothèque configurée en post-LN",
      run: (f) => {
        const reference = libraryEncoderLayer("post", 2);
        try {
          expectClose(f(reference.x, reference.params, "post").flat(), reference.expected.flat(), 1e-4, "sortie du bloc");
        } finally {
          reference.dispose();
        }
      },
    },
    {
      name: "l'entrée n'est pas modifiée et la sortie a la forme de l'entrée",
      run: (f) => {
        const reference = libraryEncoderLayer("pre", 3);
        try {
          const copy = reference.x.map((row) => [...row]);
          const out = f(reference.x, reference.params, "pre");
          expectEqual(reference.x, copy, "x après l'appel");
          expectEqual([out.length, out[0]!.length], [5, 8], "forme de la sortie");
        } finally {
          reference.dispose();
        }
      },
    },
  ],
});


// ——— The tiny GPT the student writes (exercises 7–9) ———

/** The library's tiny GPT with weights ~ N(0, 0.3²) and random LayerNorm γ, β and biases, so that every weight matters. */
function randomTinyGpt(shape: TinyGptShape, seed: number): TinyGptWeights {
  const weights = tinyGptWeights(shape, new Random(seed), { std: 0.3 });
  const rng = new Random(seed + 1000);
  for (const [name, variable] of tinyGptNamedVariables(weights)) {
    const isGamma = name.endsWith("Gamma");
    const isShift = name.endsWith("Beta") || /\.(bo|b1|b2)$/.test(name) || name === "headBias";
    if (!isGamma && !isShift) continue;
    const values = Float32Array.from({ length: variable.size }, () => (isGamma ? 1 : 0) + 0.2 * rng.normal());
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
  }
  return weights;
}

/** Sets every weight of a model from plain arrays (the hand-worked cases), the rest to 0 (γ to 1). */
function handTinyGpt(shape: TinyGptShape, values: Record<string, number[] | number[][]>): TinyGptWeights {
  const weights = tinyGptWeights(shape, new Random(0), { std: 0 });
  for (const [name, variable] of tinyGptNamedVariables(weights)) {
    const given = values[name];
    if (given !== undefined) tf.tidy(() => variable.assign(tf.tensor(given.flat(), variable.shape)));
  }
  return weights;
}

/** Reads a tensor back and frees it; a clear failure when the submission returned something else. */
function readTensor(value: unknown, shape: number[], what: string): number[] {
  expectTrue(value instanceof tf.Tensor, `${what} : attendu un tf.Tensor, obtenu ${typeof value}`);
  const tensor = value as tf.Tensor;
  try {
    expectEqual(tensor.shape, shape, `forme de ${what}`);
    return Array.from(tensor.dataSync());
  } finally {
    tensor.dispose();
  }
}

/** Random token ids [rows × length] below vocabSize. */
function randomIds(rows: number, length: number, vocabSize: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: rows }, () => Array.from({ length }, () => rng.int(vocabSize)));
}

// Hand case of exercise 7: V = 2, d = 2, one block whose sublayers output 0 (W_V, W_O, W₁, W₂ = 0), head = I,
// b_head = [0.5, 0]. Token 0 → [1, 0], token 1 → [0, 1], position 1 adds [2, 0]. LN_f of [a, b] with a ≠ b is
// ±(1, −1) (up to ε): pos 0 token 0 → [1, −1]; pos 0 token 1 → [−1, 1]; pos 1 token 1 → [2, 1] → [1, −1].
const HAND_SHAPE: TinyGptShape = { vocabSize: 2, blockSize: 2, width: 2, heads: 1, layers: 1, mlpWidth: 2 };
const HAND_VALUES = { tokenEmbedding: [[1, 0], [0, 1]], positionEmbedding: [[0, 0], [2, 0]], head: [[1, 0], [0, 1]], headBias: [0.5, 0] };

const gptForward = defineExercise<GptForward>({
  id: "tp07.gpt_forward",
  title: "La passe avant d'un petit GPT",
  symbol: "gptForward",
  kind: "function",
  points: 5,
  offLimits: ["tinyGptForward", "tinyGptLoss", "tinyGptTrainStep", "scaledDotProductAttention", "causalSelfAttention"],
  task:
    "compléter gptForward(w, ids) : les logits [B, T, V] du token suivant à chaque position — embeddings des tokens + positions 0 … T − 1, puis pour chaque bloc x ← x + attention causale multi-têtes(LN₁(x)) et x ← x + MLP(LN₂(x)) avec MLP(h) = ReLU(h·W₁ + b₁)·W₂ + b₂, enfin LN_f et la tête h·W_head + b_head (LayerNorm ε = 10⁻⁵, tête h = colonnes h·d_h … (h + 1)·d_h − 1 de Q, K, V)",
  hints: [
    "Les embeddings : embeddingLookup(w.tokenEmbedding, ids) donne [B, T, d] ; ajoutez w.positionEmbedding.slice([0, 0], [T, -1]) (diffusé sur B).",
    "Un produit x [B, T, d] · W [d, k] : tf.matMul(x.reshape([-1, d]), W).reshape([B, T, k]). La LayerNorm en tenseurs : const { mean, variance } = tf.moments(x, -1, true), puis (x − mean)/√(variance + 1e-5)·γ + β.",
    "Les têtes : q.reshape([B, T, H, d/H]).transpose([0, 2, 1, 3]) donne [B, H, T, d_h] ; scores = tf.matMul(q, k, false, true) / √d_h, de forme [B, H, T, T].",
    "Le masque causal : tf.linalg.bandPart(tf.ones([T, T]), -1, 0) vaut 1 sur et sous la diagonale ; retirez 10⁹ aux scores où il vaut 0 avant tf.softmax.",
    "Après softmax·V [B, H, T, d_h] : .transpose([0, 2, 1, 3]).reshape([B, T, d]) recolle les têtes, puis · W_O + b_O. Entourez le tout de tf.tidy(() => …) et renvoyez les logits.",
  ],
  tests: [
    {
      name: "calcul à la main (V = 2, d = 2, sous-couches nulles, tête = identité, b_head = [0,5 ; 0]) : [[0, 1], [1, 1]] → [[1,5 ; −1], [1,5 ; −1]] et [[−0,5 ; 1], [1,5 ; −1]]",
      run: (f) => {
        const w = handTinyGpt(HAND_SHAPE, HAND_VALUES);
        try {
          expectClose(readTensor(f(w, [[0, 1], [1, 1]]), [2, 2, 2], "les logits"), [1.5, -1, 1.5, -1, -0.5, 1, 1.5, -1], 1e-4, "logits");
        } finally {
          disposeTinyGpt(w);
        }
      },
    },
    {
      name: "causalité : changer les tokens après la position 2 ne change pas les logits des positions 0 … 2, et change ceux de la position 3",
      run: (f) => {
        const w = randomTinyGpt({ vocabSize: 7, blockSize: 6, width: 8, heads: 2, layers: 2 }, 3);
        try {
          const a = [[1, 2, 3, 4, 5, 6]];
          const b = [[1, 2, 3, 0, 0, 1]];
          const la = readTensor(f(w, a), [1, 6, 7], "les logits");
          const lb = readTensor(f(w, b), [1, 6, 7], "les logits");
          expectClose(lb.slice(0, 21), la.slice(0, 21), 1e-5, "logits des positions 0 … 2");
          const gap = Math.max(...la.slice(21, 28).map((v, i) => Math.abs(v - lb[21 + i]!)));
          expectTrue(gap > 1e-3, `les logits de la position 3 devraient changer avec le token 3 (écart ${gap})`);
        } finally {
          disposeTinyGpt(w);
        }
      },
    },
    {
      name: "2 blocs, 2 têtes, d = 8, V = 7, γ, β et biais aléatoires, 2 séquences de 6 tokens : les logits de la référence de la bibliothèque (mêmes poids)",
      run: (f) => {
        const w = randomTinyGpt({ vocabSize: 7, blockSize: 6, width: 8, heads: 2, layers: 2 }, 5);
        try {
          const ids = randomIds(2, 6, 7, 6);
          const expected = tf.tidy(() => Array.from(tinyGptForward(w, ids).dataSync()));
          expectClose(readTensor(f(w, ids), [2, 6, 7], "les logits"), expected, 1e-4, "logits");
        } finally {
          disposeTinyGpt(w);
        }
      },
    },
    {
      name: "4 têtes, d = 16, MLP de 24, contexte de 8 mais séquences de 5 tokens (positions 0 … 4 seulement), lot de 3 : les logits de la référence",
      run: (f) => {
        const w = randomTinyGpt({ vocabSize: 11, blockSize: 8, width: 16, heads: 4, layers: 1, mlpWidth: 24 }, 7);
        try {
          const ids = randomIds(3, 5, 11, 8);
          const expected = tf.tidy(() => Array.from(tinyGptForward(w, ids).dataSync()));
          expectClose(readTensor(f(w, ids), [3, 5, 11], "les logits"), expected, 1e-4, "logits");
        } finally {
          disposeTinyGpt(w);
        }
      },
    },
  ],
});

const gptLoss = defineExercise<GptLoss>({
  id: "tp07.gpt_loss",
  title: "La perte du token suivant",
  symbol: "gptLoss",
  kind: "function",
  points: 2,
  offLimits: ["tinyGptForward", "tinyGptLoss", "tinyGptTrainStep"],
  task:
    "compléter gptLoss(w, windows) : chaque fenêtre a T + 1 tokens, les T premiers sont l'entrée de votre gptForward, les T derniers les cibles (la cible de la position t est windows[b][t + 1]) ; renvoyer le scalaire tf de l'entropie croisée moyenne sur les B·T positions",
  hints: [
    "inputs = windows.map((row) => row.slice(0, -1)) ; targets = windows.map((row) => row.slice(1)).",
    "logits = gptForward(w, inputs).reshape([-1, V]) : une ligne par position, B·T lignes.",
    "tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets.flat(), \"int32\"), V), logits) est la moyenne de −ln softmax(logits)[cible].",
  ],
  tests: [
    {
      // Every weight 0: LN(0) = 0, so the logits are b_head. b_head = [0, ln 3]: p = (1/4, 3/4).
      // Windows [[0, 1, 1], [1, 1, 0]] → targets 1, 1 | 1, 0: loss = (3·(−ln 3/4) + (−ln 1/4)) / 4
      name: "poids nuls sauf b_head = [0, ln 3] (p = 1/4, 3/4), fenêtres [[0, 1, 1], [1, 1, 0]] : (3·ln(4/3) + ln 4) / 4",
      run: (f) => {
        const w = handTinyGpt(HAND_SHAPE, { headBias: [0, Math.log(3)] });
        try {
          const loss = readTensor(f(w, [[0, 1, 1], [1, 1, 0]]), [], "la perte");
          expectClose(loss[0]!, (3 * Math.log(4 / 3) + Math.log(4)) / 4, 1e-5, "perte");
        } finally {
          disposeTinyGpt(w);
        }
      },
    },
    {
      name: "tous les poids nuls, V = 5 : la perte vaut ln 5 (tous les tokens équiprobables)",
      run: (f) => {
        const w = handTinyGpt({ vocabSize: 5, blockSize: 4, width: 4, heads: 2, layers: 1 }, {});
        try {
          expectClose(readTensor(f(w, [[0, 1, 2, 3, 4], [4, 4, 4, 4, 4]]), [], "la perte")[0]!, Math.log(5), 1e-5, "perte");
        } finally {
          disposeTinyGpt(w);
        }
      },
    },
    {
      name: "poids aléatoires, 3 fenêtres de 7 tokens : la perte de la référence (mêmes poids)",
      run: (f) => {
        const w = randomTinyGpt({ vocabSize: 7, blockSize: 6, width: 8, heads: 2, layers: 2 }, 9);
        try {
          const windows = randomIds(3, 7, 7, 10);
          const expected = tf.tidy(() => tinyGptLoss(w, windows).dataSync()[0]!);
          expectClose(readTensor(f(w, windows), [], "la perte")[0]!, expected, 1e-4, "perte");
        } finally {
          disposeTinyGpt(w);
        }
      },
    },
  ],
});

const TRAIN_SHAPE: TinyGptShape = { vocabSize: 7, blockSize: 6, width: 8, heads: 2, layers: 2 };

const gptTrainStep = defineExercise<GptTrainStep>({
  id: "tp07.gpt_train_step",
  title: "Le pas d'entraînement du GPT",
  symbol: "gptTrainStep",
  kind: "function",
  points: 4,
  offLimits: ["tinyGptForward", "tinyGptLoss", "tinyGptTrainStep"],
  task:
    "compléter gptTrainStep(w, windows, optimizer) : la perte de vos fenêtres (gptLoss), ses gradients par rapport à toutes les variables du modèle (tf.variableGrads), puis optimizer.applyGradients ; renvoyer la perte (un nombre, avant la mise à jour) sans laisser de tenseur derrière soi",
  hints: [
    "tinyGptVariables(w) donne la liste de toutes les variables du modèle.",
    "const { value, grads } = tf.variableGrads(() => gptLoss(w, windows) as tf.Scalar, tinyGptVariables(w)) ; puis optimizer.applyGradients(grads).",
    "Entourez le pas de tf.tidy(() => { … ; return value.dataSync()[0]; }) : gradients et intermédiaires sont libérés.",
  ],
  tests: [
    {
      // All weights 0 → logits = b_head = 0, loss ln 4. The only non-zero gradient is b_head's: mean over the 4
      // positions of (p − onehot) = 1/4 − freq. Targets 1, 1 | 1, 3: freq = (0, 3/4, 0, 1/4). SGD with lr 1:
      // b_head ← freq − 1/4 = (−0.25, 0.5, −0.25, 0).
      name: "poids nuls, V = 4, fenêtres [[0, 1, 1], [2, 1, 3]], SGD lr = 1 : perte ln 4, puis b_head = (−0,25 ; 0,5 ; −0,25 ; 0)",
      run: (f) => {
        const w = handTinyGpt({ vocabSize: 4, blockSize: 2, width: 2, heads: 1, layers: 1 }, {});
        const sgd = tf.train.sgd(1);
        try {
          expectClose(f(w, [[0, 1, 1], [2, 1, 3]], sgd), Math.log(4), 1e-5, "perte renvoyée");
          expectClose(Array.from(w.headBias.dataSync()), [-0.25, 0.5, -0.25, 0], 1e-5, "b_head après le pas");
        } finally {
          sgd.dispose();
          disposeTinyGpt(w);
        }
      },
    },
    {
      name: "4 pas d'Adam (lr 0,01) sur les mêmes lots : mêmes pertes et mêmes poids que le pas de la bibliothèque",
      run: (f) => {
        const mine = randomTinyGpt(TRAIN_SHAPE, 11);
        const reference = randomTinyGpt(TRAIN_SHAPE, 11);
        const myAdam = tf.train.adam(0.01);
        const referenceAdam = tf.train.adam(0.01);
        try {
          const batches = Array.from({ length: 4 }, (_, i) => randomIds(3, 7, 7, 20 + i));
          const losses = batches.map((batch) => f(mine, batch, myAdam));
          const expected = batches.map((batch) => tinyGptTrainStep(reference, batch, referenceAdam));
          expectClose(losses, expected, 1e-4, "pertes des 4 pas");
          const mineNamed = tinyGptNamedVariables(mine);
          for (const [i, [name, variable]] of tinyGptNamedVariables(reference).entries()) {
            if (["head", "blocks.0.wq", "blocks.1.w1", "tokenEmbedding", "positionEmbedding", "lnfGamma"].includes(name)) {
              expectClose(Array.from(mineNamed[i]![1].dataSync()), Array.from(variable.dataSync()), 1e-4, `${name} après 4 pas`);
            }
          }
        } finally {
          myAdam.dispose();
          referenceAdam.dispose();
          disposeTinyGpt(mine);
          disposeTinyGpt(reference);
        }
      },
    },
    {
      name: "aucune fuite de mémoire : autant de tenseurs avant et après 3 pas de SGD (tf.tidy)",
      run: (f) => {
        const w = randomTinyGpt(TRAIN_SHAPE, 13);
        const sgd = tf.train.sgd(0.1);
        try {
          const before = tf.memory().numTensors;
          for (let i = 0; i < 3; i++) f(w, randomIds(2, 7, 7, 30 + i), sgd);
          expectEqual(tf.memory().numTensors - before, 0, "tenseurs laissés par 3 pas");
        } finally {
          sgd.dispose();
          disposeTinyGpt(w);
        }
      },
    },
    {
      // The sequence 0 1 2 3 4 5 6 0 1 2 … is fully predictable from the previous token.
      name: "texte périodique 0 1 2 … 6 0 1 …, 40 pas d'Adam (lr 0,02) : la perte passe de ln 7 ≈ 1,95 à moins de 0,5",
      run: (f) => {
        const w = tinyGptWeights(TRAIN_SHAPE, new Random(17));
        const adam = tf.train.adam(0.02);
        const rng = new Random(18);
        try {
          const losses: number[] = [];
          for (let step = 0; step < 40; step++) {
            const windows = Array.from({ length: 4 }, () => {
              const start = rng.int(7);
              return Array.from({ length: 7 }, (_, t) => (start + t) % 7);
            });
            losses.push(f(w, windows, adam));
          }
          expectClose(losses[0]!, Math.log(7), 0.05, "perte du premier pas");
          expectTrue(losses[39]! < 0.5, `perte au 40e pas : ${losses[39]}, attendu < 0,5`);
        } finally {
          adam.dispose();
          disposeTinyGpt(w);
        }
      },
    },
  ],
});

export default defineLesson({
  tp: "tp07",
  notebook: "tp07-transformer",
  title: "Le Transformer : traducteur encodeur–décodeur et mini-GPT",
  exercises: [layerNorm, residualStep, encoderBlock, causalMask, blockParameterCount, gptForward, gptLoss, gptTrainStep, generationFlops],
});
