/**
 * Pre-tokenization: before any merge, GPT-style tokenizers cut text into chunks with a regex (words with
 * their leading space, numbers, punctuation runs, whitespace), and BPE never merges across two chunks.
 * Patterns are kept in the syntax of tiktoken and Hugging Face tokenizer.json (Rust regex), and compiled
 * to an equivalent JavaScript RegExp.
 */

/** GPT-2's split pattern (also r50k_base and p50k_base). */
export const GPT2_SPLIT_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/** GPT-4's split pattern (cl100k_base): case-insensitive contractions, numbers of at most 3 digits, newlines kept apart. */
export const CL100K_SPLIT_PATTERN = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** GPT-4o's split pattern (o200k_base): also splits CamelCase words. */
export const O200K_SPLIT_PATTERN = [
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
  String.raw`\p{N}{1,3}`,
  String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
  String.raw`\s*[\r\n]+`,
  String.raw`\s+(?!\S)`,
  String.raw`\s+`,
].join("|");

// Rust's \s is Unicode White_Space; JavaScript's \s adds U+FEFF and lacks U+0085, so spell the set out.
const WHITE_SPACE = String.raw`\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000`;

const compiled = new Map<string, RegExp>();

/**
 * The JavaScript RegExp (flags `gu`) equivalent to a split pattern in Rust/tiktoken syntax: `(?i:…)`
 * groups become explicit upper/lower-case alternatives (JavaScript has no inline flags), `\s`/`\S` use
 * Unicode White_Space exactly, `\d` means any decimal digit. Compiled patterns are cached; a fresh RegExp
 * object is returned each time because a global RegExp carries state (`lastIndex`).
 */
export function compileSplitPattern(pattern: string): RegExp {
  if (typeof pattern !== "string" || pattern.length === 0) {
    throw new TypeError(`compileSplitPattern() expects a non-empty pattern string, got ${typeof pattern}`);
  }
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const source = translatePattern(pattern);
    try {
      regex = new RegExp(source, "gu");
    } catch (error) {
      throw new SyntaxError(`split pattern ${JSON.stringify(pattern)} is not supported: ${(error as Error).message}`);
    }
    compiled.set(pattern, regex);
  }
  return new RegExp(regex);
}

/** Cuts `text` into pre-tokens with a split pattern; characters the pattern skips are dropped, as in tiktoken. */
export function splitPreTokens(text: string, pattern: string = CL100K_SPLIT_PATTERN): string[] {
  return text.match(compileSplitPattern(pattern)) ?? [];
}

function translatePattern(pattern: string): string {
  let out = "";
  let inClass = false;
  // One entry per open group: does case folding apply inside it?
  const groups: boolean[] = [];
  let fold = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw new SyntaxError(`split pattern ends with a lone backslash`);
      if (next === "p" || next === "P") {
        const end = pattern[i + 2] === "{" ? pattern.indexOf("}", i) : i + 2;
        if (end < 0) throw new SyntaxError(`split pattern: unterminated \\${next}{ at index ${i}`);
        out += pattern.slice(i, end + 1);
        i = end;
        continue;
      }
      i += 1;
      if (next === "s") out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`;
      else if (next === "S") {
        if (inClass) throw new SyntaxError(`split pattern: \\S inside a character class is not supported (index ${i - 1})`);
        out += `[^${WHITE_SPACE}]`;
      } else if (next === "d") out += inClass ? String.raw`\p{Nd}` : String.raw`[\p{Nd}]`;
      else out += "\\" + next;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      out += fold ? foldCase(ch, true) : ch;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === "^") {
        out += "^";
        i += 1;
      }
      continue;
    }
    if (ch === "(") {
      groups.push(fold);
      if (pattern.startsWith("(?i:", i)) {
        fold = true;
        out += "(?:";
        i += 3;
      } else {
        out += ch;
      }
      continue;
    }
    if (ch === ")") {
      if (groups.length === 0) throw new SyntaxError(`split pattern: unbalanced ")" at index ${i}`);
      fold = groups.pop()!;
      out += ch;
      continue;
    }
    out += fold ? foldCase(ch, false) : ch;
  }
  return out;
}

// Only ASCII letters fold (all the contraction groups need), with Unicode simple case folding as Rust's
// regex applies it: s also matches ſ (U+017F) and k the Kelvin sign (U+212A).
function foldCase(ch: string, inClass: boolean): string {
  if (!/[A-Za-z]/.test(ch)) return ch;
  const lower = ch.toLowerCase();
  const extra = lower === "s" ? "\u017F" : lower === "k" ? "\u212A" : "";
  const all = lower + ch.toUpperCase() + extra;
  return inClass ? all : `[${all}]`;
}
