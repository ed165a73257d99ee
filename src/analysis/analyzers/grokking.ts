/** `grokking`: a run analyzer giving the grokking times of grokking.ts from the run's metrics. */
import type { RunAnalyzer } from '../protocol/analyzer.js';
import { grokkingTimes } from '../../metrics/grokking.js';

export const GROKKING = 'grokking';

export const grokkingAnalyzer: RunAnalyzer = {
  tier: 'run',
  requires: [],
  name: GROKKING,
  version: 1,
  params(opts) { return { version: this.version, grok_loss: opts.grokLoss }; },
  analyseRun(ctx) { return grokkingTimes(ctx.metrics, { grokLoss: ctx.options.grokLoss }); },
};
