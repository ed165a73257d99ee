/** `grokbench analyze` through the real command line on a tiny store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { Store } from '../../src/store/store.js';
import { randomParams, smallConfig } from '../analysis/helpers.js';
import { TS_ENGINE, runCli } from '../helpers/cli.js';


const cli = (args: string[]) => runCli(args, TS_ENGINE);

test('analyze analyses all runs once, then nothing new; --json is one document with per-run results', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-analyze-cli-'));
  try {
    const store = Store.open(dir);
    const c = smallConfig(11, 16, 32);
    for (const runId of ['run-a', 'run-b']) {
      store.createRun({ run_id: runId, p: 11, seed: 1, data_seed: 2, epochs: 100, config_json: JSON.stringify(c), engine: 't', source: 't' });
      mkdirSync(store.checkpointDir(runId), { recursive: true });
      for (const epoch of [0, 100]) {
        saveCheckpoint(store.checkpointPath(runId, epoch), randomParams(c, epoch + runId.length), {});
        store.addCheckpoint(runId, { epoch, step: epoch, path: store.checkpointPath(runId, epoch) });
      }
      store.appendMetrics(runId, [{ epoch: 0, train_loss: 4, train_acc: 0.1, test_loss: 4, test_acc: 0.1 },
        { epoch: 100, train_loss: 0.1, train_acc: 1, test_loss: 0.005, test_acc: 1 }]);
    }
    store.close();
    const first = cli(['analyze', '--store', dir, '--json', '--jobs', '2']);
    assert.equal(first.status, 0, first.stderr);
    const doc = JSON.parse(first.stdout);
    assert.equal(doc.checkpoints_analysed, 4);
    assert.deepEqual(doc.runs.map((r: { run_id: string }) => r.run_id), ['run-a', 'run-b']);
    assert.equal(doc.runs[0].grokking.grok_epoch, 100);
    assert.equal(doc.runs[0].last.epoch, 100);
    assert.equal(typeof doc.runs[0].last.mean_coarseness, 'number');
    const again = cli(['analyze', 'run-b', '--store', dir, '--json']);
    assert.equal(JSON.parse(again.stdout).checkpoints_analysed, 0);
    const human = cli(['analyze', '--store', dir]);
    assert.equal(human.status, 0);
    assert.match(human.stdout, /analysed 0 checkpoint\(s\)/);
    assert.match(human.stdout, /run-a\s+2\s+0\s/);
    const unknown = cli(['analyze', 'nope', '--store', dir]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^grokbench: no run nope/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
