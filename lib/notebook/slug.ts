/** `text` as a file or anchor name: accents dropped, lower case, runs of other characters as one "-", at most 60 characters; `fallback` when nothing is left. */
export function slug(text: string, fallback: string): string {
  const s = text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return s || fallback;
}
