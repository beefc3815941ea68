/**
 * Input checks and byte helpers shared by every tokenizer: strings must be well-formed UTF-16, and
 * byte-level tokenizers work on UTF-8 bytes held in "latin1 strings" (one char per byte, 0–255).
 */

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws unless `text` is a string of well-formed UTF-16 (no lone surrogate), which is what every
 * tokenizer needs to round-trip: a lone surrogate has no UTF-8 encoding. `caller` names the function
 * in the error message, e.g. `assertText(x, "encode")`.
 */
export function assertText(text: unknown, caller: string): asserts text is string {
  if (typeof text !== "string") {
    throw new TypeError(`${caller}() expects a string, got ${describeValue(text)}`);
  }
  const match = LONE_SURROGATE.exec(text);
  if (match !== null) {
    const unit = match[0].charCodeAt(0).toString(16).toUpperCase();
    throw new RangeError(
      `${caller}() got a lone surrogate U+${unit} at index ${match.index}: the string is not well-formed UTF-16, so it has no UTF-8 bytes to tokenize`,
    );
  }
}

/** Throws unless `ids` is an array of non-negative integers; returns it typed. */
export function assertIds(ids: unknown, caller: string): readonly number[] {
  if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
    throw new TypeError(`${caller}() expects an array of token ids, got ${describeValue(ids)}`);
  }
  const list = ids as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++) {
    const id = list[i];
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
      throw new TypeError(`${caller}() expects integer token ids ≥ 0, got ${describeValue(id)} at index ${i}`);
    }
  }
  return Array.from(list as ArrayLike<number>);
}

/** A short description of a value for error messages: its type, or `null`/`array`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  return typeof value;
}

/** The UTF-8 bytes of `text` as a latin1 string (char code = byte), the key format of byte-level vocabularies. */
export function utf8Latin1(text: string): string {
  // ASCII text is its own UTF-8 encoding; skipping Buffer for it is the common, fast case.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, "utf8").toString("latin1");
  }
  return text;
}

/** Bytes of a latin1 string (char code = byte). */
export function latin1ToBytes(latin1: string): Uint8Array {
  return new Uint8Array(Buffer.from(latin1, "latin1"));
}

/** A latin1 string (char code = byte) from bytes. */
export function bytesToLatin1(bytes: ArrayLike<number>): string {
  return Buffer.from(Uint8Array.from(bytes)).toString("latin1");
}

/** Decodes UTF-8 bytes held in a latin1 string; invalid sequences (a token cut inside a character) become U+FFFD. */
export function latin1Utf8ToText(latin1: string): string {
  return Buffer.from(latin1, "latin1").toString("utf8");
}

/**
 * Python's `repr` of a bytes object, e.g. `b' Paris'` or `b'\xe2\x80'`: how the seeds print token bytes,
 * and the only honest way to show a token that holds part of a multi-byte character.
 */
export function formatBytes(bytes: ArrayLike<number>): string {
  let body = "";
  let hasSingle = false;
  let hasDouble = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x27) hasSingle = true;
    if (bytes[i] === 0x22) hasDouble = true;
  }
  // Python switches to double quotes when the bytes hold a ' but no ".
  const quote = hasSingle && !hasDouble ? '"' : "'";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x5c) body += "\\\\";
    else if (b === 0x09) body += "\\t";
    else if (b === 0x0a) body += "\\n";
    else if (b === 0x0d) body += "\\r";
    else if (b === quote.charCodeAt(0)) body += "\\" + quote;
    else if (b >= 0x20 && b < 0x7f) body += String.fromCharCode(b);
    else body += "\\x" + b.toString(16).padStart(2, "0");
  }
  return `b${quote}${body}${quote}`;
}
