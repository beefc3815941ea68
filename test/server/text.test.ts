import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as path from "node:path";
import { PATHS } from "../../lib/env";
import { loadTokenizer } from "../../lib/llm/models";
import { tokenByteTable } from "../../lib/sampling/json-constraint";
import { IncrementalDecoder, TextGate, TokenBytesDecoder, writesTokenBytes } from "../../lib/server/text";

// A byte-level "tokenizer": token id = one byte, decoded as UTF-8 (U+FFFD for an incomplete character), as
// a byte-level BPE decodes a token that holds part of a character.
const bytesDecode = (ids: readonly number[]): string => new TextDecoder().decode(Uint8Array.from(ids));

describe("IncrementalDecoder", () => {
  it("never releases part of a UTF-8 character", () => {
    const text = "é→😀 ok";
    const decoder = new IncrementalDecoder(bytesDecode);
    const pieces = [...Buffer.from(text, "utf8")].map((byte) => decoder.push(byte));
    assert.ok(pieces.every((piece) => !piece.includes("\uFFFD")), JSON.stringify(pieces));
    assert.equal(pieces.join("") + decoder.flush(), text);
    // "é" is two bytes: nothing after the first, the whole character after the second.
    assert.deepEqual(pieces.slice(0, 2), ["", "é"]);
  });

  it("flushes an incomplete character at the end as U+FFFD, and decodes nothing as ''", () => {
    const decoder = new IncrementalDecoder(bytesDecode);
    assert.equal(decoder.flush(), "");
    assert.equal(decoder.push(0xc3), "");
    assert.equal(decoder.flush(), "\uFFFD");
  });
});

describe("TokenBytesDecoder on a byte-level BPE", () => {
  it("gives chat-mini's tokenizer.decode, piece by piece, never half a character", async () => {
    const tokenizer = await loadTokenizer(path.join(PATHS.data, "models", "chat-mini"));
    const table = tokenByteTable(tokenizer);
    const texts = [
      "Le résultat est 42. Ça coûte 3 € — très cher !",
      '<tool_call>{"name": "calculator", "arguments": {"expression": "12*3"}}</tool_call><|end|>',
      "emoji 😀🎉, 中文字符, ελληνικά\n\tand  spaces",
    ];
    for (const text of texts) {
      const ids = tokenizer.encode(text, { add_special_tokens: false });
      const decoder = new TokenBytesDecoder(table, (id) => tokenizer.decode([id], { skip_special_tokens: false }));
      const pieces = ids.map((id) => decoder.push(id));
      assert.ok(pieces.every((piece) => !piece.includes("\uFFFD")), JSON.stringify(pieces));
      assert.equal(pieces.join("") + decoder.flush(), tokenizer.decode(ids, { skip_special_tokens: false }));
    }
  });
});

describe("writesTokenBytes", () => {
  it("holds for ByteLevel and a lone Fuse without byte fallback, and never with spaces cleaned up", () => {
    const json = (decoder: unknown, byteFallback = false) => ({ decoder, model: { type: "BPE", byte_fallback: byteFallback } });
    assert.equal(writesTokenBytes(json({ type: "ByteLevel" }), false), true);
    assert.equal(writesTokenBytes(json({ type: "Fuse" }), false), true);
    assert.equal(writesTokenBytes(json({ type: "ByteLevel" }), true), false, "clean-up removes the space before '.'");
    assert.equal(writesTokenBytes(json({ type: "Fuse" }), undefined), false, "transformers.js cleans up unless told not to");
    assert.equal(writesTokenBytes(json({ type: "Fuse" }, true), false), false, "Fuse prints <0x41> as written");
    assert.equal(writesTokenBytes(json({ type: "Metaspace" }), false), false, "Metaspace drops the first space");
    assert.equal(writesTokenBytes(json({ type: "Sequence", decoders: [{ type: "Fuse" }] }), false), false);
    assert.equal(writesTokenBytes(json(null), false), false);
    assert.equal(writesTokenBytes(null, false), false);
  });
});

describe("TokenBytesDecoder", () => {
  it("gives gpt-moby's tokenizer.decode (a character vocabulary, Fuse), piece by piece", async () => {
    const tokenizer = await loadTokenizer(path.join(PATHS.data, "models", "gpt-moby"));
    assert.equal(writesTokenBytes(tokenizer._tokenizerJSON, false), true);
    const table = tokenByteTable(tokenizer);
    const piecesOf = (text: string): string[] => {
      const ids = tokenizer.encode(text, { add_special_tokens: false });
      const decoder = new TokenBytesDecoder(table, (id) => tokenizer.decode([id], { skip_special_tokens: false }));
      const pieces = ids.map((id) => decoder.push(id));
      assert.equal(pieces.join("") + decoder.flush(), tokenizer.decode(ids, { skip_special_tokens: false }));
      return pieces;
    };
    assert.deepEqual(piecesOf("Call me").slice(0, 4), ["C", "a", "l", "l"]);
    // Characters Moby-Dick lacks are <unk> (an added token: its own text), and </s> is the end token.
    assert.deepEqual(piecesOf("“Whale!” 😀</s>"), ["<unk>", "W", "h", "a", "l", "e", "!", "<unk>", " ", "<unk>", "</s>"]);
    piecesOf("Some years ago—never mind how long precisely—having little or no money in my purse");
  });
});

describe("TextGate", () => {
  const feed = (gate: TextGate, pieces: string[]): { content: string; stoppedAt: number } => {
    let content = "";
    let stoppedAt = -1;
    pieces.forEach((piece, i) => {
      const out = gate.push(piece);
      content += out.content;
      if (out.stopped && stoppedAt < 0) stoppedAt = i;
    });
    return { content: content + (stoppedAt < 0 ? gate.flush() : ""), stoppedAt };
  };

  it("cuts before a stop string split across pieces, and holds back only what may start one", () => {
    const gate = new TextGate(["END"], null);
    assert.deepEqual(gate.push("abc E"), { content: "abc ", stopped: false });
    assert.deepEqual(gate.push("N"), { content: "", stopped: false });
    assert.deepEqual(gate.push("Dxyz"), { content: "", stopped: true });
    assert.equal(gate.push("more").content, "");
  });

  it("releases held-back text that turned out not to be a stop string", () => {
    assert.deepEqual(feed(new TextGate(["END"], null), ["a E", "N", "x"]), { content: "a ENx", stoppedAt: -1 });
    assert.deepEqual(feed(new TextGate(["END"], null), ["a E"]), { content: "a E", stoppedAt: -1 });
  });

  it("takes the earliest of several stop strings", () => {
    assert.deepEqual(feed(new TextGate(["world", "lo"], null), ["Hello world"]), { content: "Hel", stoppedAt: 0 });
  });

  it("keeps tool-call text apart from content, a stop string still ending it", () => {
    const gate = new TextGate([], "<tool_call>");
    const { content } = feed(gate, ["Sure. <tool", "_call>{\"name\"", ": 1}</tool_call>"]);
    assert.equal(content, "Sure. ");
    assert.equal(gate.toolText, '<tool_call>{"name": 1}</tool_call>');
    const stopped = new TextGate(["STOP"], "<tool_call>");
    assert.deepEqual(feed(stopped, ["x<tool_call>{}STOP</tool_call>"]), { content: "x", stoppedAt: 0 });
    assert.equal(stopped.toolText, "<tool_call>{}");
  });
});
