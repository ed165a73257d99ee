/** `grokbench sweep --intervention FILE` through the real command line, on a tiny config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/native.js';

const BIN = join(packageRoot(), 'bin', 'grokbench');

test('sweep --intervention trains every run of the grid as an intervention sub-run with its provenance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-sweep-iv-'));
  try {
    const file = join(packageRoot(), 'examples', 'interventions', 'blob-init-16.json');
    const args = ['sweep', '--store', dir, '--primes', '31', '--seeds', '1,2', '--epochs', '20', '--d-model', '32', '--n-heads', '2', '--d-head', '16',
      '--d-mlp', '64', '--checkpoint-every', '10', '--jobs', '1', '--threads-per-job', '1', '--no-analyze', '--intervention', file];
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const runs = JSON.parse(spawnSync(process.execPath, [BIN, 'runs', '--store', dir, '--json'], { encoding: 'utf8' }).stdout) as { run_id: string; status: string }[];
    assert.equal(runs.length, 2);
    for (const run of runs) {
      assert.match(run.run_id, /^p31-s[12]-[0-9a-f]{8}-iv-[0-9a-f]{8}$/);
      assert.equal(run.status, 'done');
      const j = JSON.parse(readFileSync(join(dir, 'runs', run.run_id, 'run.json'), 'utf8'));
      assert.equal(j.intervention.count, 16);
      assert.equal(j.parent_run_id, run.run_id.replace(/-iv-[0-9a-f]{8}$/, ''));
      const iv = JSON.parse(readFileSync(join(dir, 'runs', run.run_id, 'intervention.json'), 'utf8'));
      assert.equal(iv.epoch0_neurons.length, 16);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
