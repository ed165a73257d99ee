import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EFFDIM_CROSSOVER, prCrossOver, type EffdimCrossover } from '../../src/analysis/analyzers/effdim-crossover.js';
import { analyseRuns } from '../../src/analysis/pipeline.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { Store } from '../../src/store/store.js';
import { randomParams, smallConfig } from './helpers.js';

test('PR crossover: the first W_out ≤ W_in after W_out rose above W_in (MIScope), the plain first ≤, and never', () => {
  const e = [0, 100, 200, 300, 400];
  assert.deepEqual(prCrossOver(e, [5, 5, 5, 5, 5], [5, 6, 7, 5, 4], [9, 8, 7, 6, 5]),
    { cross_over_epoch: 300, crossover_W_E_pr: 6, first_at_or_below_epoch: 0, rose_above_epoch: 100, checkpoints: 5 });
  assert.deepEqual(prCrossOver(e, [5, 5, 5, 5, 5], [6, 7, 8, 9, 9]),
    { cross_over_epoch: null, crossover_W_E_pr: null, first_at_or_below_epoch: null, rose_above_epoch: 0, checkpoints: 5 });
  assert.deepEqual(prCrossOver(e, [5, 5, 5, 5, 5], [4, 4, 3, 3, 2]),
    { cross_over_epoch: null, crossover_W_E_pr: null, first_at_or_below_epoch: 0, rose_above_epoch: null, checkpoints: 5 });
});

test('effective_dimensionality_crossover through the pipeline: weights with known participation ratios give the constructed crossover', async () => {
  // W_in = [diag(1,1,1,1) | 0] has PR 4; W_out = [diag(1 × r) ; 0] has PR r (r equal singular values);
  // W_E has 5 equal singular values (PR 5). r over the checkpoints: 3, 8, 6, 2, 3 → W_out rises
  // above W_in at 100 and falls to or below it at 300.
  const c = smallConfig(11, 16, 32);
  const rs = [3, 8, 6, 2, 3], epochs = [0, 100, 200, 300, 400];
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-crossover-'));
  const store = Store.open(dir);
  try {
    store.createRun({ run_id: 'x', p: c.p, seed: 1, data_seed: 598, epochs: 400, config_json: JSON.stringify(c), engine: 'test', source: 'test' });
    mkdirSync(store.checkpointDir('x'), { recursive: true });
    epochs.forEach((epoch, i) => {
      const params = randomParams(c, i);
      const Win = params.t['blocks.0.mlp.W_in'], Wout = params.t['blocks.0.mlp.W_out'], WE = params.t['embed.W_E'];
      Win.fill(0); Wout.fill(0); WE.fill(0);
      for (let k = 0; k < 4; k++) Win[k * c.dMlp + k] = 1;
      for (let k = 0; k < rs[i]; k++) Wout[k * c.dModel + k] = 1;
      for (let k = 0; k < 5; k++) WE[k * c.dModel + k] = 2;
      const path = store.checkpointPath('x', epoch);
      saveCheckpoint(path, params, { epoch: String(epoch) });
      store.addCheckpoint('x', { epoch, step: epoch, path });
    });
    store.appendMetrics('x', epochs.map((epoch) => ({ epoch, train_loss: 1, train_acc: 0.5, test_loss: 2, test_acc: 0.1 })));
    const res = await analyseRuns(store, ['x'], { jobs: 1 });
    const s = res.runs[0].runSummaries[EFFDIM_CROSSOVER] as EffdimCrossover;
    assert.equal(s.cross_over_epoch, 300);
    assert.equal(s.rose_above_epoch, 100);
    assert.equal(s.first_at_or_below_epoch, 0);
    assert.equal(s.checkpoints, 5);
    assert.ok(Math.abs(s.crossover_W_E_pr! - 5) < 1e-9, `PR(W_E) ${s.crossover_W_E_pr}`);
    const stored = store.getAnalyses<EffdimCrossover>('x', EFFDIM_CROSSOVER);
    assert.equal(stored.at(-1)!.summary.cross_over_epoch, 300);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
