/**
 * `grokbench verify` and damaged checkpoints in `analyze`, through the real command line: a store
 * as written verifies clean; a flipped byte and a deleted file are listed (exit 1); analysis skips
 * a damaged checkpoint, analyses every other one, names it and exits 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli } from '../helpers/cli.js';

const SMALL = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1'];

function flipByte(path: string): void {
  const b = readFileSync(path);
  b[b.length - 2] ^= 0x01; // a mantissa bit of the last value: the file still decodes to finite floats
  writeFileSync(path, b);
}

test('verify: a fresh store is clean (sha256sum -c agrees); a flipped byte and a missing checkpoint are listed with exit 1', () => {
  const store = mkdtempSync(join(tmpdir(), 'grokbench-verify-'));
  const t = cli(['train', '--store', store, ...SMALL, '--epochs', '40', '--checkpoint-every', '10', '--json']);
  assert.equal(t.status, 0, t.stderr);
  const id = JSON.parse(t.stdout).run_id as string;
  assert.equal(cli(['analyze', '--store', store, '--jobs', '1']).status, 0);
  const clean = cli(['verify', '--store', store, '--json']);
  assert.equal(clean.status, 0, clean.stderr);
  const c = JSON.parse(clean.stdout);
  assert.equal(c.runs, 1);
  assert.ok(c.files >= 5 + 1 + 5, `checkpoints, resume state and artifacts: ${c.files}`);
  assert.deepEqual([c.ok, c.damaged, c.missing, c.unchecked], [c.files, 0, 0, 0]);
  const ckDir = join(store, 'runs', id, 'checkpoints');
  const sums = spawnSync('sh', ['-c', 'sha256sum -c *.sha256'], { cwd: ckDir, encoding: 'utf8' });
  assert.equal(sums.status, 0, sums.stdout + sums.stderr);

  flipByte(join(ckDir, 'epoch-000020.safetensors'));
  rmSync(join(ckDir, 'epoch-000030.safetensors'));
  const bad = cli(['verify', '--store', store, '--json']);
  assert.equal(bad.status, 1);
  const b = JSON.parse(bad.stdout);
  assert.equal(b.damaged, 1);
  assert.equal(b.missing, 1);
  assert.deepEqual(b.problems.map((x: { epoch: number; state: string; kind: string }) => [x.kind, x.epoch, x.state]), [['checkpoint', 20, 'damaged'], ['checkpoint', 30, 'missing']]);
  const text = cli(['verify', '--store', store, id.slice(0, 6)]);
  assert.equal(text.status, 1);
  assert.match(text.stdout, /^damaged  .* checkpoint epoch 20: /m);
  assert.match(text.stdout, /1 damaged, 1 missing/);
});

test('analyze skips a damaged checkpoint, analyses the others, names it on stderr and exits 1; the store keeps its rows', () => {
  const store = mkdtempSync(join(tmpdir(), 'grokbench-verify-'));
  const t = cli(['train', '--store', store, ...SMALL, '--epochs', '50', '--checkpoint-every', '10', '--json']);
  assert.equal(t.status, 0, t.stderr);
  const id = JSON.parse(t.stdout).run_id as string;
  const damaged = join(store, 'runs', id, 'checkpoints', 'epoch-000030.safetensors');
  flipByte(damaged);
  for (const jobs of ['1', '2']) {
    const r = cli(['analyze', '--store', store, '--jobs', jobs, '--json']);
    assert.equal(r.status, 1, `jobs ${jobs}: ${r.stderr}`);
    const res = JSON.parse(r.stdout);
    assert.deepEqual(res.damaged.map((d: { epoch: number }) => d.epoch), [30]);
    assert.match(r.stderr, new RegExp(`^grokbench: skipped ${id} epoch 30: .*is damaged`, 'm'));
    const art = cli(['artifact', id, 'neuron_fourier', '--epoch', '40', '--store', store, '--json']);
    assert.equal(art.status, 0, `the checkpoints after the damaged one are analysed: ${art.stderr}`);
    const missing = cli(['artifact', id, 'neuron_fourier', '--epoch', '30', '--store', store, '--json']);
    assert.equal(missing.status, 2);
  }
  assert.ok(existsSync(damaged), 'the damaged file is left for the user to see');
});
