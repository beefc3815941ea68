/**
 * Task (d): spam or ham, answered in JSON (`{"label": "spam"}`), on SpamAssassin mail with TP8's seeded
 * split (lib/data/spam): fine-tuning on the train split, tests on the test split. Mail is cut to its first
 * MAIL_CHARACTERS characters so the conversation fits the context, and mail whose beginning is not mostly
 * ASCII (Korean or Chinese spam: about one token per byte) is left out of both splits for the same reason.
 */
import { loadSpamAssassin, SPAM_LABELS, splitMail, type MailExample } from "../../data/spam";
import type { Random } from "../../random";
import { pick, type ChatExample, type ChatSplit } from "./types";

/** Characters of a mail shown to the model (subject first). */
export const MAIL_CHARACTERS = 300;

/** The least share of printable ASCII characters in a mail's shown text. */
const MIN_ASCII_SHARE = 0.95;

function mostlyAscii(text: string): boolean {
  const ascii = text.match(/[\x20-\x7e\n]/g)?.length ?? 0;
  return ascii >= MIN_ASCII_SHARE * text.length;
}

const SYSTEMS = [
  'Classify the email as spam or ham. Answer in JSON: {"label": "spam"} or {"label": "ham"}.',
  'Classe ce courriel : spam ou ham. Réponds en JSON : {"label": "spam"} ou {"label": "ham"}.',
];

let splits: { train: MailExample[]; test: MailExample[] } | undefined;

/** The mail of each split the task uses: TP8's split, cut to MAIL_CHARACTERS, mostly-ASCII mail only. */
export function spamTaskMail(): { train: MailExample[]; test: MailExample[] } {
  if (splits === undefined) {
    const all = splitMail(loadSpamAssassin());
    const usable = (mail: MailExample[]) => mail.map((m) => ({ ...m, text: m.text.slice(0, MAIL_CHARACTERS) })).filter((m) => mostlyAscii(m.text));
    splits = { train: usable(all.train), test: usable(all.test) };
  }
  return splits;
}

/** The JSON answer for a label. */
export function spamAnswer(label: 0 | 1): string {
  return JSON.stringify({ label: SPAM_LABELS[label] }).replace(":", ": ");
}

/** Spam-classification conversations of `split`: the test split's mails are taken in order (no repeats until all are used). */
export function spamExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const pool = spamTaskMail()[split];
  return Array.from({ length: count }, (_, i) => {
    const mail = split === "test" ? pool[i % pool.length]! : pick(pool, rng);
    const answer = spamAnswer(mail.label);
    return {
      task: "spam-json",
      messages: [
        { role: "system", content: pick(SYSTEMS, rng) },
        { role: "user", content: mail.text },
        { role: "assistant", content: answer },
      ],
      expected: answer,
    };
  });
}
