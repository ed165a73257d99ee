/**
 * Activation maps of a checkpoint for the views (docs/design.md §2): computed from the checkpoint
 * through the engine (maps are not stored), quantised to 8 bits per neuron for the browser, and the
 * 2-D power spectrum of one neuron.
 *
 * Power spectrum: |F|² with F = B·A·Bᵀ in the modular Fourier basis of docs/design.md §3 (F[0][0] = 0),
 * summed over the sin and cos rows of each frequency, so cell (k_a, k_b) holds the share of the
 * neuron's variance in frequency k_a of a and k_b of b (k = 0: the constant). frac_k of the
 * analysis is cells (k, 0) + (0, k) + (k, k).
 */
import { activationMaps } from '../analysis/library/activations.js';
import { fourierTransform } from '../analysis/library/coarseness.js';
import type { Kernels } from '../engine/kernels.js';
import { failure } from '../core/errors.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { PARAM_NAMES, Params } from '../model/params.js';
import { allNeuronMapIndices } from './raster.js';

/**
 * The same model restricted to some MLP neurons (W_in columns, b_in entries, W_out rows): the
 * neurons' activations do not depend on the others, so its activation maps are theirs.
 */
export function selectNeurons(params: Params<Float32Array>, neurons: number[]): Params<Float32Array> {
  const c = params.config, m = c.dMlp, d = c.dModel, s = neurons.length;
  const out = Params.zeros({ ...c, dMlp: s }, (n) => new Float32Array(n));
  for (const name of PARAM_NAMES) {
    if (name === 'blocks.0.mlp.W_in') {
      const src = params.t[name], dst = out.t[name];
      for (let i = 0; i < d; i++) for (let j = 0; j < s; j++) dst[i * s + j] = src[i * m + neurons[j]];
    } else if (name === 'blocks.0.mlp.b_in') {
      neurons.forEach((n, j) => { out.t[name][j] = params.t[name][n]; });
    } else if (name === 'blocks.0.mlp.W_out') {
      neurons.forEach((n, j) => out.t[name].set(params.t[name].subarray(n * d, (n + 1) * d), j * d));
    } else {
      out.t[name].set(params.t[name]);
    }
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

/** Every neuron's map of one checkpoint, 8-bit: `indices[n·p² + a·p + b]` in 0..255 over the neuron's own [min, max]. */
export interface QuantisedMaps {
  p: number;
  dMlp: number;
  indices: Uint8Array;
  min: Float32Array;
  max: Float32Array;
  /** The raw maps, [p², d_mlp] (row a·p + b), for spectra. */
  raw: Float32Array;
}

/** Load a checkpoint and compute all its neurons' activation maps, quantised per neuron. */
export function checkpointMaps(k: Kernels, path: string, p: number, dMlp: number): QuantisedMaps {
  const ck = loadCheckpoint(path);
  if (ck.config.p !== p || ck.config.dMlp !== dMlp) throw failure(`${path}: checkpoint has p=${ck.config.p}, d_mlp=${ck.config.dMlp}, expected p=${p}, d_mlp=${dMlp}`);
  const raw = activationMaps(k, ck.params); // a fresh array (no scratch given)
  const { indices, min, max } = allNeuronMapIndices(raw, p, dMlp);
  return { p, dMlp, indices, min, max, raw };
}
