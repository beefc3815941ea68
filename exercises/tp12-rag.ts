/**
 * TP12 — Retrieval-augmented generation: the exercises of solutions/tp12-rag.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments. lib/rag has a metric, a fusion and a chunker of
 * its own: the exercises that could delegate to them list them in `offLimits`, so that they are disabled
 * while the check runs the submission (the point is to write them).
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectThrows, expectTrue } from "../lib/grading/expect";

type WordChunk = { start: number; end: number; text: string };
type OverlappingChunks = (text: string, size: number, overlap: number) => WordChunk[];
type RetrievalMetrics = (ranked: string[], relevant: Set<string>, k: number) => { recall: number; reciprocalRank: number; ndcg: number };
type FuseRankings = (rankings: string[][], k: number) => { id: string; score: number }[];
type Source = { year: number; president: string; text: string };
type SourcesPrompt = (question: string, sources: Source[]) => string;
type CheckCitations = (answer: string, sources: Source[], expected: string) => { cited: number[]; outOfRange: number[]; supported: boolean };
type InductionScores = (maps: number[][][][], length: number) => number[][];

/** Attention maps [layer][head][query][key] of 2·length positions: one head per weight rule `weight(query, key)`, rows over keys ≤ query. */
const maps = (length: number, ...heads: ((query: number, key: number) => number)[]): number[][][][] => [
  heads.map((weight) => Array.from({ length: 2 * length }, (_, query) => Array.from({ length: 2 * length }, (_, key) => (key <= query ? weight(query, key) : 0)))),
];

const overlappingChunks = defineExercise<OverlappingChunks>({
  id: "tp12.overlapping_chunks",
  title: "Un découpeur à fenêtres chevauchantes",
  symbol: "overlappingChunks",
  kind: "function",
  points: 2,
  offLimits: ["fixedTokenChunks", "recursiveChunks"],
  task:
    "compléter overlappingChunks(text, size, overlap) : découper le texte en fenêtres de `size` mots (mots = suites de caractères sans espace), chaque fenêtre commençant `size − overlap` mots après la précédente, la dernière finissant au dernier mot ; chaque morceau donne ses positions en caractères dans le texte (start = début de son premier mot, end = fin de son dernier mot) et text = text.slice(start, end) ; [] pour un texte sans mot ; une erreur si overlap < 0 ou overlap ≥ size",
  hints: [
    "Repérez d'abord chaque mot avec ses positions : for (const m of text.matchAll(/\\S+/g)) → m.index et m.index + m[0].length.",
    "Fenêtre i : mots [i × (size − overlap), … + size) ; arrêtez-vous dès qu'une fenêtre atteint le dernier mot.",
    "Avec overlap ≥ size, le pas serait ≤ 0 et la boucle ne finirait jamais : throw new Error(...).",
  ],
  tests: [
    {
      // 7 words, size 3, overlap 1: step 2 → words [0,3), [2,5), [4,7).
      name: "« a b c d e f g », 3 mots, chevauchement 1 → « a b c », « c d e », « e f g » aux caractères 0–5, 4–9, 8–13",
      run: (f) =>
        expectEqual(f("a b c d e f g", 3, 1), [
          { start: 0, end: 5, text: "a b c" },
          { start: 4, end: 9, text: "c d e" },
          { start: 8, end: 13, text: "e f g" },
        ]),
    },
    {
      name: "sans chevauchement, le dernier morceau peut être plus court : « a b c », « d e f », « g »",
      run: (f) => expectEqual(f("a b c d e f g", 3, 0).map((c) => c.text), ["a b c", "d e f", "g"]),
    },
    {
      // Words [0,4) and [2,6): the second reaches the last word, so it is the last window.
      name: "6 mots, 4 par fenêtre, chevauchement 2 → deux fenêtres seulement (pas de fenêtre incluse dans la précédente)",
      run: (f) => expectEqual(f("one two three four five six", 4, 2).map((c) => c.text), ["one two three four", "three four five six"]),
    },
    {
      name: "les espaces multiples et les sauts de ligne restent dans le texte ; les positions sont celles du texte d'origine",
      run: (f) => {
        const text = "  The  cat\nsat on   the mat. ";
        const chunks = f(text, 2, 0);
        expectEqual(chunks.map((c) => [c.start, c.end]), [[2, 10], [11, 17], [20, 28]]);
        for (const chunk of chunks) expectEqual(chunk.text, text.slice(chunk.start, chunk.end), "text = slice(start, end)");
      },
    },
    {
      name: "texte vide → [] ; chevauchement ≥ taille ou négatif → erreur",
      run: (f) => {
        expectEqual(f("   ", 3, 1), []);
        expectThrows(() => f("a b c", 2, 2), undefined, "overlap = size");
        expectThrows(() => f("a b c", 2, -1), undefined, "overlap < 0");
      },
    },
    { name: "« x y z », 2 mots, chevauchement 1 → « x y », « y z »", run: (f) => expectEqual(f("x y z", 2, 1).map((c) => c.text), ["x y", "y z"]) },
  ],
});

const retrievalMetrics = defineExercise<RetrievalMetrics>({
  id: "tp12.retrieval_metrics",
  title: "recall@k, rang réciproque et nDCG@k (définitions BEIR)",
  symbol: "retrievalMetrics",
  kind: "function",
  points: 3,
  offLimits: ["recallAtK", "reciprocalRank", "ndcgAtK", "scoreRetrieval"],
  task:
    "compléter retrievalMetrics(ranked, relevant, k) : pour un classement d'identifiants (le meilleur d'abord) et l'ensemble des pertinents, recall = pertinents trouvés dans les k premiers / nombre de pertinents ; reciprocalRank = 1 / rang du premier pertinent dans les k premiers (0 s'il n'y en a pas) ; ndcg = DCG / IDCG avec DCG = Σ_{i ≤ k} rel_i / log2(i + 1) (i compté à partir de 1, rel_i = 1 si pertinent) et IDCG le DCG d'un classement parfait (min(k, |relevant|) pertinents en tête) ; une erreur si relevant est vide",
  hints: [
    "const top = ranked.slice(0, k) ; recall = top.filter((id) => relevant.has(id)).length / relevant.size.",
    "findIndex donne la position (0-based) du premier pertinent : le rang est position + 1.",
    "Avec i à partir de 0 dans une boucle, le terme est 1 / Math.log2(i + 2). IDCG : la même somme sur min(k, relevant.size) positions.",
  ],
  tests: [
    {
      // a b c d e, relevant {b, d, x}: recall@5 = 2/3, RR = 1/2, nDCG@5 = (1/log2 3 + 1/log2 5) / (1 + 1/log2 3 + 1/log2 4) = 0.498189…
      name: "[a, b, c, d, e], pertinents {b, d, x}, k = 5 → recall 2/3, RR 1/2, nDCG 0,498189",
      run: (f) => {
        const m = f(["a", "b", "c", "d", "e"], new Set(["b", "d", "x"]), 5);
        expectClose(m.recall, 2 / 3, 1e-9, "recall");
        expectClose(m.reciprocalRank, 0.5, 1e-9, "reciprocalRank");
        expectClose(m.ndcg, 0.49818925746641285, 1e-9, "ndcg");
      },
    },
    {
      name: "k = 1 coupe le classement : recall 0, RR 0, nDCG 0",
      run: (f) => {
        const m = f(["a", "b", "c", "d", "e"], new Set(["b", "d", "x"]), 1);
        expectEqual([m.recall, m.reciprocalRank, m.ndcg], [0, 0, 0]);
      },
    },
    {
      // One relevant at rank 2: DCG = 1/log2 3, IDCG = 1 (one ideal position).
      name: "un seul pertinent, au rang 2 : recall 1, RR 1/2, nDCG = 1 / log2(3) = 0,6309",
      run: (f) => {
        const m = f(["z", "b"], new Set(["b"]), 10);
        expectClose(m.recall, 1, 1e-9, "recall");
        expectClose(m.reciprocalRank, 0.5, 1e-9, "reciprocalRank");
        expectClose(m.ndcg, 1 / Math.log2(3), 1e-9, "ndcg");
      },
    },
    {
      name: "classement parfait → 1, 1, 1 ; ensemble de pertinents vide → erreur",
      run: (f) => {
        const m = f(["b", "d", "a"], new Set(["b", "d"]), 10);
        expectEqual([m.recall, m.reciprocalRank, m.ndcg].map((x) => Math.round(x * 1e9) / 1e9), [1, 1, 1]);
        expectThrows(() => f(["a"], new Set(), 5));
      },
    },
    { name: "[a, b], pertinent {b}, k = 2 → recall 1", run: (f) => expectClose(f(["a", "b"], new Set(["b"]), 2).recall, 1, 1e-9, "recall") },
  ],
});

const fuseRankings = defineExercise<FuseRankings>({
  id: "tp12.fuse_rankings",
  title: "La fusion par rang réciproque (RRF)",
  symbol: "fuseRankings",
  kind: "function",
  points: 2,
  offLimits: ["reciprocalRankFusion", "hybridRetriever"],
  task:
    "compléter fuseRankings(rankings, k) : fusionner plusieurs classements (listes d'identifiants, le meilleur d'abord) : chaque classement donne à un identifiant le score 1 / (k + rang), rang compté à partir de 1, et les scores s'additionnent ; renvoyer tous les identifiants avec leur score, du meilleur au moins bon (à égalité, ordre alphabétique des identifiants)",
  hints: [
    "Une Map<string, number> : pour chaque classement, rankings[r].forEach((id, i) => score += 1 / (k + i + 1)).",
    "Triez par score décroissant, puis par id : (a, b) => b.score - a.score || (a.id < b.id ? -1 : 1).",
  ],
  tests: [
    {
      // a: 1/61; b: 1/62 + 1/61; c: 1/63 + 1/62; d: 1/63.
      name: "[[a, b, c], [b, c, d]], k = 60 → b (1/62 + 1/61), c, a, d",
      run: (f) => {
        const fused = f([["a", "b", "c"], ["b", "c", "d"]], 60);
        expectEqual(fused.map((h) => h.id), ["b", "c", "a", "d"]);
        expectClose(fused.map((h) => h.score), [1 / 62 + 1 / 61, 1 / 63 + 1 / 62, 1 / 61, 1 / 63], 1e-12, "scores");
      },
    },
    {
      name: "k = 0 : [[x, y], [y, x]] → x et y à égalité (1 + 1/2), x d'abord (ordre alphabétique)",
      run: (f) => {
        const fused = f([["y", "x"], ["x", "y"]], 0);
        expectEqual(fused.map((h) => h.id), ["x", "y"]);
        expectClose(fused[0]!.score, 1.5, 1e-12, "score");
      },
    },
    {
      name: "un seul classement garde son ordre ; aucun classement → []",
      run: (f) => {
        expectEqual(f([["c", "a", "b"]], 60).map((h) => h.id), ["c", "a", "b"]);
        expectEqual(f([], 60), []);
      },
    },
    { name: "un seul classement [a] avec k = 0 → a, score 1", run: (f) => expectEqual(f([["a"]], 0), [{ id: "a", score: 1 }]) },
  ],
});

const sourcesPrompt = defineExercise<SourcesPrompt>({
  id: "tp12.sources_prompt",
  title: "Un prompt avec des sources numérotées",
  symbol: "sourcesPrompt",
  kind: "function",
  points: 2,
  task:
    "compléter sourcesPrompt(question, sources) : le message envoyé au modèle — la ligne « Answer the question using only the sources below. Cite each source you use as [n]. If the sources do not contain the answer, say \"I don't know.\" », une ligne vide, une ligne par source « [n] (année, président) texte » (n à partir de 1, espaces multiples et sauts de ligne du texte réduits à une espace), une ligne vide, puis « Question: » suivi de la question ; une erreur s'il n'y a aucune source",
  hints: [
    "Normalisez le texte de chaque source avec .replace(/\\s+/g, \" \").trim().",
    "Assemblez les lignes dans un tableau puis .join(\"\\n\") : [instruction, \"\", ...lignes des sources, \"\", `Question: ${question}`].",
  ],
  tests: [
    {
      name: "deux sources → instruction, [1] et [2] avec année et président, puis la question",
      run: (f) =>
        expectEqual(
          f("Who declared war on poverty?", [
            { year: 1964, president: "Lyndon B Johnson", text: "This administration today declares unconditional war on poverty." },
            { year: 1996, president: "William J Clinton", text: "The era of big\n Government is over." },
          ]),
          [
            "Answer the question using only the sources below. Cite each source you use as [n]. If the sources do not contain the answer, say \"I don't know.\"",
            "",
            "[1] (1964, Lyndon B Johnson) This administration today declares unconditional war on poverty.",
            "[2] (1996, William J Clinton) The era of big Government is over.",
            "",
            "Question: Who declared war on poverty?",
          ].join("\n"),
        ),
    },
    {
      name: "une source → [1] seulement ; aucune source → erreur",
      run: (f) => {
        const prompt = f("Q?", [{ year: 1801, president: "Thomas Jefferson", text: "  Peace.  " }]);
        expectTrue(prompt.includes("\n[1] (1801, Thomas Jefferson) Peace.\n") && !prompt.includes("[2]"), `prompt inattendu : ${JSON.stringify(prompt)}`);
        expectThrows(() => f("Q?", []));
      },
    },
  ],
});

const checkCitations = defineExercise<CheckCitations>({
  id: "tp12.check_citations",
  title: "Vérifier les citations d'une réponse",
  symbol: "checkCitations",
  kind: "function",
  points: 2,
  task:
    "compléter checkCitations(answer, sources, expected) : lire les citations « [n] » de la réponse (plusieurs nombres possibles : « [1, 3] » ou « [1][3] ») ; cited = les numéros valides (1 à sources.length) sans doublon, dans l'ordre d'apparition ; outOfRange = les numéros qui ne désignent aucune source, sans doublon ; supported = vrai si au moins une source citée valide contient `expected` (sans tenir compte de la casse)",
  hints: [
    "answer.matchAll(/\\[([\\d,\\s]+)\\]/g) trouve chaque crochet ; découpez son contenu sur les virgules.",
    "Un Set évite les doublons ; gardez un tableau pour l'ordre.",
    "supported : cited.some((n) => sources[n - 1].text.toLowerCase().includes(expected.toLowerCase())).",
  ],
  tests: [
    {
      name: "« Lyndon B Johnson [1]. » avec la source 1 qui nomme Johnson → cited [1], supported",
      run: (f) => {
        const sources = [
          { year: 1964, president: "Lyndon B Johnson", text: "Lyndon B Johnson declared war on poverty." },
          { year: 1996, president: "William J Clinton", text: "The era of big Government is over." },
        ];
        expectEqual(f("Lyndon B Johnson [1].", sources, "lyndon b johnson"), { cited: [1], outOfRange: [], supported: true });
      },
    },
    {
      name: "« [2, 5] … [2][1] » avec deux sources → cited [2, 1], outOfRange [5] ; la source 2 ne contient pas la réponse mais la 1 oui → supported",
      run: (f) => {
        const sources = [
          { year: 1964, president: "Lyndon B Johnson", text: "War on poverty, said Johnson." },
          { year: 1996, president: "William J Clinton", text: "Big Government." },
        ];
        expectEqual(f("It was Johnson [2, 5], as said [2][1].", sources, "Johnson"), { cited: [2, 1], outOfRange: [5], supported: true });
      },
    },
    {
      name: "une citation qui ne contient pas la réponse → supported faux ; aucune citation → cited []",
      run: (f) => {
        const sources = [{ year: 1996, president: "William J Clinton", text: "Big Government." }];
        expectEqual(f("Johnson [1]", sources, "Johnson").supported, false);
        expectEqual(f("I don't know.", sources, "Johnson"), { cited: [], outOfRange: [], supported: false });
        expectEqual(f("See [0] and [3]", sources, "Clinton"), { cited: [], outOfRange: [0, 3], supported: false });
      },
    },
  ],
});

const inductionScores = defineExercise<InductionScores>({
  id: "tp12.induction_scores",
  title: "Trouver une tête d'induction",
  symbol: "inductionScores",
  kind: "function",
  points: 2,
  task:
    "compléter inductionScores(maps, length) : maps[couche][tête][requête][clé] sont les poids d'attention d'un modèle sur une suite de `length` tokens répétée deux fois ; une tête d'induction, à chaque position i de la seconde copie (i = length … 2·length − 1), regarde la position i − length + 1 (le token qui suivait l'occurrence précédente du token courant) ; renvoyer pour chaque couche et chaque tête la moyenne de maps[couche][tête][i][i − length + 1] sur ces positions ; une erreur si length < 1 ou si une carte a moins de 2·length lignes",
  hints: [
    "maps.map((layer) => layer.map((head) => …)) garde la forme [couche][tête].",
    "Pour une tête : additionnez head[i][i - length + 1] pour i de length à 2 * length - 1, puis divisez par length.",
  ],
  tests: [
    {
      // Head 0 puts all its weight on key query − 2 + 1 (length 2) from query 1 on: score 1. Head 1 is uniform over keys 0…query:
      // queries 2 and 3 give 1/3 and 1/4, mean (1/3 + 1/4) / 2 = 7/24.
      name: "length 2 : une tête d'induction parfaite → 1 ; une tête uniforme → (1/3 + 1/4) / 2 = 7/24",
      run: (f) => expectClose(f(maps(2, (q, k) => (q === 0 ? 1 : k === q - 1 ? 1 : 0), (q) => 1 / (q + 1)), 2)[0]!, [1, 7 / 24], 1e-12),
    },
    {
      // A previous-token head (key = query − 1) hits the induction position only when query − 1 = query − length + 1, i.e. length 2.
      name: "length 3 : une tête « token précédent » (clé = requête − 1) → 0 ; une tête qui regarde la clé 0 → 0",
      run: (f) => expectClose(f(maps(3, (q, k) => (q === 0 ? 1 : k === q - 1 ? 1 : 0), (_q, k) => (k === 0 ? 1 : 0)), 3)[0]!, [0, 0], 1e-12),
    },
    {
      name: "deux couches de deux têtes → un tableau [2][2]",
      run: (f) => {
        const layer = maps(2, (q) => 1 / (q + 1), (q, k) => (q === 0 ? 1 : k === q - 1 ? 1 : 0))[0]!;
        expectClose(f([layer, [layer[1]!, layer[0]!]], 2).flat(), [7 / 24, 1, 1, 7 / 24], 1e-12);
      },
    },
    {
      name: "length < 1, ou des cartes trop courtes pour deux copies → une erreur",
      run: (f) => {
        expectThrows(() => f(maps(2, (q) => 1 / (q + 1)), 0));
        expectThrows(() => f(maps(2, (q) => 1 / (q + 1)), 3));
      },
    },
  ],
});

export default defineLesson({
  tp: "tp12",
  notebook: "tp12-rag",
  title: "Génération augmentée par la recherche (RAG)",
  exercises: [overlappingChunks, retrievalMetrics, fuseRankings, sourcesPrompt, checkCitations, inductionScores],
});
