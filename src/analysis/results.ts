/**
 * The read API of stored analyses, for the report, the study and scripts. Everything here reads
 * the store (SQLite rows and artifacts written by `grokbench analyze`) and never computes a model.
 */
import { existsSync } from 'node:fs';
import { badInput, failure } from '../core/errors.js';
import { readSafetensorsFile } from '../io/safetensors.js';
import type { AnalysisRow, Store } from '../store/store.js';
import { EMBEDDING_FOURIER, type EmbeddingFourierSummary } from './analyzers/embedding-fourier.js';
import { NEURON_FOURIER, readNeuronFourierArtifact } from './analyzers/neuron-fourier.js';
import { coarsenessFromFractions, concentrationFromFractions } from './library/coarseness.js';

export { activationMaps } from './library/activations.js';
export { grokkingTimes, type GrokkingTimes } from '../metrics/grokking.js';
export { referenceTable, type ReferenceRow } from './library/reference-table.js';
export { summaryStats, distributionStats, type SummaryStats, type DistributionStats } from '../math/summary.js';

export interface NeuronFourierEpoch {
  epoch: number;
  /** [(p−1)/2, d_mlp]: frac[(k−1)·d_mlp + n]. */
  frac: Float32Array;
  variance: Float32Array;
  flat: Uint8Array;
  aOnly: Float32Array;
  bOnly: Float32Array;
  joint: Float32Array;
  /** 1-based; 0 for flat neurons. */
  dominantFrequency: Int32Array;
  dominantFraction: Float32Array;
}

export interface NeuronFourierRun { runId: string; p: number; dMlp: number; nFreq: number; epochs: NeuronFourierEpoch[] }

/**
 * The rows with an artifact, one per epoch: the store keeps one row per checkpoint and analyzer
 * (Store.putAnalysis replaces a row under other params); a store written before that rule may hold
 * several, and then the one written last (the highest rowid, which getAnalyses returns last) wins.
 */
function latestPerEpoch<S>(rows: AnalysisRow<S>[]): AnalysisRow<S>[] {
  const byEpoch = new Map<number, AnalysisRow<S>>();
  for (const r of rows) if (r.path !== null) byEpoch.set(r.epoch, r);
  return [...byEpoch.values()].sort((x, y) => x.epoch - y.epoch);
}

function openArtifact(path: string, runId: string, epoch: number) {
  if (!existsSync(path)) throw failure(`analysis artifact of ${runId} epoch ${epoch} is missing (${path}); run grokbench analyze ${runId}`);
  return readSafetensorsFile(path);
}

function requireRun(store: Store, runId: string) {
  const run = store.getRun(runId);
  if (!run) throw badInput(`no run ${runId} in store ${store.dir}`);
  return run;
}

/** Every analysed checkpoint of a run, sorted by epoch (empty `epochs` if none is analysed yet). */
export function readNeuronFourier(store: Store, runId: string): NeuronFourierRun {
  const run = requireRun(store, runId);
  const epochs: NeuronFourierEpoch[] = [];
  let dMlp = 0, nFreq = (run.p - 1) / 2;
  for (const r of latestPerEpoch(store.getAnalyses(runId, NEURON_FOURIER))) {
    const a = readNeuronFourierArtifact(openArtifact(r.path!, runId, r.epoch), r.path!);
    if (epochs.length > 0 && (a.dMlp !== dMlp || a.nFreq !== nFreq)) throw failure(`${r.path}: shapes differ from the run's other epochs`);
    dMlp = a.dMlp; nFreq = a.nFreq;
    epochs.push({
      epoch: r.epoch, frac: a.frac, variance: a.variance, flat: a.flat, aOnly: a.aOnly, bOnly: a.bOnly, joint: a.joint,
      dominantFrequency: a.dominantFrequency, dominantFraction: a.dominantFraction,
    });
  }
  if (epochs.length === 0) {
    try {
      const c = JSON.parse(run.config_json) as { dMlp?: number; d_mlp?: number };
      dMlp = c.dMlp ?? c.d_mlp ?? 0;
    } catch { dMlp = 0; }
  }
  return { runId, p: 2 * nFreq + 1, dMlp, nFreq, epochs };
}

/** Coarseness Σ_{k≤K} frac_k per neuron; NaN for flat neurons unless flatAsZero (then 0). */
export function coarsenessValues(e: NeuronFourierEpoch, nFreq: number, dMlp: number, K: number, flatAsZero = false): Float64Array {
  return coarsenessFromFractions(e.frac, e.flat, nFreq, dMlp, K, flatAsZero);
}

/** Frequency concentration max_k frac_k per neuron; NaN for flat neurons. */
export function concentrationValues(e: NeuronFourierEpoch, nFreq: number, dMlp: number): Float64Array {
  return concentrationFromFractions(e.frac, e.flat, nFreq, dMlp);
}

export interface EmbeddingFourierEpoch {
  epoch: number;
  /** Per frequency k = 1..(p−1)/2 (index k−1). */
  norms: Float32Array;
  cosNorms: Float32Array;
  sinNorms: Float32Array;
  keyFrequencies: number[];
  gini: number;
}

export function readEmbeddingFourier(store: Store, runId: string): EmbeddingFourierEpoch[] {
  requireRun(store, runId);
  return latestPerEpoch(store.getAnalyses<EmbeddingFourierSummary>(runId, EMBEDDING_FOURIER)).map((r) => {
    const f = openArtifact(r.path!, runId, r.epoch);
    return {
      epoch: r.epoch, norms: f.getFloat32('norms'), cosNorms: f.getFloat32('cos_norms'), sinNorms: f.getFloat32('sin_norms'),
      keyFrequencies: Array.from(f.getInt32('key_frequencies')), gini: r.summary.gini,
    };
  });
}
