import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activationDmdSite, computeDmd, computeWindowedDmd, detectRegimeBoundaries, findPeaks, median, regimeSegmentsToStepSpace, trackEigenvaluesAcrossWindows,
} from '../../../src/analysis/library/dmd.js';
import { normal, rng } from '../helpers.js';
import { matmul as mul, similarSystem, type Block } from '../../helpers/linear-system.js';

/** A = S·B·S⁻¹ (n × n), B block diagonal of rotation-and-decay blocks r·R(θ) and real entries. */
function system(blocks: Block[], seed: number): { A: Float64Array; n: number; eig: [number, number][] } {
  return similarSystem(blocks, seed, 0.25);
}

/** x_{t+1} = A_t x_t from x_0 (n-dim), each state mapped into D dimensions by E [D, n] (orthonormal columns): rows [steps, D]. */
function simulate(As: (t: number) => Float64Array, n: number, steps: number, x0: Float64Array, E: Float64Array, D: number): Float64Array {
  const out = new Float64Array(steps * D);
  let x = x0;
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < D; j++) { let v = 0; for (let i = 0; i < n; i++) v += E[j * n + i] * x[i]; out[t * D + j] = v; }
    x = mul(As(t), x, n, n, 1);
  }
  return out;
}

/** D × n with orthonormal columns (Gram–Schmidt of random vectors). */
function embedding(D: number, n: number, seed: number): Float64Array {
  const g = normal(rng(seed));
  const cols: Float64Array[] = [];
  while (cols.length < n) {
    const v = Float64Array.from({ length: D }, () => g());
    for (const u of cols) { let d = 0; for (let j = 0; j < D; j++) d += v[j] * u[j]; for (let j = 0; j < D; j++) v[j] -= d * u[j]; }
    const nr = Math.hypot(...v);
    cols.push(v.map((x) => x / nr));
  }
  return Float64Array.from({ length: D * n }, (_, k) => cols[k % n][Math.floor(k / n)]);
}

function matchAll(re: ArrayLike<number>, im: ArrayLike<number>, want: [number, number][], tol: number, what: string): void {
  assert.equal(re.length, want.length, `${what}: ${re.length} eigenvalues, want ${want.length}`);
  const used = new Set<number>();
  for (const [wr, wi] of want) {
    let best = -1, bd = Infinity;
    for (let j = 0; j < re.length; j++) if (!used.has(j)) { const d = Math.hypot(re[j] - wr, im[j] - wi); if (d < bd) { bd = d; best = j; } }
    assert.ok(bd < tol, `${what}: eigenvalue ${wr.toFixed(6)}${wi >= 0 ? '+' : ''}${wi.toFixed(6)}i off by ${bd.toExponential(2)}`);
    used.add(best);
  }
}

const BLOCKS = [{ r: 0.97, theta: 0.21 }, { r: 0.9, theta: 1.1 }, { real: 0.8 }, { real: -0.5 }];

test('exact DMD of x_{t+1} = A x_t (rotation-and-decay blocks, similarity-transformed, embedded in 40 dimensions) recovers the eigenvalues of A to 1e-9, with zero residual and modes that reconstruct the trajectory', () => {
  const { A, n, eig } = system(BLOCKS, 1);
  const D = 40, steps = 25;
  const x0 = Float64Array.from({ length: n }, (_, i) => 1 + 0.3 * i);
  const traj = simulate(() => A, n, steps, x0, embedding(D, n, 2), D);
  const d = computeDmd(traj, steps, D, 1 - 1e-12, true);
  assert.equal(d.n_modes, n);
  matchAll(d.eigenvalues_re, d.eigenvalues_im, eig, 1e-9, 'eigenvalues');
  assert.equal(d.singular_values.length, Math.min(D, steps - 1));
  for (const r of d.residual_norms) assert.ok(r < 1e-9, `residual ${r}`);
  // x_t = Re Σ_i α_i λ_i^t φ_i.
  for (let t = 0; t < steps; t += 6) for (let j = 0; j < D; j += 7) {
    let v = 0;
    for (let c = 0; c < d.n_modes; c++) {
      const mod = Math.hypot(d.eigenvalues_re[c], d.eigenvalues_im[c]) ** t, ang = Math.atan2(d.eigenvalues_im[c], d.eigenvalues_re[c]) * t;
      const pr = mod * Math.cos(ang), pi = mod * Math.sin(ang);
      const ar = d.amplitudes_re[c] * pr - d.amplitudes_im[c] * pi, ai = d.amplitudes_re[c] * pi + d.amplitudes_im[c] * pr;
      v += d.modes_re![j * d.n_modes + c] * ar - d.modes_im![j * d.n_modes + c] * ai;
    }
    assert.ok(Math.abs(v - traj[t * D + j]) < 1e-9, `reconstruction t=${t} j=${j}: ${v} vs ${traj[t * D + j]}`);
  }
  // The same trajectory without the embedding (state_dim < n_steps: no QR) gives the same eigenvalues.
  const small = simulate(() => A, n, steps, x0, Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)), n);
  const d2 = computeDmd(small, steps, n, 1 - 1e-12);
  matchAll(d2.eigenvalues_re, d2.eigenvalues_im, eig, 1e-9, 'eigenvalues (no embedding)');
  d.singular_values.slice(0, n).forEach((s, i) => assert.ok(Math.abs(s - d2.singular_values[i]) < 1e-10 * d.singular_values[0], 'orthonormal embedding keeps σ'));
});

test('energy truncation keeps the smallest rank with ≥ threshold of Σσ², and a noisy linear system leaves a small residual', () => {
  const { A, n } = system(BLOCKS, 3);
  const D = 30, steps = 30;
  const g = normal(rng(9));
  const clean = simulate(() => A, n, steps, Float64Array.from({ length: n }, () => 1), embedding(D, n, 4), D);
  const noisy = clean.map((x) => x + 1e-6 * g());
  const d = computeDmd(noisy, steps, D, 0.99);
  const e = d.singular_values.map((s) => s * s), tot = e.reduce((a, x) => a + x, 0);
  let cum = 0;
  for (let i = 0; i < d.n_modes; i++) cum += e[i];
  assert.ok(cum / tot >= 0.99 && (cum - e[d.n_modes - 1]) / tot < 0.99, `rank ${d.n_modes}`);
  const full = computeDmd(noisy, steps, D, 1 - 1e-9);
  assert.ok(full.n_modes >= n);
  for (const r of full.residual_norms) assert.ok(r < 1e-4, `noisy residual ${r}`);
});

test('a system that switches A at step 60: every regime boundary of the windowed residual is a window containing the switch, and windows inside either stretch recover that stretch\'s eigenvalues', () => {
  // Slowly decaying modes (|λ| ≥ 0.96), so that none fades below the truncation within 120 steps.
  const s1 = system([{ r: 0.99, theta: 0.21 }, { r: 0.98, theta: 1.1 }, { real: 0.97 }, { real: -0.99 }], 5);
  const s2 = system([{ r: 0.995, theta: 0.6 }, { r: 0.97, theta: 2.2 }, { real: 0.98 }, { real: 0.96 }], 6);
  const n = s1.n, D = 24, steps = 120, SWITCH = 60, W = 10;
  // x_{t+1} = A1 x_t for t < SWITCH, A2 x_t from then on.
  const traj = simulate((t) => (t < SWITCH ? s1.A : s2.A), n, steps, Float64Array.from({ length: n }, (_, i) => 1 + 0.2 * i), embedding(D, n, 7), D);
  const site = activationDmdSite(traj, steps, D, W, 1, 1 - 1e-10);
  const w = site.windowed;
  assert.equal(w.window_starts.length, steps - W + 1);
  const straddles = (k: number) => w.window_starts[k] <= SWITCH - 1 && w.window_ends[k] >= SWITCH + 2;
  // Windows wholly inside one stretch fit exactly and recover its eigenvalues; those holding the switch do not fit.
  w.window_starts.forEach((s, k) => {
    if (straddles(k)) { assert.ok(w.residual_norm_mean[k] > 1e-4, `switch window ${k}: residual ${w.residual_norm_mean[k]}`); return; }
    assert.ok(w.residual_norm_mean[k] < 1e-9, `window ${k} residual ${w.residual_norm_mean[k]}`);
    matchAll(w.eigenvalues_re[k], w.eigenvalues_im[k], (s + W <= SWITCH + 1 ? s1 : s2).eig, 1e-7, `window ${k}`);
  });
  const bs = site.regimes.boundary_indices;
  assert.ok(bs.length >= 1, 'a boundary is found');
  for (const b of bs) assert.ok(straddles(b), `boundary window ${b} = [${w.window_starts[b]}, ${w.window_ends[b]}) does not hold the switch`);
  // The largest peak is the window with the largest residual.
  const top = bs[site.regimes.peak_prominences.indexOf(Math.max(...site.regimes.peak_prominences))];
  assert.equal(w.residual_norm_mean[top], Math.max(...w.residual_norm_mean));
  // Segments run between boundaries; in step space, from the first window's start to the last window's end.
  assert.deepEqual(site.regimes.segment_starts, [0, ...bs]);
  assert.deepEqual(site.regimes.segment_ends, [...bs, w.window_starts.length]);
  const st = regimeSegmentsToStepSpace(site.regimes, w, steps);
  assert.deepEqual(st.starts, [0, ...bs]);
  assert.deepEqual(st.ends, [...bs.map((b) => b - 1 + W), steps]);
  assert.deepEqual(site.per_regime.segment_starts, st.starts);
  // Per-regime DMD: one entry per regime, each fitted on its step-space stretch.
  assert.equal(site.per_regime.n_modes_per_segment.length, bs.length + 1);
  st.starts.forEach((s0, k) => {
    if (st.ends[k] - s0 < 2) return;
    assert.ok(site.per_regime.n_modes_per_segment[k] >= 1);
    // A regime whose steps hold the switch is fitted by no single linear map: its residual is not zero.
    const holds = s0 <= SWITCH - 1 && st.ends[k] >= SWITCH + 2;
    assert.equal(site.per_regime.residual_norm_mean[k]! > 1e-6, holds, `regime ${k} [${s0}, ${st.ends[k]}): residual ${site.per_regime.residual_norm_mean[k]}`);
  });
  // DMD over the pure A2 stretch (from the switch on) as one trajectory recovers A2.
  const tail = activationDmdSite(traj.subarray(SWITCH * D), steps - SWITCH, D, W, 1, 1 - 1e-10);
  tail.windowed.eigenvalues_re.forEach((re, k) => matchAll(re, tail.windowed.eigenvalues_im[k], s2.eig, 1e-7, `tail window ${k}`));
});

test('scipy find_peaks semantics: plateaus at their middle, height then prominence filters', () => {
  const x = [0, 2, 1, 3, 3, 3, 0, 1, 0];
  assert.deepEqual(findPeaks(x, -Infinity, 0), { peaks: [1, 4, 7], prominences: [1, 3, 1] });
  assert.deepEqual(findPeaks(x, 1.5, 0).peaks, [1, 4]);
  assert.deepEqual(findPeaks(x, 1.5, 1.5).peaks, [4]);
  // An even plateau rounds its middle down; edges are never peaks.
  assert.deepEqual(findPeaks([5, 1, 4, 4, 1, 5], -Infinity, 0).peaks, [2]);
  assert.equal(median([3, 1, 2, 10]), 2.5);
});

test('regime boundaries: threshold median + 3·MAD, edge peaks through the padding (a boundary at 0 gives the empty segment [0, 0)), and short segments merged', () => {
  const r = [1, 1.05, 0.9, 1, 8, 1, 1.05, 0.95, 1, 1]; // the 1.05s are local maxima below the threshold
  const reg = detectRegimeBoundaries(r);
  const med = 1, mad = 0.025; // |r − 1| sorted: six values ≤ 0.05 and their middle pair (0, 0.05)
  assert.ok(Math.abs(reg.threshold_used - (med + 3 * mad)) < 1e-12, `threshold ${reg.threshold_used}`);
  assert.deepEqual(reg.boundary_indices, [4]);
  assert.deepEqual([reg.segment_starts, reg.segment_ends], [[0, 4], [4, 10]]);
  // Decaying from a high start: the first window is a boundary.
  const dec = detectRegimeBoundaries([9, 5, 1, 1.1, 1, 0.9, 1, 1]);
  assert.deepEqual(dec.boundary_indices, [0]);
  assert.deepEqual([dec.segment_starts, dec.segment_ends], [[0, 0], [0, 8]]);
  const steps = regimeSegmentsToStepSpace(dec, { window_starts: [0, 1, 2, 3, 4, 5, 6, 7], window_ends: [3, 4, 5, 6, 7, 8, 9, 10] }, 10);
  assert.deepEqual(steps, { starts: [0, 0], ends: [0, 10] });
  // Two boundaries 1 apart with min_segment_length 2: the one-window segment merges into its longer neighbour.
  const two = detectRegimeBoundaries([1, 1, 1, 9, 8.5, 9, 1, 1, 1, 1, 1, 1], 2, 0.1, 2);
  assert.deepEqual(two.segment_starts.length, two.segment_ends.length);
  for (let k = 0; k < two.segment_starts.length; k++) assert.ok(two.segment_ends[k] - two.segment_starts[k] >= 2);
  assert.deepEqual(two.boundary_indices, two.segment_starts.slice(1));
});

test('eigenvalue tracks follow the nearest eigenvalue across windows whatever the slot order, and new modes get new ids', () => {
  const re = [[0.9, 0.5], [0.52, 0.89], [0.53, 0.88, -0.3]];
  const im = [[0.1, 0], [0, 0.11], [0, 0.12, 0]];
  const t = trackEigenvaluesAcrossWindows(re, im);
  assert.deepEqual(t.track_ids, [[0, 1], [1, 0], [1, 0, 2]]);
  assert.equal(t.n_tracks, 3);
  const w = computeWindowedDmd(new Float64Array(12).map((_, i) => Math.cos(i)), 12, 1, 4);
  assert.equal(w.window_starts.length, 9);
});
