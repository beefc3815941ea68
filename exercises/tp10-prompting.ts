/**
 * TP10 — Prompting and chat APIs: the exercises of solutions/tp10-prompting.ipynb and their visible tests.
 * Expected values are worked out by hand in the comments. None of them is one call of a library function:
 * the course has no Mistral template, no SSE parser, no retry loop and no few-shot builder for the student
 * to delegate to.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectClose, expectEqual, expectRejects, expectThrows, expectTrue } from "../lib/grading/expect";

type Message = { role: "system" | "user" | "assistant"; content: string };
type MistralPrompt = (messages: Message[]) => string;
type Price = { inputPerMillion: number; outputPerMillion: number };
type ConversationCost = (messages: Message[], countTokens: (text: string) => number, price: Price, outputTokens: number) => { inputTokens: number; cost: number };
type ParseSse = (chunks: string[]) => { text: string; done: boolean };
type AskJson = (
  ask: (attempt: number, feedback: string | null) => Promise<string>,
  allowed: Record<string, string[]>,
  maxAttempts: number,
) => Promise<{ value: Record<string, string>; attempts: number }>;
type FewShotPrompt = (instruction: string, examples: [string, string][], query: string, countTokens: (text: string) => number, budget: number) => string;
type HttpAnswer = { status: number; headers: Record<string, string> };
type WithBackoff = (call: () => Promise<HttpAnswer>, sleep: (ms: number) => Promise<void>, retries: number, baseMs: number) => Promise<HttpAnswer>;

/** A word counter standing in for a tokenizer, so the expected counts can be checked by hand. */
const words = (text: string) => text.split(/\s+/).filter((w) => w !== "").length;

const mistralPrompt = defineExercise<MistralPrompt>({
  id: "tp10.mistral_prompt",
  title: "Le gabarit de chat de Mistral, à la main",
  symbol: "mistralPrompt",
  kind: "function",
  points: 2,
  task:
    "compléter mistralPrompt(messages) : le texte envoyé au modèle au format des jetons de contrôle de Mistral — « <s> », puis pour chaque tour utilisateur « [INST] contenu [/INST] » et pour chaque réponse « ␣contenu</s> » ; un message system éventuel (le premier) est placé devant le premier message utilisateur, suivi de deux sauts de ligne ; les tours doivent alterner utilisateur / assistant en commençant par l'utilisateur (sinon une erreur)",
  hints: [
    "Commencez par retirer le message system s'il est en tête, et gardez son contenu pour le premier tour utilisateur : system + \"\\n\\n\" + contenu.",
    "Le tour i (hors system) doit être « user » quand i est pair et « assistant » quand i est impair : sinon throw new Error(...).",
    "« <s>[INST] Bonjour [/INST] Salut !</s>[INST] Ça va ? [/INST] » : pas d'espace après <s>, une espace avant la réponse, pas d'espace après </s>.",
  ],
  tests: [
    {
      name: "un seul message utilisateur → « <s>[INST] The cat is on the roof. [/INST] »",
      run: (f) => expectEqual(f([{ role: "user", content: "The cat is on the roof." }]), "<s>[INST] The cat is on the roof. [/INST]"),
    },
    {
      name: "deux tours : réponse entre « [/INST] » et « </s> », puis le tour suivant",
      run: (f) =>
        expectEqual(
          f([
            { role: "user", content: "Bonjour" },
            { role: "assistant", content: "Salut !" },
            { role: "user", content: "Ça va ?" },
          ]),
          "<s>[INST] Bonjour [/INST] Salut !</s>[INST] Ça va ? [/INST]",
        ),
    },
    {
      name: "le message system va devant le premier tour utilisateur, suivi de deux sauts de ligne",
      run: (f) =>
        expectEqual(
          f([
            { role: "system", content: "Réponds en français." },
            { role: "user", content: "Hello" },
            { role: "assistant", content: "Bonjour" },
            { role: "user", content: "Thanks" },
          ]),
          "<s>[INST] Réponds en français.\n\nHello [/INST] Bonjour</s>[INST] Thanks [/INST]",
        ),
    },
    {
      name: "tours qui n'alternent pas (deux « user » de suite, ou une réponse en premier) → erreur",
      run: (f) => {
        // A stub that always throws must not pass: the same function has to accept a valid conversation.
        expectEqual(f([{ role: "user", content: "a" }]), "<s>[INST] a [/INST]", "conversation valide");
        expectThrows(() => f([{ role: "user", content: "a" }, { role: "user", content: "b" }]), undefined, "deux tours utilisateur");
        expectThrows(() => f([{ role: "assistant", content: "a" }]), undefined, "l'assistant en premier");
      },
    },
  ],
});

const conversationCost = defineExercise<ConversationCost>({
  id: "tp10.conversation_cost",
  title: "Tokens et coût d'une conversation",
  symbol: "conversationCost",
  kind: "function",
  points: 2,
  task:
    "compléter conversationCost(messages, countTokens, price, outputTokens) : les tokens d'entrée d'une conversation comptés comme OpenAI (3 tokens de structure par message + les tokens du rôle + ceux du contenu, et 3 tokens qui amorcent la réponse) et le coût = entrée × prix d'entrée + sortie × prix de sortie, prix par million de tokens",
  hints: [
    "inputTokens = 3 + Σ (3 + countTokens(rôle) + countTokens(contenu)) sur les messages.",
    "cost = inputTokens × price.inputPerMillion / 1e6 + outputTokens × price.outputPerMillion / 1e6.",
  ],
  tests: [
    {
      // 3 + (3 + 1 + 2) = 9 input tokens; 9 × 2.5/1e6 + 10 × 10/1e6 = 0.0000225 + 0.0001 = 0.0001225
      name: "« Hello world » (compteur de mots) : 9 tokens d'entrée ; gpt-4o (2,5 $ / 10 $ le million), 10 tokens de sortie → 0,0001225 $",
      run: (f) => {
        const result = f([{ role: "user", content: "Hello world" }], words, { inputPerMillion: 2.5, outputPerMillion: 10 }, 10);
        expectEqual(result.inputTokens, 9, "inputTokens");
        expectClose(result.cost, 0.0001225, 1e-12, "cost");
      },
    },
    {
      // system: 3 + 1 + 4 = 8; user: 3 + 1 + 3 = 7; assistant: 3 + 1 + 2 = 6; + 3 → 24.
      // 24 × 0.18/1e6 + 100 × 0.54/1e6 = 4.32e-6 + 5.4e-5 = 5.832e-5
      name: "trois messages : 24 tokens d'entrée ; Mistral Small (0,18 € / 0,54 €), 100 tokens de sortie → 5,832e-5 €",
      run: (f) => {
        const messages: Message[] = [
          { role: "system", content: "You classify movie reviews." },
          { role: "user", content: "Very bad movie" },
          { role: "assistant", content: '{"gpt_sentiment": "neg"}' },
        ];
        const result = f(messages, words, { inputPerMillion: 0.18, outputPerMillion: 0.54 }, 100);
        expectEqual(result.inputTokens, 24, "inputTokens");
        expectClose(result.cost, 5.832e-5, 1e-15, "cost");
      },
    },
    {
      name: "le compteur de tokens donné est bien utilisé (un compteur de caractères donne 3 + 3 + 4 + 2 = 12)",
      run: (f) => expectEqual(f([{ role: "user", content: "Hi" }], (t) => t.length, { inputPerMillion: 1, outputPerMillion: 1 }, 0).inputTokens, 12),
    },
  ],
});

const sse = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;

const parseSse = defineExercise<ParseSse>({
  id: "tp10.parse_sse",
  title: "Lire un flux SSE de l'API",
  symbol: "parseSse",
  kind: "function",
  points: 2,
  task:
    "compléter parseSse(chunks) : le texte d'une réponse en streaming (Server-Sent Events) reçue en morceaux quelconques — concaténer choices[0].delta.content de chaque ligne « data: {…} », ignorer les lignes vides, les commentaires (« : … ») et les deltas sans contenu, s'arrêter à « data: [DONE] » (done = true)",
  hints: [
    "Un morceau peut couper une ligne en deux : accumulez le texte reçu dans un tampon et ne traitez que les lignes complètes (terminées par \\n).",
    "Retirez un \\r final éventuel (\\r\\n), puis : ligne vide ou qui commence par « : » → ignorer ; « data: [DONE] » → fin ; « data: {…} » → JSON.parse.",
    "delta.content peut manquer (premier morceau avec le rôle, dernier avec finish_reason) : ajoutez ?? \"\".",
  ],
  tests: [
    {
      name: "trois événements puis [DONE] → « Le chat dort. », done = true",
      run: (f) => expectEqual(f([sse("Le"), sse(" chat"), sse(" dort."), "data: [DONE]\n\n"]), { text: "Le chat dort.", done: true }),
    },
    {
      name: "des événements coupés au milieu d'une ligne et du JSON",
      run: (f) => {
        const stream = sse("Bon") + sse("jour") + "data: [DONE]\n\n";
        const chunks = [stream.slice(0, 7), stream.slice(7, 40), stream.slice(40, 41), stream.slice(41)];
        expectEqual(f(chunks), { text: "Bonjour", done: true });
      },
    },
    {
      name: "deltas sans contenu (rôle, finish_reason), commentaires « : ping » et fins de ligne \\r\\n",
      run: (f) => {
        const role = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant" } }] })}\r\n\r\n`;
        const end = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\r\n\r\n`;
        expectEqual(f([role, ": ping\n\n", sse("ok").replace(/\n/g, "\r\n"), end, "data: [DONE]\r\n\r\n"]), { text: "ok", done: true });
      },
    },
    {
      name: "flux interrompu avant [DONE] → le texte reçu, done = false ; rien après [DONE] n'est lu",
      run: (f) => {
        expectEqual(f([sse("a"), sse("b")]), { text: "ab", done: false }, "sans [DONE]");
        expectEqual(f([sse("a"), "data: [DONE]\n\n", sse("b")]), { text: "a", done: true }, "après [DONE]");
      },
    },
  ],
});

const SENTIMENT: Record<string, string[]> = { gpt_sentiment: ["pos", "neg"], gpt_explanation: [] };

/** A fake model: answers in order, and records what it was asked. */
function scripted(answers: string[]) {
  const calls: { attempt: number; feedback: string | null }[] = [];
  const ask = async (attempt: number, feedback: string | null) => {
    calls.push({ attempt, feedback });
    return answers[Math.min(attempt - 1, answers.length - 1)]!;
  };
  return { ask, calls };
}

const askJson = defineExercise<AskJson>({
  id: "tp10.ask_json",
  title: "Une réponse JSON validée, avec nouvel essai",
  symbol: "askJson",
  kind: "function",
  points: 3,
  task:
    "compléter askJson(ask, allowed, maxAttempts) : demander une réponse (ask(essai, retour), essais numérotés à partir de 1), la lire en JSON et la valider — un objet dont les clés sont exactement celles de allowed, chaque valeur une chaîne, et dans la liste allowed[clé] quand elle n'est pas vide ; en cas d'échec, redemander en passant en retour une phrase qui dit le problème et nomme la clé fautive s'il y en a une (null au premier essai) ; renvoyer { value, attempts } ou lever une erreur après maxAttempts essais",
  hints: [
    "Une boucle for (let attempt = 1; attempt <= maxAttempts; attempt++) ; feedback vaut null au départ, puis le message du dernier problème.",
    "JSON.parse lève une erreur sur un texte qui n'est pas du JSON : attrapez-la et faites-en le retour (« réponse qui n'est pas du JSON »).",
    "Vérifiez : objet (pas null, pas un tableau), aucune clé en trop ni manquante, valeurs de type string, valeur dans allowed[clé] si la liste n'est pas vide.",
  ],
  tests: [
    {
      name: "une réponse valide du premier coup → { value, attempts: 1 }, retour null",
      run: async (f) => {
        const { ask, calls } = scripted(['{"gpt_sentiment": "neg", "gpt_explanation": "bad movie"}']);
        expectEqual(await f(ask, SENTIMENT, 3), { value: { gpt_sentiment: "neg", gpt_explanation: "bad movie" }, attempts: 1 });
        expectEqual(calls, [{ attempt: 1, feedback: null }], "appels à ask");
      },
    },
    {
      name: "texte qui n'est pas du JSON, puis valeur hors de la liste, puis bonne réponse → attempts: 3, avec un retour à chaque nouvel essai",
      run: async (f) => {
        const { ask, calls } = scripted([
          "The review is negative.",
          '{"gpt_sentiment": "negative", "gpt_explanation": "x"}',
          '{"gpt_sentiment": "pos", "gpt_explanation": "great"}',
        ]);
        expectEqual(await f(ask, SENTIMENT, 5), { value: { gpt_sentiment: "pos", gpt_explanation: "great" }, attempts: 3 });
        expectEqual(calls.map((c) => c.attempt), [1, 2, 3], "numéros d'essai");
        expectTrue(calls[0]!.feedback === null, "le premier essai n'a pas de retour (null)");
        expectTrue(typeof calls[1]!.feedback === "string" && calls[1]!.feedback.length > 0, "le 2e essai reçoit un retour qui décrit le problème");
        expectTrue(typeof calls[2]!.feedback === "string" && calls[2]!.feedback.includes("gpt_sentiment"), "le retour du 3e essai nomme la clé fautive « gpt_sentiment »");
      },
    },
    {
      name: "clé manquante, clé en trop, tableau, valeur non textuelle : refusés ; erreur après maxAttempts essais",
      run: async (f) => {
        for (const bad of ['{"gpt_sentiment": "pos"}', '{"gpt_sentiment": "pos", "gpt_explanation": "x", "score": "1"}', "[]", '{"gpt_sentiment": 1, "gpt_explanation": "x"}']) {
          const { ask, calls } = scripted([bad]);
          await expectRejects(() => f(ask, SENTIMENT, 2), undefined, `réponse ${bad}`);
          expectEqual(calls.length, 2, `nombre d'essais pour ${bad}`);
        }
      },
    },
  ],
});

const fewShotPrompt = defineExercise<FewShotPrompt>({
  id: "tp10.few_shot_prompt",
  title: "Un prompt few-shot qui tient dans le budget",
  symbol: "fewShotPrompt",
  kind: "function",
  points: 2,
  task:
    "compléter fewShotPrompt(instruction, examples, query, countTokens, budget) : le prompt au format des supports — l'instruction, puis une ligne « - entrée => sortie » par exemple, puis « - requête => » — avec autant d'exemples que possible, pris dans l'ordre, sans que le prompt dépasse budget tokens ; erreur si même sans exemple il ne tient pas",
  hints: [
    "Lignes jointes par \"\\n\" : instruction, « - The cat is on the roof. => Le chat est sur le toit. », …, « - The bird sings. => ».",
    "Essayez k = examples.length, puis k − 1, … jusqu'à 0 : le premier prompt dont countTokens(prompt) ≤ budget est le bon.",
  ],
  tests: [
    {
      name: "l'exemple des supports, budget large → instruction, deux exemples, requête",
      run: (f) =>
        expectEqual(
          f(
            "Translate the following sentences to French:",
            [["The cat is on the roof.", "Le chat est sur le toit."], ["The dog is in the garden.", "Le chien est dans le jardin."]],
            "The bird sings.",
            words,
            1000,
          ),
          "Translate the following sentences to French:\n- The cat is on the roof. => Le chat est sur le toit.\n- The dog is in the garden. => Le chien est dans le jardin.\n- The bird sings. =>",
        ),
    },
    {
      // instruction 6 words + "- The bird sings. =>" 5 → 11; each example line "-" + 6 + "=>" + 6 = 14 words.
      // budget 25 → the first example only (11 + 14 = 25); budget 24 → none (11); budget 10 → error
      name: "budget 25 mots → un seul exemple ; 24 → aucun ; 10 → erreur",
      run: (f) => {
        const examples: [string, string][] = [["The cat is on the roof.", "Le chat est sur le toit."], ["The dog is in the garden.", "Le chien est dans le jardin."]];
        const instruction = "Translate the following sentences to French:";
        expectEqual(f(instruction, examples, "The bird sings.", words, 25), `${instruction}\n- The cat is on the roof. => Le chat est sur le toit.\n- The bird sings. =>`, "budget 25");
        expectEqual(f(instruction, examples, "The bird sings.", words, 24), `${instruction}\n- The bird sings. =>`, "budget 24");
        expectThrows(() => f(instruction, examples, "The bird sings.", words, 10), undefined, "budget 10");
      },
    },
  ],
});

/** A fake API: answers in order; records the waits. */
function fakeApi(answers: HttpAnswer[]) {
  let calls = 0;
  const waits: number[] = [];
  const call = async () => answers[Math.min(calls++, answers.length - 1)]!;
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { call, sleep, waits, calls: () => calls };
}

const withBackoff = defineExercise<WithBackoff>({
  id: "tp10.with_backoff",
  title: "Réessayer avec un délai exponentiel (429, 5xx)",
  symbol: "withBackoff",
  kind: "function",
  points: 2,
  task:
    "compléter withBackoff(call, sleep, retries, baseMs) : appeler l'API ; sur un statut 429 ou 5xx, attendre puis réessayer, au plus retries fois — attendre retry-after secondes quand l'en-tête est présent, sinon baseMs × 2^n (n = 0, 1, 2… le numéro du nouvel essai) ; toute autre réponse (200, 400, 401, 404…) est renvoyée telle quelle, sans nouvel essai ; après retries nouveaux essais, renvoyer la dernière réponse",
  hints: [
    "for (let n = 0; ; n++) { const answer = await call(); if (!(answer.status === 429 || answer.status >= 500) || n === retries) return answer; await sleep(délai); }",
    "L'en-tête est en minuscules : answer.headers[\"retry-after\"] (des secondes, en texte) → Number(...) × 1000 ms.",
  ],
  tests: [
    {
      name: "429, 503, puis 200 → attentes de 100 puis 200 ms, la réponse 200",
      run: async (f) => {
        const api = fakeApi([{ status: 429, headers: {} }, { status: 503, headers: {} }, { status: 200, headers: {} }]);
        expectEqual(await f(api.call, api.sleep, 5, 100), { status: 200, headers: {} });
        expectEqual(api.waits, [100, 200], "attentes (ms)");
      },
    },
    {
      name: "retry-after: 2 → attente de 2 000 ms au lieu du délai exponentiel",
      run: async (f) => {
        const api = fakeApi([{ status: 429, headers: { "retry-after": "2" } }, { status: 200, headers: {} }]);
        await f(api.call, api.sleep, 3, 100);
        expectEqual(api.waits, [2000], "attentes (ms)");
      },
    },
    {
      name: "400 et 401 : renvoyées tout de suite, sans attendre ni réessayer",
      run: async (f) => {
        for (const status of [400, 401, 404]) {
          const api = fakeApi([{ status, headers: {} }, { status: 200, headers: {} }]);
          expectEqual((await f(api.call, api.sleep, 3, 100)).status, status, `statut ${status}`);
          expectEqual(api.calls(), 1, `appels pour ${status}`);
        }
      },
    },
    {
      name: "toujours 429 avec retries = 3 → 4 appels, attentes 50, 100, 200, puis la dernière réponse 429",
      run: async (f) => {
        const api = fakeApi([{ status: 429, headers: {} }]);
        expectEqual((await f(api.call, api.sleep, 3, 50)).status, 429);
        expectEqual(api.calls(), 4, "appels");
        expectEqual(api.waits, [50, 100, 200], "attentes (ms)");
      },
    },
  ],
});

export default defineLesson({
  tp: "tp10",
  notebook: "tp10-prompting",
  title: "Prompting et API de chat",
  exercises: [mistralPrompt, conversationCost, parseSse, askJson, fewShotPrompt, withBackoff],
});
