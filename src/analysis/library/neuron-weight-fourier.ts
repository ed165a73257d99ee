/**
 * The neurons' weight Fourier decomposition (MIScope REQ_049, analyzers/neuron_fourier.py with
 * library/fourier.py compose_neuron_fourier_weights and extract_frequency_pairs): per neuron m,
 *   θ_m = W_E[:p]·W_in[:, m]  (its input weight per token, length p),
 *   ξ_m = W_out[m, :]·W_U     (its output weight per logit, length p),
 * their coefficients G = B·θ, R = B·ξ on the normalised Fourier basis B (math/basis.ts: row 2k−1
 * sin, row 2k cos, MIScope's get_fourier_basis), and per frequency k = 1..(p−1)/2 the magnitude and
 * phase of each (sin, cos) pair (He et al. 2026 §5.1):
 *   alpha_mk = ‖(G[2k−1], G[2k])‖, phi_mk = atan2(−G[2k−1], G[2k]) ∈ (−π, π],
 *   beta_mk  = ‖(R[2k−1], R[2k])‖, psi_mk = atan2(−R[2k−1], R[2k]),
 * so a θ_m = A·cos(2πk t/p + φ) has alpha_mk = A·√(p/2) and phi_mk = φ. MIScope's code has no
 * extra √(2/p) factor (REQ_049's draft formula has one; the code and its tests do not).
 * W_E [p+1, d], W_in [d, m], W_out [m, d], W_U [d, p] row-major (TransformerLens layout).
 */

/** θ = W_E[:p]·W_in [p, m] (row t = token). */
export function composeTheta(WE: ArrayLike<number>, Win: ArrayLike<number>, p: number, d: number, m: number): Float64Array {
  const theta = new Float64Array(p * m);
  for (let t = 0; t < p; t++) for (let j = 0; j < d; j++) {
    const e = WE[t * d + j];
    if (e === 0) continue;
    const o = j * m, q = t * m;
    for (let n = 0; n < m; n++) theta[q + n] += e * Win[o + n];
  }
  return theta;
}

/** ξ = (W_out·W_U)ᵀ [p, m] (row t = logit). */
export function composeXi(Wout: ArrayLike<number>, WU: ArrayLike<number>, p: number, d: number, m: number): Float64Array {
  const xi = new Float64Array(p * m);
  for (let n = 0; n < m; n++) for (let j = 0; j < d; j++) {
    const w = Wout[n * d + j];
    if (w === 0) continue;
    for (let t = 0; t < p; t++) xi[t * m + n] += w * WU[j * p + t];
  }
  return xi;
}

/** The coefficients B·V [p, m] of m length-p vectors V [p, m] (column n = vector n) on the basis B [p, p]. */
export function basisCoefficients(V: ArrayLike<number>, p: number, m: number, B: ArrayLike<number>): Float64Array {
  const c = new Float64Array(p * m);
  for (let r = 0; r < p; r++) for (let t = 0; t < p; t++) {
    const b = B[r * p + t], q = t * m, o = r * m;
    for (let n = 0; n < m; n++) c[o + n] += b * V[q + n];
  }
  return c;
}

/** MIScope extract_frequency_pairs of coefficients C [p, m]: magnitudes and phases [m, (p−1)/2] (column k−1 for frequency k). */
export function extractFrequencyPairs(C: ArrayLike<number>, p: number, m: number): { magnitudes: Float64Array; phases: Float64Array } {
  const K = (p - 1) / 2, magnitudes = new Float64Array(m * K), phases = new Float64Array(m * K);
  for (let k = 1; k <= K; k++) for (let n = 0; n < m; n++) {
    const s = C[(2 * k - 1) * m + n], c = C[2 * k * m + n];
    magnitudes[n * K + k - 1] = Math.hypot(s, c);
    phases[n * K + k - 1] = Math.atan2(-s, c);
  }
  return { magnitudes, phases };
}

export interface NeuronWeightFourier {
  alpha_mk: Float64Array; phi_mk: Float64Array; beta_mk: Float64Array; psi_mk: Float64Array;
}

/** α, φ, β, ψ [m, (p−1)/2] of every neuron. */
export function neuronWeightFourier(W: { WE: ArrayLike<number>; Win: ArrayLike<number>; Wout: ArrayLike<number>; WU: ArrayLike<number> }, p: number, d: number, m: number, B: ArrayLike<number>): NeuronWeightFourier {
  const i = extractFrequencyPairs(basisCoefficients(composeTheta(W.WE, W.Win, p, d, m), p, m, B), p, m);
  const o = extractFrequencyPairs(basisCoefficients(composeXi(W.Wout, W.WU, p, d, m), p, m, B), p, m);
  return { alpha_mk: i.magnitudes, phi_mk: i.phases, beta_mk: o.magnitudes, psi_mk: o.phases };
}

/** An angle wrapped to (−π, π]. */
export function wrapAngle(x: number): number {
  const y = x - 2 * Math.PI * Math.floor((x + Math.PI) / (2 * Math.PI));
  return y === -Math.PI ? Math.PI : y;
}

export interface NeuronWeightFourierDigest {
  /** Per frequency k (index k−1): the neurons whose largest alpha_mk is at k (the first wins ties). */
  dominant_counts: number[];
  /** Per frequency: Σ_m alpha_mk² and Σ_m beta_mk² (each layer's power at k). */
  alpha_power: number[]; beta_power: number[];
  /** Means over neurons, at each neuron's dominant input frequency k*: alpha_mk*, beta_mk*, and |wrap(2·phi_mk* − psi_mk*)| (He et al.'s phase misalignment D). */
  mean_alpha_dominant: number; mean_beta_dominant: number; mean_phase_misalignment: number;
}

/** The per-checkpoint digest of α, φ, β, ψ [m, K] (grokbench's summary; MIScope stores only the arrays). */
export function digestNeuronWeightFourier(f: NeuronWeightFourier, m: number, K: number): NeuronWeightFourierDigest {
  const dominant_counts = new Array<number>(K).fill(0), alpha_power = new Array<number>(K).fill(0), beta_power = new Array<number>(K).fill(0);
  let sa = 0, sb = 0, sd = 0;
  for (let n = 0; n < m; n++) {
    let best = 0;
    for (let k = 0; k < K; k++) {
      const i = n * K + k;
      alpha_power[k] += f.alpha_mk[i] ** 2; beta_power[k] += f.beta_mk[i] ** 2;
      if (f.alpha_mk[i] > f.alpha_mk[n * K + best]) best = k;
    }
    dominant_counts[best]++;
    const i = n * K + best;
    sa += f.alpha_mk[i]; sb += f.beta_mk[i]; sd += Math.abs(wrapAngle(2 * f.phi_mk[i] - f.psi_mk[i]));
  }
  return { dominant_counts, alpha_power, beta_power, mean_alpha_dominant: m ? sa / m : 0, mean_beta_dominant: m ? sb / m : 0, mean_phase_misalignment: m ? sd / m : 0 };
}
