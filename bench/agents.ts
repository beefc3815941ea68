/**
 * The agents' task set (lib/agents), run through the loop against the course's chat-mini on the local
 * OpenAI-compatible server — or a real provider when OPENAI_API_KEY is set (lib/llm's chatClient): success
 * rate by kind of task with the tools each task needs (under a generic agent system prompt and under the
 * calculator fine-tuning's system prompt), without tools, and with the gold plan (the reference: the task
 * set, the tools and the loop must reach 100 %); mean model turns, tool calls, invalid calls, seconds.
 *
 * Run: `npm run bench -- agents`, or `npx tsx bench/agents.ts`. AGENTS_BENCH_PER_KIND changes the tasks
 * per kind (default 20).
 */
import { agentTasks, calculatorTrainingSystem, evaluateAgent, openAIModel, planModel, type AgentEvaluation, type EvaluateAgentOptions } from "../lib/agents";
import { chatClient } from "../lib/llm/chat";
import { courseModelPath } from "../lib/llm/models";
import { startServer } from "../lib/server";
import { round } from "./support/figures";

/** The benchmark's configuration. */
export const AGENTS_BENCH = { perKind: 20, seed: 14, maxSteps: 6 };

export async function run(): Promise<Record<string, unknown>> {
  const perKind = Number(process.env.AGENTS_BENCH_PER_KIND ?? AGENTS_BENCH.perKind);
  if (!Number.isInteger(perKind) || perKind < 1) throw new RangeError(`AGENTS_BENCH_PER_KIND must be a positive integer, got ${process.env.AGENTS_BENCH_PER_KIND}`);
  const server = await startServer({ quiet: true, models: [courseModelPath("chat")] });
  try {
    const chat = await chatClient({ server });
    const model = openAIModel(chat.client, chat.model);
    const tasks = agentTasks({ perKind, seed: AGENTS_BENCH.seed });
    const settings: { label: string; evaluate: () => Promise<AgentEvaluation> }[] = [
      { label: "tools, generic system prompt", evaluate: () => evaluateAgent(model, tasks, { tools: "task", maxSteps: AGENTS_BENCH.maxSteps }) },
      { label: "tools, fine-tuning system prompt", evaluate: () => evaluateAgent(model, tasks, { tools: "task", maxSteps: AGENTS_BENCH.maxSteps, system: calculatorTrainingSystem() } satisfies EvaluateAgentOptions) },
      { label: "no tools", evaluate: () => evaluateAgent(model, tasks, { tools: "none", maxSteps: AGENTS_BENCH.maxSteps }) },
      { label: "gold plan (reference)", evaluate: () => evaluateAgent(planModel(tasks), tasks, { tools: "task", maxSteps: AGENTS_BENCH.maxSteps }) },
    ];
    console.log(`agents: ${chat.description}`);
    console.log(`  ${tasks.length} tasks (${perKind} per kind, values held out of chat-mini's fine-tuning), at most ${AGENTS_BENCH.maxSteps} turns each`);
    const results: Record<string, unknown>[] = [];
    for (const setting of settings) {
      const start = performance.now();
      const evaluation = await setting.evaluate();
      const seconds = (performance.now() - start) / 1000;
      const all = evaluation.scores[evaluation.scores.length - 1]!;
      const byKind = Object.fromEntries(evaluation.scores.filter((s) => s.kind !== "all").map((s) => [s.kind, round(s.successRate, 3)]));
      console.log(
        `  ${setting.label.padEnd(34)} ${(100 * all.successRate).toFixed(1).padStart(5)} %  ` +
          evaluation.scores.filter((s) => s.kind !== "all").map((s) => `${s.kind} ${(100 * s.successRate).toFixed(0)} %`).join(", ") +
          `; ${all.meanTurns.toFixed(2)} turns/task, ${all.toolCalls} tool calls, ${all.invalidCalls} invalid, ${all.unfinished} unfinished, ${seconds.toFixed(1)} s`,
      );
      results.push({
        setting: setting.label,
        model: evaluation.model,
        successRate: round(all.successRate, 4),
        successRateByKind: byKind,
        meanTurns: round(all.meanTurns, 3),
        toolCalls: all.toolCalls,
        invalidCalls: all.invalidCalls,
        unfinished: all.unfinished,
        seconds: round(seconds, 2),
      });
    }
    return { model: chat.model, source: chat.source, tasks: tasks.length, perKind, results };
  } finally {
    await server.close();
  }
}

if (require.main === module) {
  run().then((record) => console.log(JSON.stringify({ name: "agents", ...record })));
}
