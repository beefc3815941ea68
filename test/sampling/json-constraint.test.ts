import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { courseModelPath, loadTokenizer } from "@llm-course/lib/llm";
import { Random } from "@llm-course/lib/random";
import { checkJsonSchema, jsonConstraint, jsonPrefixStatus, JsonSchemaError, tokenByteTable, validateJsonSchema, type JsonSchema } from "@llm-course/lib/sampling";
import type { TokenConstraint } from "@llm-course/lib/server/types";
import { ByteBpeTokenizer } from "@llm-course/lib/tokenizers";

const SENTIMENT: JsonSchema = {
  type: "object",
  properties: {
    gpt_sentiment: { type: "string", enum: ["positive", "negative", "neutral"] },
    gpt_explanation: { type: "string", maxLength: 60 },
  },
  required: ["gpt_sentiment", "gpt_explanation"],
  additionalProperties: false,
};
const SPAM: JsonSchema = { type: "object", properties: { label: { enum: ["spam", "ham"] } }, required: ["label"], additionalProperties: false };
const NESTED: JsonSchema = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 1, maxLength: 12 },
    year: { type: "integer" },
    score: { type: "number" },
    ok: { type: "boolean" },
    note: { type: ["string", "null"], maxLength: 8 },
    tags: { type: "array", items: { type: "string", enum: ["a", "b", "c"] }, minItems: 1, maxItems: 3 },
    author: { type: "object", properties: { name: { type: "string", maxLength: 10 }, party: { const: "R" } }, required: ["name"] },
    extra: { anyOf: [{ type: "number" }, { type: "object", properties: { k: { type: "null" } } }] },
  },
  required: ["title", "year", "tags"],
};

const encoder = new TextEncoder();

/** Every allowed id of the constraint's current mask. */
function allowedIds(constraint: TokenConstraint, vocabSize: number): number[] {
  const mask = new Uint8Array(vocabSize);
  constraint.allowed(mask);
  return [...mask.keys()].filter((id) => mask[id] === 1);
}

/**
 * Draws tokens among the allowed ones until a stop token, and returns the text. With probability 0.3 it draws
 * among the allowed tokens holding a quote or a closing bracket, so free strings end in a few dozen steps.
 */
function randomWalk(table: readonly (Uint8Array | null)[], constraint: TokenConstraint, stop: number, random: Random, bound: number): { text: string; steps: number } {
  const bytes: number[] = [];
  for (let step = 0; step < bound; step++) {
    const allowed = allowedIds(constraint, table.length);
    assert.ok(allowed.length > 0, `dead end after ${JSON.stringify(new TextDecoder().decode(Uint8Array.from(bytes)))}`);
    const closing = allowed.filter((id) => table[id]?.some((b) => b === 0x22 || b === 0x7d || b === 0x5d));
    const pool = closing.length > 0 && random.next() < 0.3 ? closing : allowed;
    const id = pool[random.int(pool.length)]!;
    if (id === stop) {
      assert.ok(constraint.done());
      return { text: new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes)), steps: step };
    }
    constraint.advance(id);
    bytes.push(...table[id]!);
  }
  assert.fail(`no complete document within ${bound} tokens: ${JSON.stringify(new TextDecoder().decode(Uint8Array.from(bytes)))}`);
}

test("prefixes byte by byte: valid prefixes, complete documents and invalid texts", () => {
  const status = (text: string, schema?: JsonSchema, maxWhitespace?: number) => jsonPrefixStatus(text, { schema, maxWhitespace });
  for (const text of ['{"a": 1}', '{"a":[1,-2.5e+3,true,null,"x\\n\\u00e9é😀"]}', "{}", '{"a":{"b":{}}}', ' {"a" : "b"}']) {
    assert.equal(status(text), "complete", text);
    // Every proper prefix (cut on characters) is a prefix.
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) assert.equal(status(chars.slice(0, i).join("")), "prefix", chars.slice(0, i).join(""));
  }
  for (const text of ["[1]", '"a"', "{,", '{"a" 1', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":+1}', '{"a":1,}', '{"a":tru}', '{"a":"\\x"}', '{"a":"\\ud800"}', '{"a":1}}', '{"a":"\t"}', "{  }", '{"a":1} ']) {
    assert.equal(status(text), "invalid", text);
  }
  // Whitespace: none at 0, one space at 1, newlines and indentation only from 2.
  assert.equal(status('{ "a":1}', undefined, 0), "invalid");
  assert.equal(status('{\n"a":1}'), "invalid");
  assert.equal(status('{\n  "a": 1\n}', undefined, 3), "complete");
  // A schema: properties in order, optional ones skippable, required ones not, enums exact.
  assert.equal(status('{"label":"spam"}', SPAM), "complete");
  assert.equal(status('{"label":"spa', SPAM), "prefix");
  assert.equal(status('{"label":"spams"}', SPAM), "invalid");
  assert.equal(status("{}", SPAM), "invalid");
  assert.equal(status('{"title":"x","year":2,"tags":["a"]}', NESTED), "complete");
  assert.equal(status('{"year":2', NESTED), "invalid");
  assert.equal(status('{"title":"","year":2', NESTED), "invalid", "minLength 1");
  assert.equal(status('{"title":"x","year":2.5', NESTED), "invalid", "an integer has no fraction");
  assert.equal(status('{"title":"x","year":2,"tags":[]', NESTED), "invalid", "minItems 1");
  assert.equal(status('{"title":"x","year":2,"tags":["a","b","c",', NESTED), "invalid", "maxItems 3");
  assert.equal(status('{"title":"0123456789abc"', NESTED), "invalid", "maxLength 12");
  assert.equal(status('{"title":"x","year":2,"note":null,"tags":["c"],"extra":{"k":null}}', NESTED), "complete");
  assert.equal(status('{"title":"x","year":2,"tags":["c"],"extra":-0.5}', NESTED), "complete");
  // Type lists and anyOf: "integer" folds into "number", equal literals merge.
  assert.equal(status("1.5", { type: ["integer", "number"] }), "complete");
  assert.equal(status('"a"', { anyOf: [{ const: "a" }, { enum: ["a", "b"] }] }), "complete");
  assert.equal(status("nul", { type: ["string", "null"] }), "prefix");
  // A top-level number is complete yet may go on.
  assert.equal(status("12", { type: "integer" }), "complete");
  assert.equal(status("12.", { type: "number" }), "prefix");
});

test("the mask on a hand-made vocabulary: expected ids at each step, the stop token only at the end", () => {
  const pieces = [null, "{", "}", '"', '"label"', ":", " ", '"spam"', '"ham"', "spam", '{"', '"}', "label", "s", "p", "a", "m", "h", "l", ",", "b", "e", null];
  const table = pieces.map((p) => (p === null ? null : encoder.encode(p)));
  const STOP = 22;
  const c = jsonConstraint(table, { schema: SPAM, stopTokenIds: [STOP] });
  const expectStep = (expected: number[], then: number) => {
    assert.deepEqual(allowedIds(c, table.length), expected);
    assert.equal(c.done(), false);
    c.advance(then);
  };
  expectStep([1, 6, 10], 1); // `{`, a space, `{"`
  expectStep([3, 4, 6], 3); // `"`, `"label"`, a space — not `}`: label is required
  expectStep([12, 18], 12); // `label`, `l`
  assert.throws(() => c.advance(2), /token 2 \("\}"\) is not allowed after "\{\\"label"/);
  expectStep([3], 3); // only the closing quote (`"}` would skip the colon)
  expectStep([5, 6], 5); // `:` or a space
  expectStep([3, 6, 7, 8], 3); // a space, `"`, `"spam"`, `"ham"`
  expectStep([9, 13, 17], 9); // `spam`, `s`, `h`
  expectStep([3, 11], 3); // `"`, `"}`
  expectStep([2, 6], 2); // `}` or a space; no comma, no other property exists
  assert.deepEqual(allowedIds(c, table.length), [STOP]);
  assert.equal(c.done(), true);
  c.advance(STOP);
  assert.equal(c.done(), true);
  // Tokens of several bytes (`{"`, `"spam"`) step through as many states; a mask longer than the table gets zeros past it.
  const d = jsonConstraint(table, { schema: SPAM, stopTokenIds: [STOP] });
  for (const id of [10, 12, 3, 5, 7]) d.advance(id);
  assert.equal(d.done(), false);
  const wide = new Uint8Array(40).fill(1);
  d.allowed(wide);
  assert.deepEqual([...wide.keys()].filter((id) => wide[id] === 1), [2, 6]);
  // `"}` closes the string and the object in one token.
  const e = jsonConstraint(table, { schema: SPAM, stopTokenIds: [STOP] });
  for (const id of [10, 12, 3, 5, 3, 17, 15, 16, 11]) e.advance(id);
  assert.equal(e.done(), true);
  // Without "b", `"l` could be written and never finished: the vocabulary is refused up front.
  const noB = table.map((bytes, id) => (id === 20 ? null : bytes));
  assert.throws(() => jsonConstraint(noB, { schema: SPAM, stopTokenIds: [STOP] }), /the vocabulary cannot write "\\"label\\"", which this schema needs/);
});

test("tokenByteTable: a trained byte-level BPE, the same tokenizer through tokenizer.json and transformers.js, and gpt-moby", async () => {
  const tokenizer = ByteBpeTokenizer.train(loadMobyDick().slice(0, 100_000) + " é 😀", 600);
  const table = tokenByteTable(tokenizer);
  assert.equal(table.length, tokenizer.vocabSize);
  for (const [, id] of tokenizer.specialTokens) assert.equal(table[id], null);
  // Decoding any ids is the concatenation of their bytes.
  const ids = tokenizer.encode("Call me Ishmael — é 😀");
  assert.equal(new TextDecoder().decode(Uint8Array.from(ids.flatMap((id) => [...table[id]!]))), "Call me Ishmael — é 😀");
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "json-constraint-"));
  try {
    tokenizer.save(folder);
    assert.deepEqual(tokenByteTable(tokenizer.toHuggingFaceJson()), table);
    assert.deepEqual(tokenByteTable(await loadTokenizer(folder)), table);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  // gpt-moby's vocabulary is the book's characters, no byte-level map: each token is the UTF-8 of its text.
  const moby = await loadTokenizer(courseModelPath("gpt"));
  const mobyTable = tokenByteTable(moby);
  const json = JSON.parse(fs.readFileSync(path.join(courseModelPath("gpt"), "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } };
  assert.equal(mobyTable.length, Object.keys(json.model.vocab).length);
  assert.deepEqual(mobyTable[moby.encode("—", { add_special_tokens: false })[0]!], encoder.encode("—"));
  for (const special of ["<pad>", "<s>", "</s>", "<unk>"]) assert.equal(mobyTable[json.model.vocab[special]!], null);
  // Metaspace tokenizers with byte fallback: "▁" is a space, <0x0A> a newline byte.
  const metaspace = tokenByteTable({
    model: { type: "BPE", vocab: { "<s>": 0, "▁the": 1, "<0x0A>": 2, é: 3 }, byte_fallback: true },
    added_tokens: [{ id: 0, content: "<s>", special: true }],
    decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }] },
  });
  assert.deepEqual(metaspace, [null, encoder.encode(" the"), Uint8Array.of(10), encoder.encode("é")]);
  assert.throws(() => tokenByteTable({ model: { type: "WordPiece", vocab: {} } }), /"WordPiece" tokenizer model is not supported/);
  assert.throws(() => tokenByteTable({ model: { type: "BPE", vocab: {} }, decoder: { type: "CTC" } }), /decoder "CTC" is not supported/);
});

test("random walks over allowed tokens of a trained byte-level BPE always end in JSON that matches the schema", () => {
  const tokenizer = ByteBpeTokenizer.train(loadMobyDick().slice(0, 200_000) + ' {"label": "spam"} {"gpt_sentiment": "neutral"} [1, 2.5e-3, true, null] é 😀', 1500);
  const table = tokenByteTable(tokenizer);
  const stop = tokenizer.specialTokens.get("</s>")!;
  const random = new Random(7);
  for (const schema of [SENTIMENT, SPAM, NESTED, { type: "array", items: { type: "number" }, maxItems: 4 }, undefined]) {
    const seen = new Set<string>();
    for (let walk = 0; walk < 12; walk++) {
      const constraint = jsonConstraint(table, { schema, stopTokenIds: [stop] });
      const { text } = randomWalk(table, constraint, stop, random, 600);
      const value: unknown = JSON.parse(text);
      if (schema === undefined) assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), text);
      else assert.deepEqual(validateJsonSchema(value, schema), [], text);
      seen.add(text);
    }
    assert.ok(seen.size > 3, `the walks differ: ${[...seen].join(" | ")}`);
  }
});

test("random walks on gpt-moby's character vocabulary; a vocabulary without '{' cannot write an object", async () => {
  const moby = await loadTokenizer(courseModelPath("gpt"));
  const table = tokenByteTable(moby);
  const stop = moby.encode("</s>", { add_special_tokens: false })[0]!;
  assert.equal(table[stop], null);
  const schema: JsonSchema = { type: "array", items: { anyOf: [{ type: "string", maxLength: 20 }, { type: "integer" }, { enum: [true, null] }] }, minItems: 1, maxItems: 5 };
  const random = new Random(3);
  for (let walk = 0; walk < 20; walk++) {
    const { text } = randomWalk(table, jsonConstraint(table, { schema, stopTokenIds: [stop] }), stop, random, 300);
    assert.deepEqual(validateJsonSchema(JSON.parse(text), schema), [], text);
  }
  assert.throws(() => jsonConstraint(table, { stopTokenIds: [stop] }), /the vocabulary cannot write "\{", which this JSON object needs/);
});

test("unsupported or malformed schemas are rejected with an error naming the keyword", () => {
  const table = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const reject = (schema: JsonSchema, keyword: string, message: RegExp) => {
    for (const check of [() => jsonConstraint(table, { schema, stopTokenIds: [256] }), () => validateJsonSchema({}, schema)]) {
      assert.throws(check, (error: unknown) => error instanceof JsonSchemaError && error.keyword === keyword && message.test(error.message));
    }
  };
  reject({ type: "string", pattern: "^a" }, "pattern", /JSON schema at \$: the keyword "pattern" is not supported/);
  reject({ type: "object", properties: { n: { type: "number", minimum: 0 } } }, "minimum", /at \$\.properties\.n: the keyword "minimum"/);
  reject({ $ref: "#/$defs/a" }, "$ref", /"\$ref" is not supported/);
  reject({ type: "object", additionalProperties: { type: "string" } }, "additionalProperties", /must be true or false/);
  reject({ type: "date" }, "type", /unknown type "date"/);
  reject({ type: "object", properties: {}, required: ["a"] }, "required", /required names "a", which is not in properties/);
  reject({ enum: [{ a: 1 }] }, "enum", /strings, numbers, booleans or null/);
  reject({ type: "array", minItems: 3, maxItems: 2 }, "minItems", /larger than maxItems/);
  // What only the automaton cannot do: options that start alike, enums that the type rules out.
  assert.throws(() => jsonConstraint(table, { schema: { anyOf: [{ type: "string" }, { type: "string", maxLength: 2 }] }, stopTokenIds: [256] }), /anyOf.*same character \("\\""\)/);
  assert.throws(() => jsonConstraint(table, { schema: { type: "integer", enum: [1.5] }, stopTokenIds: [256] }), /no enum\/const value satisfies/);
  assert.throws(() => jsonConstraint(table, { stopTokenIds: [] }), /stopTokenIds must hold at least one token id/);
  // checkJsonSchema says the same before any vocabulary is involved.
  assert.throws(() => checkJsonSchema({ type: "string", format: "date" }), (error: unknown) => error instanceof JsonSchemaError && error.keyword === "format");
  assert.throws(() => checkJsonSchema({ anyOf: [{ type: "integer" }, { enum: [1, 2] }] }), /anyOf options that can start with the same character \("1"\)/);
  for (const schema of [SENTIMENT, SPAM, NESTED]) checkJsonSchema(schema);
});

test("validateJsonSchema: every violation with its JSON path", () => {
  assert.deepEqual(validateJsonSchema({ gpt_sentiment: "positive", gpt_explanation: "Nice." }, SENTIMENT), []);
  assert.deepEqual(validateJsonSchema({ gpt_sentiment: "happy", extra: 1 }, SENTIMENT), [
    { path: "$.gpt_explanation", message: "is required" },
    { path: "$.gpt_sentiment", message: 'must be one of ["positive","negative","neutral"]' },
    { path: "$.extra", message: "is not allowed (additionalProperties is false)" },
  ]);
  assert.deepEqual(validateJsonSchema({ title: "x", year: 1.5, tags: ["a", "d", "b", "c"], note: 3, author: { name: "George Washington" } }, NESTED), [
    { path: "$.year", message: "must be integer, got number" },
    { path: "$.tags", message: "must have at most 3 items, got 4" },
    { path: "$.tags[1]", message: 'must be one of ["a","b","c"]' },
    { path: "$.note", message: "must be string or null, got integer" },
    { path: "$.author.name", message: "must be at most 10 characters, got 17" },
  ]);
  assert.deepEqual(validateJsonSchema([1], SPAM), [{ path: "$", message: "must be object, got array" }]);
  assert.deepEqual(validateJsonSchema({ "a b": "😀😀" }, { properties: { "a b": { maxLength: 2 } } }), []);
  assert.deepEqual(validateJsonSchema({ extra: "x" }, NESTED).map((e) => e.path), ["$.title", "$.year", "$.tags", "$.extra"]);
});

test("masks agree with feeding each token's bytes to the automaton one by one (tokens that end inside a character too)", () => {
  const tokenizer = ByteBpeTokenizer.train(loadMobyDick().slice(0, 50_000) + " é è à 日本語 😀🐋 \\n \\u00e9".repeat(50), 700);
  const table = tokenByteTable(tokenizer);
  assert.ok(table.some((bytes) => bytes !== null && bytes.length > 1 && bytes[bytes.length - 1]! >= 0xc0), "some token ends with a UTF-8 lead byte");
  const stop = tokenizer.specialTokens.get("</s>")!;
  const random = new Random(11);
  for (const schema of [{ ...SENTIMENT, properties: { ...(SENTIMENT.properties as object), gpt_explanation: { type: "string", maxLength: 6 } } }, undefined]) {
    for (let walk = 0; walk < 3; walk++) {
      const constraint = jsonConstraint(table, { schema, stopTokenIds: [stop] });
      const written: number[] = [];
      for (let step = 0; step < 40 && !constraint.done(); step++) {
        const expected = table.map((bytes, id) => {
          if (id === stop) return jsonPrefixStatus(Uint8Array.from(written), { schema }) === "complete" ? 1 : 0;
          return bytes !== null && jsonPrefixStatus(Uint8Array.from([...written, ...bytes]), { schema }) !== "invalid" ? 1 : 0;
        });
        const mask = new Uint8Array(table.length);
        constraint.allowed(mask);
        assert.deepEqual([...mask], expected, `after ${JSON.stringify(new TextDecoder().decode(Uint8Array.from(written)))}`);
        const allowed = [...mask.keys()].filter((id) => mask[id] === 1 && id !== stop);
        const id = allowed[random.int(allowed.length)]!;
        constraint.advance(id);
        written.push(...table[id]!);
      }
    }
  }
});
