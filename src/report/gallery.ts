/**
 * Neuron galleries (issue item 7): for chosen epochs of a run, the p × p activation maps of the 16
 * highest- and 16 lowest-coarseness neurons (and the 16 most / least frequency-concentrated ones),
 * computed from the checkpoint through the engine, each labelled with index, coarseness, dominant
 * frequency and its share, with the 2-D power spectrum of a selected neuron.
 *
 * Power spectrum: |F|² with F = B·A·Bᵀ in the modular Fourier basis of DESIGN.md §3 (F[0][0] = 0),
 * summed over the sin and cos rows of each frequency, so cell (k_a, k_b) holds the share of the
 * neuron's variance in frequency k_a of a and k_b of b (k = 0: the constant). frac_k of the
 * analysis is cells (k, 0) + (0, k) + (k, k).
 */
import { activationMaps } from '../analysis/activations.js';
import { fourierTransform } from '../analysis/coarseness.js';
import type { Kernels } from '../engine/kernels.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { failure } from '../errors.js';
import { colourIndex } from './colormap.js';
import { VL_CONFIG, VL_SCHEMA } from './figures/common.js';
import { pngDataUri } from './png.js';
import { indexPng, neuronMapIndices } from './raster.js';
import type { Figure, RunData } from './types.js';

export const GALLERY_SIZE = 16;

export interface GalleryNeuron {
  n: number;
  coarseness: number | null;
  concentration: number | null;
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
  rankings: Record<'coarseness' | 'concentration', { high: number[]; low: number[] }>;
  flat: number;
  /** Power spectrum ((nF+1)² shares, row k_a) of the top neuron of each ranking. */
  spectra: Partial<Record<'coarseness' | 'concentration', { n: number; shares: Float64Array }>>;
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
  const avail = r.epochs.filter((e) => r.checkpoints.has(e));
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
    const maps = activationMaps(k, ck.params);
    const c = r.coarseness.subarray(i * m, (i + 1) * m);
    const f = r.concentration.subarray(i * m, (i + 1) * m);
    const rankings = { coarseness: rankNeurons(c), concentration: rankNeurons(f) };
    const chosen = [...new Set([...rankings.coarseness.high, ...rankings.coarseness.low, ...rankings.concentration.high, ...rankings.concentration.low])];
    const neurons: GalleryNeuron[] = chosen.map((n) => {
      const { indices, min, max } = neuronMapIndices(maps, r.p, m, n);
      return {
        n, coarseness: Number.isNaN(c[n]) ? null : c[n], concentration: Number.isNaN(f[n]) ? null : f[n],
        dominant: r.dominant[i * m + n], share: r.dominantShare[i * m + n], min, max,
        uri: pngDataUri(indexPng(indices, r.p, r.p, 'viridis')),
      };
    });
    let flat = 0;
    for (let n = 0; n < m; n++) if (Number.isNaN(c[n])) flat++;
    const spectra: GalleryEpoch['spectra'] = {};
    for (const metric of ['coarseness', 'concentration'] as const) {
      const top = rankings[metric].high[0];
      if (top !== undefined) spectra[metric] = { n: top, shares: powerSpectrum(k, maps, r.p, m, top) };
    }
    out.epochs.push({ epoch, reason, neurons, rankings, flat, spectra });
  }
  return out;
}

/**
 * The 2-D power spectrum of neuron n: an (nF+1) × (nF+1) matrix (row k_a, column k_b) of shares of
 * its variance, |F|² summed over the sin/cos rows of each frequency (F[0][0] removed).
 */
export function powerSpectrum(k: Kernels, maps: ArrayLike<number>, p: number, m: number, n: number): Float64Array {
  const one = k.alloc(p * p);
  for (let i = 0; i < p * p; i++) one[i] = maps[i * m + n];
  const F = fourierTransform(k, one, p, 1);
  const nF = (p - 1) / 2, S = nF + 1;
  const out = new Float64Array(S * S);
  let tot = 0;
  for (let x = 0; x < p; x++) {
    const kx = (x + 1) >> 1;
    for (let y = 0; y < p; y++) {
      const v = F[x * p + y] ** 2;
      out[kx * S + ((y + 1) >> 1)] += v;
      tot += v;
    }
  }
  if (tot > 0) for (let i = 0; i < out.length; i++) out[i] /= tot;
  return out;
}

const fmt = (v: number | null, d = 2): string => (v === null ? 'flat' : v.toFixed(d));

/** Static gallery figures of one run (per gallery epoch and ranking metric), for the PNG/SVG files. */
export function galleryFigures(g: GalleryRun): Figure[] {
  const figs: Figure[] = [];
  // Rendered at 1 PNG pixel per unit: each map cell is a whole number of pixels.
  const S = g.p * Math.max(1, Math.round(104 / g.p));
  const nF = (g.p - 1) / 2;
  for (const ep of g.epochs) {
    for (const metric of ['coarseness', 'concentration'] as const) {
      const rk = ep.rankings[metric];
      const byN = new Map(ep.neurons.map((x) => [x.n, x]));
      const cell = (group: string, n: number, rank: number) => {
        const x = byN.get(n)!;
        return {
          group, rank, n, url: x.uri,
          label: `#${n}  k=${x.dominant} (${x.share.toFixed(2)})|c=${fmt(x.coarseness)}  conc=${fmt(x.concentration)}`,
        };
      };
      const hi = rk.high.map((n, j) => cell('high', n, j));
      const lo = rk.low.map((n, j) => cell('low', n, j));
      const spec0 = ep.spectra[metric];
      const sel = spec0?.n;
      const rows: Figure['table']['rows'] = [];
      for (const c of [...hi, ...lo]) {
        const x = byN.get(c.n)!;
        rows.push([c.group, c.rank, c.n, x.coarseness, x.concentration, x.dominant, x.share, x.min, x.max, null, null, null]);
      }
      let specUri = '';
      if (spec0) {
        const ps = spec0.shares;
        const idx = new Uint8Array(ps.length);
        for (let i = 0; i < ps.length; i++) idx[i] = colourIndex(ps[i] > 0 ? Math.max(-4, Math.log10(ps[i])) : -4, -4, 0);
        specUri = pngDataUri(indexPng(idx, nF + 1, nF + 1, 'viridis'));
        for (let a = 0; a <= nF; a++) for (let b = 0; b <= nF; b++) rows.push(['spectrum', null, spec0.n, null, null, null, null, null, null, a, b, ps[a * (nF + 1) + b]]);
      }
      const mTitle = metric === 'coarseness' ? `coarseness (K=${g.K})` : 'frequency concentration';
      const facet = (title: string, values: object[]) => ({
        title: { text: title, fontSize: 12 },
        data: { values },
        facet: { field: 'label', type: 'nominal', sort: { field: 'rank', op: 'min' }, header: { title: null, labelFontSize: 10, labelPadding: 2, labelExpr: "split(datum.value, '|')" } },
        columns: 4,
        spec: {
          width: S, height: S,
          mark: { type: 'image', width: S, height: S, align: 'left', baseline: 'top', smooth: false, aria: false },
          encoding: { x: { value: 0 }, y: { value: 0 }, url: { field: 'url' } },
        },
      });
      const colourBar = {
        width: 1, height: 4 * S,
        data: { values: [{ v: 0 }, { v: 1 }] },
        mark: { type: 'point', opacity: 0 },
        encoding: { color: { field: 'v', type: 'quantitative', scale: { scheme: 'viridis', domain: [0, 1] }, legend: { title: ['activation', '(each map', 'min → max)'], gradientLength: 220, format: '.1f', orient: 'right' } } },
        view: { stroke: null },
      };
      const SP = 240;
      const spectrum = sel === undefined ? null : {
        title: { text: `2-D power spectrum of #${sel}`, subtitle: ['|F|² in the modular Fourier basis,', 'sin+cos summed per frequency; log10 share'], fontSize: 12 },
        width: SP, height: SP,
        data: { values: [{ x: 0, y: 0, u: specUri }] },
        layer: [
          {
            mark: { type: 'image', width: SP, height: SP, align: 'left', baseline: 'top', smooth: false, aria: false },
            encoding: { x: { value: 0 }, y: { value: 0 }, url: { field: 'u' } },
          },
          {
            mark: { type: 'point', opacity: 0 },
            encoding: {
              x: { field: 'x', type: 'quantitative', title: 'frequency of b (k_b)', scale: { domain: [-0.5, nF + 0.5], nice: false } },
              y: { field: 'y', type: 'quantitative', title: 'frequency of a (k_a)', scale: { domain: [-0.5, nF + 0.5], nice: false, reverse: true } },
              color: { field: 'x', type: 'quantitative', scale: { scheme: 'viridis', domain: [-4, 0] }, legend: { title: 'log10 share', gradientLength: 160 } },
            },
          },
        ],
      };
      const spec = {
        $schema: VL_SCHEMA,
        config: { ...VL_CONFIG, view: { stroke: null }, facet: { spacing: 6 } },
        title: {
          text: `${g.label}: neurons at epoch ${ep.epoch} (${ep.reason}) ranked by ${mTitle}`,
          subtitle: `activation maps A[a][b] over all p² = ${g.p * g.p} inputs (a down, b across), each scaled to its own min–max; labels: #index, dominant frequency k (its share), coarseness c, concentration; ${ep.flat} flat neurons left out`,
        },
        hconcat: [facet(`16 highest ${metric}`, hi), facet(`16 lowest ${metric}`, lo), colourBar, ...(spectrum ? [spectrum] : [])],
        resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
      };
      figs.push({
        name: `gallery-${g.runId}-e${ep.epoch}-${metric}`,
        section: 'gallery',
        title: `Neuron gallery: ${g.label}, epoch ${ep.epoch}, by ${metric}`,
        caption: `Activation maps of the 16 highest and 16 lowest ${mTitle} neurons; the power spectrum is of the top neuron (#${sel ?? '–'}).`,
        spec,
        table: { columns: ['group', 'rank', 'neuron', 'coarseness', 'concentration', 'dominant_frequency', 'dominant_share', 'activation_min', 'activation_max', 'k_a', 'k_b', 'power_share'], rows },
        hideInHtml: true,
        pngScale: 1,
      });
    }
  }
  return figs;
}
