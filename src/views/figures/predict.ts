/**
 * Seed analysis 4: does early coarseness (mean at epoch 500 / 1000 / 2000) predict the grokking
 * epoch? One point per run, colour by prime, shape by seed, runs that never grokked drawn hollow at
 * their max epoch, least-squares line over the grokking runs. The HTML selects the early epoch; the
 * image files show the three side by side.
 */
import { linearRegression } from '../../math/stats.js';
import type { Figure, RunData } from '../types.js';
import { SHOWN_FILTER, VL_CONFIG, VL_SCHEMA, metricTitle, nearestIndex, shownParam, sig, statsOf, type MetricName } from './common.js';

export const EARLY_EPOCHS = [500, 1000, 2000];
const PRIME_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#9c755f', '#76b7b2', '#edc948'];
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'triangle-down', 'cross'];

export interface EarlyPoint {
  run: string; runId: string; p: number; seed: number; E: number; epochUsed: number;
  x: number | null; grokEpoch: number | null; y: number; grokked: boolean;
}

export function earlyPoints(runs: RunData[], metric: MetricName): EarlyPoint[] {
  const out: EarlyPoint[] = [];
  for (const E of EARLY_EPOCHS) {
    for (const r of runs) {
      if (r.epochs.length === 0) continue;
      const i = nearestIndex(r.epochs, E);
      out.push({
        run: r.label, runId: r.runId, p: r.p, seed: r.seed, E, epochUsed: r.epochs[i], x: statsOf(r, metric)[i].mean,
        grokEpoch: r.grok.grok_epoch, y: r.grok.grok_epoch ?? r.maxEpoch, grokked: r.grok.grok_epoch !== null,
      });
    }
  }
  return out;
}

export function earlyVsGrok(runs: RunData[], metric: MetricName, K: number): Figure {
  const pts = earlyPoints(runs, metric);
  const values: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  const maxEpoch = Math.max(...runs.map((r) => r.maxEpoch));
  const primes = [...new Set(runs.map((r) => r.p))].sort((a, b) => a - b).map((p) => `p=${p}`);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b).map((x) => `seed=${x}`);
  for (const E of EARLY_EPOCHS) {
    const g = pts.filter((q) => q.E === E && q.grokked && q.x !== null);
    const fit = linearRegression(g.map((q) => q.x!), g.map((q) => q.y));
    for (const q of pts.filter((q) => q.E === E)) {
      values.push({
        kind: 'run', E, run: q.run, prime: `p=${q.p}`, seed: `seed=${q.seed}`, x: sig(q.x), y: q.y, used: q.epochUsed,
        outcome: q.grokked ? 'grokked' : 'did not grok', label: `${q.run}${q.grokked ? '' : ' (no grok)'}`,
        note: q.epochUsed === E ? `epoch ${E}` : `nearest checkpoint ${q.epochUsed}`,
      });
      rows.push([q.run, q.runId, q.p, q.seed, E, q.epochUsed, q.x, q.grokEpoch, q.y, q.grokked, fit.slope, fit.intercept, fit.r2, fit.n]);
    }
    if (Number.isFinite(fit.slope)) {
      const xs = g.map((q) => q.x!);
      const lo = Math.min(...xs), hi = Math.max(...xs);
      for (const x of [lo, hi]) values.push({ kind: 'fit', E, x: sig(x, 6), y: fit.slope * x + fit.intercept });
      values.push({ kind: 'fitlabel', E, text: `fit over ${fit.n} grokking runs: r² = ${fit.r2.toFixed(2)}, slope ${fit.slope.toPrecision(3)} epochs per unit` });
    } else {
      values.push({ kind: 'fitlabel', E, text: `no fit: ${g.length} grokking run(s) with distinct values needed ≥ 2` });
    }
  }
  const layers = [
    {
      transform: [{ filter: "datum.kind == 'fit'" }],
      mark: { type: 'line', color: '#666', strokeDash: [6, 3] },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    },
    ...(['grokked', 'did not grok'] as const).map((outcome) => ({
      transform: [{ filter: "datum.kind == 'run'" }, { filter: `datum.outcome == '${outcome}'` }, SHOWN_FILTER],
      mark: { type: 'point', size: 140, strokeWidth: 2, filled: outcome === 'grokked', opacity: 0.9 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: `mean ${metric} at the early epoch`, scale: { domain: [0, 1] } },
        y: { field: 'y', type: 'quantitative', title: 'grokking epoch (test loss < 0.01)', scale: { domain: [0, maxEpoch * 1.05] } },
        color: { field: 'prime', type: 'nominal', title: 'prime', scale: { domain: primes, range: primes.map((_, i) => PRIME_COLOURS[i % PRIME_COLOURS.length]) } },
        shape: { field: 'seed', type: 'nominal', title: 'seed (hollow: never grokked)', scale: { domain: seeds, range: seeds.map((_, i) => SHAPES[i % SHAPES.length]) } },
        tooltip: [{ field: 'run' }, { field: 'note', title: 'early epoch' }, { field: 'x', title: `mean ${metric}`, format: '.4f' }, { field: 'y', title: 'grokking epoch (or max)' }, { field: 'outcome' }],
      },
    })),
    {
      transform: [{ filter: "datum.kind == 'run'" }, SHOWN_FILTER],
      mark: { type: 'text', align: 'left', dx: 9, dy: -7, fontSize: 9, color: '#333' },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    },
    {
      transform: [{ filter: "datum.kind == 'fitlabel'" }],
      mark: { type: 'text', align: 'left', baseline: 'top', x: 4, y: 4, fontSize: 9, color: '#555' },
      encoding: { text: { field: 'text' } },
    },
  ];
  const sub = 'white (hollow) markers at the max epoch, labelled "(no grok)": runs that never grokked; dashed: least-squares line over the grokking runs';
  const head = `Early mean ${metricTitle(metric, K)} vs grokking epoch`;
  const spec = {
    $schema: VL_SCHEMA, config: VL_CONFIG,
    title: { text: { expr: `'${head} (early epoch ' + early + ')'` }, subtitle: sub },
    data: { values },
    params: [{ name: 'early', value: 1000, bind: { input: 'radio', options: EARLY_EPOCHS, name: 'early epoch ' } }, shownParam(runs)],
    transform: [{ filter: 'datum.E == early' }],
    width: 460, height: 320,
    layer: layers,
  };
  const staticSpec = {
    $schema: VL_SCHEMA, config: VL_CONFIG,
    title: { text: head, subtitle: sub },
    data: { values },
    params: [shownParam(runs)],
    facet: { column: { field: 'E', type: 'ordinal', title: 'early epoch (nearest checkpoint)' } },
    spec: { width: 300, height: 260, layer: layers },
    resolve: { scale: { x: 'independent' } },
  };
  return {
    name: `early-${metric}-vs-grok`,
    section: 'predict',
    title: `Early ${metric} predicts grokking time?`,
    caption:
      `x: mean neuron ${metricTitle(metric, K)} at epoch 500, 1000 or 2000 (select above; nearest checkpoint); y: the grokking epoch ` +
      '(first test loss < 0.01). Runs that never grokked are hollow and drawn at their max epoch. Colour: prime; shape: seed. ' +
      'The seed expects a negative correlation; with few runs the fit says little (see the Answers section for the correlation and its permutation p-value).',
    spec,
    staticSpec,
    table: {
      columns: ['run', 'run_id', 'p', 'seed', 'early_epoch', 'epoch_used', `mean_${metric}`, 'grok_epoch', 'plotted_y', 'grokked', 'fit_slope', 'fit_intercept', 'fit_r2', 'fit_n'],
      rows,
    },
  };
}
