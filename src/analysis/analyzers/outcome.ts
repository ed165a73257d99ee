/**
 * `outcome`: a run analyzer giving MIScope's variant-summary outcome (outcome.ts) from the run's
 * metrics. The stored summary's epochs are the run's own; readers of a run imported from MIScope
 * set `epoch_convention` from the run (outcome.ts `outcomeOfRun`).
 */
import type { RunAnalyzer } from '../analyzer.js';
import { OUTCOME, OUTCOME_PARAMS, runOutcome } from '../outcome.js';

export const outcomeAnalyzer: RunAnalyzer = {
  name: OUTCOME,
  version: OUTCOME_PARAMS.version,
  params() { return OUTCOME_PARAMS; },
  analyseRun(ctx) { return runOutcome(ctx.metrics); },
};
