/**
 * Dynamic Mode Decomposition, after MIScope develop's library/dmd.py (REQ_051, REQ_117; Tu et al.
 * 2014, "On Dynamic Mode Decomposition: Theory and Applications"): exact DMD of a discrete-time
 * state trajectory, sliding-window DMD, greedy eigenvalue tracking across windows, regime
 * boundaries as prominent peaks of the windowed residual, and DMD per regime. Names and
 * definitions are MIScope's (compute_dmd, compute_windowed_dmd, track_eigenvalues_across_windows,
 * detect_regime_boundaries, compute_per_regime_dmd); differences are stated where they occur.
 *
 * A trajectory is row-major [n_steps, state_dim] float64 (rows are consecutive steps). Exact DMD:
 * X = [x_0 … x_{n−2}], X' = [x_1 … x_{n−1}], thin SVD X = U Σ Vᵀ truncated at the smallest rank r
 * whose singular values carry ≥ energy_threshold of Σσ², Ã = U_rᵀ X' V_r Σ_r⁻¹, Ã W = W Λ,
 * modes Φ = X' V_r Σ_r⁻¹ W, amplitudes α = argmin ‖Φα − x_0‖ (minimum norm), and the per-step
 * residual ‖x_{t+1} − Re(Φ Λ Φ⁺ x_t)‖.
 * When state_dim > n_steps the trajectory is first written in an orthonormal basis Q of its span
 * (Householder QR of its transpose): every output above is unchanged by that (σ, Ã, λ, α and the
 * residuals exactly, Φ = Q·Φ_Q), and the work per window is O(state_dim · n_steps²) instead of
 * O(state_dim · n_steps · r²) complex operations.
 */
import { complexLstsq, householderQr, realEigen, thinSvd } from '../../math/nonsymmetric.js';
import { pcaFromGram } from './parameter-trajectory.js';

export interface DmdResult {
  /** Eigenvalues λ_i (n_modes), real and imaginary parts. */
  eigenvalues_re: Float64Array; eigenvalues_im: Float64Array;
  /** Initial amplitudes α_i (n_modes). */
  amplitudes_re: Float64Array; amplitudes_im: Float64Array;
  /** Per-step prediction error (n_steps − 1). */
  residual_norms: Float64Array;
  /** The singular values of X (min(state_dim, n_steps − 1)). */
  singular_values: Float64Array;
  n_modes: number;
  /** The modes Φ [state_dim, n_modes], when asked for. */
  modes_re?: Float64Array; modes_im?: Float64Array;
}

/** MIScope _truncation_rank: the smallest r with cumulative energy ≥ threshold (1 when the total energy is below 1e-12). */
export function truncationRank(s: ArrayLike<number>, energyThreshold: number): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i] * s[i];
  if (total < 1e-12) return 1;
  let cum = 0;
  for (let i = 0; i < s.length; i++) {
    cum += s[i] * s[i];
    if (cum / total >= energyThreshold) return i + 1;
  }
  return s.length;
}

/** Exact DMD of a trajectory [nSteps, stateDim] (MIScope compute_dmd). */
export function computeDmd(traj: ArrayLike<number>, nSteps: number, stateDim: number, energyThreshold = 0.99, withModes = false): DmdResult {
  if (nSteps < 2) throw new Error(`DMD needs at least 2 steps (got ${nSteps})`);
  const D = stateDim, m = nSteps - 1;
  // Z [K, nSteps]: the states as columns, in an orthonormal basis of their span when that is smaller.
  let K: number, Z: Float64Array, Q: Float64Array | null = null;
  const Y = new Float64Array(D * nSteps);
  for (let t = 0; t < nSteps; t++) for (let j = 0; j < D; j++) Y[j * nSteps + t] = traj[t * D + j];
  if (D > nSteps) {
    const qr = householderQr(Y, D, nSteps);
    K = qr.k; Z = qr.R; Q = qr.Q;
  } else { K = D; Z = Y; }
  const X = new Float64Array(K * m), Xp = new Float64Array(K * m);
  for (let i = 0; i < K; i++) for (let t = 0; t < m; t++) { X[i * m + t] = Z[i * nSteps + t]; Xp[i * m + t] = Z[i * nSteps + t + 1]; }
  const svd = thinSvd(X, K, m);
  const kk = svd.k;
  // No motion at all (X = 0): no modes, and the prediction of every step is 0 (MIScope divides by σ = 0 and returns NaN).
  const r = svd.s[0] > 0 ? Math.min(truncationRank(svd.s, energyThreshold), svd.s.filter((x) => x > 0).length) : 0;
  // B = X' V_r Σ_r⁻¹ [K, r]; Ã = U_rᵀ B [r, r].
  const B = new Float64Array(K * r);
  for (let i = 0; i < K; i++) for (let c = 0; c < r; c++) {
    let acc = 0;
    for (let t = 0; t < m; t++) acc += Xp[i * m + t] * svd.V[t * kk + c];
    B[i * r + c] = acc / svd.s[c];
  }
  const At = new Float64Array(r * r);
  for (let a = 0; a < r; a++) for (let c = 0; c < r; c++) {
    let acc = 0;
    for (let i = 0; i < K; i++) acc += svd.U[i * kk + a] * B[i * r + c];
    At[a * r + c] = acc;
  }
  const eig = realEigen(At, r);
  // Φ_Z = B W [K, r] complex.
  const Pr = new Float64Array(K * r), Pi = new Float64Array(K * r);
  for (let i = 0; i < K; i++) for (let c = 0; c < r; c++) {
    let ar = 0, ai = 0;
    for (let l = 0; l < r; l++) { ar += B[i * r + l] * eig.vre[l * r + c]; ai += B[i * r + l] * eig.vim[l * r + c]; }
    Pr[i * r + c] = ar; Pi[i * r + c] = ai;
  }
  // Amplitudes: numpy lstsq(Φ, x_0, rcond=None), cutoff max(state_dim, r)·ε·σ_max.
  const z0 = Float64Array.from({ length: K }, (_, i) => Z[i * nSteps]);
  const amp = complexLstsq(Pr, Pi, K, r, z0, new Float64Array(K), 1, Math.max(D, r) * 2 ** -52);
  // Residuals: modal coordinates Φ⁺ X (numpy pinv, rcond 1e-15), advanced by Λ, back through Φ.
  const modal = complexLstsq(Pr, Pi, K, r, X, new Float64Array(K * m), m, 1e-15);
  const residual = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    let sq = 0;
    for (let i = 0; i < K; i++) {
      let pred = 0;
      for (let c = 0; c < r; c++) {
        // Re(Φ_ic · λ_c · z_ct)
        const zr = eig.re[c] * modal.re[c * m + t] - eig.im[c] * modal.im[c * m + t];
        const zi = eig.re[c] * modal.im[c * m + t] + eig.im[c] * modal.re[c * m + t];
        pred += Pr[i * r + c] * zr - Pi[i * r + c] * zi;
      }
      const e = Xp[i * m + t] - pred;
      sq += e * e;
    }
    residual[t] = Math.sqrt(sq);
  }
  const out: DmdResult = {
    eigenvalues_re: eig.re, eigenvalues_im: eig.im, amplitudes_re: amp.re, amplitudes_im: amp.im,
    residual_norms: residual, singular_values: svd.s.slice(0, Math.min(D, m)), n_modes: r,
  };
  if (withModes) {
    if (Q) {
      const mr = new Float64Array(D * r), mi = new Float64Array(D * r);
      for (let j = 0; j < D; j++) for (let c = 0; c < r; c++) {
        let ar = 0, ai = 0;
        for (let i = 0; i < K; i++) { ar += Q[j * K + i] * Pr[i * r + c]; ai += Q[j * K + i] * Pi[i * r + c]; }
        mr[j * r + c] = ar; mi[j * r + c] = ai;
      }
      out.modes_re = mr; out.modes_im = mi;
    } else { out.modes_re = Pr; out.modes_im = Pi; }
  }
  return out;
}

export interface WindowedDmd {
  window_starts: number[]; window_ends: number[]; n_modes_per_window: number[]; max_modes: number;
  /** Per window, its n_modes eigenvalues and amplitudes (MIScope pads these to max_modes with NaN). */
  eigenvalues_re: number[][]; eigenvalues_im: number[][];
  amplitudes_re: number[][]; amplitudes_im: number[][];
  /** Per window, its window_size − 1 per-step residuals, their mean and max. */
  residual_norms: number[][]; residual_norm_mean: number[]; residual_norm_max: number[];
}

/** Sliding-window DMD (MIScope compute_windowed_dmd): windows [s, s + window_size) for s = 0, stride, … while they fit. */
export function computeWindowedDmd(traj: ArrayLike<number>, nSteps: number, stateDim: number, windowSize: number, stride = 1, energyThreshold = 0.99): WindowedDmd {
  if (windowSize < 2) throw new Error(`window_size must be >= 2 (got ${windowSize})`);
  if (windowSize > nSteps) throw new Error(`window_size (${windowSize}) must be <= n_steps (${nSteps})`);
  if (stride < 1) throw new Error(`stride must be >= 1 (got ${stride})`);
  const out: WindowedDmd = {
    window_starts: [], window_ends: [], n_modes_per_window: [], max_modes: 0, eigenvalues_re: [], eigenvalues_im: [],
    amplitudes_re: [], amplitudes_im: [], residual_norms: [], residual_norm_mean: [], residual_norm_max: [],
  };
  for (let s = 0; s + windowSize <= nSteps; s += stride) {
    const d = computeDmd(subarray(traj, s * stateDim, (s + windowSize) * stateDim), windowSize, stateDim, energyThreshold);
    out.window_starts.push(s); out.window_ends.push(s + windowSize); out.n_modes_per_window.push(d.n_modes);
    pushModes(out, d);
  }
  out.max_modes = Math.max(0, ...out.n_modes_per_window);
  return out;
}

/** The lists a window's or a regime's DMD adds to: its modes' eigenvalues and amplitudes, its residuals with their mean and max. */
interface ModeLists {
  eigenvalues_re: Sink<number[]>; eigenvalues_im: Sink<number[]>; amplitudes_re: Sink<number[]>; amplitudes_im: Sink<number[]>;
  residual_norms: Sink<number[]>; residual_norm_mean: Sink<number>; residual_norm_max: Sink<number>;
}
type Sink<T> = { push(x: T): unknown };

function pushModes(out: ModeLists, d: DmdResult): void {
  out.eigenvalues_re.push(Array.from(d.eigenvalues_re)); out.eigenvalues_im.push(Array.from(d.eigenvalues_im));
  out.amplitudes_re.push(Array.from(d.amplitudes_re)); out.amplitudes_im.push(Array.from(d.amplitudes_im));
  const res = Array.from(d.residual_norms);
  out.residual_norms.push(res);
  out.residual_norm_mean.push(res.reduce((a, x) => a + x, 0) / res.length);
  out.residual_norm_max.push(Math.max(...res));
}

function subarray(x: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return x instanceof Float64Array || x instanceof Float32Array ? x.subarray(from, to) : Array.prototype.slice.call(x, from, to) as number[];
}

/**
 * Greedy nearest-neighbour matching of eigenvalues across adjacent windows (MIScope
 * track_eigenvalues_across_windows): per pair of windows the (current, previous) pairs in
 * ascending |λ_cur − λ_prev| (ties by position, as a stable sort) take the previous slot's track
 * id while both are free; unmatched current eigenvalues start new tracks. track_ids[w][slot].
 */
export function trackEigenvaluesAcrossWindows(re: readonly (readonly number[])[], im: readonly (readonly number[])[]): { track_ids: number[][]; n_tracks: number } {
  const nW = re.length;
  const ids: number[][] = [];
  if (nW === 0) return { track_ids: ids, n_tracks: 0 };
  ids.push(re[0].map((_, i) => i));
  let next = re[0].length;
  for (let w = 1; w < nW; w++) {
    const kp = re[w - 1].length, kc = re[w].length;
    if (kp === 0 || kc === 0) { ids.push(re[w].map(() => next++)); continue; }
    const pairs: { d: number; i: number; j: number }[] = [];
    for (let i = 0; i < kc; i++) for (let j = 0; j < kp; j++) pairs.push({ d: Math.hypot(re[w][i] - re[w - 1][j], im[w][i] - im[w - 1][j]), i, j });
    pairs.sort((a, b) => a.d - b.d || a.i * kp + a.j - (b.i * kp + b.j));
    const usedPrev = new Array<boolean>(kp).fill(false);
    const cur = new Array<number>(kc).fill(-1);
    for (const { i, j } of pairs) {
      if (cur[i] === -1 && !usedPrev[j]) {
        cur[i] = ids[w - 1][j]; usedPrev[j] = true;
        if (cur.every((x) => x !== -1) || usedPrev.every(Boolean)) break;
      }
    }
    for (let i = 0; i < kc; i++) if (cur[i] === -1) cur[i] = next++;
    ids.push(cur);
  }
  return { track_ids: ids, n_tracks: next };
}

/** numpy median (the mean of the two middle values for an even count). */
export function median(x: ArrayLike<number>): number {
  const s = Array.from(x).sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * scipy.signal.find_peaks(x, height, prominence) without wlen: local maxima (a plateau counts
 * once, at its middle sample, rounded down) at least `height` high, then those whose topographic
 * prominence is at least `prominence`. Returns peak indices ascending and their prominences.
 */
export function findPeaks(x: ArrayLike<number>, height: number, prominence: number): { peaks: number[]; prominences: number[] } {
  const n = x.length;
  const cand: number[] = [];
  let i = 1;
  while (i < n - 1) {
    if (x[i - 1] < x[i]) {
      let ahead = i + 1;
      while (ahead < n - 1 && x[ahead] === x[i]) ahead++;
      if (x[ahead] < x[i]) { cand.push(Math.floor((i + ahead - 1) / 2)); i = ahead; }
    }
    i++;
  }
  const peaks: number[] = [], prominences: number[] = [];
  for (const pk of cand) {
    if (!(x[pk] >= height)) continue;
    let leftMin = x[pk];
    for (let j = pk; j >= 0 && x[j] <= x[pk]; j--) if (x[j] < leftMin) leftMin = x[j];
    let rightMin = x[pk];
    for (let j = pk; j < n && x[j] <= x[pk]; j++) if (x[j] < rightMin) rightMin = x[j];
    const prom = x[pk] - Math.max(leftMin, rightMin);
    if (prom >= prominence) { peaks.push(pk); prominences.push(prom); }
  }
  return { peaks, prominences };
}

export interface Regimes {
  /** Segments [start, end) in window index space, between consecutive boundaries. */
  segment_starts: number[]; segment_ends: number[];
  boundary_indices: number[]; threshold_used: number; min_prominence_used: number; peak_prominences: number[];
}

/**
 * Regime boundaries as prominent peaks of a residual signal (MIScope detect_regime_boundaries):
 * threshold median + 3·MAD and prominence max(MAD, 1e-12) unless given; the signal is padded with
 * min − 1 at both ends so that a peak at either end counts; segments run between boundaries
 * (a boundary at 0 gives the empty first segment [0, 0), as MIScope's does); segments shorter
 * than min_segment_length are merged into their longer neighbour.
 */
export function detectRegimeBoundaries(residuals: ArrayLike<number>, threshold?: number, minProminence?: number, minSegmentLength = 1): Regimes {
  const n = residuals.length;
  if (n === 0) throw new Error('residual_norms must be non-empty');
  if (minSegmentLength < 1) throw new Error(`min_segment_length must be >= 1 (got ${minSegmentLength})`);
  const med = median(residuals);
  const mad = median(Array.from(residuals, (x) => Math.abs(x - med)));
  const thr = threshold ?? med + 3 * mad;
  const prom = minProminence ?? Math.max(mad, 1e-12);
  let lo = Infinity;
  for (let i = 0; i < n; i++) lo = Math.min(lo, residuals[i]);
  const padded = [lo - 1, ...Array.from(residuals), lo - 1];
  const fp = findPeaks(padded, thr, prom);
  let boundaries = fp.peaks.map((p) => p - 1);
  let prominences = fp.prominences.filter((_, k) => boundaries[k] >= 0 && boundaries[k] < n);
  boundaries = boundaries.filter((b) => b >= 0 && b < n);
  let starts = [0, ...boundaries], ends = [...boundaries, n];
  if (minSegmentLength > 1) {
    [starts, ends] = mergeShortSegments(starts, ends, minSegmentLength);
    const kept = new Set(starts.slice(1));
    prominences = prominences.filter((_, k) => kept.has(boundaries[k]));
    boundaries = starts.slice(1);
  }
  return { segment_starts: starts, segment_ends: ends, boundary_indices: boundaries, threshold_used: thr, min_prominence_used: prom, peak_prominences: prominences };
}

/** MIScope _merge_short_segments: the first short segment merges into its longer neighbour (the left one on a tie), repeated. */
function mergeShortSegments(s0: number[], e0: number[], minLength: number): [number[], number[]] {
  const s = [...s0], e = [...e0];
  let changed = true;
  while (changed && s.length > 1) {
    changed = false;
    for (let i = 0; i < s.length; i++) {
      if (e[i] - s[i] >= minLength) continue;
      const left = i > 0 ? e[i - 1] - s[i - 1] : -1;
      const right = i < s.length - 1 ? e[i + 1] - s[i + 1] : -1;
      if (right < 0 || (left >= right && left > 0)) e[i - 1] = e[i];
      else s[i + 1] = s[i];
      s.splice(i, 1); e.splice(i, 1);
      changed = true;
      break;
    }
  }
  return [s, e];
}

/**
 * Regime segments from window space to step space (MIScope _regime_segments_to_step_space): a
 * regime's steps run from its first window's start to its last window's end. An empty segment
 * (a boundary at window 0) stays empty here; MIScope indexes window −1 for it, i.e. the last
 * window, and so fits its "regime" to the whole trajectory.
 */
export function regimeSegmentsToStepSpace(r: Pick<Regimes, 'segment_starts' | 'segment_ends'>, w: Pick<WindowedDmd, 'window_starts' | 'window_ends'>, nSteps: number): { starts: number[]; ends: number[] } {
  const starts: number[] = [], ends: number[] = [];
  r.segment_starts.forEach((s, k) => {
    const e = r.segment_ends[k];
    if (e <= s) { starts.push(w.window_starts[Math.min(s, w.window_starts.length - 1)]); ends.push(starts[starts.length - 1]); return; }
    starts.push(w.window_starts[s]);
    ends.push(Math.min(w.window_ends[e - 1], nSteps));
  });
  return { starts, ends };
}

export interface PerRegimeDmd {
  segment_starts: number[]; segment_ends: number[]; n_modes_per_segment: number[]; max_modes: number;
  eigenvalues_re: number[][]; eigenvalues_im: number[][]; amplitudes_re: number[][]; amplitudes_im: number[][];
  residual_norms: number[][];
  /** Null for segments shorter than 2 steps (MIScope: NaN). */
  residual_norm_mean: (number | null)[]; residual_norm_max: (number | null)[];
}

/** DMD inside each step-space segment [start, end) (MIScope compute_per_regime_dmd); segments under 2 steps get no modes. */
export function computePerRegimeDmd(traj: ArrayLike<number>, nSteps: number, stateDim: number, starts: readonly number[], ends: readonly number[], energyThreshold = 0.99): PerRegimeDmd {
  if (starts.length !== ends.length) throw new Error('segment_starts and segment_ends must have the same length');
  const out: PerRegimeDmd = {
    segment_starts: [...starts], segment_ends: [...ends], n_modes_per_segment: [], max_modes: 0, eigenvalues_re: [], eigenvalues_im: [],
    amplitudes_re: [], amplitudes_im: [], residual_norms: [], residual_norm_mean: [], residual_norm_max: [],
  };
  starts.forEach((s, k) => {
    const e = ends[k];
    if (s < 0 || e > nSteps || e < s) throw new Error(`invalid segment [${s}, ${e}) on trajectory with ${nSteps} steps`);
    if (e - s < 2) {
      out.n_modes_per_segment.push(0);
      for (const a of [out.eigenvalues_re, out.eigenvalues_im, out.amplitudes_re, out.amplitudes_im, out.residual_norms]) a.push([]);
      out.residual_norm_mean.push(null); out.residual_norm_max.push(null);
      return;
    }
    const d = computeDmd(subarray(traj, s * stateDim, e * stateDim), e - s, stateDim, energyThreshold);
    out.n_modes_per_segment.push(d.n_modes);
    pushModes(out, d);
  });
  out.max_modes = Math.max(0, ...out.n_modes_per_segment);
  return out;
}

export interface ActivationDmdSite {
  windowed: WindowedDmd;
  tracks: { track_ids: number[][]; n_tracks: number };
  regimes: Regimes;
  per_regime: PerRegimeDmd;
}

/**
 * MIScope activation_dmd's four stages on one site's trajectory: windowed DMD (window
 * min(window_size, n_steps)), eigenvalue tracks, regimes on the windows' mean residual, and DMD
 * per regime in step space.
 */
export function activationDmdSite(traj: ArrayLike<number>, nSteps: number, stateDim: number, windowSize = 10, stride = 1, energyThreshold = 0.99): ActivationDmdSite {
  const windowed = computeWindowedDmd(traj, nSteps, stateDim, Math.min(windowSize, nSteps), stride, energyThreshold);
  const tracks = trackEigenvaluesAcrossWindows(windowed.eigenvalues_re, windowed.eigenvalues_im);
  const regimes = detectRegimeBoundaries(windowed.residual_norm_mean);
  const steps = regimeSegmentsToStepSpace(regimes, windowed, nSteps);
  const per_regime = computePerRegimeDmd(traj, nSteps, stateDim, steps.starts, steps.ends, energyThreshold);
  return { windowed, tracks, regimes, per_regime };
}

/**
 * MIScope parameter_dmd's PCA preprocessing (ParameterDMD._project_pca) from the trajectory's
 * Gram matrix G (n × n, ⟨θ_i, θ_j⟩ of the flattened group slices, any common shift): global PCA,
 * the smallest number of components whose cumulative explained variance reaches `target`
 * (all of them when none does), capped at `maxComponents`, at least 1. Projections [n, k] row-major.
 */
export function projectPcaFromGram(G: ArrayLike<number>, n: number, target = 0.95, maxComponents = 50): { n_components: number; explained_variance_ratio: number[]; projections: Float64Array } {
  const pca = pcaFromGram(G, n, Math.min(maxComponents, n));
  let k = pca.k, cum = 0;
  for (let c = 0; c < pca.k; c++) { cum += pca.explainedVarianceRatio[c]; if (cum >= target) { k = c + 1; break; } }
  k = Math.max(1, Math.min(k, maxComponents));
  const projections = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) projections[i * k + c] = pca.projections[i * pca.k + c];
  return { n_components: k, explained_variance_ratio: Array.from(pca.explainedVarianceRatio.subarray(0, k)), projections };
}
