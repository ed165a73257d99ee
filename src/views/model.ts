/**
 * The read model of one run: everything the views show of it, loaded once from the stored results
 * (never by recomputing an analysis, except the neuron dynamics, which are a pure reduction of the
 * stored fractions):
 *   metrics, grokking times, the stored `outcome` analysis (MIScope's variant summary; computed from
 *   the metrics when none is stored yet or it is older than the last metrics row), per-neuron
 *   coarseness at K / frequency specialization (max_k frac_k) / dominant frequency for every analysed
 *   checkpoint (as compact [epochs × d_mlp] arrays), their per-checkpoint distribution summaries,
 *   the neuron frequency dynamics (analysis/dynamics.ts), the embedding spectra, and the study's
 *   reduced data of the same run (so the artifacts are read once for the report, the dashboard and
 *   the study).
 * Activation maps are not part of the model: they come from the checkpoints through the engine
 * (views/maps.ts) when a view needs them.
 */
import { runLabel } from './style/labels.js';
import { badInput } from '../core/errors.js';
import { neuronDynamics, type NeuronDynamics } from '../analysis/dynamics.js';
import { runJitter, type RunOutcome } from '../metrics/outcome.js';
import { configuredEpochs, isAnalysed, lastTestLoss, readOutcome, type RunOverview } from '../analysis/overview.js';
import { distributionStats, grokkingTimes, readEmbeddingFourier } from '../analysis/results.js';
import { loadStudyRun, type StudyRunData } from '../study/study.js';
import type { RunRow, Store } from '../store/store.js';
import type { MetricStats, RunData } from './types.js';

/** One run as every view sees it. */
export interface RunModel extends RunData {
  dataSeed: number;
  jitter: number;
  /** MIScope's variant summary of the run (null: no metrics). */
  outcome: RunOutcome | null;
  /** Whether `outcome` was read from the stored analysis (false: computed from the metrics here). */
  outcomeStored: boolean;
  /** Neuron frequency dynamics over the analysed checkpoints (null: none analysed). */
  dynamics: NeuronDynamics | null;
  /** The study's reduced data (null: none analysed). */
  study: StudyRunData | null;
}

function metricStats(values: ArrayLike<number>): MetricStats {
  const d = distributionStats(values, { bins: 20, range: [0, 1], thresholds: [0.5, 0.6, 0.7, 0.8] });
  return {
    mean: d.mean, std: d.std, median: d.median, p25: d.p25, p75: d.p75, min: d.min, max: d.max,
    histogram: d.histogram, above: d.above, flat: d.num_nan,
  };
}

/** d_mlp of the run's settings (null when its config does not say). */
function configuredDMlp(row: RunRow): number | null {
  try {
    const cfg = JSON.parse(row.config_json) as { dMlp?: number };
    if (typeof cfg.dMlp === 'number') return cfg.dMlp;
  } catch { /* unknown */ }
  return null;
}

/**
 * Load one run's read model. A run without analysed checkpoints (still training, or not analysed
 * yet) has empty neuron arrays, no dynamics and no study data; its metrics and outcome are there.
 */
export function loadRunModel(store: Store, runId: string, K: number): RunModel {
  const row = store.getRun(runId);
  if (!row) throw badInput(`no run ${runId} in store ${store.dir}`);
  const metrics = store.getMetrics(runId);
  const { outcome, stored } = readOutcome(store, row, metrics.length ? metrics[metrics.length - 1].epoch : null);
  const embeddingRows = readEmbeddingFourier(store, runId);
  const study = isAnalysed(store, runId) ? loadStudyRun(store, runId, { K }, { metrics, embedding: embeddingRows }) : null;
  if (study) {
    // The study reads the same outcome as every view.
    study.outcome = outcome?.performance_classification ?? null;
    study.onset = outcome?.second_descent_onset_epoch ?? null;
  }
  const cps = study?.checkpoints ?? [];
  const m = study?.dMlp ?? 0, E = cps.length;
  const coarseness = new Float32Array(E * m), specialization = new Float32Array(E * m);
  const dominant = new Int32Array(E * m);
  const coarseStats: MetricStats[] = [], specStats: MetricStats[] = [];
  cps.forEach((c, i) => {
    coarseness.set(c.coarseness[K - 1], i * m);
    specialization.set(c.concentration, i * m);
    for (let n = 0; n < m; n++) dominant[i * m + n] = Number.isNaN(c.concentration[n]) ? 0 : c.dominantFrequency[n];
    coarseStats.push(metricStats(c.coarseness[K - 1]));
    specStats.push(metricStats(c.concentration));
  });
  const embedding = embeddingRows.map((x) => ({
    epoch: x.epoch, norms: x.norms, cosNorms: x.cosNorms, sinNorms: x.sinNorms, keyFrequencies: x.keyFrequencies, gini: x.gini,
  }));
  const epochs = cps.map((c) => c.epoch);
  const nFreq = (row.p - 1) / 2;
  return {
    runId, p: row.p, seed: row.seed, label: runLabel({ p: row.p, seed: row.seed, dataSeed: row.data_seed, jitter: runJitter(row) }),
    maxEpoch: Math.max(configuredEpochs(row), metrics.length ? metrics[metrics.length - 1].epoch : 0),
    epochsDone: row.epochs_done, status: store.runState(row).state,
    grok: grokkingTimes(metrics), metrics,
    epochs, dMlp: m, configuredDMlp: configuredDMlp(row), nFreq: study?.nFreq ?? nFreq, K,
    // The dominant frequency's share is the largest fraction: the specialization.
    coarseness, specialization, dominant, dominantShare: specialization, coarseStats, specStats, embedding,
    checkpoints: new Map(store.listCheckpoints(runId).map((c) => [c.epoch, c.path])),
    dataSeed: row.data_seed, jitter: runJitter(row),
    outcome, outcomeStored: stored,
    dynamics: E > 0 ? neuronDynamics({ epochs, dMlp: m, nFreq: study!.nFreq, maxFrac: specialization, dominant }) : null,
    study,
  };
}

export { isAnalysed, loadRunOverview, readOutcome, type RunOverview } from '../analysis/overview.js';

/** A run's overview from its read model: the same values as analysis/overview.ts's `loadRunOverview`. */
export function overviewOfModel(m: RunModel): RunOverview {
  const emb = m.embedding.length ? m.embedding[m.embedding.length - 1] : null;
  return {
    jitter: m.jitter, status: m.status, maxEpoch: m.maxEpoch, checkpoints: m.checkpoints.size, analysed: m.epochs.length,
    outcome: m.outcome, grok: m.grok, keyFrequencies: emb ? emb.keyFrequencies : [],
    committedFrequencies: m.dynamics ? m.dynamics.final_committed_frequencies : [], finalTestLoss: lastTestLoss(m.metrics),
  };
}

/** Labels are "p=…, seed=…"; runs sharing both get their run id appended. */
export function disambiguateLabels(runs: RunData[]): void {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.label, (count.get(r.label) ?? 0) + 1);
  for (const r of runs) if ((count.get(r.label) ?? 0) > 1) r.label = `${r.label} (${r.runId})`;
}
