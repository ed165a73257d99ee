/**
 * `weight_norm`: the Frobenius norm of every parameter tensor and of all parameters together at
 * every checkpoint (library/weight-norm.ts). Artifact tensor: `norms` F64 [16], one per tensor in
 * state-dict order (PARAM_NAMES). Summary: { total, W_E, W_pos, W_Q, W_K, W_V, W_O, W_in, W_out, W_U } (the
 * weights; biases stay in the artifact).
 */
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { weightNorms } from '../library/weight-norm.js';
import { PARAM_NAMES, isWeight } from '../../model/params.js';

export const WEIGHT_NORM = 'weight_norm';

export type WeightNormSummary = { total: number } & Record<string, number>;

/** The summary from the per-tensor norms (state-dict order). */
function summaryOf(norms: ArrayLike<number>): WeightNormSummary {
  let all = 0;
  for (let i = 0; i < norms.length; i++) all += norms[i] * norms[i];
  const summary: WeightNormSummary = { total: Math.sqrt(all) };
  PARAM_NAMES.forEach((name, i) => { if (isWeight(name)) summary[name.split('.').pop()!] = norms[i]; });
  return summary;
}

export const weightNormAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: WEIGHT_NORM,
  version: 1,
  params() { return { version: this.version }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const n = weightNorms(ctx.checkpoint.params);
    const norms = Float64Array.from(PARAM_NAMES.map((x) => n.perTensor[x]));
    return { summary: summaryOf(norms), tensors: { norms: { dtype: 'F64', shape: [PARAM_NAMES.length], data: norms } } };
  },
  summariseArtifact(file) { return summaryOf(file.getFloat64('norms')); },
};
