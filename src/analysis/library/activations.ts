/**
 * Neuron activation maps (docs/design.md §2): one forward pass over all p² pairs through the engine,
 * giving the MLP's post-activation values at the last position as [p², d_mlp], row a·p + b.
 */
import type { Kernels } from '../../engine/kernels.js';
import { computeTables, makeBatch, mlpActivations, type Workspace } from '../../model/model.js';
import type { Params } from '../../model/params.js';
import { Scratch } from './scratch.js';

/**
 * With a `scratch` (see scratch.ts) the result lives in the scratch and is valid until the next
 * call with it; the native engine then returns it without a copy.
 */
export function activationMaps(k: Kernels, params: Params, scratch?: Scratch): Float32Array {
  const { p, nHeads: H, dMlp: m } = params.config;
  const N = p * p;
  const idx = new Int32Array(N);
  for (let i = 0; i < N; i++) idx[i] = i;
  const batch = makeBatch(p, idx);
  const tables = computeTables(k, params);
  const empty = k.alloc(0);
  // mlpActivations uses only the attention weights and the post-activations of the workspace.
  const w = scratch ? scratch.vec(k, 'acts.w', N * H * 3) : k.alloc(N * H * 3);
  const post = scratch ? scratch.vec(k, 'acts.post', N * m) : k.alloc(N * m);
  const ws: Workspace = { n: N, w, post, pre: empty, r: empty, f: empty, logits: empty };
  mlpActivations(k, params, tables, batch, ws, false);
  return ws.post instanceof Float32Array ? ws.post : Float32Array.from(ws.post);
}
