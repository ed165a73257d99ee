import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { analyseAttention } from '../../../src/analysis/library/attention.js';
import { basisRows, f64Params, matmul, relClose, tiny } from '../further-helpers.js';

test('attention from "=" to a and to b over all p² inputs equals the plain softmax of q·k/√d_head; map fractions equal the float64 Fourier blocks', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 17, 1.2);
  const { p, dModel: d, nHeads: H, dHead: dh } = tiny;
  const r = analyseAttention(k, params);
  const t = params.t;
  const x = (tok: number, pos: number) => Array.from({ length: d }, (_, j) => t['embed.W_E'][tok * d + j] + t['pos_embed.W_pos'][pos * d + j]);
  const proj = (W: ArrayLike<number>, bias: ArrayLike<number>, h: number, v: number[]) =>
    Array.from({ length: dh }, (_, e) => v.reduce((s, vj, j) => s + vj * W[(h * d + j) * dh + e], bias[h * dh + e]));
  for (let h = 0; h < H; h++) {
    const q = proj(t['blocks.0.attn.W_Q'], t['blocks.0.attn.b_Q'], h, x(p, 2));
    const score = (v: number[]) => proj(t['blocks.0.attn.W_K'], t['blocks.0.attn.b_K'], h, v).reduce((s, ke, e) => s + ke * q[e], 0) / Math.sqrt(dh);
    let meanA = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      const s = [score(x(a, 0)), score(x(b, 1)), score(x(p, 2))];
      const e = s.map(Math.exp), z = e[0] + e[1] + e[2];
      assert.ok(Math.abs(r.toA[h * p * p + a * p + b] - e[0] / z) < 1e-12);
      assert.ok(Math.abs(r.toB[h * p * p + a * p + b] - e[1] / z) < 1e-12);
      meanA += e[0] / z / (p * p);
    }
    relClose(r.mean[h * 3], meanA, 1e-12, 'mean attention to a');
    // F = B·A·Bᵀ of the attention-to-a map, F[0][0] = 0, 3×3 blocks.
    const B = basisRows(p).flat();
    const F = matmul(matmul(B, r.toA.subarray(h * p * p, (h + 1) * p * p), p, p, p), Array.from({ length: p * p }, (_, i) => B[(i % p) * p + Math.floor(i / p)]), p, p, p);
    F[0] = 0;
    const tot = F.reduce((s, v) => s + v * v, 0);
    let best = 0, bestK = 0;
    for (let f = 1; f <= (p - 1) / 2; f++) {
      const I = [0, 2 * f - 1, 2 * f];
      const frac = I.reduce((s, i) => s + I.reduce((u, j) => u + F[i * p + j] ** 2, 0), 0) / tot;
      assert.ok(Math.abs(r.mapFrac[h * 3 + f - 1] - frac) < 1e-5, `head ${h} k=${f}: ${r.mapFrac[h * 3 + f - 1]} vs ${frac}`);
      if (frac > best) { best = frac; bestK = f; }
    }
    assert.equal(r.dominant[h], bestK);
    assert.ok(Math.abs(r.specialization[h] - best) < 1e-5);
  }
});

test('a head whose W_E·W_Q and W_E·W_K carry only frequency 2 puts all its QKᵀ and V·W_O energy at frequency 2 (closed form)', () => {
  const k = new ReferenceKernels('f64');
  const p = 11, d = 6, dh = 2;
  const params = f64Params({ p, dModel: d, nHeads: 1, dHead: dh, dMlp: 4, act: 'relu' }, 5, 0.3);
  const WE = params.t['embed.W_E'];
  for (let a = 0; a <= p; a++) for (let j = 0; j < d; j++) WE[a * d + j] = a === p ? 1 : j === 0 ? Math.cos((4 * Math.PI * a) / p) : j === 1 ? Math.sin((4 * Math.PI * a) / p) : 0;
  const r = analyseAttention(k, params);
  // Rows of W_E live in span{cos 2·, sin 2·}, so Q, K, V·W_O columns do too and QKᵀ = Σ of products of them.
  assert.ok(r.qkFrac[1] > 1 - 1e-9, `qk share at k=2: ${r.qkFrac[1]}`);
  assert.ok(r.voFrac[1] > 1 - 1e-9, `vo share at k=2: ${r.voFrac[1]}`);
  const sum = r.qkFrac.reduce((s, v) => s + v, 0);
  relClose(sum, 1, 1e-12, 'shares sum to 1');
});
