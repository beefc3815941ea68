import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import {
  BYTE_TO_CHAR,
  ByteBpeTokenizer,
  byteLevelToLatin1,
  CL100K_SPLIT_PATTERN,
  fromTiktoken,
  GPT2_SPLIT_PATTERN,
  latin1ToByteLevel,
  trainByteBpe,
} from "@llm-course/lib/tokenizers";
import { loadMobyDick } from "@llm-course/lib/data/books";
import { randomText, seededRandom } from "./random";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-tokenizer-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const book = loadMobyDick();
const trained = trainByteBpe(book.slice(0, 300_000), 1200);
const lines = book.split("\n").filter((line) => line.length > 0).slice(0, 1500);
const SAMPLES = [
  "Call me Ishmael. Some years ago—never mind how long precisely",
  "Héllo wörld, 東京 🐳🐋  \n\n  spaces\t\ttabs 12345 it's I'LL",
  "<s> la souris rit </s><pad>",
];

test("GPT-2's bytes_to_unicode table", () => {
  assert.equal(BYTE_TO_CHAR[0x20], "Ġ");
  assert.equal(BYTE_TO_CHAR[0x0a], "Ċ");
  assert.equal(BYTE_TO_CHAR[0x41], "A");
  assert.equal(BYTE_TO_CHAR[0x00], "Ā");
  assert.equal(BYTE_TO_CHAR[0xad], "Ń"); // 256 + 33 controls and space + 34 bytes 0x7f–0xa0
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(latin1ToByteLevel(" Paris"), "ĠParis");
  assert.equal(byteLevelToLatin1("ĠParis"), " Paris");
  assert.throws(() => byteLevelToLatin1("a b"), /holds " ", which is not a byte-level character/);
});

test("tokenizer.json layout: BPE model, Split + ByteLevel pre-tokenizer, specials in added_tokens", () => {
  const json = trained.toHuggingFaceJson();
  assert.equal(json.model.type, "BPE");
  assert.equal(json.model.vocab["Ġ"], 32);
  assert.equal(Object.keys(json.model.vocab).length, 1200);
  assert.equal(json.model.merges.length, 1200 - 256 - 4);
  assert.equal(json.model.merges[0].split(" ").length, 2);
  assert.deepEqual(json.added_tokens.map((t) => [t.content, t.id, t.special]), [
    ["<pad>", 1196, true],
    ["<s>", 1197, true],
    ["</s>", 1198, true],
    ["<unk>", 1199, true],
  ]);
  assert.deepEqual(json.pre_tokenizer, {
    type: "Sequence",
    pretokenizers: [
      { type: "Split", pattern: { Regex: CL100K_SPLIT_PATTERN }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
    ],
  });
});

test("save then load gives the same tokenizer (file and folder forms)", () => {
  const folder = trained.save(path.join(tmp, "trained"));
  assert.deepEqual(fs.readdirSync(folder).sort(), ["tokenizer.json", "tokenizer_config.json"]);
  const config = JSON.parse(fs.readFileSync(path.join(folder, "tokenizer_config.json"), "utf8"));
  assert.equal(config.pad_token, "<pad>");
  assert.equal(config.eos_token, "</s>");
  const file = trained.save(path.join(tmp, "single", "tok.json"));
  for (const loaded of [ByteBpeTokenizer.load(folder), ByteBpeTokenizer.load(file)]) {
    assert.equal(loaded.vocabSize, trained.vocabSize);
    assert.deepEqual(loaded.merges, trained.merges);
    assert.deepEqual([...loaded.specialTokens], [...trained.specialTokens]);
    assert.equal(loaded.pattern, CL100K_SPLIT_PATTERN);
    for (const line of lines.slice(0, 300)) assert.deepEqual(loaded.encode(line), trained.encode(line));
  }
  assert.throws(() => ByteBpeTokenizer.load(path.join(tmp, "nowhere")), /no tokenizer file at .*nowhere/);
  fs.writeFileSync(path.join(tmp, "bad.json"), "{");
  assert.throws(() => ByteBpeTokenizer.load(path.join(tmp, "bad.json")), /bad\.json is not valid JSON/);
  const wordPiece = { model: { type: "WordPiece", vocab: {} } };
  assert.throws(() => ByteBpeTokenizer.fromHuggingFaceJson(wordPiece), /model.type must be "BPE", got "WordPiece"/);
  // GPT-2's own layout: a single ByteLevel pre-tokenizer with its built-in regex.
  const gpt2Style = { ...trained.toHuggingFaceJson(), pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, use_regex: true } };
  assert.equal(ByteBpeTokenizer.fromHuggingFaceJson(gpt2Style).pattern, GPT2_SPLIT_PATTERN);
});

test("transformers.js loads the saved tokenizer offline and gives the same ids", async () => {
  const folder = trained.save(path.join(tmp, "for-transformers"));
  const { AutoTokenizer, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  const hf = await AutoTokenizer.from_pretrained(path.resolve(folder));
  for (const text of [...SAMPLES, ...lines]) {
    // transformers.js always reads added tokens in the text, as allowedSpecial: "all" does.
    const ids = trained.encode(text, { allowedSpecial: "all" });
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }), ids, text.slice(0, 60));
    assert.equal(hf.decode(ids), text);
  }
  const random = seededRandom(5);
  for (let i = 0; i < 300; i++) {
    const text = randomText(random);
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }), trained.encode(text), `case ${i}: ${JSON.stringify(text)}`);
  }
});

test("cl100k exported to tokenizer.json: transformers.js matches tiktoken's ids", async () => {
  const cl100k = fromTiktoken("cl100k_base");
  const folder = cl100k.save(path.join(tmp, "cl100k"));
  const json = JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8"));
  assert.equal(json.model.ignore_merges, true);
  assert.equal(json.model.merges.length, 100000);
  const { AutoTokenizer } = await import("@huggingface/transformers");
  const hf = await AutoTokenizer.from_pretrained(path.resolve(folder));
  assert.deepEqual(hf.encode("We live in Paris but ewhd here", { add_special_tokens: false }), [1687, 3974, 304, 12366, 719, 37990, 16373, 1618]);
  for (const line of lines.slice(0, 300)) assert.deepEqual(hf.encode(line, { add_special_tokens: false }), cl100k.encode(line));
});
