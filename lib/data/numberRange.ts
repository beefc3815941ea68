/**
 * The range of the number-words corpus: the integers 0 … 999,999, the numbers both languages write
 * without "million".
 */

/** The largest number the number-words generators spell. */
export const NUMBER_WORDS_MAX = 999_999;

/** Throws a named error unless `n` is an integer in 0 … {@link NUMBER_WORDS_MAX}. */
export function checkNumberInRange(n: unknown, caller: string): asserts n is number {
  if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`${caller}: expected an integer, got ${typeof n === "number" ? n : typeof n}`);
  if (n < 0 || n > NUMBER_WORDS_MAX) throw new RangeError(`${caller}: ${n} is outside 0 … ${NUMBER_WORDS_MAX.toLocaleString("en-US")}`);
}
