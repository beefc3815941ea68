/**
 * The agents' evaluation: a generated task set with checkable answers and values the chat model was never
 * fine-tuned on (its test pools), the gold plan of tool calls that solves each task, and the success rate
 * of a model with tools vs without (steps per task, invalid calls).
 *
 * Kinds: calculations asked as chat-mini's calculator task asks them ("What is 347 * 29?"), arithmetic word
 * problems (calculator), numbers in French words (number_to_french), State of the
 * Union facts (sotu_search), date arithmetic (add_days / days_between) and two-step questions (calculator,
 * then number_to_french).
 */
import { calculate } from "../chat/calculator";
import { splitSotuYears } from "../chat/sotu";
import { calculatorAnswer, calculatorExamples, calculatorOperandSplit } from "../chat/tasks/calculator";
import { numberSplit } from "../chat/tasks/numbers";
import { pick, type ChatSplit } from "../chat/tasks/types";
import type { ChatMessage, ChatTool } from "../chat/template";
import { frenchNumberWords } from "../data/numberWords";
import { Random } from "../random";
import { COURSE_TOOLS, DAY_MS } from "./courseTools";
import { runAgent, type AgentModel, type AgentOptions, type AgentRun, type AssistantTurn } from "./loop";
import { toolDefinition, type AgentTool } from "./tools";

/** The kinds of tasks, in the tables' order. */
export const AGENT_TASK_KINDS = ["calculation", "arithmetic", "number-words", "speech-facts", "dates", "two-tools"] as const;
export type AgentTaskKind = (typeof AGENT_TASK_KINDS)[number];

/** One call of a gold plan, written from the observations of the calls before it. */
export type PlannedCall = (observations: readonly string[]) => { tool: string; arguments: Record<string, unknown> };

/** A question with its expected answer and the calls that reach it. */
export interface AgentTask {
  id: string;
  kind: AgentTaskKind;
  question: string;
  /** What a right answer contains (compared by {@link isRightAnswer}). */
  expected: string;
  /** The tools the gold plan calls, by name. */
  tools: readonly string[];
  /** The gold plan: the calls, in order (each from the observations so far). */
  plan: readonly PlannedCall[];
  /** The final answer from the plan's observations. */
  answer: (observations: readonly string[]) => string;
}

const WORD_PROBLEMS = [
  { text: "A box holds {a} pencils. How many pencils are there in {b} boxes?", op: "*" },
  { text: "A train carries {a} passengers and {b} more get on. How many passengers are on the train?", op: "+" },
  { text: "A farmer had {a} sheep and sold {b}. How many sheep are left?", op: "-" },
  { text: "Un cinéma a {a} places par salle et {b} salles. Combien de places en tout ?", op: "*" },
] as const;

/** "2026-03-14" from a day count since 1970 (UTC). */
const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The first day the date tasks start from: 2020-01-01, as days since 1970. */
const FIRST_TASK_DAY = Date.UTC(2020, 0, 1) / DAY_MS;

/**
 * The system prompt of chat-mini's English calculator conversations, read from lib/chat's generator (so a
 * rebuilt recipe stays in step): the one prompt under which the model learned to call a tool.
 */
export function calculatorTrainingSystem(): string {
  const rng = new Random(0);
  for (let i = 0; i < 100; i++) {
    const { messages, expected } = calculatorExamples("train", 1, rng)[0]!;
    const [system, , , result] = messages;
    if (system?.role === "system" && result?.role === "tool" && expected === calculatorAnswer(result.content, "en")) return system.content;
  }
  throw new Error("calculatorTrainingSystem: lib/chat's calculator task gave no English conversation with a system prompt");
}

/** Normalised for comparison: lower case, no thousands separators, single spaces. */
function normalise(text: string): string {
  return text.toLowerCase().replace(/(\d)[,\u202f\u00a0 ](?=\d{3}\b)/g, "$1").replace(/\s+/g, " ").trim();
}

/** True when `answer` contains the task's expected answer (numbers as whole numbers: "10063" is not in "100634"). */
export function isRightAnswer(task: AgentTask, answer: string | null): boolean {
  if (answer === null) return false;
  const expected = normalise(task.expected);
  const text = normalise(answer);
  if (/^-?\d+$/.test(expected)) return (text.match(/-?\d+/g) ?? ([] as string[])).includes(expected);
  return text.includes(expected);
}

/** Options of {@link agentTasks}. */
export interface AgentTaskOptions {
  /** Tasks of each kind (default 10). */
  perKind?: number;
  /** "test" (default): the chat model's held-out values; "train": the others, for generating conversations. */
  split?: ChatSplit;
  seed?: number;
  /** Only these kinds (default all). */
  kinds?: readonly AgentTaskKind[];
}

/** The task set: `perKind` tasks of each kind, values from `split`'s pools, seeded. */
export function agentTasks(options: AgentTaskOptions = {}): AgentTask[] {
  const perKind = options.perKind ?? 10;
  if (!Number.isInteger(perKind) || perKind < 1) throw new RangeError(`agentTasks: perKind must be a positive integer, got ${perKind}`);
  const split = options.split ?? "test";
  if (split !== "test" && split !== "train") throw new TypeError(`agentTasks: split must be "test" or "train", got ${JSON.stringify(split)}`);
  const kinds = options.kinds ?? AGENT_TASK_KINDS;
  for (const kind of kinds) if (!AGENT_TASK_KINDS.includes(kind)) throw new TypeError(`agentTasks: unknown kind ${JSON.stringify(kind)}; the kinds are ${AGENT_TASK_KINDS.join(", ")}`);
  const rng = new Random(options.seed ?? 14);
  const operands = calculatorOperandSplit()[split];
  const numbers = numberSplit()[split];
  const facts = splitSotuYears()[split];
  const tasks: AgentTask[] = [];
  for (const kind of kinds) {
    for (let i = 0; i < perKind; i++) {
      const id = `${kind}-${i + 1}`;
      if (kind === "calculation") {
        const a = pick(operands, rng);
        const b = 2 + rng.int(98);
        const symbol = pick(["*", "+", "-"] as const, rng);
        const expression = `${a}${symbol}${b}`;
        tasks.push({ id, kind, tools: ["calculator"], question: `What is ${a} ${symbol} ${b}?`, expected: calculate(expression), plan: [() => ({ tool: "calculator", arguments: { expression } })], answer: ([result]) => `The answer is ${result}.` });
      } else if (kind === "arithmetic") {
        const problem = pick(WORD_PROBLEMS, rng);
        const a = pick(operands, rng);
        const b = 2 + rng.int(98);
        const expression = `${a}${problem.op}${b}`;
        tasks.push({ id, kind, tools: ["calculator"], question: problem.text.replace("{a}", String(a)).replace("{b}", String(b)), expected: calculate(expression), plan: [() => ({ tool: "calculator", arguments: { expression } })], answer: ([result]) => `The answer is ${result}.` });
      } else if (kind === "number-words") {
        const n = pick(numbers, rng);
        const question = rng.next() < 0.5 ? `Write ${n} in French words.` : `Écris ${n} en toutes lettres.`;
        tasks.push({ id, kind, tools: ["number_to_french"], question, expected: frenchNumberWords(n), plan: [() => ({ tool: "number_to_french", arguments: { n } })], answer: ([words]) => words! });
      } else if (kind === "speech-facts") {
        const fact = pick(facts, rng);
        // The answer is the president's last name, as the speech's header spells it.
        const lastName = fact.name.split(" ").at(-1)!;
        tasks.push({
          id,
          kind,
          tools: ["sotu_search"],
          question: `Which president gave the State of the Union address of ${fact.year}?`,
          expected: lastName,
          plan: [() => ({ tool: "sotu_search", arguments: { query: "State of the Union address", year: fact.year, k: 1 } })],
          answer: ([passages]) => `${/^\[1\] \d+, ([^:]+):/.exec(passages!)?.[1] ?? "unknown"} gave it.`,
        });
      } else if (kind === "dates") {
        const startDay = FIRST_TASK_DAY + rng.int(3650);
        const start = isoDay(startDay);
        const days = 2 + rng.int(400);
        if (rng.next() < 0.5) {
          tasks.push({ id, kind, tools: ["add_days"], question: `What date is ${days} days after ${start}? Answer as YYYY-MM-DD.`, expected: isoDay(startDay + days), plan: [() => ({ tool: "add_days", arguments: { date: start, days } })], answer: ([date]) => `It is ${date}.` });
        } else {
          const end = isoDay(startDay + days);
          tasks.push({ id, kind, tools: ["days_between"], question: `How many days are there from ${start} to ${end}?`, expected: String(days), plan: [() => ({ tool: "days_between", arguments: { from: start, to: end } })], answer: ([count]) => `${count} days.` });
        }
      } else {
        const a = pick(operands, rng);
        const b = 2 + rng.int(98);
        const expression = `${a}*${b}`;
        tasks.push({
          id,
          kind,
          tools: ["calculator", "number_to_french"],
          question: `Compute ${a} times ${b}, then write the result in French words.`,
          expected: frenchNumberWords(Number(calculate(expression))),
          plan: [() => ({ tool: "calculator", arguments: { expression } }), ([product]) => ({ tool: "number_to_french", arguments: { n: Number(product) } })],
          answer: ([, words]) => words!,
        });
      }
    }
  }
  return tasks;
}

/**
 * A model that follows each task's gold plan (recognising the task by its question): the reference the
 * loop and the tools must reach 100 % with, and the source of the generated conversations.
 */
export function planModel(tasks: readonly AgentTask[]): AgentModel {
  const byQuestion = new Map(tasks.map((task) => [task.question, task]));
  return {
    name: "plan (gold calls)",
    async respond(messages): Promise<AssistantTurn> {
      const question = [...messages].reverse().find((m) => m.role === "user")?.content;
      const task = question === undefined ? undefined : byQuestion.get(question);
      if (task === undefined) throw new Error(`planModel: no task has the question ${JSON.stringify(question)}`);
      const observations = messages.filter((m) => m.role === "tool").map((m) => m.content);
      if (observations.length >= task.plan.length) return { content: task.answer(observations), toolCalls: [] };
      const call = task.plan[observations.length]!(observations);
      return { content: null, toolCalls: [{ id: `call_${observations.length + 1}`, name: call.tool, arguments: JSON.stringify(call.arguments) }] };
    },
  };
}

/** One task's run and whether its answer was right. */
export interface AgentTaskRun {
  task: AgentTask;
  run: AgentRun;
  right: boolean;
}

/** A kind's figures (or "all"). */
export interface AgentKindScore {
  kind: AgentTaskKind | "all";
  tasks: number;
  right: number;
  /** right / tasks. */
  successRate: number;
  /** Mean model turns per task. */
  meanTurns: number;
  toolCalls: number;
  invalidCalls: number;
  /** Runs that ended otherwise than by an answer. */
  unfinished: number;
}

/** The runs of a task set and its scores by kind, then over all. */
export interface AgentEvaluation {
  model: string;
  withTools: boolean;
  runs: AgentTaskRun[];
  scores: AgentKindScore[];
}

function scoreOf(kind: AgentKindScore["kind"], runs: readonly AgentTaskRun[]): AgentKindScore {
  const right = runs.filter((r) => r.right).length;
  return {
    kind,
    tasks: runs.length,
    right,
    successRate: runs.length === 0 ? 0 : right / runs.length,
    meanTurns: runs.length === 0 ? 0 : runs.reduce((sum, r) => sum + r.run.turns, 0) / runs.length,
    toolCalls: runs.reduce((sum, r) => sum + r.run.toolCalls, 0),
    invalidCalls: runs.reduce((sum, r) => sum + r.run.invalidCalls, 0),
    unfinished: runs.filter((r) => r.run.stop !== "answer").length,
  };
}

/** Options of {@link evaluateAgent}: the loop's, plus progress. */
export interface EvaluateAgentOptions extends Omit<AgentOptions, "tools"> {
  /**
   * "task" (default): each task gets the course tools its plan uses — chat-mini's 256-token context cannot
   * hold the five tools' schemas; "none": the model answers alone; a list: these tools for every task.
   */
  tools?: "task" | "none" | readonly AgentTool[];
  onTask?: (done: number, total: number) => void;
}

/** The course tools named by a task (its plan's). */
export function taskTools(task: AgentTask): AgentTool[] {
  return task.tools.map((name) => {
    const tool = COURSE_TOOLS.find((t) => t.name === name);
    if (tool === undefined) throw new Error(`task ${task.id} needs the tool "${name}", which is not a course tool`);
    return tool;
  });
}

/** Runs every task through the loop, one after another, and scores the answers. */
export async function evaluateAgent(model: AgentModel, tasks: readonly AgentTask[], options: EvaluateAgentOptions = {}): Promise<AgentEvaluation> {
  if (tasks.length === 0) throw new RangeError("evaluateAgent: no task to run");
  const { onTask, tools = "task", ...loopOptions } = options;
  const runs: AgentTaskRun[] = [];
  for (const task of tasks) {
    const run = await runAgent(model, task.question, { ...loopOptions, tools: tools === "task" ? taskTools(task) : tools === "none" ? [] : tools });
    runs.push({ task, run, right: run.stop === "answer" && isRightAnswer(task, run.answer) });
    onTask?.(runs.length, tasks.length);
  }
  const kinds = AGENT_TASK_KINDS.filter((kind) => runs.some((r) => r.task.kind === kind));
  return { model: model.name, withTools: tools !== "none" && tools.length > 0, runs, scores: [...kinds.map((kind) => scoreOf(kind, runs.filter((r) => r.task.kind === kind))), scoreOf("all", runs)] };
}

/** An agent conversation in lib/chat's example shape (messages, tools, expected), for a future fine-tuning recipe. */
export interface AgentConversation {
  task: AgentTaskKind;
  messages: ChatMessage[];
  tools: ChatTool[];
  expected: string;
}

/**
 * Conversations that solve tasks of `split` with the gold plan, the tools really run: system prompt with
 * the tools, question, the calls and their results, the answer. Not used by chat-mini's recipe (yet).
 */
export async function agentConversations(split: ChatSplit, perKind: number, seed = 15): Promise<AgentConversation[]> {
  const tasks = agentTasks({ split, perKind, seed });
  const model = planModel(tasks);
  const conversations: AgentConversation[] = [];
  for (const task of tasks) {
    const run = await runAgent(model, task.question, { tools: taskTools(task) });
    if (run.stop !== "answer") throw new Error(`agentConversations: the gold plan of ${task.id} did not reach an answer (${run.reason})`);
    conversations.push({ task: task.kind, messages: run.messages, tools: taskTools(task).map(toolDefinition), expected: run.answer! });
  }
  return conversations;
}

