/**
 * One forward pass over all p² pairs per checkpoint, shared by the analyzers that need it
 * (neuron_fourier's activation maps, input_trace's logits, representation_geometry's residuals):
 * computed on first use for a checkpoint context and kept for the other analyzers of the same
 * context, in the context's scratch buffers (valid until the next context's pass). Each consumer
 * gets the same bits it computed alone before: the maps are `mlpActivations`, the residuals are
 * `forward`'s, and `evalLogitsFrom` finishes evalLogits's path from the shared activations.
 */
import type { Kernels, Vec } from '../../engine/kernels.js';
import { computeTables, forward, makeBatch, type Forward, type Workspace } from '../../model/model.js';
import type { Params } from '../../model/params.js';
import type { CheckpointContext } from './analyzer.js';

const memo = new WeakMap<CheckpointContext, Forward>();

/** The forward pass (keepPre false) of the context's checkpoint over all p² pairs (row a·p + b). */
export function sharedForward(ctx: CheckpointContext): Forward {
  const hit = memo.get(ctx);
  if (hit) return hit;
  const k = ctx.kernels, params = ctx.checkpoint.params, s = ctx.scratch;
  const { p, dModel: d, nHeads: H, dMlp: m } = params.config;
  const N = p * p;
  const batch = makeBatch(p, Int32Array.from({ length: N }, (_, i) => i));
  const ws: Workspace = {
    n: N, w: s.vec(k, 'fwd.w', N * H * 3), r: s.vec(k, 'fwd.r', N * d), pre: k.alloc(0), post: s.vec(k, 'fwd.post', N * m),
    f: s.vec(k, 'fwd.f', N * d), logits: s.vec(k, 'fwd.logits', N * p),
  };
  const f = forward(k, params, computeTables(k, params), batch, ws, false);
  memo.set(ctx, f);
  return f;
}

/** The shared forward pass of this context if an analyzer has already run it. */
export function sharedForwardIfDone(ctx: CheckpointContext): Forward | undefined {
  return memo.get(ctx);
}

/** evalLogits (the training loop's evaluation path) from a forward pass's attention weights and activations, into `out` [N, p]. */
export function evalLogitsFrom(k: Kernels, params: Params, f: Forward, out: Vec): Vec {
  const { p, nHeads: H } = params.config;
  k.mixTokens(f.batch.n, H, p, p, f.batch.a, f.batch.b, f.w, f.tables.OU, f.tables.baseU, out, false, null);
  k.gemm(false, false, f.batch.n, p, params.config.dMlp, 1, f.post, f.tables.WoutU, 1, out);
  return out;
}
