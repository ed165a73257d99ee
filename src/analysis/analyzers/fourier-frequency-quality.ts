/**
 * `fourier_frequency_quality` (issue 26 item 5; MIScope REQ_052,
 * packages/miscope/src/miscope/analysis/analyzers/fourier_frequency_quality.py): at every
 * checkpoint, the R² of the ideal mod-p addition tensor on the subspace of the embedding's dominant
 * Fourier basis rows, and MIScope's analytic 2m/p for the m complete sin/cos pairs among them
 * (library/fourier-frequency-quality.ts).
 * MIScope runs it as a secondary analyzer on the artifact of `dominant_frequencies`; here it is a
 * checkpoint analyzer (checkpoint analyzers require nothing) that computes those coefficients,
 * ‖B[x]·W_E[:p]‖ per basis row x, itself (p²·d_model products).
 * Artifact tensors: coefficients F32 [p] (MIScope's dominant_frequencies artifact),
 * dominant_frequencies I32 [k] (basis rows, as MIScope), and F64 [1] quality_score,
 * reconstruction_error, analytic_reference, threshold_factor.
 * Summary: { quality_score, reconstruction_error, k, dominant_frequencies (basis rows),
 * complete_pairs (frequencies with both rows dominant), analytic_reference (2m/p), threshold_factor }.
 * Cost at p = 113, d_model = 128 (measured on the 2-core development machine under a load of ~4,
 * issue 26 item 5): 2–4 ms per checkpoint on a run trained here (k = 0 at epochs 0 and 4000, 3 at
 * 8000, 12 at 12000); the R² sum is m²·p² products, 1.5 ms at m = 10 and 16–31 ms at m = 37, the
 * most rows the 3 × mean rule admits at p = 113.
 */
import type { SafetensorsFile } from '../../io/safetensors.js';
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { DEFAULT_THRESHOLD_FACTOR, frequencyQuality, qualityFromCoefficients, type FrequencyQuality } from '../library/fourier-frequency-quality.js';

export const FOURIER_FREQUENCY_QUALITY = 'fourier_frequency_quality';

export interface FourierFrequencyQualitySummary {
  quality_score: number;
  reconstruction_error: number;
  /** The number of dominant basis rows. */
  k: number;
  /** Dominant basis rows (0 constant, 2k−1 sin k, 2k cos k), ascending. */
  dominant_frequencies: number[];
  complete_pairs: number[];
  analytic_reference: number;
  threshold_factor: number;
}

function summaryOf(q: FrequencyQuality, factor: number): FourierFrequencyQualitySummary {
  return {
    quality_score: q.qualityScore, reconstruction_error: q.reconstructionError, k: q.dominantRows.length,
    dominant_frequencies: q.dominantRows, complete_pairs: q.completePairs, analytic_reference: q.analyticReference, threshold_factor: factor,
  };
}

const scalar = (x: number) => ({ dtype: 'F64' as const, shape: [1], data: Float64Array.of(x) });

export const fourierFrequencyQualityAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: FOURIER_FREQUENCY_QUALITY,
  version: 1,
  params() { return { version: this.version, threshold_factor: DEFAULT_THRESHOLD_FACTOR }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const { p, dModel } = ctx.checkpoint.config;
    const q = frequencyQuality(ctx.checkpoint.params.t['embed.W_E'], p, dModel, DEFAULT_THRESHOLD_FACTOR);
    return {
      summary: summaryOf(q, DEFAULT_THRESHOLD_FACTOR),
      tensors: {
        coefficients: { dtype: 'F32', shape: [p], data: Float32Array.from(q.coefficients) },
        dominant_frequencies: { dtype: 'I32', shape: [q.dominantRows.length], data: Int32Array.from(q.dominantRows) },
        quality_score: scalar(q.qualityScore), reconstruction_error: scalar(q.reconstructionError),
        analytic_reference: scalar(q.analyticReference), threshold_factor: scalar(DEFAULT_THRESHOLD_FACTOR),
      },
    };
  },
  /** The dominant rows re-selected from the stored (float32) coefficients, R² recomputed. */
  summariseArtifact(file: SafetensorsFile) {
    const c = file.getFloat64('coefficients');
    const factor = file.getFloat64('threshold_factor')[0];
    return summaryOf(qualityFromCoefficients(c, c.length, factor), factor);
  },
};
