/**
 * `embedding_fourier`: the Fourier norms of W_E's number rows, key frequencies and Gini
 * (embedding.ts). Artifact tensors: norms, cos_norms, sin_norms F32 [(p−1)/2], key_frequencies
 * I32 [n_key]. Summary: { key_frequencies, gini, key_share, norms }.
 */
import type { Analyzer } from '../protocol/analyzer.js';
import { DEFAULT_KEY_SHARE, embeddingFourier } from '../library/embedding.js';

export const EMBEDDING_FOURIER = 'embedding_fourier';

export interface EmbeddingFourierSummary {
  key_frequencies: number[];
  gini: number;
  key_share: number;
  norms: number[];
}

export const embeddingFourierAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: EMBEDDING_FOURIER,
  version: 1,
  params() { return { version: this.version, key_share: DEFAULT_KEY_SHARE }; },
  analyseCheckpoint(ctx) {
    const { p, dModel } = ctx.checkpoint.config;
    const e = embeddingFourier(ctx.checkpoint.params.t['embed.W_E'], p, dModel);
    const n = e.norms.length;
    const summary: EmbeddingFourierSummary = { key_frequencies: e.keyFrequencies, gini: e.gini, key_share: DEFAULT_KEY_SHARE, norms: Array.from(e.norms) };
    return {
      summary,
      tensors: {
        norms: { dtype: 'F32', shape: [n], data: Float32Array.from(e.norms) },
        cos_norms: { dtype: 'F32', shape: [n], data: Float32Array.from(e.cosNorms) },
        sin_norms: { dtype: 'F32', shape: [n], data: Float32Array.from(e.sinNorms) },
        key_frequencies: { dtype: 'I32', shape: [e.keyFrequencies.length], data: Int32Array.from(e.keyFrequencies) },
      },
    };
  },
};
