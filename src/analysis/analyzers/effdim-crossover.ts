/**
 * `effective_dimensionality_crossover` (issue 14 §4): a run analyzer over the run's
 * effective_dimensionality summaries (it runs after the checkpoint analyses). MIScope's
 * variant-summary key epoch (variant_analysis_summary.py `_load_effective_dimensionality_key_epochs`):
 *   cross_over_epoch  the first checkpoint at which PR(W_out) ≤ PR(W_in) after PR(W_out) has first
 *                     risen above PR(W_in) (at initialisation the two are about equal, W_out being
 *                     shaped like W_inᵀ, so the plain first "≤" is usually epoch 0); null if never.
 *   crossover_W_E_pr  PR(W_E) at that checkpoint (MIScope's effective_dimensionality_crossover_W_E_pr).
 *   first_at_or_below_epoch  the plain first checkpoint with PR(W_out) ≤ PR(W_in).
 *   rose_above_epoch  the first checkpoint with PR(W_out) > PR(W_in).
 * PR is grokbench's (Σσ²)²/Σσ⁴ (effective-dimensionality.ts). The epochs are null when the run has
 * no effective_dimensionality results.
 */
import type { RunAnalyzer } from '../protocol/analyzer.js';
import { EFFECTIVE_DIMENSIONALITY, effectiveDimensionalityAnalyzer, type EffdimSummary } from './effective-dimensionality.js';

export const EFFDIM_CROSSOVER = 'effective_dimensionality_crossover';

export interface EffdimCrossover {
  cross_over_epoch: number | null;
  crossover_W_E_pr: number | null;
  first_at_or_below_epoch: number | null;
  rose_above_epoch: number | null;
  checkpoints: number;
}

/** The crossover of PR(W_out) to PR(W_in) or below over checkpoints (ascending epochs). */
export function prCrossOver(epochs: readonly number[], prIn: readonly number[], prOut: readonly number[], prE?: readonly number[]): EffdimCrossover {
  let rose: number | null = null, cross: number | null = null, first: number | null = null, crossE: number | null = null;
  for (let i = 0; i < epochs.length; i++) {
    if (first === null && prOut[i] <= prIn[i]) first = epochs[i];
    if (rose === null) { if (prOut[i] > prIn[i]) rose = epochs[i]; continue; }
    if (prOut[i] <= prIn[i]) { cross = epochs[i]; crossE = prE ? prE[i] : null; break; }
  }
  return { cross_over_epoch: cross, crossover_W_E_pr: crossE, first_at_or_below_epoch: first, rose_above_epoch: rose, checkpoints: epochs.length };
}

export const effdimCrossoverAnalyzer: RunAnalyzer = {
  tier: 'run',
  requires: [EFFECTIVE_DIMENSIONALITY],
  name: EFFDIM_CROSSOVER,
  version: 1,
  params(opts) { return { version: this.version, effdim: effectiveDimensionalityAnalyzer.params(opts), rule: 'first W_out <= W_in after W_out > W_in' }; },
  analyseRun(ctx) {
    const uniq = ctx.store.getAnalyses<EffdimSummary>(ctx.runId, EFFECTIVE_DIMENSIONALITY, effectiveDimensionalityAnalyzer.params(ctx.options));
    return prCrossOver(uniq.map((r) => r.epoch), uniq.map((r) => r.summary.pr.W_in as number), uniq.map((r) => r.summary.pr.W_out as number),
      uniq.map((r) => r.summary.pr.W_E as number));
  },
};
