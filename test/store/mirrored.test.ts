/** MirroredStore: every change the trainer makes reaches the database and then the run's folder, which then holds the same row, checkpoints and metrics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirroredStore, RunFolderStore } from '../../src/store/run-folder.js';
import { Store } from '../../src/store/store.js';

test('the folder of a mirrored run holds exactly the database row, checkpoint index and metrics after every change, from a store with no run folder yet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-mirror-'));
  const store = Store.open(dir);
  const s = new MirroredStore(store), folder = new RunFolderStore(dir);
  s.createRun({ run_id: 'r', p: 7, seed: 1, data_seed: 2, epochs: 300, config_json: '{}', engine: 'x', source: 'grokbench' });
  const same = () => {
    assert.deepEqual(folder.getRun('r'), store.getRun('r'));
    assert.deepEqual(folder.listCheckpoints('r'), store.listCheckpoints('r'));
    assert.deepEqual(folder.getMetrics('r'), store.getMetrics('r'));
  };
  same();
  s.updateRun('r', { status: 'training' });
  same();
  for (let c = 0; c < 3; c++) {
    const metrics = Array.from({ length: 100 }, (_, i) => ({ epoch: c * 100 + i + 1, train_loss: 1 / (i + 1), train_acc: 0.5, test_loss: c + i / 100, test_acc: 0.25 }));
    s.commitProgress('r', { metrics, epochsDone: c * 100 + 100, checkpoint: { epoch: c * 100 + 100, step: c * 100 + 100, path: store.checkpointPath('r', c * 100 + 100) } });
    same();
  }
  // A resume from epoch 100: rows and checkpoints after it go, in both.
  s.deleteMetricsAfter('r', 100);
  s.deleteCheckpointsAfter('r', 100);
  s.updateRun('r', { epochs_done: 100 });
  same();
  assert.equal(folder.getMetrics('r').length, 100);
  store.close();
});
