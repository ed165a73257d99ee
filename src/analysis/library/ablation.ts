/**
 * Ablation at analysis time (issue 15 §2): the test loss and accuracy of a checkpoint with chosen
 * MLP neurons replaced by a constant, and the ablation curves.
 *
 *   mode zero: post-activation := 0;  mode mean: post-activation := the neuron's mean over all p² pairs.
 *   measure:   coarseness Σ_{k≤K} frac_k (K = low_freqs) or specialization max_k frac_k (docs/design.md §3, §5);
 *              a flat neuron has no measure and counts as the least specialised (below every other).
 *   selectors: blob (measure ≥ 0.7), plaid (measure < 0.5, flat neurons excluded), top:N / bottom:N
 *              (the N neurons of highest / lowest measure; ties by index), or a list of indices `3,17,40-43`.
 *   curves:    test loss and accuracy against the number n of neurons ablated, for three orders:
 *              most specialised first, least specialised first, and a seeded random order.
 * The evaluation is the model's own (src/model/model.ts evaluate with an ablation hook), so ablating
 * no neuron gives exactly the unablated numbers.
 */
import type { Kernels } from '../../engine/kernels.js';
import { badInput } from '../../core/errors.js';
import { type Batch, Workspace, computeTables, evaluate, type LossResult, type Tables } from '../../model/model.js';
import { ablationHook, seededPermutation } from '../../model/interventions.js';
import type { Params } from '../../model/params.js';
import { activationMaps } from './activations.js';
import { coarsenessFromFractions, concentrationFromFractions, neuronFourier } from './coarseness.js';

export type AblationMode = 'zero' | 'mean';
export type AblationMeasure = 'coarseness' | 'specialization';

/** The classes' thresholds (seed: blob ≥ 0.7, plaid < 0.5). */
export const BLOB_AT = 0.7;
export const PLAID_BELOW = 0.5;

export type NeuronSelector =
  | { kind: 'blob' | 'plaid' }
  | { kind: 'top' | 'bottom'; n: number }
  | { kind: 'list'; neurons: number[] };

/** Parses `blob|plaid|top:N|bottom:N|LIST` (LIST: comma-separated indices and ranges A-B) for m neurons. */
export function parseNeuronSelector(text: string, m: number): NeuronSelector {
  const s = text.trim();
  if (s === 'blob' || s === 'plaid') return { kind: s };
  const tb = /^(top|bottom):(\d+)$/.exec(s);
  if (tb) {
    const n = Number(tb[2]);
    if (n > m) throw badInput(`--neurons ${s}: the model has only ${m} neurons`);
    return { kind: tb[1] as 'top' | 'bottom', n };
  }
  const neurons: number[] = [];
  for (const part of s.split(',')) {
    const r = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!r) throw badInput(`--neurons must be blob, plaid, top:N, bottom:N or a list of neuron indices (e.g. 3,17,40-43), got '${text}'`);
    const a = Number(r[1]), b = r[2] === undefined ? a : Number(r[2]);
    if (b < a) throw badInput(`--neurons: range ${part} runs backwards`);
    if (b >= m) throw badInput(`--neurons: neuron ${b} does not exist (the model has ${m}, 0-${m - 1})`);
    for (let x = a; x <= b; x++) neurons.push(x);
  }
  if (new Set(neurons).size !== neurons.length) throw badInput(`--neurons lists a neuron twice: '${text}'`);
  return { kind: 'list', neurons };
}

/** Neuron indices ordered from most to least specialised by `measure` (NaN = flat = least; ties by index). */
export function orderByMeasure(measure: Float64Array): Int32Array {
  const key = (n: number): number => (Number.isNaN(measure[n]) ? -Infinity : measure[n]);
  return Int32Array.from({ length: measure.length }, (_, n) => n).sort((a, b) => key(b) - key(a) || a - b);
}

/** The neurons a selector picks, in increasing index order (a list in its own order). */
export function selectNeurons(sel: NeuronSelector, measure: Float64Array): Int32Array {
  const m = measure.length;
  switch (sel.kind) {
    case 'list': return Int32Array.from(sel.neurons);
    case 'blob': return Int32Array.from({ length: m }, (_, n) => n).filter((n) => measure[n] >= BLOB_AT);
    case 'plaid': return Int32Array.from({ length: m }, (_, n) => n).filter((n) => measure[n] < PLAID_BELOW);
    case 'top': return orderByMeasure(measure).slice(0, sel.n).sort();
    case 'bottom': return orderByMeasure(measure).reverse().slice(0, sel.n).sort();
  }
}

/** What ablation needs of one checkpoint: its maps' per-neuron measures and means, and an evaluator. */
export class AblationProbe {
  readonly m: number;
  /** Per neuron: coarseness (K = lowFreqs) and specialization (max_k frac_k); NaN for flat neurons. */
  readonly coarseness: Float64Array;
  readonly specialization: Float64Array;
  readonly dominantFrequency: Int32Array;
  /** Per neuron: mean post-activation over all p² pairs (mean ablation's constant). */
  readonly means: Float64Array;
  private readonly tables: Tables;
  private readonly ws: Workspace;

  constructor(private readonly k: Kernels, private readonly params: Params, private readonly batch: Batch, lowFreqs: number) {
    const { p, dMlp: m } = params.config;
    this.m = m;
    const maps = activationMaps(k, params);
    const nf = neuronFourier(k, maps, p, m);
    this.coarseness = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, m, lowFreqs, false);
    this.specialization = concentrationFromFractions(nf.frac, nf.flat, nf.nFreq, m);
    this.dominantFrequency = Int32Array.from(nf.dominantFrequency);
    this.means = new Float64Array(m);
    for (let r = 0; r < p * p; r++) for (let n = 0; n < m; n++) this.means[n] += maps[r * m + n];
    for (let n = 0; n < m; n++) this.means[n] /= p * p;
    this.tables = computeTables(k, params);
    this.ws = new Workspace(k, params, batch.n);
  }

  measure(by: AblationMeasure): Float64Array {
    return by === 'coarseness' ? this.coarseness : this.specialization;
  }

  /** Loss and accuracy on the batch with `neurons` ablated (none: the model as it is). */
  evaluate(neurons: ArrayLike<number>, mode: AblationMode): LossResult {
    const hooks = neurons.length === 0 ? undefined : { ablation: ablationHook(neurons, mode, this.means) };
    return evaluate(this.k, this.params, this.tables, this.batch, this.ws, hooks);
  }
}

/** Counts of ablated neurons for a curve: 0..m in about `points` even steps, always 0 and m. */
export function curveCounts(m: number, points = 32): number[] {
  const out = new Set<number>();
  for (let i = 0; i <= points; i++) out.add(Math.round((i * m) / points));
  return [...out].sort((a, b) => a - b);
}

export interface CurvePoint { ablated: number; loss: number; acc: number }
export interface AblationCurves {
  by: AblationMeasure;
  mode: AblationMode;
  random_seed: number;
  most_first: CurvePoint[];
  least_first: CurvePoint[];
  random: CurvePoint[];
}

/** The three ablation curves (most specialised first, least first, seeded random). */
export function ablationCurves(probe: AblationProbe, by: AblationMeasure, mode: AblationMode, seed: number, counts = curveCounts(probe.m)): AblationCurves {
  const most = orderByMeasure(probe.measure(by));
  const least = most.slice().reverse();
  const rand = seededPermutation(probe.m, seed);
  const curve = (order: Int32Array): CurvePoint[] => counts.map((n) => {
    const r = probe.evaluate(order.subarray(0, n), mode);
    return { ablated: n, loss: r.loss, acc: r.acc };
  });
  return { by, mode, random_seed: seed, most_first: curve(most), least_first: curve(least), random: curve(rand) };
}
