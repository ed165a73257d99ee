/**
 * The study's answers from the further analyzers (issue 14), for the seed's questions they bear on.
 * Each section reads stored results only (summaries and artifacts) and is left out when no run has them.
 *
 *  - further-gradient-flow: do specialised neurons receive larger gradients than the rest, before and
 *    during grokking? Specialised = the neurons with max_k frac_k ≥ 0.7 at the run's last analysed
 *    neuron_fourier checkpoint. At each checkpoint with a gradient_flow artifact, the ratio of the mean
 *    per-neuron gradient norm (W_in column and W_out row) over the specialised neurons to that over the
 *    others; per phase the median of the ratios: before = epochs before the second-descent onset
 *    (MIScope's outcome), during = from the onset to the first test loss ≤ 1e-6 (or the last epoch).
 *  - further-curvature: is the initial curvature of failed runs different? Per run, epoch 0's top
 *    Hessian eigenvalue, mean Δ training loss and flatness ratio, with the outcome class; group means
 *    of grokked and failed runs.
 *  - further-attention: do heads attend by the same frequencies as the specialised neurons? At the last
 *    checkpoint with both, the share of heads whose attention-to-a map's dominant frequency is one of
 *    the specialised neurons' dominant frequencies, against chance (that set's size / ((p−1)/2)).
 */
import { readSafetensorsFile } from '../io/safetensors.js';
import type { Store } from '../store/store.js';
import type { AttentionHeadSummary } from '../analysis/analyzers/attention.js';
import type { CurvatureSummary } from '../analysis/analyzers/curvature.js';
import { outcomeGrokked, runOutcome, type RunOutcome } from '../metrics/outcome.js';
import { median } from '../math/stats.js';
import type { Cell, StudySection } from './study.js';
import { effdimTrajectorySections } from './effdim.js';

export const SPECIALISED = 0.7;

/** Specialised neurons (dominant_fraction ≥ 0.7, not flat) and their dominant frequencies at the last analysed checkpoint. */
export function specialisedNeurons(store: Store, runId: string): { epoch: number; neurons: number[]; frequencies: number[] } | null {
  const rows = store.getAnalyses(runId, 'neuron_fourier').filter((r) => r.path !== null);
  const last = rows[rows.length - 1];
  if (!last) return null;
  const f = readSafetensorsFile(last.path!);
  const frac = f.getFloat32('dominant_fraction'), flat = f.getInt32('flat'), dom = f.getInt32('dominant_frequency');
  const neurons: number[] = [];
  for (let n = 0; n < frac.length; n++) if (!flat[n] && frac[n] >= SPECIALISED) neurons.push(n);
  return { epoch: last.epoch, neurons, frequencies: [...new Set(neurons.map((n) => dom[n]))].sort((a, b) => a - b) };
}

export interface GradientRatioRow { run_id: string; cls: string | null; specialised: number; before: number | null; during: number | null; checkpoints: number }

function outcomeOf(store: Store, runId: string): RunOutcome | null {
  const m = store.getMetrics(runId);
  return m.length ? runOutcome(m) : null;
}

export function gradientRatios(store: Store, runId: string): GradientRatioRow | null {
  const spec = specialisedNeurons(store, runId);
  const rows = store.getAnalyses(runId, 'gradient_flow').filter((r) => r.path !== null);
  if (!spec || spec.neurons.length === 0 || rows.length === 0) return null;
  const o = outcomeOf(store, runId);
  const onset = o?.second_descent_onset_epoch ?? null;
  const end = o && o.test_loss_threshold_first_epoch >= 0 ? o.test_loss_threshold_first_epoch : Infinity;
  const isSpec = new Set(spec.neurons);
  const before: number[] = [], during: number[] = [];
  let used = 0;
  for (const r of rows) {
    const f = readSafetensorsFile(r.path!);
    if (!f.has('neuron_grad')) continue;
    const g = f.getFloat32('neuron_grad');
    let s = 0, o2 = 0;
    for (let n = 0; n < g.length; n++) if (isSpec.has(n)) s += g[n]; else o2 += g[n];
    const rest = g.length - isSpec.size;
    if (rest === 0 || o2 === 0) continue;
    const ratio = s / isSpec.size / (o2 / rest);
    used++;
    if (onset === null || r.epoch < onset) before.push(ratio);
    else if (r.epoch <= end) during.push(ratio);
  }
  return {
    run_id: runId, cls: o?.performance_classification ?? null, specialised: spec.neurons.length,
    before: before.length ? median(before) : null, during: during.length ? median(during) : null, checkpoints: used,
  };
}

const r3 = (x: number | null | undefined): Cell => (x === null || x === undefined ? null : Number(x.toPrecision(3)));

function sectionGradient(rows: GradientRatioRow[]): StudySection | null {
  if (rows.length === 0) return null;
  const cnt = (k: 'before' | 'during') => {
    const xs = rows.filter((r) => r[k] !== null);
    return `${xs.filter((r) => (r[k] as number) > 1).length} of ${xs.length}`;
  };
  return {
    id: 'further-gradient-flow',
    question: 'Do specialised (blob) neurons receive larger gradients than the rest, before and during grokking?',
    answer: `Median ratio of the mean per-neuron gradient norm of the neurons specialised at the end (max_k frac_k ≥ ${SPECIALISED}) to the others': ` +
      `above 1 before the second-descent onset in ${cnt('before')} runs, and during the descent in ${cnt('during')} runs.`,
    table: { columns: ['run', 'class', 'specialised neurons', 'ratio before onset', 'ratio during descent', 'checkpoints'],
      rows: rows.map((r): Cell[] => [r.run_id, r.cls, r.specialised, r3(r.before), r3(r.during), r.checkpoints]) },
  };
}

export interface InitialCurvatureRow { run_id: string; cls: string | null; grokked: boolean | null; eigenvalue: number | null; mean_delta: number | null; flatness_ratio: number | null }

export function initialCurvature(store: Store, runId: string): InitialCurvatureRow | null {
  const row = store.getAnalyses<CurvatureSummary>(runId, 'curvature').find((r) => r.epoch === 0);
  if (!row || (row.summary.mean_delta_loss === undefined && !row.summary.hessian)) return null;
  const o = outcomeOf(store, runId);
  const cls = o?.performance_classification ?? null;
  return {
    run_id: runId, cls, grokked: cls === null ? null : outcomeGrokked(cls), eigenvalue: row.summary.hessian?.eigenvalue ?? null,
    mean_delta: row.summary.mean_delta_loss ?? null, flatness_ratio: row.summary.flatness_ratio ?? null,
  };
}

function sectionCurvature(rows: InitialCurvatureRow[]): StudySection | null {
  if (rows.length === 0) return null;
  const group = (g: boolean, k: 'eigenvalue' | 'mean_delta') => {
    const xs = rows.filter((r) => r.grokked === g && r[k] !== null).map((r) => r[k] as number);
    return xs.length ? `${(xs.reduce((a, b) => a + b, 0) / xs.length).toPrecision(3)} (n=${xs.length})` : 'none';
  };
  return {
    id: 'further-curvature',
    question: 'Is the loss-landscape curvature at initialisation different for runs that fail?',
    answer: `At epoch 0, top Hessian eigenvalue: grokked runs ${group(true, 'eigenvalue')}, failed runs ${group(false, 'eigenvalue')}; ` +
      `mean change of the training loss along 50 directions of norm 0.1: grokked ${group(true, 'mean_delta')}, failed ${group(false, 'mean_delta')}.`,
    table: { columns: ['run', 'class', 'top Hessian eigenvalue (epoch 0)', 'mean Δ loss (ε = 0.1)', 'flatness ratio'],
      rows: rows.map((r): Cell[] => [r.run_id, r.cls, r3(r.eigenvalue), r3(r.mean_delta), r3(r.flatness_ratio)]) },
  };
}

export interface AttentionMatchRow { run_id: string; epoch: number; heads: number[]; neuron_frequencies: number[]; matched: number; chance: number }

export function attentionMatch(store: Store, runId: string, p: number): AttentionMatchRow | null {
  const spec = specialisedNeurons(store, runId);
  const att = store.getAnalyses<{ heads: AttentionHeadSummary[] }>(runId, 'attention').filter((r) => r.epoch <= (spec?.epoch ?? -1));
  const last = att[att.length - 1];
  if (!spec || spec.frequencies.length === 0 || !last) return null;
  const heads = last.summary.heads.map((h) => h.dominant_frequency);
  const set = new Set(spec.frequencies);
  return {
    run_id: runId, epoch: last.epoch, heads, neuron_frequencies: spec.frequencies,
    matched: heads.filter((k) => set.has(k)).length / heads.length, chance: set.size / ((p - 1) / 2),
  };
}

function sectionAttention(rows: AttentionMatchRow[]): StudySection | null {
  if (rows.length === 0) return null;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    id: 'further-attention',
    question: 'Do attention heads attend by the same frequencies as the specialised neurons they feed?',
    answer: `At the last analysed checkpoint, ${(100 * mean(rows.map((r) => r.matched))).toFixed(0)} % of heads (mean over ${rows.length} runs) have an attention-to-a map whose ` +
      `dominant frequency is one of the specialised neurons' frequencies; chance (that set's share of all frequencies) is ${(100 * mean(rows.map((r) => r.chance))).toFixed(0)} %.`,
    table: { columns: ['run', 'epoch', 'heads\' dominant frequencies', 'specialised neurons\' frequencies', 'share of heads matching', 'chance'],
      rows: rows.map((r): Cell[] => [r.run_id, r.epoch, r.heads.join(' '), r.neuron_frequencies.join(' '), r3(r.matched), r3(r.chance)]) },
  };
}

/** The further sections for these runs (each left out when no run has its results). */
export function furtherSections(store: Store, runIds: readonly string[]): StudySection[] {
  const g: GradientRatioRow[] = [], c: InitialCurvatureRow[] = [], a: AttentionMatchRow[] = [];
  for (const id of runIds) {
    const run = store.getRun(id);
    if (!run) continue;
    const gr = gradientRatios(store, id); if (gr) g.push(gr);
    const cu = initialCurvature(store, id); if (cu) c.push(cu);
    const am = attentionMatch(store, id, run.p); if (am) a.push(am);
  }
  return [sectionGradient(g), sectionCurvature(c), sectionAttention(a)].filter((s): s is StudySection => s !== null)
    .concat(effdimTrajectorySections(store, runIds));
}
