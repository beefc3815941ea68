/** Small documents and a deterministic embedder for the lib/rag tests. */
import type { Embedder, RagDocument } from "@llm-course/lib/rag";

export const DOCUMENTS: RagDocument[] = [
  { id: "1801", year: 1801, president: "Thomas Jefferson", party: "Democratic-Republican", text: "The navy sails to Tripoli. Pirates attack our ships. We will defend commerce on the seas." },
  { id: "1862", year: 1862, president: "Abraham Lincoln", party: "Republican", text: "The war continues. Emancipation will save the Union. Slavery must end in every state." },
  { id: "1964", year: 1964, president: "Lyndon B Johnson", party: "Democratic", text: "We declare war on poverty. Schools and hospitals need money. Every child deserves a chance." },
];

/** Counts of the letters a–h, so texts sharing letters are close; `calls` counts embedded texts. */
export function letterEmbedder(id = "letters", dimension = 8): Embedder & { calls: number } {
  const embedder = {
    id,
    dimension,
    calls: 0,
    async embed(texts: readonly string[]) {
      embedder.calls += texts.length;
      return texts.map((text) => {
        const vector = new Float32Array(dimension);
        for (const ch of text.toLowerCase()) {
          const i = ch.charCodeAt(0) - 97;
          if (i >= 0 && i < dimension) vector[i]! += 1;
        }
        const norm = Math.hypot(...vector) || 1;
        return vector.map((x) => x / norm);
      });
    },
  };
  return embedder;
}
