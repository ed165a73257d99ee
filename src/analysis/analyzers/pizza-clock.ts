/**
 * `pizza_clock` (issue 26 §10): the two measures of Zhong et al. 2023 ("The Clock and the Pizza")
 * at every checkpoint, from the shared forward pass over all p² pairs (library/pizza-clock.ts),
 * and the algorithm they name. Gradient symmetricity uses every pair (a, b) once, with its output
 * c drawn uniformly from 0..p−1 by MT19937 seeded 42 (`c = ⌊uniform53 · p⌋` in pair order; the
 * paper's notebook: 100 triples from p³, Python's random seeded 42).
 * Artifact tensors: gradient_cosine F32 [p²] (per pair; NaN where a gradient vanishes), classes
 * I32 [p²], correct_logits F32 [p, p] (row s = (a+b) mod p, column d = (a−b) mod p: the paper's
 * "correct logits" map), and the summary's numbers as F64 [1] tensors gradient_symmetricity,
 * distance_irrelevance, accuracy (NaN for null).
 * Summary: { gradient_symmetricity, distance_irrelevance, accuracy (on all p² pairs), algorithm
 * ('pizza' | 'clock' | 'mixed' | null), samples }.
 * Cost at p = 113, d_mlp = 512: two GEMMs over the p² pairs (N·d_mlp·d_model and
 * 2·N·d_model·d_head per head) and O(N·H·d_model) in float64; see the report of issue 26.
 */
import type { SafetensorsFile } from '../../io/safetensors.js';
import { MT19937 } from '../../core/rng.js';
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { sharedForward } from '../protocol/shared-forward.js';
import { PIZZA_CLOCK_RULES, allPairsAccuracy, classifyAlgorithm, distanceIrrelevance, gradientSymmetricity, type Algorithm } from '../library/pizza-clock.js';

export const PIZZA_CLOCK = 'pizza_clock';

/** The seed of the output classes (the paper's notebook seeds its triples with 42). */
export const PIZZA_CLOCK_SEED = 42;

export interface PizzaClockSummary {
  gradient_symmetricity: number | null;
  distance_irrelevance: number | null;
  accuracy: number;
  algorithm: Algorithm | null;
  samples: number;
}

const classCache = new Map<number, Int32Array>();

/** The output class of every pair (row a·p + b): uniform on 0..p−1, MT19937 seeded 42, in pair order. */
export function symmetricityClasses(p: number): Int32Array {
  let c = classCache.get(p);
  if (!c) {
    const g = new MT19937(PIZZA_CLOCK_SEED);
    c = Int32Array.from({ length: p * p }, () => Math.floor(g.uniform53() * p));
    classCache.set(p, c);
  }
  return c;
}

function summaryOf(gs: number | null, di: number | null, accuracy: number, samples: number): PizzaClockSummary {
  return { gradient_symmetricity: gs, distance_irrelevance: di, accuracy, algorithm: classifyAlgorithm(gs, di, accuracy), samples };
}

const scalar = (x: number | null) => ({ dtype: 'F64' as const, shape: [1], data: Float64Array.of(x ?? NaN) });
const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

export const pizzaClockAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: PIZZA_CLOCK,
  version: 1,
  params() { return { version: this.version, seed: PIZZA_CLOCK_SEED, rules: PIZZA_CLOCK_RULES }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const params = ctx.checkpoint.params, p = params.config.p;
    const f = sharedForward(ctx);
    const classes = symmetricityClasses(p);
    const gs = gradientSymmetricity(ctx.kernels, params, f, classes, ctx.scratch);
    const di = distanceIrrelevance(f.logits, p);
    const accuracy = allPairsAccuracy(f.logits, p);
    const correct = new Float32Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      const s = (a + b) % p;
      correct[s * p + (a - b + p) % p] = f.logits[(a * p + b) * p + s];
    }
    return {
      summary: summaryOf(gs.mean, di, accuracy, p * p),
      tensors: {
        gradient_cosine: { dtype: 'F32', shape: [p * p], data: Float32Array.from(gs.cosine) },
        classes: { dtype: 'I32', shape: [p * p], data: classes },
        correct_logits: { dtype: 'F32', shape: [p, p], data: correct },
        gradient_symmetricity: scalar(gs.mean), distance_irrelevance: scalar(di), accuracy: scalar(accuracy),
      },
    };
  },
  summariseArtifact(file: SafetensorsFile) {
    const one = (name: string) => file.getFloat64(name)[0];
    return summaryOf(orNull(one('gradient_symmetricity')), orNull(one('distance_irrelevance')), one('accuracy'), file.info('classes').shape[0]);
  },
};
