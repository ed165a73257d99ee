/**
 * The initial weights, as TransformerLens' HookedTransformer draws them for a seed (its "gpt2"
 * init, which the researcher's workbench uses): PyTorch's generator seeded with `seed`, then
 * `normal_(0, 0.8/√d_model)` on every parameter whose name holds `W_`, in state-dict order
 * (embed.W_E, pos_embed.W_pos, attn W_Q, W_K, W_V, W_O, mlp W_in, W_out, unembed.W_U); biases
 * zero. With grokbench's PyTorch generator (src/data/rng.ts) the result is PyTorch's to the bit.
 */
import { MT19937, torchNormal_ } from '../data/rng.js';
import type { ModelConfig } from './config.js';
import { PARAM_NAMES, Params, isWeight } from './params.js';

/** TransformerLens' `initializer_range` for the gpt2 init: 0.8/√d_model. */
export function initStd(dModel: number): number {
  return 0.8 / Math.sqrt(dModel);
}

/** Fresh parameters for `config`, drawn from PyTorch's generator seeded with `seed`. */
export function initParams(config: ModelConfig, seed: number): Params<Float32Array> {
  const params = Params.zeros(config, (n) => new Float32Array(n));
  const gen = new MT19937(seed);
  const std = initStd(config.dModel);
  // PARAM_NAMES is the state-dict order; the W_ tensors come in the order TransformerLens draws them.
  for (const name of PARAM_NAMES) {
    if (isWeight(name)) torchNormal_(params.t[name], 0, std, gen);
  }
  return params;
}
