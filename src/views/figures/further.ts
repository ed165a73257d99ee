/**
 * Figures of the further analyzers (issue 14), read from their stored summaries: one long table
 * (run, epoch, series, value) per figure and a line chart faceted by series, coloured by run.
 *   further-gradient-flow   gradient magnitude per site (MIScope gradient site) and mean per-neuron gradient
 *   further-curvature       flatness (mean Δloss, flatness ratio) and the top/bottom Hessian eigenvalues
 *   further-effdim          participation ratios of W_E, W_in, W_out, W_U
 *   further-attention       per-head specialization of the attention-to-a map and mean attention to a
 *   further-weight-norm     the norm of all parameters and of each weight matrix (Omnigrok's lens)
 */
import type { AttentionHeadSummary } from '../../analysis/analyzers/attention.js';
import type { CurvatureSummary } from '../../analysis/analyzers/curvature.js';
import type { EffdimSummary } from '../../analysis/analyzers/effective-dimensionality.js';
import type { GradientFlowSummary } from '../../analysis/analyzers/gradient-flow.js';
import { WEIGHT_NORM, type WeightNormSummary } from '../../analysis/analyzers/weight-norm.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { VL_CONFIG, VL_SCHEMA, runColour, sig, ROW_HEADER } from './common.js';

type Row = [string, number, string, number | null];

function lineFigure(runs: RunData[], name: string, title: string, caption: string, rows: Row[], logY: boolean): Figure {
  // A log axis (the gradient norms fall by orders of magnitude after the first epochs) shows only positive values.
  const values = rows.map(([run, epoch, series, value]) => ({ run, epoch, series, value }))
    .filter((v) => !logY || (typeof v.value === 'number' && v.value > 0));
  const spec = {
    $schema: VL_SCHEMA, config: VL_CONFIG, data: { values },
    facet: { row: { field: 'series', type: 'nominal', title: null, header: ROW_HEADER } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 120, mark: { type: 'line', point: values.length < 400 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: null, ...(logY ? { scale: { type: 'log' } } : {}) },
        color: runColour(runs),
      },
    },
  };
  return { name, section: 'training', title, caption, spec, table: { columns: ['run', 'epoch', 'series', 'value'], rows } };
}

const CAPTIONS = {
  gradientFlow: 'Per-site gradient energy magnitude (MIScope gradient site: the training-loss gradient projected through W_E onto the modular Fourier basis, L2 norm over frequencies) and the mean per-neuron gradient norm (W_in column and W_out row).',
  curvature: 'MIScope landscape flatness on the training loss (50 unit directions, ε = 0.1: mean change of the loss and the share of directions changing it by less than 10 %), both at epoch 0 and every 2500 epochs (analyze --curvature-every), and the top Hessian eigenvalue (Lanczos on float64 central differences of the exact gradient, step ≤ 1e-6 kept inside the current linear region of the ReLUs) at epoch 0 and every 5000 epochs, with the step dependence of vᵀHv along its eigenvector as its accuracy.',
  effdim: 'Participation ratio (Σσ²)²/Σσ⁴ of the singular values of W_E, W_in, W_out and W_U.',
  attention: 'Per head: specialization (largest frequency share of its attention-to-a map over all p² inputs) and its mean attention from "=" to a.',
  weightNorm: "The norm of all parameters √(Σ‖W‖²) and each weight matrix's Frobenius norm at every checkpoint: weight decay shrinks them once the training set is fitted, and Omnigrok (Liu et al. 2023) reads grokking as that slow decay to a generalising norm.",
};

const one = (f: Figure | null): Figure[] => (f ? [f] : []);

/** Gradient magnitude per site and the mean per-neuron gradient norm (gradient_flow). */
export function gradientFlowFigure(store: Store, runs: RunData[]): Figure[] {
  const rows: Row[] = [];
  for (const r of runs) {
    for (const a of store.getAnalyses<GradientFlowSummary>(r.runId, 'gradient_flow')) {
      const s = a.summary;
      if (!s.magnitude) continue;
      for (const site of Object.keys(s.magnitude)) rows.push([r.label, a.epoch, `gradient energy magnitude: ${site}`, sig(s.magnitude[site])]);
      rows.push([r.label, a.epoch, 'mean per-neuron gradient norm', sig(s.neuron_grad?.mean)]);
    }
  }
  return one(rows.length ? lineFigure(runs, 'further-gradient-flow', 'Gradient flow over training', CAPTIONS.gradientFlow, rows, true) : null);
}

/** Flatness and the Hessian's top eigenvalue (curvature). */
export function curvatureFigure(store: Store, runs: RunData[]): Figure[] {
  const rows: Row[] = [];
  for (const r of runs) {
    for (const a of store.getAnalyses<CurvatureSummary>(r.runId, 'curvature')) {
      const s = a.summary;
      if (s.mean_delta_loss !== undefined) {
        rows.push([r.label, a.epoch, 'mean Δ training loss (ε = 0.1)', sig(s.mean_delta_loss)]);
        rows.push([r.label, a.epoch, 'flatness ratio', sig(s.flatness_ratio)]);
      }
      if (s.hessian) {
        rows.push([r.label, a.epoch, 'top Hessian eigenvalue', sig(s.hessian.eigenvalue)]);
        rows.push([r.label, a.epoch, 'Hessian: |vᵀHv(h) − vᵀHv(10h)| / |vᵀHv|', sig(s.hessian.step_agreement)]);
      }
    }
  }
  return one(rows.length ? lineFigure(runs, 'further-curvature', 'Loss-landscape curvature over training', CAPTIONS.curvature, rows, false) : null);
}

/** Participation ratios of the weight matrices (effective_dimensionality). */
export function effdimFigure(store: Store, runs: RunData[]): Figure[] {
  const rows: Row[] = [];
  for (const r of runs) {
    for (const a of store.getAnalyses<EffdimSummary>(r.runId, 'effective_dimensionality')) {
      for (const m of ['W_E', 'W_in', 'W_out', 'W_U']) rows.push([r.label, a.epoch, `PR(${m})`, sig(a.summary.pr[m] as number)]);
    }
  }
  return one(rows.length ? lineFigure(runs, 'further-effdim', 'Effective dimensionality of the weights', CAPTIONS.effdim, rows, false) : null);
}

/** Per-head specialization and attention to a (attention). */
export function attentionFigure(store: Store, runs: RunData[]): Figure[] {
  const rows: Row[] = [];
  for (const r of runs) {
    for (const a of store.getAnalyses<{ heads: AttentionHeadSummary[] }>(r.runId, 'attention')) {
      a.summary.heads.forEach((h, i) => {
        rows.push([r.label, a.epoch, `head ${i} specialization`, sig(h.specialization)]);
        rows.push([r.label, a.epoch, `head ${i} mean attention to a`, sig(h.mean_to_a)]);
      });
    }
  }
  return one(rows.length ? lineFigure(runs, 'further-attention', 'Attention heads over training', CAPTIONS.attention, rows, false) : null);
}

/** The norm of all parameters and of each weight matrix (weight_norm). */
export function weightNormFigure(store: Store, runs: RunData[]): Figure[] {
  const rows: Row[] = [];
  for (const r of runs) {
    for (const a of store.getAnalyses<WeightNormSummary>(r.runId, WEIGHT_NORM)) {
      for (const [k, v] of Object.entries(a.summary)) rows.push([r.label, a.epoch, k === 'total' ? '‖θ‖ (all parameters)' : `‖${k}‖_F`, sig(v)]);
    }
  }
  return one(rows.length ? lineFigure(runs, 'further-weight-norm', 'Weight norm over training', CAPTIONS.weightNorm, rows, false) : null);
}

/** The further analyzers' figures for the runs that have their results (none when no run has). */
export function furtherFigures(store: Store, runs: RunData[]): Figure[] {
  return [...gradientFlowFigure(store, runs), ...curvatureFigure(store, runs), ...effdimFigure(store, runs),
    ...attentionFigure(store, runs), ...weightNormFigure(store, runs)];
}
