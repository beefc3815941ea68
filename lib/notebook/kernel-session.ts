/**
 * What the course's kernel (environment/kernel.cjs) records about the cells it runs, for the library to
 * read: which browser page sent the running cell (so plots embed plotly.js again after a reload), which
 * definitions the last version of a cell failed to compile (so `check` says the code on screen never ran),
 * and which cells stopped on an exercise the student has not done yet (a demonstration that calls the
 * stub): such a cell, and every later cell that uses what it defines, waits with a French notice instead of
 * failing, so that « Exécuter tout » runs the whole lesson on a fresh notebook.
 * The record lives on `globalThis` because the launcher and the notebook's imports may load this file as
 * two module instances; outside the course's kernel it stays empty and every function here is a no-op.
 */
import { isTodoError } from "../grading/todo-error";

/** The kernel launcher recognises a cell stopped on an unfinished exercise with it. */
export { isTodoError };

/** One TypeScript diagnostic of a cell, as tslab reports it (line and column from 1). */
export interface CellDiagnostic {
  line: number;
  column: number;
  message: string;
  /** TypeScript's error number (2304 for "Cannot find name"), when known. */
  code?: number;
}

/** A cell version that did not compile, so tslab ran none of it. */
export interface CompileFailure {
  /** The cell's source as it was sent. */
  source: string;
  diagnostics: CellDiagnostic[];
  /** Top-level names the cell declares (functions, classes, variables): they keep their previous value. */
  names: string[];
}

/** The cell being run: which page sent it and which cell it is. */
export interface ExecutionContext {
  /** The front end's session id (one per browser page load; a reload gets a new one). */
  clientSession: string;
  /** The cell's id when the front end sends it, else a hash of its source (re-running a cell sends the same). */
  cellKey: string;
  /** Counts execute requests since the kernel started. */
  number: number;
}

/** A cell that stopped on an unfinished exercise, or that uses a name such a cell defines. */
export interface WaitingCell {
  /** The unfinished exercise it waits for. */
  exerciseId: string;
  /** What that exercise asks to complete (the TodoError's task). */
  task: string;
  /** Top-level names the cell declares: they wait until a version of the cell runs to the end. */
  names: string[];
}

interface KernelRecord {
  current: ExecutionContext | null;
  executions: number;
  /** Failed cells, by the names they declare. */
  failures: Map<string, CompileFailure>;
  /** Waiting cells, by the names they declare. */
  waiting: Map<string, WaitingCell>;
}

const RECORD_KEY = Symbol.for("llm-course.kernel-session");

function record(): KernelRecord {
  const holder = globalThis as unknown as Record<symbol, KernelRecord | undefined>;
  let found = holder[RECORD_KEY];
  if (!found) {
    found = { current: null, executions: 0, failures: new Map(), waiting: new Map() };
    holder[RECORD_KEY] = found;
  }
  return found;
}

/** A short stable hash of a cell's source (FNV-1a), used as its key when the front end sends no cell id. */
export function sourceKey(source: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    hash ^= source.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `source-${hash.toString(16).padStart(8, "0")}`;
}

/** Called by the kernel launcher for each execute request, before tslab runs the cell. */
export function recordExecuteRequest(clientSession: string, source: string, cellId?: unknown): ExecutionContext {
  const state = record();
  state.executions += 1;
  const cellKey = typeof cellId === "string" && cellId !== "" ? `cell-${cellId}` : sourceKey(source);
  state.current = { clientSession, cellKey, number: state.executions };
  return state.current;
}

/** The cell being run, or null outside the course's kernel (terminal, grader without it, tests). */
export function currentExecution(): ExecutionContext | null {
  return record().current;
}

/** A cell's source without its comments. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/**
 * The names a one-line destructuring pattern binds, from the text that starts with its `{` or `[`:
 * `{ a, b: c, ...rest }` binds a, c, rest; `[x, , y = 0]` binds x, y (nested patterns are left out).
 */
function destructuredNames(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let part = "";
  for (const char of text) {
    if (char === "{" || char === "[" || char === "(") depth++;
    else if (char === "}" || char === "]" || char === ")") depth--;
    if (depth === 0) break;
    if (depth === 1 && char === ",") {
      parts.push(part);
      part = "";
    } else if (depth > 1 || !"{[".includes(char)) part += char;
  }
  parts.push(part);
  return parts.flatMap((p) => {
    const binding = /^\s*(?:\.\.\.)?(?:[A-Za-z_$][\w$]*\s*:\s*)?([A-Za-z_$][\w$]*)\s*(?:=[\s\S]*)?$/.exec(p);
    return binding ? [binding[1]] : [];
  });
}

/**
 * Top-level names a cell declares: `function f`, `async function f`, `class C`, `const/let/var a`, and the
 * names of a one-line destructuring (`const { a, b: c } = …`, `const [x, y] = …`). Good enough to match a
 * cell with the function `check` is given, or with the cells that use its names; a name it misses only
 * means no notice.
 */
export function declaredNames(source: string): string[] {
  const names = new Set<string>();
  for (const line of withoutComments(source).split("\n")) {
    // Only lines that start at column 0: declarations inside a function body are indented.
    const fn = /^(?:export\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(line);
    if (fn) names.add(fn[1]);
    const cls = /^(?:export\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)/.exec(line);
    if (cls) names.add(cls[1]);
    const variable = /^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)/.exec(line);
    if (variable) names.add(variable[1]);
    const pattern = /^(?:export\s+)?(?:const|let|var)\s+(?=[{[])/.exec(line);
    if (pattern) for (const name of destructuredNames(line.slice(pattern[0].length))) names.add(name);
  }
  return [...names];
}

/**
 * Called by the kernel launcher after tslab compiled a cell: with diagnostics, the cell's names are marked
 * as stale; without, a failure recorded earlier for those names is forgotten (the new version compiled).
 */
export function recordCompileResult(source: string, diagnostics: readonly CellDiagnostic[]): CompileFailure | null {
  const state = record();
  const names = declaredNames(source);
  if (diagnostics.length === 0) {
    for (const name of names) state.failures.delete(name);
    return null;
  }
  const failure: CompileFailure = { source, diagnostics: [...diagnostics], names };
  for (const name of names) state.failures.set(name, failure);
  return failure;
}

/** The failed cell that declares `name`, if its last version did not compile. */
export function compileFailureFor(name: string): CompileFailure | undefined {
  return record().failures.get(name);
}

/** Forgets every recorded failure (tests; a kernel restart starts with an empty record anyway). */
export function clearCompileFailures(): void {
  record().failures.clear();
}

/**
 * Called by the kernel launcher when a cell stopped on an unfinished exercise (tslab caught the TodoError):
 * the cell's names wait for that exercise. Returns the French notice to print.
 */
export function recordTodoStop(source: string, error: unknown): string {
  if (!isTodoError(error)) throw new TypeError("recordTodoStop: the cell's error is not a TodoError");
  const cell: WaitingCell = { exerciseId: error.exerciseId, task: error.task, names: declaredNames(source) };
  for (const name of cell.names) record().waiting.set(name, cell);
  const names = cell.names.map((n) => `\`${n}\``).join(", ");
  return (
    `⏸ Cette cellule utilise l'exercice ${cell.exerciseId}, qui n'est pas encore fait (« ${cell.task} ») : ` +
    `elle s'est arrêtée là, sans erreur de votre part.` +
    (names ? ` ${names} ${cell.names.length > 1 ? "ne sont pas encore définis" : "n'est pas encore défini"} : les cellules qui s'en servent attendront aussi.` : "") +
    `\nComplétez l'exercice, puis exécutez de nouveau cette cellule.`
  );
}

/**
 * Called by the kernel launcher before it runs a cell: when the cell uses a name that a waiting cell
 * declares (and does not declare it itself), the cell waits too, without running, and this returns the
 * French notice to print; else undefined.
 */
export function waitingDependency(source: string): string | undefined {
  const { waiting } = record();
  if (waiting.size === 0) return undefined;
  const names = declaredNames(source);
  // Strings are left out so that a word in a message is not taken for a use of the variable.
  const code = withoutComments(source).replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
  for (const [name, cell] of waiting) {
    if (names.includes(name)) continue;
    if (!new RegExp(`(?<![\\w$.])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(code)) continue;
    const dependent: WaitingCell = { ...cell, names };
    for (const declared of names) waiting.set(declared, dependent);
    return (
      `⏸ Cellule en attente, non exécutée : elle utilise \`${name}\`, que définit une cellule arrêtée sur l'exercice ` +
      `${cell.exerciseId} (pas encore fait). Complétez l'exercice, exécutez de nouveau cette cellule-là, puis celle-ci.`
    );
  }
  return undefined;
}

/** Called by the kernel launcher after a cell ran to the end: the names it declares no longer wait. */
export function recordCellSuccess(source: string): void {
  const { waiting } = record();
  if (waiting.size === 0) return;
  for (const name of declaredNames(source)) waiting.delete(name);
}

/** Forgets every waiting cell (tests; a kernel restart starts with an empty record anyway). */
export function clearWaitingCells(): void {
  record().waiting.clear();
}

/** French explanations of the TypeScript errors students meet most, by error number. */
const EXPLANATIONS: Record<number, string> = {
  1005: "un symbole manque (parenthèse, accolade, virgule ou point-virgule)",
  1128: "une déclaration ou une instruction est attendue : une accolade en trop ou en moins ?",
  1109: "une expression est attendue à cet endroit",
  2304: "ce nom n'est déclaré nulle part : faute de frappe, ou variable définie dans une cellule non exécutée ?",
  2322: "la valeur n'a pas le type attendu par la variable ou le retour de la fonction",
  2339: "cette propriété ou méthode n'existe pas sur ce type",
  2345: "un argument n'a pas le type attendu par la fonction appelée",
  2353: "l'objet a une propriété que son type ne prévoit pas",
  2355: "la fonction annonce un type de retour mais ne renvoie rien sur tous les chemins",
  2365: "cet opérateur ne s'applique pas à ces types",
  2554: "le nombre d'arguments ne correspond pas à la signature de la fonction",
  2551: "cette propriété n'existe pas (faute de frappe ?)",
  2552: "ce nom n'existe pas (faute de frappe ?)",
  7006: "le paramètre n'a pas de type : ajoutez-en un",
  18048: "la valeur peut être undefined : vérifiez-la avant de l'utiliser",
  2532: "l'objet peut être undefined : vérifiez-le avant de l'utiliser",
};

/** One diagnostic as a French line: position, TypeScript's message, and what it usually means. */
export function explainDiagnostic(diagnostic: CellDiagnostic): string {
  const where = `ligne ${diagnostic.line}, colonne ${diagnostic.column}`;
  const meaning = diagnostic.code !== undefined ? EXPLANATIONS[diagnostic.code] : undefined;
  const code = diagnostic.code !== undefined ? ` (TS${diagnostic.code})` : "";
  return `  • ${where}${code} : ${diagnostic.message}${meaning ? `\n    → ${meaning}` : ""}`;
}

/** What the kernel prints under tslab's diagnostics when a cell did not compile. */
export function compileFailureNotice(failure: CompileFailure): string {
  const kept = failure.names.length > 0
    ? ` ${failure.names.map((n) => `\`${n}\``).join(", ")} ${failure.names.length > 1 ? "gardent leur" : "garde sa"} définition précédente (ou reste${failure.names.length > 1 ? "nt" : ""} non défini${failure.names.length > 1 ? "s" : ""}).`
    : "";
  return (
    `⚠️ Cette cellule n'a pas compilé : TypeScript l'a refusée et aucune de ses lignes n'a été exécutée.${kept}\n` +
    failure.diagnostics.map(explainDiagnostic).join("\n") +
    `\nCorrigez la cellule puis exécutez-la de nouveau.`
  );
}

/**
 * For `check(id, submission)`: a French notice when the cell that defines the submitted function or class
 * did not compile in its last version (so `check` would grade the previous definition), else undefined.
 */
export function staleSubmissionNotice(submission: unknown): string | undefined {
  const name = typeof submission === "function" ? submission.name : undefined;
  if (!name) return undefined;
  const failure = compileFailureFor(name);
  if (!failure) return undefined;
  return (
    `⚠️ La dernière version de la cellule qui définit \`${name}\` n'a pas compilé : elle n'a pas été exécutée, ` +
    `et la vérification porterait sur l'ancienne définition de \`${name}\` (ou sur aucune). Erreurs TypeScript :\n` +
    failure.diagnostics.map(explainDiagnostic).join("\n") +
    `\nCorrigez cette cellule, exécutez-la, puis relancez la vérification.`
  );
}
