import assert from "node:assert/strict";
import { test } from "node:test";
import { countLabels, loadSpamAssassin, mailText, splitMail } from "@llm-course/lib/data/spam";

test("mailText keeps the subject and the readable body: no headers, tags, entities, MIME parts or quoted-printable escapes", () => {
  const raw = [
    "From someone@example.com  Tue Aug  6 11:51:02 2002",
    "Received: from mx.example.com by example.org",
    "Subject: Cheap =",
    "  offers inside",
    "Content-Type: text/html; charset=\"us-ascii\"",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "------=_NextPart_000",
    "Content-Type: text/html",
    "",
    "<html><head><style>p { color: red }</style></head><body><p>Click&nbsp;<b>here</b> =3D &amp; win=",
    "ner &#36;100</p></body></html>",
    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=",
    "------=_NextPart_000--",
  ].join("\r\n");
  assert.equal(mailText(raw), "Cheap = offers inside\n\nClick here = & winner $100");
  assert.equal(mailText(raw, 12), "Cheap = offe");
  assert.equal(mailText("Subject: hi\n\nbody"), "hi\n\nbody");
  assert.throws(() => mailText("x", 0), /maxCharacters must be an integer ≥ 1/);
});

test("SpamAssassin: 6,046 messages, 1,896 spam; the stratified split is seeded, disjoint and keeps the spam share", () => {
  const all = loadSpamAssassin();
  assert.equal(all.length, 6046);
  assert.deepEqual(countLabels(all), { ham: 4150, spam: 1896 });
  assert.ok(all.every((m) => m.label === (m.group.startsWith("spam") ? 1 : 0)));
  assert.ok(!all.some((m) => /^Received:/m.test(m.text)), "no routing headers");
  const splits = splitMail(all, { seed: 42 });
  assert.deepEqual([splits.train.length, splits.dev.length, splits.test.length], [4232, 605, 1209]);
  assert.deepEqual(countLabels(splits.test), { ham: 830, spam: 379 });
  const key = (m: { group: string; id: string }) => `${m.group}/${m.id}`;
  const seen = new Set([...splits.train, ...splits.dev, ...splits.test].map(key));
  assert.equal(seen.size, 6046, "every message in exactly one split");
  assert.deepEqual(splitMail(all, { seed: 42 }).test.map(key), splits.test.map(key));
  assert.notDeepEqual(splitMail(all, { seed: 7 }).test.map(key), splits.test.map(key));
  assert.throws(() => splitMail(all, { testFraction: 0.6, devFraction: 0.5 }), /must be < 1/);
});
