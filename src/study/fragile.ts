/**
 * Fragile outcome classes and their rounding ensembles. MIScope's class of a run turns on two
 * lines: a final test loss of 1e-5 (degraded above it) and a second-descent onset at epoch 12,000
 * (late_grokker after it). A run's class is *fragile* when its final test loss lies within a factor
 * of 10 of the loss line (1e-6 ≤ final ≤ 1e-4) or its onset within 500 epochs of the onset line:
 * a ±1-ulp change of the initial weights (`--jitter`), which moves a long run as much as any
 * rounding difference does, may then change the class. Its ensemble (the same p, seed and data
 * seed at other jitters) gives the class as a distribution.
 */
import { OUTCOME_RULES, type OutcomeClass, type RunOutcome } from '../metrics/outcome.js';

/** Within this factor of the final-test-loss line. */
export const FRAGILE_LOSS_FACTOR = 10;
/** Within this many epochs of the onset line. */
export const FRAGILE_ONSET_EPOCHS = 500;

/** The run fields this needs (a row of `grokbench outcome --json`). */
export interface ClassedRun {
  run_id: string; p: number; seed: number; data_seed: number; jitter: number;
  outcome: Pick<RunOutcome, 'performance_classification' | 'test_loss_final' | 'second_descent_onset_epoch'> | null;
}

/** Why a run's class is fragile (empty: it is not). */
export function fragileReasons(o: ClassedRun['outcome']): string[] {
  if (!o) return [];
  const out: string[] = [];
  const line = OUTCOME_RULES.successfulTestLoss, f = o.test_loss_final;
  // On a log scale (line / 10 is not exactly 1e-6 in floating point): |log10 f − log10 line| ≤ log10 10, to 1e-12.
  if (f !== null && f > 0 && Number.isFinite(f) && Math.abs(Math.log10(f / line)) <= Math.log10(FRAGILE_LOSS_FACTOR) + 1e-12) {
    out.push(`final test loss ${f.toExponential(1)} within a factor of ${FRAGILE_LOSS_FACTOR} of ${line.toExponential(0)}`);
  }
  const onset = o.second_descent_onset_epoch, cut = OUTCOME_RULES.lateOnsetEpoch;
  if (onset !== null && Math.abs(onset - cut) <= FRAGILE_ONSET_EPOCHS) {
    out.push(`second-descent onset ${onset} within ${FRAGILE_ONSET_EPOCHS} epochs of ${cut}`);
  }
  return out;
}

export interface FragileVariant {
  run_id: string; p: number; seed: number; data_seed: number;
  class: OutcomeClass | null;
  reasons: string[];
  /** The ensemble: this run and every other jitter of its (p, seed, data seed), by jitter. */
  members: { run_id: string; jitter: number; class: OutcomeClass | null; test_loss_final: number | null; onset: number | null }[];
  /** Class → count over the members (one member: no ensemble trained). */
  distribution: Record<string, number>;
}

/** The fragile runs among `runs` (jitter 0), each with its ensemble from `runs` and `ensemble`. */
export function fragileVariants(runs: readonly ClassedRun[], ensemble: readonly ClassedRun[] = []): FragileVariant[] {
  const key = (r: ClassedRun) => `${r.p}|${r.seed}|${r.data_seed}`;
  const all = [...runs, ...ensemble];
  return runs.filter((r) => r.jitter === 0 && fragileReasons(r.outcome).length > 0).map((r) => {
    const members = [...new Map(all.filter((x) => key(x) === key(r)).map((x) => [x.jitter, x])).values()].sort((a, b) => a.jitter - b.jitter)
      .map((x) => ({ run_id: x.run_id, jitter: x.jitter, class: x.outcome?.performance_classification ?? null,
        test_loss_final: x.outcome?.test_loss_final ?? null, onset: x.outcome?.second_descent_onset_epoch ?? null }));
    const distribution: Record<string, number> = {};
    for (const m of members) distribution[m.class ?? 'none'] = (distribution[m.class ?? 'none'] ?? 0) + 1;
    return { run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, class: r.outcome?.performance_classification ?? null,
      reasons: fragileReasons(r.outcome), members, distribution };
  });
}

/** "late_grokker 3/5, degraded 2/5", most frequent first. */
export function distributionText(v: FragileVariant): string {
  const n = v.members.length;
  return Object.entries(v.distribution).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c, k]) => `${c} ${k}/${n}`).join(', ');
}
