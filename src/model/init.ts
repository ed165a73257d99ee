/**
 * The initial weights, as TransformerLens' HookedTransformer draws them for a seed (its "gpt2"
 * init, which the researcher's workbench uses): PyTorch's generator seeded with `seed`, then
 * `normal_(0, 0.8/√d_model)` on every parameter whose name holds `W_`, in the order of
 * `named_parameters()`; biases zero. That order is the order the modules register their
 * parameters, which changed between TransformerLens versions:
 *   - `tl2` (TransformerLens ≥ 2, the default and the researcher's): AbstractAttention registers
 *     W_Q and W_O, then Attention registers W_K and W_V, so the draws are
 *     W_E, W_pos, W_Q, W_O, W_K, W_V, W_in, W_out, W_U;
 *   - `tl1` (TransformerLens 1.x): W_E, W_pos, W_Q, W_K, W_V, W_O, W_in, W_out, W_U.
 * With grokbench's PyTorch generator (src/core/rng.ts) the result is PyTorch's to the bit.
 */
import { MT19937, torchNormal_ } from '../core/rng.js';
import type { ModelConfig } from './params.js';
import { Params, type ParamName } from './params.js';

/**
 * The order in which TransformerLens draws the W_ tensors from the seeded generator:
 * `tl2` (TransformerLens ≥ 2, the researcher's: W_E, W_pos, W_Q, W_O, W_K, W_V, W_in, W_out, W_U)
 * or `tl1` (TransformerLens 1.x: W_Q, W_K, W_V, W_O).
 */
export type InitOrder = 'tl2' | 'tl1';
export const INIT_ORDERS: readonly InitOrder[] = ['tl2', 'tl1'];

/** TransformerLens' `initializer_range` for the gpt2 init: 0.8/√d_model. */
export function initStd(dModel: number): number {
  return 0.8 / Math.sqrt(dModel);
}

/** The W_ tensors in the order TransformerLens draws them. */
export const INIT_DRAW_ORDER: Record<InitOrder, readonly ParamName[]> = {
  tl2: ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.attn.W_Q', 'blocks.0.attn.W_O', 'blocks.0.attn.W_K',
    'blocks.0.attn.W_V', 'blocks.0.mlp.W_in', 'blocks.0.mlp.W_out', 'unembed.W_U'],
  tl1: ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V',
    'blocks.0.attn.W_O', 'blocks.0.mlp.W_in', 'blocks.0.mlp.W_out', 'unembed.W_U'],
};

/** Fresh parameters for `config`, drawn from PyTorch's generator seeded with `seed`. */
export function initParams(config: ModelConfig, seed: number, order: InitOrder = 'tl2'): Params<Float32Array> {
  const params = Params.zeros(config, (n) => new Float32Array(n));
  const gen = new MT19937(seed);
  const std = initStd(config.dModel);
  for (const name of INIT_DRAW_ORDER[order]) torchNormal_(params.t[name], 0, std, gen);
  return params;
}
