/**
 * `grokbench repair`, through the real command line: a store whose database is garbled or deleted
 * is rebuilt from its run folders, and `runs`, `metrics` and `outcome --json` print what they
 * printed before (a finished and analysed run, an interrupted one, an imported-style folder seeded
 * from the database); the damaged database is kept aside, not deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli as cli } from '../helpers/cli.js';

const SMALL = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1'];

function ok(args: string[]): string {
  const r = cli(args);
  assert.equal(r.status, 0, `grokbench ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Snapshot { runs: string; metrics: Record<string, string>; outcome: string }
function snapshot(store: string): Snapshot {
  const runs = ok(['runs', '--store', store, '--json']);
  const ids = (JSON.parse(runs) as { run_id: string }[]).map((r) => r.run_id);
  return { runs, metrics: Object.fromEntries(ids.map((id) => [id, ok(['metrics', id, '--store', store, '--json'])])), outcome: ok(['outcome', '--store', store, '--json']) };
}

async function interruptedRun(store: string): Promise<void> {
  const epochs = 6000;
  const child = spawn(process.execPath, [BIN, 'train', '--store', store, ...SMALL, '--seed', '7', '--epochs', String(epochs), '--checkpoint-every', '200', '--progress-jsonl'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0, killed = false;
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        if (++lines < 3 || killed || (JSON.parse(line) as { epoch: number }).epoch >= epochs) continue;
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', () => resolve());
  });
  assert.ok(killed, 'the run was killed mid-training');
}

test('repair rebuilds a garbled, then a deleted, database from the run folders: runs, metrics and outcome --json are what they were', async () => {
  const store = mkdtempSync(join(tmpdir(), 'grokbench-repair-'));
  ok(['train', '--store', store, ...SMALL, '--epochs', '300', '--checkpoint-every', '50']);
  ok(['analyze', '--store', store, '--jobs', '1']);
  await interruptedRun(store);
  const before = snapshot(store);
  const killedId = (JSON.parse(before.runs) as { run_id: string; status: string }[]).find((r) => r.status === 'interrupted')!.run_id;
  // A kill can land between a commit to the database and its copy into the folder (a few ms in every
  // 200 epochs): the folder is then one commit behind, an earlier consistent state, and so is the rebuild.
  const folderDone = (JSON.parse(readFileSync(join(store, 'runs', killedId, 'progress.json'), 'utf8')) as { run: { epochs_done: number } }).run.epochs_done;
  const dbDone = (JSON.parse(before.runs) as { run_id: string; epochs_done: number }[]).find((r) => r.run_id === killedId)!.epochs_done;
  assert.ok(folderDone === dbDone || folderDone === dbDone - 200, `folder ${folderDone}, database ${dbDone}`);
  const same = (after: Snapshot): void => {
    if (folderDone === dbDone) { assert.deepEqual(after, before); return; }
    const a = JSON.parse(after.metrics[killedId]) as unknown[], b = JSON.parse(before.metrics[killedId]) as unknown[];
    assert.ok(a.length > 0 && a.length < b.length);
    assert.deepEqual(a, b.slice(0, a.length), 'the rebuilt metrics are a prefix');
    for (const id of Object.keys(before.metrics)) if (id !== killedId) assert.equal(after.metrics[id], before.metrics[id]);
  };
  const states = (JSON.parse(before.runs) as { status: string }[]).map((r) => r.status).sort();
  assert.deepEqual(states, ['done', 'interrupted']);

  // Garbled: the first pages overwritten. Reading it is a one-line error; repair moves it aside and rebuilds.
  const db = join(store, 'grokbench.sqlite');
  const fd = openSync(db, 'r+');
  writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 0);
  closeSync(fd);
  const broken = cli(['runs', '--store', store]);
  assert.notEqual(broken.status, 0);
  assert.equal(broken.stderr.trim().split('\n').length, 1, broken.stderr);
  const r1 = JSON.parse(ok(['repair', '--store', store, '--jobs', '1', '--json']));
  assert.ok(r1.set_aside && existsSync(r1.set_aside), 'the damaged database is kept aside');
  assert.equal(r1.rebuilt.length, 2);
  assert.equal(r1.reanalysed.length, 1);
  assert.equal(r1.checkpoints_resummarised + r1.checkpoints_computed, 7, 'every checkpoint (epochs 0, 50, …, 300) analysed again');
  same(snapshot(store));

  // Deleted: the same.
  for (const f of readdirSync(store)) if (f.startsWith('grokbench.sqlite')) rmSync(join(store, f));
  const r2 = JSON.parse(ok(['repair', '--store', store, '--jobs', '1', '--json']));
  assert.equal(r2.set_aside, null);
  assert.equal(r2.rebuilt.length, 2);
  same(snapshot(store));

  // An intact database: nothing to do, nothing changes.
  const r3 = JSON.parse(ok(['repair', '--store', store, '--json']));
  assert.deepEqual([r3.rebuilt.length, r3.unchanged.length, r3.set_aside], [0, 2, null]);
  same(snapshot(store));

  // The interrupted run resumes from the rebuilt store and finishes.
  const id = killedId;
  ok(['train', '--store', store, ...SMALL, '--seed', '7', '--epochs', '6000', '--checkpoint-every', '200']);
  assert.equal((JSON.parse(ok(['runs', '--store', store, '--json'])) as { run_id: string; status: string }[]).find((r) => r.run_id === id)!.status, 'done');
});
