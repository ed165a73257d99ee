import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationMaps } from '../../../src/analysis/library/activations.js';
import { ReferenceKernels, loadKernels } from '../../../src/engine/index.js';
import type { Params } from '../../../src/model/params.js';
import { randomParams, smallConfig } from '../helpers.js';

/** The plain three-position model of docs/design.md §1 for one pair, written out: MLP post-activations at position 2. */
function plainMlpPost(params: Params, a: number, b: number): number[] {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = params.config;
  const t = params.t;
  const toks = [a, b, p];
  const x = toks.map((tok, pos) => Array.from({ length: d }, (_, j) => t['embed.W_E'][tok * d + j] + t['pos_embed.W_pos'][pos * d + j]));
  const proj = (v: number[], W: ArrayLike<number>, bias: ArrayLike<number>, h: number) =>
    Array.from({ length: dh }, (_, e) => { let s = bias[h * dh + e]; for (let j = 0; j < d; j++) s += v[j] * W[(h * d + j) * dh + e]; return s; });
  const r = [...x[2]];
  for (let j = 0; j < d; j++) r[j] += t['blocks.0.attn.b_O'][j];
  for (let h = 0; h < H; h++) {
    const q = proj(x[2], t['blocks.0.attn.W_Q'], t['blocks.0.attn.b_Q'], h);
    const ks = x.map((v) => proj(v, t['blocks.0.attn.W_K'], t['blocks.0.attn.b_K'], h));
    const vs = x.map((v) => proj(v, t['blocks.0.attn.W_V'], t['blocks.0.attn.b_V'], h));
    const sc = ks.map((k) => k.reduce((s, kv, e) => s + kv * q[e], 0) / Math.sqrt(dh));
    const mx = Math.max(...sc);
    const w = sc.map((s) => Math.exp(s - mx));
    const z = w.reduce((s, v) => s + v, 0);
    for (let e = 0; e < dh; e++) {
      const ze = vs.reduce((s, v, i) => s + (w[i] / z) * v[e], 0);
      for (let j = 0; j < d; j++) r[j] += ze * t['blocks.0.attn.W_O'][(h * dh + e) * d + j];
    }
  }
  return Array.from({ length: m }, (_, n) => {
    let s = t['blocks.0.mlp.b_in'][n];
    for (let j = 0; j < d; j++) s += r[j] * t['blocks.0.mlp.W_in'][j * m + n];
    return Math.max(0, s);
  });
}

function checkAgainstPlain(k: ReturnType<typeof loadKernels>): void {
  const c = smallConfig(7, 16, 24, 2, 8);
  const params = randomParams(c, 11, 0.4);
  const maps = activationMaps(k, params);
  assert.equal(maps.length, c.p * c.p * c.dMlp);
  let worst = 0, live = 0;
  for (let a = 0; a < c.p; a++) for (let b = 0; b < c.p; b++) {
    const want = plainMlpPost(params, a, b);
    for (let n = 0; n < c.dMlp; n++) {
      worst = Math.max(worst, Math.abs(maps[(a * c.p + b) * c.dMlp + n] - want[n]));
      if (want[n] > 0) live++;
    }
  }
  assert.ok(live > 0.2 * c.p * c.p * c.dMlp, 'the example has active neurons');
  assert.ok(worst < 1e-5, `max difference ${worst}`);
}

test('activation maps equal the plain three-position model at every pair, row a·p + b (TypeScript engine)', () => {
  checkAgainstPlain(new ReferenceKernels('f32'));
});

test('activation maps equal the plain model with the native engine', (t) => {
  const k = loadKernels({ quiet: true });
  if (k.name !== 'native') { t.skip('the native engine is not in use'); return; }
  checkAgainstPlain(k);
});
