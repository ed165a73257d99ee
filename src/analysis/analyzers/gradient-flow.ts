/**
 * `gradient_flow` (issue 14 §2): gradient-flow.ts at every checkpoint, on the run's training set
 * (train-set.ts). Artifact tensors: neuron_grad, neuron_grad_in, neuron_grad_out F32 [d_mlp];
 * energy_embedding, energy_attention, energy_mlp F32 [(p−1)/2]. A checkpoint whose run has no known
 * split stores only `available` U8 [1] = 0 and the summary says so (no guessed training set).
 * Summary: { train_set, loss, acc, grad_norm, magnitude: {site: …}, dominant_frequency: {site: k},
 * neuron_grad: {mean, median, max} }.
 */
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { argmax1, f32Tensor } from './common.js';
import { GRADIENT_SITES, gradientFlow } from '../library/gradient-flow.js';
import { median } from '../../math/stats.js';
import { trainSetOf } from '../protocol/train-set.js';

export const GRADIENT_FLOW = 'gradient_flow';

export interface GradientFlowSummary {
  train_set: string | null;
  loss?: number; acc?: number; grad_norm?: number;
  magnitude?: Record<string, number>;
  dominant_frequency?: Record<string, number>;
  neuron_grad?: { mean: number; median: number; max: number };
}

export const gradientFlowAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: GRADIENT_FLOW,
  version: 1,
  params() { return { version: this.version }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const { p, dMlp: m } = ctx.checkpoint.config;
    const ts = trainSetOf(ctx.checkpointPath, p);
    if (!ts) {
      const summary: GradientFlowSummary = { train_set: null };
      return { summary, tensors: { available: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } } };
    }
    const gf = gradientFlow(ctx.kernels, ctx.checkpoint.params, ts.batch);
    const nF = (p - 1) / 2;
    let s = 0, mx = 0;
    for (const v of gf.neuron) { s += v; mx = Math.max(mx, v); }
    const summary: GradientFlowSummary = {
      train_set: ts.source, loss: gf.loss, acc: gf.acc, grad_norm: gf.gradNorm, magnitude: { ...gf.magnitude },
      dominant_frequency: Object.fromEntries(GRADIENT_SITES.map((site) => [site, argmax1(gf.energy[site])])),
      neuron_grad: { mean: s / m, median: median(gf.neuron), max: mx },
    };
    const v = (x: Float64Array, n: number) => f32Tensor(x, [n]);
    return {
      summary,
      tensors: {
        neuron_grad: v(gf.neuron, m), neuron_grad_in: v(gf.neuronIn, m), neuron_grad_out: v(gf.neuronOut, m),
        energy_embedding: v(gf.energy.embedding, nF), energy_attention: v(gf.energy.attention, nF), energy_mlp: v(gf.energy.mlp, nF),
      },
    };
  },
};
