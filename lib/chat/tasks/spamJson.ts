/**
 * Task (d): spam or ham, answered in JSON (`{"label": "spam"}`), on SpamAssassin mail with TP8's seeded
 * split (lib/data/spam): fine-tuning on the train split, tests on the test split. Mail is cut to its first
 * MAIL_CHARACTERS characters so the conversation fits the context.
 */
import { loadSpamAssassin, SPAM_LABELS, splitMail, type MailExample } from "../../data/spam";
import type { Random } from "../../random";
import { pick, type ChatExample, type ChatSplit } from "./types";

/** Characters of a mail shown to the model (subject first). */
export const MAIL_CHARACTERS = 400;

const SYSTEMS = [
  'Classify the email as spam or ham. Answer in JSON: {"label": "spam"} or {"label": "ham"}.',
  'Classe ce courriel : spam ou ham. Réponds en JSON : {"label": "spam"} ou {"label": "ham"}.',
];

let splits: { train: MailExample[]; test: MailExample[] } | undefined;

/** The JSON answer for a label. */
export function spamAnswer(label: 0 | 1): string {
  return JSON.stringify({ label: SPAM_LABELS[label] }).replace(":", ": ");
}

/** Spam-classification conversations of `split`: the test split's mails are taken in order (no repeats until all are used). */
export function spamExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  splits ??= splitMail(loadSpamAssassin());
  const pool = splits[split];
  return Array.from({ length: count }, (_, i) => {
    const mail = split === "test" ? pool[i % pool.length]! : pick(pool, rng);
    const answer = spamAnswer(mail.label);
    return {
      task: "spam-json",
      messages: [
        { role: "system", content: pick(SYSTEMS, rng) },
        { role: "user", content: mail.text.slice(0, MAIL_CHARACTERS) },
        { role: "assistant", content: answer },
      ],
      expected: answer,
    };
  });
}
