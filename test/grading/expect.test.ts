import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ExpectationError,
  deepEqual,
  expectClose,
  expectEqual,
  expectRejects,
  expectThrows,
  expectTrue,
  formatValue,
} from "../../lib/grading/expect";
import { DelegationError } from "../../lib/grading/off-limits";
import { TodoError } from "../../lib/grading/todo";

/** The message of the ExpectationError thrown by `fn`. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ExpectationError, `expected an ExpectationError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("no ExpectationError thrown");
}

describe("formatValue", () => {
  it("renders values compactly and truncates long collections", () => {
    assert.equal(formatValue([1, 2, 3]), "[1, 2, 3]");
    assert.equal(formatValue(Array.from({ length: 100 }, (_, i) => i)), "[0, 1, 2, 3, 4, 5, 6, 7, … (+92)]");
    assert.equal(formatValue(new Map([["a,b", 2]])), 'Map(1) { "a,b" => 2 }');
    assert.equal(formatValue(new Set([1])), "Set(1) { 1 }");
    assert.equal(formatValue(new Float32Array([0.5, 2])), "Float32Array(2) [0.5, 2]");
    assert.equal(formatValue({ inputIds: [[1]], "a b": "x" }), '{ inputIds: [[1]], "a b": "x" }');
    assert.equal(formatValue(undefined), "undefined");
    assert.equal(formatValue(-0), "-0");
    assert.equal(formatValue(10n), "10n");
    assert.equal(formatValue(function countPairs() {}), "[fonction countPairs]");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(formatValue(cyclic), "{ self: [circulaire] }");
    assert.ok(formatValue("x".repeat(500)).length <= 200);
  });
});

describe("expectEqual", () => {
  it("accepts deeply equal values", () => {
    expectEqual([1, [2, 3]], [1, [2, 3]]);
    expectEqual(new Map([["1,2", 2], ["2,3", 1]]), new Map([["2,3", 1], ["1,2", 2]]));
    expectEqual(new Set([[1], [2]]), new Set([[2], [1]]));
    expectEqual({ a: 1, b: { c: [NaN] } }, { b: { c: [NaN] }, a: 1 });
    expectEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]));
    expectEqual(-0, 0);
    assert.ok(deepEqual(new Map([[[1, 2], "x"]]), new Map([[[1, 2], "x"]])));
  });

  it("says what was expected, what was obtained and where they differ", () => {
    assert.equal(failure(() => expectEqual(4, 5)), "attendu : 5, obtenu : 4");
    assert.equal(failure(() => expectEqual(1, 0, "taille pour []")), "taille pour [] — attendu : 0, obtenu : 1");
    assert.equal(
      failure(() => expectEqual([256, 3, 255], [256, 3, 256])),
      "attendu : [256, 3, 256], obtenu : [256, 3, 255] (différence en [2] : attendu 256, obtenu 255)",
    );
    assert.equal(failure(() => expectEqual([1], [1, 2])), "attendu : [1, 2], obtenu : [1] (différence : longueur attendue 2, obtenue 1)");
    assert.equal(
      failure(() => expectEqual(new Map([["7,7", 1]]), new Map([["7,7", 2]]))),
      'attendu : Map(1) { "7,7" => 2 }, obtenu : Map(1) { "7,7" => 1 } (différence en .get("7,7") : attendu 2, obtenu 1)',
    );
    assert.equal(failure(() => expectEqual(new Map(), new Map([["a", 1]]))), 'attendu : Map(1) { "a" => 1 }, obtenu : Map(0) {} (différence : clé "a" absente)');
    assert.equal(
      failure(() => expectEqual({ inputIds: [[1, 0]] }, { inputIds: [[1, 9]] })),
      "attendu : { inputIds: [[1, 9]] }, obtenu : { inputIds: [[1, 0]] } (différence en .inputIds[0][1] : attendu 9, obtenu 0)",
    );
    assert.equal(failure(() => expectEqual<unknown>({ a: 1, b: 2 }, { a: 1 })), "attendu : { a: 1 }, obtenu : { a: 1, b: 2 } (différence : propriété « b » en trop)");
    assert.equal(failure(() => expectEqual<unknown>("5", 5)), 'attendu : 5, obtenu : "5" (différence : attendu un nombre, obtenu une chaîne)');
    assert.equal(
      failure(() => expectEqual<unknown>(new Float32Array([1]), [1])),
      "attendu : [1], obtenu : Float32Array(1) [1] (différence : attendu un tableau, obtenu un Float32Array)",
    );
    assert.match(failure(() => expectEqual<unknown>(Promise.resolve(1), 1)), /une Promise \(oubli d'un await \?\)/);
  });

  it("handles cyclic structures", () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    const b: Record<string, unknown> = { x: 1 };
    b.self = b;
    expectEqual(a, b);
  });
});

describe("expectClose", () => {
  it("accepts numbers and arrays within the tolerance", () => {
    expectClose(0.1 + 0.2, 0.3);
    expectClose([0.5, 1.0000001], [0.5, 1], 1e-6);
    expectClose(new Float32Array([0.1]), [0.1], 1e-6);
  });

  it("reports the value, the tolerance and the index", () => {
    assert.equal(failure(() => expectClose(0.0076, 0.0075, 1e-12)), "attendu : 0.0075 ± 1e-12, obtenu : 0.0076");
    assert.equal(failure(() => expectClose([1, 2.5], [1, 2], 0.1, "probabilités")), "probabilités — attendu : [1, 2] ± 0.1, obtenu : [1, 2.5] (à l'indice 1 : attendu 2, obtenu 2.5)");
    assert.equal(failure(() => expectClose(NaN, 1)), "attendu : 1 ± 0.000001, obtenu : NaN");
    assert.equal(failure(() => expectClose("1" as unknown as number, 1)), 'attendu : 1 ± 0.000001, obtenu : "1" (attendu un nombre, obtenu une chaîne)');
    assert.equal(failure(() => expectClose([1], [1, 2])), "attendu : [1, 2] ± 0.000001, obtenu : [1] (longueur attendue 2, obtenue 1)");
  });

  it("rejects a bad tolerance as a bug of the test, not of the student", () => {
    assert.throws(() => expectClose(1, 1, -1), RangeError);
  });
});

describe("expectTrue / expectThrows / expectRejects", () => {
  it("expectTrue shows the given message", () => {
    expectTrue(1 + 1 === 2, "jamais");
    assert.equal(failure(() => expectTrue(false, "le tableau d'entrée a été modifié")), "le tableau d'entrée a été modifié");
  });

  it("expectThrows checks that an error is thrown and matches", () => {
    const error = expectThrows(() => {
      throw new RangeError("séquence vide");
    }, /vide/);
    assert.ok(error instanceof RangeError);
    assert.equal(failure(() => expectThrows(() => 3)), "attendu : une erreur, obtenu : aucune erreur (valeur renvoyée : 3)");
    assert.equal(
      failure(() =>
        expectThrows(() => {
          throw new Error("autre");
        }, "vide"),
      ),
      "attendu : une erreur dont le message contient « vide », obtenu : Error « autre »",
    );
    assert.match(failure(() => expectThrows(async () => 1)), /utilisez expectRejects/);
  });

  it("a released stub or a refused delegation is passed on, not taken for the expected error", async () => {
    const stub = new TodoError("tp99.add", "compléter add(a, b)");
    assert.throws(() => expectThrows(() => {
      throw stub;
    }), (error: unknown) => error === stub);
    await assert.rejects(expectRejects(async () => {
      throw stub;
    }), (error: unknown) => error === stub);
    const delegation = new DelegationError("tp09.temperature_softmax", "softmax");
    assert.throws(() => expectThrows(() => {
      throw delegation;
    }), (error: unknown) => error === delegation);
  });

  it("expectRejects awaits the promise", async () => {
    await expectRejects(async () => {
      throw new Error("refusé");
    }, "refusé");
    await assert.rejects(expectRejects(async () => 2), (error: unknown) => error instanceof ExpectationError && /aucune erreur \(valeur : 2\)/.test(error.message));
  });
});
