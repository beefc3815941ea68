import assert from "node:assert/strict";
import { test } from "node:test";
import {
  calculate,
  calculatorAnswer,
  calculatorOperandSplit,
  CHAT_TASK_NAMES,
  CHAT_TASKS,
  chatTestExamples,
  factDocuments,
  FEW_SHOT_RULES,
  isLabelJson,
  numberSplit,
  promptMessages,
  sotuFacts,
  splitSotuYears,
} from "@llm-course/lib/chat";
import { loadSpamAssassin, splitMail } from "@llm-course/lib/data/spam";
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
  disjoint(splitSotuYears().train.map((f) => f.year), splitSotuYears().test.map((f) => f.year), "SOTU years");
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
  const testYears = new Set(splitSotuYears().test.map((f) => String(f.year)));
  for (const e of [...CHAT_TASKS["sotu-facts"]("test", 30, rng), ...CHAT_TASKS.passages("test", 30, rng)]) {
    // The passages' headers and the question (the speeches' own text may mention any year).
    const content = promptMessages(e).at(-1)!.content as string;
    const years = [...content.matchAll(/State of the Union (\d{4}) —/g)].map((m) => m[1]!);
    years.push(/(\d{4})[^\d]*$/.exec(content)![1]!);
    for (const year of years) assert.ok(testYears.has(year), `${e.task}: year ${year} is held out`);
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

test("reader prompts: about half of the training headers name another president, every test header the true one", () => {
  const truth = new Map(sotuFacts().map((f) => [f.year, f.name]));
  const headers = (examples: ReturnType<(typeof CHAT_TASKS)["passages"]>) =>
    examples.flatMap((e) => [...(promptMessages(e).at(-1)!.content as string).matchAll(/State of the Union (\d{4}) — (.+?) \(/g)].map((m) => ({ year: Number(m[1]), name: m[2]! })));
  const train = headers(CHAT_TASKS.passages("train", 400, new Random(3)));
  const swapped = train.filter((h) => truth.get(h.year) !== h.name).length / train.length;
  assert.ok(swapped > 0.4 && swapped < 0.6, `share of headers naming another president: ${swapped}`);
  const test = headers(CHAT_TASKS.passages("test", 100, new Random(3)));
  assert.equal(test.length, 200);
  assert.ok(test.every((h) => truth.get(h.year) === h.name));
});

test("fact documents: every year's five sentences once per repeat, in documents of the size asked", () => {
  const documents = factDocuments(2, new Random(1), 8);
  const sentences = documents.flatMap((d) => d.split("\n"));
  assert.equal(sentences.length, 2 * 5 * sotuFacts().length);
  assert.ok(documents.every((d) => d.split("\n").length <= 8));
  for (const fact of sotuFacts()) assert.equal(sentences.filter((s) => s.startsWith(`In ${fact.year}, the State of the Union address was delivered by ${fact.name}`)).length, 2, `${fact.year}`);
});
