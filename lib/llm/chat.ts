/**
 * The chat model a notebook talks to through the official `openai` SDK: a real provider when an API key is
 * configured, else the course's chat model behind the course's local OpenAI-compatible server. The same
 * notebook cells run against both; {@link chatClient} says which one answers.
 *
 *   const chat = await chatClient({ server });      // server = await startServer()
 *   console.log(chat.description);
 *   await chat.client.chat.completions.create({ model: chat.model, messages });
 */
import OpenAI from "openai";
import { offlineForced, OFFLINE_VARIABLE } from "./models";

/** The environment variables that switch the notebooks to a real provider (those the SDK itself reads). */
export const PROVIDER_VARIABLES = Object.freeze({ apiKey: "OPENAI_API_KEY", baseUrl: "OPENAI_BASE_URL", model: "LLM_COURSE_CHAT_MODEL" });

/** The provider model used when LLM_COURSE_CHAT_MODEL does not name one. */
export const DEFAULT_PROVIDER_MODEL = "gpt-4o-mini";

/** The course's chat model id on the local server. */
export const COURSE_CHAT_MODEL_ID = "chat-mini";

/** What {@link chatClient} chose. */
export interface ChatClient {
  client: OpenAI;
  /** The model id to pass in every request. */
  model: string;
  source: "provider" | "course";
  /** One line for the notebook: which model answers, where, and why. */
  description: string;
}

/** Options of {@link chatClient}. */
export interface ChatClientOptions {
  /** The course's running local server (from `startServer()`): used when no provider key is configured. */
  server?: { baseURL: string; models: readonly string[] };
  /** The environment to read (default process.env); tests pass their own. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A provider when `OPENAI_API_KEY` is set (with `OPENAI_BASE_URL` for another OpenAI-compatible provider, and
 * `LLM_COURSE_CHAT_MODEL` for the model, default gpt-4o-mini) and LLM_COURSE_OFFLINE is not; otherwise the
 * course's chat model on `server`.
 */
export async function chatClient(options: ChatClientOptions = {}): Promise<ChatClient> {
  if (options === null || typeof options !== "object") throw new TypeError("chatClient: options must be an object such as { server }");
  const env = options.env ?? process.env;
  const apiKey = env[PROVIDER_VARIABLES.apiKey]?.trim() ?? "";
  const offline = offlineForced(env);
  if (apiKey !== "" && !offline) {
    const baseURL = env[PROVIDER_VARIABLES.baseUrl]?.trim() || "https://api.openai.com/v1";
    const model = env[PROVIDER_VARIABLES.model]?.trim() || DEFAULT_PROVIDER_MODEL;
    return {
      client: new OpenAI({ apiKey, baseURL }),
      model,
      source: "provider",
      description: `chat : ${model} sur ${baseURL} (${PROVIDER_VARIABLES.apiKey} est défini) — un vrai fournisseur : réponses et coûts réels`,
    };
  }
  const server = options.server;
  if (server === undefined) {
    throw new Error(`chatClient: no ${PROVIDER_VARIABLES.apiKey} is set, so the course's local server is needed: pass { server: await startServer() } (from @llm-course/lib/server)`);
  }
  if (!server.models.includes(COURSE_CHAT_MODEL_ID)) {
    throw new Error(`chatClient: the local server at ${server.baseURL} does not serve ${COURSE_CHAT_MODEL_ID} (it serves ${server.models.join(", ") || "nothing"}); run \`npm run models -- chat\` if data/models/chat-mini is missing`);
  }
  const why = offline && apiKey !== "" ? `${OFFLINE_VARIABLE} est défini` : `pas de ${PROVIDER_VARIABLES.apiKey}`;
  return {
    client: new OpenAI({ apiKey: "local", baseURL: server.baseURL }),
    model: COURSE_CHAT_MODEL_ID,
    source: "course",
    description: `chat : ${COURSE_CHAT_MODEL_ID}, modèle du cours, sur le serveur local du cours ${server.baseURL} (${why}) — un petit modèle entraîné par \`npm run models -- chat\` ; définissez ${PROVIDER_VARIABLES.apiKey} pour passer à un vrai fournisseur`,
  };
}
