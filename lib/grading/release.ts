/**
 * The release step: `solutions/*.ipynb` → `notebooks/*.ipynb`, the student version.
 *
 * Conventions (what authors of solution notebooks write):
 * - In a code cell, the lines from `// BEGIN SOLUTION` to `// END SOLUTION` (both included) are the
 *   solution. The release replaces them with ONE line, indented like the BEGIN line:
 *   `todo("<exercise id>");` — the stub that throws "À compléter : <task> (exercice <id>)".
 * - The exercise id of a cell with solution regions is the id of the first `check("<id>", …)` call in the
 *   code cells after it. That check call must come before the next cell with a solution region, and a
 *   solution cell must not itself contain a check call (put checks in their own cell). A region whose id
 *   cannot be found this way is an error naming the notebook and the cell.
 * - Every check id must be an exercise of the TP's spec (`exercises/<tp>-*.ts`), every exercise of the
 *   spec must have a check cell, and the file name must be the spec's `notebook`.
 * - A code cell at or before the first exercise cell must import `todo` from "@llm-course/lib/grading"
 *   (e.g. `import { check, todo } from "@llm-course/lib/grading";`), so that the stubs compile.
 *
 * The release clears outputs and execution counts, and writes metadata the grader reads:
 * notebook `llm_course: { tp, notebook, release }`; exercise cells `llm_course: { role: "exercise",
 * exercise }`; check cells `llm_course: { role: "check", exercise }` plus `editable: false,
 * deletable: false`. Output is deterministic (nbformat layout: sorted keys, 1-space indentation).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PATHS } from "../env";
import { checkCallIds, declaresSymbol, importsTodo } from "./cells";
import { loadLesson } from "./lessons";
import {
  cellSource,
  parseNotebook,
  serializeNotebook,
  splitSource,
  writeFileAtomic,
  type JsonObject,
  type Notebook,
  type NotebookCell,
} from "./notebook-file";
import type { LessonSpec } from "./spec";

/** Version of the release format, written in `metadata.llm_course.release`. */
export const RELEASE_FORMAT = 1;

const BEGIN = /^(\s*)\/\/\s*BEGIN SOLUTION\s*$/;
const END = /^\s*\/\/\s*END SOLUTION\s*$/;
const MARKER = /\b(BEGIN|END) SOLUTION\b/;

/** A release problem, with the notebook and cell it is about. */
export class ReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseError";
  }
}

interface Region {
  /** Line index of `// BEGIN SOLUTION`. */
  begin: number;
  /** Line index of `// END SOLUTION`. */
  end: number;
  indent: string;
}

/** The solution regions of a cell's source; malformed markers are errors (they would leak solutions). */
export function solutionRegions(source: string, where: string): Region[] {
  const lines = source.split("\n");
  const regions: Region[] = [];
  let open: { begin: number; indent: string } | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const begin = BEGIN.exec(line);
    if (begin) {
      if (open) throw new ReleaseError(`${where}, line ${index + 1}: "// BEGIN SOLUTION" inside another solution region (opened line ${open.begin + 1}).`);
      open = { begin: index, indent: begin[1]! };
    } else if (END.test(line)) {
      if (!open) throw new ReleaseError(`${where}, line ${index + 1}: "// END SOLUTION" without "// BEGIN SOLUTION".`);
      regions.push({ begin: open.begin, end: index, indent: open.indent });
      open = null;
    } else if (MARKER.test(line)) {
      throw new ReleaseError(`${where}, line ${index + 1}: malformed marker "${line.trim()}" (write "// BEGIN SOLUTION" or "// END SOLUTION" alone on its line).`);
    }
  }
  if (open) throw new ReleaseError(`${where}, line ${open.begin + 1}: "// BEGIN SOLUTION" is never closed by "// END SOLUTION".`);
  return regions;
}

/** The cell's source with each solution region replaced by `todo("<id>");`. */
export function stubSource(source: string, regions: Region[], exerciseId: string): string {
  const lines = source.split("\n");
  const out: string[] = [];
  let next = 0;
  for (const region of regions) {
    out.push(...lines.slice(next, region.begin), `${region.indent}todo(${JSON.stringify(exerciseId)});`);
    next = region.end + 1;
  }
  out.push(...lines.slice(next));
  return out.join("\n");
}

/** The TP of a notebook file name: "tp01-tokenization.ipynb" → "tp01". */
export function tpOfNotebookName(file: string): string {
  const match = /^(tp\d{2})-[^/\\]+\.ipynb$/.exec(path.basename(file));
  if (!match) throw new ReleaseError(`${file}: a lesson notebook's name must look like "tp01-topic.ipynb".`);
  return match[1]!;
}

function withoutKeys(metadata: JsonObject, keys: string[]): JsonObject {
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(metadata)) if (!keys.includes(key)) copy[key] = value;
  return copy;
}

/**
 * Computes the student version of one solution notebook (pure: no file is written).
 * `name` is the file name (e.g. "tp01-tokenization.ipynb"); `lesson` defaults to the TP's spec.
 */
export function releaseNotebook(solution: Notebook, name: string, lesson?: LessonSpec): Notebook {
  const tp = tpOfNotebookName(name);
  const stem = path.basename(name, ".ipynb");
  const cells = solution.cells;
  const where = (index: number) => `${name}, cell ${index + 1}`;

  const regions = cells.map((cell, index) => {
    const source = cellSource(cell);
    if (cell.cell_type !== "code") {
      if (MARKER.test(source)) throw new ReleaseError(`${where(index)}: solution markers in a ${cell.cell_type} cell (only code cells are released with stubs).`);
      return [];
    }
    return solutionRegions(source, where(index));
  });
  const checks = cells.map((cell) => (cell.cell_type === "code" ? checkCallIds(cellSource(cell)) : []));

  // Exercise id of each solution cell: the first check call after it, before the next solution cell.
  const exerciseOf = new Map<number, string>();
  cells.forEach((_, index) => {
    if (regions[index]!.length === 0) return;
    if (checks[index]!.length > 0) {
      throw new ReleaseError(`${where(index)}: a cell with a solution region must not call check(...); put the check in its own cell after it.`);
    }
    for (let next = index + 1; next < cells.length; next++) {
      if (checks[next]!.length > 0) {
        exerciseOf.set(index, checks[next]![0]!);
        return;
      }
      if (regions[next]!.length > 0) break;
    }
    throw new ReleaseError(
      `${where(index)}: cannot find the exercise id of this solution region — add a cell such as ` +
        `\`await check("${tp}.<exercise>", <symbol>);\` after it, before the next exercise cell.`,
    );
  });

  const usedIds = new Set<string>([...exerciseOf.values(), ...checks.flat()]);
  if (usedIds.size > 0 || lesson) {
    const spec = lesson ?? loadLesson(tp);
    if (spec.tp !== tp) throw new ReleaseError(`${name}: the lesson spec is for ${spec.tp}, not ${tp}.`);
    if (spec.notebook !== stem) throw new ReleaseError(`${name}: the spec of ${tp} names the notebook "${spec.notebook}", not "${stem}".`);
    const known = new Map(spec.exercises.map((exercise) => [exercise.id, exercise]));
    checks.forEach((ids, index) => {
      for (const id of ids) {
        if (!known.has(id)) throw new ReleaseError(`${where(index)}: check("${id}", …) names no exercise of the ${tp} spec (known: ${Array.from(known.keys()).join(", ")}).`);
      }
    });
    for (const exercise of spec.exercises) {
      if (!checks.some((ids) => ids.includes(exercise.id))) {
        throw new ReleaseError(`${name}: exercise ${exercise.id} of the ${tp} spec has no check cell (\`await check("${exercise.id}", ${exercise.symbol});\`).`);
      }
    }
    // The released exercise cells must still declare the symbol, or the check cell cannot even compile.
    for (const [id, exercise] of known) {
      const cellsOfExercise = Array.from(exerciseOf).filter(([, exerciseId]) => exerciseId === id).map(([index]) => index);
      if (cellsOfExercise.length === 0) continue;
      const declared = cellsOfExercise.some((index) =>
        declaresSymbol(stubSource(cellSource(cells[index]!), regions[index]!, id), exercise.symbol),
      );
      if (!declared) {
        throw new ReleaseError(
          `${where(cellsOfExercise[0]!)}: after the release no cell of ${id} declares "${exercise.symbol}" at top level; ` +
            `keep its declaration (e.g. the function signature) outside the solution region.`,
        );
      }
    }
  }

  const firstExercise = Math.min(...Array.from(exerciseOf.keys()));
  if (exerciseOf.size > 0 && !cells.slice(0, firstExercise + 1).some((cell) => cell.cell_type === "code" && importsTodo(cellSource(cell)))) {
    throw new ReleaseError(
      `${name}: the stubs call todo(…) but no cell before the first exercise (cell ${firstExercise + 1}) imports it — ` +
        `add \`import { check, todo } from "@llm-course/lib/grading";\` to the first code cell.`,
    );
  }

  const outCells: NotebookCell[] = cells.map((cell, index) => {
    const metadata = withoutKeys(cell.metadata, ["llm_course", "execution", "editable", "deletable"]);
    const exerciseId = exerciseOf.get(index);
    const source = exerciseId === undefined ? cellSource(cell) : stubSource(cellSource(cell), regions[index]!, exerciseId);
    const out: NotebookCell = { ...cell, metadata, source: splitSource(source) };
    if (cell.id === undefined && solution.nbformat_minor >= 5) out.id = `cell-${index + 1}`;
    if (cell.cell_type !== "code") return out;
    out.outputs = [];
    out.execution_count = null;
    if (exerciseId !== undefined) {
      metadata.llm_course = { role: "exercise", exercise: exerciseId };
    } else if (checks[index]!.length > 0) {
      metadata.llm_course = { role: "check", exercise: checks[index]![0]! };
      metadata.editable = false;
      metadata.deletable = false;
    }
    return out;
  });

  return {
    ...solution,
    cells: outCells,
    metadata: { ...solution.metadata, llm_course: { tp, notebook: stem, release: RELEASE_FORMAT } },
  };
}

export interface ReleaseOptions {
  solutionsDir?: string;
  notebooksDir?: string;
}

export interface ReleasePlan {
  /** Target file → expected content, for every solution notebook. */
  files: Map<string, string>;
  /** Targets whose content on disk differs from the release (or that do not exist). */
  stale: string[];
  /** Notebooks in the target folder with no source in the solutions folder. */
  orphans: string[];
}

/** Computes the release of every solution notebook in memory and compares it with the files on disk. */
export function planRelease(options: ReleaseOptions = {}): ReleasePlan {
  const solutionsDir = options.solutionsDir ?? PATHS.solutions;
  const notebooksDir = options.notebooksDir ?? PATHS.notebooks;
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(".ipynb")).sort() : []);
  const files = new Map<string, string>();
  const stale: string[] = [];
  for (const name of list(solutionsDir)) {
    const source = path.join(solutionsDir, name);
    const released = serializeNotebook(releaseNotebook(parseNotebook(fs.readFileSync(source, "utf8"), source), name));
    const target = path.join(notebooksDir, name);
    files.set(target, released);
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : null;
    if (current !== released) stale.push(target);
  }
  const orphans = list(notebooksDir)
    .map((name) => path.join(notebooksDir, name))
    .filter((target) => !files.has(target));
  return { files, stale, orphans };
}

/** Writes the stale targets of a plan (each atomically); returns the files written. */
export function writeRelease(plan: ReleasePlan): string[] {
  for (const target of plan.stale) writeFileAtomic(target, plan.files.get(target)!);
  return plan.stale;
}
