/**
 * A run's outcome exactly as the researcher's workbench defines it (MIScope,
 * `miscope/analysis/variant_analysis_summary.py`, `VariantAnalysisSummary`): the loss-curve fields
 * of its variant summary and its `performance_classification`, computed from the per-epoch metrics.
 *
 *   train_loss_threshold_first_epoch  first epoch with train loss ≤ 1e-6 (end of the first descent), else −1
 *   test_loss_max, test_loss_max_epoch  the peak of the test loss (first occurrence)
 *   test_loss_min, test_loss_min_epoch  its minimum (first occurrence); test_loss_final the last one
 *   second_descent_onset_epoch        first epoch at or after the peak with (peak − loss)/peak ≥ 0.8, else null
 *   test_loss_threshold_first_epoch   first epoch with test loss ≤ 1e-6 (MIScope's grokking epoch), else −1
 *   performance_classification, the first rule that fires, in this order (classification_reasons
 *   says which, in MIScope's words):
 *     no_second_descent  no onset, or onset at the first test evaluation (MIScope: onset 0)
 *     degraded_rebound   final − min ≥ 0.2 and final > 1e-5
 *     degraded           final > 1e-5
 *     late_grokker       onset > 12000
 *     healthy            otherwise
 * Grokked = healthy | late_grokker; failed = degraded | degraded_rebound | no_second_descent.
 *
 * Epochs. A grokbench epoch e is the weights after e optimiser steps (its metrics row holds the
 * train and test loss of those weights). MIScope's training loop records train_losses[e] before
 * its step e+1 (the weights after e steps, the same number) but test_losses[e] after it: MIScope's
 * label of the weights whose test loss grokbench records at epoch e is e − 1. So the test-based
 * epochs here are MIScope's + 1 and train_loss_threshold_first_epoch is the same number. A run
 * imported from MIScope keeps MIScope's labels as its epochs (`epoch_convention: "miscope_label"`);
 * its outcome is then MIScope's numbers exactly. grokbench also records the initial weights'
 * losses (epoch 0), which MIScope does not; the peak is then at epoch 0 only if the test loss never
 * rises above its initial value (it rises during memorisation in every run seen so far).
 * With `--eval-every n` the test loss exists only every n epochs (and at the last epoch): the
 * test-based epochs are then resolved to n (`test_eval_every`), and "onset 0" means onset at the
 * first evaluated epoch. Epochs without a test evaluation, and NaN losses, are skipped.
 */
import type { MetricRow } from './metric-row.js';
import { grokkingTimes } from './grokking.js';
import type { RunKeyFrequencies } from '../analysis/library/viability.js';

/** MIScope's thresholds (variant_analysis_summary.py module constants). */
export const OUTCOME_RULES = {
  /** _FIRST_DESCENT_TRAIN_LOSS_THRESHOLD */
  firstDescentTrainLoss: 1e-6,
  /** _SECOND_DESCENT_TEST_LOSS_THRESHOLD */
  secondDescentTestLoss: 1e-6,
  /** _SECOND_DESCENT_ONSET_DIFF_THRESHOLD */
  onsetDescentFraction: 0.8,
  /** _SUCCESSFUL_TEST_LOSS_THRESHOLD */
  successfulTestLoss: 1e-5,
  /** _REBOUND_TEST_LOSS_THRESHOLD (absolute, not relative to the peak) */
  reboundTestLoss: 0.2,
  /** _LATE_SECOND_DESCENT_EPOCH */
  lateOnsetEpoch: 12000,
} as const;

export type OutcomeClass = 'healthy' | 'late_grokker' | 'degraded' | 'degraded_rebound' | 'no_second_descent';

export const OUTCOME_CLASSES: readonly OutcomeClass[] = ['healthy', 'late_grokker', 'degraded', 'degraded_rebound', 'no_second_descent'];

/** MIScope's reading: healthy and late_grokker grokked; the degraded classes and no_second_descent failed. */
export function outcomeGrokked(c: OutcomeClass): boolean {
  return c === 'healthy' || c === 'late_grokker';
}

export type EpochConvention = 'steps' | 'miscope_label';

export interface RunOutcome {
  train_loss_threshold_first_epoch: number;
  train_loss_min: number | null;
  train_loss_min_epoch: number | null;
  train_loss_final: number | null;
  test_loss_max: number | null;
  test_loss_max_epoch: number | null;
  test_loss_min: number | null;
  test_loss_min_epoch: number | null;
  test_loss_final: number | null;
  second_descent_onset_epoch: number | null;
  /** MIScope: final ≤ 1e-5 when there is an onset, else null. */
  second_descent_survived: boolean | null;
  test_loss_threshold_first_epoch: number;
  performance_classification: OutcomeClass | null;
  classification_reasons: string[];
  /** grokbench's own grokking time: first test loss < 0.01 (not one of MIScope's definitions). */
  grok_epoch: number | null;
  /** Largest spacing of the test evaluations: the resolution of every test-based epoch above (1 = every epoch). */
  test_eval_every: number | null;
  epoch_convention: EpochConvention;
  /** What the epochs mean, in words. */
  epoch_note: string;
  /** The run's own key frequencies (last analysed embedding_fourier) and their viability (viability.ts); stored runs only. */
  key_frequencies?: RunKeyFrequencies | null;
  /**
   * Set only for a run short of its horizon that is not finished (training, interrupted, failed):
   * its class so far and the epoch it stands at. `performance_classification` is then null, and
   * class counts leave the run out (MIScope classifies full runs only).
   */
  provisional?: { classification: OutcomeClass | null; epoch: number; epochs: number; state: string };
}

/** A run's outcome made provisional: its class so far moved aside, as the run is not finished. */
export function provisionalOutcome(o: RunOutcome, epoch: number, epochs: number, state: string): RunOutcome {
  return { ...o, performance_classification: null, provisional: { classification: o.performance_classification, epoch, epochs, state } };
}

export const EPOCH_NOTES: Record<EpochConvention, string> = {
  steps: 'epoch e = the weights after e optimiser steps (grokbench); MIScope labels the weights of a test loss e − 1 ' +
    '(its train_losses[e] are already after e steps, so train_loss_threshold_first_epoch is the same number in both)',
  miscope_label: "epoch = MIScope's label (imported run): test losses after e + 1 steps, train losses after e steps",
};

/** Python's f"{x:.6f}". */
function fixed6(x: number): string {
  return x.toFixed(6);
}

/** Python's str() of the threshold constants used in the reasons. */
function pyFloat(x: number): string {
  if (x === 1e-5) return '1e-05';
  if (x === 1e-6) return '1e-06';
  return String(x);
}

/**
 * MIScope's classification of the loss-curve fields. `firstTestEpoch` is the epoch of the first
 * test evaluation (MIScope's label 0).
 */
export function classifyOutcome(
  o: { second_descent_onset_epoch: number | null; test_loss_final: number | null; test_loss_min: number | null },
  firstTestEpoch: number,
): { cls: OutcomeClass; reasons: string[] } {
  const R = OUTCOME_RULES;
  const onset = o.second_descent_onset_epoch;
  const fin = o.test_loss_final as number;
  const min = o.test_loss_min as number;
  if (onset === null || onset === firstTestEpoch) {
    return { cls: 'no_second_descent', reasons: [`test loss never dropped more than ${R.onsetDescentFraction} between epochs`] };
  }
  const rebound = fin - min >= R.reboundTestLoss;
  if (rebound && fin > R.successfulTestLoss) {
    return {
      cls: 'degraded_rebound',
      reasons: [`second_descent_onset=${onset}, post-descent recovery detected`, `final_test_loss=${fixed6(fin)} > ${pyFloat(R.successfulTestLoss)}`],
    };
  }
  if (fin > R.successfulTestLoss) return { cls: 'degraded', reasons: [`final_test_loss=${fixed6(fin)} > ${pyFloat(R.successfulTestLoss)}`] };
  if (onset > R.lateOnsetEpoch) return { cls: 'late_grokker', reasons: [`second_descent_onset=${onset} > ${R.lateOnsetEpoch}`] };
  return { cls: 'healthy', reasons: ['grokking onset on time, final loss acceptable'] };
}

/** The outcome of a run from its metrics (any order). */
export function runOutcome(metrics: readonly MetricRow[], convention: EpochConvention = 'steps'): RunOutcome {
  const R = OUTCOME_RULES;
  const rows = [...metrics].sort((a, b) => a.epoch - b.epoch);
  const train = rows.filter((m) => Number.isFinite(m.train_loss));
  const test = rows.filter((m) => m.test_loss !== null && Number.isFinite(m.test_loss)) as (MetricRow & { test_loss: number })[];
  const firstBy = <T extends MetricRow>(xs: T[], v: (m: T) => number, better: (a: number, b: number) => boolean): T | null => {
    let best: T | null = null;
    for (const m of xs) if (best === null || better(v(m), v(best))) best = m;
    return best;
  };
  const trMin = firstBy(train, (m) => m.train_loss, (a, b) => a < b);
  const teMax = firstBy(test, (m) => m.test_loss, (a, b) => a > b);
  const teMin = firstBy(test, (m) => m.test_loss, (a, b) => a < b);
  const teFinal = test.length ? test[test.length - 1].test_loss : null;
  let onset: number | null = null;
  if (teMax) {
    const peak = teMax.test_loss;
    for (const m of test) {
      if (m.epoch < teMax.epoch) continue;
      if ((peak - m.test_loss) / peak >= R.onsetDescentFraction) { onset = m.epoch; break; }
    }
  }
  const gaps = test.slice(1).map((m, i) => m.epoch - test[i].epoch);
  const out: RunOutcome = {
    train_loss_threshold_first_epoch: train.find((m) => m.train_loss <= R.firstDescentTrainLoss)?.epoch ?? -1,
    train_loss_min: trMin?.train_loss ?? null,
    train_loss_min_epoch: trMin?.epoch ?? null,
    train_loss_final: train.length ? train[train.length - 1].train_loss : null,
    test_loss_max: teMax?.test_loss ?? null,
    test_loss_max_epoch: teMax?.epoch ?? null,
    test_loss_min: teMin?.test_loss ?? null,
    test_loss_min_epoch: teMin?.epoch ?? null,
    test_loss_final: teFinal,
    second_descent_onset_epoch: onset,
    second_descent_survived: onset === null ? null : (teFinal as number) <= R.successfulTestLoss,
    test_loss_threshold_first_epoch: test.find((m) => m.test_loss <= R.secondDescentTestLoss)?.epoch ?? -1,
    performance_classification: null,
    classification_reasons: ['no test loss recorded'],
    grok_epoch: grokkingTimes(rows).grok_epoch,
    test_eval_every: gaps.length ? Math.max(...gaps) : null,
    epoch_convention: convention,
    epoch_note: EPOCH_NOTES[convention],
  };
  if (test.length > 0) {
    const c = classifyOutcome(out, test[0].epoch);
    out.performance_classification = c.cls;
    out.classification_reasons = c.reasons;
  }
  return out;
}

/** The epoch convention of a stored run: MIScope's labels for runs imported from MIScope folders. */
export function epochConventionOf(run: { source: string }): EpochConvention {
  return run.source === 'miscope' ? 'miscope_label' : 'steps';
}

/** The name and parameters under which outcomes are stored in the analysis table. */
export const OUTCOME = 'outcome';
export const OUTCOME_PARAMS = { version: 1 };

/** A run's rounding-ensemble jitter from its stored config (a missing jitter is 0). */
export function runJitter(run: { config_json: string }): number {
  try {
    const c = JSON.parse(run.config_json) as { jitter?: unknown };
    return typeof c.jitter === 'number' ? c.jitter : 0;
  } catch { return 0; }
}
