#!/usr/bin/env node
// Registers the course's tslab kernel for this checkout (used by npm start, npm test, Docker, devcontainer).
// With --user it also registers it in the user's Jupyter data folder, so VS Code and other front ends find it.
import { execFileSync } from "node:child_process";
import { registerKernel, requireJupyterPython } from "./jupyter.mjs";

const dir = registerKernel();
if (process.argv.includes("--user")) {
  const python = requireJupyterPython();
  execFileSync(python, ["-m", "jupyter", "kernelspec", "install", "--user", "--replace", "--name", "tslab", dir], { stdio: "inherit" });
}
