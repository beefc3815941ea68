/**
 * The tensor backend of the course: `const tf = await initBackend();` picks the fastest tfjs backend and
 * says which, and `embeddingLookup` makes embedding tables trainable on every backend (wasm included).
 */
export { BACKEND_VARIABLE, backendInfo, initBackend, isLoadingNoise } from "./select";
export type { BackendInfo, BackendName, BackendRequest, InitBackendOptions, SkippedBackend } from "./select";
export { embeddingLookup } from "./embedding";
export type { TokenIds } from "./embedding";
