/**
 * The dashboard's read API over a real store made by the real command line: what a run page says
 * about a run that has not been analysed yet.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadKernels } from '../../src/engine/index.js';
import { DashboardData } from '../../src/server/api.js';
import { Store } from '../../src/store/store.js';
import { loadRunModel, loadRunOverview, overviewOfModel } from '../../src/views/model.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'grokbench-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('an unanalysed run reports d_mlp from its settings, no analysed epochs and only the views its metrics feed', () => {
  const r = runCli(['train', '--p', '11', '--epochs', '40', '--d-mlp', '24', '--checkpoint-every', '20', '--store', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const store = Store.open(dir, { readonly: true });
  try {
    const [run] = store.listRuns();
    const data = new DashboardData(store, 3, () => loadKernels({ quiet: true }));
    const j = data.runJson(run.run_id);
    assert.equal(j.d_mlp, 24, 'd_mlp from the settings, not 0');
    assert.deepEqual(j.epochs, [], 'no analysed checkpoint');
    assert.ok(j.checkpoints.length >= 2, `checkpoints ${j.checkpoints.join(',')}`);
    const names = j.views.map((v) => v.name);
    assert.ok(names.includes('training-curves'), names.join(','));
    assert.ok(!names.includes('coarseness'), 'no per-neuron view without analysis: ' + names.join(','));
  } finally { store.close(); }
});

test('the home table\'s overview of a run read on its own equals the one derived from its read model, analysed or not', () => {
  const r = runCli(['train', '--p', '11', '--seed', '2', '--epochs', '60', '--d-mlp', '24', '--checkpoint-every', '20', '--store', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const store = Store.open(dir);
  try {
    const analysed = store.listRuns().find((x) => x.seed === 2)!.run_id;
    const a = runCli(['analyze', analysed, '--store', dir, '--json']);
    assert.equal(a.status, 0, a.stderr);
    for (const run of store.listRuns()) {
      const alone = loadRunOverview(store, run.run_id), model = loadRunModel(store, run.run_id, 3);
      assert.deepEqual(alone, overviewOfModel(model), run.run_id);
      if (run.run_id === analysed) {
        assert.equal(alone.analysed, 4, 'epochs 0, 20, 40, 60 analysed');
        assert.ok(alone.keyFrequencies.length > 0 && alone.outcome !== null, 'key frequencies and the outcome of the analysed run');
      } else assert.equal(alone.analysed, 0);
    }
    const rows = new DashboardData(store, 3, () => loadKernels({ quiet: true })).homeRows();
    assert.equal(rows.find((x) => x.run_id === analysed)!.analysed, 4);
  } finally { store.close(); }
});

test('analysis keeps each run\'s overview in the store; the home rows read it until the run changes, then the run as it is', () => {
  const store = Store.open(dir);
  try {
    const analysed = store.listRuns().find((x) => x.seed === 2)!.run_id;
    const kept = store.currentRunOverviews().get(analysed);
    assert.ok(kept !== undefined, 'the analysis kept the overview');
    assert.deepEqual(JSON.parse(kept), JSON.parse(JSON.stringify(loadRunOverview(store, analysed))), 'the kept overview is the one computed now');
    // A doctored kept overview shows that the home rows come from it while it is current.
    const version = store.runVersion(analysed)!;
    store.putRunOverviews([{ runId: analysed, version, json: JSON.stringify({ ...JSON.parse(kept), keyFrequencies: [99] }) }]);
    const row = () => new DashboardData(store, 3, () => loadKernels({ quiet: true })).homeRows().find((x) => x.run_id === analysed)!;
    assert.deepEqual(row().key_frequencies, [99]);
    // The run changes (a new last test loss): its kept overview is stale and the row is computed from the store.
    const last = store.getMetrics(analysed).at(-1)!;
    store.appendMetrics(analysed, [{ ...last, test_loss: 1234.5 }]);
    assert.equal(store.currentRunOverviews().has(analysed), false);
    assert.equal(row().final_test_loss, 1234.5);
    assert.notDeepEqual(row().key_frequencies, [99]);
  } finally { store.close(); }
});
