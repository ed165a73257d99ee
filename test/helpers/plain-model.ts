/**
 * The plain three-position transformer of docs/design.md §1, written independently of src/model:
 * full causal attention over [a, b, =], then the MLP and unembedding at every position, in float64.
 * Tests compare grokbench's last-position model against its last-position logits.
 */
import type { Params } from '../../src/model/params.js';

/**
 * Optional interventions, applied where a hooked PyTorch model applies them: `attnOut` maps the
 * attention output (hook_attn_out, b_O included) of each position; `post` replaces the listed
 * neurons' post-activations by constants.
 */
export interface PlainHooks { attnOut?: (x: number[]) => number[]; post?: Map<number, number> }

export function plainLogits(params: Params, a: number, b: number, hooks: PlainHooks = {}): Float64Array {
  const c = params.config;
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = c;
  const t = params.t;
  const toks = [a, b, p];
  const x: number[][] = toks.map((tok, pos) => Array.from({ length: d }, (_, j) => t['embed.W_E'][tok * d + j] + t['pos_embed.W_pos'][pos * d + j]));
  const proj = (W: Float32Array | Float64Array, bias: Float32Array | Float64Array, h: number, v: number[]) =>
    Array.from({ length: dh }, (_, e) => {
      let s = bias[h * dh + e];
      for (let j = 0; j < d; j++) s += v[j] * W[(h * d + j) * dh + e];
      return s;
    });
  const resid = x.map((r) => r.slice());
  for (let pos = 0; pos < 3; pos++) {
    const out = new Array(d).fill(0).map((_, j) => t['blocks.0.attn.b_O'][j]);
    for (let h = 0; h < H; h++) {
      const q = proj(t['blocks.0.attn.W_Q'], t['blocks.0.attn.b_Q'], h, x[pos]);
      const scores: number[] = [];
      for (let s = 0; s <= pos; s++) {
        const kk = proj(t['blocks.0.attn.W_K'], t['blocks.0.attn.b_K'], h, x[s]);
        scores.push(q.reduce((acc, qe, e) => acc + qe * kk[e], 0) / Math.sqrt(dh));
      }
      const mx = Math.max(...scores);
      const ex = scores.map((s) => Math.exp(s - mx));
      const z = ex.reduce((u, v) => u + v, 0);
      const z2 = new Array(dh).fill(0);
      for (let s = 0; s <= pos; s++) {
        const vv = proj(t['blocks.0.attn.W_V'], t['blocks.0.attn.b_V'], h, x[s]);
        for (let e = 0; e < dh; e++) z2[e] += (ex[s] / z) * vv[e];
      }
      for (let j = 0; j < d; j++) for (let e = 0; e < dh; e++) out[j] += z2[e] * t['blocks.0.attn.W_O'][(h * dh + e) * d + j];
    }
    const hooked = hooks.attnOut ? hooks.attnOut(out) : out;
    for (let j = 0; j < d; j++) resid[pos][j] += hooked[j];
  }
  const r = resid[2];
  const f = r.slice();
  for (let n = 0; n < m; n++) {
    let pre = t['blocks.0.mlp.b_in'][n];
    for (let j = 0; j < d; j++) pre += r[j] * t['blocks.0.mlp.W_in'][j * m + n];
    const post = hooks.post?.get(n) ?? Math.max(0, pre);
    if (post !== 0) for (let j = 0; j < d; j++) f[j] += post * t['blocks.0.mlp.W_out'][n * d + j];
  }
  for (let j = 0; j < d; j++) f[j] += t['blocks.0.mlp.b_out'][j];
  const logits = new Float64Array(p);
  for (let o = 0; o < p; o++) {
    let s = t['unembed.b_U'][o];
    for (let j = 0; j < d; j++) s += f[j] * t['unembed.W_U'][j * p + o];
    logits[o] = s;
  }
  return logits;
}

/** A deterministic pseudo-random filler for test tensors (independent of src/core/rng). */
export function fillRandom(v: Float32Array | Float64Array, seed: number, scale: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < v.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    v[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
}

/** Mean cross-entropy of pairs (pair index a·p + b), with the plain model, in float64. */
export function plainLoss(params: Params, indices: ArrayLike<number>): number {
  const p = params.config.p;
  let sum = 0;
  for (let i = 0; i < indices.length; i++) {
    const a = Math.floor(indices[i] / p), b = indices[i] % p;
    const logits = plainLogits(params, a, b);
    const max = Math.max(...logits);
    let z = 0;
    for (const l of logits) z += Math.exp(l - max);
    sum += max + Math.log(z) - logits[(a + b) % p];
  }
  return sum / indices.length;
}
