/**
 * TP9 — GPT, decoder-only generation: the exercises of solutions/tp09-gpt.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectTrue } from "../lib/grading/expect";
import { Random } from "../lib/random";
import { sampleNextToken } from "../lib/sampling";

type TemperatureSoftmax = (logits: number[], temperature: number) => number[];
type Filter = (probabilities: number[], parameter: number) => number[];
type GreedyDecode = (next: (ids: number[]) => number[], prompt: number[], maxNewTokens: number, stopId: number) => number[];
type SampleOptions = { maxNewTokens: number; temperature: number; topK?: number; topP?: number; stopId?: number; rng: Random };
type SampleTokens = (next: (ids: number[]) => number[], prompt: number[], options: SampleOptions) => number[];
type ApplyStop = (text: string, stops: string[]) => { text: string; stopped: boolean };

const temperatureSoftmax = defineExercise<TemperatureSoftmax>({
  id: "tp09.temperature_softmax",
  title: "Softmax avec température",
  symbol: "temperatureSoftmax",
  kind: "function",
  points: 2,
  offLimits: ["softmax", "applyTemperature", "nextTokenDistribution"],
  task: "compléter temperatureSoftmax(logits, temperature) : les probabilités softmax(logits / T), calculées de façon stable ; T = 0 donne tout au logit le plus grand (le premier en cas d'égalité)",
  hints: [
    "pᵢ = exp((zᵢ − m) / T) / Σⱼ exp((zⱼ − m) / T), avec m = max z : soustraire m évite exp(1000) = Infinity.",
    "T = 0 est le décodage glouton : un vecteur de 0 avec un 1 à l'indice du maximum (indexOf(Math.max(...logits))).",
  ],
  tests: [
    {
      name: "logits égaux → distribution uniforme, quelle que soit T",
      run: (f) => {
        expectClose(f([0, 0, 0, 0], 1), [0.25, 0.25, 0.25, 0.25], 1e-12);
        expectClose(f([3, 3], 0.5), [0.5, 0.5], 1e-12);
      },
    },
    {
      // [0, ln 3] : T = 1 → [1, 3]/4 ; T = 0.5 → [1, 9]/10 ; T = 2 → [1, √3]/(1 + √3)
      name: "logits [0, ln 3] : T = 1 → [0.25, 0.75], T = 0.5 → [0.1, 0.9], T = 2 → [1, √3] / (1 + √3)",
      run: (f) => {
        const z = [0, Math.log(3)];
        expectClose(f(z, 1), [0.25, 0.75], 1e-12, "T = 1");
        expectClose(f(z, 0.5), [0.1, 0.9], 1e-12, "T = 0.5");
        expectClose(f(z, 2), [1 / (1 + Math.sqrt(3)), Math.sqrt(3) / (1 + Math.sqrt(3))], 1e-12, "T = 2");
      },
    },
    {
      // softmax([1000, 999]) = [1, e⁻¹] / (1 + e⁻¹) = [0.7310585786, 0.2689414214]
      name: "stable pour de grands logits : [1000, 999] → [0.7311, 0.2689]",
      run: (f) => expectClose(f([1000, 999], 1), [1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1))], 1e-12),
    },
    {
      name: "T = 0 : tout au maximum ([1, 3, 2] → [0, 1, 0]), le premier en cas d'égalité ([2, 2] → [1, 0])",
      run: (f) => {
        expectEqual(f([1, 3, 2], 0), [0, 1, 0], "T = 0 sur [1, 3, 2]");
        expectEqual(f([2, 2], 0), [1, 0], "T = 0 sur [2, 2]");
      },
    },
  ],
});

const keepTopK = defineExercise<Filter>({
  id: "tp09.top_k_filter",
  title: "Filtre top-k",
  symbol: "keepTopK",
  kind: "function",
  points: 2,
  offLimits: ["topKFilter", "nextTokenDistribution"],
  task: "compléter keepTopK(probabilities, k) : garder les k tokens les plus probables (le plus petit indice en cas d'égalité), mettre les autres à 0 et renormaliser pour que la somme fasse 1",
  hints: [
    "Triez les indices par probabilité décroissante : ids.sort((a, b) => p[b] − p[a]) est stable, les égalités gardent l'ordre des indices.",
    "Gardez les k premiers, divisez leurs probabilités par leur somme, 0 ailleurs ; ne modifiez pas le tableau reçu.",
  ],
  tests: [
    {
      // keep 0.5 and 0.3 → /0.8 → 0.625, 0.375
      name: "[0.5, 0.3, 0.15, 0.05], k = 2 → [0.625, 0.375, 0, 0]",
      run: (f) => expectClose(f([0.5, 0.3, 0.15, 0.05], 2), [0.625, 0.375, 0, 0], 1e-12),
    },
    {
      name: "k = 1 → glouton [1, 0, 0, 0] ; k ≥ taille → inchangé",
      run: (f) => {
        expectClose(f([0.5, 0.3, 0.15, 0.05], 1), [1, 0, 0, 0], 1e-12, "k = 1");
        expectClose(f([0.5, 0.3, 0.15, 0.05], 10), [0.5, 0.3, 0.15, 0.05], 1e-12, "k = 10");
      },
    },
    {
      // tokens 1 and 3 (0.4 each), then token 0 (first of the 0.1 tie): total 0.9
      name: "tokens non triés et égalités : [0.1, 0.4, 0.1, 0.4], k = 3 → [1/9, 4/9, 0, 4/9]",
      run: (f) => expectClose(f([0.1, 0.4, 0.1, 0.4], 3), [1 / 9, 4 / 9, 0, 4 / 9], 1e-12),
    },
    {
      name: "le tableau reçu n'est pas modifié",
      run: (f) => {
        const p = [0.5, 0.3, 0.2];
        f(p, 1);
        expectEqual(p, [0.5, 0.3, 0.2], "probabilités après l'appel");
      },
    },
  ],
});

const keepTopP = defineExercise<Filter>({
  id: "tp09.top_p_filter",
  title: "Filtre top-p (nucleus)",
  symbol: "keepTopP",
  kind: "function",
  points: 2,
  offLimits: ["topPFilter", "nucleusCurve", "nextTokenDistribution"],
  task: "compléter keepTopP(probabilities, p) : garder le plus petit ensemble de tokens les plus probables dont la somme des probabilités atteint p (≥ p), mettre les autres à 0 et renormaliser",
  hints: [
    "Parcourez les indices par probabilité décroissante en cumulant : arrêtez-vous dès que la somme cumulée est ≥ p (le token qui franchit le seuil est gardé).",
    "Le token le plus probable est toujours gardé : un p minuscule donne le décodage glouton.",
    "Renormalisez les tokens gardés pour que leur somme fasse 1.",
  ],
  tests: [
    {
      // cumulative 0.5, 0.8, 0.95 ≥ 0.9 → 3 tokens, /0.95
      name: "[0.5, 0.3, 0.15, 0.05], p = 0.9 → 3 tokens gardés : [0.5, 0.3, 0.15, 0] / 0.95",
      run: (f) => expectClose(f([0.5, 0.3, 0.15, 0.05], 0.9), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], 1e-12),
    },
    {
      // 0.5 < 0.6, 0.8 ≥ 0.6 → 2 tokens
      name: "p = 0.6 → 2 tokens : [0.625, 0.375, 0, 0] ; p = 0.5 atteint dès le premier → [1, 0, 0, 0]",
      run: (f) => {
        expectClose(f([0.5, 0.3, 0.15, 0.05], 0.6), [0.625, 0.375, 0, 0], 1e-12, "p = 0.6");
        expectClose(f([0.5, 0.3, 0.15, 0.05], 0.5), [1, 0, 0, 0], 1e-12, "p = 0.5");
      },
    },
    {
      // sorted: token 2 (0.5), token 3 (0.3): 0.8 ≥ 0.7
      name: "tokens non triés : [0.05, 0.15, 0.5, 0.3], p = 0.7 → [0, 0, 0.625, 0.375]",
      run: (f) => expectClose(f([0.05, 0.15, 0.5, 0.3], 0.7), [0, 0, 0.625, 0.375], 1e-12),
    },
    {
      name: "p = 1 garde tout ; p minuscule garde le seul token le plus probable",
      run: (f) => {
        expectClose(f([0.2, 0.7, 0.1], 1), [0.2, 0.7, 0.1], 1e-12, "p = 1");
        expectClose(f([0.2, 0.7, 0.1], 1e-9), [0, 1, 0], 1e-12, "p = 1e-9");
      },
    },
  ],
});

/** A fake model over 5 tokens whose logits favour (last id + 1) mod 5, then id 0 once the sequence is 6 long. */
function countingModel(ids: number[]): number[] {
  const favourite = ids.length >= 6 ? 0 : (ids[ids.length - 1]! + 1) % 5;
  return [0, 1, 2, 3, 4].map((id) => (id === favourite ? 2 : 0));
}

const greedyDecode = defineExercise<GreedyDecode>({
  id: "tp09.greedy_decode",
  title: "La boucle de génération gloutonne",
  symbol: "greedyDecode",
  kind: "function",
  points: 2,
  offLimits: ["greedyToken"],
  task: "compléter greedyDecode(next, prompt, maxNewTokens, stopId) : ajouter à chaque pas l'argmax de next(séquence complète) jusqu'à maxNewTokens tokens ou jusqu'au token stopId (non inclus) ; renvoyer les seuls nouveaux ids",
  hints: [
    "const ids = [...prompt] ; tant que out.length < maxNewTokens : logits = next(ids), id = indice du maximum.",
    "Si id === stopId, arrêtez sans l'ajouter ; sinon ajoutez-le à ids ET à out.",
  ],
  tests: [
    {
      // prompt [1] → favourites 2, 3, 4, 0 (prompt+3 = 4 ids), 1 → with maxNewTokens 3: [2, 3, 4]
      name: "modèle « compteur » : prompt [1], 3 tokens → [2, 3, 4]",
      run: (f) => expectEqual(f(countingModel, [1], 3, -1), [2, 3, 4]),
    },
    {
      // [3] → 4, 0, 1, 2, 3 (sequence now 6 long) → 0, 0, …
      name: "prompt [3], 8 tokens sans arrêt → [4, 0, 1, 2, 3, 0, 0, 0]",
      run: (f) => expectEqual(f(countingModel, [3], 8, -1), [4, 0, 1, 2, 3, 0, 0, 0]),
    },
    {
      name: "arrêt sur stopId = 0 (non inclus) : prompt [3] → [4]",
      run: (f) => expectEqual(f(countingModel, [3], 8, 0), [4]),
    },
    {
      name: "next reçoit toute la séquence (prompt compris) et le prompt n'est pas modifié",
      run: (f) => {
        const seen: number[][] = [];
        const prompt = [1, 2];
        f((ids) => {
          seen.push([...ids]);
          return countingModel(ids);
        }, prompt, 2, -1);
        expectEqual(seen, [[1, 2], [1, 2, 3]], "séquences passées à next");
        expectEqual(prompt, [1, 2], "prompt après l'appel");
        expectTrue(f(countingModel, [1], 0, -1).length === 0, "maxNewTokens = 0 doit renvoyer []");
      },
    },
  ],
});

const applyStop = defineExercise<ApplyStop>({
  id: "tp09.apply_stop",
  title: "Séquences d'arrêt",
  symbol: "applyStop",
  kind: "function",
  points: 1,
  task: "compléter applyStop(text, stops) : couper text juste avant la première occurrence (la plus à gauche) de l'une des séquences d'arrêt ; stopped dit si une séquence a été trouvée",
  hints: [
    "Pour chaque séquence, text.indexOf(s) ; gardez le plus petit indice ≥ 0.",
    "Aucune séquence trouvée : { text, stopped: false } tel quel.",
  ],
  tests: [
    {
      name: "« Call me Ishmael. Some years ago » avec « . » → « Call me Ishmael »",
      run: (f) => expectEqual(f("Call me Ishmael. Some years ago", ["."]), { text: "Call me Ishmael", stopped: true }),
    },
    {
      name: "plusieurs séquences : la plus à gauche l'emporte (« the whale, the sea. » → « the whale »)",
      run: (f) => expectEqual(f("the whale, the sea.", [".", ","]), { text: "the whale", stopped: true }),
    },
    {
      name: "aucune séquence trouvée, ou liste vide → texte inchangé, stopped = false",
      run: (f) => {
        expectEqual(f("no stop here", ["\n\n"]), { text: "no stop here", stopped: false }, "séquence absente");
        expectEqual(f("no stop here", []), { text: "no stop here", stopped: false }, "liste vide");
      },
    },
    {
      name: "séquence au tout début → texte vide ; séquence de plusieurs caractères",
      run: (f) => {
        expectEqual(f("\nabc", ["\n"]), { text: "", stopped: true }, "« \\n » au début");
        expectEqual(f("Ahab said: END of chapter", ["END"]), { text: "Ahab said: ", stopped: true }, "« END »");
      },
    },
  ],
});

/** A fixed toy model over 10 tokens whose logits depend on the whole sequence (no randomness). */
function toyModel(ids: number[]): number[] {
  const sum = ids.reduce((a, b) => a + b, 0);
  return Array.from({ length: 10 }, (_, i) => 3 * Math.sin(7 * i + sum + 0.5 * ids.length));
}

/** The library's loop, for reference: sampleNextToken applies temperature, top-k, then top-p, and draws once. */
function librarySample(prompt: number[], options: SampleOptions): number[] {
  const ids = [...prompt];
  const out: number[] = [];
  while (out.length < options.maxNewTokens) {
    const id = sampleNextToken(toyModel(ids), options.rng, { temperature: options.temperature, topK: options.topK ?? Infinity, topP: options.topP ?? 1 });
    if (id === options.stopId) break;
    ids.push(id);
    out.push(id);
  }
  return out;
}

const sampleTokens = defineExercise<SampleTokens>({
  id: "tp09.sampling_loop",
  title: "La boucle d'échantillonnage : température, top-k, top-p",
  symbol: "sampleTokens",
  kind: "function",
  points: 4,
  offLimits: ["sampleNextToken", "nextTokenDistribution", "decodeTokens", "softmax", "topKFilter", "topPFilter", "sampleFromLogits", "sampleFromProbabilities"],
  task:
    "compléter sampleTokens(next, prompt, { maxNewTokens, temperature, topK, topP, stopId, rng }) : à chaque pas, logits = next(séquence complète) ; à température 0 l'argmax (sans tirage) ; sinon p = temperatureSoftmax(logits, T), puis keepTopK(p, topK) si topK est donné, puis keepTopP(p, topP) si topP < 1, et un tirage rng.categorical(p) ; s'arrêter à maxNewTokens ou sur stopId (non inclus) ; renvoyer les seuls nouveaux ids",
  hints: [
    "C'est greedyDecode (exercice 2) où l'argmax est remplacé par un tirage dans la distribution filtrée.",
    "L'ordre compte : température, puis top-k, puis top-p (celui de la bibliothèque et de transformers.js).",
    "rng.categorical(p) renvoie un indice tiré selon les poids p (la méthode de l'exercice du TP 3) ; à T = 0, n'appelez pas rng : le glouton ne consomme aucun nombre aléatoire.",
  ],
  tests: [
    {
      name: "T = 1 puis T = 0,7 avec top-k 3 : les mêmes 20 tokens que la boucle de la bibliothèque, même graine",
      run: (f) => {
        for (const [temperature, topK] of [[1, undefined], [0.7, 3]] as const) {
          const options = { maxNewTokens: 20, temperature, ...(topK === undefined ? {} : { topK }) };
          expectEqual(f(toyModel, [1, 2], { ...options, rng: new Random(5) }), librarySample([1, 2], { ...options, rng: new Random(5) }), `T = ${temperature}, top-k ${topK ?? "aucun"}`);
        }
      },
    },
    {
      name: "T = 1,3 avec top-p 0,8, puis top-k 5 et top-p 0,6 ensemble : les mêmes tokens que la bibliothèque",
      run: (f) => {
        for (const filters of [{ topP: 0.8 }, { topK: 5, topP: 0.6 }]) {
          const options = { maxNewTokens: 20, temperature: 1.3, ...filters };
          expectEqual(f(toyModel, [4], { ...options, rng: new Random(8) }), librarySample([4], { ...options, rng: new Random(8) }), JSON.stringify(filters));
        }
      },
    },
    {
      name: "T = 0 : le glouton, sans tirer de nombre aléatoire ; top-k 1 donne aussi le glouton",
      run: (f) => {
        const rng = new Random(3);
        const greedy = f(toyModel, [0], { maxNewTokens: 6, temperature: 0, rng });
        expectEqual(greedy, librarySample([0], { maxNewTokens: 6, temperature: 0, rng: new Random(1) }), "tokens à T = 0");
        expectEqual(rng.next(), new Random(3).next(), "rng ne doit pas avoir servi à T = 0");
        expectEqual(f(toyModel, [0], { maxNewTokens: 6, temperature: 1.5, topK: 1, rng: new Random(9) }), greedy, "top-k 1");
      },
    },
    {
      name: "arrêt sur stopId (non inclus) et maxNewTokens ; next reçoit toute la séquence ; le prompt n'est pas modifié",
      run: (f) => {
        const options = { maxNewTokens: 30, temperature: 1, stopId: 7 };
        // Seed 4: the reference draws 7 tokens, then the 7.
        const expected = librarySample([2], { ...options, rng: new Random(4) });
        const seen: number[] = [];
        const prompt = [2];
        const got = f((ids) => (seen.push(ids.length), toyModel(ids)), prompt, { ...options, rng: new Random(4) });
        expectEqual(got, expected, "tokens jusqu'au 7");
        expectTrue(!got.includes(7), "le token d'arrêt ne fait pas partie du résultat");
        expectEqual(seen.slice(0, 3), [1, 2, 3], "longueurs des séquences passées à next");
        expectEqual(prompt, [2], "prompt après l'appel");
        expectEqual(f(toyModel, [2], { maxNewTokens: 0, temperature: 1, rng: new Random(1) }), [], "maxNewTokens = 0");
      },
    },
  ],
});

export default defineLesson({
  tp: "tp09",
  notebook: "tp09-gpt",
  title: "GPT : génération avec un modèle décodeur seul",
  exercises: [temperatureSoftmax, keepTopK, keepTopP, greedyDecode, sampleTokens, applyStop],
});
