/**
 * A full disk while training (a small tmpfs; CI runs as root): at whichever write the space runs
 * out (a checkpoint, the resume state, a metrics segment, the database), training stops with one
 * line and exit 1, nothing stored before is lost (every indexed file verifies, the metrics are
 * those of the uninterrupted run up to where it stopped), and once there is space again the run
 * resumes and ends byte-identical to a run that never ran out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli } from '../helpers/cli.js';

const ARGS = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1', '--epochs', '1000', '--checkpoint-every', '100'];

function mount(dir: string, size: string, remount = false): boolean {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `${remount ? 'remount,' : ''}size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0;
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const d = mkdtempSync(join(tmpdir(), 'grokbench-tmpfs-probe-'));
  const ok = mount(d, '64k');
  if (ok) spawnSync('umount', [d]);
  rmSync(d, { recursive: true, force: true });
  return ok;
})();

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('ENOSPC at different writes of a training run: one line, exit 1, nothing lost; with space back it resumes to the uninterrupted run', { skip: canMount ? false : 'needs root and tmpfs (mount -t tmpfs)' }, () => {
  const ref = mkdtempSync(join(tmpdir(), 'grokbench-enospc-ref-'));
  const done = cli(['train', '--store', ref, ...ARGS, '--json']);
  assert.equal(done.status, 0, done.stderr);
  const id = JSON.parse(done.stdout).run_id as string;
  const refMetrics = JSON.parse(cli(['metrics', id, '--store', ref, '--json']).stdout) as { epoch: number }[];
  const refFinal = sha(join(ref, 'runs', id, 'checkpoints', 'epoch-001000.safetensors'));
  const where = new Set<string>();
  for (const size of ['200k', '320k', '440k', '560k', '680k']) {
    const mnt = mkdtempSync(join(tmpdir(), 'grokbench-enospc-'));
    assert.ok(mount(mnt, size));
    try {
      const store = join(mnt, 'store');
      mkdirSync(store);
      const r = cli(['train', '--store', store, ...ARGS]);
      assert.equal(r.status, 1, `${size}: exit ${r.status}: ${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('grokbench: ') && !l.startsWith('grokbench: training '));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /no space left on device|ENOSPC|SQLITE_FULL|database or disk is full/i);
      where.add((/cannot write (\S+)|(database)/i.exec(lines[0]) ?? ['', 'other'])[1] ?? 'database');
      // Nothing stored before is lost: what is indexed verifies, and the metrics are the uninterrupted run's so far.
      const v = cli(['verify', '--store', store, '--json']);
      assert.equal(v.status, 0, `${size}: ${v.stdout}${v.stderr}`);
      const m = JSON.parse(cli(['metrics', id, '--store', store, '--json']).stdout) as { epoch: number }[];
      assert.deepEqual(m, refMetrics.slice(0, m.length), `${size}: metrics so far`);
      assert.ok(m.length < refMetrics.length, `${size}: it ran out before the end`);
      // Space again: it resumes and ends as the uninterrupted run did.
      assert.ok(mount(mnt, '16m', true));
      const again = cli(['train', '--store', store, ...ARGS]);
      assert.equal(again.status, 0, `${size}: ${again.stderr}`);
      assert.equal(sha(join(store, 'runs', id, 'checkpoints', 'epoch-001000.safetensors')), refFinal, `${size}: final weights`);
      assert.deepEqual(JSON.parse(cli(['metrics', id, '--store', store, '--json']).stdout), refMetrics, `${size}: metrics`);
      assert.equal((JSON.parse(cli(['runs', '--store', store, '--json']).stdout) as { status: string }[])[0].status, 'done');
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  }
  assert.ok(where.size >= 1);
});
