/**
 * GPT-2's byte ↔ character table, used by Hugging Face's byte-level tokenizers (tokenizer.json): each of
 * the 256 bytes is shown as one printable character, so a token's bytes become a readable string key.
 * Printable latin1 bytes stand for themselves; the others (controls, space, …) are shifted to U+0100 and up,
 * which is why a leading space shows as "Ġ" and a newline as "Ċ".
 */

function buildByteToChar(): string[] {
  const table: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(printable(b) ? b : 256 + shifted++);
  }
  return table;
}

/** The character standing for each byte, indexed by byte value. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** The byte each of the 256 characters stands for. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));

/** A token's bytes (latin1 string, char code = byte) as GPT-2 characters: " Paris" → "ĠParis". */
export function latin1ToByteLevel(latin1: string): string {
  let out = "";
  for (let i = 0; i < latin1.length; i++) out += BYTE_TO_CHAR[latin1.charCodeAt(i)];
  return out;
}

/** The inverse of {@link latin1ToByteLevel}; throws on a character that stands for no byte. */
export function byteLevelToLatin1(token: string): string {
  let out = "";
  for (const ch of token) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) {
      throw new Error(`token ${JSON.stringify(token)} holds ${JSON.stringify(ch)}, which is not a byte-level character (GPT-2 bytes_to_unicode)`);
    }
    out += String.fromCharCode(b);
  }
  return out;
}
