/**
 * The model's parameters under their TransformerLens names, stored in one flat array
 * (state-dict order) with a named view per tensor, so that the optimiser runs over one buffer.
 */
import type { Vec } from '../engine/kernels.js';

/** The model's shape: the modulus and the widths (the settings table in config/config.ts holds the rest). */
export interface ModelConfig {
  p: number;
  dModel: number;
  nHeads: number;
  dHead: number;
  dMlp: number;
  act: 'relu' | 'gelu';
}

export const PARAM_NAMES = [
  'embed.W_E', 'pos_embed.W_pos',
  'blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V', 'blocks.0.attn.W_O',
  'blocks.0.attn.b_Q', 'blocks.0.attn.b_K', 'blocks.0.attn.b_V', 'blocks.0.attn.b_O',
  'blocks.0.mlp.W_in', 'blocks.0.mlp.b_in', 'blocks.0.mlp.W_out', 'blocks.0.mlp.b_out',
  'unembed.W_U', 'unembed.b_U',
] as const;

export type ParamName = (typeof PARAM_NAMES)[number];

/** Shapes of every parameter for a config (docs/design.md §1), in state-dict order. */
export function paramShapes(c: ModelConfig): { name: ParamName; shape: number[] }[] {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = c;
  const shapes: Record<ParamName, number[]> = {
    'embed.W_E': [p + 1, d], 'pos_embed.W_pos': [3, d],
    'blocks.0.attn.W_Q': [H, d, dh], 'blocks.0.attn.W_K': [H, d, dh], 'blocks.0.attn.W_V': [H, d, dh],
    'blocks.0.attn.W_O': [H, dh, d],
    'blocks.0.attn.b_Q': [H, dh], 'blocks.0.attn.b_K': [H, dh], 'blocks.0.attn.b_V': [H, dh],
    'blocks.0.attn.b_O': [d],
    'blocks.0.mlp.W_in': [d, m], 'blocks.0.mlp.b_in': [m], 'blocks.0.mlp.W_out': [m, d], 'blocks.0.mlp.b_out': [d],
    'unembed.W_U': [d, p], 'unembed.b_U': [p],
  };
  return PARAM_NAMES.map((name) => ({ name, shape: shapes[name] }));
}

export const isWeight = (name: string): boolean => name.split('.').pop()!.startsWith('W_');

const size = (shape: number[]): number => shape.reduce((x, y) => x * y, 1);

/** All parameters in one flat buffer; `t[name]` are views into it. */
export class Params<V extends Vec = Vec> {
  readonly flat: V;
  readonly t: Record<ParamName, V>;
  readonly offsets: Record<ParamName, [number, number]>;

  constructor(readonly config: ModelConfig, flat: V) {
    const shapes = paramShapes(config);
    const total = shapes.reduce((s, x) => s + size(x.shape), 0);
    if (flat.length !== total) throw new Error(`parameter buffer has ${flat.length} values, config needs ${total}`);
    this.flat = flat;
    const t = {} as Record<ParamName, V>;
    const offsets = {} as Record<ParamName, [number, number]>;
    let o = 0;
    for (const { name, shape } of shapes) {
      const n = size(shape);
      t[name] = flat.subarray(o, o + n) as V;
      offsets[name] = [o, o + n];
      o += n;
    }
    this.t = t;
    this.offsets = offsets;
  }

  static zeros<V extends Vec>(config: ModelConfig, alloc: (n: number) => V): Params<V> {
    return new Params(config, alloc(paramCount(config)));
  }

  /** Index ranges [start, end) of the trained tensors (weights, and biases when trainBiases). */
  trainedRanges(trainBiases: boolean): Int32Array {
    const r: number[] = [];
    for (const name of PARAM_NAMES) if (trainBiases || isWeight(name)) r.push(...this.offsets[name]);
    return Int32Array.from(r);
  }
}

export function paramCount(c: ModelConfig): number {
  return paramShapes(c).reduce((s, x) => s + size(x.shape), 0);
}
