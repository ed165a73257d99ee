/**
 * Checkpoints name their activation in their metadata; grokbench computes ReLU only, so a file
 * that says anything else is refused (exit 2) instead of being computed as ReLU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GrokbenchError } from '../../src/core/errors.js';
import { inferModelConfig, paramsFromSafetensors } from '../../src/model/checkpoint.js';
import type { ModelConfig } from '../../src/config/config.js';
import { Params, paramShapes } from '../../src/model/params.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { type RawTensor, assembleSafetensors, f32Bytes } from '../helpers/independent-safetensors.js';

const CFG: ModelConfig = { p: 5, dModel: 4, nHeads: 1, dHead: 4, dMlp: 8, act: 'relu' };

function file(config: Record<string, unknown> | string | undefined) {
  const params = Params.zeros(CFG, (n) => new Float32Array(n).fill(0.5));
  const t: Record<string, RawTensor> = {};
  for (const { name, shape } of paramShapes(CFG)) t[name] = { dtype: 'F32', shape, bytes: f32Bytes(params.t[name]) };
  const md = config === undefined ? undefined : { config: typeof config === 'string' ? config : JSON.stringify(config) };
  return decodeSafetensors(assembleSafetensors(t, md), 'ck.safetensors');
}

const refusesGelu = (fn: () => unknown) => assert.throws(fn, (err: unknown) =>
  err instanceof GrokbenchError && err.exitCode === 2 && /ck\.safetensors: activation "gelu" is not supported; grokbench computes relu only/.test(err.message));

test('a checkpoint whose metadata config says gelu (act or act_fn) is refused, not computed as relu', () => {
  refusesGelu(() => inferModelConfig(file({ act: 'gelu' }), 'ck.safetensors'));
  refusesGelu(() => inferModelConfig(file({ act_fn: 'gelu' }), 'ck.safetensors'));
  // Also when the caller supplies the shapes (resume, import's second pass).
  refusesGelu(() => paramsFromSafetensors(file({ act: 'gelu' }), 'ck.safetensors', CFG));
  refusesGelu(() => paramsFromSafetensors(file({ act: 'relu' }), 'ck.safetensors', { ...CFG, act: 'gelu' }));
});

test('relu, no activation, and metadata that is not JSON load as relu', () => {
  for (const md of [{ act: 'relu' }, { act_fn: 'relu' }, {}, undefined, 'not json']) {
    const loaded = paramsFromSafetensors(file(md), 'ck.safetensors');
    assert.equal(loaded.config.act, 'relu');
    assert.equal(loaded.params.t['embed.W_E'][0], 0.5);
  }
});
