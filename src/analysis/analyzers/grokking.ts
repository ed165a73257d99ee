/** `grokking`: a run analyzer giving the grokking times of grokking.ts from the run's metrics. */
import type { RunAnalyzer } from '../analyzer.js';
import { grokkingTimes } from '../grokking.js';

export const GROKKING = 'grokking';

export const grokkingAnalyzer: RunAnalyzer = {
  name: GROKKING,
  version: 1,
  params(opts) { return { version: this.version, grok_loss: opts.grokLoss }; },
  analyseRun(ctx) { return grokkingTimes(ctx.metrics, { grokLoss: ctx.options.grokLoss }); },
};
