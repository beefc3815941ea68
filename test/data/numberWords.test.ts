import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { FAST_MODE_VARIABLE } from "@llm-course/lib/env";
import { Random } from "@llm-course/lib/random";
import {
  defaultNumberSplitSizes,
  ENGLISH_NUMBER_TOKENS,
  isShortNumber,
  englishNumberWords,
  FRENCH_NUMBER_TOKENS,
  frenchNumberWords,
  joinNumberTokens,
  NUMBER_WORDS_MAX,
  numberPairs,
  numberTranslationData,
  numberTranslationSplits,
  NumberWordsTokenizer,
  numberWords,
  sequencePairBatch,
} from "@llm-course/lib/data";

const FIXTURES = path.join(__dirname, "..", "fixtures", "number-words");

// Each line checked by hand against the traditional rules: "et" only in 21…71, s on vingts/cents only when
// multiplied and final, no "un" before mille, hyphens only inside 17–99; English as num2words writes it.
const HAND: [number, string, string][] = [
  [0, "zéro", "zero"],
  [1, "un", "one"],
  [16, "seize", "sixteen"],
  [17, "dix-sept", "seventeen"],
  [21, "vingt et un", "twenty-one"],
  [70, "soixante-dix", "seventy"],
  [71, "soixante et onze", "seventy-one"],
  [77, "soixante-dix-sept", "seventy-seven"],
  [80, "quatre-vingts", "eighty"],
  [81, "quatre-vingt-un", "eighty-one"],
  [90, "quatre-vingt-dix", "ninety"],
  [91, "quatre-vingt-onze", "ninety-one"],
  [99, "quatre-vingt-dix-neuf", "ninety-nine"],
  [100, "cent", "one hundred"],
  [101, "cent un", "one hundred and one"],
  [180, "cent quatre-vingts", "one hundred and eighty"],
  [200, "deux cents", "two hundred"],
  [201, "deux cent un", "two hundred and one"],
  [280, "deux cent quatre-vingts", "two hundred and eighty"],
  [1000, "mille", "one thousand"],
  [1001, "mille un", "one thousand and one"],
  [2000, "deux mille", "two thousand"],
  [21000, "vingt et un mille", "twenty-one thousand"],
  [71000, "soixante et onze mille", "seventy-one thousand"],
  [80000, "quatre-vingt mille", "eighty thousand"],
  [80001, "quatre-vingt mille un", "eighty thousand and one"],
  [100000, "cent mille", "one hundred thousand"],
  [200000, "deux cent mille", "two hundred thousand"],
  [201000, "deux cent un mille", "two hundred and one thousand"],
  [999999, "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf", "nine hundred and ninety-nine thousand, nine hundred and ninety-nine"],
];

test("number words: the hand-checked list in French (traditional spelling) and English", () => {
  for (const [n, fr, en] of HAND) {
    assert.equal(frenchNumberWords(n), fr, `French ${n}`);
    assert.equal(englishNumberWords(n), en, `English ${n}`);
    assert.equal(numberWords(n, "fr"), fr);
    assert.equal(numberWords(n, "en"), en);
  }
  // More of the rules: 1100 (comma after thousand), 180,000 (no s before mille), 300 vs 300,080.
  assert.equal(englishNumberWords(1100), "one thousand, one hundred");
  assert.equal(frenchNumberWords(180000), "cent quatre-vingt mille");
  assert.equal(frenchNumberWords(300080), "trois cent mille quatre-vingts");
  assert.equal(frenchNumberWords(61), "soixante et un");
  assert.equal(frenchNumberWords(1080), "mille quatre-vingts");
});

test("number words: bad input is named", () => {
  assert.throws(() => frenchNumberWords(-1), /-1 is outside 0 … 999,999/);
  assert.throws(() => englishNumberWords(1_000_000), /outside 0 … 999,999/);
  assert.throws(() => englishNumberWords(1.5), /expected an integer, got 1.5/);
  assert.throws(() => frenchNumberWords("7" as unknown as number), /expected an integer, got string/);
  assert.throws(() => numberWords(7, "de" as "fr"), /unknown language "de"/);
});

test("number words: equal to num2words on the committed seeded sample (no Python needed)", () => {
  const sample = JSON.parse(fs.readFileSync(path.join(FIXTURES, "num2words-sample.json"), "utf8")) as { numbers: number[]; en: string[]; fr: string[] };
  assert.ok(sample.numbers.length >= 3000);
  sample.numbers.forEach((n, i) => {
    assert.equal(englishNumberWords(n), sample.en[i], `English ${n}`);
    assert.equal(frenchNumberWords(n), sample.fr[i], `French ${n}`);
  });
});

test("number words: all 1,000,000 numbers hash to num2words' recorded output, which had no difference", () => {
  const diff = JSON.parse(fs.readFileSync(path.join(FIXTURES, "num2words-diff.json"), "utf8")) as {
    checked: number;
    languages: Record<"en" | "fr", { differences: number; sha256: string }>;
    differences: unknown[];
  };
  assert.equal(diff.checked, NUMBER_WORDS_MAX + 1);
  assert.deepEqual(diff.differences, []);
  for (const language of ["en", "fr"] as const) {
    const hash = createHash("sha256");
    const spell = language === "en" ? englishNumberWords : frenchNumberWords;
    let chunk = "";
    for (let n = 0; n <= NUMBER_WORDS_MAX; n++) {
      chunk += `${spell(n)}\n`;
      if (chunk.length > 1 << 20) {
        hash.update(chunk);
        chunk = "";
      }
    }
    hash.update(chunk);
    assert.equal(hash.digest("hex"), diff.languages[language].sha256, `${language}: our words for 0…999,999 differ from num2words'`);
  }
});

test("tokenizers: closed vocabularies, <pad> <s> </s> <unk> first, lossless round trip", () => {
  const en = new NumberWordsTokenizer("en");
  const fr = new NumberWordsTokenizer("fr");
  assert.equal(en.vocabSize, 4 + 33);
  assert.equal(fr.vocabSize, 4 + 28);
  assert.deepEqual(en.vocab.tokens.slice(0, 4), ["<pad>", "<s>", "</s>", "<unk>"]);
  assert.deepEqual(en.vocab.tokens.slice(4), ENGLISH_NUMBER_TOKENS);
  assert.deepEqual(fr.vocab.tokens.slice(4), FRENCH_NUMBER_TOKENS);
  assert.deepEqual(fr.tokenize("quatre-vingt-dix"), ["quatre", "-", "vingt", "-", "dix"]);
  assert.deepEqual(en.tokenize("one thousand, one hundred"), ["one", "thousand", ",", "one", "hundred"]);
  assert.equal(joinNumberTokens(["one", "thousand", ",", "twenty", "-", "two"]), "one thousand, twenty-two");
  assert.equal(en.decode(en.encode("one million")), "one <unk>");
  // Every token is used, none is missing, and decoding gives the text back, on a stride through the range.
  const seen = { en: new Set<number>(), fr: new Set<number>() };
  for (let n = 0; n <= NUMBER_WORDS_MAX; n += 7) {
    for (const [tokenizer, words, set] of [[en, englishNumberWords(n), seen.en], [fr, frenchNumberWords(n), seen.fr]] as const) {
      const ids = tokenizer.encode(words);
      assert.ok(!ids.includes(3), `${words}: <unk>`);
      assert.equal(tokenizer.decode(ids), words);
      ids.forEach((id) => set.add(id));
    }
  }
  assert.equal(seen.en.size, 33);
  assert.equal(seen.fr.size, 28);
  assert.throws(() => new NumberWordsTokenizer("es" as "fr"), /unknown language "es"/);
});

test("splits: disjoint, seeded, uniform over 0…999,999, test independent of the other sizes", () => {
  const a = numberTranslationSplits({ seed: 7, trainSize: 10_000, devSize: 500, testSize: 2000, shortNumbers: 2 });
  assert.equal(a.train.length, 10_000);
  // Test = the first 2,000 draws of the seeded permutation, as Random.sampleIndices draws them.
  assert.deepEqual(a.test, Array.from(new Random(7).sampleIndices(1_000_000, 2000)));
  // Two copies of each short number (below 1,000 or a round thousand) that is not held out, then uniform draws.
  const heldOut = new Set([...a.dev, ...a.test]);
  const short = Array.from({ length: 1_000_000 }, (_, n) => n).filter((n) => isShortNumber(n) && !heldOut.has(n));
  assert.equal(short.length, 1999 - [...heldOut].filter(isShortNumber).length);
  assert.deepEqual(a.train.slice(0, 2 * short.length), [...short, ...short]);
  assert.ok(a.train.slice(2 * short.length).every((n) => !isShortNumber(n)), "the uniform draws skip short numbers");
  assert.ok(isShortNumber(0) && isShortNumber(999) && isShortNumber(80_000) && !isShortNumber(1001));
  const none = numberTranslationSplits({ seed: 7, trainSize: 10_000, devSize: 500, testSize: 2000 });
  assert.ok(none.train.filter(isShortNumber).length < 60, "without them, a uniform sample holds ≈ 0.2 % short numbers");
  assert.deepEqual(none.test, a.test);
  assert.equal(a.dev.length, 500);
  assert.equal(a.test.length, 2000);
  const all = new Set([...none.train, ...none.dev, ...none.test]);
  assert.equal(all.size, 12_500, "no number in two splits, none twice");
  assert.ok(!a.train.some((n) => heldOut.has(n)), "no test or dev number in training");
  assert.ok([...all].every((n) => Number.isInteger(n) && n >= 0 && n <= NUMBER_WORDS_MAX));
  assert.deepEqual(numberTranslationSplits({ seed: 7, trainSize: 10_000, devSize: 500, testSize: 2000, shortNumbers: 2 }), a, "same seed, same splits");
  const b = numberTranslationSplits({ seed: 7, trainSize: 1000, devSize: 10, testSize: 2000 });
  assert.deepEqual(b.test, a.test, "the test set does not depend on the train and dev sizes");
  assert.notDeepEqual(numberTranslationSplits({ seed: 8, trainSize: 1000, devSize: 0, testSize: 2000 }).test, a.test);
  assert.throws(() => numberTranslationSplits({ trainSize: 3000, shortNumbers: 2 }), /2 copies of the \d+ short numbers do not fit in trainSize 3000/);
  // Uniform on 0…999,999: mean 499,999.5, sd ≈ 288,675, so the mean of 2,000 is within ±4σ/√2000 ≈ ±25,820.
  const mean = a.test.reduce((s, n) => s + n, 0) / a.test.length;
  assert.ok(Math.abs(mean - 499_999.5) < 25_820, `test mean ${mean}`);
  const belowHundredThousand = a.test.filter((n) => n < 100_000).length;
  assert.ok(belowHundredThousand > 140 && belowHundredThousand < 260, `${belowHundredThousand} test numbers below 100,000 (expected ≈ 200)`);
  assert.throws(() => numberTranslationSplits({ trainSize: 0 }), /trainSize must be an integer ≥ 1/);
  assert.throws(() => numberTranslationSplits({ trainSize: 999_000, testSize: 2000 }), /only 1000000 exist/);
});

test("datasets and batches: padding on the right, masks, teacher-forcing shift", () => {
  const data = numberPairs([21, 1001]);
  assert.equal(data.size, 2);
  assert.equal(data.sourceTexts[1], "one thousand and one");
  assert.equal(data.targetTexts[0], "vingt et un");
  const en = data.sourceTokenizer;
  const fr = data.targetTokenizer;
  assert.deepEqual(data.sources[0], [...en.encode("twenty-one"), 2], "sources end with </s>");
  const batch = sequencePairBatch(data, Int32Array.from([0, 1]));
  assert.equal(batch.batchSize, 2);
  assert.equal(batch.sourceLength, 5, "one thousand and one </s>");
  assert.equal(batch.targetLength, 4, "vingt et un + </s>; mille un + </s> is 3");
  const row = (a: ArrayLike<number>, i: number, w: number) => Array.from(a).slice(i * w, (i + 1) * w);
  assert.deepEqual(row(batch.sourceIds, 0, 5), [...en.encode("twenty-one"), 2, 0], "twenty - one </s> <pad>");
  assert.deepEqual(row(batch.sourceMask, 0, 5), [1, 1, 1, 1, 0]);
  assert.deepEqual(row(batch.decoderInputs, 1, 4), [1, ...fr.encode("mille un"), 0], "<s> mille un <pad>");
  assert.deepEqual(row(batch.decoderTargets, 1, 4), [...fr.encode("mille un"), 2, 0], "mille un </s> <pad>");
  assert.deepEqual(row(batch.targetMask, 1, 4), [1, 1, 1, 0]);
  assert.deepEqual(row(batch.targetMask, 0, 4), [1, 1, 1, 1]);
  assert.throws(() => sequencePairBatch(data, [2]), /index 2 is outside the dataset's 0…1/);
});

test("numberTranslationData: default sizes (≤ 2,000 per split in fast mode), test split of 2,000", () => {
  const previous = process.env[FAST_MODE_VARIABLE];
  process.env[FAST_MODE_VARIABLE] = "1";
  const fast = numberTranslationData({ seed: 42 });
  process.env[FAST_MODE_VARIABLE] = "0";
  const full = defaultNumberSplitSizes();
  if (previous === undefined) delete process.env[FAST_MODE_VARIABLE];
  else process.env[FAST_MODE_VARIABLE] = previous;
  assert.deepEqual(full, { trainSize: 50_000, devSize: 1000, testSize: 2000, shortNumbers: 0 });
  const data = fast;
  assert.equal(data.test.size, 2000);
  assert.ok(data.train.size <= 2000 && (data.dev?.size ?? 0) <= 2000, "fast mode keeps each split ≤ 2,000");
  assert.equal(data.train.sourceTokenizer, data.test.sourceTokenizer, "one tokenizer per language, shared by the splits");
});
