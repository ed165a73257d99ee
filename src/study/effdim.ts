/**
 * Study sections from the effective-dimensionality crossover and the parameter trajectory (issue 14
 * §4, §5), read from stored results only; each left out when no run has them.
 *  - further-effdim-crossover: does PR(W_out) fall to PR(W_in) (MIScope's crossover epoch, stored by
 *    the effective_dimensionality_crossover run analyzer) before or after the run groks? Per run the
 *    crossover epoch, the grokking epoch (test loss < grok_loss), their difference and MIScope's class.
 *  - further-trajectory: how much of the weights' path over training lies in a plane, and when do
 *    they move fastest? Per run and group: PC1 + PC2 explained variance, and the epoch of the largest
 *    velocity ‖θ_{i+1} − θ_i‖/Δepoch after epoch 0's first step (checkpoints after the first).
 */
import type { Store } from '../store/store.js';
import { EFFDIM_CROSSOVER, type EffdimCrossover } from '../analysis/analyzers/effdim-crossover.js';
import { readParameterTrajectory } from '../analysis/analyzers/parameter-trajectory.js';
import type { GrokkingTimes } from '../metrics/grokking.js';
import { runOutcome } from '../metrics/outcome.js';
import { TRAJECTORY_GROUPS } from '../analysis/library/parameter-trajectory.js';
import { median } from '../math/stats.js';
import type { Cell, StudySection } from './study.js';

export interface CrossoverRow { run_id: string; cls: string | null; cross_over_epoch: number | null; grok_epoch: number | null; lead: number | null }

export function crossoverRow(store: Store, runId: string): CrossoverRow | null {
  const cx = store.getAnalyses<EffdimCrossover>(runId, EFFDIM_CROSSOVER).at(-1)?.summary;
  if (!cx || cx.checkpoints === 0) return null;
  const grok = store.getAnalyses<GrokkingTimes>(runId, 'grokking').at(-1)?.summary.grok_epoch ?? null;
  const m = store.getMetrics(runId);
  const cls = m.length ? runOutcome(m).performance_classification : null;
  const lead = cx.cross_over_epoch !== null && grok !== null ? grok - cx.cross_over_epoch : null;
  return { run_id: runId, cls, cross_over_epoch: cx.cross_over_epoch, grok_epoch: grok, lead };
}

const runs = (n: number): string => `${n} run${n === 1 ? '' : 's'}`;

export function sectionCrossover(rows: CrossoverRow[]): StudySection | null {
  if (rows.length === 0) return null;
  const both = rows.filter((r) => r.lead !== null);
  const before = both.filter((r) => r.lead! >= 0).length;
  const noCross = rows.filter((r) => r.cross_over_epoch === null);
  const noGrok = rows.filter((r) => r.grok_epoch === null);
  const med = both.length ? median(both.map((r) => r.lead!)) : null;
  return {
    id: 'further-effdim-crossover',
    question: 'Does PR(W_out) fall to PR(W_in) before the run groks?',
    answer: `${runs(rows.length)}: of the ${both.length} with both epochs, the crossover comes at or before grokking in ${before}` +
      (med !== null ? ` (median grokking − crossover: ${med} epochs)` : '') + `; ${runs(noCross.length)} never cross` +
      (noCross.length ? ` (${noCross.filter((r) => r.grok_epoch === null).length} of them never grok)` : '') +
      `; ${runs(noGrok.length)} never grok` + (noGrok.length ? ` (${noGrok.filter((r) => r.cross_over_epoch !== null).length} of them cross)` : '') + '.',
    figure: 'further-effdim-crossover',
    table: {
      columns: ['run', 'class', 'crossover epoch', 'grokking epoch', 'grokking − crossover'],
      rows: rows.map((r): Cell[] => [r.run_id, r.cls, r.cross_over_epoch, r.grok_epoch, r.lead]),
    },
  };
}

export interface TrajectoryRow { run_id: string; group: string; checkpoints: number; pc12: number; pc123: number; fastest_epoch: number | null; max_velocity: number | null }

export function trajectoryRows(store: Store, runId: string): TrajectoryRow[] {
  const t = readParameterTrajectory(store, runId, 3);
  if (!t || t.epochs.length < 3) return [];
  return TRAJECTORY_GROUPS.map((g) => {
    const { pca, velocity } = t.groups[g];
    const r = pca.explainedVarianceRatio;
    let best = -1;
    for (let i = 1; i < velocity.length; i++) if (best < 0 || velocity[i] > velocity[best]) best = i;
    return {
      run_id: runId, group: g, checkpoints: t.epochs.length, pc12: r[0] + (r[1] ?? 0), pc123: r[0] + (r[1] ?? 0) + (r[2] ?? 0),
      fastest_epoch: best >= 0 ? t.epochs[best + 1] : null, max_velocity: best >= 0 ? velocity[best] : null,
    };
  });
}

export function sectionTrajectory(rows: TrajectoryRow[]): StudySection | null {
  if (rows.length === 0) return null;
  const all = rows.filter((r) => r.group === 'all');
  const r3 = (x: number | null) => (x === null ? null : Number(x.toPrecision(3)));
  return {
    id: 'further-trajectory',
    question: 'How flat is the weights\' path through training, and when does it move fastest?',
    answer: `Over all weights, PC1 + PC2 explain a median ${(100 * median(all.map((r) => r.pc12))).toFixed(0)} % of the variance of the checkpoints ` +
      `(${all.length} runs; PC1–PC3 ${(100 * median(all.map((r) => r.pc123))).toFixed(0)} %). The velocity's peak after the first step is in the table per group.`,
    figure: 'further-trajectory',
    table: {
      columns: ['run', 'group', 'checkpoints', 'PC1+PC2 variance', 'PC1–PC3 variance', 'fastest epoch (after the first step)', 'max velocity'],
      rows: rows.map((r): Cell[] => [r.run_id, r.group, r.checkpoints, r3(r.pc12), r3(r.pc123), r.fastest_epoch, r3(r.max_velocity)]),
    },
  };
}

/** The sections of this file for these runs. */
export function effdimTrajectorySections(store: Store, runIds: readonly string[]): StudySection[] {
  const c: CrossoverRow[] = [], t: TrajectoryRow[] = [];
  for (const id of runIds) {
    if (!store.getRun(id)) continue;
    const row = crossoverRow(store, id); if (row) c.push(row);
    t.push(...trajectoryRows(store, id));
  }
  return [sectionCrossover(c), sectionTrajectory(t)].filter((s): s is StudySection => s !== null);
}
