/**
 * A generated corpus where the right answer is known: pairs of "synonyms" that are used in exactly the
 * same contexts. Any method that learns from context must put each pair's two words next to each other,
 * which makes it a correctness test for word2vec and a small demo of the distributional hypothesis.
 */
import { Random } from "../random";

/** Options of {@link plantedSynonymCorpus}. */
export interface PlantedCorpusOptions {
  /** Topics; each has its own context words and one synonym pair. Default 8. */
  topics?: number;
  /** Context words per topic. Default 6. */
  contextWords?: number;
  /** Sentences to generate. Default 3000. */
  sentences?: number;
  /** Default 1. */
  seed?: number;
}

/** The generated sentences and the planted pairs. */
export interface PlantedCorpus {
  sentences: string[][];
  /** `[topicN_a, topicN_b]` for every topic: the words that share all their contexts. */
  synonyms: [string, string][];
}

/**
 * Sentences "c₁ c₂ s c₃ c₄" where the c's are random context words of one topic and s is one of that
 * topic's two synonyms, chosen by a coin flip: the two synonyms then have the same context distribution,
 * while context words (which also meet each other) have a different one.
 */
export function plantedSynonymCorpus(options: PlantedCorpusOptions = {}): PlantedCorpus {
  const topics = options.topics ?? 8;
  const contextWords = options.contextWords ?? 6;
  const count = options.sentences ?? 3000;
  for (const [name, value, min] of [["topics", topics, 1], ["contextWords", contextWords, 2], ["sentences", count, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`plantedSynonymCorpus: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  const rng = new Random(options.seed ?? 1);
  const synonyms: [string, string][] = Array.from({ length: topics }, (_, t) => [`topic${t}_a`, `topic${t}_b`]);
  const sentences: string[][] = [];
  for (let n = 0; n < count; n++) {
    const topic = rng.int(topics);
    const context = () => `topic${topic}_ctx${rng.int(contextWords)}`;
    const synonym = synonyms[topic]![rng.int(2)]!;
    sentences.push([context(), context(), synonym, context(), context()]);
  }
  return { sentences, synonyms };
}
