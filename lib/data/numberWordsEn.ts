/**
 * English number words for 0 … 999,999, written exactly as Debian's python3-num2words 0.5.10 prints them
 * (`num2words(n, lang="en")`): British "and" after hundred and before a final part below 100
 * ("two hundred and one", "one thousand and one"), a comma after "thousand" before a part of 100 or more
 * ("one thousand, one hundred"), hyphens between tens and units ("ninety-nine").
 */
import { checkNumberInRange } from "./numberRange";

const UNITS = [
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
  "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
] as const;
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"] as const;

function below100(n: number): string {
  if (n < 20) return UNITS[n]!;
  const unit = n % 10;
  return unit === 0 ? TENS[Math.floor(n / 10)]! : `${TENS[Math.floor(n / 10)]!}-${UNITS[unit]!}`;
}

function below1000(n: number): string {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds === 0) return below100(rest);
  const head = `${UNITS[hundreds]!} hundred`;
  return rest === 0 ? head : `${head} and ${below100(rest)}`;
}

/** `englishNumberWords(201001)` → "two hundred and one thousand and one". Integers 0 … 999,999 only. */
export function englishNumberWords(n: number): string {
  checkNumberInRange(n, "englishNumberWords");
  if (n < 1000) return below1000(n);
  const head = `${below1000(Math.floor(n / 1000))} thousand`;
  const rest = n % 1000;
  if (rest === 0) return head;
  // num2words joins "thousand" to what follows with "and" below 100 and with a comma otherwise.
  return rest < 100 ? `${head} and ${below100(rest)}` : `${head}, ${below1000(rest)}`;
}
