/**
 * Gathers what the report needs of each run from the store, through analysis/results.ts: metrics,
 * grokking times, per-neuron coarseness / concentration / dominant frequency for every analysed
 * checkpoint (as compact [epochs × d_mlp] arrays; the fractions themselves are dropped after
 * reduction, one run at a time), per-checkpoint distribution summaries and the embedding spectra.
 */
import { badInput } from '../errors.js';
import { NEURON_FOURIER } from '../analysis/analyzers/neuron-fourier.js';
import { distributionStats, grokkingTimes, readEmbeddingFourier } from '../analysis/results.js';
import { loadStudyRun, type StudyRunData } from '../analysis/study.js';
import type { Store } from '../store/store.js';
import type { MetricStats, RunData } from './types.js';

function metricStats(values: ArrayLike<number>): MetricStats {
  const d = distributionStats(values, { bins: 20, range: [0, 1], thresholds: [0.5, 0.6, 0.7, 0.8] });
  return {
    mean: d.mean, std: d.std, median: d.median, p25: d.p25, p75: d.p75, min: d.min, max: d.max,
    histogram: d.histogram, above: d.above, flat: d.num_nan,
  };
}

/**
 * One run's report data, and the study's reduced data of the same run (analysis/study.ts
 * `loadStudyRun`, which reads the stored fractions once; the report takes its coarseness at K, the
 * concentration and the dominant frequencies from it, so the artifacts are read once for both).
 */
export function collectRun(store: Store, runId: string, K: number): { run: RunData; study: StudyRunData } {
  const row = store.getRun(runId);
  if (!row) throw badInput(`no run ${runId} in store ${store.dir}`);
  const study = loadStudyRun(store, runId, { K });
  const metrics = store.getMetrics(runId);
  const m = study.dMlp, E = study.checkpoints.length;
  const coarseness = new Float32Array(E * m), concentration = new Float32Array(E * m);
  const dominant = new Int32Array(E * m);
  const coarseStats: MetricStats[] = [], concStats: MetricStats[] = [];
  study.checkpoints.forEach((c, i) => {
    coarseness.set(c.coarseness[K - 1], i * m);
    concentration.set(c.concentration, i * m);
    for (let n = 0; n < m; n++) dominant[i * m + n] = Number.isNaN(c.concentration[n]) ? 0 : c.dominantFrequency[n];
    coarseStats.push(metricStats(c.coarseness[K - 1]));
    concStats.push(metricStats(c.concentration));
  });
  let maxEpoch = row.epochs;
  try {
    const cfg = JSON.parse(row.config_json) as { epochs?: number };
    if (typeof cfg.epochs === 'number') maxEpoch = cfg.epochs;
  } catch { /* keep the column */ }
  const embedding = readEmbeddingFourier(store, runId).map((x) => ({
    epoch: x.epoch, norms: x.norms, cosNorms: x.cosNorms, sinNorms: x.sinNorms, keyFrequencies: x.keyFrequencies, gini: x.gini,
  }));
  const run: RunData = {
    runId, p: row.p, seed: row.seed, label: `p=${row.p}, seed=${row.seed}`,
    maxEpoch: Math.max(maxEpoch, metrics.length ? metrics[metrics.length - 1].epoch : 0),
    epochsDone: row.epochs_done, status: row.status,
    grok: grokkingTimes(metrics), metrics,
    epochs: study.checkpoints.map((c) => c.epoch), dMlp: m, nFreq: study.nFreq, K,
    // The dominant frequency's share is the largest fraction: the concentration.
    coarseness, concentration, dominant, dominantShare: concentration, coarseStats, concStats, embedding,
    checkpoints: new Map(store.listCheckpoints(runId).map((c) => [c.epoch, c.path])),
  };
  return { run, study };
}

/** Whether a run has any analysed checkpoint. */
export function isAnalysed(store: Store, runId: string): boolean {
  return readNeuronFourierEpochCount(store, runId) > 0;
}

function readNeuronFourierEpochCount(store: Store, runId: string): number {
  return store.getAnalyses(runId, NEURON_FOURIER).filter((r) => r.path !== null).length;
}

/** Labels are "p=…, seed=…"; runs sharing both get their run id appended. */
export function disambiguateLabels(runs: RunData[]): void {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.label, (count.get(r.label) ?? 0) + 1);
  for (const r of runs) if ((count.get(r.label) ?? 0) > 1) r.label = `${r.label} (${r.runId})`;
}
