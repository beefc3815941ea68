/**
 * Singular value decomposition A = U·Σ·Vᵀ of small dense matrices (a co-occurrence matrix of a few hundred
 * words), by one-sided Jacobi rotations (Hestenes 1958): plane rotations applied to A's columns until
 * they are mutually orthogonal; their lengths are then the singular values. Simple, and accurate to
 * machine precision even for small singular values, which squaring A into AᵀA would lose. Cost about
 * 10·m·n² per sweep, a handful of sweeps: fine up to a few hundred columns.
 */

/** A thin SVD: `u` is m×r, `s` has r values (largest first), `v` is n×r, r = min(m, n), A = U·diag(s)·Vᵀ. */
export interface Svd {
  u: number[][];
  s: number[];
  v: number[][];
}

const MAX_SWEEPS = 60;

function checkMatrix(a: readonly (readonly number[])[], caller: string): { m: number; n: number } {
  if (!Array.isArray(a) || a.length === 0) throw new RangeError(`${caller}: expected a non-empty matrix (array of rows)`);
  const n = Array.isArray(a[0]) ? a[0].length : 0;
  if (n === 0) throw new RangeError(`${caller}: the matrix has no columns`);
  a.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) throw new RangeError(`${caller}: row ${i} has ${Array.isArray(row) ? row.length : "no"} entries, row 0 has ${n}`);
    row.forEach((x, j) => {
      if (!Number.isFinite(x)) throw new RangeError(`${caller}: entry [${i}][${j}] is not a finite number (${String(x)})`);
    });
  });
  return { m: a.length, n };
}

function transpose(a: readonly (readonly number[])[]): number[][] {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

/**
 * The thin SVD of `a` (m×n). Signs follow scikit-learn's convention (`svd_flip`): each column of U has its
 * largest-magnitude entry positive, so results are reproducible and comparable with Python's.
 */
export function svd(a: readonly (readonly number[])[]): Svd {
  const { m, n } = checkMatrix(a, "svd");
  if (m < n) {
    // Jacobi orthogonalises columns, so work on the taller of A and Aᵀ: A = UΣVᵀ ⇔ Aᵀ = VΣUᵀ.
    const t = svd(transpose(a));
    return flipSigns({ u: t.v, s: t.s, v: t.u });
  }
  // Column-major copies: w[j] is column j of the working matrix, z[j] column j of V.
  const w = Array.from({ length: n }, (_, j) => Float64Array.from(a, (row) => row[j]!));
  const z = Array.from({ length: n }, (_, j) => {
    const column = new Float64Array(n);
    column[j] = 1;
    return column;
  });
  // Columns count as orthogonal once their cosine is at rounding level; a tighter test could cycle forever.
  const eps = Math.max(1e-15, m * Number.EPSILON);
  let converged = false;
  for (let sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
    converged = true;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const wp = w[p]!;
        const wq = w[q]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += wp[i]! * wp[i]!;
          beta += wq[i]! * wq[i]!;
          gamma += wp[i]! * wq[i]!;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        converged = false;
        // The rotation angle that zeroes the (p, q) entry of WᵀW (a 2×2 symmetric eigenproblem).
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(wp, wq, c, s);
        rotate(z[p]!, z[q]!, c, s);
      }
    }
  }
  if (!converged) throw new Error(`svd: Jacobi rotations did not converge in ${MAX_SWEEPS} sweeps (is the matrix finite and of reasonable scale?)`);
  const sigma = w.map(length);
  const order = sigma.map((_, j) => j).sort((x, y) => sigma[y]! - sigma[x]!);
  const uColumns: Float64Array[] = [];
  for (const j of order) {
    const column = w[j]!;
    const size = sigma[j]!;
    // A zero singular value leaves no direction in A's column space: pick any unit vector orthogonal to the others.
    uColumns.push(size > eps * (sigma[order[0]!]! || 1) ? column.map((x) => x / size) : orthogonalComplement(uColumns, m));
  }
  return flipSigns({
    u: Array.from({ length: m }, (_, i) => uColumns.map((column) => column[i]!)),
    s: order.map((j) => sigma[j]!),
    v: Array.from({ length: n }, (_, i) => order.map((j) => z[j]![i]!)),
  });
}

function length(x: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum);
}

function rotate(x: Float64Array, y: Float64Array, c: number, s: number): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    x[i] = c * xi - s * yi;
    y[i] = s * xi + c * yi;
  }
}

function orthogonalComplement(columns: Float64Array[], m: number): Float64Array {
  for (let k = 0; k < m; k++) {
    const candidate = new Float64Array(m);
    candidate[k] = 1;
    // Two Gram–Schmidt passes keep the result orthogonal to working precision.
    for (let pass = 0; pass < 2; pass++) {
      for (const column of columns) {
        let d = 0;
        for (let i = 0; i < m; i++) d += column[i]! * candidate[i]!;
        for (let i = 0; i < m; i++) candidate[i] -= d * column[i]!;
      }
    }
    const size = length(candidate);
    if (size > 1e-8) return candidate.map((x) => x / size);
  }
  throw new Error("svd: could not complete an orthonormal basis");
}

function flipSigns(result: Svd): Svd {
  const r = result.s.length;
  for (let k = 0; k < r; k++) {
    let largest = 0;
    for (let i = 0; i < result.u.length; i++) if (Math.abs(result.u[i]![k]!) > Math.abs(largest)) largest = result.u[i]![k]!;
    if (largest < 0) {
      for (const row of result.u) row[k] = -row[k]!;
      for (const row of result.v) row[k] = -row[k]!;
    }
  }
  return result;
}

/** The first `k` singular triplets of {@link svd}: the best rank-k approximation of A (Eckart–Young). */
export function truncatedSvd(a: readonly (readonly number[])[], k: number): Svd {
  const full = svd(a);
  if (!Number.isInteger(k) || k < 1 || k > full.s.length) throw new RangeError(`truncatedSvd: k must be an integer in [1, ${full.s.length}], got ${k}`);
  return { u: full.u.map((row) => row.slice(0, k)), s: full.s.slice(0, k), v: full.v.map((row) => row.slice(0, k)) };
}

/**
 * The rows of A in the top-k singular directions, U_k·Σ_k (what scikit-learn's `TruncatedSVD(k).fit_transform`
 * returns): `svdProjection(counts, 2)` gives one 2-D point per word, ready to plot.
 */
export function svdProjection(a: readonly (readonly number[])[], k: number): number[][] {
  const { u, s } = truncatedSvd(a, k);
  return u.map((row) => row.map((x, j) => x * s[j]!));
}

/** U·diag(s)·Vᵀ: the matrix an SVD (full or truncated) stands for. */
export function reconstruct({ u, s, v }: Svd): number[][] {
  return u.map((uRow) => v.map((vRow) => s.reduce((sum, sk, k) => sum + uRow[k]! * sk * vRow[k]!, 0)));
}
