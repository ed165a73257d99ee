/**
 * A run's version moves with every change to any of its rows, by whatever writes the store (SQLite
 * triggers), and a kept overview is current exactly while the version it was computed at is the
 * run's version: what lets the dashboard read 1,000 runs' home rows in one query.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE, Store, type NewRun } from '../../src/store/store.js';

const run = (id: string): NewRun => ({ run_id: id, p: 7, seed: 1, data_seed: 598, epochs: 10, config_json: '{}', engine: 'test', source: 'test' });
const metric = (epoch: number) => ({ epoch, train_loss: 1, train_acc: 0.5, test_loss: 2, test_acc: 0.1 });

test('every change to a run\'s rows in any table moves its version, and only its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-version-'));
  const store = Store.open(dir);
  try {
    store.createRun(run('a'));
    store.createRun(run('b'));
    const seen = [store.runVersion('a')!];
    const b0 = store.runVersion('b');
    const changes: [string, () => void][] = [
      ['metrics appended', () => store.appendMetrics('a', [metric(0), metric(1)])],
      ['a metric replaced', () => store.appendMetrics('a', [{ ...metric(1), test_loss: 3 }])],
      ['checkpoint added', () => store.addCheckpoint('a', { epoch: 0, step: 0, path: join(dir, 'x.safetensors') })],
      ['analysis stored', () => store.putAnalysis('a', 0, 'outcome', {}, { x: 1 })],
      ['the same analysis redone', () => store.putAnalysis('a', 0, 'outcome', {}, { x: 2 })],
      ['run row updated', () => store.updateRun('a', { epochs_done: 1 })],
      ['metrics truncated', () => store.deleteMetricsAfter('a', 0)],
      ['checkpoints truncated', () => store.deleteCheckpointsAfter('a', -1)],
    ];
    for (const [what, change] of changes) {
      change();
      const v = store.runVersion('a')!;
      assert.ok(!seen.includes(v), `${what}: version ${v} already seen (${seen.join(', ')})`);
      seen.push(v);
    }
    assert.equal(store.runVersion('b'), b0, 'the other run keeps its version');
    assert.equal(store.runVersions()!.get('a'), seen[seen.length - 1]);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('a kept overview is current until its run changes, and goes with its run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-version-'));
  const store = Store.open(dir);
  try {
    store.createRun(run('a'));
    store.createRun(run('b'));
    store.putRunOverviews([
      { runId: 'a', version: store.runVersion('a')!, json: '{"n":1}' },
      { runId: 'b', version: store.runVersion('b')! - 1, json: '{"n":2}' },
    ]);
    assert.deepEqual([...store.currentRunOverviews()], [['a', '{"n":1}']], 'b\'s was computed at an older version');
    store.appendMetrics('a', [metric(0)]);
    assert.equal(store.currentRunOverviews().size, 0, 'a changed after its overview');
    store.putRunOverviews([{ runId: 'a', version: store.runVersion('a')!, json: '{"n":3}' }]);
    assert.equal(store.currentRunOverviews().get('a'), '{"n":3}');
    store.deleteRun('a');
    store.createRun(run('a'));
    assert.equal(store.currentRunOverviews().has('a'), false, 'a new run of the same id has no overview of the old one');
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('a read-only store from before versions has none and keeps no overview, and one opened for writing gets them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-version-'));
  let store = Store.open(dir);
  store.createRun(run('a'));
  store.close();
  // The store as an older grokbench left it: no version table, triggers or overviews.
  const db = new Database(join(dir, SQLITE_FILE));
  for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t.name}`);
  db.exec('DROP TABLE run_version; DROP TABLE run_overview;');
  db.close();
  try {
    store = Store.open(dir, { readonly: true });
    assert.equal(store.runVersion('a'), null);
    assert.equal(store.runVersions(), null);
    assert.equal(store.currentRunOverviews().size, 0);
    store.close();
    store = Store.open(dir);
    assert.equal(store.runVersion('a'), 0, 'unchanged since the store had versions');
    store.appendMetrics('a', [metric(0)]);
    assert.equal(store.runVersion('a'), 1);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});
