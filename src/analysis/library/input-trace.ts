/**
 * Input trace (issue 14 §6), as MIScope's input_trace and input_trace_graduation analyzers define
 * it. At a checkpoint, for every pair (a, b) of the p² (row a·p + b): the prediction (argmax of the
 * last position's logits), correct (prediction = (a + b) mod p), confidence (the largest softmax
 * probability, in float64) and whether the pair is in the run's training set; the accuracy per
 * residue class c = (a + b) mod p over the test pairs and over the train pairs (MIScope: 0 for a
 * class with no pair in the split), and overall. Across checkpoints, a pair's graduation epoch is
 * the first checkpoint from which it is correct at `window` (3) consecutive checkpoints, −1 if never.
 */
import type { Kernels } from '../../engine/kernels.js';
import { computeTables, evalLogits, makeBatch, Workspace } from '../../model/model.js';
import type { Params } from '../../model/params.js';

export interface InputTrace {
  predictions: Int32Array;
  correct: Uint8Array;
  confidence: Float64Array;
  /** 1 = training pair; null when the run's split is unknown. */
  split: Uint8Array | null;
  /** Accuracy per residue class over all p² pairs, the test pairs and the train pairs [p] (the last two null without a split). */
  classAccuracy: Float64Array;
  testClassAccuracy: Float64Array | null;
  trainClassAccuracy: Float64Array | null;
  accuracy: number;
  testAccuracy: number | null;
  trainAccuracy: number | null;
}

/** Accuracy per residue class over the pairs where mask (all when null) is `want`. */
function classAccuracy(p: number, correct: Uint8Array, mask: Uint8Array | null, want: number): { perClass: Float64Array; overall: number } {
  const hit = new Float64Array(p), n = new Float64Array(p);
  let h = 0, t = 0;
  for (let i = 0; i < p * p; i++) {
    if (mask && mask[i] !== want) continue;
    const c = (Math.floor(i / p) + (i % p)) % p;
    n[c]++; hit[c] += correct[i]; t++; h += correct[i];
  }
  return { perClass: hit.map((x, c) => (n[c] ? x / n[c] : 0)), overall: t ? h / t : 0 };
}

/** `logitsIn`: the logits of all p² pairs when already computed (shared-forward.ts), else evaluated here. */
export function inputTrace(k: Kernels, params: Params, trainIndices: ArrayLike<number> | null, logitsIn?: ArrayLike<number>): InputTrace {
  const p = params.config.p, N = p * p;
  const batch = makeBatch(p, Int32Array.from({ length: N }, (_, i) => i));
  const logits = logitsIn ?? evalLogits(k, params, computeTables(k, params), batch, new Workspace(k, params, N));
  const predictions = new Int32Array(N), correct = new Uint8Array(N), confidence = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let best = 0, mx = -Infinity;
    for (let o = 0; o < p; o++) if (logits[i * p + o] > mx) { mx = logits[i * p + o]; best = o; }
    let z = 0;
    for (let o = 0; o < p; o++) z += Math.exp(logits[i * p + o] - mx);
    predictions[i] = best; correct[i] = best === batch.target[i] ? 1 : 0; confidence[i] = 1 / z;
  }
  let split: Uint8Array | null = null;
  if (trainIndices) {
    split = new Uint8Array(N);
    for (let i = 0; i < trainIndices.length; i++) split[trainIndices[i]] = 1;
  }
  const all = classAccuracy(p, correct, null, 0);
  const te = split && classAccuracy(p, correct, split, 0), tr = split && classAccuracy(p, correct, split, 1);
  return {
    predictions, correct, confidence, split, classAccuracy: all.perClass, testClassAccuracy: te?.perClass ?? null,
    trainClassAccuracy: tr?.perClass ?? null, accuracy: all.overall, testAccuracy: te?.overall ?? null, trainAccuracy: tr?.overall ?? null,
  };
}

/** Each pair's graduation epoch from its correctness at checkpoints `epochs` (ascending; correct[j] [n_pairs]). */
export function graduationEpochs(correct: readonly Uint8Array[], epochs: readonly number[], window = 3): Int32Array {
  const n = correct.length ? correct[0].length : 0;
  const out = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    let run = 0;
    for (let j = 0; j < correct.length; j++) {
      run = correct[j][i] ? run + 1 : 0;
      if (run >= window) { out[i] = epochs[j - window + 1]; break; }
    }
  }
  return out;
}
