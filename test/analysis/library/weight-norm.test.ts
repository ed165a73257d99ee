/** Weight norms against closed forms and an independent sum; the analyzer's summary from its artifact equals the one it computed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightNorms } from '../../../src/analysis/library/weight-norm.js';
import { weightNormAnalyzer } from '../../../src/analysis/analyzers/weight-norm.js';
import { PARAM_NAMES, Params } from '../../../src/model/params.js';
import { decodeSafetensors, encodeSafetensors } from '../../../src/io/safetensors.js';
import { randomParams, smallConfig } from '../helpers.js';

test('a tensor of constant c with n values has norm |c|·√n; the total is the root of the sum of squares', () => {
  const c = smallConfig(11, 16, 32);
  const params = Params.zeros(c, (n) => new Float32Array(n));
  params.t['embed.W_E'].fill(2);
  params.t['blocks.0.mlp.W_in'].fill(-0.5);
  const n = weightNorms(params);
  assert.equal(n.perTensor['embed.W_E'], 2 * Math.sqrt(12 * 16));
  assert.equal(n.perTensor['blocks.0.mlp.W_in'], 0.5 * Math.sqrt(16 * 32));
  assert.equal(n.perTensor['unembed.W_U'], 0);
  const expected = Math.sqrt(4 * 12 * 16 + 0.25 * 16 * 32);
  assert.ok(Math.abs(n.total - expected) <= 1e-12 * expected);
});

test('random weights: every norm equals Math.hypot over the tensor, and the analyzer summary survives its artifact', () => {
  const c = smallConfig(13, 16, 32);
  const params = randomParams(c, 7);
  const n = weightNorms(params);
  for (const name of PARAM_NAMES) {
    const h = Math.hypot(...params.t[name]);
    assert.ok(Math.abs(n.perTensor[name] - h) <= 1e-12 * Math.max(h, 1e-300), name);
  }
  const out = weightNormAnalyzer.analyseCheckpoint({ checkpoint: { params, config: c } } as never);
  const summary = out.summary as Record<string, number>;
  assert.deepEqual(Object.keys(summary), ['total', 'W_E', 'W_pos', 'W_Q', 'W_K', 'W_V', 'W_O', 'W_in', 'W_out', 'W_U']);
  assert.ok(Math.abs(summary.total - Math.hypot(...PARAM_NAMES.map((x) => n.perTensor[x]))) <= 1e-12 * summary.total);
  const file = decodeSafetensors(Buffer.from(encodeSafetensors(out.tensors)), 'mem');
  assert.deepEqual(weightNormAnalyzer.summariseArtifact!(file, {} as never), summary);
});
