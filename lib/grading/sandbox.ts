/**
 * Isolation of each submission's kernel (Linux): bubblewrap (`bwrap`, Debian package `bubblewrap`) runs the
 * kernel with
 * - a read-only view of the system and of the checkout, in which `solutions/`, `.git/`, `.scratch/`, the
 *   other scratch folders, the submissions folder, the output folder and the hidden tests are empty folders;
 * - its own writable scratch folder (a copy of the submission) and a private folder for the Jupyter
 *   sockets, and a fresh `/tmp` (TMPDIR) per kernel, in which tsx's compile cache is the grader's, read-only;
 * - no network (`--unshare-net`; the driver talks to it over Unix sockets), its own PID namespace
 *   (`--unshare-pid`, `--die-with-parent`): it sees and signals only its own processes, and all of them die
 *   with the kernel; no capabilities (`--cap-drop ALL`), a cleared environment;
 * - V8's heap limit, and where cgroups v1 are writable (root) a memory cgroup and a pids cgroup per
 *   notebook, whose limits are reported in French when hit.
 * Without bwrap the kernel still gets the heap limit and the cgroups when writable, and the grader says once
 * that the submissions are not isolated.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { COURSE_ROOT, RAG_CACHE_VARIABLE } from "../env";

/** Limits of one notebook's kernel (the defaults suit the course's lessons in fast mode). */
export interface SandboxLimits {
  /** Memory of the kernel and everything it starts (cgroup), in MiB. */
  memoryMb: number;
  /** Processes and threads (cgroup pids.max). */
  maxProcesses: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { memoryMb: 3072, maxProcesses: 512 };

/** What this machine offers; probed once. */
export interface IsolationSupport {
  bwrap: string | null;
  /** cgroup v1 hierarchies we may create groups in (null when not writable). */
  memoryCgroupRoot: string | null;
  pidsCgroupRoot: string | null;
}

let support: IsolationSupport | undefined;

function findBwrap(): string | null {
  for (const candidate of ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]) {
    if (!fs.existsSync(candidate)) continue;
    // Installed is not enough: user namespaces may be off, or we may lack the rights to mount.
    const probe = spawnSync(candidate, ["--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--die-with-parent", "--cap-drop", "ALL", "--", "/bin/true"], { stdio: "ignore", timeout: 10_000 });
    if (probe.status === 0) return candidate;
  }
  return null;
}

function writableCgroupRoot(controller: string): string | null {
  const root = path.join("/sys/fs/cgroup", controller);
  const probe = path.join(root, `llm-course-probe-${process.pid}`);
  try {
    if (!fs.existsSync(path.join(root, "cgroup.procs"))) return null;
    fs.mkdirSync(probe);
    fs.rmdirSync(probe);
    return root;
  } catch {
    return null;
  }
}

/** What isolation this machine allows; `LLM_COURSE_NO_SANDBOX=1` turns bwrap off (benchmarks, debugging). */
export function isolationSupport(): IsolationSupport {
  support ??= {
    bwrap: process.env.LLM_COURSE_NO_SANDBOX === "1" ? null : findBwrap(),
    memoryCgroupRoot: writableCgroupRoot("memory"),
    pidsCgroupRoot: writableCgroupRoot("pids"),
  };
  return support;
}

/** One line for the grader's log and the README: what protects the class on this machine. */
export function isolationSummary(s: IsolationSupport = isolationSupport()): string {
  const caps = [s.memoryCgroupRoot ? "mémoire (cgroup)" : null, s.pidsCgroupRoot ? "processus (cgroup)" : null].filter(Boolean);
  const limits = caps.length > 0 ? `limites : tas V8, ${caps.join(", ")}` : "limite : tas V8 seulement (cgroups non accessibles)";
  return s.bwrap
    ? `isolation : bubblewrap (${s.bwrap}) — vue en lecture seule sans solutions/, sans réseau, espace de PID privé ; ${limits}`
    : `isolation : AUCUNE (bubblewrap absent ou inutilisable : apt-get install bubblewrap) — le code des étudiants tourne avec les droits du correcteur ; ${limits}`;
}

/** The kernel sandbox of one notebook: what the driver needs, and how to clean up. */
export interface KernelSandbox {
  /** Put before the kernel's command (empty: no bwrap and no cgroup). */
  prefix: string[];
  /** Node flags added to the kernel's command. */
  nodeFlags: string[];
  /** Host folder for the Jupyter sockets and the grading payload, visible at the same path inside. */
  privateDir: string;
  /** Environment of the kernel (the rest of the grader's environment is not passed when isolated). */
  env: Record<string, string>;
  isolated: boolean;
  memoryCgroup: string | null;
  pidsCgroup: string | null;
  limits: SandboxLimits;
  /** Kills whatever is left in the cgroups and removes them and the private folder. */
  dispose(): void;
}

export interface SandboxOptions {
  /** The kernel's working folder (writable). */
  scratch: string;
  /** Folders the kernel must not see (submissions, output, hidden tests…), wherever they are. */
  hide: string[];
  /** Environment of the kernel. */
  env: Record<string, string>;
  limits?: Partial<SandboxLimits>;
  /** Force no bwrap (the cost comparison of bench/grade.ts). */
  noBwrap?: boolean;
}

/** Folders of the checkout a submission must never read: teachers' sources and everyone's scratch. */
export function courseSecrets(): string[] {
  return [".git", "solutions", ".scratch", ".grading", ".jupyter"].map((name) => path.join(COURSE_ROOT, name));
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

function makeCgroup(root: string | null, name: string, settings: Record<string, string>): string | null {
  if (root === null) return null;
  const dir = path.join(root, name);
  try {
    fs.mkdirSync(dir);
    for (const [file, value] of Object.entries(settings)) {
      try {
        fs.writeFileSync(path.join(dir, file), value);
      } catch {
        // memory.memsw.* exists only with swap accounting: the plain limit still holds.
        if (!file.includes("memsw")) throw new Error(`cgroup ${dir}: cannot set ${file}`);
      }
    }
    return dir;
  } catch {
    fs.rmSync(dir, { recursive: false, force: true });
    return null;
  }
}

/** Kills every process of a cgroup v1 group (a detached one included), then removes the group. */
function removeCgroup(dir: string | null): void {
  if (dir === null || !fs.existsSync(dir)) return;
  for (let attempt = 0; attempt < 50; attempt++) {
    let pids: number[] = [];
    try {
      pids = fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    } catch {
      return;
    }
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    spawnSync("sleep", ["0.02"]);
  }
  try {
    fs.rmdirSync(dir);
  } catch {
    // A zombie still charged to the group; the kernel frees it shortly, the name is unique anyway.
  }
}

const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"];

/** Builds the sandbox of one notebook's kernel. */
export function createKernelSandbox(options: SandboxOptions): KernelSandbox {
  const s = isolationSupport();
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const id = `llm-course-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  // Short: Unix socket paths are limited to 107 bytes.
  const privateDir = path.join(path.dirname(options.scratch), `.p-${crypto.randomBytes(4).toString("hex")}`);
  fs.mkdirSync(privateDir, { recursive: true, mode: 0o700 });
  const memoryBytes = String(limits.memoryMb * 1024 * 1024);
  const memoryCgroup = makeCgroup(s.memoryCgroupRoot, id, { "memory.limit_in_bytes": memoryBytes, "memory.memsw.limit_in_bytes": memoryBytes });
  const pidsCgroup = makeCgroup(s.pidsCgroupRoot, id, { "pids.max": String(limits.maxProcesses) });
  const prefix: string[] = [];
  const groups = [memoryCgroup, pidsCgroup].filter((dir): dir is string => dir !== null);
  if (groups.length > 0) {
    // The shell joins the groups, then becomes the kernel (or bwrap): everything started later is counted.
    const joins = groups.map((dir) => `echo $$ > '${path.join(dir, "cgroup.procs")}' || exit 97`).join("; ");
    prefix.push("/bin/sh", "-c", `${joins}; exec "$@"`, "llm-course-kernel");
  }
  // The heap limit leaves room under the cgroup for tslab's compiler, native buffers and esbuild.
  const nodeFlags = [`--max-old-space-size=${Math.max(256, Math.floor(limits.memoryMb * 0.6))}`];
  const isolated = s.bwrap !== null && !options.noBwrap;
  const env: Record<string, string> = { ...options.env };
  if (isolated) {
    const args = [s.bwrap!, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--cap-drop", "ALL", "--clearenv"];
    // The private /tmp first: bwrap mounts in order, and a checkout under /tmp (a CI's clone) bound before
    // it would be hidden by it — the kernel would die before answering.
    args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
    for (const dir of SYSTEM_DIRS) args.push("--ro-bind-try", dir, dir);
    // Node may live outside /usr (nvm, a tarball under /opt or the home folder).
    const nodeDir = path.dirname(path.dirname(fs.realpathSync(process.execPath)));
    if (!SYSTEM_DIRS.some((dir) => isInside(nodeDir, dir))) args.push("--ro-bind", nodeDir, nodeDir);
    args.push("--ro-bind", COURSE_ROOT, COURSE_ROOT);
    const hidden = [...courseSecrets(), ...options.hide.map((dir) => path.resolve(dir))].filter((dir) => fs.existsSync(dir));
    // A hidden folder that holds the course (hiding "/") would hide everything: refused by construction.
    for (const dir of hidden) if (!isInside(COURSE_ROOT, dir)) args.push("--tmpfs", dir);
    // tsx's compile cache of the grader's machine, read-only: the kernel compiles the library in seconds
    // instead of tens, and cannot poison it (tsx ignores failed cache writes). Same uid inside, same name.
    const tsxCache = path.join(os.tmpdir(), `tsx-${process.geteuid?.() ?? os.userInfo().username}`);
    if (fs.existsSync(tsxCache) && fs.statSync(tsxCache).isDirectory()) args.push("--ro-bind", tsxCache, path.join("/tmp", path.basename(tsxCache)));
    args.push("--bind", options.scratch, options.scratch, "--bind", privateDir, privateDir, "--chdir", options.scratch);
    env.HOME = "/tmp";
    env.TMPDIR = "/tmp";
    // The checkout is read-only in here: caches a lesson writes there go to the private /tmp instead.
    env[RAG_CACHE_VARIABLE] = "/tmp/llm-course-rag-cache";
    env.PATH = "/usr/local/bin:/usr/bin:/bin";
    env.LANG = "C.UTF-8";
    for (const [key, value] of Object.entries(env)) args.push("--setenv", key, value);
    args.push("--");
    prefix.push(...args);
  }
  // Not isolated: the kernel shares the grader's TMPDIR (and tsx's cache). A private TMPDIR would protect
  // nothing there — the notebook can write to any path the grader can — and would cost the cache.
  return {
    prefix,
    nodeFlags,
    privateDir,
    env,
    isolated,
    memoryCgroup,
    pidsCgroup,
    limits,
    dispose() {
      removeCgroup(memoryCgroup);
      removeCgroup(pidsCgroup);
      fs.rmSync(privateDir, { recursive: true, force: true });
    },
  };
}
