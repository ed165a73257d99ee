/**
 * The intervention check (issue 15 §3; MIScope's compute_hook_verification): at a checkpoint of a
 * frequency_gain run, the per-frequency RMS amplitude of the attention output (hook_attn_out, b_O
 * included) along the run's frequency directions, without the hook and with it at that epoch's
 * ramp factor, over all p² pairs and all three positions:
 *   rms_k = sqrt(mean over rows x of (x·D_sin_k)² + (x·D_cos_k)²).
 * Attention output per position: position 0 attends only to a, position 1 to (a, b) with its own
 * query, position 2 to (a, b, =) — computed from the per-token tables, as the plain model does.
 */
import type { Kernels } from '../../engine/kernels.js';
import { computeTables } from '../../model/model.js';
import {
  type FrequencyDirections, type FrequencyGainSpec, applyFrequencyGain, frequencyRms, gainVector, rampFactor,
} from '../../model/interventions.js';
import type { Params } from '../../model/params.js';

/** hook_attn_out at positions 0, 1, 2 for every pair (a, b): [3·p², d], rows (a·p + b)·3 + position. */
export function attentionOutputs(k: Kernels, params: Params): Float64Array {
  const { p, dModel: d, nHeads: H, dHead: dh } = params.config;
  const R = 2 * p + 1;
  const T = computeTables(k, params);
  const t = params.t;
  const bO = t['blocks.0.attn.b_O'];
  const out = new Float64Array(3 * p * p * d);
  // Queries at position 1 (token b): q1[h, b] = X[p + b]·W_Q[h] + b_Q[h].
  const q1 = new Float64Array(H * p * dh);
  for (let h = 0; h < H; h++) {
    for (let b = 0; b < p; b++) {
      for (let e = 0; e < dh; e++) {
        let s = t['blocks.0.attn.b_Q'][h * dh + e];
        for (let j = 0; j < d; j++) s += T.X[(p + b) * d + j] * t['blocks.0.attn.W_Q'][(h * d + j) * dh + e];
        q1[(h * p + b) * dh + e] = s;
      }
    }
  }
  const scale = 1 / Math.sqrt(dh);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      const row = (a * p + b) * 3;
      const o0 = out.subarray(row * d, (row + 1) * d), o1 = out.subarray((row + 1) * d, (row + 2) * d), o2 = out.subarray((row + 2) * d, (row + 3) * d);
      for (let j = 0; j < d; j++) { o0[j] = bO[j]; o1[j] = bO[j]; o2[j] = bO[j]; }
      for (let h = 0; h < H; h++) {
        const O = (r: number, j: number): number => T.O[(h * R + r) * d + j];
        const K = (r: number, e: number): number => T.K[(h * R + r) * dh + e];
        // Position 1: softmax over keys a, b with query q1[h, b].
        let s0 = 0, s1 = 0;
        for (let e = 0; e < dh; e++) { const q = q1[(h * p + b) * dh + e]; s0 += q * K(a, e); s1 += q * K(p + b, e); }
        s0 *= scale; s1 *= scale;
        const mx = Math.max(s0, s1), e0 = Math.exp(s0 - mx), e1 = Math.exp(s1 - mx), z = e0 + e1;
        // Position 2: the model's own scores S[h, ·].
        const S0 = T.S[h * R + a], S1 = T.S[h * R + p + b], S2 = T.S[h * R + 2 * p];
        const m2 = Math.max(S0, S1, S2), f0 = Math.exp(S0 - m2), f1 = Math.exp(S1 - m2), f2 = Math.exp(S2 - m2), z2 = f0 + f1 + f2;
        for (let j = 0; j < d; j++) {
          o0[j] += O(a, j);
          o1[j] += (e0 / z) * O(a, j) + (e1 / z) * O(p + b, j);
          o2[j] += (f0 / z2) * O(a, j) + (f1 / z2) * O(p + b, j) + (f2 / z2) * O(2 * p, j);
        }
      }
    }
  }
  return out;
}

export interface InterventionCheck {
  epoch: number;
  ramp_factor: number;
  freq_labels: number[];
  target_frequencies: number[];
  gain: Record<string, number>;
  /** The effective gain per frequency at this epoch: 1 + (max(gain, 0.1) − 1)·ramp. */
  effective_gain: number[];
  baseline_rms: number[];
  modified_rms: number[];
}

/** The check at one checkpoint (params) of a frequency_gain run with its directions. */
export function interventionCheck(k: Kernels, params: Params, epoch: number, spec: FrequencyGainSpec, dirs: FrequencyDirections): InterventionCheck {
  const x = attentionOutputs(k, params);
  const n = x.length / dirs.d;
  const ramp = rampFactor(epoch, spec);
  const gain = gainVector(spec, dirs.nFreq);
  const modified = applyFrequencyGain(x, n, dirs, gain, ramp);
  return {
    epoch, ramp_factor: ramp, freq_labels: Array.from({ length: dirs.nFreq }, (_, i) => i + 1),
    target_frequencies: spec.target_frequencies, gain: spec.gain,
    effective_gain: Array.from(gain, (g) => 1 + (g - 1) * ramp),
    baseline_rms: Array.from(frequencyRms(x, n, dirs)), modified_rms: Array.from(frequencyRms(modified, n, dirs)),
  };
}
