/**
 * The one-layer grokking transformer (docs/design.md §1), forward and backward side by side.
 *
 * Tokens are [a, b, =]. Only the last position reaches the loss, so everything is computed at
 * position 2, exactly:
 *   - x0 = W_E[a] + W_pos[0], x1 = W_E[b] + W_pos[1] depend on one token each and x2 = W_E[p] + W_pos[2]
 *     is a constant, so keys, values, value·W_O and even value·W_O·W_in are per-token tables with
 *     rows [a-tokens (p) | b-tokens (p) | "=" (1)] (2p+1 rows);
 *   - q = x2·W_Q + b_Q is a constant per head, so the attention scores are per-token tables too;
 *   - per sample only the softmax over the 3 positions and a weighted sum of table rows remain
 *     (kernels.attnWeights, kernels.mixTokens), then the MLP output and the unembedding as GEMMs.
 * The result equals the plain three-position model up to float rounding (test/model).
 */
import type { GemmCall, Kernels, Vec } from '../engine/kernels.js';
import type { Params } from './params.js';
import type { AblationHook, Hooks } from './hooks.js';

/** A batch of pairs (a, b) with targets (a + b) mod p. */
export interface Batch {
  n: number;
  a: Int32Array;
  b: Int32Array;
  target: Int32Array;
}

export function makeBatch(p: number, indices: ArrayLike<number>): Batch {
  const n = indices.length;
  const a = new Int32Array(n), b = new Int32Array(n), target = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = Math.floor(indices[i] / p);
    b[i] = indices[i] % p;
    target[i] = (a[i] + b[i]) % p;
  }
  return { n, a, b, target };
}

/** Head h's block of a per-head array laid out [H, n]. */
function head(x: Vec, n: number, h: number): Vec {
  return x.subarray(h * n, (h + 1) * n);
}

/** Per-token tables of one set of weights (shared by every batch evaluated at those weights). */
export interface Tables {
  /** Inputs per token row: [2p+1, d] */
  X: Vec;
  /** Per head: keys [H, 2p+1, dh], values [H, 2p+1, dh], queries [H, dh] */
  K: Vec; V: Vec; q: Vec;
  /** Attention scores [H, 2p+1] (already scaled by 1/√dh). */
  S: Vec;
  /** value·W_O per head [H, 2p+1, d]. */
  O: Vec;
  /** value·W_O·W_in per head [H, 2p+1, m]. */
  P: Vec;
  /** x2 + b_O (the residual base at the last position) [d]; (x2 + b_O)·W_in + b_in [m]. */
  baseR: Vec; basePre: Vec;
  /** For evaluation: value·W_O·W_U per head [H, 2p+1, p], W_out·W_U [m, p], (baseR + b_out)·W_U + b_U [p]. */
  OU: Vec; WoutU: Vec; baseU: Vec;
  /** baseR + b_out [d]. */
  baseF: Vec;
}

/**
 * The per-token tables of the current weights. Pass the previous epoch's tables as `reuse` to
 * overwrite them in place: fresh large allocations cost page faults on every epoch.
 */
export function computeTables(k: Kernels, params: Params, reuse?: Tables, hooks?: Hooks): Tables {
  const c = params.config;
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = c;
  const R = 2 * p + 1;
  const t = params.t;
  const WE = t['embed.W_E'], Wpos = t['pos_embed.W_pos'];
  const buf = (name: keyof Tables, n: number): Vec => (reuse ? reuse[name] : k.alloc(n));
  const X = buf('X', R * d);
  for (let r = 0; r < R; r++) {
    const tok = r < p ? r : r < 2 * p ? r - p : p;
    const pos = r < p ? 0 : r < 2 * p ? 1 : 2;
    for (let j = 0; j < d; j++) X[r * d + j] = WE[tok * d + j] + Wpos[pos * d + j];
  }
  const x2 = X.subarray(2 * p * d, R * d);
  const K = buf('K', H * R * dh), V = buf('V', H * R * dh), q = buf('q', H * dh);
  const S = buf('S', H * R), O = buf('O', H * R * d), P = buf('P', H * R * m);
  const scale = 1 / Math.sqrt(dh);
  const Win = t['blocks.0.mlp.W_in'];
  // Per head: q = x2·W_Q + b_Q, K = X·W_K + b_K, V = X·W_V + b_V, then S = K·q/√dh and O = V·W_O;
  // the heads' products are independent, so each step runs for all heads at once (gemmBatch).
  const qkv: GemmCall[] = [], so: GemmCall[] = [];
  for (let h = 0; h < H; h++) {
    const Kh = head(K, R * dh, h), Vh = head(V, R * dh, h), qh = head(q, dh, h);
    qh.set(head(t['blocks.0.attn.b_Q'], dh, h));
    qkv.push([false, false, 1, dh, d, 1, x2, head(t['blocks.0.attn.W_Q'], d * dh, h), 1, qh],
             [false, false, R, dh, d, 1, X, head(t['blocks.0.attn.W_K'], d * dh, h), 0, Kh],
             [false, false, R, dh, d, 1, X, head(t['blocks.0.attn.W_V'], d * dh, h), 0, Vh]);
    so.push([false, false, R, 1, dh, scale, Kh, qh, 0, head(S, R, h)],
            [false, false, R, d, dh, 1, Vh, head(t['blocks.0.attn.W_O'], dh * d, h), 0, head(O, R * d, h)]);
  }
  k.gemmBatch(qkv);
  for (let h = 0; h < H; h++) {
    k.addRow(R, dh, head(K, R * dh, h), head(t['blocks.0.attn.b_K'], dh, h));
    k.addRow(R, dh, head(V, R * dh, h), head(t['blocks.0.attn.b_V'], dh, h));
  }
  k.gemmBatch(so);
  // Intervention hook on the attention output (x' = x·M): every row of O, and b_O (below).
  const M = hooks?.attnOut ?? null;
  if (M) mapRows(k, H * R, d, O, M, false);
  // All heads' rows at once: [H·R, d]·[d, m] and [H·R, d]·[d, p].
  k.gemm(false, false, H * R, m, d, 1, O, Win, 0, P);
  const WU = t['unembed.W_U'];
  const OU = buf('OU', H * R * p), WoutU = buf('WoutU', m * p), baseU = buf('baseU', p);
  k.gemm(false, false, H * R, p, d, 1, O, WU, 0, OU);
  k.gemm(false, false, m, p, d, 1, t['blocks.0.mlp.W_out'], WU, 0, WoutU);
  const baseR = buf('baseR', d);
  for (let j = 0; j < d; j++) baseR[j] = x2[j] + t['blocks.0.attn.b_O'][j];
  if (M) {
    const bO = k.alloc(d);
    k.gemm(false, false, 1, d, d, 1, t['blocks.0.attn.b_O'], M, 0, bO);
    for (let j = 0; j < d; j++) baseR[j] = x2[j] + bO[j];
  }
  const basePre = buf('basePre', m);
  basePre.set(t['blocks.0.mlp.b_in']);
  k.gemm(false, false, 1, m, d, 1, baseR, Win, 1, basePre);
  const baseF = buf('baseF', d);
  for (let j = 0; j < d; j++) baseF[j] = baseR[j] + t['blocks.0.mlp.b_out'][j];
  baseU.set(t['unembed.b_U']);
  k.gemm(false, false, 1, p, d, 1, baseF, WU, 1, baseU);
  return { X, K, V, q, S, O, P, baseR, basePre, OU, WoutU, baseU, baseF };
}

/** Rows of X [n, d] ← X·M (or X·Mᵀ when `transM`), through a temporary. */
function mapRows(k: Kernels, n: number, d: number, X: Vec, M: Vec, transM: boolean): void {
  const tmp = k.alloc(n * d);
  k.gemm(false, transM, n, d, d, 1, X, M, 0, tmp);
  X.set(tmp);
}

/**
 * The ablation hook on post-activations [N, m]: each listed neuron's column becomes its constant
 * (0, the given mean, or, for an unfixed mean hook, the column's mean over this batch, stored in
 * the hook). With `keep` ([N, count]) the original columns are saved for the backward pass.
 */
function applyAblation(N: number, m: number, post: Vec, hook: AblationHook, keep: Vec | null): void {
  const c = hook.neurons.length;
  for (let i = 0; i < c; i++) {
    const n = hook.neurons[i];
    if (hook.mode === 'mean' && !hook.fixed) {
      let s = 0;
      for (let r = 0; r < N; r++) s += post[r * m + n];
      hook.values[i] = s / N;
    }
    const v = hook.mode === 'zero' ? 0 : hook.values[i];
    for (let r = 0; r < N; r++) {
      if (keep) keep[r * c + i] = post[r * m + n];
      post[r * m + n] = v;
    }
  }
}

/**
 * Backward of applyAblation, on the gradient of the post-activations (before the relu mask):
 * a zeroed or fixed constant passes no gradient; the batch mean passes Σ_r dpost[r]/N to every
 * sample where the original pre-activation was positive.
 */
function ablationBackward(N: number, m: number, dpost: Vec, hook: AblationHook, keep: Vec): void {
  const c = hook.neurons.length;
  for (let i = 0; i < c; i++) {
    const n = hook.neurons[i];
    let G = 0;
    if (hook.mode === 'mean' && !hook.fixed) for (let r = 0; r < N; r++) G += dpost[r * m + n];
    for (let r = 0; r < N; r++) dpost[r * m + n] = keep[r * c + i] > 0 ? G / N : 0;
  }
}

/** Activations of one forward pass, kept for the backward pass. */
export interface Forward {
  batch: Batch;
  tables: Tables;
  /** attention weights [N, H, 3] */
  w: Vec;
  /** residual after attention at the last position [N, d] */
  r: Vec;
  /** MLP pre- and post-activation [N, m] */
  pre: Vec; post: Vec;
  /** final residual [N, d] and logits [N, p] */
  f: Vec; logits: Vec;
}

/** Scratch buffers sized for a batch, reused across epochs to avoid allocation. */
export class Workspace {
  readonly w: Vec; readonly r: Vec; readonly pre: Vec; readonly post: Vec; readonly f: Vec; readonly logits: Vec;
  constructor(k: Kernels, params: Params, readonly n: number) {
    const { p, dModel: d, nHeads: H, dMlp: m } = params.config;
    this.w = k.alloc(n * H * 3); this.r = k.alloc(n * d); this.pre = k.alloc(n * m);
    this.post = k.alloc(n * m); this.f = k.alloc(n * d); this.logits = k.alloc(n * p);
  }
}

/** MLP post-activations [N, m] of a batch (the neuron activation maps when the batch is all p² pairs). */
export function mlpActivations(k: Kernels, params: Params, tables: Tables, batch: Batch, ws: Workspace, keepPre: boolean): void {
  const { p, nHeads: H, dMlp: m } = params.config;
  k.attnWeights(batch.n, H, p, batch.a, batch.b, tables.S, ws.w);
  k.mixTokens(batch.n, H, p, m, batch.a, batch.b, ws.w, tables.P, tables.basePre, ws.post, true, keepPre ? ws.pre : null);
}

export function forward(k: Kernels, params: Params, tables: Tables, batch: Batch, ws: Workspace, keepPre = true, hooks?: Hooks): Forward {
  const { p, dModel: d, nHeads: H, dMlp: m } = params.config;
  const t = params.t;
  const N = batch.n;
  mlpActivations(k, params, tables, batch, ws, keepPre);
  if (hooks?.ablation) applyAblation(N, m, ws.post, hooks.ablation, null);
  k.mixTokens(N, H, p, d, batch.a, batch.b, ws.w, tables.O, tables.baseR, ws.r, false, null);
  ws.f.set(ws.r.subarray(0, N * d));
  k.gemm(false, false, N, d, m, 1, ws.post, t['blocks.0.mlp.W_out'], 1, ws.f);
  k.addRow(N, d, ws.f, t['blocks.0.mlp.b_out']);
  k.gemm(false, false, N, p, d, 1, ws.f, t['unembed.W_U'], 0, ws.logits);
  k.addRow(N, p, ws.logits, t['unembed.b_U']);
  return { batch, tables, w: ws.w, r: ws.r, pre: ws.pre, post: ws.post, f: ws.f, logits: ws.logits };
}

export interface LossResult { loss: number; acc: number }

/**
 * Logits of a batch without the intermediate residuals (evaluation only): the unembedding is
 * folded into the tables, logits = baseU + Σ w·OU[tok] + relu(pre)·(W_out·W_U), which is the same
 * linear map as forward() with fewer operations.
 */
export function evalLogits(k: Kernels, params: Params, tables: Tables, batch: Batch, ws: Workspace, hooks?: Hooks): Vec {
  const { p, nHeads: H, dMlp: m } = params.config;
  mlpActivations(k, params, tables, batch, ws, false);
  if (hooks?.ablation) applyAblation(batch.n, m, ws.post, hooks.ablation, null);
  k.mixTokens(batch.n, H, p, p, batch.a, batch.b, ws.w, tables.OU, tables.baseU, ws.logits, false, null);
  k.gemm(false, false, batch.n, p, m, 1, ws.post, tables.WoutU, 1, ws.logits);
  return ws.logits;
}

/** Mean cross-entropy and accuracy of a batch (no gradients). */
export function evaluate(k: Kernels, params: Params, tables: Tables, batch: Batch, ws: Workspace, hooks?: Hooks): LossResult {
  const { p, nHeads: H, dMlp: m } = params.config;
  const { lossSum, correct } = hooks?.ablation
    ? k.crossEntropy(batch.n, p, evalLogits(k, params, tables, batch, ws, hooks), batch.target, null, 0)
    // evalLogits and the cross-entropy in one kernel (the same bits; kernels.ts mlpLoss).
    : k.mlpLoss(batch.n, H, p, m, batch.a, batch.b, tables.S, null, tables.P, tables.basePre, null,
                tables.OU, tables.baseU, tables.WoutU, batch.target, null, 0);
  return { loss: lossSum / batch.n, acc: correct / batch.n };
}

/** Gradient scratch for the backward pass. */
export class GradWorkspace {
  readonly dlogits: Vec; readonly dpre: Vec; readonly dP: Vec; readonly dOU: Vec; readonly dWoutU: Vec;
  readonly dO: Vec; readonly dS: Vec; readonly dX: Vec;
  /** Per head: dV, dK [H, R, dh], dq [H, dh], and their contributions to dX (cV, cK [H, R, d]) and to its last row (cq [H, d]). */
  readonly dV: Vec; readonly dK: Vec; readonly dq: Vec; readonly cV: Vec; readonly cK: Vec; readonly cq: Vec;
  readonly colTmp: Vec; readonly dBasePre: Vec;
  constructor(k: Kernels, params: Params, n: number) {
    const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = params.config;
    const R = 2 * p + 1;
    this.dlogits = k.alloc(n * p); this.dpre = k.alloc(n * m); this.dP = k.alloc(H * R * m);
    this.dOU = k.alloc(H * R * p); this.dWoutU = k.alloc(m * p); this.dBasePre = k.alloc(m);
    this.dO = k.alloc(H * R * d); this.dS = k.alloc(H * R); this.dX = k.alloc(R * d); this.colTmp = k.alloc(Math.max(d, m, p));
    this.dV = k.alloc(H * R * dh); this.dK = k.alloc(H * R * dh); this.dq = k.alloc(H * dh);
    this.cV = k.alloc(H * R * d); this.cK = k.alloc(H * R * d); this.cq = k.alloc(H * d);
  }
}

/**
 * Loss, accuracy and the gradient of the mean cross-entropy with respect to every parameter
 * (written into `grad`, a Params-shaped buffer; biases get their gradient too, whether trained or not).
 */
export function lossAndGrad(k: Kernels, params: Params, tables: Tables, batch: Batch, ws: Workspace,
                            gw: GradWorkspace, grad: Params, hooks?: Hooks): LossResult {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = params.config;
  const R = 2 * p + 1;
  const N = batch.n;
  const t = params.t, g = grad.t;
  // Forward with the unembedding folded in (as evalLogits), keeping the attention weights and
  // the MLP post-activations: one kernel (kernels.ts mlpLoss) unless an ablation hook intervenes.
  const abl = hooks?.ablation ?? null;
  const keep = abl ? k.alloc(N * abl.neurons.length) : null;
  let res: { lossSum: number; correct: number };
  if (abl) {
    mlpActivations(k, params, tables, batch, ws, false);
    applyAblation(N, m, ws.post, abl, keep);
    k.mixTokens(N, H, p, p, batch.a, batch.b, ws.w, tables.OU, tables.baseU, ws.logits, false, null);
    k.gemm(false, false, N, p, m, 1, ws.post, tables.WoutU, 1, ws.logits);
    res = k.crossEntropy(N, p, ws.logits, batch.target, gw.dlogits, 1 / N);
  } else {
    res = k.mlpLoss(N, H, p, m, batch.a, batch.b, tables.S, ws.w, tables.P, tables.basePre, ws.post,
                    tables.OU, tables.baseU, tables.WoutU, batch.target, gw.dlogits, 1 / N);
  }
  const { lossSum, correct } = res;
  const dl = gw.dlogits;

  // logits = baseU + Σ_h Σ_j w_hj·OU[h, tok_j] + relu(pre)·WoutU
  k.gemm(true, false, m, p, N, 1, ws.post, dl, 0, gw.dWoutU);
  const dBaseU = g['unembed.b_U'];
  k.colSum(N, p, dl, dBaseU, false);
  gw.dOU.fill(0); gw.dS.fill(0); gw.dP.fill(0);
  k.mixTokensBackward(N, H, p, p, batch.a, batch.b, ws.w, tables.OU, dl, gw.dOU, gw.dS);
  // post = relu(pre), pre = basePre + Σ_h Σ_j w_hj·P[h, tok_j]; relu' is post > 0 (exactly where pre > 0).
  const dBasePre = gw.dBasePre;
  if (abl) {
    k.gemm(false, true, N, m, p, 1, dl, tables.WoutU, 0, gw.dpre);
    ablationBackward(N, m, gw.dpre, abl, keep!);
    k.reluBackward(N * m, ws.post, gw.dpre);
    k.mixTokensBackward(N, H, p, m, batch.a, batch.b, ws.w, tables.P, gw.dpre, gw.dP, gw.dS);
    k.colSum(N, m, gw.dpre, dBasePre, false);
  } else {
    k.mlpBackward(N, H, p, m, batch.a, batch.b, ws.w, tables.P, ws.post, dl, tables.WoutU, null, gw.dP, gw.dS, dBasePre);
  }
  g['blocks.0.mlp.b_in'].set(dBasePre);

  // The folded tables back to the weights:
  //   WoutU = W_out·W_U, OU = O·W_U, baseU = (baseR + b_out)·W_U + b_U, P = O·W_in, basePre = baseR·W_in + b_in.
  const WU = t['unembed.W_U'], gWU = g['unembed.W_U'];
  const Win = t['blocks.0.mlp.W_in'], gWin = g['blocks.0.mlp.W_in'];
  k.gemm(false, true, m, d, p, 1, gw.dWoutU, WU, 0, g['blocks.0.mlp.W_out']);
  k.gemm(true, false, d, p, m, 1, t['blocks.0.mlp.W_out'], gw.dWoutU, 0, gWU);
  k.gemm(true, false, d, p, H * R, 1, tables.O, gw.dOU, 1, gWU);
  k.gemm(true, false, d, p, 1, 1, tables.baseF, dBaseU, 1, gWU);
  const dBase = gw.colTmp.subarray(0, d);
  k.gemm(false, true, 1, d, p, 1, dBaseU, WU, 0, dBase);
  g['blocks.0.mlp.b_out'].set(dBase);
  k.gemm(true, false, d, m, 1, 1, tables.baseR, dBasePre, 0, gWin);
  k.gemm(true, false, d, m, H * R, 1, tables.O, gw.dP, 1, gWin);
  k.gemm(false, true, 1, d, m, 1, dBasePre, Win, 1, dBase);
  // dBase is now the gradient of baseR = x2 + b_O (x2 + b_O·M with the attention-output hook).
  const M = hooks?.attnOut ?? null;
  if (M) k.gemm(false, true, 1, d, d, 1, dBase, M, 0, g['blocks.0.attn.b_O']);
  else g['blocks.0.attn.b_O'].set(dBase);
  k.gemm(false, true, H * R, d, p, 1, gw.dOU, WU, 0, gw.dO);
  k.gemm(false, true, H * R, d, m, 1, gw.dP, Win, 1, gw.dO);
  // The tables hold O' = O·M: dO = dO'·Mᵀ.
  if (M) mapRows(k, H * R, d, gw.dO, M, true);

  // Per head: O = V·W_O, V = X·W_V + b_V, S = K·q/√dh, K = X·W_K + b_K, q = x2·W_Q + b_Q.
  const dX = gw.dX;
  dX.fill(0);
  const x2 = tables.X.subarray(2 * p * d, R * d);
  const dx2 = dX.subarray(2 * p * d, R * d);
  for (let j = 0; j < d; j++) dx2[j] = dBase[j];
  const scale = 1 / Math.sqrt(dh);
  // The heads' products are independent: each step runs for all heads at once (gemmBatch). Their
  // contributions to dX go to per-head buffers first and are added in the order (head by head:
  // V's, K's, then q's) in which a beta = 1 gemm would have accumulated them, with the same float
  // adds (acc + dX), so the bits are those of the head-by-head loop.
  const first: GemmCall[] = [], second: GemmCall[] = [];
  for (let h = 0; h < H; h++) {
    const Vh = head(tables.V, R * dh, h), Kh = head(tables.K, R * dh, h), qh = head(tables.q, dh, h);
    const dOh = head(gw.dO, R * d, h), dSh = head(gw.dS, R, h);
    const dV = head(gw.dV, R * dh, h), dK = head(gw.dK, R * dh, h), dq = head(gw.dq, dh, h);
    // O = V·W_O;  S = K·q·scale  →  dK = dS ⊗ q·scale,  dq = Kᵀ·dS·scale
    first.push([true, false, dh, d, R, 1, Vh, dOh, 0, head(g['blocks.0.attn.W_O'], dh * d, h)],
               [false, true, R, dh, d, 1, dOh, head(t['blocks.0.attn.W_O'], dh * d, h), 0, dV],
               [false, false, R, dh, 1, scale, dSh, qh, 0, dK],
               [true, false, dh, 1, R, scale, Kh, dSh, 0, dq]);
    // V = X·W_V + b_V;  K = X·W_K + b_K;  q = x2·W_Q + b_Q
    second.push([true, false, d, dh, R, 1, tables.X, dV, 0, head(g['blocks.0.attn.W_V'], d * dh, h)],
                [false, true, R, d, dh, 1, dV, head(t['blocks.0.attn.W_V'], d * dh, h), 0, head(gw.cV, R * d, h)],
                [true, false, d, dh, R, 1, tables.X, dK, 0, head(g['blocks.0.attn.W_K'], d * dh, h)],
                [false, true, R, d, dh, 1, dK, head(t['blocks.0.attn.W_K'], d * dh, h), 0, head(gw.cK, R * d, h)],
                [true, false, d, dh, 1, 1, x2, dq, 0, head(g['blocks.0.attn.W_Q'], d * dh, h)],
                [false, true, 1, d, dh, 1, dq, head(t['blocks.0.attn.W_Q'], d * dh, h), 0, head(gw.cq, d, h)]);
  }
  k.gemmBatch(first);
  k.gemmBatch(second);
  for (let h = 0; h < H; h++) {
    k.colSum(R, dh, head(gw.dV, R * dh, h), head(g['blocks.0.attn.b_V'], dh, h), false);
    k.colSum(R, dh, head(gw.dK, R * dh, h), head(g['blocks.0.attn.b_K'], dh, h), false);
    head(g['blocks.0.attn.b_Q'], dh, h).set(head(gw.dq, dh, h));
    k.addRow(1, R * d, dX, head(gw.cV, R * d, h));
    k.addRow(1, R * d, dX, head(gw.cK, R * d, h));
    k.addRow(1, d, dx2, head(gw.cq, d, h));
  }

  // X rows: W_E[tok] + W_pos[pos].
  const dWE = g['embed.W_E'], dWpos = g['pos_embed.W_pos'];
  dWpos.fill(0);
  for (let tok = 0; tok < p; tok++) {
    for (let j = 0; j < d; j++) {
      const g0 = dX[tok * d + j], g1 = dX[(p + tok) * d + j];
      dWE[tok * d + j] = g0 + g1;
      dWpos[j] += g0;
      dWpos[d + j] += g1;
    }
  }
  for (let j = 0; j < d; j++) { dWE[p * d + j] = dx2[j]; dWpos[2 * d + j] = dx2[j]; }
  return { loss: lossSum / N, acc: correct / N };
}
