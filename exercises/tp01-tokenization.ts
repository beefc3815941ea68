/**
 * TP1 — tokenization: the exercises of solutions/tp01-tokenization.ipynb and their visible tests.
 * Expected values are computed by hand in the comments (UTF-8 bytes, pair counts); the BPE training loop
 * and the decoder are also checked against the library's trainer and tokenizer on an extract of Moby-Dick.
 */
import { loadMobyDick } from "../lib/data";
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { ByteBpeTokenizer, trainByteBpeModel } from "../lib/tokenizers";
import type { TokenPrice } from "../lib/tokenizers/cost";

type CountPairs = (ids: number[]) => Map<string, number>;
type MergePair = (ids: number[], pair: [number, number], newId: number) => number[];
type TrainBpe = (text: string, numMerges: number) => Array<[number, number]>;
type BpeDecode = (ids: number[], merges: Array<[number, number]>) => string;
type BpeEncode = (text: string, merges: Array<[number, number]>) => number[];
type PadSequences = (
  batch: number[][],
  padId: number,
  maxLength?: number,
) => { inputIds: number[][]; attentionMask: number[][] };
type ApiCost = (inputTokens: number, outputTokens: number, price: TokenPrice) => number;

const bytesOf = (text: string) => Array.from(Buffer.from(text, "utf8"));

/**
 * An extract of Moby-Dick on one line (whitespace runs → one space), so that the library's trainer, given
 * the pattern "[^\n]+", sees it as a single pre-token, like the exercise's loop. Its first 15 merges have
 * no tie at the top, so the tie rules (first appearance here, smallest pair in the library) agree.
 */
const mobyExtract = () => loadMobyDick().slice(10_000, 13_000).replace(/\s+/g, " ");
const EXTRACT_MERGES = 15;
const libraryMerges = (text: string, count: number): Array<[number, number]> =>
  trainByteBpeModel(text, 256 + count, { pattern: "[^\\n]+", specialTokens: [] }).merges.map((merge) => [merge.left, merge.right]);

const countPairs = defineExercise<CountPairs>({
  id: "tp01.count_pairs",
  title: "Compter les paires adjacentes",
  symbol: "countPairs",
  kind: "function",
  points: 2,
  task: "compléter countPairs(ids) : une Map « a,b » → nombre d'occurrences de la paire (a, b), dans l'ordre de première apparition",
  hints: [
    "Parcourez i de 0 à ids.length - 2 et regardez la paire (ids[i], ids[i + 1]).",
    "La clé de la Map est la chaîne `${a},${b}` : deux tableaux [a, b] ne sont jamais égaux comme clés.",
    "Une Map garde l'ordre d'insertion : c'est ce qui départage les égalités « à la première apparition ».",
  ],
  tests: [
    {
      name: "[1, 2, 3, 1, 2] → 1,2 ×2 ; 2,3 ×1 ; 3,1 ×1",
      run: (f) => expectEqual(f([1, 2, 3, 1, 2]), new Map([["1,2", 2], ["2,3", 1], ["3,1", 1]])),
    },
    {
      name: "paires qui se chevauchent : [7, 7, 7] → 7,7 ×2",
      run: (f) => expectEqual(f([7, 7, 7]), new Map([["7,7", 2]])),
    },
    {
      name: "séquence de longueur 0 ou 1 → Map vide",
      run: (f) => {
        expectEqual(f([]).size, 0, "taille pour []");
        expectEqual(f([42]).size, 0, "taille pour [42]");
      },
    },
    {
      name: "ordre des clés = ordre de première apparition",
      run: (f) => expectEqual(Array.from(f([5, 9, 5, 9, 1, 5]).keys()), ["5,9", "9,5", "9,1", "1,5"]),
    },
  ],
});

const mergePair = defineExercise<MergePair>({
  id: "tp01.merge_pair",
  title: "Fusionner une paire",
  symbol: "mergePair",
  kind: "function",
  points: 2,
  task: "compléter mergePair(ids, pair, newId) : remplacer chaque occurrence de la paire par newId, de gauche à droite",
  hints: [
    "Avancez avec un indice i : si (ids[i], ids[i + 1]) est la paire, poussez newId et faites i += 2, sinon poussez ids[i] et i += 1.",
    "Attention au dernier élément : ids[i + 1] n'existe pas quand i = ids.length - 1.",
    "Ne modifiez pas le tableau reçu : renvoyez un nouveau tableau.",
  ],
  tests: [
    {
      name: "[1, 2, 3, 1, 2] avec (1, 2) → 256 : [256, 3, 256]",
      run: (f) => expectEqual(f([1, 2, 3, 1, 2], [1, 2], 256), [256, 3, 256]),
    },
    {
      name: "chevauchement : [7, 7, 7] avec (7, 7) → 99 : [99, 7] (gauche à droite)",
      run: (f) => expectEqual(f([7, 7, 7], [7, 7], 99), [99, 7]),
    },
    {
      name: "paire absente : la séquence est inchangée",
      run: (f) => expectEqual(f([4, 5, 6], [6, 4], 300), [4, 5, 6]),
    },
    {
      name: "le tableau d'entrée n'est pas modifié",
      run: (f) => {
        const ids = [1, 2, 1, 2];
        f(ids, [1, 2], 256);
        expectEqual(ids, [1, 2, 1, 2], "tableau d'entrée après l'appel");
      },
    },
  ],
});

const trainBpe = defineExercise<TrainBpe>({
  id: "tp01.train_bpe",
  title: "La boucle d'entraînement du BPE",
  symbol: "trainBpe",
  kind: "function",
  points: 4,
  offLimits: ["trainByteBpeModel", "trainByteBpe", "ByteBpeTokenizer.train", "trainCharBpe"],
  task:
    "compléter trainBpe(text, numMerges) : partir des octets UTF-8 du texte, puis numMerges fois : compter les paires adjacentes, prendre la plus fréquente (à égalité, la première apparue), la remplacer partout par le nouvel id 256 + i et l'enregistrer ; s'arrêter plus tôt s'il ne reste aucune paire ; renvoyer la liste des fusions [gauche, droite] dans l'ordre",
  hints: [
    "Les ids de départ : Array.from(Buffer.from(text, \"utf8\")). La fusion numéro i (à partir de 0) crée l'id 256 + i.",
    "À chaque tour, countPairs(ids) (exercice 1) donne les comptes ; parcourez la Map et gardez la clé de plus grand compte avec un > strict : à égalité, la première apparue l'emporte.",
    "La clé « a,b » redonne la paire avec key.split(\",\").map(Number) ; puis ids = mergePair(ids, pair, 256 + i) (exercice 2) et merges.push(pair).",
    "Quand la séquence ne contient plus qu'un token, countPairs renvoie une Map vide : arrêtez la boucle.",
  ],
  tests: [
    {
      // a a a b d a a a b a c: (97,97) ×4 → 256: [256 97 98 100 256 97 98 97 99]; (256,97) and (97,98) ×2,
      // (256,97) first → 257: [257 98 100 257 98 97 99]; (257,98) ×2 → 258: [258 100 258 97 99].
      name: "« aaabdaaabac », 3 fusions → (97, 97), (256, 97), (257, 98)",
      run: (f) => expectEqual(f("aaabdaaabac", 3), [[97, 97], [256, 97], [257, 98]]),
    },
    {
      // After (97,97) → 256 the counts are (256,97) ×2 then (97,98) ×2: the tie goes to the first one seen.
      name: "à égalité, la paire apparue la première gagne : 2e fusion de « aaabdaaabac » = (256, 97), pas (97, 98)",
      run: (f) => expectEqual(f("aaabdaaabac", 2)[1], [256, 97], "deuxième fusion"),
    },
    {
      // "ab" → [256] after one merge: no pair left.
      name: "s'arrête quand il ne reste plus de paire : « ab » avec 5 fusions → [(97, 98)] ; « é » = 2 octets → [(195, 169)]",
      run: (f) => {
        expectEqual(f("ab", 5), [[97, 98]], "« ab »");
        expectEqual(f("é", 3), [[195, 169]], "« é »");
        expectEqual(f("", 3), [], "texte vide");
      },
    },
    {
      name: `un extrait de Moby-Dick (3 000 caractères) : les ${EXTRACT_MERGES} premières fusions sont celles de l'entraîneur de la bibliothèque`,
      run: (f) => {
        const text = mobyExtract();
        expectEqual(f(text, EXTRACT_MERGES), libraryMerges(text, EXTRACT_MERGES), "fusions");
      },
    },
  ],
});

const bpeDecode = defineExercise<BpeDecode>({
  id: "tp01.bpe_decode",
  title: "Décoder : des ids au texte",
  symbol: "bpeDecode",
  kind: "function",
  points: 2,
  offLimits: ["ByteBpeTokenizer.decode"],
  task:
    "compléter bpeDecode(ids, merges) : reconstruire les octets de chaque token (un octet pour les ids 0–255, la concaténation des octets de la paire pour 256 + i), les mettre bout à bout et les décoder en UTF-8 (Buffer.from(bytes).toString(\"utf8\"))",
  hints: [
    "Construisez d'abord la table des octets de chaque id : vocab[b] = [b] pour b < 256, puis vocab[256 + i] = [...vocab[a], ...vocab[b]] pour merges[i] = [a, b], dans l'ordre.",
    "Le texte : Buffer.from(ids.flatMap((id) => vocab[id])).toString(\"utf8\").",
    "Décodez les octets de tous les tokens ensemble, pas token par token : un caractère comme « é » peut être coupé entre deux tokens.",
  ],
  tests: [
    {
      // 256 = (97,97) "aa", 257 = (256,97) "aaa": [257, 98] → "aaab".
      name: "fusions (97, 97) puis (256, 97) : [257, 98] → « aaab »",
      run: (f) => expectEqual(f([257, 98], [[97, 97], [256, 97]]), "aaab"),
    },
    {
      name: "sans fusion, les octets UTF-8 : [195, 169, 116, 195, 169] → « été »",
      run: (f) => expectEqual(f([195, 169, 116, 195, 169], []), "été"),
    },
    {
      // "é" = 195 169 split across tokens 256 = (116, 195) "t\xC3" and 169.
      name: "un caractère coupé entre deux tokens : fusion (116, 195), [256, 169] → « té »",
      run: (f) => expectEqual(f([256, 169], [[116, 195]]), "té"),
    },
    {
      name: "les ids du tokeniseur de la bibliothèque, entraîné sur un extrait de Moby-Dick, redonnent le texte",
      run: (f) => {
        const text = mobyExtract();
        const model = trainByteBpeModel(text, 256 + 40, { pattern: "[^\\n]+", specialTokens: [] }).model;
        const sentence = "The whale, the sea — and Ishmael's été.";
        const ids = new ByteBpeTokenizer(model).encode(sentence);
        expectTrue(ids.some((id) => id >= 256), "l'encodage doit utiliser des fusions");
        expectEqual(f(ids, model.merges.map(([a, b]) => [a, b])), sentence);
      },
    },
  ],
});

const bpeEncode = defineExercise<BpeEncode>({
  id: "tp01.bpe_encode",
  title: "Encoder avec les fusions apprises",
  symbol: "bpeEncode",
  kind: "function",
  points: 3,
  task: "compléter bpeEncode(text, merges) : octets UTF-8 du texte, puis appliquer les fusions dans l'ordre (la fusion i crée l'id 256 + i)",
  hints: [
    "Les ids de départ sont les octets : Array.from(Buffer.from(text, \"utf8\")).",
    "Appliquez les fusions dans l'ordre où elles ont été apprises : merges[i] crée le token 256 + i.",
    "Réutilisez votre mergePair (ou celle de la bibliothèque) pour chaque fusion.",
  ],
  tests: [
    {
      name: "sans fusion : « é » → octets UTF-8 [195, 169]",
      run: (f) => expectEqual(f("é", []), [195, 169]),
    },
    {
      name: "« aaab » avec a+a → 256 puis 256+a → 257 : [257, 98]",
      // bytes [97, 97, 97, 98]; merge (97,97) → [256, 97, 98]; merge (256,97) → [257, 98]
      run: (f) => expectEqual(f("aaab", [[97, 97], [256, 97]]), [257, 98]),
    },
    {
      name: "l'ordre des fusions compte : « abc » avec b+c puis a+b → [97, 256]",
      // bytes [97, 98, 99]; merge (98,99) → [97, 256]; (97,98) no longer present
      run: (f) => expectEqual(f("abc", [[98, 99], [97, 98]]), [97, 256]),
    },
    {
      name: "décoder les ids redonne le texte (« la souris »)",
      run: (f) => {
        const merges: Array<[number, number]> = [[108, 97], [32, 115]]; // "la", " s"
        const ids = f("la souris", merges);
        expectEqual(ids, [256, 257, 111, 117, 114, 105, 115]);
        const vocab = new Map<number, number[]>([[256, [108, 97]], [257, [32, 115]]]);
        const bytes = ids.flatMap((id) => vocab.get(id) ?? [id]);
        expectEqual(Buffer.from(bytes).toString("utf8"), "la souris", "texte décodé");
        expectTrue(bytes.length === bytesOf("la souris").length, "même nombre d'octets après décodage");
      },
    },
  ],
});

const padSequences = defineExercise<PadSequences>({
  id: "tp01.pad_batch",
  title: "Padding et masque d'attention",
  symbol: "padSequences",
  kind: "function",
  points: 2,
  task: "compléter padSequences(batch, padId, maxLength?) : compléter à droite avec padId jusqu'à la plus longue séquence (ou tronquer à maxLength), et le masque 1/0",
  hints: [
    "Sans maxLength, la longueur cible est celle de la plus longue séquence du batch.",
    "Une séquence plus longue que maxLength est tronquée à droite.",
    "Le masque vaut 1 pour un vrai token et 0 pour un token de padding.",
  ],
  tests: [
    {
      name: "[[5, 6, 7], [8]] avec pad 0 → [[5, 6, 7], [8, 0, 0]] et masques [[1, 1, 1], [1, 0, 0]]",
      run: (f) =>
        expectEqual(f([[5, 6, 7], [8]], 0), {
          inputIds: [[5, 6, 7], [8, 0, 0]],
          attentionMask: [[1, 1, 1], [1, 0, 0]],
        }),
    },
    {
      name: "maxLength = 2 tronque et complète : [[1, 2, 3], [4]] → [[1, 2], [4, 9]]",
      run: (f) =>
        expectEqual(f([[1, 2, 3], [4]], 9, 2), { inputIds: [[1, 2], [4, 9]], attentionMask: [[1, 1], [1, 0]] }),
    },
    {
      name: "maxLength plus grand que tout : [[1]] avec maxLength 3 → [[1, 0, 0]]",
      run: (f) => expectEqual(f([[1]], 0, 3), { inputIds: [[1, 0, 0]], attentionMask: [[1, 0, 0]] }),
    },
  ],
});

const apiCost = defineExercise<ApiCost>({
  id: "tp01.api_cost",
  title: "Coût d'un appel d'API",
  symbol: "apiCost",
  kind: "function",
  points: 1,
  offLimits: ["apiCost", "tokenCost"],
  task: "compléter apiCost(inputTokens, outputTokens, price) : le coût en dollars, les prix étant donnés en $ par million de tokens",
  hints: ["coût = (tokens d'entrée × prix d'entrée + tokens de sortie × prix de sortie) / 1 000 000."],
  tests: [
    {
      name: "1 000 tokens en entrée à 2,50 $/M et 500 en sortie à 10 $/M → 0,0075 $",
      run: (f) => expectClose(f(1000, 500, { inputPerMillion: 2.5, outputPerMillion: 10 }), 0.0075, 1e-12),
    },
    {
      name: "aucun token → 0 $",
      run: (f) => expectClose(f(0, 0, { inputPerMillion: 2.5, outputPerMillion: 10 }), 0, 1e-12),
    },
    {
      name: "un million de tokens de chaque côté → prix d'entrée + prix de sortie",
      run: (f) => expectClose(f(1_000_000, 1_000_000, { inputPerMillion: 0.15, outputPerMillion: 0.6 }), 0.75, 1e-12),
    },
  ],
});

export default defineLesson({
  tp: "tp01",
  notebook: "tp01-tokenization",
  title: "Tokenisation : caractères, mots, BPE et tiktoken",
  exercises: [countPairs, mergePair, trainBpe, bpeDecode, bpeEncode, padSequences, apiCost],
});
