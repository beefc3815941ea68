import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { loadMobyDick } from "@llm-course/lib/data/books";
import {
  BERT_SPECIAL_TOKENS,
  bertEncode,
  bertEncodeBatch,
  bertSpecialIds,
  bertTokenizerJson,
  bertWordTokenizerFromJson,
  loadBertWordTokenizer,
  saveBertWordTokenizer,
  trainBertWordTokenizer,
  WordTokenizer,
} from "@llm-course/lib/tokenizers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-bert-tokenizer-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const book = loadMobyDick();
const tokenizer = trainBertWordTokenizer(book.slice(0, 400_000), { maxWords: 2000 });
const lines = book.split("\n").filter((line) => line.trim().length > 0).slice(2000, 3500);
const SAMPLES = [
  "Call me Ishmael. Some years ago—never mind how long precisely",
  "Héllo wörld, 東京 🐳🐋  \n\n  spaces\t\ttabs 12345 it's I'LL",
  "the [MASK] of the [SEP] x[MASK]y [mask] [UNK]",
  "5€ $30 ---- ... Ünïcödé ǅ ΣΑΣ İstanbul",
  "",
];

test("vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK] first, lower-cased words by frequency, unseen words are [UNK]", () => {
  assert.deepEqual(tokenizer.vocab.tokens.slice(0, 5), [...BERT_SPECIAL_TOKENS]);
  assert.deepEqual(bertSpecialIds(tokenizer), { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
  assert.equal(tokenizer.vocabSize, 2005);
  assert.equal(tokenizer.vocab.unkToken, "[UNK]");
  const ids = bertEncode(tokenizer, "The WHALE zyzzyva.");
  assert.deepEqual(tokenizer.vocab.tokensOf(ids), ["[CLS]", "the", "whale", "[UNK]", ".", "[SEP]"]);
  assert.deepEqual(bertEncode(tokenizer, "the [MASK] whale"), [2, tokenizer.vocab.id("the")!, 4, tokenizer.vocab.id("whale")!, 3]);
  // Truncation keeps [CLS], the start of the text and [SEP].
  assert.deepEqual(tokenizer.vocab.tokensOf(bertEncode(tokenizer, "the white whale swam away", { maxLength: 4 })), ["[CLS]", "the", "white", "[SEP]"]);
  const batch = bertEncodeBatch(tokenizer, ["the whale", "call me ishmael ."]);
  assert.deepEqual(batch.attentionMask, [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]]);
  assert.equal(batch.inputIds[0]![5], 0);
  assert.throws(() => bertSpecialIds(WordTokenizer.fromText("a b")), /no \[PAD\] special token/);
  assert.throws(() => bertEncode(tokenizer, "x", { maxLength: 1 }), /maxLength must be an integer ≥ 2/);
  // The other word tokenizers keep <unk>.
  assert.equal(WordTokenizer.fromText("a b").vocab.unkId, 3);
});

test("tokenizer.json round trip: save, load, same ids; bad files say what is wrong", () => {
  saveBertWordTokenizer(tokenizer, path.join(tmp, "folder"), 64);
  const loaded = loadBertWordTokenizer(path.join(tmp, "folder"));
  assert.deepEqual(loaded.vocab.tokens, tokenizer.vocab.tokens);
  assert.equal(loaded.lowercase, true);
  for (const line of [...lines.slice(0, 200), ...SAMPLES]) assert.deepEqual(bertEncode(loaded, line), bertEncode(tokenizer, line));
  const config = JSON.parse(fs.readFileSync(path.join(tmp, "folder", "tokenizer_config.json"), "utf8"));
  assert.equal(config.tokenizer_class, "BertTokenizer");
  assert.equal(config.mask_token, "[MASK]");
  assert.equal(config.model_max_length, 64);
  const json = bertTokenizerJson(tokenizer, 64).tokenizer as { model: { vocab: Record<string, number> } };
  const broken = { ...json, model: { ...json.model, type: "BPE" } };
  assert.throws(() => bertWordTokenizerFromJson(broken, "x.json"), /x\.json: model\.type must be WordPiece/);
  assert.throws(() => loadBertWordTokenizer(path.join(tmp, "nowhere")), /no tokenizer file/);
});

test("transformers.js reads the exported tokenizer.json exactly as bertEncode encodes (876 book lines and odd samples), decodes the same text", async () => {
  const { AutoTokenizer, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  const folder = path.join(tmp, "hf");
  saveBertWordTokenizer(tokenizer, folder, 512);
  const hf = await AutoTokenizer.from_pretrained(folder);
  let checked = 0;
  for (const line of [...lines, ...SAMPLES]) {
    const ours = bertEncode(tokenizer, line);
    const encoded = hf(line);
    const theirs = Array.from(encoded.input_ids.data as BigInt64Array, Number);
    assert.deepEqual(theirs, ours, JSON.stringify(line));
    assert.deepEqual(Array.from(encoded.token_type_ids!.data as BigInt64Array, Number), new Array(ours.length).fill(0));
    assert.equal(hf.decode(theirs, { skip_special_tokens: true }), tokenizer.decode(ours, { skipSpecialTokens: true }));
    checked++;
  }
  assert.equal(hf.mask_token_id, 4);
  assert.equal(hf.pad_token_id, 0);
  // Sentence pairs: [CLS] A [SEP] B [SEP] with segment ids 0 then 1, as BERT.
  const pair = hf("the whale", { text_pair: "the sea" });
  assert.deepEqual(Array.from(pair.token_type_ids!.data as BigInt64Array, Number), [0, 0, 0, 0, 1, 1, 1]);
  console.log(`${checked} texts: identical ids and decoded text`);
});
