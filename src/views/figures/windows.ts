/**
 * The grokking windows of a run: memorisation (epoch 0 to train accuracy ≥ 0.99), plateau (to the
 * second-descent onset), second descent (to the grok epoch, test loss < 0.01) and clean-up (to the
 * first test loss ≤ 1e-6), by the one definition of each (metrics/grokking.ts, metrics/outcome.ts),
 * and the shaded layer that draws them under a time series.
 */
import type { RunData } from '../types.js';

/** One window of a run (from one event to the next). */
export interface GrokWindow { run: string; window: string; start: number; end: number }
export const WINDOW_NAMES = ['memorisation', 'plateau', 'second descent', 'clean-up (to test loss ≤ 1e-6)'] as const;
export const WINDOW_COLOURS = ['#d9d9d9', '#fbe6c8', '#cfe3f3', '#d5ecd0'];

/** The run's windows, in order; a window whose end never came is left out, and so are those after it. */
export function grokWindows(r: RunData): GrokWindow[] {
  const thr = r.outcome?.test_loss_threshold_first_epoch ?? -1;
  const events = [0, r.grok.memorise_epoch, r.outcome?.second_descent_onset_epoch ?? null, r.grok.grok_epoch, thr >= 0 ? thr : null];
  const out: GrokWindow[] = [];
  for (let i = 0; i < WINDOW_NAMES.length; i++) {
    const a = events[i], b = events[i + 1];
    if (a === null || b === null || b < a) break;
    out.push({ run: r.label, window: WINDOW_NAMES[i], start: a, end: b });
  }
  return out;
}

/** Shaded windows under a time series (a fill scale of their own, so the lines keep their colours), clipped to the plot. */
export function windowLayer(windows: GrokWindow[], transform: object[] = []): Record<string, unknown> {
  return {
    data: { values: windows }, ...(transform.length ? { transform } : {}),
    mark: { type: 'rect', opacity: 0.55, clip: true },
    encoding: {
      x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' },
      fill: { field: 'window', type: 'nominal', title: 'window', scale: { domain: [...WINDOW_NAMES], range: WINDOW_COLOURS }, legend: { orient: 'bottom', columns: 2 } },
      tooltip: [{ field: 'window' }, { field: 'start', title: 'from epoch' }, { field: 'end', title: 'to epoch' }],
    },
  };
}
