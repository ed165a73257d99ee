/**
 * A run's overview: what the home table shows of it (state, sizes, outcome, grokking times, key and
 * committed frequencies, last test loss), read with far less than its read model (views/model.ts):
 * the key frequencies from the last embedding_fourier row's summary, the committed frequencies from
 * the neuron_fourier artifacts' maxima; no embedding spectra, coarseness arrays or study.
 *
 * A 1,000-run store's home needs every run's overview at once, so analysis keeps each run's overview
 * in the store (`run_overview`, with the run's version: store.ts) once it has analysed the run, and
 * `readRunOverviews` reads all current ones in one query; a run changed since (it trained further, a
 * checkpoint went, an analysis was redone) has a newer version and its overview is computed again.
 */
import { badInput } from '../core/errors.js';
import { grokkingTimes, type GrokkingTimes } from '../metrics/grokking.js';
import { epochConventionOf, OUTCOME, runJitter, type RunOutcome } from '../metrics/outcome.js';
import type { RunRow, Store } from '../store/store.js';
import { EMBEDDING_FOURIER, type EmbeddingFourierSummary } from './analyzers/embedding-fourier.js';
import { NEURON_FOURIER } from './analyzers/neuron-fourier.js';
import { neuronDynamics, readDynamicsInput } from './dynamics.js';
import { outcomeOfRun } from './outcome.js';

export interface RunOverview {
  jitter: number; status: string; maxEpoch: number; checkpoints: number; analysed: number;
  outcome: RunOutcome | null; grok: GrokkingTimes; keyFrequencies: number[]; committedFrequencies: number[]; finalTestLoss: number | null;
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

/** The configured number of epochs of a run (its "max epoch"). */
export function configuredEpochs(row: RunRow): number {
  try {
    const cfg = JSON.parse(row.config_json) as { epochs?: number };
    if (typeof cfg.epochs === 'number') return cfg.epochs;
  } catch { /* keep the column */ }
  return row.epochs;
}

/** The last test loss of a run's metrics (null: none evaluated). */
export function lastTestLoss(metrics: readonly { test_loss: number | null }[]): number | null {
  for (let i = metrics.length - 1; i >= 0; i--) if (metrics[i].test_loss !== null) return metrics[i].test_loss;
  return null;
}

/** Whether a run has any analysed checkpoint. */
export function isAnalysed(store: Store, runId: string): boolean {
  return store.hasArtifact(runId, NEURON_FOURIER);
}

/** A run's overview computed from the store now. */
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

/**
 * Keep the overview of each of these runs whose stored one is missing or stale, each with the
 * version its run had before it was read (a change while it is computed leaves it stale, never
 * wrongly current). Returns how many were written.
 */
export function refreshRunOverviews(store: Store, runIds: readonly string[]): number {
  // Every run's version, read once before any overview is computed.
  const versions = store.runVersions();
  if (store.readonly || versions === null) return 0;
  const current = store.currentRunOverviews();
  const rows = runIds.filter((id) => !current.has(id))
    .map((runId) => ({ runId, version: versions.get(runId) ?? 0, json: JSON.stringify(loadRunOverview(store, runId)) }));
  store.putRunOverviews(rows);
  return rows.length;
}

/**
 * Every run's current stored overview (one query), by run id; its state is read now (a trainer's
 * lock can go without a change to the store). Runs without a current one are absent.
 */
export function readRunOverviews(store: Store, rows: readonly RunRow[]): Map<string, RunOverview> {
  const stored = store.currentRunOverviews(), out = new Map<string, RunOverview>();
  for (const row of rows) {
    const json = stored.get(row.run_id);
    if (json === undefined) continue;
    const o = JSON.parse(json) as RunOverview;
    o.status = store.runState(row).state;
    out.set(row.run_id, o);
  }
  return out;
}
