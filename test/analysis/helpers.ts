/** Shared test helpers: a seeded RNG, random model parameters, maps built from formulas. */
import type { ModelConfig } from '../../src/config/config.js';
import { Params } from '../../src/model/params.js';

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller). */
export function normal(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export function smallConfig(p = 11, dModel = 16, dMlp = 32, nHeads = 2, dHead = 8): ModelConfig {
  return { p, dModel, nHeads, dHead, dMlp, act: 'relu' };
}

/** Parameters with every value (biases included) ~ Normal(0, scale²). */
export function randomParams(c: ModelConfig, seed: number, scale = 0.8 / Math.sqrt(c.dModel)): Params<Float32Array> {
  const params = Params.zeros(c, (n) => new Float32Array(n));
  const g = normal(rng(seed));
  for (let i = 0; i < params.flat.length; i++) params.flat[i] = g() * scale;
  return params;
}

/** Maps [p², m] (row a·p+b) from one formula per neuron. */
export function mapsFrom(p: number, fns: ((a: number, b: number) => number)[]): Float64Array {
  const m = fns.length;
  const out = new Float64Array(p * p * m);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) fns.forEach((f, n) => { out[(a * p + b) * m + n] = f(a, b); });
  return out;
}
