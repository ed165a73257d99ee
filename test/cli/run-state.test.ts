/**
 * Run states that tell the truth, through the real command line: a run is `training` only while a
 * live process holds its lock; SIGKILLed it is `interrupted` with a provisional outcome (no class);
 * a trainer stopped by an error is `failed` with the error; trained to its horizon it is `done`
 * with a class again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli as cli } from '../helpers/cli.js';

const SMALL = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1'];

interface RunJson { run_id: string; status: string; error?: string; epochs_done: number; outcome: { performance_classification: string | null; provisional?: { classification: string | null; epoch: number; epochs: number; state: string } } | null }
const runs = (store: string): RunJson[] => JSON.parse(cli(['runs', '--store', store, '--json']).stdout);

test('training while a live process holds the lock, interrupted after SIGKILL (provisional outcome), failed with its error, done when trained to the end', async () => {
  const store = mkdtempSync(join(tmpdir(), 'grokbench-state-'));
  const epochs = 6000;
  const args = [...SMALL, '--epochs', String(epochs), '--checkpoint-every', '200'];
  const child = spawn(process.execPath, [BIN, 'train', '--store', store, ...args, '--progress-jsonl'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0, whileTraining: RunJson[] | null = null;
  const exit = await new Promise<{ signal: NodeJS.Signals | null }>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const epoch = (JSON.parse(line) as { epoch: number }).epoch;
        if (++lines < 2 || whileTraining || epoch >= epochs) continue;
        whileTraining = runs(store);
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => resolve({ signal }));
  });
  assert.equal(exit.signal, 'SIGKILL', 'killed mid-run');
  assert.equal(whileTraining![0].status, 'training');

  const [r] = runs(store);
  assert.equal(r.status, 'interrupted');
  assert.ok(r.epochs_done > 0 && r.epochs_done < epochs, `${r.epochs_done}`);
  assert.equal(r.outcome!.performance_classification, null, 'no class for an unfinished run');
  assert.equal(r.outcome!.provisional!.state, 'interrupted');
  assert.equal(r.outcome!.provisional!.epochs, epochs);
  assert.ok(r.outcome!.provisional!.epoch > 0);
  const table = cli(['runs', '--store', store]).stdout;
  assert.match(table, /interrupted/);
  assert.match(table, /provisional \(interrupted\)/);
  const outcome = JSON.parse(cli(['outcome', '--store', store, '--json']).stdout) as RunJson[];
  assert.equal(outcome[0].status, 'interrupted');
  assert.equal(outcome[0].outcome!.performance_classification, null);
  // Nor is it classed in the stored `outcome` analysis the study and the views read.
  assert.ok(outcome[0].outcome!.provisional);

  // The trainer stops on an error (its checkpoints folder is a file now): failed, with that error.
  const ck = join(store, 'runs', r.run_id, 'checkpoints');
  renameSync(ck, ck + '.kept');
  writeFileSync(ck, 'not a folder');
  const bad = cli(['train', '--store', store, ...args]);
  assert.notEqual(bad.status, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  const [f] = runs(store);
  assert.equal(f.status, 'failed');
  assert.ok(f.error && f.error.length > 0 && bad.stderr.includes(f.error.slice(0, 20)), `${f.error} / ${bad.stderr}`);
  assert.match(cli(['runs', '--store', store]).stdout, new RegExp(`${r.run_id} failed: `));

  // Repaired and trained to its horizon: done, classed, the failure forgotten.
  rmSync(ck);
  renameSync(ck + '.kept', ck);
  assert.equal(cli(['train', '--store', store, ...args]).status, 0);
  const [d] = runs(store);
  assert.equal(d.status, 'done');
  assert.equal(d.error, undefined);
  assert.equal(d.epochs_done, epochs);
  assert.notEqual(d.outcome!.performance_classification, null);
  assert.equal(d.outcome!.provisional, undefined);
  assert.equal(existsSync(join(store, 'runs', r.run_id, 'failure.json')), false);
});
