#!/usr/bin/env node
// The course's Jupyter kernel: tslab, plus tsx's require hook so that notebooks can import the course
// library's TypeScript sources (`@llm-course/lib/...`) at run time; tslab itself only type-checks them.
// It also tells the library (lib/notebook/kernel-session.ts) which page sent each cell (plots embed
// plotly.js again after a browser reload) and which cells did not compile (tslab then runs nothing of
// them and `check` would grade the previous definition): it says so in French under tslab's diagnostics.
// A cell that stops on an exercise the student has not done yet (a demonstration calling the stub) is not
// an error: it prints a French notice and waits, with the later cells that use its names, so that
// « Exécuter tout » goes through a fresh notebook.
"use strict";
const path = require("node:path");

require("tsx/cjs");
const session = require("../lib/notebook/kernel-session.ts");
const jupyter = require("tslab/dist/jupyter");
const executorModule = require("tslab/dist/executor");
const { startKernel } = require("tslab/dist/main");

const args = process.argv.slice(2);
const at = args.indexOf("--config-path");
if (args[0] !== "kernel" || at < 0 || !args[at + 1]) {
  console.error(`usage: node ${path.relative(process.cwd(), __filename)} kernel --config-path <connection file>`);
  process.exit(2);
}

// Each execute request: the sending page's session id and the cell's id (JupyterLab sends one; classic
// Notebook does not, so the source stands for the cell).
const handleExecute = jupyter.ZmqServer.prototype.handleExecute;
jupyter.ZmqServer.prototype.handleExecute = function (sock, msg) {
  const content = msg.content || {};
  session.recordExecuteRequest(String(msg.header?.session ?? ""), String(content.code ?? ""), msg.metadata?.cellId);
  return handleExecute.call(this, sock, msg);
};

// tslab compiles a cell with convs.node.convert and, on diagnostics, prints them and runs nothing. The
// converter is wrapped at the first execution: tslab creates it lazily (it loads TypeScript).
const createExecutor = executorModule.createExecutor;
executorModule.createExecutor = function (root, convs, output, ...rest) {
  let failed = null;
  let todoStop = null;
  // tslab prints a cell's uncaught exception with output.error(e): a TodoError is caught here instead.
  const executorOutput = {
    ...output,
    error: (...values) => {
      if (values.length === 1 && todoStop === null && session.isTodoError(values[0])) todoStop = values[0];
      else output.error(...values);
    },
  };
  let wrapped = false;
  const wrapConverter = () => {
    const converter = convs.node;
    const convert = converter.convert.bind(converter);
    converter.convert = (prevDecl, source) => {
      const converted = convert(prevDecl, source);
      const diagnostics = (converted.diagnostics || []).map((d) => ({
        line: d.start.line + 1,
        column: d.start.character + 1,
        message: String(d.messageText),
        code: typeof d.code === "number" ? d.code : undefined,
      }));
      failed = session.recordCompileResult(source, diagnostics);
      return converted;
    };
    wrapped = true;
  };
  const executor = createExecutor.call(this, root, convs, executorOutput, ...rest);
  const execute = executor.execute;
  executor.execute = async (source) => {
    if (!wrapped) wrapConverter();
    const waiting = session.waitingDependency(source);
    if (waiting) {
      console.log(waiting);
      return true;
    }
    failed = null;
    todoStop = null;
    const ok = await execute(source);
    if (!ok && failed) console.error(session.compileFailureNotice(failed));
    if (!ok && todoStop !== null) {
      console.log(session.recordTodoStop(source, todoStop));
      return true;
    }
    if (ok) session.recordCellSuccess(source);
    return ok;
  };
  return executor;
};

// enableFindLocal: false pins this checkout's tslab, whatever node_modules the notebook's folder has.
startKernel({ configPath: args[at + 1], enableFindLocal: false, jsKernel: false });
