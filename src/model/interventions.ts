/**
 * Interventions (issue 15): the math of the hooks, as pure functions, and the hook object that the
 * model's forward and backward passes take (src/model/model.ts).
 *
 * Three intervention types, configured by one JSON object each (MIScope's names):
 *   - `frequency_gain` (MIScope's FrequencyGainHook on `blocks.0.hook_attn_out`):
 *       {type, label?, target_frequencies: [k…], gain: {k: g}, epoch_start, epoch_end, ramp_epochs = 50}
 *     Directions (MIScope's build_frequency_directions): D_sin[k] = normalise(B[2k−1]·W_E[:p]),
 *     D_cos[k] = normalise(B[2k]·W_E[:p]) with B the modular Fourier basis; each normalised on its
 *     own (norm clamped at 1e-8), not orthogonalised to the others. Gains: 1 for frequencies not in
 *     target_frequencies, else max(gain[k], 0.1) (MIN_GAIN). Ramp (MIScope's _compute_ramp_factor):
 *     0 outside [epoch_start, epoch_end); (e − start)/ramp during the first ramp epochs;
 *     (end − e)/ramp during the last ramp epochs; 1 between. Effective gain
 *     g_eff = 1 + (g − 1)·ramp, and the hook maps every attention-output row x to
 *       x' = x + Σ_k (g_eff_k − 1)·((x·D_sin_k) D_sin_k + (x·D_cos_k) D_cos_k) = x·M,
 *       M = I + Σ_k (g_eff_k − 1)(D_sin_k D_sin_kᵀ + D_cos_k D_cos_kᵀ)   (symmetric, d × d).
 *     Training forward pass only (test evaluation is unhooked), as in MIScope.
 *   - `ablate`: {type, label?, neurons: [n…] | count + seed, mode: 'zero'|'mean', epoch_start = 0}:
 *     from epoch_start on, the chosen MLP neurons' post-activations are replaced by 0 or by their
 *     mean over the batch (training: the train batch, with the gradient through the mean; test
 *     evaluation: the constants of that epoch's training pass).
 *   - `blob_init`: {type, label?, neurons: [n…] | count + seed, frequencies = [1,2,3], seed = 0,
 *     scale = 'weight_norm' | 'activation'}: at epoch 0 the chosen neurons' input weights are set
 *     so that their maps are low-frequency blobs (blobInit below; src/train/interventions.ts).
 * The epoch of a hook is grokbench's: the training step of epoch e starts from W_e (MIScope's
 * training-loop epoch e is the same step).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { badInput } from '../core/errors.js';
import type { Kernels } from '../engine/kernels.js';
import { symmetricEigensystem } from '../math/linalg.js';
import { computeTables } from './model.js';
export { ablationHook, type AblationHook, type Hooks } from './hooks.js';
import type { Params } from './params.js';
import { seededRandom } from '../math/stats.js';

/** MIScope's MIN_GAIN: gains below it are raised to it (no hard zeroing). */
export const MIN_GAIN = 0.1;
/** MIScope's DEFAULT_RAMP_EPOCHS. */
export const DEFAULT_RAMP_EPOCHS = 50;

export interface FrequencyGainSpec {
  type: 'frequency_gain';
  label?: string;
  target_frequencies: number[];
  /** Per-frequency gain, keys are 1-based frequencies (strings after JSON). */
  gain: Record<string, number>;
  epoch_start: number;
  epoch_end: number;
  ramp_epochs: number;
}

/** Neurons given by index, or a count drawn with a seed. */
export interface NeuronChoice {
  neurons?: number[];
  count?: number;
  seed?: number;
}

export interface AblateSpec extends NeuronChoice {
  type: 'ablate';
  label?: string;
  mode: 'zero' | 'mean';
  epoch_start: number;
}

export interface BlobInitSpec extends NeuronChoice {
  type: 'blob_init';
  label?: string;
  /** The allowed dominant frequencies; neuron i of the chosen list gets frequencies[i mod length]. */
  frequencies: number[];
  /**
   * What of the neuron's own scale the blob keeps: 'weight_norm' (default), the L2 norm of its
   * W_in column; 'activation', the spread of its pre-activation over all p² pairs, whatever
   * weights that takes (at a p=59 initialisation about 640× the other columns' norm, which makes
   * the first AdamW steps throw the logits far off: measured, training then fails to generalise).
   */
  scale: 'weight_norm' | 'activation';
}

export type InterventionSpec = FrequencyGainSpec | AblateSpec | BlobInitSpec;

export const INTERVENTION_TYPES = ['frequency_gain', 'ablate', 'blob_init'] as const;

/** JSON with object keys sorted at every level (MIScope's `json.dumps(sort_keys=True)` shape). */
function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])]));
    }
    return x;
  };
  return JSON.stringify(sort(v));
}

/** The 8-hex-digit id of a spec: sha256 of its canonical JSON (MIScope's compute_intervention_id). */
export function interventionHash(spec: InterventionSpec): string {
  return createHash('sha256').update(sortedJson(spec)).digest('hex').slice(0, 8);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function intField(o: Record<string, unknown>, key: string, src: string, min: number, max: number, dflt?: number): number {
  const v = o[key] ?? dflt;
  if (v === undefined) throw badInput(`${src}: '${key}' is required`);
  if (!isInt(v) || v < min || v > max) throw badInput(`${src}: '${key}' must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function intList(o: Record<string, unknown>, key: string, src: string, min: number, max: number): number[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => !isInt(x) || x < min || x > max)) {
    throw badInput(`${src}: '${key}' must be a non-empty list of integers in [${min}, ${max}]`);
  }
  if (new Set(v).size !== v.length) throw badInput(`${src}: '${key}' lists a value twice`);
  return v as number[];
}

function neuronChoice(o: Record<string, unknown>, src: string, dMlp: number): NeuronChoice {
  const neurons = intList(o, 'neurons', src, 0, dMlp - 1);
  if (neurons !== undefined) {
    if (o.count !== undefined) throw badInput(`${src}: give 'neurons' or 'count', not both`);
    return { neurons };
  }
  if (o.count === undefined) throw badInput(`${src}: give 'neurons' (indices) or 'count' (drawn with 'seed')`);
  return { count: intField(o, 'count', src, 0, dMlp), seed: intField(o, 'seed', src, 0, 2 ** 32 - 1, 0) };
}

const KNOWN_KEYS: Record<InterventionSpec['type'], string[]> = {
  frequency_gain: ['type', 'label', 'target_frequencies', 'gain', 'epoch_start', 'epoch_end', 'ramp_epochs'],
  ablate: ['type', 'label', 'neurons', 'count', 'seed', 'mode', 'epoch_start'],
  blob_init: ['type', 'label', 'neurons', 'count', 'seed', 'frequencies', 'scale'],
};

/**
 * Parse and check an intervention JSON document for a model with modulus p and d_mlp neurons.
 * Defaults are filled in, so the returned spec (and its hash) is the full configuration.
 */
export function parseIntervention(text: string, src: string, p: number, dMlp: number): InterventionSpec {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    throw badInput(`${src}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw badInput(`${src}: an intervention must be a JSON object`);
  const r = o as Record<string, unknown>;
  const type = r.type;
  if (typeof type !== 'string' || !(INTERVENTION_TYPES as readonly string[]).includes(type)) {
    throw badInput(`${src}: 'type' must be one of ${INTERVENTION_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  }
  const t = type as InterventionSpec['type'];
  for (const key of Object.keys(r)) if (!KNOWN_KEYS[t].includes(key)) throw badInput(`${src}: unknown key '${key}' for type ${t}`);
  if (r.label !== undefined && (typeof r.label !== 'string' || !/^[A-Za-z0-9._-]{1,40}$/.test(r.label))) {
    throw badInput(`${src}: 'label' must be 1-40 letters, digits, '.', '_' or '-'`);
  }
  const label = r.label === undefined ? {} : { label: r.label as string };
  const nFreq = (p - 1) / 2;
  const MAX_EPOCH = 10_000_000;
  if (t === 'frequency_gain') {
    const target = intList(r, 'target_frequencies', src, 1, nFreq);
    if (!target) throw badInput(`${src}: 'target_frequencies' is required`);
    const g = r.gain;
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw badInput(`${src}: 'gain' must be an object {frequency: gain}`);
    const gain: Record<string, number> = {};
    for (const [key, v] of Object.entries(g as Record<string, unknown>)) {
      if (!/^\d+$/.test(key) || Number(key) < 1 || Number(key) > nFreq) throw badInput(`${src}: gain key '${key}' is not a frequency in 1..${nFreq}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badInput(`${src}: gain of frequency ${key} must be a number ≥ 0, got ${JSON.stringify(v)}`);
      gain[String(Number(key))] = v;
    }
    const epoch_start = intField(r, 'epoch_start', src, 0, MAX_EPOCH);
    const epoch_end = intField(r, 'epoch_end', src, epoch_start + 1, MAX_EPOCH);
    // ramp ≥ 1: the directions are taken from W_E after the (unhooked, ramp factor 0) step of epoch_start.
    const ramp_epochs = intField(r, 'ramp_epochs', src, 1, MAX_EPOCH, DEFAULT_RAMP_EPOCHS);
    return { type: t, ...label, target_frequencies: target, gain, epoch_start, epoch_end, ramp_epochs };
  }
  if (t === 'ablate') {
    const mode = r.mode ?? 'zero';
    if (mode !== 'zero' && mode !== 'mean') throw badInput(`${src}: 'mode' must be zero or mean, got ${JSON.stringify(mode)}`);
    return { type: t, ...label, ...neuronChoice(r, src, dMlp), mode, epoch_start: intField(r, 'epoch_start', src, 0, MAX_EPOCH, 0) };
  }
  const frequencies = intList(r, 'frequencies', src, 1, nFreq) ?? [1, 2, 3].filter((k) => k <= nFreq);
  const scale = r.scale ?? 'weight_norm';
  if (scale !== 'weight_norm' && scale !== 'activation') throw badInput(`${src}: 'scale' must be weight_norm or activation, got ${JSON.stringify(scale)}`);
  return { type: t, ...label, ...neuronChoice(r, src, dMlp), frequencies, scale };
}

export interface LoadedIntervention { spec: InterventionSpec; hash: string; file: string }

/** Reads and checks `--intervention FILE.json` for a model with modulus p and d_mlp neurons (one-line badInput). */
export function readInterventionFile(file: string, p: number, dMlp: number): LoadedIntervention {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw badInput(`cannot read --intervention ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const spec = parseIntervention(text, file, p, dMlp);
  return { spec, hash: interventionHash(spec), file };
}

/** The id of the sub-run of `parentId` with this intervention. */
export function interventionRunId(parentId: string, iv: LoadedIntervention): string {
  return `${parentId}-iv-${iv.hash}`;
}

/** What run.json records about an intervention run. */
export function provenance(parentId: string, iv: LoadedIntervention): Record<string, unknown> {
  return { parent_run_id: parentId, intervention: iv.spec, intervention_hash: iv.hash };
}

/** A seeded stream of uniform numbers in [0, 1): mulberry32 (math/stats.ts) seeded with seed ^ 0x9e3779b9. */
export function uniformStream(seed: number): () => number {
  return seededRandom(seed ^ 0x9e3779b9);
}

/** A seeded permutation of 0..n−1 (uniformStream + Fisher–Yates). */
export function seededPermutation(n: number, seed: number): Int32Array {
  const next = uniformStream(seed);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
  }
  return perm;
}

/** The neurons of a choice: the listed indices, or the first `count` of a seeded permutation (sorted). */
export function chosenNeurons(choice: NeuronChoice, dMlp: number): Int32Array {
  if (choice.neurons) return Int32Array.from(choice.neurons);
  return seededPermutation(dMlp, choice.seed ?? 0).slice(0, choice.count ?? 0).sort();
}

/** MIScope's _compute_ramp_factor: the share of the configured gain applied at `epoch`. */
export function rampFactor(epoch: number, spec: Pick<FrequencyGainSpec, 'epoch_start' | 'epoch_end' | 'ramp_epochs'>): number {
  const { epoch_start: start, epoch_end: end, ramp_epochs: ramp } = spec;
  if (epoch < start || epoch >= end) return 0;
  const elapsed = epoch - start, remaining = end - epoch;
  if (elapsed < ramp) return elapsed / ramp;
  if (remaining <= ramp) return remaining / ramp;
  return 1;
}

/** MIScope's _build_gain_vector: [nFreq], 1 off target, max(gain, MIN_GAIN) on target (frequency k at index k−1). */
export function gainVector(spec: Pick<FrequencyGainSpec, 'target_frequencies' | 'gain'>, nFreq: number): Float64Array {
  const g = new Float64Array(nFreq).fill(1);
  for (const k of spec.target_frequencies) {
    if (k >= 1 && k <= nFreq) g[k - 1] = Math.max(spec.gain[String(k)] ?? 1, MIN_GAIN);
  }
  return g;
}

/** Frequency directions in d_model space: sin and cos rows [nFreq, d] each, unit norm (norm clamped at 1e-8). */
export interface FrequencyDirections { nFreq: number; d: number; sin: Float64Array; cos: Float64Array }

/**
 * MIScope's build_frequency_directions: D_sin[k] = B[2k−1]·W_E[:p], D_cos[k] = B[2k]·W_E[:p], each
 * row divided by max(‖row‖, 1e-8). `basis` is the p × p modular Fourier basis (analysis/basis.ts).
 */
export function frequencyDirections(WE: ArrayLike<number>, p: number, d: number, basis: Float64Array): FrequencyDirections {
  const nFreq = (p - 1) / 2;
  const sin = new Float64Array(nFreq * d), cos = new Float64Array(nFreq * d);
  for (let k = 1; k <= nFreq; k++) {
    for (const [row, out] of [[2 * k - 1, sin], [2 * k, cos]] as const) {
      const o = out.subarray((k - 1) * d, k * d);
      for (let a = 0; a < p; a++) {
        const c = basis[row * p + a];
        for (let j = 0; j < d; j++) o[j] += c * WE[a * d + j];
      }
      let n2 = 0;
      for (let j = 0; j < d; j++) n2 += o[j] * o[j];
      const inv = 1 / Math.max(Math.sqrt(n2), 1e-8);
      for (let j = 0; j < d; j++) o[j] *= inv;
    }
  }
  return { nFreq, d, sin, cos };
}

/** M = I + Σ_k (g_eff_k − 1)(s_k s_kᵀ + c_k c_kᵀ), g_eff = 1 + (gain − 1)·ramp, as [d, d] row-major float64. */
export function gainMatrix(dirs: FrequencyDirections, gain: Float64Array, ramp: number): Float64Array {
  const { d, nFreq } = dirs;
  const M = new Float64Array(d * d);
  for (let i = 0; i < d; i++) M[i * d + i] = 1;
  for (let k = 0; k < nFreq; k++) {
    const c = (1 + (gain[k] - 1) * ramp) - 1;
    if (c === 0) continue;
    for (const D of [dirs.sin, dirs.cos]) {
      const v = D.subarray(k * d, (k + 1) * d);
      for (let i = 0; i < d; i++) {
        const ci = c * v[i];
        for (let j = 0; j < d; j++) M[i * d + j] += ci * v[j];
      }
    }
  }
  return M;
}

/** MIScope's _apply_frequency_gain on rows of x [n, d] (the formula the hook matrix M stands for; for tests and the check). */
export function applyFrequencyGain(x: ArrayLike<number>, n: number, dirs: FrequencyDirections, gain: Float64Array, ramp: number): Float64Array {
  const { d, nFreq } = dirs;
  const out = Float64Array.from(x as ArrayLike<number>);
  for (let r = 0; r < n; r++) {
    const row = out.subarray(r * d, (r + 1) * d);
    const src = Array.prototype.slice.call(x, r * d, (r + 1) * d) as number[];
    for (let k = 0; k < nFreq; k++) {
      const c = (1 + (gain[k] - 1) * ramp) - 1;
      for (const D of [dirs.sin, dirs.cos]) {
        let amp = 0;
        for (let j = 0; j < d; j++) amp += src[j] * D[k * d + j];
        for (let j = 0; j < d; j++) row[j] += c * amp * D[k * d + j];
      }
    }
  }
  return out;
}

/**
 * Per-frequency RMS amplitude of rows x [n, d] along the directions (MIScope's hook verification):
 * sqrt(mean over rows of (x·D_sin_k)² + (x·D_cos_k)²), k = 1..nFreq.
 */
export function frequencyRms(x: ArrayLike<number>, n: number, dirs: FrequencyDirections): Float64Array {
  const { d, nFreq } = dirs;
  const out = new Float64Array(nFreq);
  for (let k = 0; k < nFreq; k++) {
    let s = 0;
    for (let r = 0; r < n; r++) {
      let as = 0, ac = 0;
      for (let j = 0; j < d; j++) {
        as += x[r * d + j] * dirs.sin[k * d + j];
        ac += x[r * d + j] * dirs.cos[k * d + j];
      }
      s += as * as + ac * ac;
    }
    out[k] = Math.sqrt(s / Math.max(1, n));
  }
  return out;
}

/** What blob_init did to one neuron: its frequency and phases (the measured values are added by the trainer). */
export interface BlobNeuron { neuron: number; frequency: number; phase_a: number; phase_b: number }

/**
 * blob_init: sets the input weights W_in[:, n] of each chosen neuron so that its pre-activation over
 * all p² pairs is, in the least-squares sense,
 *   pre(a, b) ≈ A·(cos(2πk·a/p + φ) + cos(2πk·b/p + ψ) + 1),
 * a low-frequency blob of frequency k (the relu clips only where both cosines are low). At the
 * last position pre(a, b) = r(a, b)·W_in[:, n] + b_in[n] with r the residual after attention,
 * which does not depend on W_in: so W_in[:, n] = u(λ) = argmin_u Σ (r·u + b_in − target)² + λ‖u‖²
 * (float64, through the eigendecomposition of rᵀr, so u(λ) is cheap for any λ). r is built from
 * the embedding through the attention's per-token tables, so the column is a combination of the
 * embedding's Fourier directions as the attention carries them. A is the standard deviation of the
 * neuron's original pre-activation; k cycles through `frequencies`; φ, ψ are drawn with the spec's
 * seed. scale 'weight_norm' (default) takes the smallest λ ≥ λ₀ = 1e-9·trace/d with ‖u(λ)‖ at most
 * the original column's norm (bisection on log λ; the best blob the neuron's own weight budget
 * allows); 'activation' takes λ₀ (the closest fit, whatever its norm). Everything else is left as
 * it was.
 */
export function blobInit(k: Kernels, params: Params, spec: BlobInitSpec): BlobNeuron[] {
  const { p, dModel: d, nHeads: H, dMlp: m } = params.config;
  const N = p * p;
  const a = new Int32Array(N), b = new Int32Array(N);
  for (let i = 0; i < N; i++) { a[i] = Math.floor(i / p); b[i] = i % p; }
  const tables = computeTables(k, params);
  const w = k.alloc(N * H * 3), r = k.alloc(N * d);
  k.attnWeights(N, H, p, a, b, tables.S, w);
  k.mixTokens(N, H, p, d, a, b, w, tables.O, tables.baseR, r, false, null);
  // Normal matrix G = rᵀr and its eigendecomposition G = V·diag(s)·Vᵀ, float64.
  const G = new Float64Array(d * d);
  for (let i = 0; i < N; i++) {
    for (let x = 0; x < d; x++) {
      const rx = r[i * d + x];
      if (rx === 0) continue;
      for (let y = 0; y <= x; y++) G[x * d + y] += rx * r[i * d + y];
    }
  }
  let trace = 0;
  for (let x = 0; x < d; x++) { trace += G[x * d + x]; for (let y = 0; y < x; y++) G[y * d + x] = G[x * d + y]; }
  const { values, vectors: V } = symmetricEigensystem(G, d);
  const sv = values.map((x) => Math.max(x, 0));
  const lambda0 = 1e-9 * trace / d + 1e-300;
  const Win = params.t['blocks.0.mlp.W_in'], bIn = params.t['blocks.0.mlp.b_in'];
  const rand = uniformStream(spec.seed ?? 0);
  const neurons = chosenNeurons(spec, m);
  const out: BlobNeuron[] = [];
  neurons.forEach((n, i) => {
    const freq = spec.frequencies[i % spec.frequencies.length];
    const phaseA = 2 * Math.PI * rand(), phaseB = 2 * Math.PI * rand();
    // The original pre-activation's spread sets the amplitude.
    let s1 = 0, s2 = 0;
    for (let j = 0; j < N; j++) {
      let v = bIn[n];
      for (let x = 0; x < d; x++) v += r[j * d + x] * Win[x * m + n];
      s1 += v; s2 += v * v;
    }
    const amp = Math.sqrt(Math.max(s2 / N - (s1 / N) ** 2, 0)) || 1;
    // rhs = rᵀ(target − b_in), q = Vᵀ·rhs, u(λ) = V·(q / (s + λ)).
    const rhs = new Float64Array(d);
    for (let j = 0; j < N; j++) {
      const t = amp * (Math.cos((2 * Math.PI * freq * a[j]) / p + phaseA) + Math.cos((2 * Math.PI * freq * b[j]) / p + phaseB) + 1) - bIn[n];
      for (let x = 0; x < d; x++) rhs[x] += r[j * d + x] * t;
    }
    const q = new Float64Array(d);
    for (let i = 0; i < d; i++) { let v = 0; for (let x = 0; x < d; x++) v += V[x * d + i] * rhs[x]; q[i] = v; }
    const normAt = (lambda: number): number => { let s2 = 0; for (let i = 0; i < d; i++) s2 += (q[i] / (sv[i] + lambda)) ** 2; return Math.sqrt(s2); };
    let lambda = lambda0;
    if (spec.scale === 'weight_norm') {
      let budget = 0;
      for (let x = 0; x < d; x++) budget += Win[x * m + n] ** 2;
      budget = Math.sqrt(budget);
      if (normAt(lambda0) > budget) {
        let rhsNorm = 0;
        for (const x of rhs) rhsNorm += x * x;
        let lo = Math.log(lambda0), hi = Math.log(Math.max(lambda0, Math.sqrt(rhsNorm) / Math.max(budget, 1e-300)));
        for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
          const mid = (lo + hi) / 2;
          if (normAt(Math.exp(mid)) > budget) lo = mid; else hi = mid;
        }
        lambda = Math.exp(hi);
      }
    }
    const z = new Float64Array(d);
    for (let x = 0; x < d; x++) { let v = 0; for (let i = 0; i < d; i++) v += V[x * d + i] * q[i] / (sv[i] + lambda); z[x] = v; }
    for (let x = 0; x < d; x++) Win[x * m + n] = z[x];
    out.push({ neuron: n, frequency: freq, phase_a: phaseA, phase_b: phaseB });
  });
  return out;
}
