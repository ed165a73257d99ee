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
import { NEURON_FOURIER } from '../analysis/analyzers/neuron-fourier.js';
import { neuronDynamics, readDynamicsInput, type NeuronDynamics } from '../analysis/dynamics.js';
import { EMBEDDING_FOURIER, type EmbeddingFourierSummary } from '../analysis/analyzers/embedding-fourier.js';
import { epochConventionOf, OUTCOME, runJitter, type RunOutcome } from '../metrics/outcome.js';
import { outcomeOfRun } from '../analysis/outcome.js';
import { distributionStats, grokkingTimes, readEmbeddingFourier } from '../analysis/results.js';
import type { GrokkingTimes } from '../metrics/grokking.js';
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

/** The stored outcome of a run when it is current, else the outcome computed from its metrics. */
export function readOutcome(store: Store, row: RunRow, lastMetricsEpoch: number | null): { outcome: RunOutcome | null; stored: boolean } {
  const rows = store.getAnalyses<RunOutcome>(row.run_id, OUTCOME);
  const latest = rows.reduce<(typeof rows)[number] | null>((a, r) => (a === null || r.epoch > a.epoch ? r : a), null);
  if (latest && lastMetricsEpoch !== null && latest.epoch >= lastMetricsEpoch && latest.summary?.performance_classification !== undefined && !latest.summary.provisional) {
    // The analyzer stores grokbench's own epochs; a run imported from MIScope reads them in its labels.
    const conv = epochConventionOf(row);
    return { outcome: latest.summary.epoch_convention === conv ? latest.summary : outcomeOfRun(store, row), stored: latest.summary.epoch_convention === conv };
  }
  return { outcome: lastMetricsEpoch === null ? null : outcomeOfRun(store, row), stored: false };
}

/** d_mlp of the run's settings (null when its config does not say). */
function configuredDMlp(row: RunRow): number | null {
  try {
    const cfg = JSON.parse(row.config_json) as { dMlp?: number };
    if (typeof cfg.dMlp === 'number') return cfg.dMlp;
  } catch { /* unknown */ }
  return null;
}

/** The configured number of epochs of a run (its "max epoch"). */
function configuredEpochs(row: RunRow): number {
  try {
    const cfg = JSON.parse(row.config_json) as { epochs?: number };
    if (typeof cfg.epochs === 'number') return cfg.epochs;
  } catch { /* keep the column */ }
  return row.epochs;
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

/**
 * What the home table shows of a run: its state, sizes, outcome, grokking times, key and committed
 * frequencies and last test loss. The same values as the read model's (`overviewOfModel`), read
 * with less: the key frequencies from the last embedding_fourier row's summary, the committed
 * frequencies from the neuron_fourier artifacts' maxima; no embedding spectra, coarseness arrays or
 * study (a 1,000-run store's home needs these for every run at once).
 */
export interface RunOverview {
  jitter: number; status: string; maxEpoch: number; checkpoints: number; analysed: number;
  outcome: RunOutcome | null; grok: GrokkingTimes; keyFrequencies: number[]; committedFrequencies: number[]; finalTestLoss: number | null;
}

function lastTestLoss(metrics: readonly { test_loss: number | null }[]): number | null {
  for (let i = metrics.length - 1; i >= 0; i--) if (metrics[i].test_loss !== null) return metrics[i].test_loss;
  return null;
}

/** A run's overview from its read model. */
export function overviewOfModel(m: RunModel): RunOverview {
  const emb = m.embedding.length ? m.embedding[m.embedding.length - 1] : null;
  return {
    jitter: m.jitter, status: m.status, maxEpoch: m.maxEpoch, checkpoints: m.checkpoints.size, analysed: m.epochs.length,
    outcome: m.outcome, grok: m.grok, keyFrequencies: emb ? emb.keyFrequencies : [],
    committedFrequencies: m.dynamics ? m.dynamics.final_committed_frequencies : [], finalTestLoss: lastTestLoss(m.metrics),
  };
}

/** A run's overview from the store, without its read model. */
export function loadRunOverview(store: Store, runId: string): RunOverview {
  const row = store.getRun(runId);
  if (!row) throw badInput(`no run ${runId} in store ${store.dir}`);
  const metrics = store.getMetrics(runId);
  const lastEpoch = metrics.length ? metrics[metrics.length - 1].epoch : null;
  const emb = store.getAnalyses<EmbeddingFourierSummary>(runId, EMBEDDING_FOURIER)
    .reduce<{ epoch: number; summary: EmbeddingFourierSummary } | null>((a, r) => (r.path !== null && (a === null || r.epoch >= a.epoch) ? r : a), null);
  const dyn = isAnalysed(store, runId) ? readDynamicsInput(store, runId) : null;
  return {
    jitter: runJitter(row), status: store.runState(row).state, maxEpoch: Math.max(configuredEpochs(row), lastEpoch ?? 0),
    checkpoints: store.checkpointStamp(runId).n, analysed: dyn ? dyn.epochs.length : 0,
    outcome: readOutcome(store, row, lastEpoch).outcome, grok: grokkingTimes(metrics),
    keyFrequencies: emb ? [...emb.summary.key_frequencies] : [],
    committedFrequencies: dyn && dyn.epochs.length ? neuronDynamics(dyn).final_committed_frequencies : [],
    finalTestLoss: lastTestLoss(metrics),
  };
}

/** Whether a run has any analysed checkpoint. */
export function isAnalysed(store: Store, runId: string): boolean {
  return store.hasArtifact(runId, NEURON_FOURIER);
}

/** Labels are "p=…, seed=…"; runs sharing both get their run id appended. */
export function disambiguateLabels(runs: RunData[]): void {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.label, (count.get(r.label) ?? 0) + 1);
  for (const r of runs) if ((count.get(r.label) ?? 0) > 1) r.label = `${r.label} (${r.runId})`;
}
