/**
 * `attention` (issue 14 §1): attention.ts per checkpoint. Artifact tensors: scores F32 [H, 2p+1]
 * (every p² attention map is softmax of three of these: attention.ts `attentionMaps`), mean_attention
 * F32 [H, 3] (to a, b, =), map_frac, qk_frac, vo_frac F32 [H, (p−1)/2], dominant_frequency I32 [H],
 * specialization F32 [H]. Summary: { heads: [{ dominant_frequency, specialization, qk_dominant,
 * vo_dominant, mean_to_a, mean_to_b, mean_to_eq }] }.
 */
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { argmax1, f32Tensor as f } from './common.js';
import { analyseAttention } from '../library/attention.js';
import { sharedForwardIfDone } from '../protocol/shared-forward.js';

export const ATTENTION = 'attention';

export interface AttentionHeadSummary {
  dominant_frequency: number; specialization: number; qk_dominant: number; vo_dominant: number;
  mean_to_a: number; mean_to_b: number; mean_to_eq: number;
}


export const attentionAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: ATTENTION,
  version: 1,
  params() { return { version: this.version }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const { p, nHeads: H } = ctx.checkpoint.config;
    const nF = (p - 1) / 2;
    const r = analyseAttention(ctx.kernels, ctx.checkpoint.params, ctx.scratch, sharedForwardIfDone(ctx)?.tables);
    const heads: AttentionHeadSummary[] = Array.from({ length: H }, (_, h) => ({
      dominant_frequency: r.dominant[h], specialization: r.specialization[h],
      qk_dominant: argmax1(r.qkFrac.subarray(h * nF, (h + 1) * nF)), vo_dominant: argmax1(r.voFrac.subarray(h * nF, (h + 1) * nF)),
      mean_to_a: r.mean[h * 3], mean_to_b: r.mean[h * 3 + 1], mean_to_eq: r.mean[h * 3 + 2],
    }));
    return {
      summary: { heads },
      tensors: {
        scores: f(r.scores, [H, 2 * p + 1]), mean_attention: f(r.mean, [H, 3]),
        map_frac: f(r.mapFrac, [H, nF]), qk_frac: f(r.qkFrac, [H, nF]), vo_frac: f(r.voFrac, [H, nF]),
        dominant_frequency: { dtype: 'I32', shape: [H], data: r.dominant }, specialization: f(r.specialization, [H]),
      },
    };
  },
};
