/**
 * Tokenizers for the course, from the simplest to the production ones: characters, words, the lecture's
 * BPE by hand, byte-level BPE (trainable, tiktoken-compatible, saved in the Hugging Face format), batching
 * with padding and attention masks, and helpers around OpenAI's `tiktoken`.
 */
export { assertText, formatBytes } from "./text";
export { BOS_TOKEN, COURSE_SPECIAL_TOKENS, EOS_TOKEN, PAD_TOKEN, UNK_TOKEN } from "./specialTokens";
export type { TextTokenizer } from "./types";
export { Vocabulary, type DecodeOptions } from "./vocabulary";
export { CharTokenizer, type CharTokenizerOptions } from "./char";
export { splitWords, WORD_PATTERN, WordTokenizer, type WordTokenizerOptions } from "./word";
export {
  BERT_CLS_TOKEN,
  BERT_MASK_TOKEN,
  BERT_PAD_TOKEN,
  BERT_SEP_TOKEN,
  BERT_SPECIAL_TOKENS,
  BERT_UNK_TOKEN,
  bertEncode,
  bertEncodeBatch,
  bertEncodePieces,
  bertSpecialIds,
  bertTokenizerJson,
  bertWordTokenizerFromJson,
  loadBertWordTokenizer,
  saveBertWordTokenizer,
  trainBertWordTokenizer,
  type BertEncodeOptions,
  type BertSpecialIds,
  type BertTokenizerJson,
  type BertWordTokenizerOptions,
} from "./bert";
export {
  applyCharBpe,
  countPairs,
  mergePair,
  mostFrequentPair,
  pairFromKey,
  pairKey,
  trainCharBpe,
  type CharBpeOptions,
  type CharBpeResult,
  type CharBpeStep,
  type SymbolPair,
} from "./charBpe";
export { CL100K_SPLIT_PATTERN, compileSplitPattern, GPT2_SPLIT_PATTERN, O200K_SPLIT_PATTERN, splitPreTokens } from "./patterns";
export { BYTE_TO_CHAR, byteLevelToLatin1, CHAR_TO_BYTE, latin1ToByteLevel } from "./bytesToUnicode";
export { applyMerges, type MergeTable } from "./bpeMerge";
export { PairTable } from "./pairTable";
export {
  ByteBpeTokenizer,
  bytesToTokenString,
  trainByteBpe,
  type AllowedSpecial,
  type ByteBpeModel,
  type EncodeOptions,
} from "./byteBpe";
export { trainByteBpeModel, type ByteBpeTrainingResult, type TrainByteBpeOptions, type TrainedMerge } from "./train";
export {
  fromHuggingFaceJson,
  toHuggingFaceJson,
  tokenizerConfigJson,
  type HuggingFaceAddedToken,
  type HuggingFaceTokenizerJson,
} from "./huggingFace";
export { fromTiktoken, loadTiktokenRanks, type TiktokenEncodingName, type TiktokenRanks } from "./tiktokenRanks";
export { encodeBatch, padBatch, type Batch, type EncodeBatchOptions, type PadBatchOptions, type PaddingOptions, type Side } from "./batch";
export { countTokens, tiktokenDecode, tiktokenEncode, withTiktoken, type TiktokenAllowedSpecial, type TiktokenTokens } from "./tiktokenWrapper";
export { apiCost, SLIDE_PRICES_USD, tokenCost, type TokenPrice, type TokenUsage } from "./cost";
