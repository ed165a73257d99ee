/** `grokbench coarseness FILE` through the real command line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationMaps } from '../../src/analysis/library/activations.js';
import { coarsenessFromFractions, neuronFourier } from '../../src/analysis/library/coarseness.js';
import { summaryStats } from '../../src/math/summary.js';
import { ReferenceKernels } from '../../src/engine/index.js';
import { paramShapes } from '../../src/model/params.js';
import { type RawTensor, assembleSafetensors, attentionBuffers, f32Bytes } from '../helpers/independent-safetensors.js';
import { randomParams, smallConfig } from '../analysis/helpers.js';
import { TS_ENGINE, runCli } from '../helpers/cli.js';


const cli = (args: string[]) => runCli(args, TS_ENGINE);

test('coarseness --json of a TransformerLens-style file (written by an independent writer) has exactly the documented fields', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-coarseness-'));
  try {
    const c = smallConfig(11, 16, 32);
    const params = randomParams(c, 3);
    // Kill neuron 5 (a large negative bias keeps it below zero everywhere): it must come out flat.
    params.t['blocks.0.mlp.b_in'][5] = -100;
    const tensors: Record<string, RawTensor> = { ...attentionBuffers() };
    for (const { name, shape } of paramShapes(c)) tensors[name] = { dtype: 'F32', shape, bytes: f32Bytes(params.t[name]) };
    const file = join(dir, 'ck.safetensors');
    writeFileSync(file, assembleSafetensors(tensors, { epoch: '1200' }));
    const r = cli(['coarseness', file, '--json', '--low-freqs', '2']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ['p', 'low_freqs', 'epoch', 'coarseness', 'dominant_frequency', 'summary']);
    assert.equal(out.p, 11); assert.equal(out.low_freqs, 2); assert.equal(out.epoch, 1200);
    assert.equal(out.coarseness.length, 32); assert.equal(out.dominant_frequency.length, 32);
    assert.equal(out.coarseness[5], null); assert.equal(out.dominant_frequency[5], null);
    assert.equal(out.summary.num_flat_neurons, out.coarseness.filter((v: number | null) => v === null).length);
    // The same numbers as computing them here with the float64 engine.
    const k = new ReferenceKernels('f64');
    const nf = neuronFourier(k, activationMaps(k, params), 11, 32);
    const want = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, 32, 2);
    for (let n = 0; n < 32; n++) {
      if (Number.isNaN(want[n])) assert.equal(out.coarseness[n], null);
      else assert.ok(Math.abs(out.coarseness[n] - want[n]) < 1e-5, `neuron ${n}`);
    }
    assert.ok(Math.abs(out.summary.mean_coarseness - summaryStats(want).mean_coarseness!) < 1e-5);

    const zero = JSON.parse(cli(['coarseness', file, '--json', '--flat-as-zero']).stdout);
    assert.equal(zero.coarseness[5], 0);
    assert.equal(zero.summary.num_flat_neurons, 0);
    const human = cli(['coarseness', file]);
    assert.equal(human.status, 0);
    assert.match(human.stdout, /p=11, d_mlp=32, epoch 1200, K=3/);
    assert.match(human.stdout, / 5  flat k=-/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('coarseness reports bad input in one line with exit status 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-coarseness-'));
  try {
    const missing = cli(['coarseness', join(dir, 'none.safetensors')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^grokbench: .*no such file\n$/);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, Buffer.from('not a safetensors file at all'));
    const bad = cli(['coarseness', junk, '--json']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^grokbench: [^\n]*\n$/);
    const k0 = cli(['coarseness', junk, '--low-freqs', '0']);
    assert.equal(k0.status, 2);
    assert.match(k0.stderr, /^grokbench: .*--low-freqs/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
