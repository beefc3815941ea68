/**
 * French number words for 0 … 999,999 in the traditional spelling (before the 1990 rectifications):
 *
 * - hyphens only between tens and units below 100: "dix-sept", "quatre-vingt-dix-neuf", but "deux cent un";
 * - "et" joins un/onze to the tens in 21, 31, 41, 51, 61 and 71 ("vingt et un", "soixante et onze"), not
 *   in 81 and 91 ("quatre-vingt-un", "quatre-vingt-onze");
 * - "quatre-vingts" and "cents" take an s only when multiplied and final: "quatre-vingts", "deux cents",
 *   but "quatre-vingt-un", "deux cent un", and "quatre-vingt mille", "deux cent mille", since "mille" is a
 *   numeral adjective, not a noun like "million";
 * - "mille" is invariable and takes no "un" before it: "mille", "deux mille", "vingt et un mille".
 */
import { checkNumberInRange } from "./numberRange";

const UNITS = [
  "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
  "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf",
] as const;
const TENS = ["", "dix", "vingt", "trente", "quarante", "cinquante", "soixante"] as const;

/** `final`: nothing follows in the whole number, so "quatre-vingts" keeps its s. */
function below100(n: number, final: boolean): string {
  if (n < 20) return UNITS[n]!;
  const tens = Math.floor(n / 10);
  const unit = n % 10;
  // 70–79 and 90–99 count on from 10–19: soixante-dix, soixante et onze, quatre-vingt-douze.
  if (tens === 7) return unit === 1 ? "soixante et onze" : `soixante-${UNITS[10 + unit]!}`;
  if (tens === 9) return `quatre-vingt-${UNITS[10 + unit]!}`;
  if (tens === 8) {
    if (unit === 0) return final ? "quatre-vingts" : "quatre-vingt";
    return `quatre-vingt-${UNITS[unit]!}`;
  }
  if (unit === 0) return TENS[tens]!;
  return unit === 1 ? `${TENS[tens]!} et un` : `${TENS[tens]!}-${UNITS[unit]!}`;
}

function below1000(n: number, final: boolean): string {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds === 0) return below100(rest, final);
  // "cent" alone for 100–199; "deux cents" takes its s only when nothing follows it.
  const head = hundreds === 1 ? "cent" : `${UNITS[hundreds]!} cent${rest === 0 && final ? "s" : ""}`;
  return rest === 0 ? head : `${head} ${below100(rest, final)}`;
}

/** `frenchNumberWords(280080)` → "deux cent quatre-vingt mille quatre-vingts". Integers 0 … 999,999 only. */
export function frenchNumberWords(n: number): string {
  checkNumberInRange(n, "frenchNumberWords");
  if (n < 1000) return below1000(n, true);
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  const head = thousands === 1 ? "mille" : `${below1000(thousands, false)} mille`;
  return rest === 0 ? head : `${head} ${below1000(rest, true)}`;
}
