/**
 * Fourier nucleation (MIScope REQ_063: packages/miscope/src/miscope/analysis/analyzers/
 * fourier_nucleation.py): the latent frequency bias of the MLP's input weights, by projecting each
 * neuron's response over the token values on the Fourier basis and sharpening it iteratively.
 *
 * Response: R = (W_E[:p] · W_in)ᵀ, [d_mlp, p]: R[n, x] = Σ_j W_E[x, j] W_in[j, n] (W_in is
 * TransformerLens's [d_model, d_mlp]; MIScope's docstring calls it W_in·W_Eᵀ).
 * Basis: for k = 1..(p−1)/2 the unit cos and sin rows over x = 0..p−1 (rows 2k and 2k−1 of
 * math/basis.ts; no constant row). Projection: C[n, k] = R[n]·cos_k, S[n, k] = R[n]·sin_k,
 * energy E[n, k] = C² + S².
 * Snapshot of each iteration t = 0..iterations:
 *   aggregate[t, k]  = Σ_n E[n, k] / max_k Σ_n E[n, k]   (unscaled when that max is 0)
 *   peak[t, n]       = the k of max_k E[n, k] (the first on ties)
 *   committed[t, k]  = #{n : E[n, k] / max(Σ_k E[n, k], 1e−10) > 0.15}
 * Sharpening (after every snapshot but the last): keep = max(1, ⌊n_freqs · (1 − sharpness)⌋); per
 * neuron keep the frequencies with E[n, k] ≥ its keep-th largest energy (ties kept) and
 * reconstruct R[n] = Σ_kept C[n, k] cos_k + S[n, k] sin_k.
 * The basis rows are orthonormal, so the sharpening is a projection P: once a sharpening keeps, for
 * every neuron, the frequencies the previous one kept, it applies the same P to a response already
 * in P's range, which leaves it unchanged (to rounding), so every later snapshot repeats the last
 * one. That is MIScope's definition as written (its own output shows snapshots 1..iterations
 * repeating snapshot 1); here the repeated snapshots are copied instead of recomputed, which agrees
 * with the iteration carried out to rounding (≈1e−16 relative) and saves ~90 % of the time.
 * Everything in float64 (MIScope forms R in float32, then projects in float64).
 */
import { failure } from '../../core/errors.js';
import { fourierBasis, frequencyCount } from '../../math/basis.js';

/** MIScope's defaults (FourierNucleationAnalyzer.__init__ and _COMMIT_THRESHOLD). */
export const NUCLEATION_DEFAULTS = { iterations: 12, sharpness: 0.7, commitThreshold: 0.15 } as const;

/** R = (W_E[:p] · W_in)ᵀ as [d_mlp, p] row-major, W_E [rows ≥ p, d], W_in [d, m]. */
export function neuronResponse(WE: ArrayLike<number>, Win: ArrayLike<number>, p: number, d: number, m: number): Float64Array {
  if (WE.length < p * d) throw failure(`embedding has ${WE.length} values, fewer than p·d_model = ${p * d}`);
  if (Win.length !== d * m) throw failure(`W_in has ${Win.length} values, expected d_model·d_mlp = ${d * m}`);
  const RT = new Float64Array(p * m); // [p, m]
  for (let x = 0; x < p; x++) {
    const row = RT.subarray(x * m, (x + 1) * m);
    for (let j = 0; j < d; j++) {
      const w = WE[x * d + j];
      for (let n = 0; n < m; n++) row[n] += w * Win[j * m + n];
    }
  }
  const R = new Float64Array(m * p);
  for (let x = 0; x < p; x++) for (let n = 0; n < m; n++) R[n * p + x] = RT[x * m + n];
  return R;
}

export interface Nucleation {
  /** 1..(p−1)/2. */
  frequencies: Int32Array;
  /** [iterations + 1, n_freqs]. */
  aggregateEnergy: Float64Array;
  /** [iterations + 1, d_mlp]: the peak frequency k (1-based). */
  peakFrequency: Int32Array;
  /** [iterations + 1, n_freqs]. */
  committedCount: Int32Array;
  iterations: number;
  sharpness: number;
}

/** The iteration above on a response R [m, p]. */
export function fourierNucleation(R: ArrayLike<number>, p: number, m: number, iterations: number = NUCLEATION_DEFAULTS.iterations, sharpness: number = NUCLEATION_DEFAULTS.sharpness): Nucleation {
  if (R.length !== m * p) throw failure(`response has ${R.length} values, expected d_mlp·p = ${m * p}`);
  if (!(Number.isInteger(iterations) && iterations >= 0)) throw failure(`iterations must be a whole number ≥ 0, got ${iterations}`);
  if (!(sharpness >= 0 && sharpness <= 1)) throw failure(`sharpness must be in [0, 1], got ${sharpness}`);
  const B = fourierBasis(p), nF = frequencyCount(p);
  const keep = Math.max(1, Math.floor(nF * (1 - sharpness)));
  const frequencies = Int32Array.from({ length: nF }, (_, i) => i + 1);
  const aggregateEnergy = new Float64Array((iterations + 1) * nF);
  const peakFrequency = new Int32Array((iterations + 1) * m);
  const committedCount = new Int32Array((iterations + 1) * nF);
  const cur = Float64Array.from(R);
  const C = new Float64Array(m * nF), S = new Float64Array(m * nF), E = new Float64Array(m * nF);
  const sorted = new Float64Array(nF);
  // The frequencies each neuron's last sharpening kept (1) and whether the previous sharpening kept the same.
  const kept = new Uint8Array(m * nF);
  let sharpenings = 0;
  for (let it = 0; it <= iterations; it++) {
    for (let n = 0; n < m; n++) {
      const r = cur.subarray(n * p, (n + 1) * p);
      for (let k = 1; k <= nF; k++) {
        const cosRow = B.subarray(2 * k * p, (2 * k + 1) * p), sinRow = B.subarray((2 * k - 1) * p, 2 * k * p);
        let c = 0, s = 0;
        for (let x = 0; x < p; x++) { c += r[x] * cosRow[x]; s += r[x] * sinRow[x]; }
        C[n * nF + k - 1] = c; S[n * nF + k - 1] = s; E[n * nF + k - 1] = c * c + s * s;
      }
    }
    // Snapshot.
    const agg = aggregateEnergy.subarray(it * nF, (it + 1) * nF);
    for (let n = 0; n < m; n++) for (let k = 0; k < nF; k++) agg[k] += E[n * nF + k];
    let mx = -Infinity;
    for (let k = 0; k < nF; k++) mx = Math.max(mx, agg[k]);
    if (mx > 0) for (let k = 0; k < nF; k++) agg[k] /= mx;
    for (let n = 0; n < m; n++) {
      let best = 0, tot = 0;
      for (let k = 0; k < nF; k++) { const e = E[n * nF + k]; tot += e; if (e > E[n * nF + best]) best = k; }
      peakFrequency[it * m + n] = frequencies[best];
      tot = Math.max(tot, 1e-10);
      for (let k = 0; k < nF; k++) if (E[n * nF + k] / tot > NUCLEATION_DEFAULTS.commitThreshold) committedCount[it * nF + k]++;
    }
    if (it === iterations) break;
    // Sharpen.
    let same = sharpenings > 0;
    for (let n = 0; n < m; n++) {
      const e = E.subarray(n * nF, (n + 1) * nF);
      sorted.set(e);
      sorted.sort();
      const threshold = sorted[nF - keep];
      const r = cur.subarray(n * p, (n + 1) * p);
      r.fill(0);
      for (let k = 1; k <= nF; k++) {
        const on = e[k - 1] >= threshold ? 1 : 0;
        if (kept[n * nF + k - 1] !== on) { same = false; kept[n * nF + k - 1] = on; }
        if (!on) continue;
        const c = C[n * nF + k - 1], s = S[n * nF + k - 1];
        const cosRow = B.subarray(2 * k * p, (2 * k + 1) * p), sinRow = B.subarray((2 * k - 1) * p, 2 * k * p);
        for (let x = 0; x < p; x++) r[x] += c * cosRow[x] + s * sinRow[x];
      }
    }
    sharpenings++;
    if (same) {
      // The same projection as the last one: snapshots it+1..iterations repeat snapshot it.
      for (let t = it + 1; t <= iterations; t++) {
        aggregateEnergy.copyWithin(t * nF, it * nF, (it + 1) * nF);
        peakFrequency.copyWithin(t * m, it * m, (it + 1) * m);
        committedCount.copyWithin(t * nF, it * nF, (it + 1) * nF);
      }
      break;
    }
  }
  return { frequencies, aggregateEnergy, peakFrequency, committedCount, iterations, sharpness };
}
