/**
 * The grader's defences that need no kernel: the plain-JavaScript HMAC against Node's, the built-ins'
 * snapshot (poisoned, restored, the notebook's changes put back), the authenticated result line, and the
 * untrusted inputs (links, sub-folders, encodings, nbformat 3, file names, CSV formulas).
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { csvField, isImportOnly, parseGradeLine } from "../../lib/grading/grade";
import { hmacSha256Hex } from "../../lib/grading/hmac";
import { snapshotIntrinsics } from "../../lib/grading/intrinsics";
import { decodeSubmission, feedbackFileNames, listSubmissions, printableName } from "../../lib/grading/submissions";

describe("hmacSha256Hex", () => {
  it("matches Node's HMAC-SHA-256 on short, long and non-ASCII inputs", () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from("k"), ""],
      [crypto.randomBytes(32), `{"exercise":"tp99.add","tests":[{"name":"« é » → 🌍","passed":true}]}`],
      [crypto.randomBytes(100), "x".repeat(1000)],
    ];
    for (const [key, message] of cases) {
      assert.equal(hmacSha256Hex(new Uint8Array(key), message), crypto.createHmac("sha256", key).update(message).digest("hex"));
    }
  });
});

describe("parseGradeLine", () => {
  const key = crypto.randomBytes(32);
  const nonce = "@@n@@";
  const json = '{"exercise":"tp99.add","status":"passed","tests":[]}';
  const line = (body: string, mac: string) => `bruit\n${nonce}${body}\t${mac}\n`;
  it("accepts the line signed with the key and refuses an edited or unsigned one", () => {
    const mac = crypto.createHmac("sha256", key).update(nonce + json).digest("hex");
    assert.deepEqual(parseGradeLine(line(json, mac), nonce, key), JSON.parse(json));
    assert.equal(parseGradeLine(line(json.replace("passed", "failed"), mac), nonce, key), "forged");
    assert.equal(parseGradeLine(`${nonce}${json}\n`, nonce, key), "forged");
    assert.equal(parseGradeLine("rien\n", nonce, key), null);
  });
});

describe("isImportOnly", () => {
  it("tells import-only cells (which get a longer timeout) from cells with code", () => {
    assert.equal(isImportOnly('import { check, todo } from "@llm-course/lib/grading";'), true);
    assert.equal(isImportOnly('import * as fs from "node:fs";\n// commentaire\nimport {\n  a,\n  b,\n} from "./x";\nimport "y";\nimport type { T } from "t";'), true);
    assert.equal(isImportOnly('import { a } from "b";\nwhile (true) {}'), false);
    assert.equal(isImportOnly("// rien"), false);
  });
});

describe("snapshotIntrinsics", () => {
  it("removes a notebook's poison for the grading, then puts it back", () => {
    const snapshot = snapshotIntrinsics();
    const realStringify = JSON.stringify;
    const realPush = Array.prototype.push;
    const fakeStringify = () => "{}";
    const fakePush = function () {
      return 0;
    };
    try {
      (JSON as { stringify: unknown }).stringify = fakeStringify;
      Array.prototype.push = fakePush;
      Object.defineProperty(Object.prototype, "then", { configurable: true, get: () => () => "piège" });
      const restoration = snapshot.restore();
      assert.equal(restoration.tampered, null);
      assert.equal(JSON.stringify({ a: 1 }), '{"a":1}');
      const list: number[] = [];
      list.push(1);
      assert.deepEqual(list, [1]);
      assert.equal(({} as { then?: unknown }).then, undefined);
      snapshot.undo(restoration);
      assert.equal(JSON.stringify, fakeStringify);
      assert.equal(Array.prototype.push, fakePush);
      assert.equal(typeof ({} as { then?: unknown }).then, "function");
    } finally {
      (JSON as { stringify: unknown }).stringify = realStringify;
      Array.prototype.push = realPush;
      delete (Object.prototype as { then?: unknown }).then;
    }
  });

  it("lets a library lock a registry of its own under a private symbol, not a well-known symbol", () => {
    const snapshot = snapshotIntrinsics();
    // What reflect-metadata does when TP12's dependencies load it.
    Object.defineProperty(Reflect, Symbol.for("@reflect-metadata:registry"), { value: new Map(), configurable: false });
    assert.equal(snapshot.restore().tampered, null);
    // A well-known symbol changes what the language does (here: Math becomes iterable); Math, so that the
    // lock, which cannot be undone, does not disturb the other tests of this process.
    Object.defineProperty(Math, Symbol.iterator, { value: function* () {}, configurable: false });
    assert.equal(snapshot.restore().tampered, "Math.Symbol(Symbol.iterator)");
  });

  it("reports a built-in the notebook locked", () => {
    const snapshot = snapshotIntrinsics();
    const realAbs = Math.abs;
    Object.defineProperty(Math, "abs", { value: () => 0, configurable: false, writable: false });
    assert.equal(snapshot.restore().tampered, "Math.abs");
    assert.notEqual(Math.abs, realAbs);
  });
});

describe("untrusted inputs", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-inputs-"));
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  const v4 = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code", source: "const x = 1;", metadata: {}, outputs: [], execution_count: null }] };

  it("walks sub-folders, refuses links with a line each, skips hidden and output folders", () => {
    const dir = path.join(work, "classe");
    fs.mkdirSync(path.join(dir, "groupe", ".ipynb_checkpoints"), { recursive: true });
    fs.mkdirSync(path.join(dir, "notes"));
    fs.writeFileSync(path.join(dir, "a.ipynb"), "{}");
    fs.writeFileSync(path.join(dir, "groupe", "b.ipynb"), "{}");
    fs.writeFileSync(path.join(dir, "groupe", ".ipynb_checkpoints", "b-checkpoint.ipynb"), "{}");
    fs.writeFileSync(path.join(dir, "notes", "c.ipynb"), "{}");
    fs.symlinkSync("/etc/passwd", path.join(dir, "lien.ipynb"));
    fs.symlinkSync(path.join(dir, "groupe"), path.join(dir, "dossier-lien"));
    const listing = listSubmissions(dir, [path.join(dir, "notes")]);
    assert.deepEqual(listing.found.map((found) => found.name), ["a.ipynb", "groupe/b.ipynb"]);
    assert.deepEqual(listing.refused.map((refused) => refused.name), ["dossier-lien", "lien.ipynb"]);
    assert.match(listing.refused[0]!.reason, /^lien symbolique refusé/);
  });

  it("reads UTF-8 with a BOM and UTF-16, converts nbformat 3, refuses other bytes and versions in French", () => {
    const text = JSON.stringify(v4);
    assert.equal(decodeSubmission(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), "n").cells.length, 1);
    assert.equal(decodeSubmission(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]), "n").cells.length, 1);
    const be = Buffer.from(text, "utf16le").swap16();
    assert.equal(decodeSubmission(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), "n").cells.length, 1);
    assert.throws(() => decodeSubmission(Buffer.from('{"a": "é"}', "latin1"), "n"), /^Error: encodage inconnu/);
    const v3 = {
      nbformat: 3,
      nbformat_minor: 0,
      metadata: { name: "x" },
      worksheets: [{ cells: [{ cell_type: "heading", level: 2, source: ["Titre"] }, { cell_type: "code", input: ["const y = 2;\n", "y"], language: "typescript", outputs: [] }] }],
    };
    const converted = decodeSubmission(Buffer.from(JSON.stringify(v3)), "n");
    assert.equal(converted.nbformat, 4);
    assert.deepEqual(converted.cells.map((cell) => [cell.cell_type, cell.source]), [["markdown", "## Titre"], ["code", "const y = 2;\ny"]]);
    assert.throws(() => decodeSubmission(Buffer.from('{"nbformat": 2}'), "n"), /format de notebook non pris en charge \(nbformat 2\)/);
  });

  it("makes names safe for files, Markdown and spreadsheets", () => {
    assert.equal(printableName("nom\navec\tsaut.ipynb"), "nom?avec?saut.ipynb");
    assert.deepEqual(feedbackFileNames(["g/a b.ipynb", "g__a_b.ipynb", "../../etc.ipynb", "=SOMME(A1).ipynb"]), [
      "g__a_b.md",
      "g__a_b-2.md",
      "__..__etc.md",
      "_SOMME_A1_.md",
    ]);
    assert.equal(csvField("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    assert.equal(csvField("+1"), "'+1");
    assert.equal(csvField("@a,b"), '"\'@a,b"');
    assert.equal(csvField(-1), "-1");
    assert.equal(csvField("normal.ipynb"), "normal.ipynb");
  });
});
