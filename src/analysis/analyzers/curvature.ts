/**
 * `curvature` (issue 14 §3): curvature.ts on the run's training set.
 *  - MIScope's landscape flatness (50 directions, ε = 0.1) at epoch 0 and every `curvature_every`
 *    epochs (default 2500; `grokbench analyze --curvature-every 1` for every checkpoint). It costs
 *    51 training-loss evaluations (≈ 1–2.4 s per p=113 checkpoint on one core), more than every
 *    other analyzer together, so a dense run gets it at a stride.
 *  - The top Hessian eigenvalue at epoch 0 and every `hessian_every` epochs (5000), in float64
 *    (the TypeScript reference engine), each Hessian-vector product a central difference with a step
 *    ≤ 1e-6 kept inside the ReLUs' current linear region (curvature.ts); ≤ 44 float64 gradients.
 * Trainable parameters: the weights W_*, and the biases too when the checkpoint's config says
 * `trainBiases`. Other epochs store `computed` U8 [1] = 0 and a summary with `flatness: false`.
 * Artifact tensors: delta_losses F32 [50]; with the Hessian, hessian_eigenvector F32 [n_trainable].
 * Summary: { train_set, flatness, epsilon, directions, …FlatnessStats, hessian: null | { eigenvalue,
 * min_eigenvalue, iterations, converged, residual, second_difference, relative_error,
 * step_agreement, relu_flips, h, min_step, max_step, precision } }.
 */
import { ReferenceKernels } from '../../engine/reference.js';
import type { Analyzer, AnalyzerOutput, AnalysisOptions } from '../protocol/analyzer.js';
import { f32Tensor } from './common.js';
import { DEFAULT_FLATNESS, DEFAULT_HESSIAN, flatness, flatnessStats, LossOracle, topHessianEigenvalue, type FlatnessStats } from '../library/curvature.js';
import { trainSetOf } from '../protocol/train-set.js';

export const CURVATURE = 'curvature';
export const HESSIAN_EVERY = 5000;
export const CURVATURE_EVERY = 2500;

export interface CurvatureSummary extends Partial<FlatnessStats> {
  train_set: string | null;
  flatness?: boolean;
  epsilon?: number;
  directions?: number;
  hessian?: {
    eigenvalue: number; min_eigenvalue: number; iterations: number; converged: boolean; residual: number;
    second_difference: number; relative_error: number; step_agreement: number; relu_flips: number; h: number; min_step: number; max_step: number; precision: 'f64';
  } | null;
}

const curvatureEvery = (opts: AnalysisOptions): number => opts.curvatureEvery ?? CURVATURE_EVERY;

export function hessianDue(epoch: number | null): boolean {
  return epoch === null || epoch % HESSIAN_EVERY === 0;
}

export function flatnessDue(epoch: number | null, every: number): boolean {
  return epoch === null || epoch % every === 0;
}

function trainsBiases(md: Record<string, string>): boolean {
  try { return (JSON.parse(md.config ?? '{}') as { trainBiases?: unknown }).trainBiases === true; } catch { return false; }
}

export const curvatureAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: CURVATURE,
  version: 3,
  params(opts) {
    return { version: this.version, ...DEFAULT_FLATNESS, curvature_every: curvatureEvery(opts), hessian_every: HESSIAN_EVERY, hessian: DEFAULT_HESSIAN, hessian_precision: 'f64' };
  },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const params = ctx.checkpoint.params;
    const ts = trainSetOf(ctx.checkpointPath, params.config.p);
    const doFlat = flatnessDue(ctx.epoch, curvatureEvery(ctx.options)), doHess = hessianDue(ctx.epoch);
    if (!ts || (!doFlat && !doHess)) {
      const summary: CurvatureSummary = { train_set: ts ? ts.source : null, flatness: false, hessian: null };
      return { summary, tensors: { computed: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } } };
    }
    const ranges = params.trainedRanges(trainsBiases(ctx.checkpoint.metadata));
    const summary: CurvatureSummary = { train_set: ts.source, flatness: doFlat, hessian: null };
    const tensors: AnalyzerOutput['tensors'] = { computed: { dtype: 'U8', shape: [1], data: Uint8Array.of(1) } };
    if (doFlat) {
      const f = flatness(new LossOracle(ctx.kernels, params, ts.batch, ranges));
      Object.assign(summary, { epsilon: f.epsilon, directions: f.deltas.length, ...flatnessStats(f.baseline, f.deltas) });
      tensors.delta_losses = f32Tensor(f.deltas, [f.deltas.length]);
    }
    if (doHess) {
      const h = topHessianEigenvalue(new LossOracle(new ReferenceKernels('f64'), params, ts.batch, ranges));
      summary.hessian = {
        eigenvalue: h.eigenvalue, min_eigenvalue: h.minEigenvalue, iterations: h.iterations, converged: h.converged, residual: h.residual,
        second_difference: h.secondDifference, relative_error: h.relativeError, step_agreement: h.stepAgreement, relu_flips: h.reluFlips,
        h: DEFAULT_HESSIAN.h, min_step: h.minStep, max_step: h.maxStep, precision: 'f64',
      };
      tensors.hessian_eigenvector = f32Tensor(h.eigenvector, [h.eigenvector.length]);
    }
    return { summary, tensors };
  },
};
