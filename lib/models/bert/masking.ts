/**
 * BERT's masked-language-model corruption (Devlin et al. 2019, §3.1 and appendix A.1): in each sequence
 * 15 % of the ordinary tokens are chosen for prediction; a chosen token is replaced by [MASK] 80 % of the
 * time, by a random token 10 % of the time, and left unchanged 10 % of the time. The model must predict the
 * original token at every chosen position, so it cannot learn that only [MASK] positions matter (the
 * fine-tuned model never sees [MASK]), and it has to keep a good representation of every token.
 *
 * As in BERT's create_pretraining_data.py, the number chosen per sequence is fixed,
 * max(1, round(15 % × ordinary tokens)), and the positions are drawn without replacement; each chosen
 * position then draws its fate independently. [CLS], [SEP] and [PAD] are never chosen. Random replacements
 * are drawn among the ordinary tokens (BERT's script draws from the whole vocabulary, specials included).
 */
import { Random } from "../../random";

/** The label of a position that is not predicted (PyTorch's and Hugging Face's ignore_index). */
export const IGNORE_INDEX = -100;

/** The shares of BERT's rule; {@link maskingRules} checks them. */
export interface MaskingShares {
  /** Share of the ordinary tokens chosen for prediction (default 0.15). */
  probability?: number;
  /** Share of the chosen tokens replaced by [MASK] (default 0.8). */
  maskShare?: number;
  /** Share of the chosen tokens replaced by a random token (default 0.1); the rest stay unchanged. */
  randomShare?: number;
}

/** Options of {@link maskingRules}. */
export interface MaskingRuleOptions extends MaskingShares {
  /** Id of [MASK]. */
  maskId: number;
  /** Number of ids. */
  vocabSize: number;
  /** Ids never chosen nor drawn as random replacements: [PAD], [CLS], [SEP], [MASK], [UNK]… */
  specialIds: readonly number[];
}

/** Checked masking rules with the table of replacement ids, built once per vocabulary. */
export interface MaskingRules {
  readonly maskId: number;
  readonly vocabSize: number;
  readonly probability: number;
  readonly maskShare: number;
  readonly randomShare: number;
  /** True at ids that are never chosen. */
  readonly special: Uint8Array;
  /** The ordinary ids random replacements are drawn from. */
  readonly replacementIds: Int32Array;
}

function share(value: unknown, name: string): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new RangeError(`maskingRules: ${name} must be a number in [0, 1], got ${String(value)}`);
  return value;
}

/** BERT's rule (15 %, then 80 / 10 / 10) for a vocabulary, or other shares: `maskingRules({ maskId, vocabSize, specialIds: [0, 1, 2, 3, 4] })`. */
export function maskingRules(options: MaskingRuleOptions): MaskingRules {
  if (options === null || typeof options !== "object") throw new TypeError("maskingRules: options must be an object { maskId, vocabSize, specialIds }");
  const { maskId, vocabSize, specialIds } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new RangeError(`maskingRules: vocabSize must be an integer ≥ 2, got ${vocabSize}`);
  if (!Number.isInteger(maskId) || maskId < 0 || maskId >= vocabSize) throw new RangeError(`maskingRules: maskId must be an id in 0…${vocabSize - 1}, got ${maskId}`);
  if (!Array.isArray(specialIds)) throw new TypeError("maskingRules: specialIds must be an array of ids");
  const probability = share(options.probability ?? 0.15, "probability");
  const maskShare = share(options.maskShare ?? 0.8, "maskShare");
  const randomShare = share(options.randomShare ?? 0.1, "randomShare");
  if (maskShare + randomShare > 1 + 1e-12) throw new RangeError(`maskingRules: maskShare + randomShare must be ≤ 1, got ${maskShare + randomShare}`);
  const special = new Uint8Array(vocabSize);
  for (const id of [...specialIds, maskId]) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`maskingRules: special id ${id} is not in 0…${vocabSize - 1}`);
    special[id] = 1;
  }
  const replacementIds = Int32Array.from({ length: vocabSize }, (_, id) => id).filter((id) => special[id] === 0);
  if (replacementIds.length === 0 && randomShare > 0) throw new RangeError("maskingRules: every id is special, so there is no random replacement to draw");
  return { maskId, vocabSize, probability, maskShare, randomShare, special, replacementIds };
}

/** One corrupted sequence. */
export interface MaskedSequence {
  /** The model's input: the sequence with the chosen tokens replaced. */
  inputs: Int32Array;
  /** The original token at each chosen position, {@link IGNORE_INDEX} elsewhere. */
  labels: Int32Array;
  /** The chosen positions, in increasing order. */
  positions: number[];
  /** How the chosen tokens were treated. */
  counts: { masked: number; random: number; unchanged: number };
}

/**
 * Applies BERT's masking to `ids` (one sequence, [PAD] included or not) with the seeded `rng`: the same
 * seed gives the same corruption. See the module comment for the rule.
 */
export function maskTokens(ids: ArrayLike<number>, rng: Random, rules: MaskingRules): MaskedSequence {
  if (!(rng instanceof Random)) throw new TypeError("maskTokens: rng must be a Random (new Random(seed))");
  if (rules === null || typeof rules !== "object" || !(rules.special instanceof Uint8Array)) throw new TypeError("maskTokens: rules must come from maskingRules({ maskId, vocabSize, specialIds })");
  const inputs = Int32Array.from(ids);
  const eligible: number[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const id = inputs[i]!;
    if (!Number.isInteger(ids[i]) || id < 0 || id >= rules.vocabSize) throw new RangeError(`maskTokens: ids[${i}] = ${ids[i]} is not an id in 0…${rules.vocabSize - 1}`);
    if (rules.special[id] === 0) eligible.push(i);
  }
  const labels = new Int32Array(inputs.length).fill(IGNORE_INDEX);
  const counts = { masked: 0, random: 0, unchanged: 0 };
  const chosen = eligible.length === 0 || rules.probability === 0 ? 0 : Math.max(1, Math.round(rules.probability * eligible.length));
  const positions = Array.from(rng.sampleIndices(eligible.length, chosen), (k) => eligible[k]!).sort((a, b) => a - b);
  for (const position of positions) {
    labels[position] = inputs[position]!;
    const r = rng.next();
    if (r < rules.maskShare) {
      inputs[position] = rules.maskId;
      counts.masked++;
    } else if (r < rules.maskShare + rules.randomShare) {
      inputs[position] = rules.replacementIds[rng.int(rules.replacementIds.length)]!;
      counts.random++;
    } else {
      counts.unchanged++;
    }
  }
  return { inputs, labels, positions, counts };
}
