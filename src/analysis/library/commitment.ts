/**
 * The commitment rules of a run's neurons (MIScope's variant_analysis_summary.py, as
 * analysis/dynamics.ts applies them over checkpoints), and the committed frequencies of one
 * checkpoint: the frequencies on which at least `committedShare` of the d_mlp neurons are
 * specialised (max_k frac_k ≥ `specialised`, dominant frequency k). At a run's last checkpoint
 * these are MIScope's variant-summary `learned_frequencies` and dynamics.ts's
 * `final_committed_frequencies`; analyzers that need a run's key frequencies from its own
 * commitment read them here (they cannot import the readers above them).
 */

export const DYNAMICS_RULES = {
  /** _NEURON_FRAC_EXPLAINED_BY_FREQUENCY / NEURON_THRESHOLD */
  specialised: 0.7,
  /** _SPECIALIZATION_FLOOR / FINAL_CANONICAL_THRESHOLD, share of d_mlp */
  committedShare: 0.1,
  /** TRANSIENT_CANONICAL_THRESHOLD, share of d_mlp */
  transientShare: 0.05,
  /** _FIRST_MOVER_COUNT, neurons */
  firstMoverCount: 40,
} as const;

/**
 * The committed frequencies (1-based, ascending) of one checkpoint from each neuron's max_k frac_k
 * (NaN for a flat neuron, which is never specialised) and its dominant frequency (1-based).
 */
export function committedFrequencies(maxFrac: ArrayLike<number>, dominant: ArrayLike<number>, nFreq: number): number[] {
  const m = maxFrac.length;
  if (dominant.length !== m) throw new Error(`committedFrequencies: ${m} fractions but ${dominant.length} dominant frequencies`);
  const counts = new Int32Array(nFreq);
  for (let n = 0; n < m; n++) {
    if (maxFrac[n] >= DYNAMICS_RULES.specialised && dominant[n] >= 1 && dominant[n] <= nFreq) counts[dominant[n] - 1]++;
  }
  const out: number[] = [];
  for (let k = 1; k <= nFreq; k++) if (counts[k - 1] >= DYNAMICS_RULES.committedShare * m) out.push(k);
  return out;
}
