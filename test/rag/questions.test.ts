import assert from "node:assert/strict";
import { test } from "node:test";
import { chunkPassage, citedPassages, closedBookAnswer, groundedAnswer, fixedTokenChunks, generateQuestions, goldChunkIds, HANDWRITTEN_QUESTIONS, handwrittenQuestions, isUnknownAnswer, recursiveChunks, scoreAnswers, sotuDocuments, speakerQuestion, yearQuestions, type AnswerRecord, type Chunk, type RagQuestion } from "@llm-course/lib/rag";
import { DOCUMENTS } from "./fixtures";

test("the SOTU corpus: 233 speeches with unique ids (two speakers in 1953 and 1961)", () => {
  const documents = sotuDocuments();
  assert.equal(documents.length, 233);
  assert.equal(new Set(documents.map((d) => d.id)).size, 233);
  assert.deepEqual(documents.filter((d) => d.id.endsWith("a") || d.id.endsWith("b")).map((d) => d.id), ["1953a", "1953b", "1961a", "1961b"]);
});

test("question set: ≥ 300 generated and ≥ 30 hand-written questions, every evidence inside its speech", () => {
  const documents = sotuDocuments();
  const hand = handwrittenQuestions(documents);
  assert.equal(hand.length, HANDWRITTEN_QUESTIONS.length);
  assert.ok(hand.length >= 30);
  const generated = generateQuestions(documents, { count: 300 });
  assert.equal(generated.length, 300);
  assert.equal(new Set(generated.map((q) => q.question)).size, 300, "no question twice");
  assert.deepEqual([...new Set(generated.map((q) => q.rule))].sort(), ["keywords", "quote"]);
  const byId = new Map(documents.map((d) => [d.id, d]));
  for (const question of [...hand, ...generated]) {
    const document = byId.get(question.documentId)!;
    assert.equal(question.answer, document.president);
    assert.ok(question.evidence.start >= 0 && question.evidence.end <= document.text.length && question.evidence.start < question.evidence.end);
  }
  const quote = generated.find((q) => q.rule === "quote")!;
  const words = /"(.*)"/.exec(quote.question)![1]!;
  assert.ok(byId.get(quote.documentId)!.text.slice(quote.evidence.start, quote.evidence.end).includes(words), "a quote comes from its evidence sentence");
  assert.deepEqual(generateQuestions(documents, { count: 20 }), generated.slice(0, 20), "seeded: the same questions every run");
});

test("gold chunks: those holding half the evidence, else the one holding the most", () => {
  const document = DOCUMENTS[2]!;
  const chunk = (index: number, start: number, end: number): Chunk => ({ id: `1964#${index}`, documentId: "1964", index, year: 1964, president: document.president, party: document.party, start, end, text: document.text.slice(start, end) });
  const question: RagQuestion = { id: "q", question: "?", answer: document.president, year: 1964, documentId: "1964", evidence: { start: 10, end: 30 }, rule: "quote" };
  assert.deepEqual([...goldChunkIds(question, [chunk(0, 0, 20), chunk(1, 20, 40)])], ["1964#0", "1964#1"], "10 and 10 characters of 20: both hold half");
  assert.deepEqual([...goldChunkIds(question, [chunk(0, 0, 16), chunk(1, 16, 24), chunk(2, 24, 40)])], ["1964#1"], "6, 8, 6 characters: the most");
  assert.deepEqual([...goldChunkIds(question, [chunk(0, 0, 40)])], ["1964#0"]);
  assert.throws(() => goldChunkIds(question, recursiveChunks([DOCUMENTS[0]!], { maxCharacters: 40 })), /no chunk of document 1964 covers the evidence/);
  // On a real chunking, a question's gold chunk contains its evidence's middle.
  const documents = sotuDocuments().filter((d) => d.year === 1964);
  const [war] = handwrittenQuestions(documents);
  const gold = fixedTokenChunks(documents, { size: 128 }).filter((c) => goldChunkIds(war!, fixedTokenChunks(documents, { size: 128 })).has(c.id));
  assert.ok(gold.some((c) => c.text.includes("unconditional war on poverty")));
});

test("year questions use the reader's and the fact task's phrasings", () => {
  const questions = yearQuestions(40, { years: [1964, 1996] });
  assert.equal(questions.length, 40);
  const en = questions.find((q) => q.language === "en" && q.field === "name" && q.year === 1964)!;
  assert.equal(en.question, "Who gave the State of the Union address of 1964?");
  assert.equal(en.closedBookQuestion, "Who gave the State of the Union address in 1964?");
  assert.equal(en.expected, "Lyndon B Johnson");
  const fr = questions.find((q) => q.language === "fr" && q.field === "party" && q.year === 1996)!;
  assert.equal(fr.question, "De quel parti était l'orateur de 1996 ?");
  assert.equal(fr.expected, "Democratic");
  assert.throws(() => yearQuestions(3, { years: [1953] }), /no single-speaker year/);
});

test("passages, citations and generation metrics", () => {
  const [first] = recursiveChunks([DOCUMENTS[1]!], { maxCharacters: 40 });
  const chunk1964 = recursiveChunks([DOCUMENTS[2]!], { maxCharacters: 40 })[0]!;
  assert.equal(chunkPassage(first!, 12), "[State of the Union 1862 (Abraham Lincoln) (Republican)] The war");
  const passages = [chunkPassage(first!), chunkPassage(chunk1964)];
  assert.deepEqual(citedPassages("Lyndon B Johnson", passages), [2]);
  assert.deepEqual(citedPassages("Republican.", passages), [1]);
  assert.deepEqual(citedPassages("Je ne sais pas.", passages), []);
  assert.ok(isUnknownAnswer(" I don't know. ") && !isUnknownAnswer("I know."));
  const [q1964, q1862] = [yearQuestions(1, { years: [1964] })[0]!, yearQuestions(1, { years: [1862] })[0]!];
  const records: AnswerRecord[] = [
    { question: q1964, answer: q1964.expected, sources: [chunk1964], cited: [1], exact: true, retrieved: true },
    { question: q1964, answer: "Abraham Lincoln", sources: [first!, chunk1964], cited: [1], exact: false, retrieved: true },
    { question: q1862, answer: "I don't know.", sources: [chunk1964], cited: [], exact: false, retrieved: false },
    { question: q1862, answer: "Lyndon B Johnson", sources: [chunk1964], cited: [1], exact: false, retrieved: false },
  ];
  assert.deepEqual(scoreAnswers(records), { questions: 4, exactMatch: 0.25, retrievalHit: 0.5, citationCorrect: 1 / 3, unknownWhenMissed: 0.5, missed: 2 });
  assert.throws(() => scoreAnswers([]), /no answer to score/);
});

test("a grounded answer whose prompt overflows the model's context is asked again with shorter passages", async () => {
  const chunk = recursiveChunks([DOCUMENTS[2]!], { maxCharacters: 400 })[0]!;
  const longChunk = { ...chunk, text: "poverty ".repeat(60).trim() };
  const prompts: string[] = [];
  const client = {
    chat: {
      completions: {
        async create(body: { messages: { content: string }[] }) {
          const prompt = body.messages[0]!.content;
          prompts.push(prompt);
          if (prompt.length > 400) throw Object.assign(new Error("400 This model's maximum context length is 256 tokens, and the prompt has 275"), { status: 400 });
          return { choices: [{ message: { content: "Lyndon B Johnson" } }] };
        },
      },
    },
  };
  const question = yearQuestions(1, { years: [1964] })[0]!;
  const record = await groundedAnswer({ client, model: "fake" }, question, [longChunk, longChunk]);
  assert.ok(prompts.length >= 2 && prompts.every((p, i) => i === 0 || p.length < prompts[i - 1]!.length), "each retry is shorter");
  assert.ok(prompts.at(-1)!.length <= 400);
  assert.equal(record.answer, "Lyndon B Johnson");
  assert.deepEqual(record.cited, [1, 2]);
  const refusing = { chat: { completions: { create: async () => { throw Object.assign(new Error("400 'temperature' is invalid"), { status: 400 }); } } } };
  await assert.rejects(groundedAnswer({ client: refusing, model: "fake" }, question, [longChunk]), /temperature/, "other errors are not retried");
});

test("a question of the retrieval set is asked in the reader format, the same words with and without passages", async () => {
  const question: RagQuestion = { id: "hand-0", question: "Which president declared war on poverty?", answer: "Lyndon B Johnson", year: 1964, documentId: "1964", evidence: { start: 0, end: 26 }, rule: "handwritten" };
  const asked = speakerQuestion(question);
  assert.deepEqual(asked, { year: 1964, language: "en", field: "name", question: "Which president declared war on poverty?", closedBookQuestion: "Which president declared war on poverty?", expected: "Lyndon B Johnson" });
  const prompts: string[] = [];
  const client = { chat: { completions: { async create(body: { messages: { content: string }[] }) { prompts.push(body.messages[0]!.content); return { choices: [{ message: { content: "Lyndon B Johnson" } }] }; } } } };
  const chunk1964 = recursiveChunks([DOCUMENTS[2]!], { maxCharacters: 200 })[0]!;
  const chunk1862 = recursiveChunks([DOCUMENTS[1]!], { maxCharacters: 200 })[0]!;
  const closed = await closedBookAnswer({ client, model: "fake" }, asked);
  const grounded = await groundedAnswer({ client, model: "fake" }, asked, [chunk1862, chunk1964]);
  assert.equal(prompts[0], asked.question);
  assert.ok(prompts[1]!.includes(chunkPassage(chunk1964)) && prompts[1]!.endsWith(`Question: ${asked.question}`));
  assert.deepEqual([closed.exact, closed.retrieved, grounded.exact, grounded.retrieved, grounded.cited], [true, false, true, true, [2]]);
});
