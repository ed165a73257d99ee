/**
 * `outcome`: a run analyzer giving MIScope's variant-summary outcome (metrics/outcome.ts) from the
 * run's metrics, in the run's own epoch convention (MIScope's labels for a run imported from MIScope),
 * with the run's key frequencies: the last analysed embedding_fourier checkpoint's, and their
 * viability on the run's split (analysis/library/viability.ts). The one writer of the stored
 * outcome: the pipeline stores what `analyseRun` returns, `grokbench outcome --write` runs it alone
 * (analysis/outcome.ts), and readers compute the same function when nothing is stored.
 */
import { isFinalState, type RunRow, type Store } from '../../store/store.js';
import type { RunAnalyzer } from '../protocol/analyzer.js';
import { trainIndicesOfRunDir } from '../protocol/train-set.js';
import { viability, type RunKeyFrequencies } from '../library/viability.js';
import { epochConventionOf, OUTCOME, OUTCOME_PARAMS, provisionalOutcome, runOutcome, type RunOutcome } from '../../metrics/outcome.js';
import type { MetricRow } from '../../metrics/metric-row.js';
import { EMBEDDING_FOURIER, type EmbeddingFourierSummary } from './embedding-fourier.js';

/**
 * A run's outcome from its metrics (given, or read from the store): null when it has none;
 * provisional (no class, its class so far aside) while the run is unfinished (Store.runState).
 */
export function computeOutcome(store: Store, run: RunRow, metrics: readonly MetricRow[] = store.getMetrics(run.run_id)): RunOutcome | null {
  if (metrics.length === 0) return null;
  const o: RunOutcome = { ...runOutcome(metrics, epochConventionOf(run)), key_frequencies: runKeyFrequencies(store, run.run_id, run.p) };
  const { state } = store.runState(run);
  return isFinalState(state) ? o : provisionalOutcome(o, metrics[metrics.length - 1].epoch, run.epochs, state);
}

/** The run's committed (key) frequencies at its last analysed embedding_fourier checkpoint, and their viability. */
export function runKeyFrequencies(store: Store, runId: string, p: number): RunKeyFrequencies | null {
  const rows = store.getAnalyses<EmbeddingFourierSummary>(runId, EMBEDDING_FOURIER);
  const last = rows[rows.length - 1];
  if (!last || last.summary.key_frequencies.length === 0) return null;
  const t = trainIndicesOfRunDir(store.runDir(runId), p);
  return { epoch: last.epoch, train_set: t ? t.source : null, ...viability(p, last.summary.key_frequencies, t ? t.indices : null) };
}

export const outcomeAnalyzer: RunAnalyzer = {
  tier: 'run',
  requires: [EMBEDDING_FOURIER],
  name: OUTCOME,
  version: OUTCOME_PARAMS.version,
  params() { return OUTCOME_PARAMS; },
  analyseRun(ctx) {
    const run = ctx.store.getRun(ctx.runId);
    if (!run) return runOutcome(ctx.metrics);
    return computeOutcome(ctx.store, run, ctx.metrics) ?? runOutcome(ctx.metrics);
  },
};
