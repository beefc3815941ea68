/**
 * A closed vocabulary: a list of token strings whose index is the id, special tokens first. The character-
 * and word-level tokenizers are this plus a way to cut text into pieces.
 */
import { assertIds } from "./text";
import { checkSpecialTokens, UNK_TOKEN } from "./specialTokens";

/** Options for decoding ids back to text. */
export interface DecodeOptions {
  /** Leave special tokens (`<pad>`, `<s>`…) out of the text. Default false. */
  skipSpecialTokens?: boolean;
}

/** Tokens ↔ ids for a closed vocabulary; pieces missing from it map to `<unk>` when the vocabulary has one. */
export class Vocabulary {
  /** Every token, by id: the special tokens, then the ordinary ones. */
  readonly tokens: readonly string[];
  /** The special tokens, a prefix of `tokens`. */
  readonly specialTokens: readonly string[];
  /** The special token that stands for unknown pieces (`<unk>` by default; BERT's vocabularies say `[UNK]`). */
  readonly unkToken: string;
  private readonly ids = new Map<string, number>();

  /** Builds `[...specialTokens, ...ordinary]`; throws if a token appears twice. */
  constructor(ordinary: readonly string[], specialTokens: readonly string[], unkToken: string = UNK_TOKEN) {
    checkSpecialTokens(specialTokens, "Vocabulary");
    if (typeof unkToken !== "string" || unkToken.length === 0) throw new TypeError(`Vocabulary: unkToken must be a non-empty string, got ${JSON.stringify(unkToken)}`);
    this.unkToken = unkToken;
    this.specialTokens = [...specialTokens];
    this.tokens = [...specialTokens, ...ordinary];
    this.tokens.forEach((token, id) => {
      if (this.ids.has(token)) throw new Error(`Vocabulary: token ${JSON.stringify(token)} appears twice`);
      this.ids.set(token, id);
    });
  }

  /** Number of tokens, specials included. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`, or `undefined` if it is not in the vocabulary. */
  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** The id of the unknown token (`<unk>` unless the vocabulary names another), or `undefined` when it has none. */
  get unkId(): number | undefined {
    return this.specialTokens.includes(this.unkToken) ? this.ids.get(this.unkToken) : undefined;
  }

  /** The id of a special token, or `undefined` when it is not one of this vocabulary's specials. */
  specialId(token: string): number | undefined {
    return this.specialTokens.includes(token) ? this.ids.get(token) : undefined;
  }

  /** The id of a piece of text: its own, else `<unk>`'s; throws naming the piece when there is no `<unk>`. */
  idOrUnk(piece: string, where: string): number {
    const id = this.ids.get(piece);
    if (id !== undefined && id >= this.specialTokens.length) return id;
    const unk = this.unkId;
    if (unk === undefined) {
      throw new Error(`${JSON.stringify(piece)} ${where} is not in the vocabulary, and the vocabulary has no ${this.unkToken} token`);
    }
    return unk;
  }

  /** The tokens of `ids`; throws on an id outside the vocabulary. */
  tokensOf(ids: readonly number[], options: DecodeOptions = {}): string[] {
    const checked = assertIds(ids, "decode");
    const out: string[] = [];
    for (let i = 0; i < checked.length; i++) {
      const id = checked[i];
      if (id >= this.tokens.length) {
        throw new RangeError(`decode(): id ${id} at index ${i} is outside the vocabulary (size ${this.tokens.length})`);
      }
      if (options.skipSpecialTokens === true && id < this.specialTokens.length) continue;
      out.push(this.tokens[id]);
    }
    return out;
  }
}
