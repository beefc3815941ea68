/**
 * `npm run rag -- build [--folder <dir>]`: rebuilds the default RAG database from scratch (see ./build);
 * `npm run rag -- check [--folder <dir>]`: opens it and runs one search of each kind.
 */
import { progress, type ProgressBar } from "../notebook/progress";
import { buildDefaultStore, DEFAULT_STORE_DIR } from "./build";
import { cachedEmbedder, universalSentenceEncoder } from "./embedders";
import { RagStore } from "./store";

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const folderFlag = rest.indexOf("--folder");
  const folder = folderFlag >= 0 && rest[folderFlag + 1] !== undefined ? rest[folderFlag + 1]! : DEFAULT_STORE_DIR;
  if (command === "build") {
    const started = Date.now();
    let bar: ProgressBar | undefined;
    const store = await buildDefaultStore({ folder, onProgress: (done, total) => (bar ??= progress({ total, label: "embedding chunks" })).update(done) });
    bar?.done();
    console.log(`${store.manifest.chunks} chunks (${store.manifest.chunking}), ${store.manifest.embedder} ${store.manifest.dimension}-d, LanceDB ${store.manifest.lancedb}, in ${folder} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    store.close();
  } else if (command === "check") {
    const store = await RagStore.open(folder);
    const embedder = cachedEmbedder(await universalSentenceEncoder());
    const question = "Who declared an unconditional war on poverty?";
    const vector = await store.embedQuery(embedder, question);
    for (const [name, hits] of [["vector", await store.vectorSearch(vector, 3)], ["text", await store.textSearch(question, 3)], ["hybrid", await store.hybridSearch(question, vector, 3)]] as const) {
      console.log(`${name}: ${hits.map((h) => `${h.id} (${h.president}, ${h.score.toFixed(3)})`).join("; ")}`);
    }
    store.close();
  } else {
    console.error("usage: npm run rag -- build [--folder <dir>]   |   npm run rag -- check [--folder <dir>]");
    process.exitCode = 2;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
