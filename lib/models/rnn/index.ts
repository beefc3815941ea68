/**
 * TP5–TP6: recurrent networks and sequence-to-sequence translation.
 * `import { GRUCell, Seq2Seq, AttentionSeq2Seq, exactMatchAccuracy, loadSeq2Seq } from "@llm-course/lib/models/rnn";`
 *
 * Cells (one time step each, the seeds' equations): RNNCell, LSTMCell, GRUCell; runSequence runs one over
 * a padded batch. Translators: Seq2Seq (decoder started from the encoder's final state) and
 * AttentionSeq2Seq (Bahdanau attention), both trained by the course's `train` loop.
 */
export type { CellKind, RecurrentCell, RecurrentState } from "./cell";
export { disposeState } from "./cell";
export { RNNCell, type CellOptions, type RnnWeights } from "./rnnCell";
export { LSTMCell, type LstmGates, type LstmWeights } from "./lstmCell";
export { GRUCell, type GruGates, type GruWeights } from "./gruCell";
export { runSequence, type RunSequenceOptions, type SequenceRun } from "./sequence";
export { AdditiveAttention, maskBias, type AdditiveAttentionOptions, type AttentionRead } from "./attention";
export { maskedCrossEntropy, maskedTokenNll, perplexityFromNll } from "./loss";
export { Adam, clipByGlobalNorm, type AdamOptions } from "./adam";
export { matMul2d } from "./matmul";
export {
  disposeMemory,
  EncoderDecoder,
  type BatchTensors,
  type DecoderStep,
  type EncoderMemory,
  type GreedyResult,
  type Seq2SeqArchitecture,
  type Seq2SeqConfig,
  type Seq2SeqOptions,
  type Translation,
} from "./encoderDecoder";
export { Seq2Seq } from "./seq2seq";
export { AttentionSeq2Seq, type AttentionSeq2SeqOptions } from "./attentionSeq2seq";
export { exactMatchAccuracy, perplexity, type ExactMatchOptions, type ExactMatchResult, type TranslationMistake } from "./evaluate";
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, loadSeq2Seq, readCheckpointConfig, saveSeq2Seq, type CheckpointFile, type SavedTokenizer } from "./checkpoint";
