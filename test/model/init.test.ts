import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/native.js';
import { initParams, initStd } from '../../src/model/init.js';
import { PARAM_NAMES, isWeight } from '../../src/model/params.js';
import type { InitOrder, ModelConfig } from '../../src/config/config.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';

const FIX = join(packageRoot(), 'test', 'fixtures', 'torch');
const initFixtures = readdirSync(FIX).filter((n) => n.startsWith('init-') && n.endsWith('.safetensors')).sort();

test('the PyTorch init fixtures include p=113 and p=101 with seed 999 at the default dimensions', () => {
  assert.ok(initFixtures.includes('init-p113-s999-d128.safetensors'));
  assert.ok(initFixtures.includes('init-p101-s999-d128.safetensors'));
  assert.ok(initFixtures.includes('init-p7-s3-d12-tl1.safetensors'));
});

for (const name of initFixtures) {
  test(`initParams reproduces PyTorch's initial weights bit for bit in TransformerLens's draw order: ${name}`, (t) => {
    const f = readSafetensorsFile(join(FIX, name));
    const m = f.metadata;
    const order = m.init_order as InitOrder;
    assert.ok(order === 'tl2' || order === 'tl1', `fixture names its draw order (${order})`);
    const config: ModelConfig = {
      p: Number(m.p), dModel: Number(m.d_model), nHeads: Number(m.n_heads), dHead: Number(m.d_head),
      dMlp: Number(m.d_mlp), act: 'relu',
    };
    const params = initParams(config, Number(m.seed), order);
    let same = 0, total = 0, maxDiff = 0;
    for (const pname of PARAM_NAMES) {
      assert.deepEqual(f.info(pname).shape.reduce((x, y) => x * y, 1), params.t[pname].length, pname);
      const ref = f.getFloat32(pname);
      const got = params.t[pname];
      for (let i = 0; i < ref.length; i++) {
        total++;
        if (Object.is(ref[i], got[i])) same++;
        maxDiff = Math.max(maxDiff, Math.abs(ref[i] - got[i]));
      }
    }
    t.diagnostic(`${same}/${total} values bit-identical (${((100 * same) / total).toFixed(3)}%), max |diff| ${maxDiff}`);
    assert.equal(maxDiff, 0);
    assert.equal(same, total);
  });
}

test('initParams: biases zero, weights with the gpt2 init spread, different seeds differ', () => {
  const config: ModelConfig = { p: 31, dModel: 32, nHeads: 2, dHead: 8, dMlp: 64, act: 'relu' };
  const a = initParams(config, 1);
  const b = initParams(config, 2);
  for (const name of PARAM_NAMES) {
    if (!isWeight(name)) {
      assert.ok(a.t[name].every((v) => v === 0), `${name} is zero`);
      continue;
    }
    const v = a.t[name];
    let s2 = 0;
    for (const x of v) s2 += x * x;
    const std = Math.sqrt(s2 / v.length);
    assert.ok(Math.abs(std / initStd(32) - 1) < 0.25, `${name} std ${std}`);
    assert.notDeepEqual(a.t[name], b.t[name]);
  }
  assert.deepEqual(initParams(config, 1).flat, a.flat);
});

test('the two TransformerLens draw orders give the same W_E, W_pos and W_Q and different W_K, W_V, W_O', () => {
  const config: ModelConfig = { p: 13, dModel: 16, nHeads: 2, dHead: 8, dMlp: 32, act: 'relu' };
  const tl2 = initParams(config, 999, 'tl2'), tl1 = initParams(config, 999, 'tl1');
  assert.equal(initParams(config, 999).flat.every((v, i) => v === tl2.flat[i]), true, 'tl2 is the default');
  for (const n of ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.attn.W_Q'] as const) assert.deepEqual(tl2.t[n], tl1.t[n], n);
  for (const n of ['blocks.0.attn.W_K', 'blocks.0.attn.W_V', 'blocks.0.attn.W_O'] as const) assert.notDeepEqual(tl2.t[n], tl1.t[n], n);
  // W_in, W_out and W_U come after the four attention tensors, which have the same total size in both orders.
  for (const n of ['blocks.0.mlp.W_in', 'blocks.0.mlp.W_out', 'unembed.W_U'] as const) assert.deepEqual(tl2.t[n], tl1.t[n], n);
});
