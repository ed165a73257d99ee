/**
 * Neuron frequency dynamics over a run's checkpoints (the pure part of analysis/dynamics.ts, which
 * reads the stored fractions and re-exports this), no recomputation:
 * each neuron's frequency specialization max_k frac_k (MIScope's `max_frac`; grokbench called it
 * "concentration") and its dominant frequency argmax_k frac_k at every analysed checkpoint. The
 * definitions are MIScope's (variant_analysis_summary.py, analyzers/neuron_dynamics.py,
 * analyzers/transient_frequency.py):
 *   specialised neuron       max_frac ≥ 0.7 (flat neurons never are)
 *   specialised count        per checkpoint and frequency: specialised neurons with that dominant frequency
 *   learned frequencies      per checkpoint: the dominant frequencies of specialised neurons (any count)
 *   committed frequencies    per checkpoint: frequencies with ≥ 10 % of d_mlp specialised neurons
 *                            (at the last checkpoint: MIScope's variant-summary `learned_frequencies`)
 *   commitment epoch         per neuron: the earliest checkpoint from which it stays specialised on its
 *                            final dominant frequency to the end (null: not specialised at the end)
 *   switch count             per neuron: changes of dominant frequency between checkpoints where
 *                            max_frac ≥ 3/((p−1)/2) (MIScope's neuron_dynamics "uncommitted" floor)
 *   first mover              the first frequency with ≥ 40 specialised neurons, and its checkpoint
 *                            (several at once: the most neurons, then the lowest frequency)
 *   transient frequency      ≥ 5 % of d_mlp specialised at some checkpoint, < 10 % at the last: its peak
 *                            (first checkpoint of the largest count), peak count, and homeless neurons
 *                            (of the peak cohort, those with max_frac < 0.7 at the last checkpoint)
 *   competition window       first and last commitment epoch
 * Frequencies are 1-based (k = 1..(p−1)/2), as everywhere in grokbench and in MIScope's summaries.
 */
import { DYNAMICS_RULES } from './commitment.js';

/** Per-checkpoint per-neuron input: [checkpoints × d_mlp], row = checkpoint. */
export interface DynamicsInput {
  epochs: readonly number[];
  dMlp: number;
  nFreq: number;
  /** max_k frac_k; NaN for flat neurons. */
  maxFrac: ArrayLike<number>;
  /** argmax_k frac_k, 1-based (ignored where maxFrac is NaN). */
  dominant: ArrayLike<number>;
}

export interface TransientFrequency {
  frequency: number;
  peak_epoch: number;
  peak_count: number;
  final_count: number;
  /** Neurons specialised on the frequency at its peak. */
  peak_members: number[];
  homeless_count: number;
}

export interface NeuronDynamics {
  epochs: number[];
  dMlp: number;
  nFreq: number;
  /** specialised_counts[i · nFreq + k − 1]: specialised neurons on frequency k at checkpoint i. */
  specialised_counts: Int32Array;
  specialised_total: number[];
  learned_frequencies: number[][];
  committed_frequencies: number[][];
  final_learned_frequencies: number[];
  final_committed_frequencies: number[];
  /** Per neuron; null = not specialised at the last checkpoint. */
  commitment_epochs: (number | null)[];
  switch_counts: Int32Array;
  /** Per neuron at the last checkpoint, 1-based; 0 for a flat neuron. */
  final_dominant: Int32Array;
  first_mover_frequency: number | null;
  first_mover_epoch: number | null;
  first_mover_count: number | null;
  /** Whether the first mover is still committed at the last checkpoint. */
  first_mover_survived: boolean | null;
  transient_frequencies: TransientFrequency[];
  homeless_neuron_count: number;
  homeless_neuron_fraction: number;
  competition_window_start: number | null;
  competition_window_end: number | null;
  thresholds: typeof DYNAMICS_RULES & { switch_floor: number };
}

const specialisedAt = (x: number): boolean => x >= DYNAMICS_RULES.specialised;

export function neuronDynamics(inp: DynamicsInput): NeuronDynamics {
  const { dMlp: m, nFreq: F } = inp;
  const E = inp.epochs.length;
  if (inp.maxFrac.length !== E * m || inp.dominant.length !== E * m) {
    throw new Error(`neuronDynamics: arrays hold ${inp.maxFrac.length} and ${inp.dominant.length} values, expected ${E} × ${m}`);
  }
  const R = DYNAMICS_RULES;
  const counts = new Int32Array(E * F);
  const total: number[] = [];
  for (let i = 0; i < E; i++) {
    let t = 0;
    for (let n = 0; n < m; n++) {
      const x = inp.maxFrac[i * m + n];
      if (specialisedAt(x)) { counts[i * F + inp.dominant[i * m + n] - 1]++; t++; }
    }
    total.push(t);
  }
  const committedMin = R.committedShare * m;
  const freqsWhere = (i: number, pred: (c: number) => boolean): number[] => {
    const out: number[] = [];
    for (let k = 1; k <= F; k++) if (pred(counts[i * F + k - 1])) out.push(k);
    return out;
  };
  const learned = Array.from({ length: E }, (_, i) => freqsWhere(i, (c) => c > 0));
  const committed = Array.from({ length: E }, (_, i) => freqsWhere(i, (c) => c >= committedMin));
  const last = E - 1;

  // Per neuron: commitment epoch (0.7 on the final frequency to the end) and switches (above the floor).
  const floor = 3 / F;
  const commitment: (number | null)[] = new Array(m).fill(null);
  const switches = new Int32Array(m);
  const finalDom = new Int32Array(m);
  for (let n = 0; n < m; n++) {
    let lastFreq = -1;
    for (let i = 0; i < E; i++) {
      const x = inp.maxFrac[i * m + n];
      if (!(x >= floor)) continue;
      const d = inp.dominant[i * m + n];
      if (lastFreq >= 0 && d !== lastFreq) switches[n]++;
      lastFreq = d;
    }
    if (E === 0) continue;
    const xl = inp.maxFrac[last * m + n];
    finalDom[n] = Number.isNaN(xl) ? 0 : inp.dominant[last * m + n];
    if (!specialisedAt(xl)) continue;
    let from = last;
    while (from > 0 && specialisedAt(inp.maxFrac[(from - 1) * m + n]) && inp.dominant[(from - 1) * m + n] === finalDom[n]) from--;
    commitment[n] = inp.epochs[from];
  }

  // First mover.
  let fmK: number | null = null, fmI: number | null = null, fmC: number | null = null;
  for (let i = 0; i < E && fmK === null; i++) {
    for (let k = 1; k <= F; k++) {
      const c = counts[i * F + k - 1];
      if (c >= R.firstMoverCount && (fmC === null || c > fmC)) { fmK = k; fmC = c; fmI = i; }
    }
  }

  // Transient frequencies.
  const transients: TransientFrequency[] = [];
  let homeless = 0;
  if (E > 0) {
    for (let k = 1; k <= F; k++) {
      let peakI = 0;
      for (let i = 1; i < E; i++) if (counts[i * F + k - 1] > counts[peakI * F + k - 1]) peakI = i;
      const peak = counts[peakI * F + k - 1];
      const fin = counts[last * F + k - 1];
      if (!(peak >= R.transientShare * m) || fin >= committedMin) continue;
      const members: number[] = [];
      let h = 0;
      for (let n = 0; n < m; n++) {
        if (specialisedAt(inp.maxFrac[peakI * m + n]) && inp.dominant[peakI * m + n] === k) {
          members.push(n);
          if (!specialisedAt(inp.maxFrac[last * m + n])) h++;
        }
      }
      homeless += h;
      transients.push({ frequency: k, peak_epoch: inp.epochs[peakI], peak_count: peak, final_count: fin, peak_members: members, homeless_count: h });
    }
  }
  const committedEpochs = commitment.filter((x): x is number => x !== null);
  const finalCommitted = E ? committed[last] : [];
  return {
    epochs: [...inp.epochs], dMlp: m, nFreq: F,
    specialised_counts: counts, specialised_total: total,
    learned_frequencies: learned, committed_frequencies: committed,
    final_learned_frequencies: E ? learned[last] : [], final_committed_frequencies: finalCommitted,
    commitment_epochs: commitment, switch_counts: switches, final_dominant: finalDom,
    first_mover_frequency: fmK, first_mover_epoch: fmI === null ? null : inp.epochs[fmI], first_mover_count: fmC,
    first_mover_survived: fmK === null ? null : finalCommitted.includes(fmK),
    transient_frequencies: transients, homeless_neuron_count: homeless, homeless_neuron_fraction: m ? homeless / m : 0,
    competition_window_start: committedEpochs.length ? Math.min(...committedEpochs) : null,
    competition_window_end: committedEpochs.length ? Math.max(...committedEpochs) : null,
    thresholds: { ...R, switch_floor: floor },
  };
}
