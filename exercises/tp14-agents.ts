/**
 * TP14 — Agents: the exercises of solutions/tp14-agents.ipynb and their visible tests. Expected values are
 * worked out by hand in the comments. None is one call of a library function: lib/agents builds schemas
 * from zod (not from a parameter list), validates with English messages (the exercises fix French ones),
 * dispatches AgentTool lists (not a record of functions), runs the loop through function calling (not the
 * text ReAct format) and converts MCP tools without a server prefix.
 */
import { defineExercise, defineLesson } from "../lib/grading/spec";
import { expectEqual, expectThrows, expectTrue } from "../lib/grading/expect";

type JsonType = "string" | "integer" | "number" | "boolean";
type Param = { name: string; type: JsonType; description?: string; optional?: boolean };
type Schema = { type: "object"; properties: Record<string, { type: JsonType; description?: string; minimum?: number; maximum?: number; enum?: unknown[] }>; required?: string[] };
type OpenAITool = { type: "function"; function: { name: string; description: string; parameters: Record<string, unknown> } };
type ToolSchema = (name: string, description: string, params: Param[]) => OpenAITool;
type ValidateArguments = (parameters: Schema, args: unknown) => string[];
type ToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };
type ToolRecord = Record<string, { parameters: Schema; run: (args: any) => string }>;
type DispatchToolCall = (call: ToolCall, tools: ToolRecord) => { role: "tool"; tool_call_id: string; content: string };
type ReactStep = { thought: string; action: string; input: Record<string, unknown> } | { thought: string; answer: string };
type ParseReactStep = (text: string) => ReactStep;
type ReactLoop = (
  complete: (prompt: string) => Promise<string>,
  tools: Record<string, (input: any) => string | Promise<string>>,
  question: string,
  maxSteps: number,
) => Promise<{ answer: string | null; steps: number; transcript: string }>;
type McpListedTool = { name: string; description?: string; inputSchema: Record<string, unknown> };
type McpToOpenAI = (serverName: string, listed: McpListedTool[]) => OpenAITool[];

const toolSchema = defineExercise<ToolSchema>({
  id: "tp14.tool_schema",
  title: "Le schéma JSON d'un outil",
  symbol: "toolSchema",
  kind: "function",
  points: 2,
  task:
    "compléter toolSchema(name, description, params) : la définition OpenAI d'un outil — { type: \"function\", function: { name, description, parameters } } où parameters est un schéma JSON { type: \"object\", properties, required } : une propriété { type, description? } par paramètre (description seulement si elle est donnée), required = les noms des paramètres non optionnels, dans l'ordre ; erreur si le nom de l'outil n'est pas 1 à 64 lettres, chiffres, « _ » ou « - », ou si deux paramètres ont le même nom",
  hints: [
    "Le nom : /^[A-Za-z0-9_-]{1,64}$/.test(name), sinon throw new Error(...).",
    "properties[p.name] = p.description === undefined ? { type: p.type } : { type: p.type, description: p.description }.",
    "required : params.filter((p) => !p.optional).map((p) => p.name).",
  ],
  tests: [
    {
      name: "la calculatrice de chat-mini : { expression: string } obligatoire",
      run: (f) =>
        expectEqual(f("calculator", "Computes an arithmetic expression.", [{ name: "expression", type: "string" }]), {
          type: "function",
          function: { name: "calculator", description: "Computes an arithmetic expression.", parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] } },
        }),
    },
    {
      name: "descriptions et paramètre optionnel",
      run: (f) =>
        expectEqual(
          f("sotu_search", "Searches the speeches.", [
            { name: "query", type: "string", description: "keywords" },
            { name: "year", type: "integer", optional: true },
          ]).function.parameters,
          { type: "object", properties: { query: { type: "string", description: "keywords" }, year: { type: "integer" } }, required: ["query"] },
        ),
    },
    {
      name: "nom invalide (espace, vide) ou paramètre en double → erreur",
      run: (f) => {
        expectEqual(f("ok_name", "d", []).function.name, "ok_name", "un nom valide");
        expectThrows(() => f("la météo", "d", []), undefined, "« la météo »");
        expectThrows(() => f("", "d", []), undefined, "nom vide");
        expectThrows(() => f("t", "d", [{ name: "a", type: "string" }, { name: "a", type: "integer" }]), undefined, "« a » deux fois");
      },
    },
  ],
});

const NUMBER_SCHEMA: Schema = { type: "object", properties: { n: { type: "integer", minimum: 0, maximum: 999999 }, lang: { type: "string", enum: ["fr", "en"] } }, required: ["n"] };

const validateArguments = defineExercise<ValidateArguments>({
  id: "tp14.validate_arguments",
  title: "Valider les arguments avant d'appeler l'outil",
  symbol: "validateArguments",
  kind: "function",
  points: 3,
  task:
    "compléter validateArguments(parameters, args) : la liste des problèmes des arguments (vide s'ils sont valides) — si args n'est pas un objet (null, tableau, nombre…) : [\"les arguments doivent être un objet JSON\"] ; sinon d'abord « argument manquant : clé » pour chaque clé de required absente (dans l'ordre de required), puis pour chaque clé de args dans son ordre : « argument inconnu : clé » si elle n'est pas dans properties, « clé : texte attendu » / « entier attendu » / « nombre attendu » / « booléen attendu » si le type ne va pas, sinon « clé : doit être ≥ minimum », « clé : doit être ≤ maximum », « clé : valeur non autorisée » (enum)",
  hints: [
    "Objet : typeof args === \"object\" && args !== null && !Array.isArray(args).",
    "Types : string → typeof v === \"string\" ; integer → Number.isInteger(v) ; number → typeof v === \"number\" && Number.isFinite(v) ; boolean → typeof v === \"boolean\".",
    "Un seul problème par clé : si le type est faux, on ne regarde pas minimum, maximum ni enum.",
  ],
  tests: [
    {
      name: "arguments valides → []",
      run: (f) => {
        expectEqual(f(NUMBER_SCHEMA, { n: 42 }), []);
        expectEqual(f(NUMBER_SCHEMA, { n: 0, lang: "en" }), []);
      },
    },
    {
      name: "pas un objet → un seul problème",
      run: (f) => {
        for (const args of [null, [1], 42, "n=3"]) expectEqual(f(NUMBER_SCHEMA, args), ["les arguments doivent être un objet JSON"], JSON.stringify(args));
      },
    },
    {
      name: "manquant, inconnu, mauvais type",
      run: (f) => {
        expectEqual(f(NUMBER_SCHEMA, { lang: "fr", x: 1 }), ["argument manquant : n", "argument inconnu : x"]);
        expectEqual(f(NUMBER_SCHEMA, { n: 3.5 }), ["n : entier attendu"]);
        expectEqual(f(NUMBER_SCHEMA, { n: "12" }), ["n : entier attendu"]);
        expectEqual(f({ type: "object", properties: { e: { type: "string" }, x: { type: "number" }, b: { type: "boolean" } } }, { e: 1, x: "2", b: "true" }), ["e : texte attendu", "x : nombre attendu", "b : booléen attendu"]);
      },
    },
    {
      name: "bornes et valeurs permises",
      run: (f) => {
        expectEqual(f(NUMBER_SCHEMA, { n: -1 }), ["n : doit être ≥ 0"]);
        expectEqual(f(NUMBER_SCHEMA, { n: 1000000, lang: "de" }), ["n : doit être ≤ 999999", "lang : valeur non autorisée"]);
      },
    },
  ],
});

const TOOLS: ToolRecord = {
  calculator: {
    parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
    run: ({ expression }: { expression: string }) => {
      const match = /^(\d+)\s*\*\s*(\d+)$/.exec(expression);
      if (!match) throw new Error(`expression non reconnue : ${expression}`);
      return String(Number(match[1]) * Number(match[2]));
    },
  },
  number_to_french: { parameters: NUMBER_SCHEMA, run: ({ n }: { n: number }) => (n === 71 ? "soixante et onze" : String(n)) },
};
const toolCall = (name: string, args: string, id = "call_7"): ToolCall => ({ id, type: "function", function: { name, arguments: args } });

const dispatchToolCall = defineExercise<DispatchToolCall>({
  id: "tp14.dispatch_tool_call",
  title: "Exécuter un appel d'outil du modèle",
  symbol: "dispatchToolCall",
  kind: "function",
  points: 3,
  task:
    "compléter dispatchToolCall(call, tools) : le message { role: \"tool\", tool_call_id: call.id, content } qui répond à un appel du modèle — content est le résultat de tools[nom].run(arguments) ; sinon une erreur que le modèle pourra lire : « Erreur : outil inconnu « nom » (outils : a, b) », « Erreur : les arguments ne sont pas du JSON », « Erreur : » suivi des problèmes de validateArguments joints par « ; », ou « Erreur : » suivi du message de l'exception levée par l'outil ; ne lève jamais d'exception",
  hints: [
    "name in tools (ou Object.prototype.hasOwnProperty.call(tools, name)) pour l'outil inconnu ; Object.keys(tools).join(\", \") pour la liste.",
    "JSON.parse dans un try/catch ; puis const problems = validateArguments(tool.parameters, args) ; problems.join(\" ; \").",
    "Le run aussi dans un try/catch : content = `Erreur : ${(error as Error).message}`.",
  ],
  tests: [
    {
      name: "un appel valide → le résultat, avec le même tool_call_id",
      run: (f) => {
        expectEqual(f(toolCall("calculator", '{"expression": "37*24"}'), TOOLS), { role: "tool", tool_call_id: "call_7", content: "888" });
        expectEqual(f(toolCall("number_to_french", '{"n": 71}', "call_8"), TOOLS), { role: "tool", tool_call_id: "call_8", content: "soixante et onze" });
      },
    },
    {
      name: "outil inconnu, arguments qui ne sont pas du JSON",
      run: (f) => {
        expectEqual(f(toolCall("weather", '{"city": "Paris"}'), TOOLS).content, "Erreur : outil inconnu « weather » (outils : calculator, number_to_french)");
        expectEqual(f(toolCall("calculator", "{expression: 37*24}"), TOOLS).content, "Erreur : les arguments ne sont pas du JSON");
      },
    },
    {
      name: "arguments invalides (validateArguments) et outil qui lève une exception",
      run: (f) => {
        expectEqual(f(toolCall("number_to_french", '{"n": -3, "x": 1}'), TOOLS).content, "Erreur : n : doit être ≥ 0 ; argument inconnu : x");
        expectEqual(f(toolCall("calculator", '{"expression": "2+2"}'), TOOLS).content, "Erreur : expression non reconnue : 2+2");
        expectEqual(f(toolCall("calculator", '{"expression": 42}'), TOOLS).content, "Erreur : expression : texte attendu");
      },
    },
  ],
});

const parseReactStep = defineExercise<ParseReactStep>({
  id: "tp14.parse_react_step",
  title: "Lire une étape ReAct (Thought / Action / Final Answer)",
  symbol: "parseReactStep",
  kind: "function",
  points: 2,
  task:
    "compléter parseReactStep(text) : une étape écrite par le modèle au format ReAct — { thought, action, input } pour « Thought: … / Action: nom / Action Input: {json} », ou { thought, answer } pour « Thought: … / Final Answer: … » ; thought vaut \"\" sans ligne Thought ; tout ce qui suit une ligne « Observation: » est ignoré (le modèle l'a inventé) ; la réponse finale va jusqu'à la fin du texte ; erreur si ni Action ni Final Answer, si les deux, si Action sans Action Input, ou si Action Input n'est pas un objet JSON",
  hints: [
    "Coupez d'abord le texte à la première ligne qui commence par « Observation: » : const kept = text.split(/^Observation:/m)[0].",
    "Des expressions régulières ligne à ligne : /^Thought:(.*)$/m, /^Action:(.*)$/m, /^Action Input:(.*)$/m, /^Final Answer:([\\s\\S]*)$/m ; pensez à .trim().",
    "Action Input : JSON.parse, puis vérifier typeof v === \"object\" && v !== null && !Array.isArray(v).",
  ],
  tests: [
    {
      name: "une action : pensée, outil, arguments",
      run: (f) =>
        expectEqual(f('Thought: I must compute the product.\nAction: calculator\nAction Input: {"expression": "37*24"}'), {
          thought: "I must compute the product.",
          action: "calculator",
          input: { expression: "37*24" },
        }),
    },
    {
      name: "une réponse finale (sur deux lignes), sans Thought",
      run: (f) => {
        expectEqual(f("Thought: I know it now.\nFinal Answer: 888"), { thought: "I know it now.", answer: "888" });
        expectEqual(f("Final Answer: huit cent\nquatre-vingt-huit"), { thought: "", answer: "huit cent\nquatre-vingt-huit" });
      },
    },
    {
      name: "une observation inventée par le modèle est ignorée",
      run: (f) =>
        expectEqual(f('Thought: t\nAction: calculator\nAction Input: {"expression": "2*3"}\nObservation: 7\nFinal Answer: 7'), { thought: "t", action: "calculator", input: { expression: "2*3" } }),
    },
    {
      name: "texte sans action ni réponse, les deux, Action sans Action Input, Action Input qui n'est pas un objet → erreur",
      run: (f) => {
        expectEqual(f("Final Answer: ok"), { thought: "", answer: "ok" }, "un texte valide");
        expectThrows(() => f("Thought: hmm, let me think."), undefined, "ni Action ni Final Answer");
        expectThrows(() => f('Action: calculator\nAction Input: {"expression": "1*1"}\nFinal Answer: 1'), undefined, "Action et Final Answer");
        expectThrows(() => f("Action: calculator"), undefined, "Action sans Action Input");
        expectThrows(() => f("Action: calculator\nAction Input: 37*24"), undefined, "Action Input qui n'est pas du JSON");
        expectThrows(() => f("Action: calculator\nAction Input: [1, 2]"), undefined, "Action Input tableau");
      },
    },
  ],
});

/** A fake LLM: answers in order and records the prompts it got. */
function scriptedCompletions(answers: string[]) {
  const prompts: string[] = [];
  const complete = async (prompt: string) => {
    prompts.push(prompt);
    return answers[Math.min(prompts.length - 1, answers.length - 1)]!;
  };
  return { complete, prompts };
}

const reactLoop = defineExercise<ReactLoop>({
  id: "tp14.react_loop",
  title: "La boucle ReAct avec une limite d'étapes",
  symbol: "reactLoop",
  kind: "function",
  points: 3,
  task:
    "compléter reactLoop(complete, tools, question, maxSteps) : au plus maxSteps fois, demander au modèle complete(`Question: ${question}\\n` + transcript) et lire sa réponse avec parseReactStep ; une action ajoute au transcript « Thought: … \\nAction: nom\\nAction Input: JSON.stringify(input)\\nObservation: résultat\\n » (résultat de tools[nom](input), ou « Erreur : outil inconnu « nom » », ou « Erreur : » + le message si l'outil lève) ; une réponse finale ajoute « Thought: …\\nFinal Answer: …\\n » et renvoie { answer, steps, transcript } ; une réponse illisible ajoute « Observation: format invalide\\n » ; après maxSteps étapes sans réponse : { answer: null, steps: maxSteps, transcript }",
  hints: [
    "for (let step = 1; step <= maxSteps; step++) { const text = await complete(`Question: ${question}\\n${transcript}`); … }",
    "parseReactStep dans un try/catch : en cas d'erreur, transcript += \"Observation: format invalide\\n\" et on continue.",
    "\"answer\" in parsed distingue la réponse finale de l'action ; l'outil peut être async : await tools[nom](input).",
  ],
  tests: [
    {
      name: "une action puis la réponse : le modèle voit l'observation au 2e appel",
      run: async (f) => {
        const model = scriptedCompletions(['Thought: compute\nAction: calculator\nAction Input: {"expression": "37*24"}', "Thought: done\nFinal Answer: 888"]);
        const result = await f(model.complete, { calculator: ({ expression }: { expression: string }) => (expression === "37*24" ? "888" : "?") }, "What is 37 times 24?", 5);
        const transcript = 'Thought: compute\nAction: calculator\nAction Input: {"expression":"37*24"}\nObservation: 888\nThought: done\nFinal Answer: 888\n';
        expectEqual(result, { answer: "888", steps: 2, transcript });
        expectEqual(model.prompts, ["Question: What is 37 times 24?\n", 'Question: What is 37 times 24?\nThought: compute\nAction: calculator\nAction Input: {"expression":"37*24"}\nObservation: 888\n'], "prompts envoyés au modèle");
      },
    },
    {
      name: "un modèle qui boucle s'arrête à maxSteps, réponse null",
      run: async (f) => {
        const model = scriptedCompletions(['Thought: again\nAction: calculator\nAction Input: {"expression": "1*1"}']);
        const result = await f(model.complete, { calculator: () => "1" }, "Loop?", 3);
        expectEqual([result.answer, result.steps, model.prompts.length], [null, 3, 3]);
        expectEqual(result.transcript.split("Observation: 1\n").length - 1, 3, "trois observations");
      },
    },
    {
      name: "outil inconnu, outil qui lève, format invalide : une observation d'erreur, la boucle continue",
      run: async (f) => {
        const model = scriptedCompletions(["Action: weather\nAction Input: {}", "Action: fail\nAction Input: {}", "I think the answer is 4.", "Final Answer: 4"]);
        const tools = { fail: async () => { throw new Error("service indisponible"); } };
        const result = await f(model.complete, tools, "Q", 6);
        expectEqual(result.answer, "4");
        expectEqual(result.steps, 4);
        expectEqual(
          result.transcript,
          "Thought: \nAction: weather\nAction Input: {}\nObservation: Erreur : outil inconnu « weather »\nThought: \nAction: fail\nAction Input: {}\nObservation: Erreur : service indisponible\nObservation: format invalide\nThought: \nFinal Answer: 4\n",
        );
      },
    },
    {
      name: "les outils asynchrones sont attendus",
      run: async (f) => {
        const model = scriptedCompletions(["Action: slow\nAction Input: {\"x\": 2}", "Final Answer: ok"]);
        const result = await f(model.complete, { slow: async ({ x }: { x: number }) => String(x * 10) }, "Q", 2);
        expectTrue(result.transcript.includes("Observation: 20\n"), `le transcript contient « Observation: 20 » : ${JSON.stringify(result.transcript)}`);
      },
    },
  ],
});

const LISTED: McpListedTool[] = [
  { name: "calculator", description: "Computes an arithmetic expression.", inputSchema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { expression: { type: "string" } }, required: ["expression"] } },
  { name: "add_days", inputSchema: { type: "object", properties: { date: { type: "string" }, days: { type: "integer" } } } },
];

const mcpToOpenAI = defineExercise<McpToOpenAI>({
  id: "tp14.mcp_to_openai",
  title: "Des outils MCP aux outils OpenAI",
  symbol: "mcpToOpenAI",
  kind: "function",
  points: 2,
  task:
    "compléter mcpToOpenAI(serverName, listed) : les outils listés par un serveur MCP ({ name, description?, inputSchema }) au format OpenAI — nom préfixé « serveur__outil » (deux outils de deux serveurs peuvent porter le même nom), description \"\" si absente, parameters = inputSchema sans sa clé $schema (sans modifier l'objet reçu) ; erreur qui nomme l'outil si le nom préfixé n'est pas un nom OpenAI valide (1 à 64 lettres, chiffres, « _ » ou « - »)",
  hints: [
    "const { $schema, ...parameters } = tool.inputSchema retire la clé sans toucher l'original.",
    "const name = `${serverName}__${tool.name}` ; /^[A-Za-z0-9_-]{1,64}$/.test(name) sinon throw new Error(`… ${tool.name} …`).",
  ],
  tests: [
    {
      name: "deux outils du serveur « course »",
      run: (f) =>
        expectEqual(f("course", LISTED), [
          { type: "function", function: { name: "course__calculator", description: "Computes an arithmetic expression.", parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] } } },
          { type: "function", function: { name: "course__add_days", description: "", parameters: { type: "object", properties: { date: { type: "string" }, days: { type: "integer" } } } } },
        ]),
    },
    {
      name: "l'inputSchema reçu n'est pas modifié",
      run: (f) => {
        const listed = JSON.parse(JSON.stringify(LISTED)) as McpListedTool[];
        f("course", listed);
        expectEqual(listed, LISTED);
      },
    },
    {
      name: "nom préfixé invalide (espace, plus de 64 caractères) → erreur qui nomme l'outil",
      run: (f) => {
        expectEqual(f("s", []), [], "aucun outil");
        expectThrows(() => f("my server", LISTED), /calculator/, "serveur « my server »");
        expectThrows(() => f("s", [{ name: "x".repeat(62), inputSchema: { type: "object" } }]), /xxxx/, "nom de 65 caractères");
      },
    },
  ],
});

export default defineLesson({
  tp: "tp14",
  notebook: "tp14-agents",
  title: "Agents : outils, boucle ReAct et MCP",
  exercises: [toolSchema, validateArguments, dispatchToolCall, parseReactStep, reactLoop, mcpToOpenAI],
});
