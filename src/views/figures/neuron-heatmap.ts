/**
 * Seed analysis 3: per-neuron coarseness (or specialization) over training as an epochs × neurons
 * heatmap per run, with a diverging colormap centred on 0.5 (the blob/plaid boundary), and the
 * same with neurons sorted by their value at the last checkpoint. Raster images (PNG).
 */
import { epochGrid, hoverString, indexPng, matrixIndices } from '../raster.js';
import { pngDataUri } from '../png.js';
import { csvCell, matrixCsv } from '../csv.js';
import type { Figure, RunData } from '../types.js';
import { metricTitle, valuesOf, type MetricName } from './common.js';
import { rasterSpec, type RasterPanel } from './raster-spec.js';

/** Neurons in decreasing order of their value at the last checkpoint; flat (NaN) neurons last, by index. */
export function sortByFinal(values: Float32Array, nEpochs: number, dMlp: number): number[] {
  const o = (nEpochs - 1) * dMlp;
  const idx = Array.from({ length: dMlp }, (_, n) => n);
  return idx.sort((a, b) => {
    const va = values[o + a], vb = values[o + b];
    const na = Number.isNaN(va), nb = Number.isNaN(vb);
    if (na || nb) return na === nb ? a - b : na ? 1 : -1;
    return vb - va || a - b;
  });
}

interface Built { spec: object; staticSpec: object; sortedSpec: object; unsorted: Figure['table']; sorted: Figure['table'] }

function build(runs: RunData[], metric: MetricName, K: number): Built {
  const panels: RasterPanel[] = [];
  const unsortedCols = ['run', 'run_id', 'epoch'];
  const blocks: Parameters<typeof matrixCsv>[1] = [];
  const sortedT: Figure['table'] = { columns: ['run', 'run_id', 'rank', 'neuron', 'last_epoch', `${metric}_at_last_epoch`], rows: [] };
  const maxM = Math.max(...runs.map((r) => r.dMlp));
  for (let n = 0; n < maxM; n++) unsortedCols.push(`n${n}`);
  for (const r of runs) {
    const vals = valuesOf(r, metric);
    const E = r.epochs.length, m = r.dMlp;
    if (E === 0) continue;
    const grid = epochGrid(r.epochs);
    const identity = Array.from({ length: m }, (_, n) => n);
    const order = sortByFinal(vals, E, m);
    const u1 = pngDataUri(indexPng(matrixIndices(vals, m, grid.source, identity, 0, 1), grid.epochs.length, m, 'redblue-reversed'));
    const u2 = pngDataUri(indexPng(matrixIndices(vals, m, grid.source, order, 0, 1), grid.epochs.length, m, 'redblue-reversed'));
    const half = grid.epochs.length > 1 ? grid.step / 2 : 0.5;
    const width = Math.max(256, Math.min(512, m * Math.max(1, Math.floor(512 / m))));
    panels.push({
      title: r.label,
      subtitle: `${r.runId} · grokked ${r.grok.grok_epoch ?? 'never'}`,
      uri: u1, altUri: u2, width, height: 220,
      x: { domain: [0, m], title: 'neuron index', altTitle: `rank by ${metric} at the last checkpoint (epoch ${r.epochs[E - 1]})` },
      y: { domain: [grid.epochs[0] - half, grid.epochs[grid.epochs.length - 1] + half], title: 'epoch', format: 'd' },
      hover: {
        rows: Array.from(grid.source, (s) => hoverString(vals, identity, s * m, 0, 1)),
        rowLabels: Array.from(grid.source, (s) => r.epochs[s]),
        rowName: 'epoch', colName: 'neuron', altCols: order, lo: 0, hi: 1, valueName: metric,
      },
    });
    for (let i = 0; i < E; i++) blocks.push({ lead: [csvCell(r.label), csvCell(r.runId), String(r.epochs[i])], values: vals, offset: i * m, count: m });
    order.forEach((n, rank) => {
      const v = vals[(E - 1) * m + n];
      sortedT.rows.push([r.label, r.runId, rank, n, r.epochs[E - 1], Number.isNaN(v) ? null : v]);
    });
  }
  const common = {
    columns: runs.length > 1 ? 2 : 1,
    panels,
    colour: { scheme: 'redblue', reverse: true, domain: [0, 1] as [number, number], title: metric },
    noValueLegend: 'flat neuron (no value)',
  };
  const title = `Neuron ${metricTitle(metric, K)} over training`;
  const subtitle = 'rows: checkpoints (epoch 0 at the top); columns: MLP neurons; diverging colours centred on 0.5 (the blob/plaid boundary); grey: flat neuron';
  return {
    spec: rasterSpec({ ...common, title, subtitle, toggle: { name: 'sorted', label: 'sort neurons by their final value ', value: false, interactive: true } }),
    staticSpec: rasterSpec({ ...common, title, subtitle, toggle: { name: 'sorted', label: '', value: false, interactive: false } }),
    sortedSpec: rasterSpec({ ...common, title: `${title}, neurons sorted by final ${metric}`, subtitle, toggle: { name: 'sorted', label: '', value: true, interactive: false } }),
    unsorted: { columns: unsortedCols, rows: [], text: matrixCsv(unsortedCols, blocks, 6) }, sorted: sortedT,
  };
}

export function neuronHeatmaps(runs: RunData[], metric: MetricName, K: number): Figure[] {
  const b = build(runs, metric, K);
  return [
    {
      name: `${metric}-neuron-heatmap`,
      section: 'heatmap',
      title: `${metric === 'coarseness' ? 'Coarseness' : 'Frequency specialization'} vs neuron index`,
      caption:
        `Each pixel is one neuron (column) at one checkpoint (row): its ${metricTitle(metric, K)}, blue < 0.5 < red (CSV values rounded to 6 decimals). ` +
        'Tick the box to sort the neurons by their value at the last checkpoint (the sorted version is also saved as its own figure). ' +
        'Hover for values. Expected (seed): clusters of neurons turning red together in grokking runs; uniformly blue in a non-grokking run.',
      spec: b.spec,
      staticSpec: b.staticSpec,
      table: b.unsorted,
    },
    {
      name: `${metric}-neuron-heatmap-sorted`,
      section: 'heatmap',
      title: `${metric === 'coarseness' ? 'Coarseness' : 'Frequency specialization'} vs neuron, sorted by final value`,
      caption: `As above with neurons ordered by their ${metric} at the last checkpoint (flat neurons last); its CSV gives the order (neuron at each rank), the values are in the unsorted figure's CSV.`,
      spec: b.sortedSpec,
      table: b.sorted,
      hideInHtml: true,
    },
  ];
}
