/**
 * The calculator tool of the chat model's arithmetic task: its OpenAI-style definition (what the system
 * prompt lists) and its implementation, a small exact evaluator of + − × ÷ and parentheses on integers —
 * no `eval`, since the expression comes from a model.
 */
import type { ChatTool } from "./template";

/** The tool as the system prompt lists it. */
export const CALCULATOR_TOOL: ChatTool = Object.freeze({
  type: "function",
  function: {
    name: "calculator",
    description: "Computes an arithmetic expression.",
    parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
  },
}) as ChatTool;

/**
 * The value of an expression of integers with + - * / ( ) and spaces, as a string (integers stay exact as
 * bigints; a division that is not exact gives a decimal number). Throws naming what it could not read.
 */
export function calculate(expression: string): string {
  if (typeof expression !== "string" || expression.trim() === "") throw new TypeError("calculator: expression must be a non-empty string such as \"347*29\"");
  const tokens = expression.match(/\d+|[-+*/()]|\S/g) ?? [];
  let position = 0;
  type Value = { n: bigint; d: bigint };
  const fail = (what: string): never => {
    throw new SyntaxError(`calculator: ${what} in ${JSON.stringify(expression)}`);
  };
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
  const make = (n: bigint, d: bigint): Value => {
    if (d === 0n) fail("division by zero");
    const sign = d < 0n ? -1n : 1n;
    const g = gcd(n, d) || 1n;
    return { n: (sign * n) / g, d: (sign * d) / g };
  };
  const primary = (): Value => {
    const token = tokens[position++];
    if (token === undefined) return fail("unexpected end");
    if (/^\d+$/.test(token)) return { n: BigInt(token), d: 1n };
    if (token === "-") {
      const v = primary();
      return { n: -v.n, d: v.d };
    }
    if (token === "(") {
      const v = sum();
      if (tokens[position++] !== ")") fail("missing )");
      return v;
    }
    return fail(`unexpected ${JSON.stringify(token)}`);
  };
  const product = (): Value => {
    let v = primary();
    while (tokens[position] === "*" || tokens[position] === "/") {
      const op = tokens[position++];
      const w = primary();
      v = op === "*" ? make(v.n * w.n, v.d * w.d) : make(v.n * w.d, v.d * w.n);
    }
    return v;
  };
  const sum = (): Value => {
    let v = product();
    while (tokens[position] === "+" || tokens[position] === "-") {
      const op = tokens[position++];
      const w = product();
      v = make(op === "+" ? v.n * w.d + w.n * v.d : v.n * w.d - w.n * v.d, v.d * w.d);
    }
    return v;
  };
  const value = sum();
  if (position !== tokens.length) fail(`unexpected ${JSON.stringify(tokens[position])}`);
  if (value.d === 1n) return value.n.toString();
  return String(Number(value.n) / Number(value.d));
}
