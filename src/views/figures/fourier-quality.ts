/**
 * Figures of the two MIScope Fourier analyzers of issue 26 item 5, read from stored results:
 *   further-fourier-quality           R² of the ideal mod-p tensor on the embedding's dominant basis rows
 *                                     and MIScope's analytic 2m/p over epochs, and the number k of
 *                                     dominant rows (MIScope's fourier_quality_trajectory)
 *   further-fourier-nucleation        aggregate Fourier energy of the neurons' responses (W_E·W_in)ᵀ per
 *                                     sharpening iteration and frequency at the first analysed checkpoint
 *                                     (epoch 0: MIScope's nucleation heatmap), from its artifact
 *   further-fourier-nucleation-epochs the last iteration's aggregate energy per frequency over epochs
 *                                     (the frequency-commitment trajectory), from the summaries
 */
import { FOURIER_FREQUENCY_QUALITY, type FourierFrequencyQualitySummary } from '../../analysis/analyzers/fourier-frequency-quality.js';
import { FOURIER_NUCLEATION, type FourierNucleationSummary } from '../../analysis/analyzers/fourier-nucleation.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { runColour, sig, trainingFigure, type Cell, ROW_HEADER } from './common.js';



const QUALITY_SERIES = ['quality R²', 'analytic 2m/p'] as const;
const R2_PANEL = 'quality R² (solid) and analytic 2m/p (dashed)';

/** Quality R², 2m/p and k over epochs (fourier_frequency_quality). */
export function fourierQualityFigures(store: Store, runs: RunData[]): Figure[] {
  const rows: Cell[][] = [], last: string[] = [];
  for (const r of runs) {
    const rs = store.getAnalyses<FourierFrequencyQualitySummary>(r.runId, FOURIER_FREQUENCY_QUALITY);
    if (rs.length === 0) continue;
    for (const a of rs) {
      const s = a.summary;
      rows.push([r.label, a.epoch, R2_PANEL, 'quality R²', sig(s.quality_score)]);
      rows.push([r.label, a.epoch, R2_PANEL, 'analytic 2m/p', sig(s.analytic_reference)]);
      rows.push([r.label, a.epoch, 'dominant basis rows k', 'k', s.k]);
    }
    const e = rs[rs.length - 1].summary;
    last.push(`${r.label}: R² ${sig(e.quality_score, 3)}, k = ${e.k}, complete pairs ${e.complete_pairs.join(', ') || 'none'} at epoch ${rs[rs.length - 1].epoch}`);
  }
  if (rows.length === 0) return [];
  const spec = {
    data: { values: rows.map(([run, epoch, panel, series, value]) => ({ run, epoch, panel, series, value })) },
    facet: { row: { field: 'panel', type: 'nominal', title: null, sort: [R2_PANEL, 'dominant basis rows k'], header: ROW_HEADER } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 150, mark: { type: 'line', point: rows.length < 1500 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: true }, axis: { format: '.3~g' } },
        color: runColour(runs),
        strokeDash: {
          field: 'series', type: 'nominal', title: null, sort: [...QUALITY_SERIES, 'k'], scale: { domain: [...QUALITY_SERIES, 'k'], range: [[1, 0], [4, 3], [1, 0]] },
          legend: null, // the panel header names the dashes
        },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, { field: 'value' }],
      },
    },
  };
  return [trainingFigure('further-fourier-quality', 'Fourier frequency quality: the ideal mod-p tensor on the embedding\'s dominant frequencies (MIScope)',
    'Dominant basis rows: the rows x of the modular Fourier basis whose embedding coefficient ‖B[x]·W_E‖ exceeds 3 × the mean over all p rows (none at initialisation, when the coefficients are about equal). ' +
    'Quality R²: the share of the ideal tensor T[a, b, c] = [(a + b) mod p = c] (‖T‖² = p²) that lies in the span of B[i] ⊗ B[j] over (a, b), i, j dominant; ' +
    'dashed: MIScope\'s analytic 2m/p for the m frequencies whose sin and cos rows are both dominant (R² exceeds it by 1/(2p) per lone row and 1/p for the constant). ' +
    `Last checkpoint — ${last.join('; ')}.`,
    spec, ['run', 'epoch', 'panel', 'series', 'value'], rows)];
}

/** At most this many checkpoints (evenly strided, the last always) per run in the over-epochs heatmap. */
const HEATMAP_EPOCHS = 60;

/** The nucleation heatmap at the first analysed checkpoint and the last iteration's energy over epochs (fourier_nucleation). */
export function fourierNucleationFigures(store: Store, runs: RunData[]): Figure[] {
  const first: Cell[][] = [], over: Cell[][] = [], notes: string[] = [];
  let iterations = 0, sharpness = 0;
  for (const r of runs) {
    const rs = store.getAnalyses<FourierNucleationSummary>(r.runId, FOURIER_NUCLEATION).filter((a) => a.path !== null);
    if (rs.length === 0) continue;
    const a0 = rs[0];
    const f = readSafetensorsFile(a0.path!);
    const [nIt, nF] = f.info('aggregate_energy').shape;
    const agg = f.getFloat32('aggregate_energy'), committed = f.getInt32('neuron_committed_count');
    for (let it = 0; it < nIt; it++) for (let k = 1; k <= nF; k++) first.push([r.label, a0.epoch, it, k, sig(agg[it * nF + k - 1]), committed[it * nF + k - 1]]);
    iterations = a0.summary.iterations; sharpness = a0.summary.sharpness;
    notes.push(`${r.label}: epoch ${a0.epoch}, top frequencies ${a0.summary.top_frequencies.join(', ')}`);
    const stride = Math.max(1, Math.ceil(rs.length / HEATMAP_EPOCHS));
    rs.forEach((a, j) => {
      if (j % stride !== 0 && j !== rs.length - 1) return;
      const s = a.summary;
      s.final_energy.forEach((e, i) => over.push([r.label, a.epoch, i + 1, sig(e), sig(s.initial_energy[i]), s.final_committed[i]]));
    });
  }
  if (first.length === 0) return [];
  const heat = (values: object[], x: object, y: object, tooltip: string[]) => ({
    data: { values },
    facet: { row: { field: 'run', type: 'nominal', title: null, header: ROW_HEADER } },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 520, height: 200, mark: { type: 'rect' },
      encoding: { x, y, color: { field: 'energy', type: 'quantitative', title: 'energy', scale: { scheme: 'viridis', domain: [0, 1] } }, tooltip: tooltip.map((field) => ({ field })) },
    },
  });
  const ordinal = { scale: { paddingInner: 0 }, axis: { labelOverlap: 'greedy', labelAngle: 0, grid: false } };
  const out = [trainingFigure('further-fourier-nucleation', 'Fourier nucleation at initialisation: the neurons\' latent frequency bias (MIScope)',
    'Each MLP neuron\'s response over the token values, (W_E[:p]·W_in)ᵀ, projected on the cos and sin rows of every frequency k (energy C² + S²), summed over the neurons and scaled to a maximum of 1; ' +
    `row 0 is the raw projection, each later row follows a sharpening that keeps every neuron's top ${Math.round(100 * (1 - sharpness))} % of frequencies (${iterations} iterations, MIScope's defaults), so the bright columns are the frequencies the initialisation leans to. ` +
    'The sharpening is a projection (the basis is orthonormal), so rows 2 onward repeat row 1. Shown at each run\'s first analysed checkpoint, as MIScope\'s dashboard shows epoch 0. ' +
    `${notes.join('; ')}.`,
    heat(first.map(([run, epoch, iteration, k, energy, committed]) => ({ run, epoch, iteration, k, energy, committed })),
      { field: 'k', type: 'ordinal', title: 'frequency k', ...ordinal },
      { field: 'iteration', type: 'ordinal', title: 'iteration', ...ordinal }, ['run', 'epoch', 'iteration', 'k', 'energy', 'committed']),
    ['run', 'epoch', 'iteration', 'k', 'energy', 'committed'], first)];
  out.push(trainingFigure('further-fourier-nucleation-epochs', 'Fourier nucleation over training: the sharpened frequency energy at every checkpoint',
    `The last sharpening iteration's aggregate energy per frequency (as in the figure above, scaled to a maximum of 1 per checkpoint) at up to ${HEATMAP_EPOCHS} analysed checkpoints per run (evenly strided, the last included; the CSV has the same, with iteration 0's energy and the neurons committed, > 15 % of their energy, to each frequency). ` +
    'A band that stays bright from epoch 0 is a frequency the initialisation seeded.',
    heat(over.map(([run, epoch, k, energy, initial, committed]) => ({ run, epoch, k, energy, initial, committed })),
      { field: 'epoch', type: 'ordinal', title: 'epoch', ...ordinal },
      { field: 'k', type: 'ordinal', title: 'frequency k', sort: 'descending', ...ordinal }, ['run', 'epoch', 'k', 'energy', 'initial', 'committed']),
    ['run', 'epoch', 'k', 'energy', 'initial_energy', 'committed'], over));
  return out;
}
