/**
 * The figures of neuron_weight_fourier (views/figures/neuron-weight-fourier.ts) on a small real
 * store analysed by the real pipeline: the view builds through the catalog, every spec renders,
 * its tables are the stored summaries, and the artifact is the decomposition of the checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEURON_WEIGHT_FOURIER, type NeuronWeightFourierSummary } from '../../src/analysis/analyzers/neuron-weight-fourier.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { loadRunModel } from '../../src/views/model.js';
import { assertViewsRender, viewFixture } from './view-fixture.js';

const fx = viewFixture(['neuron-weight-fourier']);

test('neuron-weight-fourier has data once analysed, sits in the neurons tab, builds its two fx.figures and every spec renders', async () => {
  await assertViewsRender(fx, { 'neuron-weight-fourier': 'neurons' }, ['neuron-weight-fourier', 'neuron-weight-fourier-alignment']);
});

test('the heatmap\'s shares are the stored powers over their sums; the artifact\'s α at the last checkpoint is the DFT of θ = W_E[:p]·W_in written out', () => {
  const label = loadRunModel(fx.store, fx.runIds[0], 3).label, p = 13, K = 6;
  const rows = fx.store.getAnalyses<NeuronWeightFourierSummary>(fx.runIds[0], NEURON_WEIGHT_FOURIER);
  assert.deepEqual(rows.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  for (const r of rows) {
    const tot = r.summary.alpha_power.reduce((a, b) => a + b, 0);
    for (let k = 1; k <= K; k++) {
      const got = fx.figures[0].table.rows.find((x) => x[0] === label && x[1] === r.epoch && String(x[2]).startsWith('input') && x[3] === k)![4] as number;
      const want = r.summary.alpha_power[k - 1] / tot;
      assert.ok(Math.abs(got - want) <= 1e-3 * Math.max(want, 1e-9), `share at ${r.epoch}, k ${k}`);
    }
    const a = fx.figures[1].table.rows.find((x) => x[1] === r.epoch && String(x[2]).startsWith('mean |2φ'))![3] as number;
    assert.ok(Math.abs(a - r.summary.mean_phase_misalignment) <= 1e-3 * r.summary.mean_phase_misalignment);
  }
  const last = rows.at(-1)!, f = readSafetensorsFile(last.path!);
  const params = loadCheckpoint(fx.store.checkpointPath(fx.runIds[0], last.epoch)).params, { dModel: d, dMlp: m } = params.config;
  assert.deepEqual(f.info('alpha_mk').shape, [m, K]);
  assert.deepEqual(Array.from(f.getFloat64('freq_indices')), [1, 2, 3, 4, 5, 6]);
  const alpha = f.getFloat64('alpha_mk'), WE = params.t['embed.W_E'], Win = params.t['blocks.0.mlp.W_in'];
  for (const n of [0, 7, m - 1]) for (let k = 1; k <= K; k++) {
    let sn = 0, cs = 0;
    for (let t = 0; t < p; t++) {
      let th = 0;
      for (let j = 0; j < d; j++) th += WE[t * d + j] * Win[j * m + n];
      sn += th * Math.sin((2 * Math.PI * k * t) / p); cs += th * Math.cos((2 * Math.PI * k * t) / p);
    }
    const want = Math.sqrt(2 / p) * Math.hypot(sn, cs);
    assert.ok(Math.abs(alpha[n * K + k - 1] - want) <= 1e-5 * Math.max(want, 1e-3), `α neuron ${n} k ${k}: ${alpha[n * K + k - 1]} vs ${want}`);
  }
});
