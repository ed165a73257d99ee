import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { gradientFlow } from '../../../src/analysis/library/gradient-flow.js';
import { makeBatch } from '../../../src/model/model.js';
import { basisRows, f64Params, fdGrad, matmul, plainLoss, relClose, tiny } from '../further-helpers.js';

const pairs = [0, 3, 5, 8, 11, 13, 17, 20, 22, 26, 30, 31, 35, 38, 41, 44, 46, 48];

/** MIScope's band energy of G = basis·M [p, cols]: sqrt(mean_c (G[2k−1,c]² + G[2k,c]²)), accumulated un-rooted. */
function bandPower(M: Float64Array, p: number, cols: number): number[] {
  const rows = basisRows(p).flat();
  const G = matmul(rows, M, p, p, cols);
  return Array.from({ length: (p - 1) / 2 }, (_, i) => {
    let s = 0;
    for (let c = 0; c < cols; c++) s += G[(2 * i + 1) * cols + c] ** 2 + G[(2 * i + 2) * cols + c] ** 2;
    return s / cols;
  });
}

test('gradient flow: per-neuron gradient norms and per-site Fourier gradient energy equal finite differences of the plain float64 model', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 11);
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = tiny;
  const gf = gradientFlow(k, params, makeBatch(p, pairs));
  relClose(gf.loss, plainLoss(params, pairs), 1e-12, 'loss');
  const gIn = fdGrad(params, 'blocks.0.mlp.W_in', pairs), gOut = fdGrad(params, 'blocks.0.mlp.W_out', pairs);
  let live = 0;
  for (let n = 0; n < m; n++) {
    let si = 0, so = 0;
    for (let j = 0; j < d; j++) { si += gIn[j * m + n] ** 2; so += gOut[n * d + j] ** 2; }
    if (si + so > 1e-12) live++;
    assert.ok(Math.abs(gf.neuronIn[n] - Math.sqrt(si)) < 1e-7, `neuron ${n} W_in grad ${gf.neuronIn[n]} vs ${Math.sqrt(si)}`);
    assert.ok(Math.abs(gf.neuronOut[n] - Math.sqrt(so)) < 1e-7, `neuron ${n} W_out grad`);
    assert.ok(Math.abs(gf.neuron[n] - Math.sqrt(si + so)) < 1e-7);
  }
  assert.ok(live >= 4, `only ${live} neurons have a gradient: the test would be vacuous`);
  const WE = params.t['embed.W_E'].subarray(0, p * d);
  const emb = bandPower(fdGrad(params, 'embed.W_E', pairs).subarray(0, p * d), p, d).map(Math.sqrt);
  const mlp = bandPower(matmul(WE, gIn, p, d, m), p, m).map(Math.sqrt);
  const attnAcc = new Array<number>((p - 1) / 2).fill(0);
  for (const X of ['blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V'] as const) {
    const g = fdGrad(params, X, pairs);
    for (let h = 0; h < H; h++) bandPower(matmul(WE, g.subarray(h * d * dh, (h + 1) * d * dh), p, d, dh), p, dh).forEach((v, i) => { attnAcc[i] += v; });
  }
  const attn = attnAcc.map((v) => Math.sqrt(v / (3 * H)));
  for (let i = 0; i < (p - 1) / 2; i++) {
    relClose(gf.energy.embedding[i], emb[i], 1e-6, `embedding energy k=${i + 1}`);
    relClose(gf.energy.attention[i], attn[i], 1e-6, `attention energy k=${i + 1}`);
    relClose(gf.energy.mlp[i], mlp[i], 1e-6, `mlp energy k=${i + 1}`);
  }
  relClose(gf.magnitude.mlp, Math.hypot(...mlp), 1e-6, 'mlp magnitude');
});
