/**
 * One generated choice, from the engine's tokens to the text a client sees: the HTTP layer submits every
 * choice of a request first ({@link submitChoices}, which throws the engine's QueueFullError before anything
 * is sent, so the client gets a clean 429), then reads each one ({@link readChoice}) piece by piece, with
 * whole UTF-8 characters, stop strings cut (and the engine request aborted at once), and tool-call text
 * kept apart from content.
 */
import type { GeneratedToken, GenerationEngine, GenerationHandle, GenerationRequest } from "./types";
import { TextGate, type StreamingDecoder } from "./text";

/** What one choice asks of the engine, and how its text is read. */
export interface ChoiceSpec {
  request: Omit<GenerationRequest, "signal">;
  /** Stop strings (text level). */
  stops: readonly string[];
  /** Where tool calls start in generated text (null: tools off, all text is content). */
  toolMarker: string | null;
}

/** A choice submitted to the engine. */
export interface SubmittedChoice {
  spec: ChoiceSpec;
  handle: GenerationHandle;
  /** Aborts this choice's engine request (a stop string was found). */
  controller: AbortController;
}

/** A piece of a choice as it streams: content text and the tokens generated since the last piece. */
export interface ChoicePiece {
  content: string;
  tokens: GeneratedToken[];
}

/** A finished choice. */
export interface ChoiceResult {
  /** Content text (stop string and tool calls excluded). */
  content: string;
  /** The text from the tool-call marker on, or null when none appeared. */
  toolText: string | null;
  /** Every generated token (for logprobs), up to the one that completed a stop string. */
  tokens: GeneratedToken[];
  finishReason: "stop" | "length";
  promptTokens: number;
  completionTokens: number;
}

/**
 * Submits every choice, each with its own abort (stop strings) tied to `signal` (the client going away).
 * If the engine refuses one (queue full), the ones already submitted are aborted and the error is thrown.
 */
export function submitChoices(engine: GenerationEngine, specs: readonly ChoiceSpec[], signal: AbortSignal): SubmittedChoice[] {
  const submitted: SubmittedChoice[] = [];
  try {
    for (const spec of specs) {
      const controller = new AbortController();
      const handle = engine.submit({ ...spec.request, signal: AbortSignal.any([signal, controller.signal]) });
      submitted.push({ spec, handle, controller });
    }
  } catch (error) {
    for (const choice of submitted) choice.controller.abort();
    throw error;
  }
  return submitted;
}

/**
 * Reads a submitted choice to its end, calling `onPiece` whenever there is content to show (streaming) and
 * returning the whole choice. `decoder` turns the choice's token ids into text (the model's own, one per choice).
 */
export async function readChoice(choice: SubmittedChoice, decoder: StreamingDecoder, onPiece?: (piece: ChoicePiece) => void): Promise<ChoiceResult> {
  const gate = new TextGate(choice.spec.stops, choice.spec.toolMarker);
  const tokens: GeneratedToken[] = [];
  let content = "";
  let unsent: GeneratedToken[] = [];
  const release = (text: string): void => {
    content += text;
    if (onPiece !== undefined && (text !== "" || gate.stopped)) {
      onPiece({ content: text, tokens: unsent });
      unsent = [];
    }
  };
  for await (const token of choice.handle.tokens) {
    tokens.push(token);
    unsent.push(token);
    const out = gate.push(decoder.push(token.id));
    release(out.content);
    if (out.stopped) {
      choice.controller.abort();
      break;
    }
  }
  if (!gate.stopped) release(gate.push(decoder.flush()).content + gate.flush());
  if (onPiece !== undefined && unsent.length > 0) onPiece({ content: "", tokens: unsent });
  const outcome = await choice.handle.finished;
  return {
    content,
    toolText: gate.toolText,
    tokens,
    // An abort is ours (a stop string) or the client's, who reads nothing more.
    finishReason: outcome.reason === "length" && !gate.stopped ? "length" : "stop",
    promptTokens: outcome.promptTokens,
    completionTokens: outcome.completionTokens,
  };
}

/** Reads every choice; if one fails, the others are aborted and the error is thrown. */
export async function readAll<T>(submitted: readonly SubmittedChoice[], read: (choice: SubmittedChoice, index: number) => Promise<T>): Promise<T[]> {
  try {
    return await Promise.all(submitted.map((choice, index) => read(choice, index)));
  } catch (error) {
    for (const choice of submitted) choice.controller.abort();
    throw error;
  }
}
