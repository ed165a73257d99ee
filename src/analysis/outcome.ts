/**
 * A stored run's outcome (MIScope's variant-summary classes, metrics/outcome.ts, with the run's key
 * frequencies): what the `outcome` run analyzer computes (analyzers/outcome.ts, its one writer).
 */
import type { RunRow, Store } from '../store/store.js';
import { OUTCOME, OUTCOME_PARAMS, type RunOutcome } from '../metrics/outcome.js';
import { computeOutcome, outcomeAnalyzer } from './analyzers/outcome.js';
import { DEFAULT_OPTIONS } from './protocol/analyzer.js';

export { runKeyFrequencies } from './analyzers/outcome.js';

/** The outcome of a stored run, computed from its stored metrics (null when it has none). */
export function outcomeOfRun(store: Store, run: RunRow): RunOutcome | null {
  return computeOutcome(store, run);
}

/** Run the `outcome` analyzer on one run and store its result as the pipeline does (at the run's last metrics epoch). */
export function storeOutcome(store: Store, run: RunRow): RunOutcome | null {
  const metrics = store.getMetrics(run.run_id);
  if (metrics.length === 0) return null;
  const o = outcomeAnalyzer.analyseRun({ runId: run.run_id, metrics, options: DEFAULT_OPTIONS, store }) as RunOutcome;
  store.putAnalysis(run.run_id, metrics[metrics.length - 1].epoch, OUTCOME, OUTCOME_PARAMS, o);
  return o;
}
