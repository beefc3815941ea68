/**
 * From generated token ids to the text a client sees, piece by piece while streaming:
 * - {@link IncrementalDecoder} turns ids into text without ever splitting a UTF-8 character (a byte-level
 *   token may hold half of "é"): a piece is released only once it decodes without a trailing U+FFFD;
 *   {@link TokenBytesDecoder} does the same in one step per token for tokenizers whose text is exactly
 *   the concatenation of their tokens' bytes (GPT-2's byte-level decoder, and Fuse: tokens joined as they
 *   are, as in a character vocabulary);
 * - {@link TextGate} holds back text that may be the start of a stop string (cut there, the request ends)
 *   or of a tool-call marker (from there on the text is a tool call, not content).
 */
import { findStopSequence } from "../sampling/decode";

/** Generated ids in, whole characters out. */
export interface StreamingDecoder {
  /** The new text after `id`, "" while it ends inside a character. */
  push(id: number): string;
  /** What is left when generation ends (an incomplete character comes out as U+FFFD). */
  flush(): string;
}

/** Text decoding of the ids generated so far (any tokenizer), released in pieces that are whole characters. */
export class IncrementalDecoder implements StreamingDecoder {
  private readonly ids: number[] = [];
  // The text of ids[prefix, read) was released already; decoding from `prefix` (a few ids back) keeps the
  // context a decoder needs (a Metaspace "▁" at a word start, merged spaces) identical in both decodes.
  private prefix = 0;
  private read = 0;

  private readonly decode: (ids: readonly number[]) => string;

  constructor(decode: (ids: readonly number[]) => string) {
    // transformers.js refuses to decode an empty list.
    this.decode = (ids) => (ids.length === 0 ? "" : decode(ids));
  }

  push(id: number): string {
    this.ids.push(id);
    const before = this.decode(this.ids.slice(this.prefix, this.read));
    const now = this.decode(this.ids.slice(this.prefix));
    if (now.length <= before.length || now.endsWith("\uFFFD")) return "";
    this.prefix = this.read;
    this.read = this.ids.length;
    return now.slice(before.length);
  }

  flush(): string {
    const before = this.decode(this.ids.slice(this.prefix, this.read));
    const now = this.decode(this.ids.slice(this.prefix));
    this.prefix = this.read = this.ids.length;
    return now.length > before.length ? now.slice(before.length) : "";
  }
}

/**
 * The text of a tokenizer that writes its tokens' bytes one after another (see {@link writesTokenBytes}),
 * token by token: each token's bytes (`tokenBytes`, from lib/sampling's tokenByteTable) go through a
 * streaming UTF-8 decoder; a token without bytes (a special token) is its own text (`specialText`).
 * Re-decoding a window of ids at every token, as {@link IncrementalDecoder} must for other tokenizers,
 * costs tens of microseconds with transformers.js; this costs one lookup.
 */
export class TokenBytesDecoder implements StreamingDecoder {
  private readonly utf8 = new TextDecoder("utf-8");

  constructor(
    private readonly tokenBytes: readonly (Uint8Array | null)[],
    private readonly specialText: (id: number) => string,
  ) {}

  push(id: number): string {
    const bytes = this.tokenBytes[id];
    if (bytes) return this.utf8.decode(bytes, { stream: true });
    return this.utf8.decode() + this.specialText(id);
  }

  flush(): string {
    return this.utf8.decode();
  }
}

/**
 * Whether a tokenizer's decoding is exactly the concatenation of its tokens' bytes as tokenByteTable reads
 * them: GPT-2's ByteLevel decoder, or a lone Fuse (tokens joined as they are) without byte fallback (whose
 * `<0x41>` tokens Fuse would print as written) — and no clean-up of spaces afterwards, which would remove
 * the space before a punctuation mark.
 */
export function writesTokenBytes(tokenizerJson: unknown, cleanUpTokenizationSpaces: unknown): boolean {
  if (cleanUpTokenizationSpaces !== false || typeof tokenizerJson !== "object" || tokenizerJson === null) return false;
  const { decoder, model } = tokenizerJson as { decoder?: { type?: unknown } | null; model?: { byte_fallback?: unknown } };
  if (decoder?.type === "ByteLevel") return true;
  return decoder?.type === "Fuse" && model?.byte_fallback !== true;
}

/** The longest end of `text` that is a proper start of one of `markers`. */
function heldBack(text: string, markers: readonly string[]): number {
  let keep = 0;
  for (const marker of markers) {
    for (let n = Math.min(marker.length - 1, text.length); n > keep; n--) {
      if (text.endsWith(marker.slice(0, n))) {
        keep = n;
        break;
      }
    }
  }
  return keep;
}

/** What {@link TextGate.push} releases. */
export interface GateOutput {
  /** Content text safe to show now. */
  content: string;
  /** A stop string was found: the text ends before it, and generation should stop. */
  stopped: boolean;
}

/**
 * Splits a completion's text, fed piece by piece, into content released as early as possible, a stop
 * string (OpenAI's `stop`: the text ends before it) and, when tools are on, everything from the tool-call
 * marker on (kept in {@link toolText}, parsed when generation ends).
 */
export class TextGate {
  private pending = "";
  private stoppedAt = false;
  /** The text from the tool-call marker on, once it appeared; null before. */
  toolText: string | null = null;

  constructor(
    private readonly stops: readonly string[],
    private readonly toolMarker: string | null,
  ) {}

  get stopped(): boolean {
    return this.stoppedAt;
  }

  push(text: string): GateOutput {
    if (this.stoppedAt) return { content: "", stopped: true };
    this.pending += text;
    const stop = findStopSequence(this.pending, this.stops)?.index ?? null;
    if (this.toolText !== null) {
      // Inside tool calls: a stop string still ends generation, nothing is released as content.
      if (stop !== null) this.pending = this.pending.slice(0, stop);
      this.toolText += this.pending;
      this.pending = "";
      this.stoppedAt = stop !== null;
      return { content: "", stopped: this.stoppedAt };
    }
    const marker = this.toolMarker === null ? -1 : this.pending.indexOf(this.toolMarker);
    if (marker >= 0 && (stop === null || marker < stop)) {
      const content = this.pending.slice(0, marker);
      const rest = this.pending.slice(marker);
      this.pending = "";
      this.toolText = "";
      return { content, stopped: this.push(rest).stopped };
    }
    if (stop !== null) {
      const content = this.pending.slice(0, stop);
      this.pending = "";
      this.stoppedAt = true;
      return { content, stopped: true };
    }
    const keep = heldBack(this.pending, this.toolMarker === null ? this.stops : [...this.stops, this.toolMarker]);
    const content = this.pending.slice(0, this.pending.length - keep);
    this.pending = this.pending.slice(this.pending.length - keep);
    return { content, stopped: false };
  }

  /** The text still held back when generation ends (it turned out not to be a stop string or a marker). */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    if (this.toolText !== null) {
      this.toolText += rest;
      return "";
    }
    return rest;
  }
}
