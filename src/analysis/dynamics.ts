/**
 * Neuron frequency dynamics over a run's checkpoints, from the stored fractions (no recomputation):
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
import type { Store } from '../store/store.js';
import { concentrationValues, readNeuronFourier } from './results.js';
import { DYNAMICS_RULES } from './library/commitment.js';
import { type DynamicsInput, type NeuronDynamics } from './library/neuron-dynamics.js';

export { neuronDynamics, type DynamicsInput, type NeuronDynamics, type TransientFrequency } from './library/neuron-dynamics.js';

export { DYNAMICS_RULES };

/** The per-run summary of the dynamics (JSON-friendly; no per-checkpoint arrays). */
export function dynamicsSummary(d: NeuronDynamics): Record<string, unknown> {
  const switched = Array.from(d.switch_counts);
  return {
    checkpoints: d.epochs.length,
    final_committed_frequencies: d.final_committed_frequencies,
    final_learned_frequencies: d.final_learned_frequencies,
    first_mover_frequency: d.first_mover_frequency, first_mover_epoch: d.first_mover_epoch,
    first_mover_count: d.first_mover_count, first_mover_survived: d.first_mover_survived,
    transient_frequencies: d.transient_frequencies.map(({ peak_members: _m, ...t }) => t),
    transient_frequency_count: d.transient_frequencies.length,
    homeless_neuron_count: d.homeless_neuron_count, homeless_neuron_fraction: d.homeless_neuron_fraction,
    committed_neurons: d.commitment_epochs.filter((x) => x !== null).length,
    competition_window_start: d.competition_window_start, competition_window_end: d.competition_window_end,
    mean_switch_count: switched.length ? switched.reduce((a, b) => a + b, 0) / switched.length : null,
    thresholds: d.thresholds,
  };
}

/** The dynamics input of a stored run: every analysed checkpoint's fractions, reduced to max and argmax. */
export function readDynamicsInput(store: Store, runId: string): DynamicsInput {
  const nf = readNeuronFourier(store, runId);
  const E = nf.epochs.length, m = nf.dMlp;
  const maxFrac = new Float32Array(E * m), dominant = new Int32Array(E * m);
  nf.epochs.forEach((e, i) => {
    maxFrac.set(concentrationValues(e, nf.nFreq, m), i * m);
    dominant.set(e.dominantFrequency, i * m);
  });
  return { epochs: nf.epochs.map((e) => e.epoch), dMlp: m, nFreq: nf.nFreq, maxFrac, dominant };
}
