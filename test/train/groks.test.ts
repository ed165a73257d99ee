/**
 * Known behaviour: a small preset really groks. p=31 with 70% of the pairs for training, lr 3e-3,
 * d_mlp 256: it memorises within about 50 epochs and its test loss falls below 0.01 at about
 * epoch 280 (measured), long after memorisation, with test accuracy ≥ 99%.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKernels } from '../../src/engine/index.js';
import { DEFAULTS } from '../../src/model/config.js';
import { Store } from '../../src/store/store.js';
import { train } from '../../src/train/trainer.js';

test('a small preset memorises first and groks later (test accuracy ≥ 0.99)', () => {
  const store = Store.open(mkdtempSync(join(tmpdir(), 'grokbench-groks-')));
  try {
    const config = { ...DEFAULTS, p: 31, fracTrain: 0.7, lr: 3e-3, dMlp: 256, epochs: 600, checkpointEvery: 100 };
    const r = train(store, loadKernels({ threads: 1 }), config);
    assert.ok(r.memorise_epoch !== null && r.memorise_epoch < 150, `memorised at ${r.memorise_epoch}`);
    assert.ok(r.grok_epoch !== null, 'test loss fell below 0.01');
    assert.ok(r.grok_epoch > r.memorise_epoch + 50, `grokking (${r.grok_epoch}) comes well after memorisation (${r.memorise_epoch})`);
    assert.ok((r.final.test_acc ?? 0) >= 0.99, `final test accuracy ${r.final.test_acc}`);
    const metrics = store.getMetrics(r.run_id);
    const atMemorise = metrics[r.memorise_epoch];
    assert.ok((atMemorise.test_acc ?? 1) < 0.9, `test accuracy at memorisation is still low (${atMemorise.test_acc})`);
  } finally {
    store.close();
  }
});
