/**
 * Neuron galleries (issue item 7): for chosen epochs of a run, the p × p activation maps of the 16
 * highest- and 16 lowest-coarseness neurons (and the 16 most / least frequency-specialised ones),
 * computed from the checkpoint through the engine, each labelled with index, coarseness, dominant
 * frequency and its share, with the 2-D power spectrum of a selected neuron.
 *
 * Power spectrum: |F|² with F = B·A·Bᵀ in the modular Fourier basis of docs/design.md §3 (F[0][0] = 0),
 * summed over the sin and cos rows of each frequency, so cell (k_a, k_b) holds the share of the
 * neuron's variance in frequency k_a of a and k_b of b (k = 0: the constant). frac_k of the
 * analysis is cells (k, 0) + (0, k) + (k, k).
 */
import { existsSync } from 'node:fs';
import { activationMaps } from '../analysis/library/activations.js';
import type { Kernels } from '../engine/kernels.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { failure } from '../core/errors.js';
import { colourIndex } from '../views/colormap.js';
import { VEGA_CONFIG, VEGA_SCHEMA } from '../views/figures/common.js';
import { pngDataUri } from '../views/png.js';
import { indexPng, neuronMapIndices } from '../views/raster.js';
import type { Figure, RunData } from '../views/types.js';
import { powerSpectrum, selectNeurons } from '../views/maps.js';

export { powerSpectrum, selectNeurons } from '../views/maps.js';

export const GALLERY_SIZE = 16;

export interface GalleryNeuron {
  n: number;
  coarseness: number | null;
  specialization: number | null;
  dominant: number;
  share: number;
  min: number;
  max: number;
  /** Viridis palette PNG of the p × p map (row a, column b), scaled to [min, max]. */
  uri: string;
}

export interface GalleryEpoch {
  epoch: number;
  /** Why this epoch: 'initialisation', 'memorisation', 'grokking', 'last checkpoint', 'requested 1234'. */
  reason: string;
  neurons: GalleryNeuron[];
  rankings: Record<'coarseness' | 'specialization', { high: number[]; low: number[] }>;
  flat: number;
  /** Power spectrum ((nF+1)² shares, row k_a) of the top neuron of each ranking. */
  spectra: Partial<Record<'coarseness' | 'specialization', { n: number; shares: Float64Array }>>;
}

export interface GalleryRun {
  runId: string;
  label: string;
  p: number;
  dMlp: number;
  K: number;
  epochs: GalleryEpoch[];
}

/** Checkpoint epochs of the gallery: requested ones or 0 / memorisation / grokking / last, each the nearest analysed checkpoint with a file. */
export function galleryEpochs(r: RunData, requested?: number[]): { epoch: number; reason: string }[] {
  const avail = r.epochs.filter((e) => r.checkpoints.has(e) && existsSync(r.checkpoints.get(e)!));
  if (avail.length === 0) return [];
  const nearest = (t: number): number => avail.reduce((b, e) => (Math.abs(e - t) < Math.abs(b - t) ? e : b), avail[0]);
  const wants: { t: number; reason: string }[] = requested?.length
    ? requested.map((t) => ({ t, reason: `requested ${t}` }))
    : [
        { t: 0, reason: 'start' },
        ...(r.grok.memorise_epoch !== null ? [{ t: r.grok.memorise_epoch, reason: 'memorisation' }] : []),
        ...(r.grok.grok_epoch !== null ? [{ t: r.grok.grok_epoch, reason: 'grokking' }] : []),
        { t: avail[avail.length - 1], reason: 'last checkpoint' },
      ];
  const out: { epoch: number; reason: string }[] = [];
  for (const w of wants) {
    const e = nearest(w.t);
    const reason = e === w.t || w.reason === 'last checkpoint' ? w.reason : `${w.reason} at ${w.t}, nearest checkpoint`;
    const same = out.find((o) => o.epoch === e);
    if (same) same.reason += ` = ${reason}`;
    else out.push({ epoch: e, reason });
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

/** Highest and lowest neurons by a per-neuron value (NaN = flat, left out); ties by index. */
export function rankNeurons(values: ArrayLike<number>, count = GALLERY_SIZE): { high: number[]; low: number[] } {
  const live: number[] = [];
  for (let n = 0; n < values.length; n++) if (!Number.isNaN(values[n])) live.push(n);
  const asc = [...live].sort((a, b) => values[a] - values[b] || a - b);
  const desc = [...live].sort((a, b) => values[b] - values[a] || a - b);
  return { high: desc.slice(0, count), low: asc.slice(0, count) };
}

/** Build the gallery of one run: loads each chosen checkpoint and computes its activation maps. */
export function buildGallery(k: Kernels, r: RunData, requested?: number[]): GalleryRun {
  const m = r.dMlp;
  const out: GalleryRun = { runId: r.runId, label: r.label, p: r.p, dMlp: m, K: r.K, epochs: [] };
  for (const { epoch, reason } of galleryEpochs(r, requested)) {
    const i = r.epochs.indexOf(epoch);
    const path = r.checkpoints.get(epoch)!;
    const ck = loadCheckpoint(path);
    if (ck.config.p !== r.p || ck.config.dMlp !== m) throw failure(`${path}: checkpoint has p=${ck.config.p}, d_mlp=${ck.config.dMlp}; run ${r.runId} has p=${r.p}, d_mlp=${m}`);
    const c = r.coarseness.subarray(i * m, (i + 1) * m);
    const f = r.specialization.subarray(i * m, (i + 1) * m);
    const rankings = { coarseness: rankNeurons(c), specialization: rankNeurons(f) };
    const chosen = [...new Set([...rankings.coarseness.high, ...rankings.coarseness.low, ...rankings.specialization.high, ...rankings.specialization.low])];
    // Only the chosen neurons' maps are needed: the model with just those MLP neurons computes them.
    const sub = chosen.length ? activationMaps(k, selectNeurons(ck.params, chosen)) : new Float32Array(0);
    const col = new Map(chosen.map((n, j) => [n, j]));
    const neurons: GalleryNeuron[] = chosen.map((n) => {
      const { indices, min, max } = neuronMapIndices(sub, r.p, chosen.length, col.get(n)!);
      return {
        n, coarseness: Number.isNaN(c[n]) ? null : c[n], specialization: Number.isNaN(f[n]) ? null : f[n],
        dominant: r.dominant[i * m + n], share: r.dominantShare[i * m + n], min, max,
        uri: pngDataUri(indexPng(indices, r.p, r.p, 'viridis')),
      };
    });
    let flat = 0;
    for (let n = 0; n < m; n++) if (Number.isNaN(c[n])) flat++;
    const spectra: GalleryEpoch['spectra'] = {};
    for (const metric of ['coarseness', 'specialization'] as const) {
      const top = rankings[metric].high[0];
      if (top !== undefined) spectra[metric] = { n: top, shares: powerSpectrum(k, sub, r.p, chosen.length, col.get(top)!) };
    }
    out.epochs.push({ epoch, reason, neurons, rankings, flat, spectra });
  }
  return out;
}

const fmt = (v: number | null, d = 2): string => (v === null ? 'flat' : v.toFixed(d));

/** Static gallery figures of one run (per gallery epoch and ranking metric), for the PNG/SVG files. */
export function galleryFigures(g: GalleryRun): Figure[] {
  const figs: Figure[] = [];
  // Rendered at 1 PNG pixel per unit: each map cell is a whole number of pixels.
  const S = g.p * Math.max(1, Math.round(104 / g.p));
  const GAP = 10, LH = 26, HEAD = 22, SP = 260;
  const nF = (g.p - 1) / 2;
  const blockW = 4 * S + 3 * GAP;
  for (const ep of g.epochs) {
    for (const metric of ['coarseness', 'specialization'] as const) {
      const rk = ep.rankings[metric];
      const byN = new Map(ep.neurons.map((x) => [x.n, x]));
      const cells: Record<string, unknown>[] = [];
      const rows: Figure['table']['rows'] = [];
      const place = (group: 'high' | 'low', list: number[], x0: number) => list.forEach((n, j) => {
        const x = byN.get(n)!;
        const col = j % 4, row = Math.floor(j / 4);
        cells.push({
          x: x0 + col * (S + GAP), y: HEAD + row * (S + LH + GAP) + LH, url: x.uri,
          l1: `#${n}  k=${x.dominant} (${x.share.toFixed(2)})`, l2: `c=${fmt(x.coarseness)}  spec=${fmt(x.specialization)}`,
        });
        rows.push([group, j, n, x.coarseness, x.specialization, x.dominant, x.share, x.min, x.max, null, null, null]);
      });
      const xLow = blockW + 36;
      place('high', rk.high, 0);
      place('low', rk.low, xLow);
      const gridH = HEAD + 4 * (S + LH + GAP);
      const spec0 = ep.spectra[metric];
      const xBar = xLow + blockW + 24, xSpec = xBar + 120;
      let specUri = '';
      if (spec0) {
        const ps = spec0.shares;
        const idx = new Uint8Array(ps.length);
        for (let i = 0; i < ps.length; i++) idx[i] = colourIndex(ps[i] > 0 ? Math.max(-4, Math.log10(ps[i])) : -4, -4, 0);
        specUri = pngDataUri(indexPng(idx, nF + 1, nF + 1, 'viridis'));
        for (let a = 0; a <= nF; a++) for (let b = 0; b <= nF; b++) rows.push(['spectrum', null, spec0.n, null, null, null, null, null, null, a, b, Number(ps[a * (nF + 1) + b].toPrecision(6))]);
      }
      const mTitle = metric === 'coarseness' ? `coarseness (K=${g.K})` : 'frequency specialization';
      const text = (x: number, y: number, t: string, size = 12, weight = 'bold') => ({
        type: 'text', encode: { enter: { x: { value: x }, y: { value: y }, text: { value: t }, fontSize: { value: size }, fontWeight: { value: weight }, baseline: { value: 'top' } } },
      });
      const spectrum = !spec0 ? [] : [
        text(xSpec - 40, 0, `2-D power spectrum of #${spec0.n}`),
        text(xSpec - 40, 16, '|F|² in the modular Fourier basis, sin+cos summed', 10, 'normal'),
        text(xSpec - 40, 29, 'per frequency; colour: log10 share of variance', 10, 'normal'),
        {
          type: 'group',
          encode: { enter: { x: { value: xSpec }, y: { value: HEAD + LH + 24 }, width: { value: SP }, height: { value: SP } } },
          scales: [
            { name: 'kx', type: 'linear', domain: [-0.5, nF + 0.5], range: [0, SP], zero: false, nice: false },
            { name: 'ky', type: 'linear', domain: [-0.5, nF + 0.5], range: [0, SP], zero: false, nice: false },
          ],
          axes: [
            { orient: 'bottom', scale: 'kx', title: 'frequency of b (k_b)', tickCount: 6, grid: false },
            { orient: 'left', scale: 'ky', title: 'frequency of a (k_a)', tickCount: 6, grid: false },
          ],
          marks: [{
            type: 'image', aria: false,
            encode: { enter: { x: { value: 0 }, y: { value: 0 }, width: { value: SP }, height: { value: SP }, url: { value: specUri }, aspect: { value: false }, smooth: { value: false } } },
          }],
        },
      ];
      const spec = {
        $schema: VEGA_SCHEMA,
        config: VEGA_CONFIG,
        padding: 10,
        autosize: 'pad',
        width: spec0 ? xSpec + SP : xLow + blockW,
        height: gridH,
        title: {
          text: `${g.label}: neurons at epoch ${ep.epoch} (${ep.reason}) ranked by ${mTitle}`,
          subtitle: `activation maps A[a][b] over all p² = ${g.p * g.p} inputs (a down, b across), each scaled to its own min–max; labels: #index, dominant frequency k (its share), coarseness c, specialization; ${ep.flat} flat neurons left out`,
          anchor: 'start', offset: 14, subtitleFontSize: 11, subtitleColor: '#555',
        },
        data: [{ name: 'cells', values: cells }],
        scales: [
          { name: 'maps', type: 'linear', domain: [0, 1], range: { scheme: 'viridis' } },
          { name: 'spec', type: 'linear', domain: [-4, 0], range: { scheme: 'viridis' } },
        ],
        legends: [
          { fill: 'maps', type: 'gradient', title: ['activation', '(each map', 'min → max)'], orient: 'none', legendX: xBar, legendY: HEAD + LH, gradientLength: 200, format: '.1f' },
          ...(spec0 ? [{ fill: 'spec', type: 'gradient', title: 'log10 share', orient: 'none', legendX: xSpec + SP + 14, legendY: HEAD + LH + 24, gradientLength: 160 }] : []),
        ],
        marks: [
          text(0, 0, `16 highest ${metric}`),
          text(xLow, 0, `16 lowest ${metric}`),
          {
            type: 'image', from: { data: 'cells' }, aria: false,
            encode: { enter: { x: { field: 'x' }, y: { field: 'y' }, width: { value: S }, height: { value: S }, url: { field: 'url' }, aspect: { value: false }, smooth: { value: false } } },
          },
          {
            type: 'text', from: { data: 'cells' },
            encode: { enter: { x: { field: 'x' }, y: { signal: 'datum.y - 26' }, text: { field: 'l1' }, fontSize: { value: 10 }, baseline: { value: 'top' } } },
          },
          {
            type: 'text', from: { data: 'cells' },
            encode: { enter: { x: { field: 'x' }, y: { signal: 'datum.y - 14' }, text: { field: 'l2' }, fontSize: { value: 10 }, baseline: { value: 'top' }, fill: { value: '#444' } } },
          },
          ...spectrum,
        ],
      };
      figs.push({
        name: `gallery-${g.runId}-e${ep.epoch}-${metric}`,
        section: 'gallery',
        title: `Neuron gallery: ${g.label}, epoch ${ep.epoch}, by ${metric}`,
        caption: `Activation maps of the 16 highest and 16 lowest ${mTitle} neurons; the power spectrum is of the top neuron (#${spec0?.n ?? '–'}).`,
        spec,
        table: { columns: ['group', 'rank', 'neuron', 'coarseness', 'specialization', 'dominant_frequency', 'dominant_share', 'activation_min', 'activation_max', 'k_a', 'k_b', 'power_share'], rows },
        hideInHtml: true,
        pngScale: 1,
      });
    }
  }
  return figs;
}
