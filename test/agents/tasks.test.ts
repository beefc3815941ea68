/**
 * The task set: unseen values, gold plans that reach 100 % through the real tools, answer checking, the
 * generated conversations; and the committed chat-mini measured through the course server (its figures
 * are whatever the run gives: the test checks they are counted right, not what they are).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { AGENT_TASK_KINDS, agentConversations, agentTasks, calculatorTool, calculatorTrainingSystem, COURSE_TOOLS, evaluateAgent, isRightAnswer, openAIModel, planModel, runAgent, taskTools } from "../../lib/agents";
import { calculatorAnswer, calculatorExamples, calculatorOperandSplit } from "../../lib/chat/tasks/calculator";
import { Random } from "../../lib/random";
import { renderChat } from "../../lib/chat/template";
import { courseModelPath } from "../../lib/llm/models";
import { startServer, type RunningServer } from "../../lib/server";

describe("the task set", () => {
  it("the calculator fine-tuning's system prompt is read from lib/chat's generator", () => {
    const system = calculatorTrainingSystem();
    const english = calculatorExamples("train", 200, new Random(1)).filter((e) => e.expected === calculatorAnswer(e.messages[3]!.content!, "en"));
    assert.ok(english.length > 0 && english.every((e) => e.messages[0]!.content === system), system);
  });

  it("is seeded, covers every kind, and uses the chat model's held-out operands", () => {
    const tasks = agentTasks({ perKind: 4 });
    assert.deepEqual(agentTasks({ perKind: 4 }).map((t) => t.question), tasks.map((t) => t.question));
    assert.deepEqual([...new Set(tasks.map((t) => t.kind))], [...AGENT_TASK_KINDS]);
    const testOperands = new Set(calculatorOperandSplit().test);
    for (const task of tasks.filter((t) => t.kind === "calculation" || t.kind === "arithmetic")) {
      assert.ok(testOperands.has(Number(/\d+/.exec(task.question)![0])), task.question);
    }
    // The train split (for generated conversations) draws from the other pool.
    const trainOperands = agentTasks({ perKind: 4, split: "train", kinds: ["calculation", "arithmetic"] }).map((t) => Number(/\d+/.exec(t.question)![0]));
    assert.ok(trainOperands.every((a) => !testOperands.has(a)), `train operands ${trainOperands} overlap the test pool`);
    assert.throws(() => agentTasks({ perKind: 0 }), /perKind must be a positive integer, got 0/);
    assert.throws(() => agentTasks({ split: "dev" as never }), /split must be "test" or "train", got "dev"/);
    assert.throws(() => agentTasks({ kinds: ["poetry" as never] }), /unknown kind "poetry"/);
  });

  it("answers are checked as whole numbers or contained text", () => {
    const [task] = agentTasks({ perKind: 1, kinds: ["calculation"] });
    assert.ok(isRightAnswer(task!, `The answer is ${task!.expected}.`));
    assert.ok(!isRightAnswer(task!, `The answer is ${task!.expected}1.`));
    assert.ok(!isRightAnswer(task!, null));
    const [words] = agentTasks({ perKind: 1, kinds: ["number-words"] });
    assert.ok(isRightAnswer(words!, words!.expected.toUpperCase()));
  });

  it("the gold plans reach 100 % through the loop and the real tools, in the expected turns", async () => {
    const tasks = agentTasks({ perKind: 3 });
    const evaluation = await evaluateAgent(planModel(tasks), tasks);
    const all = evaluation.scores.at(-1)!;
    assert.deepEqual([all.kind, all.tasks, all.right, all.successRate, all.invalidCalls, all.unfinished], ["all", 18, 18, 1, 0, 0]);
    // One call then the answer (2 turns); two calls for the two-tool questions (3 turns).
    assert.deepEqual(evaluation.scores.map((s) => [s.kind, s.meanTurns]), [...AGENT_TASK_KINDS.map((k) => [k, k === "two-tools" ? 3 : 2]), ["all", 13 / 6]]);
  });

  it("generates conversations in lib/chat's shape that the chat template renders", async () => {
    const conversations = await agentConversations("train", 1);
    assert.equal(conversations.length, AGENT_TASK_KINDS.length);
    const twoTools = conversations.find((c) => c.task === "two-tools")!;
    assert.deepEqual(twoTools.messages.map((m) => m.role), ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]);
    assert.deepEqual(twoTools.tools.map((t) => t.function.name), ["calculator", "number_to_french"]);
    const text = renderChat(twoTools.messages, { tools: twoTools.tools, addGenerationPrompt: false });
    assert.match(text, /<tool_call>\{"name": "number_to_french", "arguments": \{"n":\d+\}\}<\/tool_call>/);
    assert.ok(text.trimEnd().endsWith(`${twoTools.expected}<|end|>`));
  });
});

describe("chat-mini on the task set (course server)", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ quiet: true, models: [courseModelPath("chat")] });
  });
  after(async () => {
    await server?.close();
  });

  it("with and without tools: every run ends with a named stop and the figures add up", async () => {
    const model = openAIModel(new OpenAI({ baseURL: server.baseURL, apiKey: "local", maxRetries: 0 }), "chat-mini");
    const tasks = agentTasks({ perKind: 3 });
    for (const tools of ["task", "none"] as const) {
      const evaluation = await evaluateAgent(model, tasks, { tools, maxSteps: 4 });
      assert.equal(evaluation.withTools, tools === "task");
      const all = evaluation.scores.at(-1)!;
      assert.equal(all.tasks, 18);
      assert.equal(all.right, evaluation.runs.filter((r) => r.right).length);
      assert.equal(all.right, evaluation.scores.slice(0, -1).reduce((sum, s) => sum + s.right, 0));
      for (const { run } of evaluation.runs) {
        assert.ok(["answer", "step-limit", "invalid-calls", "model-error", "tool-failure"].includes(run.stop), run.reason);
        assert.ok(run.turns >= 1 && run.turns <= 4);
        if (tools === "none") assert.equal(run.toolCalls, 0);
      }
    }
  });

  it("under its fine-tuning's system prompt, calls the calculator with well-formed arguments and answers with the result", async () => {
    // The model's own slips (a miscopied operand) are its score, not the loop's: one right answer is asked for.
    const model = openAIModel(new OpenAI({ baseURL: server.baseURL, apiKey: "local", maxRetries: 0 }), "chat-mini");
    let right = 0;
    for (const task of agentTasks({ perKind: 3, kinds: ["calculation"] })) {
      const run = await runAgent(model, task.question, { tools: taskTools(task), system: calculatorTrainingSystem() });
      const first = run.steps[0]!;
      assert.equal(first.action?.tool, calculatorTool.name, `${task.question}: ${run.reason}`);
      assert.equal(first.status, "ok", first.observation ?? "");
      if (isRightAnswer(task, run.answer)) right++;
    }
    assert.ok(right >= 1, "no calculation answered right");
  });

  it("with every course tool listed, the prompt no longer fits chat-mini's context: a model-error stop", async () => {
    const model = openAIModel(new OpenAI({ baseURL: server.baseURL, apiKey: "local", maxRetries: 0 }), "chat-mini");
    const run = await runAgent(model, "What is 2 + 2?", { tools: COURSE_TOOLS });
    assert.equal(run.stop, "model-error");
    assert.match(run.reason, /maximum context length is \d+ tokens/);
  });
});
