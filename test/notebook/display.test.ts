import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createDisplay,
  display,
  html,
  htmlToText,
  isNotebook,
  markdown,
  setDisplayWriter,
  type DisplayMessage,
} from "@llm-course/lib/notebook";

function capture(): { messages: { message: DisplayMessage; update: boolean }[]; restore: () => void } {
  const messages: { message: DisplayMessage; update: boolean }[] = [];
  const restore = setDisplayWriter((message, update) => messages.push({ message, update }));
  return { messages, restore };
}

function captureStdout(work: () => void): string {
  const original = process.stdout.write;
  let out = "";
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    work();
  } finally {
    process.stdout.write = original;
  }
  return out;
}

test("outside a kernel: terminal mode, bundles print their text/plain", () => {
  assert.equal(isNotebook(), false);
  const out = captureStdout(() => assert.equal(display({ "text/plain": "hello", "text/html": "<b>hello</b>" }), false));
  assert.equal(out, "hello\n");
});

test("in a notebook: one display_data with the whole bundle", () => {
  const { messages, restore } = capture();
  try {
    assert.equal(isNotebook(), true);
    assert.equal(display({ "text/plain": "x", "text/html": "<i>x</i>" }), true);
  } finally {
    restore();
  }
  assert.deepEqual(messages, [{ message: { data: { "text/plain": "x", "text/html": "<i>x</i>" }, metadata: {}, transient: {} }, update: false }]);
});

test("a display handle adds its output once, then updates it in place", () => {
  const { messages, restore } = capture();
  try {
    const handle = createDisplay();
    handle.show({ "text/plain": "1/3" });
    handle.show({ "text/plain": "2/3" });
    handle.show({ "text/plain": "3/3" });
    assert.deepEqual(
      messages.map((m) => [m.update, m.message.transient.display_id, m.message.data["text/plain"]]),
      [
        [false, handle.id, "1/3"],
        [true, handle.id, "2/3"],
        [true, handle.id, "3/3"],
      ],
    );
  } finally {
    restore();
  }
});

test("markdown and html helpers carry a text fallback", () => {
  const { messages, restore } = capture();
  try {
    markdown("**gras**");
    html("<p>a &amp; b</p><script>x()</script><p>c</p>");
    html("<b>x</b>", "X");
  } finally {
    restore();
  }
  assert.deepEqual(messages[0].message.data, { "text/markdown": "**gras**", "text/plain": "**gras**" });
  assert.equal(messages[1].message.data["text/plain"], "a & b\nc");
  assert.equal(messages[2].message.data["text/plain"], "X");
  assert.equal(htmlToText("<table><tr><td>1</td></tr><tr><td>2</td></tr></table>"), "1\n2");
});

test("bad input gets errors that name the problem", () => {
  assert.throws(() => display({ "text/html": "<b>x</b>" } as never), /needs a "text\/plain" string fallback/);
  assert.throws(() => display({ "text/plain": "x" }, { update: true }), /needs the `displayId`/);
  assert.throws(() => markdown(42 as never), /markdown: expected a string, got number/);
  assert.throws(() => setDisplayWriter("nope" as never), /expected a function or null/);
});

test("a busy kernel socket (zeromq EBUSY) delays outputs instead of throwing; waiting states of one output collapse to the last", async () => {
  const sent: { text: string; update: boolean }[] = [];
  let busyCalls = 2;
  const restore = setDisplayWriter((message, update) => {
    if (busyCalls > 0) {
      busyCalls--;
      throw Object.assign(new Error("Socket is busy writing"), { code: "EBUSY" });
    }
    sent.push({ text: message.data["text/plain"], update });
  });
  try {
    const bar = createDisplay();
    bar.show({ "text/plain": "0 %" });
    bar.show({ "text/plain": "50 %" });
    bar.show({ "text/plain": "100 %" });
    display({ "text/plain": "after" });
    assert.deepEqual(sent, []);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first retry is busy too; then everything goes, in order. The output was never shown, so its
    // waiting first display carries the last state.
    assert.deepEqual(sent, [
      { text: "100 %", update: false },
      { text: "after", update: false },
    ]);
  } finally {
    restore();
  }
});

test("a writer failure other than a busy socket is not hidden", () => {
  const restore = setDisplayWriter(() => {
    throw new Error("closed");
  });
  try {
    assert.throws(() => display({ "text/plain": "x" }), /closed/);
  } finally {
    restore();
  }
});
