/**
 * TP7 — the Transformer (encoder–decoder translator and decoder-only mini-GPT): the exercises of
 * solutions/tp07-transformer.ipynb and their visible tests. Expected values are worked out by hand in the
 * comments.
 */
import * as tf from "@tensorflow/tfjs";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { EncoderLayer, transformerConfig } from "../lib/models/transformer";
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

export default defineLesson({
  tp: "tp07",
  notebook: "tp07-transformer",
  title: "Le Transformer : traducteur encodeur–décodeur et mini-GPT",
  exercises: [layerNorm, residualStep, encoderBlock, causalMask, blockParameterCount, generationFlops],
});
