/** Seeded random strings for property tests: ASCII, accents, CJK, emoji (astral), whitespace runs, newlines. */

/** mulberry32: a tiny seeded generator, so a failing case can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABETS: ReadonlyArray<(r: () => number) => string> = [
  (r) => String.fromCharCode(0x20 + Math.floor(r() * 95)), // printable ASCII
  (r) => "éèêàçùôîëüößœæñÉÀÇ"[Math.floor(r() * 18)], // accents
  (r) => String.fromCodePoint(0x4e00 + Math.floor(r() * 0x5000)), // CJK ideographs
  (r) => String.fromCodePoint(0x1f300 + Math.floor(r() * 0x300)), // emoji, outside the BMP
  (r) => [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\ufeff"][Math.floor(r() * 12)],
  (r) => String(Math.floor(r() * 100000)), // digit runs
  (r) => ["'s", "'LL", "'ve", " the", " The", "ſ", "K", "—", "…", "«", "»"][Math.floor(r() * 11)],
];

/** A random well-formed string of up to `maxParts` pieces. */
export function randomText(r: () => number, maxParts = 40): string {
  const parts = Math.floor(r() * (maxParts + 1));
  let out = "";
  for (let i = 0; i < parts; i++) out += ALPHABETS[Math.floor(r() * ALPHABETS.length)](r);
  return out;
}
