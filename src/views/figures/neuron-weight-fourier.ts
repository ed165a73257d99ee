/**
 * Figures of neuron_weight_fourier (MIScope's neuron_fourier, analyzers/neuron-weight-fourier.ts),
 * read from the stored summaries:
 *   neuron-weight-fourier            each frequency's share of the neurons' input (Σ_m α²) and output
 *                                    (Σ_m β²) Fourier power over epochs, a heatmap per layer
 *   neuron-weight-fourier-alignment  the means over neurons of α and β at each neuron's dominant input
 *                                    frequency, and of He et al.'s phase misalignment |2φ − ψ|, over epochs
 */
import { NEURON_WEIGHT_FOURIER, neuronWeightFourierAnalyzer, type NeuronWeightFourierSummary } from '../../analysis/analyzers/neuron-weight-fourier.js';
import { DEFAULT_OPTIONS } from '../../analysis/protocol/analyzer.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { VL_CONFIG, VL_SCHEMA, sig } from './common.js';

type Cell = string | number | null;

/** Checkpoints drawn per run in the heatmap (evenly spread, first and last kept). */
const MAX_HEATMAP_EPOCHS = 120;

const HEADER = { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' };

function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const step = (xs.length - 1) / (n - 1);
  return [...new Set(Array.from({ length: n }, (_, i) => Math.round(i * step)))].map((i) => xs[i]);
}

/** The power-share heatmaps and the dominant-frequency means over epochs. */
export function neuronWeightFourierFigures(store: Store, runs: RunData[]): Figure[] {
  const power: Cell[][] = [], means: Cell[][] = [];
  const params = neuronWeightFourierAnalyzer.params(DEFAULT_OPTIONS);
  for (const r of runs) {
    const rows = store.getAnalyses<NeuronWeightFourierSummary>(r.runId, NEURON_WEIGHT_FOURIER, params);
    for (const a of thin(rows, MAX_HEATMAP_EPOCHS)) {
      for (const [layer, pw] of [['input θ = W_E·W_in (α²)', a.summary.alpha_power], ['output ξ = W_out·W_U (β²)', a.summary.beta_power]] as const) {
        const tot = pw.reduce((x, y) => x + y, 0);
        pw.forEach((v, k) => power.push([r.label, a.epoch, layer, k + 1, sig(tot > 0 ? v / tot : 0)]));
      }
    }
    for (const a of rows) {
      const s = a.summary;
      means.push([r.label, a.epoch, 'mean α at the dominant frequency', sig(s.mean_alpha_dominant)], [r.label, a.epoch, 'mean β at the dominant frequency', sig(s.mean_beta_dominant)],
        [r.label, a.epoch, 'mean |2φ − ψ| (rad)', sig(s.mean_phase_misalignment)]);
    }
  }
  if (means.length === 0) return [];
  const heat = {
    $schema: VL_SCHEMA, config: VL_CONFIG,
    data: { values: power.map(([run, epoch, layer, k, share]) => ({ run, epoch, layer, k, share })) },
    facet: { row: { field: 'run', type: 'nominal', title: null, header: HEADER }, column: { field: 'layer', type: 'nominal', title: null } },
    spec: {
      width: 360, height: 220, mark: 'rect',
      encoding: {
        x: { field: 'epoch', type: 'ordinal', title: 'epoch', axis: { labelOverlap: true, labelAngle: -45 } },
        y: { field: 'k', type: 'ordinal', title: 'frequency k', sort: 'descending', axis: { labelOverlap: true } },
        color: { field: 'share', type: 'quantitative', title: 'share of power', scale: { scheme: 'viridis' } },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'layer' }, { field: 'k' }, { field: 'share' }],
      },
    },
  };
  const lines = {
    $schema: VL_SCHEMA, config: VL_CONFIG,
    data: { values: means.map(([run, epoch, series, value]) => ({ run, epoch, series, value })) },
    facet: { row: { field: 'series', type: 'nominal', title: null, header: HEADER }, column: { field: 'run', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 420, height: 120, mark: { type: 'line', point: means.length < 900 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null, legend: null },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, { field: 'value' }],
      },
    },
  };
  return [
    {
      name: 'neuron-weight-fourier', section: 'training', title: 'Neuron weights in Fourier space: each frequency\'s share of the input and output power (MIScope neuron_fourier)',
      caption: `MIScope neuron_fourier (REQ_049; grokbench's neuron_weight_fourier) at every checkpoint (at most ${MAX_HEATMAP_EPOCHS} drawn per run): each neuron's composed input weight θ_m = W_E[:p]·W_in[:, m] and output weight ξ_m = W_out[m, :]·W_U on the normalised Fourier basis, α_mk and β_mk the magnitudes of each frequency's (sin, cos) pair; colour: Σ_m α_mk² (left) and Σ_m β_mk² (right) as shares of their totals. The frequencies the run learns take the power of both layers.`,
      spec: heat, table: { columns: ['run', 'epoch', 'layer', 'k', 'share'], rows: power },
    },
    {
      name: 'neuron-weight-fourier-alignment', section: 'training', title: 'Neuron weights: magnitudes at the dominant frequency and the phase misalignment |2φ − ψ|',
      caption: 'Means over neurons, each at its dominant input frequency k* (largest α_mk): α_mk* and β_mk*, and He et al. (2026)\'s phase misalignment D = 2φ_mk* − ψ_mk* wrapped to (−π, π], as |D| (φ, ψ = atan2(−sin, cos) of the pair; a neuron that computes cos(ω(a + b)) has ψ = 2φ, D = 0; uniform random phases give π/2 on average).',
      spec: lines, table: { columns: ['run', 'epoch', 'series', 'value'], rows: means },
    },
  ];
}
