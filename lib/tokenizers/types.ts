/**
 * The shape every course tokenizer shares, so batching and notebooks can take any of them.
 */

/** A tokenizer: text ↔ token ids, with a fixed vocabulary and optional special tokens. */
export interface TextTokenizer {
  /** Number of ids the tokenizer can produce (one past the largest id). */
  readonly vocabSize: number;
  /** Text → token ids. */
  encode(text: string): number[];
  /** Token ids → text. */
  decode(ids: readonly number[]): string;
  /** The id of a special token such as `<pad>`, or `undefined` when the tokenizer has none. */
  specialTokenId(token: string): number | undefined;
}
