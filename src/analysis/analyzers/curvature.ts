/**
 * `curvature` (issue 14 §3): curvature.ts on the run's training set at every checkpoint —
 * MIScope's landscape flatness (50 directions, ε = 0.1) everywhere, and the top Hessian eigenvalue
 * at epoch 0 and every `hessian_every` epochs (1000; the Hessian costs ~2 gradient evaluations per
 * power iteration, see bench/). Trainable parameters: the weights W_*, and the biases too when the
 * checkpoint's config says `trainBiases`.
 * Artifact tensors: delta_losses F32 [50]; with the Hessian, hessian_eigenvector F32 [n_trainable].
 * Summary: { train_set, epsilon, directions, …FlatnessStats, hessian: null | { eigenvalue,
 * iterations, converged, residual, second_difference, relative_error } }.
 */
import type { Analyzer, AnalyzerOutput } from '../analyzer.js';
import { DEFAULT_FLATNESS, DEFAULT_HESSIAN, flatness, flatnessStats, LossOracle, topHessianEigenvalue, type FlatnessStats } from '../curvature.js';
import { trainSetOf } from '../train-set.js';

export const CURVATURE = 'curvature';
export const HESSIAN_EVERY = 1000;

export interface CurvatureSummary extends Partial<FlatnessStats> {
  train_set: string | null;
  epsilon?: number;
  directions?: number;
  hessian?: {
    eigenvalue: number; iterations: number; converged: boolean; residual: number;
    second_difference: number; relative_error: number;
  } | null;
}

export function hessianDue(epoch: number | null): boolean {
  return epoch === null || epoch % HESSIAN_EVERY === 0;
}

function trainsBiases(md: Record<string, string>): boolean {
  try { return (JSON.parse(md.config ?? '{}') as { trainBiases?: unknown }).trainBiases === true; } catch { return false; }
}

export const curvatureAnalyzer: Analyzer = {
  name: CURVATURE,
  version: 1,
  params() { return { version: this.version, ...DEFAULT_FLATNESS, hessian_every: HESSIAN_EVERY, hessian: DEFAULT_HESSIAN }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const params = ctx.checkpoint.params;
    const ts = trainSetOf(ctx.checkpointPath, params.config.p);
    if (!ts) {
      const summary: CurvatureSummary = { train_set: null };
      return { summary, tensors: { available: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } } };
    }
    const oracle = new LossOracle(ctx.kernels, params, ts.batch, params.trainedRanges(trainsBiases(ctx.checkpoint.metadata)));
    const f = flatness(oracle);
    const summary: CurvatureSummary = {
      train_set: ts.source, epsilon: f.epsilon, directions: f.deltas.length, ...flatnessStats(f.baseline, f.deltas), hessian: null,
    };
    const tensors: AnalyzerOutput['tensors'] = { delta_losses: { dtype: 'F32', shape: [f.deltas.length], data: Float32Array.from(f.deltas) } };
    if (hessianDue(ctx.epoch)) {
      const h = topHessianEigenvalue(oracle);
      summary.hessian = {
        eigenvalue: h.eigenvalue, iterations: h.iterations, converged: h.converged, residual: h.residual,
        second_difference: h.secondDifference, relative_error: h.relativeError,
      };
      tensors.hessian_eigenvector = { dtype: 'F32', shape: [h.eigenvector.length], data: Float32Array.from(h.eigenvector) };
    }
    return { summary, tensors };
  },
};
