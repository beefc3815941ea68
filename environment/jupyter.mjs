// Finding Jupyter and registering the course's kernel for this checkout only (no global install).
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const COURSE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Kernel specs of this checkout live here; JUPYTER_PATH points at it when we start Jupyter. */
export const JUPYTER_DIR = path.join(COURSE_ROOT, ".jupyter");
export const KERNEL_NAME = "tslab";

const INSTALL_HINT =
  "Jupyter is missing. Install it with `sudo apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient` " +
  "(Debian/Ubuntu) or `python3 -m pip install notebook nbclient`, then run this command again.";

/** The Python that has Jupyter (notebook + nbclient), or null. */
export function findJupyterPython() {
  const candidates = [process.env.LLM_COURSE_PYTHON, "/usr/bin/python3", "python3", "python"].filter(Boolean);
  for (const python of candidates) {
    const probe = spawnSync(python, ["-c", "import notebook, nbclient, jupyter_client"], { stdio: "ignore" });
    if (probe.status === 0) return python;
  }
  return null;
}

/** Same as findJupyterPython, but stops the process with one clear line when Jupyter is missing. */
export function requireJupyterPython() {
  const python = findJupyterPython();
  if (!python) {
    console.error(INSTALL_HINT);
    process.exit(1);
  }
  return python;
}

/** Writes .jupyter/kernels/tslab/kernel.json pointing at this checkout's Node and kernel launcher. */
export function registerKernel({ quiet = false } = {}) {
  const dir = path.join(JUPYTER_DIR, "kernels", KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [process.execPath, path.join(COURSE_ROOT, "environment", "kernel.cjs"), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript (cours LLM)",
    language: "typescript",
    interrupt_mode: "signal",
  };
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
  const logo = path.join(COURSE_ROOT, "node_modules", "tslab", "python", "logo-64x64.png");
  if (fs.existsSync(logo)) fs.copyFileSync(logo, path.join(dir, "logo-64x64.png"));
  servePlotly();
  if (!quiet) console.log(`Registered the "${KERNEL_NAME}" kernel for this checkout in ${path.relative(COURSE_ROOT, dir)}/`);
  return dir;
}

/**
 * Copies plotly.js where the notebook server serves it (/nbextensions/llm-course/plotly.min.js, found
 * through JUPYTER_PATH): a figure whose page lost the embedded copy loads it from there (lib/notebook/plot.ts).
 */
function servePlotly() {
  const source = path.join(COURSE_ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js");
  if (!fs.existsSync(source)) return;
  const target = path.join(JUPYTER_DIR, "nbextensions", "llm-course", "plotly.min.js");
  if (fs.existsSync(target) && fs.statSync(target).size === fs.statSync(source).size) return;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(source, target);
}

/** Environment for Jupyter processes: this checkout's kernel first in the search path. */
export function jupyterEnv(extra = {}) {
  const paths = [JUPYTER_DIR, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  return { ...process.env, JUPYTER_PATH: paths, ...extra };
}

export function jupyterVersion(python) {
  return execFileSync(python, ["-c", "import notebook; print(notebook.__version__)"], { encoding: "utf8" }).trim();
}

/**
 * The arguments of `python -m notebook` for `npm start -- [flags]`: the student notebooks (notebooks/), or
 * the teacher's sources (solutions/) with `--solutions`, or the folder given with `--notebook-dir=`; other
 * flags go to Jupyter as they are.
 */
export function notebookServerArgs(flags, { root = false } = {}) {
  const teacher = flags.includes("--solutions");
  const rest = flags.filter((flag) => flag !== "--solutions");
  // A folder given with --notebook-dir (a test's scratch copy, a class folder) replaces the default one.
  const ownFolder = rest.some((flag) => /^--(notebook-dir|NotebookApp\.notebook_dir)(=|$)/.test(flag));
  const folder = ownFolder ? [] : [`--notebook-dir=${path.join(COURSE_ROOT, teacher ? "solutions" : "notebooks")}`];
  const args = ["-m", "notebook", ...folder, ...rest];
  // Containers and cloud workspaces often run as root, which Jupyter refuses without this flag.
  if (root && !args.includes("--allow-root")) args.push("--allow-root");
  return args;
}
