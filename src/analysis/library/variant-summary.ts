/**
 * The parts of MIScope's variant summary (analysis/variant_analysis_summary.py VariantAnalysisSummary,
 * which supersedes the deprecated variant_summary.py and writes variant_summary.json) that grokbench's
 * `outcome` (metrics/outcome.ts: the loss-curve fields and performance_classification) does not
 * hold: the key epochs of the neuron populations and of the effective dimensionality, the five phase
 * windows with their start/end metrics, the competition window, the learned frequencies and the
 * handshake at the second-descent onset, and failure_mode, with MIScope's field names.
 *
 * Key epochs (_load_neuron_threshold_key_epochs; a neuron is specialised at max_frac ≥ 0.7; −1: never):
 *   first_mover_epoch, first_mover_frequency  the first checkpoint with a specialised neuron, and the
 *     first of its frequencies (MIScope: the first of a Python set, the smallest here);
 *   first_mover_frequency_count_threshold_epoch  the first checkpoint, from then on, with ≥ 40 neurons
 *     specialised on the first mover;
 *   total_neurons_over_specialization_threshold_epoch  the first checkpoint with ≥ 100 specialised neurons;
 *   effective_dimensionality_cross_over_epoch, effective_dimensionality_crossover_W_E_pr  PR(W_out)
 *     falling to PR(W_in) after rising above it (effdim-crossover.ts prCrossOver; −1 and −1.0: never).
 * Windows (_load_window_ranges; "nearest" = the run's checkpoint nearest the epoch, the earlier on a tie;
 * a test of an epoch is Python's truthiness, so −1 passes and 0 and null do not):
 *   first_descent   0 → nearest(train_loss_threshold_first_epoch) when that is truthy, else 0 → 0;
 *   second_descent  nearest(second_descent_onset_epoch) → nearest(test_loss_threshold_first_epoch) when
 *                   it is > 0, else nearest(test_loss_min_epoch); 0 → 0 when the onset is not truthy;
 *   plateau         first_descent's end → second_descent's start;
 *   cascade         first_mover_frequency_count_threshold_epoch → effective_dimensionality_cross_over_epoch
 *                   when both are truthy (not nearest-rounded), else 0 → 0;
 *   final           second_descent's end → the last checkpoint.
 * Each window with start < end gets (_load_window_metrics) the train and test loss at start and end
 * (MIScope indexes its per-epoch loss lists by the epoch, −1 being the last), and at the analysed
 * checkpoint nearest each end: learned_frequencies (dominant frequencies of specialised neurons),
 * their bands (low k ≤ ⌊p/4⌋, high k > ⌊3p/8⌋, else mid), committed_frequencies (≥ 10 % of d_mlp
 * specialised), frequency_gains and frequency_losses between the two, PR(W_in) and PR(W_out)
 * (resid_post_pr_w_in/w_out, MIScope's names), resid_post circularity and Fisher mean (repr_geometry);
 * start ≥ end: { skipped: true, skip_reason: "start_epoch >= end_epoch" }.
 * competition_window_start/end/duration: the first and last commitment epoch at 0.7 (dynamics.ts).
 * learned_frequencies: the committed frequencies at the last checkpoint; committed_frequencies_at_onset
 * (at the first checkpoint ≥ the onset, numpy searchsorted), handshake_failures (those not learned),
 * handshake_succeeded; second_descent_onset_committed_frequencies (every dominant frequency of a
 * specialised neuron there) with their bands, second_descent_onset_has_low_band, _band_count.
 * Transient frequencies (_load_transient_metrics) as analysis/dynamics.ts finds them, and MIScope's
 * aliases peak_test_loss_epoch and final_test_loss of outcome's test_loss_max_epoch and test_loss_final.
 * failure_mode (_load_failure_mode, views/cross_variant.py classify_failure_mode with its defaults):
 *   no_grokking (no onset), degraded (final test loss > 1e-6), late_grokker (onset > 12000), healthy.
 *   VariantAnalysisSummary passes no post_descent_test_loss_increase, so the classifier's
 *   degraded_recovery never fires there, nor here.
 */
import { DYNAMICS_RULES } from './commitment.js';

/** MIScope's module constants beyond the commitment rules (commitment.ts DYNAMICS_RULES: 0.7, 10 %, 5 %, 40). */
export const VARIANT_SUMMARY_RULES = {
  /** _TOTAL_NEURON_COUNT_OVER_THRESHOLD */
  totalNeuronCount: 100,
  /** ClassificationRules.degraded_test_loss */
  degradedTestLoss: 1e-6,
  /** ClassificationRules.late_grokking_epoch */
  lateGrokkingEpoch: 12000,
} as const;

export const PHASE_WINDOWS = ['first_descent', 'plateau', 'cascade', 'second_descent', 'final'] as const;
export type PhaseWindow = (typeof PHASE_WINDOWS)[number];

export type FailureMode = 'no_grokking' | 'degraded_recovery' | 'degraded' | 'late_grokker' | 'healthy';

/** The loss-curve fields of the run's outcome (metrics/outcome.ts RunOutcome) the windows start from. */
export interface LossKeyEpochs {
  train_loss_threshold_first_epoch: number;
  second_descent_onset_epoch: number | null;
  test_loss_threshold_first_epoch: number;
  test_loss_min_epoch: number | null;
  test_loss_final: number | null;
  /** Only echoed under MIScope's alias peak_test_loss_epoch (as final_test_loss echoes test_loss_final). */
  test_loss_max_epoch: number | null;
}

/** The neuron populations per analysed checkpoint (analysis/dynamics.ts NeuronDynamics has these fields). */
export interface NeuronPopulations {
  epochs: readonly number[];
  nFreq: number;
  dMlp: number;
  /** [checkpoint · nFreq + k − 1]: neurons specialised on frequency k. */
  specialised_counts: ArrayLike<number>;
  learned_frequencies: readonly number[][];
  committed_frequencies: readonly number[][];
  commitment_epochs: readonly (number | null)[];
  /** Frequencies with ≥ 5 % of d_mlp specialised at some checkpoint and < 10 % at the last (MIScope transient_frequency). */
  transient_frequencies: readonly { frequency: number }[];
  homeless_neuron_count: number;
  homeless_neuron_fraction: number;
}

/** A per-checkpoint series of one analyzer: its epochs (ascending) and named values. */
export interface Series { epochs: readonly number[]; values: Record<string, readonly number[]> }

export interface VariantSummaryInput {
  p: number;
  loss: LossKeyEpochs;
  /** The run's checkpoint epochs, ascending. */
  checkpoints: readonly number[];
  /** Train and test loss at an epoch (MIScope's list index; −1 = the last), null where not recorded. */
  lossAt: (epoch: number) => { train: number | null; test: number | null };
  neurons: NeuronPopulations | null;
  /** effective_dimensionality: pr_w_in, pr_w_out. */
  effdim: Series | null;
  /** The crossover epoch and PR(W_E) there, null when never. */
  crossover: { epoch: number | null; W_E_pr: number | null };
  /** repr_geometry: resid_post_circularity, resid_post_fisher_mean. */
  geometry: Series | null;
}

export interface WindowRange { start_epoch: number; end_epoch: number }
export type WindowSummary = WindowRange & Record<string, unknown>;

/** The nearest of `epochs` to `epoch` (the earlier on a tie; 0 when there are none): MIScope _get_nearest_checkpoint_epoch. */
export function nearestEpoch(epochs: readonly number[], epoch: number): number {
  let best = 0, bd = Infinity;
  for (const e of epochs) { const d = Math.abs(e - epoch); if (d < bd) { bd = d; best = e; } }
  return best;
}

/** Index of the nearest epoch (the earlier on a tie; 0 when there are none). */
function nearestIndex(epochs: readonly number[], epoch: number): number {
  let best = 0, bd = Infinity;
  epochs.forEach((e, i) => { const d = Math.abs(e - epoch); if (d < bd) { bd = d; best = i; } });
  return best;
}

/** numpy searchsorted (left) clamped to the last index. */
function searchsorted(epochs: readonly number[], epoch: number): number {
  let i = 0;
  while (i < epochs.length && epochs[i] < epoch) i++;
  return Math.min(i, epochs.length - 1);
}

/** Python truthiness of an epoch field. */
const truthy = (x: number | null): x is number => x !== null && x !== 0;

/** MIScope _classify_frequency_band. */
export function frequencyBand(k: number, p: number): 'low' | 'mid' | 'high' {
  if (k <= Math.floor(p / 4)) return 'low';
  if (k > Math.floor((3 * p) / 8)) return 'high';
  return 'mid';
}

/** The distinct bands of some frequencies, low to high (MIScope _get_frequency_bands, a set). */
function bandsOf(ks: readonly number[], p: number): string[] {
  const s = new Set(ks.map((k) => frequencyBand(k, p)));
  return ['low', 'mid', 'high'].filter((b) => s.has(b as 'low'));
}

export interface NeuronKeyEpochs {
  first_mover_epoch: number; first_mover_frequency: number;
  first_mover_frequency_count_threshold_epoch: number; total_neurons_over_specialization_threshold_epoch: number;
}

/** MIScope _load_neuron_threshold_key_epochs from the specialised counts. */
export function neuronKeyEpochs(n: NeuronPopulations | null): NeuronKeyEpochs {
  const R = { ...DYNAMICS_RULES, ...VARIANT_SUMMARY_RULES };
  const out: NeuronKeyEpochs = { first_mover_epoch: -1, first_mover_frequency: -1, first_mover_frequency_count_threshold_epoch: -1, total_neurons_over_specialization_threshold_epoch: -1 };
  if (!n) return out;
  const F = n.nFreq;
  n.epochs.forEach((e, i) => {
    let total = 0, first = -1;
    for (let k = 1; k <= F; k++) { const c = n.specialised_counts[i * F + k - 1]; total += c; if (c > 0 && first < 0) first = k; }
    if (first > 0 && out.first_mover_frequency === -1) { out.first_mover_epoch = e; out.first_mover_frequency = first; }
    if (out.first_mover_frequency > -1 && out.first_mover_frequency_count_threshold_epoch === -1 && n.specialised_counts[i * F + out.first_mover_frequency - 1] >= R.firstMoverCount) {
      out.first_mover_frequency_count_threshold_epoch = e;
    }
    if (total >= R.totalNeuronCount && out.total_neurons_over_specialization_threshold_epoch === -1) out.total_neurons_over_specialization_threshold_epoch = e;
  });
  return out;
}

/** MIScope _load_window_ranges. */
export function windowRanges(loss: LossKeyEpochs, checkpoints: readonly number[], cascade: { first_mover_count_epoch: number; crossover_epoch: number }): Record<PhaseWindow, WindowRange> {
  const near = (e: number) => nearestEpoch(checkpoints, e);
  const zero = (): WindowRange => ({ start_epoch: 0, end_epoch: 0 });
  const first_descent = truthy(loss.train_loss_threshold_first_epoch) ? { start_epoch: 0, end_epoch: near(loss.train_loss_threshold_first_epoch) } : zero();
  let second_descent = zero();
  if (truthy(loss.second_descent_onset_epoch)) {
    const thr = loss.test_loss_threshold_first_epoch;
    const end = truthy(thr) && thr > 0 ? near(thr) : near(loss.test_loss_min_epoch ?? 0);
    second_descent = { start_epoch: near(loss.second_descent_onset_epoch), end_epoch: end };
  }
  const cascadeWindow = truthy(cascade.first_mover_count_epoch) && truthy(cascade.crossover_epoch)
    ? { start_epoch: cascade.first_mover_count_epoch, end_epoch: cascade.crossover_epoch } : zero();
  return {
    first_descent,
    plateau: { start_epoch: first_descent.end_epoch, end_epoch: second_descent.start_epoch },
    cascade: cascadeWindow,
    second_descent,
    final: { start_epoch: second_descent.end_epoch, end_epoch: checkpoints.length ? checkpoints[checkpoints.length - 1] : 0 },
  };
}

/** The value of a series' key at the analysed checkpoint nearest `epoch` (null without the series). */
function seriesAt(s: Series | null, key: string, epoch: number): number | null {
  if (!s || s.epochs.length === 0) return null;
  return s.values[key][nearestIndex(s.epochs, epoch)] ?? null;
}

/** MIScope _load_window_metrics of one window. */
export function windowMetrics(w: WindowRange, inp: VariantSummaryInput): WindowSummary {
  if (w.start_epoch >= w.end_epoch) return { ...w, skipped: true, skip_reason: 'start_epoch >= end_epoch' };
  const out: WindowSummary = { ...w };
  const s = inp.lossAt(w.start_epoch), e = inp.lossAt(w.end_epoch);
  out.train_loss_start = s.train; out.train_loss_end = e.train; out.test_loss_start = s.test; out.test_loss_end = e.test;
  const n = inp.neurons;
  const at = (list: readonly number[][] | undefined, epoch: number): number[] => (n && list && n.epochs.length ? [...list[nearestIndex(n.epochs, epoch)]] : []);
  const ls = at(n?.learned_frequencies, w.start_epoch), le = at(n?.learned_frequencies, w.end_epoch);
  out.learned_frequencies_start = ls; out.learned_frequencies_end = le;
  out.learned_frequency_bands_start = bandsOf(ls, inp.p); out.learned_frequency_bands_end = bandsOf(le, inp.p);
  out.resid_post_pr_w_in_start = seriesAt(inp.effdim, 'pr_w_in', w.start_epoch); out.resid_post_pr_w_in_end = seriesAt(inp.effdim, 'pr_w_in', w.end_epoch);
  out.resid_post_pr_w_out_start = seriesAt(inp.effdim, 'pr_w_out', w.start_epoch); out.resid_post_pr_w_out_end = seriesAt(inp.effdim, 'pr_w_out', w.end_epoch);
  const cs = at(n?.committed_frequencies, w.start_epoch), ce = at(n?.committed_frequencies, w.end_epoch);
  out.committed_frequencies_start = cs; out.committed_frequencies_end = ce;
  out.frequency_gains = ce.filter((k) => !cs.includes(k)); out.frequency_losses = cs.filter((k) => !ce.includes(k));
  out.resid_post_circularity_start = seriesAt(inp.geometry, 'resid_post_circularity', w.start_epoch);
  out.resid_post_circularity_end = seriesAt(inp.geometry, 'resid_post_circularity', w.end_epoch);
  out.resid_post_fisher_mean_start = seriesAt(inp.geometry, 'resid_post_fisher_mean', w.start_epoch);
  out.resid_post_fisher_mean_end = seriesAt(inp.geometry, 'resid_post_fisher_mean', w.end_epoch);
  return out;
}

/** MIScope classify_failure_mode as VariantAnalysisSummary calls it (no post-descent increase, no band count). */
export function failureMode(onset: number | null, finalTestLoss: number | null): { failure_mode: FailureMode; failure_mode_reasons: string[] } {
  const R = VARIANT_SUMMARY_RULES;
  if (onset === null) return { failure_mode: 'no_grokking', failure_mode_reasons: ['never reached test_loss < 1e-06'] };
  if (finalTestLoss !== null && finalTestLoss > R.degradedTestLoss) return { failure_mode: 'degraded', failure_mode_reasons: [`final_test_loss=${finalTestLoss.toFixed(4)} > 1e-06`] };
  if (onset > R.lateGrokkingEpoch) return { failure_mode: 'late_grokker', failure_mode_reasons: [`grokking_onset=${onset} > ${R.lateGrokkingEpoch}`] };
  return { failure_mode: 'healthy', failure_mode_reasons: ['grokking onset on time, final loss acceptable'] };
}

/** The variant summary's fields that `outcome` does not hold (see the file's comment). */
export function variantSummary(inp: VariantSummaryInput): Record<string, unknown> {
  const key = neuronKeyEpochs(inp.neurons);
  const crossover = inp.crossover.epoch ?? -1;
  const ranges = windowRanges(inp.loss, inp.checkpoints, { first_mover_count_epoch: key.first_mover_frequency_count_threshold_epoch, crossover_epoch: crossover });
  const windows = Object.fromEntries(PHASE_WINDOWS.map((w) => [`${w}_window`, windowMetrics(ranges[w], inp)]));
  const n = inp.neurons;
  const committed = n ? n.commitment_epochs.filter((x): x is number => x !== null) : [];
  const cStart = committed.length ? Math.min(...committed) : null, cEnd = committed.length ? Math.max(...committed) : null;
  const circ = inp.geometry?.values.resid_post_circularity ?? [];
  const learned = n && n.epochs.length ? [...n.committed_frequencies[n.epochs.length - 1]] : null;
  const onset = inp.loss.second_descent_onset_epoch;
  let handshake: Record<string, unknown> = { committed_frequencies_at_onset: null, handshake_failures: null, handshake_succeeded: null };
  let portfolio: Record<string, unknown> = {
    second_descent_onset_committed_frequencies: null, second_descent_onset_frequency_bands: null, second_descent_onset_has_low_band: null, second_descent_onset_band_count: null,
  };
  if (onset !== null && n && n.epochs.length) {
    const i = searchsorted(n.epochs, onset);
    const atOnset = [...n.committed_frequencies[i]], failures = atOnset.filter((k) => !learned!.includes(k));
    handshake = { committed_frequencies_at_onset: atOnset, handshake_failures: failures, handshake_succeeded: failures.length === 0 };
    const active = [...n.learned_frequencies[i]], bands = active.map((k) => frequencyBand(k, inp.p));
    portfolio = {
      second_descent_onset_committed_frequencies: active, second_descent_onset_frequency_bands: bands,
      second_descent_onset_has_low_band: bands.includes('low'), second_descent_onset_band_count: new Set(bands).size,
    };
  }
  return {
    ...key,
    effective_dimensionality_cross_over_epoch: crossover,
    effective_dimensionality_crossover_W_E_pr: inp.crossover.epoch === null ? -1.0 : inp.crossover.W_E_pr,
    ...windows,
    competition_window_start: cStart, competition_window_end: cEnd, competition_window_duration: cStart === null || cEnd === null ? null : cEnd - cStart,
    max_resid_post_circularity: circ.length ? Math.max(...circ) : null,
    learned_frequencies: learned, learned_frequency_count: learned ? learned.length : null,
    canonical_specialization_threshold: DYNAMICS_RULES.committedShare,
    ...handshake, ...portfolio,
    transient_frequencies: n ? n.transient_frequencies.map((t) => t.frequency).sort((a, b) => a - b) : null,
    transient_frequency_count: n ? n.transient_frequencies.length : null,
    homeless_neuron_count: n ? n.homeless_neuron_count : null, homeless_neuron_fraction: n ? n.homeless_neuron_fraction : null,
    transient_detection_threshold: n ? DYNAMICS_RULES.transientShare : null,
    peak_test_loss_epoch: inp.loss.test_loss_max_epoch, final_test_loss: inp.loss.test_loss_final,
    ...failureMode(onset, inp.loss.test_loss_final),
  };
}
