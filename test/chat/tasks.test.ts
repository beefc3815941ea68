import assert from "node:assert/strict";
import { test } from "node:test";
import {
  calculate,
  calculatorAnswer,
  calculatorOperandSplit,
  CHAT_TASK_NAMES,
  CHAT_KNOWLEDGE_CUTOFF,
  CHAT_TASKS,
  chatTestExamples,
  factDocuments,
  FEW_SHOT_RULES,
  LOOKUP_CHARACTERS,
  LOOKUP_SHARE,
  isLabelJson,
  numberSplit,
  promptMessages,
  pretrainingDocuments,
  sotuFacts,
  sotuFactsBeforeCutoff,
  splitSotuYears,
} from "@llm-course/lib/chat";
import { CHAT_RECIPE } from "@llm-course/lib/chat/build";
import { loadSpamAssassin, splitMail } from "@llm-course/lib/data/spam";
import { loadNames } from "@llm-course/lib/data/names";
import { Random } from "@llm-course/lib/random";

function disjoint<T>(a: readonly T[], b: readonly T[], what: string): void {
  const train = new Set(a);
  const shared = b.filter((x) => train.has(x));
  assert.deepEqual(shared, [], `${what}: test values also in training`);
  assert.ok(a.length > 0 && b.length > 0, `${what}: both pools are non-empty`);
}

test("every task's test pool is disjoint from its training pool", () => {
  disjoint(numberSplit().train, numberSplit().test, "numbers");
  disjoint(calculatorOperandSplit().train, calculatorOperandSplit().test, "calculator operands");
  const years = splitSotuYears();
  disjoint(years.train.map((f) => f.year), years.test.map((f) => f.year), "SOTU years");
  disjoint([...years.train, ...years.test].map((f) => f.year), years.afterCutoff.map((f) => f.year), "SOTU years before and after the cutoff");
  assert.ok([...years.train, ...years.test].every((f) => f.year < CHAT_KNOWLEDGE_CUTOFF) && years.afterCutoff.every((f) => f.year >= CHAT_KNOWLEDGE_CUTOFF));
  assert.equal(years.train.length + years.test.length + years.afterCutoff.length, sotuFacts().length);
  const mail = splitMail(loadSpamAssassin());
  disjoint(mail.train.map((m) => `${m.group}/${m.id}`), mail.test.map((m) => `${m.group}/${m.id}`), "SpamAssassin");
});

test("generated test prompts use only test values, and their answers are right", () => {
  const rng = new Random(1);
  const testNumbers = new Set(numberSplit().test.map(String));
  for (const e of CHAT_TASKS.numbers("test", 50, rng)) {
    const digits = /\d+/.exec(promptMessages(e).at(-1)!.content as string);
    if (digits) assert.ok(testNumbers.has(digits[0]), `number ${digits[0]} is a test number`);
  }
  const testOperands = new Set(calculatorOperandSplit().test);
  for (const e of CHAT_TASKS.calculator("test", 50, rng)) {
    const call = e.messages[2]!;
    assert.equal(call.role, "assistant");
    const expression = (JSON.parse((call as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0]!.function.arguments) as { expression: string }).expression;
    assert.ok(testOperands.has(Number(/^\d+/.exec(expression)![0])), `${expression}: first operand held out`);
    const result = calculate(expression);
    assert.equal(e.messages[3]!.content, result);
    assert.ok(e.expected === calculatorAnswer(result, "en") || e.expected === calculatorAnswer(result, "fr"));
  }
  const split = splitSotuYears();
  const testYears = new Set(split.test.map((f) => String(f.year)));
  // The reader is also tested on the years after the cutoff, which no training text mentions.
  const readerYears = new Set([...split.test, ...split.afterCutoff].map((f) => String(f.year)));
  for (const e of [...CHAT_TASKS["sotu-facts"]("test", 30, rng), ...CHAT_TASKS.passages("test", 30, rng)]) {
    // The passages' headers and the question (the speeches' own text may mention any year).
    const content = promptMessages(e).at(-1)!.content as string;
    const years = [...content.matchAll(/State of the Union (\d{4}) —/g)].map((m) => m[1]!);
    years.push(/(\d{4})[^\d]*$/.exec(content)![1]!);
    for (const year of years) assert.ok((e.task === "passages" ? readerYears : testYears).has(year), `${e.task}: year ${year} is held out`);
  }
  for (const e of CHAT_TASKS["few-shot"]("test", 30, rng)) {
    const lines = (promptMessages(e).at(-1)!.content as string).split("\n").slice(1);
    const inputs = lines.map((line) => Number(/^(\d+) =>/.exec(line)![1]));
    for (const n of inputs) assert.ok(testNumbers.has(String(n)) && n >= 100, `few-shot number ${n} is a held-out three-digit number`);
    const rules = Object.values(FEW_SHOT_RULES).filter((rule) => lines.slice(0, -1).every((line, i) => line === `${inputs[i]} => ${rule(inputs[i]!)}`));
    assert.equal(rules.length, 1, "the examples show exactly one rule");
    assert.equal(e.expected, rules[0]!(inputs.at(-1)!));
  }
  for (const e of CHAT_TASKS["spam-json"]("test", 20, rng)) assert.ok(isLabelJson(e.expected));
});

test("the test set is the same on every call, with every task", () => {
  const a = chatTestExamples(3);
  assert.deepEqual(a, chatTestExamples(3));
  assert.deepEqual([...new Set(a.map((e) => e.task))], [...CHAT_TASK_NAMES]);
});

test("calculator: exact integers, precedence, parentheses, division; bad input named", () => {
  assert.equal(calculate("347*29"), "10063");
  assert.equal(calculate("2+3*4"), "14");
  assert.equal(calculate("(2+3)*4"), "20");
  assert.equal(calculate("7-10"), "-3");
  assert.equal(calculate("10/4"), "2.5");
  assert.equal(calculate("99999999999*99999999999"), "9999999999800000000001");
  assert.throws(() => calculate("2+"), /unexpected end/);
  assert.throws(() => calculate("1/0"), /division by zero/);
  assert.throws(() => calculate("process.exit()"), /unexpected "p"/);
});

test("reader prompts: training headers are swapped one by one (half of them, to another president or a made-up person and year; half the made-up surnames are random syllables), a quarter are short look-ups; every test header is true, of two years", () => {
  const truth = new Map(sotuFacts().map((f) => [f.year, f.name]));
  const presidents = new Set(truth.values());
  const parse = (e: ReturnType<(typeof CHAT_TASKS)["passages"]>[number]) =>
    [...(promptMessages(e).at(-1)!.content as string).matchAll(/\[State of the Union (\d{4}) \((.+?)\) \((.+?)\)\]([^\n]*)/g)].map((m) => ({ year: Number(m[1]), name: m[2]!, text: m[4]!.trim() }));
  const prompts = CHAT_TASKS.passages("train", 1000, new Random(3)).map(parse);
  const isLookup = (headers: ReturnType<typeof parse>) => headers.every((h) => h.text.length <= LOOKUP_CHARACTERS);
  const lookups = prompts.filter(isLookup);
  const readings = prompts.filter((p) => !isLookup(p));
  assert.ok(lookups.length / prompts.length > LOOKUP_SHARE - 0.06 && lookups.length / prompts.length < LOOKUP_SHARE + 0.06, `share of look-ups: ${lookups.length / prompts.length}`);
  assert.ok(lookups.some((p) => p.length === 4) && lookups.every((p) => p.length >= 2 && p.length <= 4 && p.every((h) => truth.get(h.year) !== h.name || presidents.has(h.name))));
  // Years one digit apart, so the year must be read whole (a changed second digit mostly leaves 1790–2029:
  // that year is drawn anew).
  const oneDigitApart = lookups.filter((p) => p.some((a) => p.some((b) => [...String(a.year)].filter((d, i) => d !== String(b.year)[i]).length === 1))).length;
  assert.ok(oneDigitApart / lookups.length > 0.3, `look-ups with two years one digit apart: ${oneDigitApart / lookups.length}`);
  const headers = readings.flat();
  const swapped = headers.filter((h) => truth.get(h.year) !== h.name);
  assert.ok(swapped.length / headers.length > 0.4 && swapped.length / headers.length < 0.6, `share of headers naming another speaker: ${swapped.length / headers.length}`);
  const madeUp = swapped.filter((h) => !presidents.has(h.name)).length / swapped.length;
  assert.ok(madeUp > 0.4 && madeUp < 0.6, `share of made-up speakers among them: ${madeUp}`);
  const makemore = new Set(loadNames());
  const surnames = swapped.filter((h) => !presidents.has(h.name)).map((h) => h.name.split(" ").at(-1)!.toLowerCase());
  const syllabic = surnames.filter((s) => !makemore.has(s)).length / surnames.length;
  assert.ok(syllabic > 0.35 && syllabic < 0.65, `share of made-up surnames of random syllables: ${syllabic}`);
  // A true header next to a swapped one: familiar headers do not mean "answer from memory".
  const mixed = readings.filter(([a, b]) => a!.year !== b!.year && (truth.get(a!.year) === a!.name) !== (truth.get(b!.year) === b!.name)).length / readings.length;
  assert.ok(mixed > 0.3 && mixed < 0.5, `share of prompts mixing a true and a swapped header: ${mixed}`);
  // Years after the cutoff appear in training headers, never with their true speaker.
  const later = prompts.flat().filter((h) => h.year >= CHAT_KNOWLEDGE_CUTOFF);
  assert.ok(later.length > 0.03 * prompts.flat().length, `${later.length} training headers of the 2000s`);
  assert.ok(later.every((h) => truth.get(h.year) !== h.name));
  const sameSpeech = readings.filter(([a, b]) => a!.year === b!.year && a!.name === b!.name).length / readings.length;
  assert.ok(sameSpeech > 0.12 && sameSpeech < 0.28, `share of prompts showing one speech twice: ${sameSpeech}`);
  const test = CHAT_TASKS.passages("test", 100, new Random(3)).map(parse).flat();
  assert.equal(test.length, 200);
  assert.ok(test.every((h) => truth.get(h.year) === h.name));
  for (let i = 0; i < test.length; i += 2) assert.notEqual(test[i]!.year, test[i + 1]!.year);
});

test("fact documents: every year's five sentences before the cutoff once per repeat, in documents of the size asked", () => {
  const documents = factDocuments(2, new Random(1), 8);
  const sentences = documents.flatMap((d) => d.split("\n"));
  assert.equal(sentences.length, 2 * 5 * sotuFactsBeforeCutoff().length);
  assert.ok(documents.every((d) => d.split("\n").length <= 8));
  for (const fact of sotuFactsBeforeCutoff()) assert.equal(sentences.filter((s) => s.startsWith(`In ${fact.year}, the State of the Union address was delivered by ${fact.name}`)).length, 2, `${fact.year}`);
});

test("the pre-training text holds nothing from the knowledge cutoff on: no header, fact or name of a later speaker", () => {
  const text = pretrainingDocuments(CHAT_RECIPE.corpus).join("\n");
  const after = splitSotuYears().afterCutoff;
  const earlier = new Set(sotuFactsBeforeCutoff().map((f) => f.name));
  const laterOnly = [...new Set(after.map((f) => f.name))].filter((name) => !earlier.has(name));
  assert.ok(after.length >= 15 && laterOnly.length >= 2, `${after.length} years and ${laterOnly.length} speakers after the cutoff`);
  for (const name of laterOnly) assert.ok(!text.includes(name), `${name} is in the pre-training text`);
  for (const { year } of after) {
    assert.ok(!text.includes(`State of the Union, ${year},`) && !text.includes(`In ${year}, the State of the Union`), `${year} is in the pre-training text`);
  }
});
