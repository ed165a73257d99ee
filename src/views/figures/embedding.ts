/**
 * The embedding's Fourier spectrum over training (frequency × epoch heatmap of the norm of W_E's
 * projection on each frequency, key frequencies marked), the spectra at the first and last
 * checkpoints side by side across runs, and the reference coarseness table.
 */
import type { ReferenceRow } from '../../analysis/library/reference-table.js';
import { epochGrid, hoverString, indexPng } from '../raster.js';
import { colourIndex } from '../colormap.js';
import { pngDataUri } from '../png.js';
import type { Figure, RunData } from '../types.js';
import { SHOWN_FILTER, VL_CONFIG, VL_SCHEMA, runColour, shownParam, sig } from './common.js';
import { rasterSpec, type RasterPanel } from './raster-spec.js';

/** A float32 value written with the 9 significant digits that identify it (not 17). */
const f32 = (v: number): number => Number(v.toPrecision(9));

export function embeddingSpectrum(runs: RunData[]): Figure | null {
  const withEmb = runs.filter((r) => r.embedding.length > 0);
  if (withEmb.length === 0) return null;
  let hi = 0;
  for (const r of withEmb) for (const e of r.embedding) for (let k = 0; k < e.norms.length; k++) hi = Math.max(hi, e.norms[k]);
  if (!(hi > 0)) hi = 1;
  const panels: RasterPanel[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const r of withEmb) {
    const emb = r.embedding;
    const nF = emb[0].norms.length;
    const epochs = emb.map((e) => e.epoch);
    const grid = epochGrid(epochs);
    const C = grid.epochs.length;
    // Image rows: k = nF at the top down to k = 1; columns: grid epochs.
    const idx = new Uint8Array(nF * C);
    const hover: string[] = [];
    for (let row = 0; row < nF; row++) {
      const k = nF - row;
      const line = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        const v = emb[grid.source[c]].norms[k - 1];
        idx[row * C + c] = colourIndex(v, 0, hi);
        line[c] = v;
      }
      hover.push(hoverString(line, Array.from({ length: C }, (_, c) => c), 0, 0, hi));
    }
    const first = emb[0], last = emb[emb.length - 1];
    const half = C > 1 ? grid.step / 2 : 0.5;
    panels.push({
      title: r.label,
      subtitle: `key frequencies: first checkpoint ${first.keyFrequencies.join(', ') || '–'}; last ${last.keyFrequencies.join(', ') || '–'}`,
      uri: pngDataUri(indexPng(idx, nF, C, 'viridis')),
      width: 420, height: Math.max(160, Math.min(300, nF * 4)),
      x: { domain: [grid.epochs[0] - half, grid.epochs[C - 1] + half], title: 'epoch', format: 'd' },
      y: { domain: [nF + 0.5, 0.5], title: 'frequency k' },
      hover: {
        rows: hover, rowLabels: Array.from({ length: nF }, (_, row) => nF - row), rowName: 'k', colName: 'epoch',
        colLabels: Array.from(grid.source, (s) => epochs[s]), lo: 0, hi, valueName: 'norm',
      },
      markers: [
        ...last.keyFrequencies.map((k) => ({ y: k, text: String(k), kind: 'filled' as const })),
        ...first.keyFrequencies.filter((k) => !last.keyFrequencies.includes(k)).map((k) => ({ y: k, text: '', kind: 'hollow' as const })),
      ],
    });
    for (const e of emb) {
      const keys = new Set(e.keyFrequencies);
      for (let k = 1; k <= e.norms.length; k++) {
        rows.push([r.label, r.runId, e.epoch, k, f32(e.norms[k - 1]), f32(e.cosNorms[k - 1]), f32(e.sinNorms[k - 1]), keys.has(k), e.gini]);
      }
    }
  }
  const spec = rasterSpec({
    title: 'Fourier spectrum of the token embedding W_E over training',
    subtitle: 'colour: norm of W_E projected on frequency k (cos and sin combined); orange triangles: key frequencies at the last checkpoint; hollow: key frequencies at the first checkpoint that were dropped',
    columns: withEmb.length > 1 ? 2 : 1,
    panels,
    colour: { scheme: 'viridis', domain: [0, hi], title: 'norm' },
  });
  return {
    name: 'embedding-spectrum',
    section: 'embedding',
    title: 'Embedding Fourier spectrum over time',
    caption:
      'For every checkpoint, the norm of the embedding matrix W_E (number tokens) projected on each frequency k of the modular Fourier basis. ' +
      'Key frequencies (the fewest frequencies holding half the embedding energy) at the last checkpoint are marked with orange triangles. ' +
      'A horizontal band that appears early and stays is a frequency "chosen early" (the seed\'s fourth note).',
    spec,
    table: { columns: ['run', 'run_id', 'epoch', 'k', 'norm', 'cos_norm', 'sin_norm', 'is_key', 'gini'], rows },
  };
}

/** The embedding spectra at the first and last checkpoints, all runs on one axis each. */
export function embeddingFirstLast(runs: RunData[]): Figure | null {
  const withEmb = runs.filter((r) => r.embedding.length > 0);
  if (withEmb.length === 0) return null;
  const values: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const r of withEmb) {
    const pick = [['first checkpoint', r.embedding[0]], ['last checkpoint', r.embedding[r.embedding.length - 1]]] as const;
    for (const [when, e] of pick) {
      let tot = 0;
      for (let k = 0; k < e.norms.length; k++) tot += e.norms[k] ** 2;
      for (let k = 1; k <= e.norms.length; k++) {
        const share = tot > 0 ? e.norms[k - 1] ** 2 / tot : null;
        values.push({ run: r.label, when: `${when}`, epoch: e.epoch, k, norm: sig(e.norms[k - 1]), share: sig(share), key: e.keyFrequencies.includes(k) });
        rows.push([r.label, r.runId, when, e.epoch, k, e.norms[k - 1], share, e.keyFrequencies.includes(k), e.gini]);
      }
    }
  }
  const spec = {
    $schema: VL_SCHEMA, config: VL_CONFIG,
    title: { text: 'Embedding Fourier spectra across runs: first and last checkpoint', subtitle: 'share of the embedding energy (Σ_k norm_k²) in each frequency; filled points: key frequencies' },
    data: { values },
    params: [shownParam(runs)],
    transform: [SHOWN_FILTER],
    facet: { row: { field: 'when', type: 'nominal', title: null, sort: ['first checkpoint', 'last checkpoint'] } },
    spec: {
      width: 620, height: 170,
      layer: [
        { mark: { type: 'line', strokeWidth: 1.2 }, encoding: { x: { field: 'k', type: 'quantitative', title: 'frequency k' }, y: { field: 'share', type: 'quantitative', title: 'energy share' }, color: runColour(runs) } },
        {
          transform: [{ filter: 'datum.key' }],
          mark: { type: 'point', filled: true, size: 30 },
          encoding: {
            x: { field: 'k', type: 'quantitative' }, y: { field: 'share', type: 'quantitative' }, color: runColour(runs, { legend: null }),
            tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'k' }, { field: 'share', format: '.4f' }, { field: 'norm', format: '.4f' }],
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  return {
    name: 'embedding-spectrum-first-last',
    section: 'embedding',
    title: 'Embedding spectra at initialisation and at the end',
    caption: 'The share of W_E\'s energy in each frequency at the first checkpoint (epoch 0: the initialisation) and at the last, one line per run; the seed asks whether a run\'s initial spectrum is special.',
    spec,
    table: { columns: ['run', 'run_id', 'checkpoint', 'epoch', 'k', 'norm', 'share', 'is_key', 'gini'], rows },
  };
}

/** The reference coarseness table of one prime as a heatmap (frequency × pattern, one row of panels per K). */
export function referenceTableFigure(p: number, table: ReferenceRow[], K: number): Figure {
  const maxK = table[0]?.coarseness.length ?? 0;
  const values: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  const patterns: string[] = [];
  for (const t of table) {
    const name = t.relu ? `relu(${t.pattern})` : t.pattern;
    if (!patterns.includes(name)) patterns.push(name);
    t.coarseness.forEach((c, j) => values.push({ k: t.k, map: name, K: `K=${j + 1}`, c: sig(c) }));
    rows.push([p, t.k, t.pattern, t.relu, ...t.coarseness]);
  }
  const spec = {
    $schema: VL_SCHEMA, config: { ...VL_CONFIG, facet: { spacing: 4 } },
    title: {
      text: `Reference coarseness of pure frequency maps, p=${p}`,
      subtitle: `coarseness of cos(2πk·a/p), cos(2πk(a+b)/p), cos(2πk·a/p)·cos(2πk·b/p) and their ReLUs for each k, at K=1..${maxK} (this report uses K=${K}); ReLU harmonics fold back near k ≈ p/2, p/3, …`,
    },
    data: { values },
    facet: { row: { field: 'K', type: 'ordinal', title: null, header: { labelAngle: 0, labelAlign: 'left' } } },
    spec: {
      width: Math.max(400, Math.min(900, table.length / 6 * 14)), height: 80,
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'k', type: 'ordinal', title: 'frequency k', axis: { labelAngle: 0, labelOverlap: true, values: undefined } },
        y: { field: 'map', type: 'nominal', title: null, sort: patterns },
        color: { field: 'c', type: 'quantitative', title: 'coarseness', scale: { scheme: 'viridis', domain: [0, 1] } },
        tooltip: [{ field: 'map' }, { field: 'k' }, { field: 'K' }, { field: 'c', title: 'coarseness', format: '.4f' }],
      },
    },
  };
  return {
    name: `reference-coarseness-p${p}`,
    section: 'embedding',
    title: `Reference coarseness table (p=${p})`,
    caption:
      'Coarseness of ideal single-frequency maps (the seed\'s "comparison baseline"): the plain maps score 1 when k ≤ K and 0 otherwise; ' +
      'their ReLUs gain harmonics 2k, 3k, … that fold back to low frequencies when k is near p/2, p/3, …, so some high frequencies look "coarse".',
    spec,
    table: { columns: ['p', 'k', 'pattern', 'relu', ...Array.from({ length: maxK }, (_, j) => `coarseness_K${j + 1}`)], rows },
  };
}
