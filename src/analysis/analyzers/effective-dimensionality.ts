/**
 * `effective_dimensionality` (issue 14 §4): effective-dimensionality.ts per checkpoint.
 * Artifact tensors: sv_<matrix> F32 [n_heads, d_head] for W_Q, W_K, W_V, W_O, F32 [min(rows, cols)]
 * otherwise. Summary: { pr: { W_E: x, …, W_Q: [per head], … } } with PR = (Σσ²)²/Σσ⁴.
 * The run-level crossing (first epoch with PR(W_out) ≤ PR(W_in)) is the run analyzer
 * effective_dimensionality_crossover (effdim-crossover.ts), computed from these summaries.
 */
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { EFFDIM_MATRICES, participationRatio, weightSpectra } from '../library/effective-dimensionality.js';

export const EFFECTIVE_DIMENSIONALITY = 'effective_dimensionality';

export interface EffdimSummary { pr: Record<string, number | number[]> }

export const effectiveDimensionalityAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: EFFECTIVE_DIMENSIONALITY,
  version: 1,
  params() { return { version: this.version, pr: '(sum s^2)^2/sum s^4' }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const spectra = weightSpectra(ctx.checkpoint.params);
    const pr: EffdimSummary['pr'] = {};
    const tensors: AnalyzerOutput['tensors'] = {};
    for (const name of EFFDIM_MATRICES) {
      const s = spectra[name];
      const perHead = ['W_Q', 'W_K', 'W_V', 'W_O'].includes(name);
      pr[name] = perHead ? s.map(participationRatio) : participationRatio(s[0]);
      const data = new Float32Array(s.length * s[0].length);
      s.forEach((v, h) => data.set(v, h * s[0].length));
      tensors[`sv_${name}`] = { dtype: 'F32', shape: perHead ? [s.length, s[0].length] : [s[0].length], data };
    }
    const summary: EffdimSummary = { pr };
    return { summary, tensors };
  },
};
