/**
 * Gathers what the report needs of each run from the store, through analysis/results.ts: metrics,
 * grokking times, per-neuron coarseness / concentration / dominant frequency for every analysed
 * checkpoint (as compact [epochs × d_mlp] arrays; the fractions themselves are dropped after
 * reduction, one run at a time), per-checkpoint distribution summaries and the embedding spectra.
 */
import { badInput } from '../errors.js';
import {
  coarsenessValues, concentrationValues, distributionStats, grokkingTimes, readEmbeddingFourier, readNeuronFourier,
} from '../analysis/results.js';
import type { Store } from '../store/store.js';
import type { MetricStats, RunData } from './types.js';

function metricStats(values: ArrayLike<number>): MetricStats {
  const d = distributionStats(values, { bins: 20, range: [0, 1], thresholds: [0.5, 0.6, 0.7, 0.8] });
  return {
    mean: d.mean, std: d.std, median: d.median, p25: d.p25, p75: d.p75, min: d.min, max: d.max,
    histogram: d.histogram, above: d.above, flat: d.num_nan,
  };
}

export function collectRun(store: Store, runId: string, K: number): RunData {
  const row = store.getRun(runId);
  if (!row) throw badInput(`no run ${runId} in store ${store.dir}`);
  const metrics = store.getMetrics(runId);
  const nf = readNeuronFourier(store, runId);
  const m = nf.dMlp, E = nf.epochs.length, nFreq = nf.nFreq;
  const coarseness = new Float32Array(E * m), concentration = new Float32Array(E * m);
  const dominant = new Int32Array(E * m), dominantShare = new Float32Array(E * m);
  const coarseStats: MetricStats[] = [], concStats: MetricStats[] = [];
  nf.epochs.forEach((e, i) => {
    const c = coarsenessValues(e, nFreq, m, K);
    const f = concentrationValues(e, nFreq, m);
    coarseness.set(c, i * m);
    concentration.set(f, i * m);
    dominant.set(e.dominantFrequency, i * m);
    dominantShare.set(e.dominantFraction, i * m);
    coarseStats.push(metricStats(c));
    concStats.push(metricStats(f));
  });
  let maxEpoch = row.epochs;
  try {
    const cfg = JSON.parse(row.config_json) as { epochs?: number };
    if (typeof cfg.epochs === 'number') maxEpoch = cfg.epochs;
  } catch { /* keep the column */ }
  const embedding = readEmbeddingFourier(store, runId).map((x) => ({
    epoch: x.epoch, norms: x.norms, cosNorms: x.cosNorms, sinNorms: x.sinNorms, keyFrequencies: x.keyFrequencies, gini: x.gini,
  }));
  return {
    runId, p: row.p, seed: row.seed, label: `p=${row.p}, seed=${row.seed}`,
    maxEpoch: Math.max(maxEpoch, metrics.length ? metrics[metrics.length - 1].epoch : 0),
    epochsDone: row.epochs_done, status: row.status,
    grok: grokkingTimes(metrics), metrics,
    epochs: nf.epochs.map((e) => e.epoch), dMlp: m, nFreq, K,
    coarseness, concentration, dominant, dominantShare, coarseStats, concStats, embedding,
    checkpoints: new Map(store.listCheckpoints(runId).map((c) => [c.epoch, c.path])),
  };
}

/** Labels are "p=…, seed=…"; runs sharing both get their run id appended. */
export function disambiguateLabels(runs: RunData[]): void {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.label, (count.get(r.label) ?? 0) + 1);
  for (const r of runs) if ((count.get(r.label) ?? 0) > 1) r.label = `${r.label} (${r.runId})`;
}
