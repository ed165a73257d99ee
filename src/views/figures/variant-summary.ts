/**
 * The figure of variant_summary (analyzers/variant-summary.ts): each run's train and test loss with
 * MIScope's phase windows (first descent, plateau, cascade, second descent, final) shaded under
 * them, its failure_mode in the title, and the windows' table (epochs, losses, frequency changes).
 */
import { VARIANT_SUMMARY, variantSummaryAnalyzer } from '../../analysis/analyzers/variant-summary.js';
import { PHASE_WINDOWS, type WindowSummary } from '../../analysis/library/variant-summary.js';
import { DEFAULT_OPTIONS } from '../../analysis/protocol/analyzer.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { VL_CONFIG, VL_SCHEMA, decimateMetrics, num, sig } from './common.js';

type Cell = string | number | null;

const COLOURS = ['#d9d9d9', '#fbe6c8', '#e8c8f0', '#cfe3f3', '#d5ecd0'];
const LOSS_COLOURS = { train: '#4e79a7', test: '#e15759' };

const list = (x: unknown): string => (Array.isArray(x) ? x.join(' ') : '');

/** Loss curves with the phase windows, one panel per run with a stored variant summary. */
export function variantSummaryFigures(store: Store, runs: RunData[]): Figure[] {
  const panels: object[] = [], table: Cell[][] = [];
  const params = variantSummaryAnalyzer.params(DEFAULT_OPTIONS);
  for (const r of runs) {
    const s = store.getAnalyses<Record<string, unknown>>(r.runId, VARIANT_SUMMARY, params).at(-1)?.summary;
    if (!s) continue;
    const windows: { window: string; start: number; end: number }[] = [];
    for (const w of PHASE_WINDOWS) {
      const x = s[`${w}_window`] as WindowSummary;
      table.push([r.label, w, x.start_epoch, x.end_epoch, x.skipped === true ? 'skipped' : '', sig(x.test_loss_start as number | null), sig(x.test_loss_end as number | null),
        list(x.committed_frequencies_start), list(x.committed_frequencies_end), list(x.frequency_gains), list(x.frequency_losses), String(s.failure_mode)]);
      if (x.skipped !== true) windows.push({ window: w, start: x.start_epoch, end: x.end_epoch });
    }
    const loss = decimateMetrics(r.metrics).flatMap((m) => [
      { epoch: m.epoch, series: 'train', loss: num(m.train_loss) }, { epoch: m.epoch, series: 'test', loss: num(m.test_loss) },
    ]).filter((v) => v.loss !== null && v.loss > 0);
    panels.push({
      title: { text: `${r.label}: failure_mode ${String(s.failure_mode)}`, anchor: 'start' },
      width: 560, height: 200,
      layer: [
        {
          data: { values: windows }, mark: { type: 'rect', opacity: 0.5 },
          encoding: {
            x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' },
            fill: { field: 'window', type: 'nominal', title: 'phase window', scale: { domain: [...PHASE_WINDOWS], range: COLOURS } },
            tooltip: [{ field: 'window' }, { field: 'start', title: 'from epoch' }, { field: 'end', title: 'to epoch' }],
          },
        },
        {
          data: { values: loss }, mark: { type: 'line' },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
            y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
            color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['train', 'test'], range: [LOSS_COLOURS.train, LOSS_COLOURS.test] } },
          },
        },
      ],
    });
  }
  if (panels.length === 0) return [];
  return [{
    name: 'variant-summary', section: 'training', title: 'MIScope\'s phase windows on the loss curves, and the failure mode',
    caption: 'MIScope variant summary (VariantAnalysisSummary): first descent (epoch 0 to the checkpoint nearest the first train loss ≤ 1e-6), plateau (to the second-descent onset), cascade (the first mover reaching 40 neurons specialised at max_frac ≥ 0.7, to PR(W_out) falling to PR(W_in)), second descent (onset to the first test loss ≤ 1e-6, else to the minimum test loss) and final (to the last checkpoint); a window with start ≥ end is left out (skipped in the table). failure_mode: MIScope classify_failure_mode (no_grokking, degraded: final test loss > 1e-6, late_grokker: onset > 12000, healthy).',
    spec: { $schema: VL_SCHEMA, config: VL_CONFIG, vconcat: panels, resolve: { scale: { fill: 'shared' } } },
    table: {
      columns: ['run', 'window', 'start_epoch', 'end_epoch', 'skipped', 'test_loss_start', 'test_loss_end', 'committed_frequencies_start', 'committed_frequencies_end', 'frequency_gains', 'frequency_losses', 'failure_mode'],
      rows: table,
    },
  }];
}
