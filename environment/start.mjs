#!/usr/bin/env node
// `npm start`: registers the kernel for this checkout and opens the course's notebooks in Jupyter
// (`npm start -- --solutions`: the teacher's sources in solutions/).
import { spawn } from "node:child_process";
import { jupyterEnv, notebookServerArgs, registerKernel, requireJupyterPython } from "./jupyter.mjs";

const python = requireJupyterPython();
registerKernel();
const args = notebookServerArgs(process.argv.slice(2), { root: process.getuid?.() === 0 });
const jupyter = spawn(python, args, { stdio: "inherit", env: jupyterEnv() });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => jupyter.kill(signal));
jupyter.on("exit", (code) => process.exit(code ?? 0));
