/**
 * Constrained decoding for JSON: the server's `response_format: {type: "json_object"}` and
 * `{type: "json_schema"}`. A byte-level pushdown automaton follows the generated text; before each token,
 * every token of the vocabulary whose bytes keep the text a valid prefix of a JSON document (matching the
 * schema) is allowed, and a stop token only once the document is complete.
 *
 * The mask is computed by walking a trie of the tokens' bytes once, with the automaton's state copied at
 * each branch (states are immutable linked stacks, so a copy is free). Masks are cached by the automaton's
 * state, shared by every constraint built on the same token table and options: inside a long free string the
 * state repeats, so most steps are a cache hit.
 *
 * Schema subset (JSON Schema keywords honoured; any other keyword is rejected with a {@link JsonSchemaError}
 * naming it, which the server answers with a 400):
 *  - `type`: "object", "array", "string", "number", "integer", "boolean", "null", or a list of them (= anyOf);
 *  - object: `properties`, `required`, `additionalProperties` (boolean). Properties are written in schema
 *    order, optional ones may be skipped, no other key is written. Without `properties`: any keys, any values;
 *  - array: `items`, `minItems`, `maxItems`;
 *  - string: `minLength`, `maxLength` (in characters);
 *  - `enum`, `const` of strings, numbers, booleans and null (written as `JSON.stringify` writes them);
 *  - `anyOf` whose options start with different characters (an object and a string, a string and null…);
 *  - annotations are ignored: `title`, `description`, `$schema`, `$id`, `$comment`, `default`, `examples`.
 * Numbers are written in the JSON grammar with at most 15 integer digits, 15 fraction digits and 3 exponent
 * digits; an "integer" has neither fraction nor exponent. `\u` escapes of surrogates are not written.
 */
import type { TokenConstraint } from "../server/types";
import { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { CHAR_TO_BYTE } from "../tokenizers/bytesToUnicode";
import { latin1ToBytes } from "../tokenizers/text";

// ---------------------------------------------------------------------------------------------------------
// Token bytes
// ---------------------------------------------------------------------------------------------------------

/** What {@link tokenByteTable} reads from a transformers.js `PreTrainedTokenizer`: the tokenizer.json it was built from. */
export interface TransformersTokenizerLike {
  _tokenizerJSON: unknown;
}

/** A course tokenizer, a parsed `tokenizer.json`, or a transformers.js tokenizer. */
export type TokenByteSource = ByteBpeTokenizer | TransformersTokenizerLike | { model: unknown; added_tokens?: unknown; decoder?: unknown };

/**
 * The bytes each token id stands for (index = id), `null` for special and added tokens and unused ids: those
 * are never part of JSON text. Reads the course's byte-level BPE tokenizers, a parsed Hugging Face
 * `tokenizer.json` (BPE or WordLevel model; a ByteLevel decoder maps characters to bytes with GPT-2's table,
 * otherwise a token is the UTF-8 of its text, with Metaspace's "▁" as a space and `<0xNN>` byte-fallback
 * tokens as one byte) and a transformers.js tokenizer loaded from a model folder or the Hub.
 */
export function tokenByteTable(source: TokenByteSource): (Uint8Array | null)[] {
  if (source instanceof ByteBpeTokenizer) {
    const tokens = source.toModel().tokens;
    return Array.from({ length: source.vocabSize }, (_, id) => {
      const bytes = tokens[id];
      return bytes === undefined ? null : latin1ToBytes(bytes);
    });
  }
  // A transformers.js tokenizer is callable: typeof says "function".
  if ((typeof source === "object" || typeof source === "function") && source !== null && "_tokenizerJSON" in source) return fromTokenizerJson(source._tokenizerJSON);
  return fromTokenizerJson(source);
}

function fromTokenizerJson(json: unknown): (Uint8Array | null)[] {
  const where = "tokenByteTable";
  if (typeof json !== "object" || json === null || !("model" in json)) {
    throw new TypeError(`${where}: expected a ByteBpeTokenizer, a tokenizer.json object or a transformers.js tokenizer`);
  }
  const { model, added_tokens: added, decoder } = json as { model: { type?: unknown; vocab?: unknown; byte_fallback?: unknown }; added_tokens?: unknown; decoder?: unknown };
  if (model.type !== "BPE" && model.type !== "WordLevel") {
    throw new Error(`${where}: a ${JSON.stringify(model.type)} tokenizer model is not supported (BPE and WordLevel are)`);
  }
  if (typeof model.vocab !== "object" || model.vocab === null || Array.isArray(model.vocab)) {
    throw new Error(`${where}: the tokenizer's model.vocab must be an object token → id`);
  }
  const toBytes = tokenDecoder(decoder, model.byte_fallback === true);
  const table: (Uint8Array | null)[] = [];
  for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new Error(`${where}: token ${JSON.stringify(token)} has invalid id ${String(id)}`);
    table[id as number] = toBytes(token);
  }
  // Added tokens (special or not) are matched before the model in encoding: their text is not text of the model.
  for (const entry of Array.isArray(added) ? added : []) {
    const id = (entry as { id?: unknown }).id;
    if (Number.isInteger(id) && (id as number) >= 0) table[id as number] = null;
  }
  for (let id = 0; id < table.length; id++) if (table[id] === undefined) table[id] = null;
  return table;
}

const ENCODER = new TextEncoder();

/** The function from a vocabulary string to its bytes, for the tokenizer's decoder. */
function tokenDecoder(decoder: unknown, byteFallback: boolean): (token: string) => Uint8Array | null {
  const steps: { type?: unknown; pattern?: { String?: unknown }; content?: unknown; replacement?: unknown }[] = [];
  const flatten = (d: unknown): void => {
    if (d === null || d === undefined) return;
    const step = d as { type?: unknown; decoders?: unknown };
    if (step.type === "Sequence" && Array.isArray(step.decoders)) step.decoders.forEach(flatten);
    else steps.push(d as (typeof steps)[number]);
  };
  flatten(decoder);
  if (steps.some((s) => s.type === "ByteLevel")) {
    return (token) => {
      const bytes = new Uint8Array(token.length);
      let n = 0;
      for (const ch of token) {
        const b = CHAR_TO_BYTE.get(ch);
        // A character outside GPT-2's table cannot come out of a byte-level model: the token is never written.
        if (b === undefined) return null;
        bytes[n++] = b;
      }
      return bytes.subarray(0, n);
    };
  }
  const replacements: [string, string][] = [];
  for (const s of steps) {
    if (s.type === "Replace" && typeof s.pattern?.String === "string" && typeof s.content === "string") replacements.push([s.pattern.String, s.content]);
    else if (s.type === "Metaspace") replacements.push([typeof s.replacement === "string" ? s.replacement : "▁", " "]);
    else if (s.type !== "Fuse" && s.type !== "Strip" && s.type !== "ByteFallback") {
      throw new Error(`tokenByteTable: the tokenizer decoder ${JSON.stringify(s.type)} is not supported (ByteLevel, Metaspace, Replace, ByteFallback, Fuse and Strip are)`);
    }
  }
  return (token) => {
    const hex = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    if (byteFallback && hex !== null) return Uint8Array.of(parseInt(hex[1]!, 16));
    let text = token;
    for (const [from, to] of replacements) text = text.split(from).join(to);
    return ENCODER.encode(text);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------------------

/** A JSON Schema (the subset listed at the top of this module). */
export type JsonSchema = { [keyword: string]: unknown };

/** An unsupported or malformed schema; `keyword` names the culprit and `path` where it is (`$.properties.a`). */
export class JsonSchemaError extends Error {
  constructor(
    readonly keyword: string,
    readonly path: string,
    message: string,
  ) {
    super(`JSON schema at ${path}: ${message}`);
    this.name = "JsonSchemaError";
  }
}

const ANNOTATIONS = new Set(["title", "description", "$schema", "$id", "$comment", "default", "examples"]);
const KEYWORDS = new Set(["type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "minLength", "maxLength", "enum", "const", "anyOf"]);
const TYPES = ["object", "array", "string", "number", "integer", "boolean", "null"] as const;
type TypeName = (typeof TYPES)[number];

/** Checks that `schema` uses only the supported subset and is well formed; throws a {@link JsonSchemaError}. */
function checkSchema(schema: unknown, path: string): asserts schema is JsonSchema {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new JsonSchemaError("schema", path, "a schema must be an object");
  const s = schema as JsonSchema;
  for (const keyword of Object.keys(s)) {
    if (!KEYWORDS.has(keyword) && !ANNOTATIONS.has(keyword)) {
      throw new JsonSchemaError(keyword, path, `the keyword "${keyword}" is not supported (supported: ${[...KEYWORDS].join(", ")})`);
    }
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0) throw new JsonSchemaError("type", path, "type must not be an empty list");
    for (const t of types) if (!TYPES.includes(t as TypeName)) throw new JsonSchemaError("type", path, `unknown type ${JSON.stringify(t)} (one of ${TYPES.join(", ")})`);
  }
  if (s.properties !== undefined) {
    if (typeof s.properties !== "object" || s.properties === null || Array.isArray(s.properties)) throw new JsonSchemaError("properties", path, "properties must be an object");
    for (const [name, sub] of Object.entries(s.properties)) checkSchema(sub, `${path}.properties${member(name)}`);
  }
  if (s.required !== undefined) {
    if (!Array.isArray(s.required) || s.required.some((r) => typeof r !== "string")) throw new JsonSchemaError("required", path, "required must be a list of property names");
    const props = (s.properties ?? {}) as JsonSchema;
    for (const r of s.required as string[]) {
      if (!Object.prototype.hasOwnProperty.call(props, r)) throw new JsonSchemaError("required", path, `required names ${JSON.stringify(r)}, which is not in properties`);
    }
  }
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== "boolean") {
    throw new JsonSchemaError("additionalProperties", path, "additionalProperties must be true or false (a schema there is not supported)");
  }
  if (s.items !== undefined) checkSchema(s.items, `${path}.items`);
  for (const k of ["minItems", "maxItems", "minLength", "maxLength"]) {
    const v = s[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) throw new JsonSchemaError(k, path, `${k} must be an integer ≥ 0`);
  }
  if ((s.minItems as number) > ((s.maxItems as number | undefined) ?? Infinity)) throw new JsonSchemaError("minItems", path, "minItems is larger than maxItems");
  if ((s.minLength as number) > ((s.maxLength as number | undefined) ?? Infinity)) throw new JsonSchemaError("minLength", path, "minLength is larger than maxLength");
  if (s.enum !== undefined) {
    if (!Array.isArray(s.enum) || s.enum.length === 0) throw new JsonSchemaError("enum", path, "enum must be a non-empty list");
    for (const v of s.enum) if (!isPrimitive(v)) throw new JsonSchemaError("enum", path, "enum values must be strings, numbers, booleans or null");
  }
  if ("const" in s && !isPrimitive(s.const)) throw new JsonSchemaError("const", path, "const must be a string, a number, a boolean or null");
  if (s.anyOf !== undefined) {
    if (!Array.isArray(s.anyOf) || s.anyOf.length === 0) throw new JsonSchemaError("anyOf", path, "anyOf must be a non-empty list of schemas");
    s.anyOf.forEach((sub, i) => checkSchema(sub, `${path}.anyOf[${i}]`));
  }
}

type Primitive = string | number | boolean | null;
function isPrimitive(v: unknown): v is Primitive {
  return v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

/** A property access in a JSON path: `.name`, or `["odd name"]`. */
function member(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function typesOf(s: JsonSchema): TypeName[] | null {
  if (s.type !== undefined) return (Array.isArray(s.type) ? s.type : [s.type]) as TypeName[];
  if (s.properties !== undefined || s.required !== undefined || s.additionalProperties !== undefined) return ["object"];
  if (s.items !== undefined || s.minItems !== undefined || s.maxItems !== undefined) return ["array"];
  if (s.minLength !== undefined || s.maxLength !== undefined) return ["string"];
  return null;
}

/** A JSON Schema violation: where (`$.items[2].label`) and what. */
export interface JsonSchemaViolation {
  path: string;
  message: string;
}

/**
 * Checks `value` (parsed JSON) against `schema` (the subset this module supports; any other keyword throws a
 * {@link JsonSchemaError}). Returns every violation found, with its JSON path; an empty list means valid.
 */
export function validateJsonSchema(value: unknown, schema: JsonSchema): JsonSchemaViolation[] {
  checkSchema(schema, "$");
  const errors: JsonSchemaViolation[] = [];
  validate(value, schema, "$", errors);
  return errors;
}

function validate(value: unknown, s: JsonSchema, path: string, errors: JsonSchemaViolation[]): void {
  const fail = (message: string) => errors.push({ path, message });
  if (s.anyOf !== undefined) {
    const options = s.anyOf as JsonSchema[];
    if (!options.some((o) => validateJsonSchema(value, o).length === 0)) fail(`matches none of the ${options.length} anyOf schemas`);
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((v) => v === value)) fail(`must be one of ${JSON.stringify(s.enum)}`);
  if ("const" in s && s.const !== value) fail(`must be ${JSON.stringify(s.const)}`);
  const types = s.type === undefined ? null : typesOf(s);
  const actual = jsonType(value);
  if (types !== null && !types.some((t) => t === actual || (t === "number" && actual === "integer"))) {
    fail(`must be ${types.join(" or ")}, got ${actual}`);
    return;
  }
  if (actual === "string") {
    const length = [...(value as string)].length;
    if (s.maxLength !== undefined && length > (s.maxLength as number)) fail(`must be at most ${s.maxLength} characters, got ${length}`);
    if (s.minLength !== undefined && length < (s.minLength as number)) fail(`must be at least ${s.minLength} characters, got ${length}`);
  } else if (actual === "array") {
    const items = value as unknown[];
    if (s.maxItems !== undefined && items.length > (s.maxItems as number)) fail(`must have at most ${s.maxItems} items, got ${items.length}`);
    if (s.minItems !== undefined && items.length < (s.minItems as number)) fail(`must have at least ${s.minItems} items, got ${items.length}`);
    if (s.items !== undefined) items.forEach((item, i) => validate(item, s.items as JsonSchema, `${path}[${i}]`, errors));
  } else if (actual === "object") {
    const object = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in object)) errors.push({ path: `${path}${member(r)}`, message: "is required" });
    for (const [key, v] of Object.entries(object)) {
      if (Object.prototype.hasOwnProperty.call(props, key)) validate(v, props[key]!, `${path}${member(key)}`, errors);
      else if (s.additionalProperties === false) errors.push({ path: `${path}${member(key)}`, message: "is not allowed (additionalProperties is false)" });
    }
  }
}

function jsonType(value: unknown): TypeName {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "object") return typeof value as TypeName;
  throw new TypeError(`validateJsonSchema: ${typeof value} is not a JSON value`);
}

// ---------------------------------------------------------------------------------------------------------
// The grammar compiled from a schema
// ---------------------------------------------------------------------------------------------------------

interface Prop {
  /** The key as written, quotes included. */
  key: Uint8Array;
  value: GNode;
  required: boolean;
}

/** A node of the value grammar; `id` makes automaton states printable as cache keys. */
type GNode = { id: number } & (
  | { kind: "object"; props: Prop[] }
  | { kind: "freeObject"; value: GNode }
  | { kind: "array"; items: GNode; minItems: number; maxItems: number }
  | { kind: "string"; minLength: number; maxLength: number }
  | { kind: "number"; integer: boolean }
  /** One of a few exact texts: enum, const, true/false/null. */
  | { kind: "literal"; values: Uint8Array[] }
  /** Options told apart by their first byte: `byFirst[b]` is the option a value starting with b belongs to. */
  | { kind: "choice"; byFirst: (GNode | undefined)[] }
);

type NodeBody = GNode extends infer N ? (N extends { id: number } ? Omit<N, "id"> : never) : never;

class Grammar {
  private nextId = 0;
  /** Strings every document of some shape needs; the vocabulary must be able to write them (see `writable`). */
  readonly needed = new Set<string>();

  node(body: NodeBody): GNode {
    return { id: this.nextId++, ...body } as GNode;
  }

  /** The document: a value of `schema`, or any JSON object without one. */
  document(schema: JsonSchema | undefined): GNode {
    if (schema === undefined) {
      this.needed.add("{").add("}");
      return this.node({ kind: "freeObject", value: this.anyValue() });
    }
    checkSchema(schema, "$");
    return this.compile(schema, "$");
  }

  /** `any` JSON value (json_object mode's values); built once, it refers to itself. */
  anyValue(): GNode {
    const choice = this.node({ kind: "choice", byFirst: [] }) as Extract<GNode, { kind: "choice" }>;
    const options = [
      this.node({ kind: "freeObject", value: choice }),
      this.node({ kind: "array", items: choice, minItems: 0, maxItems: Infinity }),
      this.node({ kind: "string", minLength: 0, maxLength: Infinity }),
      this.node({ kind: "number", integer: false }),
      this.literal([true, false, null]),
    ];
    for (const o of options) for (const b of firstBytes(o)) choice.byFirst[b] = o;
    for (const s of ['{', '}', '[', ']', '"', ":", ",", "0", "true", "false", "null"]) this.needed.add(s);
    return choice;
  }

  literal(values: Primitive[]): GNode {
    const texts = [...new Set(values.map((v) => JSON.stringify(v)))];
    for (const t of texts) this.needed.add(t);
    return this.node({ kind: "literal", values: texts.map((t) => ENCODER.encode(t)) });
  }

  compile(s: JsonSchema, path: string): GNode {
    if (s.anyOf !== undefined) {
      const other = Object.keys(s).find((k) => k !== "anyOf" && !ANNOTATIONS.has(k));
      if (other !== undefined) throw new JsonSchemaError(other, path, `"${other}" next to anyOf is not supported: move it into each anyOf option`);
      return this.choice((s.anyOf as JsonSchema[]).map((o, i) => this.compile(o, `${path}.anyOf[${i}]`)), path);
    }
    if (s.enum !== undefined || "const" in s) {
      const candidates = (s.enum as Primitive[] | undefined) ?? [s.const as Primitive];
      const rest = Object.fromEntries(Object.entries(s).filter(([k]) => k !== "enum" && k !== "const"));
      const kept = candidates.filter((v) => validateJsonSchema(v, rest).length === 0 && ("const" in s && s.enum !== undefined ? v === s.const : true));
      if (kept.length === 0) throw new JsonSchemaError(s.enum !== undefined ? "enum" : "const", path, "no enum/const value satisfies the rest of the schema");
      return this.literal(kept);
    }
    const types = typesOf(s);
    if (types === null) return this.anyValue();
    if (types.length > 1) {
      // An integer is a number: "number" alone covers both (they would start alike).
      const distinct = types.includes("number") ? types.filter((t) => t !== "integer") : types;
      return this.choice(distinct.map((t) => this.compile({ ...s, type: t }, path)), path);
    }
    switch (types[0]!) {
      case "object": {
        this.needed.add("{").add("}");
        if (s.properties === undefined && s.additionalProperties !== false) {
          return this.node({ kind: "freeObject", value: this.anyValue() });
        }
        const required = new Set((s.required ?? []) as string[]);
        const props = Object.entries((s.properties ?? {}) as Record<string, JsonSchema>).map(([name, sub]) => {
          const key = JSON.stringify(name);
          this.needed.add(key).add(":").add(",");
          return { key: ENCODER.encode(key), value: this.compile(sub, `${path}.properties${member(name)}`), required: required.has(name) };
        });
        return this.node({ kind: "object", props });
      }
      case "array": {
        this.needed.add("[").add("]").add(",");
        const items = s.items === undefined ? this.anyValue() : this.compile(s.items as JsonSchema, `${path}.items`);
        return this.node({ kind: "array", items, minItems: (s.minItems as number | undefined) ?? 0, maxItems: (s.maxItems as number | undefined) ?? Infinity });
      }
      case "string":
        this.needed.add('"');
        return this.node({ kind: "string", minLength: (s.minLength as number | undefined) ?? 0, maxLength: (s.maxLength as number | undefined) ?? Infinity });
      case "number":
      case "integer":
        for (const d of "0123456789") this.needed.add(d);
        return this.node({ kind: "number", integer: types[0] === "integer" });
      case "boolean":
        return this.literal([true, false]);
      case "null":
        return this.literal([null]);
    }
  }

  private choice(options: GNode[], path: string): GNode {
    // Literal options merge into one literal (they may share first bytes: "a" and "b", 1 and 12).
    const literals = options.filter((o): o is Extract<GNode, { kind: "literal" }> => o.kind === "literal");
    const values = [...new Map(literals.flatMap((l) => l.values).map((v) => [v.join(","), v])).values()];
    const merged = literals.length > 1 ? [this.node({ kind: "literal", values }), ...options.filter((o) => o.kind !== "literal")] : options;
    if (merged.length === 1) return merged[0]!;
    const byFirst: (GNode | undefined)[] = [];
    for (const o of merged) {
      for (const b of firstBytes(o)) {
        if (byFirst[b] !== undefined) {
          throw new JsonSchemaError("anyOf", path, `anyOf options that can start with the same character (${JSON.stringify(String.fromCharCode(b))}) are not supported`);
        }
        byFirst[b] = o;
      }
    }
    return this.node({ kind: "choice", byFirst });
  }
}

function firstBytes(node: GNode): number[] {
  switch (node.kind) {
    case "object":
    case "freeObject":
      return [0x7b];
    case "array":
      return [0x5b];
    case "string":
      return [0x22];
    case "number":
      return [...ENCODER.encode("-0123456789")];
    case "literal":
      return [...new Set(node.values.map((v) => v[0]!))];
    case "choice":
      return node.byFirst.flatMap((o, b) => (o === undefined ? [] : [b]));
  }
}

// ---------------------------------------------------------------------------------------------------------
// The automaton: an immutable stack of frames, one byte at a time
// ---------------------------------------------------------------------------------------------------------

const MAX_INT_DIGITS = 15;
const MAX_FRAC_DIGITS = 15;
const MAX_EXP_DIGITS = 3;

type Frame =
  /** The document: before its value (`ws` spaces so far) or after it. */
  | { t: "root"; node: GNode; ws: number; done: boolean }
  /** A value of `node` is expected, after `ws` whitespace bytes. */
  | { t: "value"; node: GNode; ws: number }
  /** Schema object. `next`: index of the next property that may come; phase: see `stepObject`. */
  | { t: "obj"; node: Extract<GNode, { kind: "object" | "freeObject" }>; phase: "key" | "firstKey" | "colon" | "after"; next: number; ws: number }
  /** Inside a key of a schema object: the properties still matching and the bytes read. */
  | { t: "key"; node: Extract<GNode, { kind: "object" }>; cands: number[]; offset: number }
  /** Inside an array: right after `[` ("first") or after an item ("after"), with `count` items begun. */
  | { t: "arr"; node: Extract<GNode, { kind: "array" }>; phase: "first" | "after"; count: number; ws: number }
  /** Inside a string after the opening quote. esc: 0, 1 after `\`, 2…5 reading \u's hex digits; utf8: the {@link UTF8_NEXT} state. */
  | { t: "str"; min: number; max: number; count: number; esc: number; utf8: number }
  /** Inside a number: where in the JSON number grammar, and how many digits the current part has. */
  | { t: "num"; integer: boolean; phase: "start" | "minus" | "zero" | "int" | "dot" | "frac" | "exp" | "expSign" | "expDigits"; digits: number }
  /** Inside a literal: candidates still matching (all share the `offset` bytes read). */
  | { t: "lit"; node: Extract<GNode, { kind: "literal" }>; cands: number[]; offset: number };

interface Stack {
  frame: Frame;
  next: Stack | null;
}

/** JSON whitespace the automaton accepts: one space keeps output compact; newlines and tabs only for pretty-printing. */
const isWsFor = (maxWs: number) => (maxWs > 1 ? (b: number) => b === 0x20 || b === 0x0a || b === 0x09 : (b: number) => b === 0x20);
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const QUOTE = 0x22;

/**
 * String content as a byte automaton over UTF-8: state 0 is between characters; 1…7 are inside a character
 * (1: one continuation byte left; 2, 3, 4: two left, the next in A0–BF after E0, 80–9F after ED, else
 * 80–BF; 5, 6, 7: three left, likewise after F0, F4, F1–F3). The ranges rule out overlong forms, surrogates
 * and code points past U+10FFFF. `UTF8_NEXT[state * 256 + byte]` is the next state, -1 for a refused byte;
 * from state 0, the quote, the backslash and control bytes are refused (they are not plain content).
 */
const UTF8_NEXT: Int8Array = (() => {
  const table = new Int8Array(8 * 256).fill(-1);
  const set = (state: number, lo: number, hi: number, next: number) => table.fill(next, state * 256 + lo, state * 256 + hi + 1);
  set(0, 0x20, 0x7f, 0);
  table[QUOTE] = -1;
  table[0x5c] = -1;
  set(0, 0xc2, 0xdf, 1);
  set(0, 0xe0, 0xe0, 2);
  set(0, 0xe1, 0xec, 4);
  set(0, 0xed, 0xed, 3);
  set(0, 0xee, 0xef, 4);
  set(0, 0xf0, 0xf0, 5);
  set(0, 0xf1, 0xf3, 7);
  set(0, 0xf4, 0xf4, 6);
  set(1, 0x80, 0xbf, 0);
  set(2, 0xa0, 0xbf, 1);
  set(3, 0x80, 0x9f, 1);
  set(4, 0x80, 0xbf, 1);
  set(5, 0x90, 0xbf, 4);
  set(6, 0x80, 0x8f, 4);
  set(7, 0x80, 0xbf, 4);
  return table;
})();

/** The automaton for one grammar; `step` is pure, so states can be shared and branched freely. */
class Automaton {
  private readonly isWs: (b: number) => boolean;

  constructor(readonly maxWs: number) {
    this.isWs = isWsFor(maxWs);
  }

  step(s: Stack, b: number): Stack | null {
    const f = s.frame;
    const rest = s.next;
    switch (f.t) {
      case "root":
        if (f.done) return null;
        if (this.isWs(b)) return f.ws < this.maxWs ? { frame: { ...f, ws: f.ws + 1 }, next: null } : null;
        return this.begin(f.node, b, { frame: { ...f, done: true }, next: null });
      case "value":
        if (this.isWs(b)) return f.ws < this.maxWs ? { frame: { ...f, ws: f.ws + 1 }, next: rest } : null;
        return this.begin(f.node, b, rest!);
      case "obj":
        return this.stepObject(f, b, rest);
      case "key": {
        const props = f.node.props;
        const cands = f.cands.filter((i) => props[i]!.key[f.offset] === b);
        if (cands.length === 0) return null;
        const prop = cands[0]!;
        if (props[prop]!.key.length === f.offset + 1) {
          // The closing quote: the object waits for the colon, then this property's value.
          return { frame: { t: "obj", node: f.node, phase: "colon", next: prop, ws: 0 }, next: rest };
        }
        return { frame: { ...f, cands, offset: f.offset + 1 }, next: rest };
      }
      case "arr": {
        if (this.isWs(b)) return f.ws < this.maxWs ? { frame: { ...f, ws: f.ws + 1 }, next: rest } : null;
        const node = f.node;
        if (b === 0x5d) return f.count >= node.minItems ? rest : null;
        if (f.phase === "first") {
          if (node.maxItems === 0) return null;
          return this.begin(node.items, b, { frame: { ...f, phase: "after", count: 1, ws: 0 }, next: rest });
        }
        if (b !== 0x2c || f.count >= node.maxItems) return null;
        return { frame: { t: "value", node: node.items, ws: 0 }, next: { frame: { ...f, count: f.count + 1, ws: 0 }, next: rest } };
      }
      case "str":
        return this.stepString(f, b, rest);
      case "num":
        return this.stepNumber(f, b, rest);
      case "lit": {
        const values = f.node.values;
        const cands = f.cands.filter((i) => values[i]!.length > f.offset && values[i]![f.offset] === b);
        if (cands.length > 0) {
          const whole = cands.length === 1 && values[cands[0]!]!.length === f.offset + 1;
          // A string literal ends at its quote: nothing can extend it, so the frame is done now.
          if (whole && b === QUOTE) return rest;
          return { frame: { ...f, cands, offset: f.offset + 1 }, next: rest };
        }
        return f.cands.some((i) => values[i]!.length === f.offset) ? this.step(rest!, b) : null;
      }
    }
  }

  /** The state after the first byte `b` of a value of `node`, with `rest` below it. */
  private begin(node: GNode, b: number, rest: Stack): Stack | null {
    switch (node.kind) {
      case "object":
      case "freeObject":
        return b === 0x7b ? { frame: { t: "obj", node, phase: "firstKey", next: 0, ws: 0 }, next: rest } : null;
      case "array":
        return b === 0x5b ? { frame: { t: "arr", node, phase: "first", count: 0, ws: 0 }, next: rest } : null;
      case "string":
        return b === QUOTE ? { frame: { t: "str", min: node.minLength, max: node.maxLength, count: 0, esc: 0, utf8: 0 }, next: rest } : null;
      case "number":
        return this.stepNumber({ t: "num", integer: node.integer, phase: "start", digits: 0 }, b, rest);
      case "literal":
        return this.step({ frame: { t: "lit", node, cands: node.values.map((_, i) => i), offset: 0 }, next: rest }, b);
      case "choice": {
        const option = node.byFirst[b];
        return option === undefined ? null : this.begin(option, b, rest);
      }
    }
  }

  /**
   * Object phases: "firstKey" right after `{` (a key or `}`), "key" after a comma (a key), "colon" after a
   * key (then the value of property `next`), "after" after a value (`,` or `}`). `next` is the index of
   * the first property that may still come.
   */
  private stepObject(f: Extract<Frame, { t: "obj" }>, b: number, rest: Stack | null): Stack | null {
    if (this.isWs(b)) return f.ws < this.maxWs ? { frame: { ...f, ws: f.ws + 1 }, next: rest } : null;
    const node = f.node;
    const props = node.kind === "object" ? node.props : null;
    // Properties that may come next: from `next` up to and including the first required one.
    const candidates = (): number[] => {
      const out: number[] = [];
      for (let i = f.next; props !== null && i < props.length; i++) {
        out.push(i);
        if (props[i]!.required) break;
      }
      return out;
    };
    const mayClose = () => props === null || !props.slice(f.next).some((p) => p.required);
    switch (f.phase) {
      case "firstKey":
      case "key":
        if (b === 0x7d && f.phase === "firstKey") return mayClose() ? rest : null;
        if (b !== QUOTE) return null;
        if (node.kind === "freeObject") {
          const after: Stack = { frame: { ...f, phase: "colon", ws: 0 }, next: rest };
          return { frame: { t: "str", min: 0, max: Infinity, count: 0, esc: 0, utf8: 0 }, next: after };
        }
        {
          const cands = candidates();
          return cands.length === 0 ? null : { frame: { t: "key", node, cands, offset: 1 }, next: rest };
        }
      case "colon": {
        if (b !== 0x3a) return null;
        // A free object counts no properties, so its states (and cached masks) repeat from one key to the next.
        if (node.kind === "freeObject") return { frame: { t: "value", node: node.value, ws: 0 }, next: { frame: { ...f, phase: "after", ws: 0 }, next: rest } };
        return { frame: { t: "value", node: node.props[f.next]!.value, ws: 0 }, next: { frame: { ...f, phase: "after", next: f.next + 1, ws: 0 }, next: rest } };
      }
      case "after":
        if (b === 0x7d) return mayClose() ? rest : null;
        if (b === 0x2c && (props === null || f.next < props.length)) return { frame: { ...f, phase: "key", ws: 0 }, next: rest };
        return null;
    }
  }

  private stepString(f: Extract<Frame, { t: "str" }>, b: number, rest: Stack | null): Stack | null {
    if (f.utf8 > 0) {
      const utf8 = UTF8_NEXT[f.utf8 * 256 + b]!;
      return utf8 < 0 ? null : { frame: { ...f, utf8 }, next: rest };
    }
    if (f.esc === 1) {
      if (b === 0x75) return { frame: { ...f, esc: 2 }, next: rest };
      return '"\\/bfnrt'.includes(String.fromCharCode(b)) ? { frame: { ...f, esc: 0 }, next: rest } : null;
    }
    if (f.esc >= 2) {
      const hex = isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
      if (!hex) return null;
      // No surrogate escapes (\uD800–\uDFFF): a lone one is not text, and raw UTF-8 writes the same characters.
      // esc 6 is "second digit after a D", which must be 0–7.
      if (f.esc === 2 && (b === 0x44 || b === 0x64)) return { frame: { ...f, esc: 6 }, next: rest };
      if (f.esc === 6) return b >= 0x30 && b <= 0x37 ? { frame: { ...f, esc: 4 }, next: rest } : null;
      return { frame: { ...f, esc: f.esc === 5 ? 0 : f.esc + 1 }, next: rest };
    }
    if (b === QUOTE) return f.count >= f.min ? rest : null;
    if (f.count >= f.max) return null;
    // Written out rather than spread: this is the innermost step of the mask walk.
    if (b === 0x5c) return { frame: { t: "str", min: f.min, max: f.max, count: f.count + 1, esc: 1, utf8: 0 }, next: rest };
    const utf8 = UTF8_NEXT[b]!;
    return utf8 < 0 ? null : { frame: { t: "str", min: f.min, max: f.max, count: f.count + 1, esc: 0, utf8 }, next: rest };
  }

  private stepNumber(f: Extract<Frame, { t: "num" }>, b: number, rest: Stack | null): Stack | null {
    const to = (phase: Extract<Frame, { t: "num" }>["phase"], digits: number): Stack => ({ frame: { ...f, phase, digits }, next: rest });
    const digit = isDigit(b);
    const exp = !f.integer && (b === 0x65 || b === 0x45);
    switch (f.phase) {
      case "start":
      case "minus":
        if (b === 0x2d && f.phase === "start") return to("minus", 0);
        return b === 0x30 ? to("zero", 1) : digit ? to("int", 1) : null;
      case "zero":
      case "int":
        if (digit && f.phase === "int" && f.digits < MAX_INT_DIGITS) return to("int", f.digits + 1);
        if (b === 0x2e && !f.integer) return to("dot", 0);
        if (exp) return to("exp", 0);
        break;
      case "dot":
        return digit ? to("frac", 1) : null;
      case "frac":
        if (digit && f.digits < MAX_FRAC_DIGITS) return to("frac", f.digits + 1);
        if (exp) return to("exp", 0);
        break;
      case "exp":
        if (b === 0x2b || b === 0x2d) return to("expSign", 0);
        return digit ? to("expDigits", 1) : null;
      case "expSign":
        return digit ? to("expDigits", 1) : null;
      case "expDigits":
        if (digit && f.digits < MAX_EXP_DIGITS) return to("expDigits", f.digits + 1);
        break;
    }
    // A complete number ends at the first byte it cannot take, which belongs to what follows.
    return rest === null ? null : this.step(rest, b);
  }
}

/** True when the text read so far is a whole document (a number or literal may still be extendable). */
function isComplete(s: Stack): boolean {
  const f = s.frame;
  if (f.t === "root") return f.done;
  if (s.next === null || s.next.frame.t !== "root") return false;
  if (f.t === "num") return f.phase === "zero" || f.phase === "int" || f.phase === "frac" || f.phase === "expDigits";
  if (f.t === "lit") return f.cands.some((i) => f.node.values[i]!.length === f.offset);
  return false;
}

/** A key that tells apart any two states the masks could differ on. */
function stateKey(s: Stack): string {
  let key = "";
  for (let p: Stack | null = s; p !== null; p = p.next) {
    const f = p.frame;
    switch (f.t) {
      case "root":
        key += `R${f.node.id},${f.ws},${f.done ? 1 : 0}`;
        break;
      case "value":
        key += `V${f.node.id},${f.ws}`;
        break;
      case "obj":
        key += `O${f.node.id},${f.phase},${f.next},${f.ws}`;
        break;
      case "key":
        key += `K${f.node.id},${f.cands.join(".")},${f.offset}`;
        break;
      case "arr":
        key += `A${f.node.id},${f.phase},${Math.min(f.count, Math.max(f.node.minItems, f.node.maxItems === Infinity ? 0 : f.node.maxItems))},${f.ws}`;
        break;
      case "str":
        // Lengths only matter up to the largest bound in play; a free string's count never does.
        key += `S${f.min},${f.max},${f.max === Infinity ? Math.min(f.count, f.min) : f.count},${f.esc},${f.utf8}`;
        break;
      case "num":
        key += `N${f.integer ? 1 : 0},${f.phase},${f.digits}`;
        break;
      case "lit":
        key += `L${f.node.id},${f.cands[0]},${f.offset}`;
        break;
    }
    key += "|";
  }
  return key;
}

// ---------------------------------------------------------------------------------------------------------
// Token trie and masks
// ---------------------------------------------------------------------------------------------------------

/**
 * The tokens' bytes as a trie in flat arrays, nodes numbered in depth-first order so that a subtree is a
 * range: node n's edges are edgeByte/edgeChild[edgeStart[n] … edgeStart[n+1]), its subtree the nodes
 * n … subtreeEnd[n] - 1, and the tokens ending in it tokenIds[tokenStart[n] … tokenStart[subtreeEnd[n]]).
 */
interface TokenTrie {
  edgeStart: Int32Array;
  edgeByte: Uint8Array;
  edgeChild: Int32Array;
  tokenStart: Int32Array;
  tokenIds: Int32Array;
  subtreeEnd: Int32Array;
  /** Bit q set when every byte sequence below node n, read from {@link UTF8_NEXT} state q, is string content. */
  contentFrom: Uint8Array;
  /**
   * charsBelow[q * nodes + n]: the most characters a byte sequence below node n starts when read from UTF-8
   * state q (saturating at 255), meaningful where contentFrom has bit q.
   */
  charsBelow: Uint8Array;
  nodes: number;
  /** Length of the token table. */
  size: number;
}

function buildTrie(tokenBytes: readonly (Uint8Array | null)[]): TokenTrie {
  const children: Map<number, number>[] = [new Map()];
  const ends: number[][] = [[]];
  tokenBytes.forEach((bytes, id) => {
    if (bytes === null || bytes === undefined || bytes.length === 0) return;
    let node = 0;
    for (const b of bytes) {
      let child = children[node]!.get(b);
      if (child === undefined) {
        child = children.length;
        children.push(new Map());
        ends.push([]);
        children[node]!.set(b, child);
      }
      node = child;
    }
    ends[node]!.push(id);
  });
  const n = children.length;
  // Depth-first preorder, children by byte.
  const order: number[] = [];
  const sorted = children.map((c) => [...c].sort((x, y) => x[0] - y[0]));
  const stack = [0];
  while (stack.length > 0) {
    const node = stack.pop()!;
    order.push(node);
    const kids = sorted[node]!;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]![1]);
  }
  const newId = new Int32Array(n);
  order.forEach((old, i) => (newId[old] = i));
  const edgeStart = new Int32Array(n + 1);
  const tokenStart = new Int32Array(n + 1);
  const edgeByte = new Uint8Array(n - 1);
  const edgeChild = new Int32Array(n - 1);
  const tokenIds: number[] = [];
  let edges = 0;
  order.forEach((old, i) => {
    edgeStart[i] = edges;
    tokenStart[i] = tokenIds.length;
    for (const [b, c] of sorted[old]!) {
      edgeByte[edges] = b;
      edgeChild[edges++] = newId[c]!;
    }
    tokenIds.push(...ends[old]!);
  });
  edgeStart[n] = edges;
  tokenStart[n] = tokenIds.length;
  // Children come after their parent in preorder, so one backward pass settles subtree ends, heights and content.
  const subtreeEnd = new Int32Array(n);
  const contentFrom = new Uint8Array(n);
  const charsBelow = new Uint8Array(8 * n);
  for (let i = n - 1; i >= 0; i--) {
    let endAt = i + 1;
    let content = 0xff;
    for (let e = edgeStart[i]!; e < edgeStart[i + 1]!; e++) {
      const c = edgeChild[e]!;
      endAt = Math.max(endAt, subtreeEnd[c]!);
      for (let q = 0; q < 8; q++) {
        const next = UTF8_NEXT[q * 256 + edgeByte[e]!]!;
        if (next < 0 || (contentFrom[c]! & (1 << next)) === 0) {
          content &= ~(1 << q);
          continue;
        }
        // A character starts on a byte read between characters.
        const chars = Math.min(255, (q === 0 ? 1 : 0) + charsBelow[next * n + c]!);
        if (chars > charsBelow[q * n + i]!) charsBelow[q * n + i] = chars;
      }
    }
    subtreeEnd[i] = endAt;
    contentFrom[i] = content;
  }
  return { edgeStart, edgeByte, edgeChild, tokenStart, tokenIds: Int32Array.from(tokenIds), subtreeEnd, contentFrom, charsBelow, nodes: n, size: tokenBytes.length };
}

/** Can the vocabulary write `bytes` from every point a token sequence can reach inside it? */
function writable(trie: TokenTrie, bytes: Uint8Array): boolean {
  const n = bytes.length;
  // Positions reachable from the start by whole tokens, and positions from which the end is reachable.
  const next = (from: number): number[] => {
    const out: number[] = [];
    let node = 0;
    for (let i = from; i < n; i++) {
      let child = -1;
      for (let e = trie.edgeStart[node]!; e < trie.edgeStart[node + 1]!; e++) if (trie.edgeByte[e] === bytes[i]) child = trie.edgeChild[e]!;
      if (child < 0) break;
      node = child;
      if (trie.tokenStart[node + 1]! > trie.tokenStart[node]!) out.push(i + 1);
    }
    return out;
  };
  const finishes = new Array<boolean>(n + 1).fill(false);
  finishes[n] = true;
  for (let i = n - 1; i >= 0; i--) finishes[i] = next(i).some((j) => finishes[j]);
  const reached = new Array<boolean>(n + 1).fill(false);
  reached[0] = true;
  for (let i = 0; i < n; i++) {
    if (!reached[i]) continue;
    if (!finishes[i]) return false;
    for (const j of next(i)) reached[j] = true;
  }
  return true;
}

/** Everything shared by the constraints of one token table and options: grammar, trie and mask cache. */
interface Compiled {
  automaton: Automaton;
  start: Stack;
  trie: TokenTrie;
  stopIds: readonly number[];
  masks: Map<string, Uint8Array>;
}

// Masks kept per compiled schema (about 32 MB for a 150k vocabulary), and compiled schemas kept per token table.
const MASK_CACHE_BYTES = 32 * 1024 * 1024;
const COMPILED_LIMIT = 16;
const compiledByTable = new WeakMap<readonly (Uint8Array | null)[], { trie: TokenTrie; byOptions: Map<string, Compiled> }>();

/** Options of {@link jsonConstraint}. */
export interface JsonConstraintOptions {
  /** The schema of `json_schema` mode; without it any JSON object (`json_object` mode). */
  schema?: JsonSchema;
  /** Tokens that end generation; allowed only once the document is complete. At least one. */
  stopTokenIds: readonly number[];
  /**
   * Whitespace bytes allowed in a row where JSON allows them (before and after values, keys, `:` and `,`),
   * so that decoding cannot wander. 0: compact JSON; 1 (default): at most one space; n > 1: up to n spaces,
   * newlines or tabs (pretty-printed JSON).
   */
  maxWhitespace?: number;
}

function maxWhitespaceOf(options: { maxWhitespace?: number }): number {
  const maxWs = options.maxWhitespace ?? 1;
  if (!Number.isInteger(maxWs) || maxWs < 0) throw new RangeError(`jsonConstraint: maxWhitespace must be an integer ≥ 0, got ${maxWs}`);
  return maxWs;
}

function compile(tokenBytes: readonly (Uint8Array | null)[], options: JsonConstraintOptions): Compiled {
  const maxWs = maxWhitespaceOf(options);
  const stopIds = [...new Set(options.stopTokenIds)];
  if (stopIds.length === 0) throw new Error("jsonConstraint: stopTokenIds must hold at least one token id, to end generation after the document");
  for (const id of stopIds) {
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`jsonConstraint: stop token id ${id} is not a valid token id`);
  }
  let shared = compiledByTable.get(tokenBytes);
  if (shared === undefined) {
    shared = { trie: buildTrie(tokenBytes), byOptions: new Map() };
    compiledByTable.set(tokenBytes, shared);
  }
  const cacheKey = JSON.stringify([options.schema ?? null, stopIds, maxWs]);
  const known = shared.byOptions.get(cacheKey);
  if (known !== undefined) return known;
  // Oldest first out: a Map iterates in insertion order.
  if (shared.byOptions.size >= COMPILED_LIMIT) shared.byOptions.delete(shared.byOptions.keys().next().value!);
  const grammar = new Grammar();
  const node = grammar.document(options.schema);
  for (const text of grammar.needed) {
    if (!writable(shared.trie, ENCODER.encode(text))) {
      throw new Error(`jsonConstraint: the vocabulary cannot write ${JSON.stringify(text)}, which this ${options.schema === undefined ? "JSON object" : "schema"} needs`);
    }
  }
  const compiled: Compiled = {
    automaton: new Automaton(maxWs),
    start: { frame: { t: "root", node, ws: 0, done: false }, next: null },
    trie: shared.trie,
    stopIds,
    masks: new Map(),
  };
  shared.byOptions.set(cacheKey, compiled);
  return compiled;
}

function computeMask(c: Compiled, state: Stack): Uint8Array {
  const { trie, automaton } = c;
  const mask = new Uint8Array(Math.max(trie.size, ...c.stopIds.map((id) => id + 1)));
  const visit = (node: number, s: Stack): void => {
    const f = s.frame;
    // Inside a string, a subtree that is all string content and fits in maxLength is allowed whole, unwalked:
    // most of the vocabulary, in a free string.
    const q = f.t === "str" && f.esc === 0 ? f.utf8 : -1;
    const room = f.t === "str" ? f.max - f.count : 0;
    for (let e = trie.edgeStart[node]!; e < trie.edgeStart[node + 1]!; e++) {
      const child = trie.edgeChild[e]!;
      const next = q >= 0 ? UTF8_NEXT[q * 256 + trie.edgeByte[e]!]! : -1;
      if (next >= 0 && (trie.contentFrom[child]! & (1 << next)) !== 0 && (q === 0 ? 1 : 0) + trie.charsBelow[next * trie.nodes + child]! <= room) {
        for (let t = trie.tokenStart[child]!; t < trie.tokenStart[trie.subtreeEnd[child]!]!; t++) mask[trie.tokenIds[t]!] = 1;
        continue;
      }
      const after = automaton.step(s, trie.edgeByte[e]!);
      if (after === null) continue;
      for (let t = trie.tokenStart[child]!; t < trie.tokenStart[child + 1]!; t++) mask[trie.tokenIds[t]!] = 1;
      visit(child, after);
    }
  };
  visit(0, state);
  const complete = isComplete(state);
  for (const id of c.stopIds) mask[id] = complete ? 1 : 0;
  return mask;
}

function describeBytes(bytes: readonly number[]): string {
  return JSON.stringify(new TextDecoder().decode(Uint8Array.from(bytes)));
}

/**
 * A {@link TokenConstraint} that lets a model write only JSON: any object (no `schema`, `json_object`
 * mode) or a value of `schema` (`json_schema` mode; the subset at the top of this module, anything else
 * throws a {@link JsonSchemaError}). `tokenBytes` is the vocabulary's bytes ({@link tokenByteTable}); tokens
 * without bytes are never allowed except the stop tokens, which are allowed only once the document is complete.
 * Throws when the vocabulary cannot write a string the document needs (a course character model has no `{`).
 * Build the table once per model and pass that same array every time: the token trie and the masks (cached
 * by parser state, so most steps cost a lookup) are kept per array and shared by all its constraints.
 */
export function jsonConstraint(tokenBytes: readonly (Uint8Array | null)[], options: JsonConstraintOptions): TokenConstraint {
  const compiled = compile(tokenBytes, options);
  let state: Stack | null = compiled.start;
  const written: number[] = [];
  const maskOf = (s: Stack): Uint8Array => {
    const key = stateKey(s);
    const masks = compiled.masks;
    let mask = masks.get(key);
    if (mask === undefined) {
      mask = computeMask(compiled, s);
      if (mask.indexOf(1) < 0) throw new Error(`jsonConstraint: no token can follow ${describeBytes(written)} (a bug, or a vocabulary that cannot write what comes next)`);
      if (masks.size >= Math.max(16, MASK_CACHE_BYTES / mask.length)) masks.delete(masks.keys().next().value!);
    } else {
      // Least recently used first out: a Map iterates in insertion order.
      masks.delete(key);
    }
    masks.set(key, mask);
    return mask;
  };
  return {
    allowed(mask: Uint8Array): void {
      mask.fill(0);
      if (state === null) return;
      const own = maskOf(state);
      mask.set(own.length > mask.length ? own.subarray(0, mask.length) : own);
    },
    advance(id: number): void {
      if (state === null) throw new Error(`jsonConstraint.advance: token ${id} after the stop token`);
      if (maskOf(state)[id] !== 1) {
        throw new Error(`jsonConstraint.advance: token ${id} (${tokenBytes[id] ? describeBytes([...tokenBytes[id]!]) : "no bytes"}) is not allowed after ${describeBytes(written)}`);
      }
      if (compiled.stopIds.includes(id)) {
        state = null;
        return;
      }
      let next: Stack | null = state;
      for (const b of tokenBytes[id]!) {
        next = compiled.automaton.step(next, b);
        // The mask walked these very bytes; a refusal here means the mask and the automaton disagree.
        if (next === null) throw new Error(`jsonConstraint.advance: internal error, token ${id} was allowed but its bytes are refused after ${describeBytes(written)}`);
        written.push(b);
      }
      state = next;
    },
    done(): boolean {
      return state === null || isComplete(state);
    },
  };
}

/**
 * Throws a {@link JsonSchemaError} naming the keyword when {@link jsonConstraint} cannot decode `schema`
 * (an unsupported keyword, a malformed value, anyOf options that start alike, an enum the type rules out);
 * lets a server answer 400 before any token is generated.
 */
export function checkJsonSchema(schema: JsonSchema): void {
  new Grammar().document(schema);
}

/**
 * Whether `text` (a string, or bytes that may end inside a character) is a valid prefix of a document of
 * `schema` (any JSON object without one), with the same rules as {@link jsonConstraint}: `"prefix"`,
 * `"complete"` (a stop token may come) or `"invalid"`.
 */
export function jsonPrefixStatus(text: string | Uint8Array, options: Omit<JsonConstraintOptions, "stopTokenIds"> = {}): "prefix" | "complete" | "invalid" {
  const node = new Grammar().document(options.schema);
  const automaton = new Automaton(maxWhitespaceOf(options));
  let state: Stack | null = { frame: { t: "root", node, ws: 0, done: false }, next: null };
  for (const b of typeof text === "string" ? ENCODER.encode(text) : text) {
    state = automaton.step(state, b);
    if (state === null) return "invalid";
  }
  return isComplete(state) ? "complete" : "prefix";
}
