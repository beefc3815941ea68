/**
 * Checks of weights given as plain arrays (hand-computed examples, the equations' layout), with errors
 * that name the weight and the shape expected.
 */

/** A checked matrix: its rows and its columns. */
export interface CheckedMatrix {
  rows: number;
  cols: number;
}

/** Throws unless `value` is a non-empty rectangular number[][] (with `rows` rows when given). */
export function checkMatrix(value: unknown, name: string, caller: string, rows?: number, cols?: number): CheckedMatrix {
  if (!Array.isArray(value) || value.length === 0 || !value.every((row) => Array.isArray(row))) {
    throw new TypeError(`${caller}: ${name} must be a non-empty matrix (number[][])`);
  }
  const matrix = value as unknown[][];
  const width = matrix[0]!.length;
  matrix.forEach((row, i) => {
    if (row.length !== width) throw new RangeError(`${caller}: ${name} is not rectangular (row 0 has ${width} values, row ${i} has ${row.length})`);
    row.forEach((v, j) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${caller}: ${name}[${i}][${j}] must be a finite number, got ${String(v)}`);
    });
  });
  if (width === 0) throw new RangeError(`${caller}: ${name} has empty rows`);
  if (rows !== undefined && matrix.length !== rows) throw new RangeError(`${caller}: ${name} must have ${rows} rows, got ${matrix.length}`);
  if (cols !== undefined && width !== cols) throw new RangeError(`${caller}: ${name} must have ${cols} columns, got ${width}`);
  return { rows: matrix.length, cols: width };
}

/** Throws unless `value` is a number[] of `length` finite numbers; returns it. */
export function checkVector(value: unknown, name: string, caller: string, length: number): number[] {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new RangeError(`${caller}: ${name} must be an array of ${length} finite numbers`);
  }
  return value as number[];
}

/** Columns `from` … `to − 1` of every row, transposed: the [to − from, rows] block multiplying row vectors. */
export function transposedColumns(matrix: number[][], from: number, to: number): number[][] {
  const out: number[][] = [];
  for (let j = from; j < to; j++) out.push(matrix.map((row) => row[j]!));
  return out;
}
