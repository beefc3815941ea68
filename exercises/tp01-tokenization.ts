/**
 * TP1 — tokenization: the exercises of solutions/tp01-tokenization.ipynb and their visible tests.
 * Expected values are computed by hand in the comments (UTF-8 bytes, pair counts), not by the library.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import type { TokenPrice } from "../lib/tokenizers/cost";

type CountPairs = (ids: number[]) => Map<string, number>;
type MergePair = (ids: number[], pair: [number, number], newId: number) => number[];
type BpeEncode = (text: string, merges: Array<[number, number]>) => number[];
type PadSequences = (
  batch: number[][],
  padId: number,
  maxLength?: number,
) => { inputIds: number[][]; attentionMask: number[][] };
type ApiCost = (inputTokens: number, outputTokens: number, price: TokenPrice) => number;

const bytesOf = (text: string) => Array.from(Buffer.from(text, "utf8"));

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
  exercises: [countPairs, mergePair, bpeEncode, padSequences, apiCost],
});
