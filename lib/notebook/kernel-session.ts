/**
 * What the course's kernel (environment/kernel.cjs) records about the cells it runs, for the library to
 * read: which browser page sent the running cell (so plots embed plotly.js again after a reload), and which
 * definitions the last version of a cell failed to compile (so `check` says the code on screen never ran).
 * The record lives on `globalThis` because the launcher and the notebook's imports may load this file as
 * two module instances; outside the course's kernel it stays empty and every function here is a no-op.
 */

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

interface KernelRecord {
  current: ExecutionContext | null;
  executions: number;
  /** Failed cells, by the names they declare. */
  failures: Map<string, CompileFailure>;
}

const RECORD_KEY = Symbol.for("llm-course.kernel-session");

function record(): KernelRecord {
  const holder = globalThis as unknown as Record<symbol, KernelRecord | undefined>;
  let found = holder[RECORD_KEY];
  if (!found) {
    found = { current: null, executions: 0, failures: new Map() };
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

/**
 * Top-level names a cell declares: `function f`, `async function f`, `class C`, `const/let/var a, b`,
 * `const { a, b }` is left out (rare in exercises). Good enough to match a failed cell with the function
 * that `check` is given; a name it misses only means no notice.
 */
export function declaredNames(source: string): string[] {
  const names = new Set<string>();
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  for (const line of withoutComments.split("\n")) {
    // Only lines that start at column 0: declarations inside a function body are indented.
    const fn = /^(?:export\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(line);
    if (fn) names.add(fn[1]);
    const cls = /^(?:export\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)/.exec(line);
    if (cls) names.add(cls[1]);
    const variable = /^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)/.exec(line);
    if (variable) names.add(variable[1]);
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
