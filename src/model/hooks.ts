/**
 * The hooks the model's forward and backward passes take (model.ts), keyed by the TransformerLens
 * hook point each acts on: `attnOut` on `blocks.0.hook_attn_out` (frequency_gain's matrix) and
 * `ablation` on `blocks.0.mlp.hook_post`. The interventions that build them are interventions.ts.
 */
import type { Vec } from '../engine/kernels.js';

/** Neurons whose post-activations are replaced by constants (zero, or their mean over the batch). */
export interface AblationHook {
  neurons: Int32Array;
  mode: 'zero' | 'mean';
  /**
   * The constants used for each listed neuron. With mode 'mean': set by the training pass (the
   * train-batch mean, `fixed` false) or given (`fixed` true: evaluation and analysis use them as they are).
   */
  values: Float64Array;
  fixed: boolean;
}

/** What the model's passes take: all optional; an absent hook leaves the pass exactly as without hooks. */
export interface Hooks {
  /** d × d matrix M applied to every attention-output row (x' = x·M), in the engine's precision. */
  attnOut?: Vec | null;
  ablation?: AblationHook | null;
}

/** An ablation hook for a list of neurons; mean values from `means` (a [m] array) when given. */
export function ablationHook(neurons: ArrayLike<number>, mode: 'zero' | 'mean', means?: ArrayLike<number>): AblationHook {
  const idx = Int32Array.from(neurons);
  const values = new Float64Array(idx.length);
  if (mode === 'mean' && means) for (let i = 0; i < idx.length; i++) values[i] = means[idx[i]];
  return { neurons: idx, mode, values, fixed: mode === 'zero' || means !== undefined };
}

