/**
 * Coarseness in the modular Fourier basis (docs/design.md §3), for every neuron of a checkpoint at once.
 *
 *   B        the orthonormal basis of basis.ts: row 0 constant, rows 2k−1, 2k = sin, cos of frequency k
 *   F        = B · A · Bᵀ for each neuron's p × p map A (A[a][b]), then F[0][0] = 0
 *   frac_k   = Σ_{x∈I_k} Σ_{y∈I_k} F[x][y]² / Σ_{x,y} F[x][y]²,   I_k = {0, 2k−1, 2k},  k = 1..(p−1)/2
 *   coarseness = Σ_{k=1..K} frac_k   (K = --low-freqs, default 3; a K above (p−1)/2 counts them all)
 * Per neuron also: the denominator (variance), the dominant frequency argmax_k frac_k (1-based, first
 * maximum wins) and its fraction max_k frac_k (the "frequency concentration"), and the shares of the
 * variance in a-only terms F[x][0] (x ≠ 0), b-only terms F[0][y] (y ≠ 0) and joint terms (x, y ≠ 0).
 *
 * How. The maps come as [p², m] (row a·p+b, column n), i.e. a [p, p·m] matrix over a. Each neuron is
 * first centred (that changes only F[0][0], zeroed anyway, and keeps float32 rounding relative to
 * the neuron's spread rather than its mean). G = B·A is one GEMM [p,p]·[p,p·m]; of
 * F[x] = B·G[x] only what the fractions need is formed, as small GEMMs: the whole row x = 0, and
 * y ∈ I_{k(x)} for x ≥ 1. The denominator Σ F² equals Σ (A − mean A)² (B orthonormal, Parseval) and
 * is computed from A directly in float64; joint = 1 − aOnly − bOnly. The tests check both identities
 * against the full transform (`fourierTransform`) and a direct double sum.
 *
 * Flat rule: a neuron is flat when Σ (A − mean A)² ≤ 1e-12 · Σ A² (in float64; an all-zero dead
 * neuron included): its deviations are below 1e-6 of its RMS value, i.e. float32 rounding noise on
 * a constant map. A flat neuron has no coarseness (NaN here, null in JSON) and is counted, unless
 * `flatAsZero` (MIScope's clamped denominator), which scores it 0. Its stored fractions and shares
 * are 0 and its dominant frequency 0.
 */
import type { Kernels, Vec } from '../../engine/kernels.js';
import { failure } from '../../core/errors.js';
import { checkOddP, fourierBasis, frequencyCount } from '../../math/basis.js';
import { Scratch } from './scratch.js';

export const FLAT_TOLERANCE = 1e-12;

export interface NeuronFourier {
  p: number; dMlp: number; nFreq: number;
  /** [(p−1)/2, d_mlp]: frac[(k−1)·d_mlp + n]. */
  frac: Float32Array;
  variance: Float32Array; flat: Uint8Array;
  aOnly: Float32Array; bOnly: Float32Array; joint: Float32Array;
  dominantFrequency: Int32Array; dominantFraction: Float32Array;
}

/**
 * The maps shifted by an approximate mean c of each neuron (the engine's column sums: a constant
 * shift changes only F[0][0]), in the engine's precision, and per neuron, in float64 from the
 * shifted sums s1 = Σ d, s2 = Σ d² (d = A − c), Σ (A − mean)² = s2 − s1²/p² and Σ A².
 */
function centre(k: Kernels, maps: Vec, p: number, m: number, scratch: Scratch): { Ac: Vec; variance: Float64Array; sumSq: Float64Array } {
  const P2 = p * p;
  if (maps.length !== P2 * m) throw failure(`activation maps hold ${maps.length} values, expected ${P2}·${m}`);
  const colSums = k.alloc(m);
  if (maps instanceof (k.precision === 'f32' ? Float32Array : Float64Array)) k.colSum(P2, m, maps, colSums, false);
  else for (let i = 0; i < P2; i++) for (let n = 0; n < m; n++) colSums[n] += maps[i * m + n];
  const shift = new Float64Array(m);
  for (let n = 0; n < m; n++) shift[n] = colSums[n] / P2;
  const s1 = new Float64Array(m), s2 = new Float64Array(m);
  const Ac = scratch.vec(k, 'fourier.Ac', P2 * m);
  let i = 0;
  for (; i + 4 <= P2; i += 4) { // four rows at a time: one accumulator update per four values
    const o0 = i * m, o1 = o0 + m, o2 = o1 + m, o3 = o2 + m;
    for (let n = 0; n < m; n++) {
      const sh = shift[n];
      const d0 = maps[o0 + n] - sh, d1 = maps[o1 + n] - sh, d2 = maps[o2 + n] - sh, d3 = maps[o3 + n] - sh;
      Ac[o0 + n] = d0; Ac[o1 + n] = d1; Ac[o2 + n] = d2; Ac[o3 + n] = d3;
      s1[n] += (d0 + d1) + (d2 + d3);
      s2[n] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);
    }
  }
  for (; i < P2; i++) {
    const o = i * m;
    for (let n = 0; n < m; n++) { const d = maps[o + n] - shift[n]; Ac[o + n] = d; s1[n] += d; s2[n] += d * d; }
  }
  const variance = new Float64Array(m), sumSq = new Float64Array(m);
  for (let n = 0; n < m; n++) {
    variance[n] = Math.max(0, s2[n] - (s1[n] * s1[n]) / P2);
    sumSq[n] = s2[n] + 2 * shift[n] * s1[n] + P2 * shift[n] * shift[n];
  }
  return { Ac, variance, sumSq };
}

/** G = B · A over all neurons ([p, p·m]) and B in the engine's precision. */
function firstStage(k: Kernels, Ac: Vec, p: number, m: number, scratch: Scratch): { B: Vec; G: Vec } {
  const B = k.alloc(p * p);
  B.set(fourierBasis(p));
  const G = scratch.vec(k, 'fourier.G', p * p * m);
  k.gemm(false, false, p, p * m, p, 1, B, Ac, 0, G);
  return { B, G };
}

/** The full transform F = B·A·Bᵀ with F[0][0] = 0, as [p, p, m] (F[(x·p + y)·m + n]). For tests and views. */
export function fourierTransform(k: Kernels, maps: Vec, p: number, m: number): Vec {
  checkOddP(p);
  const scratch = new Scratch();
  const { Ac } = centre(k, maps, p, m, scratch);
  const { B, G } = firstStage(k, Ac, p, m, scratch);
  const F = k.alloc(p * p * m);
  for (let x = 0; x < p; x++) k.gemm(false, false, p, m, p, 1, B, G.subarray(x * p * m, (x + 1) * p * m), 0, F.subarray(x * p * m, (x + 1) * p * m));
  F.fill(0, 0, m);
  return F;
}

/**
 * Fractions, variance, flatness, dominant frequency and variance shares of every neuron's map.
 * A long-lived `scratch` (see scratch.ts) saves re-touching ~2·p²·m fresh values per call.
 */
export function neuronFourier(k: Kernels, maps: Vec, p: number, m: number, scratch = new Scratch()): NeuronFourier {
  checkOddP(p);
  const nF = frequencyCount(p);
  const { Ac, variance, sumSq } = centre(k, maps, p, m, scratch);
  const { B, G } = firstStage(k, Ac, p, m, scratch);
  const block = new Float64Array(nF * m), aSum = new Float64Array(m), bSum = new Float64Array(m);
  // Row x = 0: the b-only terms F[0][y], which also belong to block k(y).
  const F0 = k.alloc(p * m);
  k.gemm(false, false, p, m, p, 1, B, G.subarray(0, p * m), 0, F0);
  for (let y = 1; y < p; y++) {
    const o = y * m, bo = (((y + 1) >> 1) - 1) * m;
    for (let n = 0; n < m; n++) { const s = F0[o + n] * F0[o + n]; bSum[n] += s; block[bo + n] += s; }
  }
  // Rows x = 2f−1, 2f: F[x][y] for y ∈ I_f = {0, 2f−1, 2f}, through the 3 × p slice [B₀; B_{2f−1}; B_{2f}].
  const Bsel = k.alloc(3 * p), Fx = k.alloc(3 * m);
  Bsel.set(B.subarray(0, p), 0);
  for (let f = 1; f <= nF; f++) {
    Bsel.set(B.subarray((2 * f - 1) * p, (2 * f + 1) * p), p);
    const bo = (f - 1) * m;
    for (const x of [2 * f - 1, 2 * f]) {
      k.gemm(false, false, 3, m, p, 1, Bsel, G.subarray(x * p * m, (x + 1) * p * m), 0, Fx);
      for (let n = 0; n < m; n++) {
        const a = Fx[n] * Fx[n];
        aSum[n] += a;
        block[bo + n] += a + Fx[m + n] * Fx[m + n] + Fx[2 * m + n] * Fx[2 * m + n];
      }
    }
  }
  const out: NeuronFourier = {
    p, dMlp: m, nFreq: nF, frac: new Float32Array(nF * m), variance: Float32Array.from(variance), flat: new Uint8Array(m),
    aOnly: new Float32Array(m), bOnly: new Float32Array(m), joint: new Float32Array(m),
    dominantFrequency: new Int32Array(m), dominantFraction: new Float32Array(m),
  };
  for (let n = 0; n < m; n++) {
    const v = variance[n];
    if (v <= FLAT_TOLERANCE * sumSq[n]) { out.flat[n] = 1; continue; }
    let best = -1, bestK = 0;
    for (let f = 0; f < nF; f++) {
      const fr = Math.min(1, block[f * m + n] / v);
      out.frac[f * m + n] = fr;
      if (fr > best) { best = fr; bestK = f + 1; }
    }
    out.dominantFrequency[n] = bestK;
    out.dominantFraction[n] = best;
    const a = Math.min(1, aSum[n] / v), b = Math.min(1, bSum[n] / v);
    out.aOnly[n] = a; out.bOnly[n] = b; out.joint[n] = Math.max(0, 1 - a - b);
  }
  return out;
}

/**
 * Coarseness Σ_{k≤K} frac_k per neuron from stored fractions (clamped to [0, 1] against rounding);
 * NaN for flat neurons, or 0 with `flatAsZero`.
 */
export function coarsenessFromFractions(frac: ArrayLike<number>, flat: ArrayLike<number>, nFreq: number, m: number,
                                        K: number, flatAsZero = false): Float64Array {
  if (!Number.isInteger(K) || K < 1) throw failure(`coarseness needs an integer K ≥ 1, got ${K}`);
  const out = new Float64Array(m);
  const kk = Math.min(K, nFreq);
  for (let n = 0; n < m; n++) {
    if (flat[n]) { out[n] = flatAsZero ? 0 : NaN; continue; }
    let s = 0;
    for (let f = 0; f < kk; f++) s += frac[f * m + n];
    out[n] = Math.min(1, Math.max(0, s));
  }
  return out;
}

/** Frequency concentration max_k frac_k per neuron; NaN for flat neurons. */
export function concentrationFromFractions(frac: ArrayLike<number>, flat: ArrayLike<number>, nFreq: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let n = 0; n < m; n++) {
    if (flat[n]) { out[n] = NaN; continue; }
    let best = 0;
    for (let f = 0; f < nFreq; f++) best = Math.max(best, frac[f * m + n]);
    out[n] = best;
  }
  return out;
}
