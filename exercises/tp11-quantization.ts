/**
 * TP11 — Quantization: the exercises of solutions/tp11-quantization.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments; the group-wise int4 exercise is also checked
 * against the library's quantizeTensor and packInt4.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectThrows, expectTrue } from "../lib/grading/expect";
import { packInt4, quantizeTensor } from "../lib/quantization";
import { Random } from "../lib/random";

type WeightDtype = "fp32" | "fp16" | "bf16" | "int8" | "int4";
type WeightMemory = (params: number, dtype: WeightDtype) => number;
type QuantizeAbsmax = (values: number[], bits: number) => { codes: number[]; scale: number };
type ZeroPointParams = (min: number, max: number, bits: number) => { scale: number; zeroPoint: number };
type Dequantize = (codes: number[], scale: number, zeroPoint: number) => number[];
type QuantizeInt4Groups = (values: number[], groupSize: number) => { packed: Uint8Array; scales: Float32Array };
type SnrDb = (original: number[], reconstructed: number[]) => number;

const weightMemory = defineExercise<WeightMemory>({
  id: "tp11.weight_memory",
  title: "La mémoire des poids d'un modèle",
  symbol: "weightMemoryGB",
  kind: "function",
  points: 1,
  offLimits: ["modelMemory", "tensorBytes", "bytesPerParam"],
  task: "compléter weightMemoryGB(params, dtype) : la taille des poids en GB (10⁹ octets) = paramètres × octets par paramètre (fp32 4, fp16 et bf16 2, int8 1, int4 ½)",
  hints: ["Un table { fp32: 4, fp16: 2, bf16: 2, int8: 1, int4: 0.5 } puis params × octets / 1e9."],
  tests: [
    { name: "7 milliards de paramètres en fp16 → 14 GB ; 1 milliard en fp32 → 4 GB", run: (f) => {
      expectClose(f(7e9, "fp16"), 14, 1e-9, "7e9 en fp16");
      expectClose(f(1e9, "fp32"), 4, 1e-9, "1e9 en fp32");
    } },
    {
      // Llama-2-7B: 6,738,415,616 parameters × 2 bytes = 13.476831232 GB; × ½ = 3.369207808 GB
      name: "Llama-2-7B (6 738 415 616 paramètres) : fp16 → 13.48 GB, int4 → 3.37 GB, int8 → 6.74 GB, bf16 = fp16",
      run: (f) => {
        expectClose(f(6_738_415_616, "fp16"), 13.476831232, 1e-9, "fp16");
        expectClose(f(6_738_415_616, "int4"), 3.369207808, 1e-9, "int4");
        expectClose(f(6_738_415_616, "int8"), 6.738415616, 1e-9, "int8");
        expectClose(f(6_738_415_616, "bf16"), 13.476831232, 1e-9, "bf16");
      },
    },
  ],
});

const quantizeAbsmax = defineExercise<QuantizeAbsmax>({
  id: "tp11.absmax_quantize",
  title: "Quantification absmax",
  symbol: "quantizeAbsmax",
  kind: "function",
  points: 2,
  offLimits: ["absmaxQuantize", "absmaxScale", "absmaxScaleOf", "quantizeTensor"],
  task: "compléter quantizeAbsmax(values, bits) : scale = max|x| / (2^(bits−1) − 1) et codes = round(x / scale) ; un tableau de zéros donne scale 0 et des codes 0",
  hints: [
    "qmax = 2 ** (bits − 1) − 1 : 127 en int8, 7 en int4. La plus grande valeur absolue tombe sur ±qmax.",
    "codes[i] = Math.round(values[i] / scale) ; si scale vaut 0, tous les codes valent 0 (pas de division par zéro).",
  ],
  tests: [
    {
      // scale = 3.1/127 = 0.024409…; −1.2/scale = −49.16 → −49; 0.5/scale = 20.48 → 20; 3.1/scale = 127
      name: "int8 : [−1.2, 0.5, 3.1] → scale 3.1/127, codes [−49, 20, 127]",
      run: (f) => {
        const { codes, scale } = f([-1.2, 0.5, 3.1], 8);
        expectClose(scale, 3.1 / 127, 1e-12, "scale");
        expectEqual(codes, [-49, 20, 127], "codes");
      },
    },
    {
      // scale = 3.1/7 = 0.442857…; −1.2/scale = −2.71 → −3; 0.5/scale = 1.13 → 1; 7
      name: "int4 : [−1.2, 0.5, 3.1] → scale 3.1/7, codes [−3, 1, 7]",
      run: (f) => {
        const { codes, scale } = f([-1.2, 0.5, 3.1], 4);
        expectClose(scale, 3.1 / 7, 1e-12, "scale");
        expectEqual(codes, [-3, 1, 7], "codes");
      },
    },
    {
      // the largest magnitude is negative: −4 → −127; 1/(4/127) = 31.75 → 32
      name: "le maximum en valeur absolue peut être négatif : [−4, 1] → codes [−127, 32]",
      run: (f) => expectEqual(f([-4, 1], 8).codes, [-127, 32]),
    },
    {
      name: "que des zéros → scale 0, codes 0",
      run: (f) => {
        const { codes, scale } = f([0, 0, 0], 8);
        expectEqual(scale, 0, "scale");
        expectTrue(codes.length === 3 && codes.every((q) => q === 0), `codes attendus [0, 0, 0], obtenu ${JSON.stringify(codes)}`);
      },
    },
  ],
});

const zeroPointParams = defineExercise<ZeroPointParams>({
  id: "tp11.zero_point_params",
  title: "Échelle et point zéro",
  symbol: "zeroPointParamsFor",
  kind: "function",
  points: 2,
  offLimits: ["zeroPointParams", "zeroPointParamsOf", "zeroPointFor", "zeroPointQuantize", "quantizeTensor"],
  task: "compléter zeroPointParamsFor(min, max, bits) : élargir [min, max] pour contenir 0, puis scale = (max − min) / (2^bits − 1) et zeroPoint = round(−min / scale) − 2^(bits−1) (codes signés)",
  hints: [
    "Élargir : lo = Math.min(min, 0), hi = Math.max(max, 0) ; ainsi 0 est représenté exactement.",
    "Les codes signés vont de qmin = −2^(bits−1) (−128 en int8) à 2^(bits−1) − 1 : zeroPoint = Math.round(−lo / scale) + qmin.",
  ],
  tests: [
    {
      // scale = 3/255; −(−1)/scale = 85 → 85 − 128 = −43
      name: "int8, [−1, 2] → scale 3/255, zeroPoint −43",
      run: (f) => {
        const r = f(-1, 2, 8);
        expectClose(r.scale, 3 / 255, 1e-12, "scale");
        expectEqual(r.zeroPoint, -43, "zeroPoint");
      },
    },
    {
      // scale = 2/255; 0.5·255/2 = 63.75 → 64 → 64 − 128 = −64
      name: "int8, [−0.5, 1.5] → scale 2/255, zeroPoint −64",
      run: (f) => {
        const r = f(-0.5, 1.5, 8);
        expectClose(r.scale, 2 / 255, 1e-12, "scale");
        expectEqual(r.zeroPoint, -64, "zeroPoint");
      },
    },
    {
      // scale = 3/15 = 0.2; 1/0.2 = 5 → 5 − 8 = −3
      name: "int4, [−1, 2] → scale 0.2, zeroPoint −3",
      run: (f) => {
        const r = f(-1, 2, 4);
        expectClose(r.scale, 0.2, 1e-12, "scale");
        expectEqual(r.zeroPoint, -3, "zeroPoint");
      },
    },
    {
      // widened to [0, 2]: scale 2/255, zero point round(0) − 128 = −128
      name: "valeurs toutes positives [1, 2] : l'intervalle est élargi à [0, 2] → scale 2/255, zeroPoint −128",
      run: (f) => {
        const r = f(1, 2, 8);
        expectClose(r.scale, 2 / 255, 1e-12, "scale");
        expectEqual(r.zeroPoint, -128, "zeroPoint");
      },
    },
  ],
});

const dequantize = defineExercise<Dequantize>({
  id: "tp11.dequantize",
  title: "Déquantifier",
  symbol: "dequantizeCodes",
  kind: "function",
  points: 1,
  offLimits: ["absmaxDequantize", "zeroPointDequantize", "dequantizeTensor"],
  task: "compléter dequantizeCodes(codes, scale, zeroPoint) : les valeurs x̂ = (q − zeroPoint) × scale",
  hints: ["Un simple map : codes.map((q) => (q − zeroPoint) * scale). Avec absmax, zeroPoint = 0."],
  tests: [
    {
      // (−128 + 43)·3/255 = −1; (−43 + 43)·… = 0; (127 + 43)·3/255 = 2
      name: "point zéro : codes [−128, −43, 127], scale 3/255, zeroPoint −43 → [−1, 0, 2]",
      run: (f) => expectClose(f([-128, -43, 127], 3 / 255, -43), [-1, 0, 2], 1e-12),
    },
    {
      name: "absmax (zeroPoint 0) : codes [−49, 20, 127], scale 3.1/127 → [−1.1961, 0.4882, 3.1]",
      run: (f) => expectClose(f([-49, 20, 127], 3.1 / 127, 0), [(-49 * 3.1) / 127, (20 * 3.1) / 127, 3.1], 1e-12),
    },
  ],
});

const snrDb = defineExercise<SnrDb>({
  id: "tp11.snr_db",
  title: "Rapport signal sur bruit (dB)",
  symbol: "snrDb",
  kind: "function",
  points: 1,
  offLimits: ["quantizationError"],
  task: "compléter snrDb(original, reconstructed) : 10·log10(Σ x² / Σ (x − x̂)²) ; une copie exacte donne Infinity",
  hints: ["Deux sommes dans une boucle : signal += x², bruit += (x − x̂)². Si le bruit vaut 0, renvoyez Infinity."],
  tests: [
    {
      // Σx² = 2, Σe² = 0.02 → ratio 100 → 20 dB
      name: "[1, −1] reconstruit en [1.1, −0.9] → 20 dB",
      run: (f) => expectClose(f([1, -1], [1.1, -0.9]), 20, 1e-9),
    },
    {
      // Σx² = 8, Σe² = 0.04 → ratio 200 → 10·log10(200) = 23.0103 dB
      name: "[2, 0, −2] reconstruit en [2, 0.2, −2] → 10·log10(200) = 23.01 dB",
      run: (f) => expectClose(f([2, 0, -2], [2, 0.2, -2]), 10 * Math.log10(200), 1e-9),
    },
    {
      name: "copie exacte → Infinity",
      run: (f) => expectEqual(f([1, 2, 3], [1, 2, 3]), Infinity),
    },
  ],
});

const quantizeInt4Groups = defineExercise<QuantizeInt4Groups>({
  id: "tp11.int4_groups",
  title: "L'int4 par groupes, deux codes par octet",
  symbol: "quantizeInt4Groups",
  kind: "function",
  points: 4,
  offLimits: ["quantizeTensor", "quantizeWeights", "packInt4", "absmaxQuantize", "absmaxScale", "absmaxScaleOf"],
  task:
    "compléter quantizeInt4Groups(values, groupSize) : couper values en groupes de groupSize valeurs consécutives (une erreur si groupSize ne divise pas la longueur) ; pour chaque groupe, scale = max|x| / 7 rangée dans un Float32Array, codes = round(x / scale) bornés à −7…7 (0 pour un groupe nul) ; puis ranger deux codes par octet (packed, Uint8Array de ceil(n / 2) octets) : le code 2i dans les 4 bits de poids faible de l'octet i, le code 2i + 1 dans les 4 bits de poids fort, en complément à deux (q & 0x0f) ; renvoyer { packed, scales }",
  hints: [
    "Nombre de groupes : values.length / groupSize ; le groupe de la valeur i est Math.floor(i / groupSize).",
    "Rangez l'échelle dans scales = new Float32Array(groupes) AVANT de quantifier, et divisez par scales[g] : les codes correspondent alors à l'échelle stockée (4 octets).",
    "Un code négatif en 4 bits : q & 0x0f (−7 → 9, −1 → 15). Octet i : packed[i >> 1] |= (q & 0x0f) << ((i & 1) * 4).",
    "Taille : n / 2 octets de codes + 4 octets par groupe ; avec des groupes de 32, 4 + 32/32 = 5 bits par poids.",
  ],
  tests: [
    {
      // max 1.4 → scale 0.2 (fp32); codes 0.6/0.2 = 3, −7, 1, 0; bytes (3 | 9 << 4) = 147 and (1 | 0 << 4) = 1.
      name: "[0.6, −1.4, 0.2, 0], un groupe de 4 → échelle 0,2, codes [3, −7, 1, 0], octets [147, 1]",
      run: (f) => {
        const { packed, scales } = f([0.6, -1.4, 0.2, 0], 4);
        expectEqual(Array.from(packed), [147, 1], "octets");
        expectClose(Array.from(scales), [Math.fround(0.2)], 1e-9, "échelles");
      },
    },
    {
      // group 0: scale 1/7, codes 7 and round(−0.25·7 = −1.75) = −2 → byte 7 | 14 << 4 = 231; group 1 is zero.
      name: "[1, −0.25, 0, 0] en groupes de 2 → échelles [1/7, 0], octets [231, 0] (un groupe nul garde des codes 0)",
      run: (f) => {
        const { packed, scales } = f([1, -0.25, 0, 0], 2);
        expectEqual(Array.from(packed), [231, 0], "octets");
        expectClose(Array.from(scales), [Math.fround(1 / 7), 0], 1e-9, "échelles");
      },
    },
    {
      // codes 7, 0, −7: bytes (7 | 0 << 4) = 7 and (−7 & 15) = 9 in the low nibble, high nibble empty.
      name: "un nombre impair de valeurs : [2, 0, −2], un groupe de 3 → 2 octets [7, 9]",
      run: (f) => expectEqual(Array.from(f([2, 0, -2], 3).packed), [7, 9]),
    },
    {
      name: "256 poids gaussiens en groupes de 32 : les mêmes échelles et les mêmes octets que quantizeTensor + packInt4 de la bibliothèque",
      run: (f) => {
        const rng = new Random(5);
        const values = Array.from({ length: 256 }, () => 0.02 * rng.normal());
        values[40] = 0.5;
        const reference = quantizeTensor(values, { method: "absmax", bits: 4, granularity: { groupSize: 32 } });
        const { packed, scales } = f(values, 32);
        expectClose(Array.from(scales), Array.from(reference.scales), 0, "échelles");
        expectEqual(Array.from(packed), Array.from(packInt4(reference.values)), "octets");
      },
    },
    {
      name: "une taille de groupe qui ne divise pas la longueur est refusée",
      run: (f) => expectThrows(() => f([1, 2, 3, 4, 5], 2), undefined, "5 valeurs en groupes de 2"),
    },
  ],
});

export default defineLesson({
  tp: "tp11",
  notebook: "tp11-quantization",
  title: "Quantification : formats, mémoire, int8 et int4",
  exercises: [weightMemory, quantizeAbsmax, zeroPointParams, dequantize, snrDb, quantizeInt4Groups],
});
