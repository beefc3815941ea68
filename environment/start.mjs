#!/usr/bin/env node
// `npm start`: registers the kernel for this checkout and opens the course's notebooks in Jupyter.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { COURSE_ROOT, jupyterEnv, registerKernel, requireJupyterPython } from "./jupyter.mjs";

const python = requireJupyterPython();
registerKernel();
const args = ["-m", "notebook", `--notebook-dir=${path.join(COURSE_ROOT, "notebooks")}`, ...process.argv.slice(2)];
// Containers and cloud workspaces often run as root, which Jupyter refuses without this flag.
if (process.getuid?.() === 0 && !args.includes("--allow-root")) args.push("--allow-root");
const jupyter = spawn(python, args, { stdio: "inherit", env: jupyterEnv() });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => jupyter.kill(signal));
jupyter.on("exit", (code) => process.exit(code ?? 0));
