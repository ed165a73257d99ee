/**
 * Dense linear algebra for small non-symmetric and rectangular problems in float64 (the DMD of
 * analysis/library/dmd.ts): the real eigen-decomposition of a general square matrix (Hessenberg
 * reduction and the shifted double-QR iteration with back-substitution, orthes/hqr2 as in JAMA /
 * EISPACK), the thin SVD by one-sided Jacobi rotations (Hestenes), the Householder QR, and the
 * complex minimum-norm least-squares solution through the SVD of the real embedding.
 * Matrices are row-major Float64Array; complex values are split into real and imaginary arrays.
 */

export interface ComplexEigen {
  /** Eigenvalues λ = re + i·im (n), a conjugate pair adjacent with the positive imaginary part first. */
  re: Float64Array; im: Float64Array;
  /** Eigenvectors as columns (row-major n × n, real and imaginary parts), each of unit 2-norm with its largest-modulus component real and positive. */
  vre: Float64Array; vim: Float64Array;
}

/**
 * The eigenvalues and eigenvectors of a real n × n matrix A (row-major; not modified): A·v = λ·v
 * for each column v. Complex eigenvalues come in conjugate pairs with conjugate vectors.
 * Throws when the QR iteration does not converge (30·n iterations for one eigenvalue).
 */
export function realEigen(A: ArrayLike<number>, n: number): ComplexEigen {
  const H: Float64Array[] = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => A[i * n + j]));
  const V: Float64Array[] = Array.from({ length: n }, () => new Float64Array(n));
  const d = new Float64Array(n), e = new Float64Array(n);
  if (n === 0) return { re: d, im: e, vre: new Float64Array(0), vim: new Float64Array(0) };
  orthes(H, V, n);
  hqr2(H, V, d, e, n);
  const vre = new Float64Array(n * n), vim = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    if (e[j] === 0) {
      for (let i = 0; i < n; i++) vre[i * n + j] = V[i][j];
    } else if (e[j] > 0) {
      // The pair (j, j + 1): v = V[:, j] ± i·V[:, j + 1] for λ = d ± i·|e|.
      for (let i = 0; i < n; i++) {
        vre[i * n + j] = V[i][j]; vim[i * n + j] = V[i][j + 1];
        vre[i * n + j + 1] = V[i][j]; vim[i * n + j + 1] = -V[i][j + 1];
      }
      j++;
    }
  }
  for (let j = 0; j < n; j++) normaliseColumn(vre, vim, n, j);
  return { re: d, im: e, vre, vim };
}

/** Column j scaled to unit norm, then rotated so that its largest-modulus component is real and positive. */
function normaliseColumn(vre: Float64Array, vim: Float64Array, n: number, j: number): void {
  let s = 0, big = -1, at = 0;
  for (let i = 0; i < n; i++) {
    const m = vre[i * n + j] ** 2 + vim[i * n + j] ** 2;
    s += m;
    if (m > big * (1 + 1e-12)) { big = m; at = i; }
  }
  if (!(s > 0)) return;
  const nr = Math.sqrt(s), mr = Math.sqrt(big);
  // Multiply by conj(v_at)/|v_at| / ‖v‖.
  const cr = vre[at * n + j] / mr / nr, ci = -vim[at * n + j] / mr / nr;
  for (let i = 0; i < n; i++) {
    const a = vre[i * n + j], b = vim[i * n + j];
    vre[i * n + j] = a * cr - b * ci;
    vim[i * n + j] = a * ci + b * cr;
  }
  vim[at * n + j] = 0;
}

/** Reduction to upper Hessenberg form by orthogonal similarity transformations, accumulated in V. */
function orthes(H: Float64Array[], V: Float64Array[], n: number): void {
  const low = 0, high = n - 1;
  const ort = new Float64Array(n);
  for (let m = low + 1; m <= high - 1; m++) {
    let scale = 0;
    for (let i = m; i <= high; i++) scale += Math.abs(H[i][m - 1]);
    if (scale !== 0) {
      let h = 0;
      for (let i = high; i >= m; i--) { ort[i] = H[i][m - 1] / scale; h += ort[i] * ort[i]; }
      let g = Math.sqrt(h);
      if (ort[m] > 0) g = -g;
      h -= ort[m] * g;
      ort[m] -= g;
      for (let j = m; j < n; j++) {
        let f = 0;
        for (let i = high; i >= m; i--) f += ort[i] * H[i][j];
        f /= h;
        for (let i = m; i <= high; i++) H[i][j] -= f * ort[i];
      }
      for (let i = 0; i <= high; i++) {
        let f = 0;
        for (let j = high; j >= m; j--) f += ort[j] * H[i][j];
        f /= h;
        for (let j = m; j <= high; j++) H[i][j] -= f * ort[j];
      }
      ort[m] = scale * ort[m];
      H[m][m - 1] = scale * g;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) V[i][j] = i === j ? 1 : 0;
  for (let m = high - 1; m >= low + 1; m--) {
    if (H[m][m - 1] !== 0) {
      for (let i = m + 1; i <= high; i++) ort[i] = H[i][m - 1];
      for (let j = m; j <= high; j++) {
        let g = 0;
        for (let i = m; i <= high; i++) g += ort[i] * V[i][j];
        g = g / ort[m] / H[m][m - 1];
        for (let i = m; i <= high; i++) V[i][j] += g * ort[i];
      }
    }
  }
}

/** Complex division (xr + i·xi)/(yr + i·yi). */
function cdiv(xr: number, xi: number, yr: number, yi: number): [number, number] {
  if (Math.abs(yr) > Math.abs(yi)) {
    const r = yi / yr, dd = yr + r * yi;
    return [(xr + r * xi) / dd, (xi - r * xr) / dd];
  }
  const r = yr / yi, dd = yi + r * yr;
  return [(r * xr + xi) / dd, (r * xi - xr) / dd];
}

/** Hessenberg to real Schur form by the shifted double-QR iteration, then the eigenvectors by back-substitution. */
function hqr2(H: Float64Array[], V: Float64Array[], d: Float64Array, e: Float64Array, nn: number): void {
  let n = nn - 1;
  const low = 0, high = nn - 1;
  const eps = 2 ** -52;
  let exshift = 0;
  let p = 0, q = 0, r = 0, s = 0, z = 0, t = 0, w = 0, x = 0, y = 0;
  let norm = 0;
  for (let i = 0; i < nn; i++) for (let j = Math.max(i - 1, 0); j < nn; j++) norm += Math.abs(H[i][j]);
  let iter = 0;
  while (n >= low) {
    let l = n;
    while (l > low) {
      s = Math.abs(H[l - 1][l - 1]) + Math.abs(H[l][l]);
      if (s === 0) s = norm;
      if (Math.abs(H[l][l - 1]) < eps * s) break;
      l--;
    }
    if (l === n) {
      H[n][n] += exshift;
      d[n] = H[n][n];
      e[n] = 0;
      n--;
      iter = 0;
    } else if (l === n - 1) {
      w = H[n][n - 1] * H[n - 1][n];
      p = (H[n - 1][n - 1] - H[n][n]) / 2;
      q = p * p + w;
      z = Math.sqrt(Math.abs(q));
      H[n][n] += exshift;
      H[n - 1][n - 1] += exshift;
      x = H[n][n];
      if (q >= 0) {
        z = p >= 0 ? p + z : p - z;
        d[n - 1] = x + z;
        d[n] = d[n - 1];
        if (z !== 0) d[n] = x - w / z;
        e[n - 1] = 0;
        e[n] = 0;
        x = H[n][n - 1];
        s = Math.abs(x) + Math.abs(z);
        p = x / s;
        q = z / s;
        r = Math.sqrt(p * p + q * q);
        p /= r;
        q /= r;
        for (let j = n - 1; j < nn; j++) {
          z = H[n - 1][j];
          H[n - 1][j] = q * z + p * H[n][j];
          H[n][j] = q * H[n][j] - p * z;
        }
        for (let i = 0; i <= n; i++) {
          z = H[i][n - 1];
          H[i][n - 1] = q * z + p * H[i][n];
          H[i][n] = q * H[i][n] - p * z;
        }
        for (let i = low; i <= high; i++) {
          z = V[i][n - 1];
          V[i][n - 1] = q * z + p * V[i][n];
          V[i][n] = q * V[i][n] - p * z;
        }
      } else {
        d[n - 1] = x + p;
        d[n] = x + p;
        e[n - 1] = z;
        e[n] = -z;
      }
      n -= 2;
      iter = 0;
    } else {
      x = H[n][n];
      y = 0;
      w = 0;
      if (l < n) {
        y = H[n - 1][n - 1];
        w = H[n][n - 1] * H[n - 1][n];
      }
      if (iter === 10) {
        exshift += x;
        for (let i = low; i <= n; i++) H[i][i] -= x;
        s = Math.abs(H[n][n - 1]) + Math.abs(H[n - 1][n - 2]);
        x = y = 0.75 * s;
        w = -0.4375 * s * s;
      }
      if (iter === 30) {
        s = (y - x) / 2;
        s = s * s + w;
        if (s > 0) {
          s = Math.sqrt(s);
          if (y < x) s = -s;
          s = x - w / ((y - x) / 2 + s);
          for (let i = low; i <= n; i++) H[i][i] -= s;
          exshift += s;
          x = y = w = 0.964;
        }
      }
      iter++;
      if (iter > 30 * nn + 60) throw new Error(`realEigen: the QR iteration did not converge (n = ${nn})`);
      let m = n - 2;
      while (m >= l) {
        z = H[m][m];
        r = x - z;
        s = y - z;
        p = (r * s - w) / H[m + 1][m] + H[m][m + 1];
        q = H[m + 1][m + 1] - z - r - s;
        r = H[m + 2][m + 1];
        s = Math.abs(p) + Math.abs(q) + Math.abs(r);
        p /= s;
        q /= s;
        r /= s;
        if (m === l) break;
        if (Math.abs(H[m][m - 1]) * (Math.abs(q) + Math.abs(r)) <
          eps * (Math.abs(p) * (Math.abs(H[m - 1][m - 1]) + Math.abs(z) + Math.abs(H[m + 1][m + 1])))) break;
        m--;
      }
      for (let i = m + 2; i <= n; i++) {
        H[i][i - 2] = 0;
        if (i > m + 2) H[i][i - 3] = 0;
      }
      for (let k = m; k <= n - 1; k++) {
        const notlast = k !== n - 1;
        if (k !== m) {
          p = H[k][k - 1];
          q = H[k + 1][k - 1];
          r = notlast ? H[k + 2][k - 1] : 0;
          x = Math.abs(p) + Math.abs(q) + Math.abs(r);
          if (x === 0) continue;
          p /= x;
          q /= x;
          r /= x;
        }
        s = Math.sqrt(p * p + q * q + r * r);
        if (p < 0) s = -s;
        if (s !== 0) {
          if (k !== m) H[k][k - 1] = -s * x;
          else if (l !== m) H[k][k - 1] = -H[k][k - 1];
          p += s;
          x = p / s;
          y = q / s;
          z = r / s;
          q /= p;
          r /= p;
          for (let j = k; j < nn; j++) {
            p = H[k][j] + q * H[k + 1][j];
            if (notlast) {
              p += r * H[k + 2][j];
              H[k + 2][j] -= p * z;
            }
            H[k][j] -= p * x;
            H[k + 1][j] -= p * y;
          }
          for (let i = 0; i <= Math.min(n, k + 3); i++) {
            p = x * H[i][k] + y * H[i][k + 1];
            if (notlast) {
              p += z * H[i][k + 2];
              H[i][k + 2] -= p * r;
            }
            H[i][k] -= p;
            H[i][k + 1] -= p * q;
          }
          for (let i = low; i <= high; i++) {
            p = x * V[i][k] + y * V[i][k + 1];
            if (notlast) {
              p += z * V[i][k + 2];
              V[i][k + 2] -= p * r;
            }
            V[i][k] -= p;
            V[i][k + 1] -= p * q;
          }
        }
      }
    }
  }
  if (norm === 0) return;
  for (n = nn - 1; n >= 0; n--) {
    p = d[n];
    q = e[n];
    if (q === 0) {
      let l = n;
      H[n][n] = 1;
      for (let i = n - 1; i >= 0; i--) {
        w = H[i][i] - p;
        r = 0;
        for (let j = l; j <= n; j++) r += H[i][j] * H[j][n];
        if (e[i] < 0) {
          z = w;
          s = r;
        } else {
          l = i;
          if (e[i] === 0) {
            H[i][n] = w !== 0 ? -r / w : -r / (eps * norm);
          } else {
            x = H[i][i + 1];
            y = H[i + 1][i];
            q = (d[i] - p) * (d[i] - p) + e[i] * e[i];
            t = (x * s - z * r) / q;
            H[i][n] = t;
            H[i + 1][n] = Math.abs(x) > Math.abs(z) ? (-r - w * t) / x : (-s - y * t) / z;
          }
          t = Math.abs(H[i][n]);
          if (eps * t * t > 1) for (let j = i; j <= n; j++) H[j][n] /= t;
        }
      }
    } else if (q < 0) {
      let l = n - 1;
      if (Math.abs(H[n][n - 1]) > Math.abs(H[n - 1][n])) {
        H[n - 1][n - 1] = q / H[n][n - 1];
        H[n - 1][n] = -(H[n][n] - p) / H[n][n - 1];
      } else {
        [H[n - 1][n - 1], H[n - 1][n]] = cdiv(0, -H[n - 1][n], H[n - 1][n - 1] - p, q);
      }
      H[n][n - 1] = 0;
      H[n][n] = 1;
      for (let i = n - 2; i >= 0; i--) {
        let ra = 0, sa = 0;
        for (let j = l; j <= n; j++) {
          ra += H[i][j] * H[j][n - 1];
          sa += H[i][j] * H[j][n];
        }
        w = H[i][i] - p;
        if (e[i] < 0) {
          z = w;
          r = ra;
          s = sa;
        } else {
          l = i;
          if (e[i] === 0) {
            [H[i][n - 1], H[i][n]] = cdiv(-ra, -sa, w, q);
          } else {
            x = H[i][i + 1];
            y = H[i + 1][i];
            let vr = (d[i] - p) * (d[i] - p) + e[i] * e[i] - q * q;
            const vi = (d[i] - p) * 2 * q;
            if (vr === 0 && vi === 0) vr = eps * norm * (Math.abs(w) + Math.abs(q) + Math.abs(x) + Math.abs(y) + Math.abs(z));
            [H[i][n - 1], H[i][n]] = cdiv(x * r - z * ra + q * sa, x * s - z * sa - q * ra, vr, vi);
            if (Math.abs(x) > Math.abs(z) + Math.abs(q)) {
              H[i + 1][n - 1] = (-ra - w * H[i][n - 1] + q * H[i][n]) / x;
              H[i + 1][n] = (-sa - w * H[i][n] - q * H[i][n - 1]) / x;
            } else {
              [H[i + 1][n - 1], H[i + 1][n]] = cdiv(-r - y * H[i][n - 1], -s - y * H[i][n], z, q);
            }
          }
          t = Math.max(Math.abs(H[i][n - 1]), Math.abs(H[i][n]));
          if (eps * t * t > 1) for (let j = i; j <= n; j++) { H[j][n - 1] /= t; H[j][n] /= t; }
        }
      }
    }
  }
  for (let j = nn - 1; j >= low; j--) {
    for (let i = low; i <= high; i++) {
      z = 0;
      for (let k = low; k <= Math.min(j, high); k++) z += V[i][k] * H[k][j];
      V[i][j] = z;
    }
  }
}

export interface ThinSvd {
  /** U [rows, k], s (k, descending), V [cols, k] with k = min(rows, cols); A = U·diag(s)·Vᵀ. */
  U: Float64Array; s: Float64Array; V: Float64Array; k: number;
}

/**
 * The thin SVD of a real rows × cols matrix (row-major) by one-sided Jacobi rotations on its
 * columns (Hestenes; accurate for small singular values, unlike the eigenvalues of AᵀA). When
 * rows < cols it works on Aᵀ. Columns of U for zero singular values are zero.
 */
export function thinSvd(A: ArrayLike<number>, rows: number, cols: number): ThinSvd {
  if (rows < cols) {
    const T = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = A[i * cols + j];
    const t = thinSvd(T, cols, rows);
    return { U: t.V, s: t.s, V: t.U, k: t.k };
  }
  const m = rows, n = cols;
  // Work on columns: W[j] is column j of A, Vc[j] column j of V.
  const W = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => A[i * n + j]));
  const Vc = Array.from({ length: n }, (_, j) => { const v = new Float64Array(n); v[j] = 1; return v; });
  const eps = 2 ** -52;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) {
      const a = W[p], b = W[q];
      let alpha = 0, beta = 0, gamma = 0;
      for (let i = 0; i < m; i++) { alpha += a[i] * a[i]; beta += b[i] * b[i]; gamma += a[i] * b[i]; }
      if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
      rotated = true;
      const zeta = (beta - alpha) / (2 * gamma);
      const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
      const c = 1 / Math.sqrt(1 + t * t), sn = c * t;
      for (let i = 0; i < m; i++) { const x = a[i], y = b[i]; a[i] = c * x - sn * y; b[i] = sn * x + c * y; }
      const va = Vc[p], vb = Vc[q];
      for (let i = 0; i < n; i++) { const x = va[i], y = vb[i]; va[i] = c * x - sn * y; vb[i] = sn * x + c * y; }
    }
    if (!rotated) break;
  }
  const norms = W.map((w) => Math.sqrt(w.reduce((acc, x) => acc + x * x, 0)));
  const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x] || x - y);
  const U = new Float64Array(m * n), V = new Float64Array(n * n), s = new Float64Array(n);
  order.forEach((j, c) => {
    s[c] = norms[j];
    if (norms[j] > 0) for (let i = 0; i < m; i++) U[i * n + c] = W[j][i] / norms[j];
    for (let i = 0; i < n; i++) V[i * n + c] = Vc[j][i];
  });
  return { U, s, V, k: n };
}

/**
 * The Householder QR of a rows × cols matrix (row-major): R [k, cols] with k = min(rows, cols),
 * upper triangular, and Q [rows, k] with orthonormal columns, A = Q·R.
 */
export function householderQr(A: ArrayLike<number>, rows: number, cols: number): { Q: Float64Array; R: Float64Array; k: number } {
  const m = rows, n = cols, k = Math.min(m, n);
  const a = Float64Array.from(A);
  const vs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    let nrm = 0;
    for (let i = j; i < m; i++) nrm += a[i * n + j] ** 2;
    nrm = Math.sqrt(nrm);
    const v = new Float64Array(m - j);
    if (nrm === 0) { vs.push(v); continue; }
    const alpha = a[j * n + j] > 0 ? -nrm : nrm;
    for (let i = j; i < m; i++) v[i - j] = a[i * n + j];
    v[0] -= alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
    if (vn === 0) { vs.push(new Float64Array(m - j)); continue; }
    for (let c = j; c < n; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i - j] * a[i * n + c];
      const f = (2 * dot) / vn;
      for (let i = j; i < m; i++) a[i * n + c] -= f * v[i - j];
    }
    const inv = 1 / Math.sqrt(vn);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
    vs.push(v);
  }
  const R = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) R[i * n + c] = a[i * n + c];
  // Q = H_0 H_1 … H_{k−1} applied to the first k columns of the identity.
  const Q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) Q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j];
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i - j] * Q[i * k + c];
      if (dot === 0) continue;
      for (let i = j; i < m; i++) Q[i * k + c] -= 2 * dot * v[i - j];
    }
  }
  return { Q, R, k };
}

/**
 * The minimum-norm least-squares solution X [cols, nrhs] of A·X ≈ B for complex A [rows, cols] and
 * B [rows, nrhs] (row-major, split into real and imaginary parts): X = A⁺·B with singular values
 * below rcond·σ_max treated as zero (numpy's pinv: rcond 1e-15; lstsq with rcond=None: max(rows, cols)·ε).
 * Computed through the SVD of the real embedding [[Re A, −Im A], [Im A, Re A]].
 */
export function complexLstsq(
  Are: ArrayLike<number>, Aim: ArrayLike<number>, rows: number, cols: number,
  Bre: ArrayLike<number>, Bim: ArrayLike<number>, nrhs: number, rcond: number,
): { re: Float64Array; im: Float64Array } {
  const R2 = 2 * rows, C2 = 2 * cols;
  const E = new Float64Array(R2 * C2);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    const re = Are[i * cols + j], im = Aim[i * cols + j];
    E[i * C2 + j] = re; E[i * C2 + cols + j] = -im;
    E[(rows + i) * C2 + j] = im; E[(rows + i) * C2 + cols + j] = re;
  }
  const { U, s, V, k } = thinSvd(E, R2, C2);
  const cut = rcond * (s[0] ?? 0);
  const re = new Float64Array(cols * nrhs), im = new Float64Array(cols * nrhs);
  const y = new Float64Array(k);
  for (let c = 0; c < nrhs; c++) {
    // y = diag(1/s)·Uᵀ·[Re b; Im b], x = V·y.
    for (let l = 0; l < k; l++) {
      if (!(s[l] > cut) || s[l] === 0) { y[l] = 0; continue; }
      let acc = 0;
      for (let i = 0; i < rows; i++) acc += U[i * k + l] * Bre[i * nrhs + c] + U[(rows + i) * k + l] * Bim[i * nrhs + c];
      y[l] = acc / s[l];
    }
    for (let j = 0; j < cols; j++) {
      let xr = 0, xi = 0;
      for (let l = 0; l < k; l++) { xr += V[j * k + l] * y[l]; xi += V[(cols + j) * k + l] * y[l]; }
      re[j * nrhs + c] = xr; im[j * nrhs + c] = xi;
    }
  }
  return { re, im };
}
