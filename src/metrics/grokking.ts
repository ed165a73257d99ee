/**
 * Grokking time from a run's per-epoch metrics (docs/design.md §5). Epochs without a test evaluation
 * (test fields null) are skipped by the test-based times; a time that is never reached is null.
 *   grok_epoch      first epoch with test loss < grokLoss (default 0.01)
 *   grok_epoch_acc  first epoch with test accuracy ≥ 0.99
 *   memorise_epoch  first epoch with train accuracy ≥ 0.99
 *   acc_half_epoch  first epoch with test accuracy > 0.5
 *   stays_below     whether every evaluated test loss after grok_epoch stays < grokLoss (null if no grok)
 */
import type { MetricRow } from './metric-row.js';

export interface GrokkingTimes {
  grok_epoch: number | null;
  grok_epoch_acc: number | null;
  memorise_epoch: number | null;
  acc_half_epoch: number | null;
  stays_below: boolean | null;
}

/** The test-loss threshold of grok_epoch (docs/design.md §5). */
export const DEFAULT_GROK_LOSS = 0.01;
/** Train accuracy at which a run has memorised. */
export const MEMORISE_ACC = 0.99;
/** Test accuracy at which a run has grokked by accuracy. */
export const GROK_ACC = 0.99;

/** Whether a metrics row is memorised: train accuracy ≥ MEMORISE_ACC. */
export function isMemorised(m: MetricRow): boolean { return m.train_acc >= MEMORISE_ACC; }
/** Whether a metrics row has grokked: an evaluated test loss below `grokLoss` (default 0.01). */
export function hasGrokked(m: MetricRow, grokLoss = DEFAULT_GROK_LOSS): boolean { return m.test_loss !== null && m.test_loss < grokLoss; }

export function grokkingTimes(metrics: MetricRow[], opts: { grokLoss?: number } = {}): GrokkingTimes {
  const th = opts.grokLoss ?? DEFAULT_GROK_LOSS;
  const rows = [...metrics].sort((x, y) => x.epoch - y.epoch);
  const first = (pred: (m: MetricRow) => boolean): number | null => rows.find(pred)?.epoch ?? null;
  const grok = first((m) => hasGrokked(m, th));
  let stays: boolean | null = null;
  if (grok !== null) stays = rows.every((m) => m.epoch <= grok || m.test_loss === null || hasGrokked(m, th));
  return {
    grok_epoch: grok,
    grok_epoch_acc: first((m) => m.test_acc !== null && m.test_acc >= GROK_ACC),
    memorise_epoch: first(isMemorised),
    acc_half_epoch: first((m) => m.test_acc !== null && m.test_acc > 0.5),
    stays_below: stays,
  };
}
