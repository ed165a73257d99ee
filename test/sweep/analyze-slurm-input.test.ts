/**
 * `grokbench analyze --executor slurm` refuses bad input with one line before it touches the store,
 * and says so in one line when Slurm's commands are missing (no Slurm needed for these).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_FILE } from '../../src/store/store.js';
import { runCli } from '../helpers/cli.js';

const MODEL = ['--d-model', '16', '--d-mlp', '32', '--n-heads', '2', '--d-head', '8', '--threads', '1'];
const hash = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test('analyze --executor slurm: bad input is one line, exit 2, and the store is untouched; without sbatch, one line and exit 1', () => {
  const store = mkdtempSync(join(tmpdir(), 'grokbench-analyze-slurm-input-'));
  try {
    const t = runCli(['train', '--p', '11', '--seed', '1', '--epochs', '200', '--checkpoint-every', '100', ...MODEL, '--store', store]);
    assert.equal(t.status, 0, t.stderr);
    const db = join(store, SQLITE_FILE);
    const before = hash(db);
    const listing = () => readdirSync(store).sort();
    const files = listing();
    const cases: [string[], RegExp][] = [
      [['analyze', 'no-such-run', '--executor', 'slurm'], /^grokbench: no run no-such-run in store /],
      [['analyze', '--executor', 'slurm', '--cpus-per-task', '0'], /^grokbench: .*--cpus-per-task must be at least 1/],
      [['analyze', '--executor', 'pbs'], /^grokbench: .*Allowed choices are local, slurm/],
      [['analyze', '--partition', 'debug'], /^grokbench: --partition needs --executor slurm\n$/],
      [['analyze', '--sbatch-arg=--qos=x'], /^grokbench: --sbatch-arg needs --executor slurm\n$/],
      [['analyze', '--executor', 'slurm', '--low-freqs', '0'], /^grokbench: .*--low-freqs must be at least 1/],
      [['analyze', '--slurm-plan', join(store, 'nope.json')], /^grokbench: no analysis plan /],
    ];
    for (const [args, pattern] of cases) {
      const r = runCli([...args, '--store', store]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(hash(db), before, `${args.join(' ')} changed the database`);
      assert.deepEqual(listing(), files, `${args.join(' ')} wrote into the store`);
    }
    // No Slurm on PATH: one line naming what is missing; the database is unchanged.
    const r = runCli(['analyze', '--executor', 'slurm', '--store', store], { PATH: '/nonexistent' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^grokbench: sbatch not found: --executor slurm needs Slurm's commands \(sbatch, squeue, scancel\) on PATH\n$/);
    assert.equal(hash(db), before);
    assert.ok(!existsSync(join(store, '.analyze.lock')), 'the lock was left behind');
  } finally { rmSync(store, { recursive: true, force: true }); }
});
