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

export const DEFAULT_GROK_LOSS = 0.01;

export function grokkingTimes(metrics: MetricRow[], opts: { grokLoss?: number } = {}): GrokkingTimes {
  const th = opts.grokLoss ?? DEFAULT_GROK_LOSS;
  const rows = [...metrics].sort((x, y) => x.epoch - y.epoch);
  const first = (pred: (m: MetricRow) => boolean): number | null => rows.find(pred)?.epoch ?? null;
  const grok = first((m) => m.test_loss !== null && m.test_loss < th);
  let stays: boolean | null = null;
  if (grok !== null) stays = rows.every((m) => m.epoch <= grok || m.test_loss === null || m.test_loss < th);
  return {
    grok_epoch: grok,
    grok_epoch_acc: first((m) => m.test_acc !== null && m.test_acc >= 0.99),
    memorise_epoch: first((m) => m.train_acc >= 0.99),
    acc_half_epoch: first((m) => m.test_acc !== null && m.test_acc > 0.5),
    stays_below: stays,
  };
}
