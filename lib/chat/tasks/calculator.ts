/**
 * Task (b): arithmetic through a tool. The system prompt lists the calculator; the assistant answers the
 * question with a `<tool_call>` holding the expression, the tool's message gives the result, and the
 * assistant's final answer copies it. Test questions use first operands held out of fine-tuning.
 */
import { Random } from "../../random";
import { calculate, CALCULATOR_TOOL } from "../calculator";
import type { ChatMessage } from "../template";
import { pick, type ChatExample, type ChatSplit } from "./types";

/** First operands 10…999: a seeded 100 of them are kept for the tests. */
export function calculatorOperandSplit(seed = 43): Record<ChatSplit, number[]> {
  const all = new Random(seed).shuffle(Array.from({ length: 990 }, (_, i) => i + 10));
  return { test: all.slice(0, 100).sort((a, b) => a - b), train: all.slice(100).sort((a, b) => a - b) };
}

const OPERATIONS = [
  { symbol: "*", en: ["What is {a} * {b}?", "Compute {a} times {b}."], fr: ["Combien font {a} × {b} ?", "Calcule {a} fois {b}."] },
  { symbol: "+", en: ["What is {a} + {b}?", "Add {a} and {b}."], fr: ["Combien font {a} + {b} ?", "Calcule {a} plus {b}."] },
  { symbol: "-", en: ["What is {a} - {b}?", "Subtract {b} from {a}."], fr: ["Combien font {a} − {b} ?", "Calcule {a} moins {b}."] },
] as const;

const SYSTEMS = { en: "You are a helpful assistant. Use the calculator for arithmetic.", fr: "Tu es un assistant. Utilise la calculatrice pour les calculs." };

/** The assistant's final answer once the tool has returned `result`. */
export function calculatorAnswer(result: string, language: "en" | "fr"): string {
  return language === "en" ? `The answer is ${result}.` : `Le résultat est ${result}.`;
}

/** Calculator conversations of `split`: question, tool call, tool result, final answer. */
export function calculatorExamples(split: ChatSplit, count: number, rng: Random): ChatExample[] {
  const pool = calculatorOperandSplit()[split];
  return Array.from({ length: count }, (_, i) => {
    const a = pick(pool, rng);
    const b = 2 + rng.int(98);
    const op = pick(OPERATIONS, rng);
    const language = rng.next() < 0.5 ? "en" : "fr";
    const question = pick(op[language], rng).replace("{a}", String(a)).replace("{b}", String(b));
    const expression = `${a}${op.symbol}${b}`;
    const result = calculate(expression);
    const answer = calculatorAnswer(result, language);
    const messages: ChatMessage[] = [
      { role: "system", content: SYSTEMS[language] },
      { role: "user", content: question },
      { role: "assistant", content: null, tool_calls: [{ id: `call_${i}`, type: "function", function: { name: CALCULATOR_TOOL.function.name, arguments: `{"expression": "${expression}"}` } }] },
      { role: "tool", content: result, tool_call_id: `call_${i}` },
      { role: "assistant", content: answer },
    ];
    return { task: "calculator", messages, tools: [CALCULATOR_TOOL], expected: answer };
  });
}
