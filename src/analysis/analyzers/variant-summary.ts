/**
 * `variant_summary` (issue 26 §6): a run analyzer giving what MIScope's variant summary
 * (variant_analysis_summary.py VariantAnalysisSummary, the successor of variant_summary.py) holds
 * beyond grokbench's `outcome`: the phase windows, failure_mode and the key epochs and frequency
 * fields they rest on (library/variant-summary.ts, MIScope's field names), from the run's metrics
 * (the loss-curve fields of metrics/outcome.ts runOutcome) and the stored rows of neuron_fourier
 * (the neurons' max_frac and dominant frequency: MIScope's neuron_dynamics, via analysis/dynamics.ts),
 * effective_dimensionality (PR(W_in), PR(W_out), the crossover of effdim-crossover.ts) and
 * repr_geometry (resid_post circularity and Fisher mean). A missing analysis leaves its fields
 * empty (MIScope raises instead).
 * Epochs are the run's own (grokbench: the weights after e steps; metrics/outcome.ts explains how
 * its test-based epochs relate to MIScope's), and a window's losses are the run's metrics row at
 * the window's start and end epoch.
 */
import type { RunAnalyzer } from '../protocol/analyzer.js';
import type { MetricRow } from '../../metrics/metric-row.js';
import { epochConventionOf, runOutcome } from '../../metrics/outcome.js';
import { neuronDynamics, type NeuronDynamics } from '../library/neuron-dynamics.js';
import { concentrationFromFractions } from '../library/coarseness.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import type { Store } from '../../store/store.js';
import { variantSummary, type Series } from '../library/variant-summary.js';
import { EFFECTIVE_DIMENSIONALITY, effectiveDimensionalityAnalyzer, type EffdimSummary } from './effective-dimensionality.js';
import { prCrossOver } from './effdim-crossover.js';
import { NEURON_FOURIER, readNeuronFourierArtifact } from './neuron-fourier.js';
import { REPR_GEOMETRY, reprGeometryAnalyzer, type ReprGeometrySummary } from './repr-geometry.js';

export const VARIANT_SUMMARY = 'variant_summary';

/** Train and test loss at an epoch of the metrics (−1: the last row, as a Python index). */
export function lossLookup(metrics: readonly MetricRow[]): (epoch: number) => { train: number | null; test: number | null } {
  const by = new Map(metrics.map((m) => [m.epoch, m]));
  const last = metrics.length ? [...metrics].sort((a, b) => a.epoch - b.epoch)[metrics.length - 1] : undefined;
  return (epoch) => {
    const m = epoch < 0 ? last : by.get(epoch);
    const v = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : x);
    return { train: v(m?.train_loss), test: v(m?.test_loss) };
  };
}

/** The neuron populations of the run's analysed checkpoints (neuron_fourier artifacts: max_k frac_k and the dominant frequency), null when none is analysed. */
export function runPopulations(store: Store, runId: string): NeuronDynamics | null {
  const rows = store.getAnalyses(runId, NEURON_FOURIER).filter((r) => r.path !== null);
  if (rows.length === 0) return null;
  const arts = rows.map((r) => readNeuronFourierArtifact(readSafetensorsFile(r.path!), r.path!));
  const m = arts[0].dMlp, F = arts[0].nFreq;
  const maxFrac = new Float64Array(rows.length * m), dominant = new Int32Array(rows.length * m);
  arts.forEach((a, i) => { maxFrac.set(concentrationFromFractions(a.frac, a.flat, F, m), i * m); dominant.set(a.dominantFrequency, i * m); });
  return neuronDynamics({ epochs: rows.map((r) => r.epoch), dMlp: m, nFreq: F, maxFrac, dominant });
}

export const variantSummaryAnalyzer: RunAnalyzer = {
  tier: 'run',
  name: VARIANT_SUMMARY,
  version: 1,
  requires: [NEURON_FOURIER, EFFECTIVE_DIMENSIONALITY, REPR_GEOMETRY],
  params() { return { version: this.version }; },
  analyseRun(ctx) {
    const { store, runId, options } = ctx;
    const run = store.getRun(runId);
    const o = runOutcome(ctx.metrics, run ? epochConventionOf(run) : 'steps');
    const ed = store.getAnalyses<EffdimSummary>(runId, EFFECTIVE_DIMENSIONALITY, effectiveDimensionalityAnalyzer.params(options));
    const prIn = ed.map((r) => r.summary.pr.W_in as number), prOut = ed.map((r) => r.summary.pr.W_out as number);
    const cross = prCrossOver(ed.map((r) => r.epoch), prIn, prOut, ed.map((r) => r.summary.pr.W_E as number));
    const effdim: Series | null = ed.length ? { epochs: ed.map((r) => r.epoch), values: { pr_w_in: prIn, pr_w_out: prOut } } : null;
    const rg = store.getAnalyses<ReprGeometrySummary>(runId, REPR_GEOMETRY, reprGeometryAnalyzer.params(options));
    const geometry: Series | null = rg.length
      ? { epochs: rg.map((r) => r.epoch), values: { resid_post_circularity: rg.map((r) => r.summary.resid_post_circularity), resid_post_fisher_mean: rg.map((r) => r.summary.resid_post_fisher_mean) } }
      : null;
    const neurons = runPopulations(store, runId);
    return {
      ...variantSummary({
        p: run?.p ?? (neurons ? 2 * neurons.nFreq + 1 : 0),
        loss: o, checkpoints: store.listCheckpoints(runId).map((c) => c.epoch),
        lossAt: lossLookup(ctx.metrics), neurons, effdim, crossover: { epoch: cross.cross_over_epoch, W_E_pr: cross.crossover_W_E_pr }, geometry,
      }),
      epoch_convention: o.epoch_convention,
    };
  },
};
