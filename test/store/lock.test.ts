/**
 * Writers' locks: an exited-but-unreaped owner (a zombie, as orphans of a killed sweep are until
 * init reaps them) counts as dead and its lock is taken over; a live owner is waited for a
 * bounded time when asked, and otherwise gives the one-line error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, pidAlive } from '../../src/store/lock.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'grokbench-lock-'));

/** The state letter of /proc/<pid>/stat. */
function procState(pid: number): string {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
}

test('a lock held by a zombie (an exited owner not yet reaped) is taken over', async (t) => {
  if (process.platform !== 'linux') { t.skip('needs /proc (Linux)'); return; }
  const dir = tmp();
  // sh starts a short sleep in the background and becomes a long `sleep`, which never reaps the short one when it exits: a zombie.
  const holder = spawn('sh', ['-c', 'sleep 0.5 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = await new Promise<number>((resolve) => holder.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    const t0 = Date.now();
    while (procState(zombie) !== 'Z') {
      assert.ok(Date.now() - t0 < 10_000, 'the child never became a zombie');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.doesNotThrow(() => process.kill(zombie, 0), 'kill(0) still succeeds on a zombie');
    assert.equal(pidAlive(zombie), false);
    const path = join(dir, '.run.lock');
    writeFileSync(path, JSON.stringify({ pid: zombie, host: hostname(), since: new Date().toISOString() }));
    const lock = acquireLock(path, 'run x');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    lock.release();
  } finally {
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a live owner is waited for up to waitMs: taken when it lets go, a one-line error when it does not', () => {
  const dir = tmp();
  try {
    const path = join(dir, '.run.lock');
    // The holder is our parent-side helper process: alive for the whole test.
    const live = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(path, JSON.stringify({ pid: live.pid, host: hostname(), since: 'then' }));
      const t0 = Date.now();
      assert.throws(() => acquireLock(path, 'run x'), /run x is in use by process \d+ on .* since then \(lock /);
      assert.ok(Date.now() - t0 < 300, 'no wait without waitMs');
      const t1 = Date.now();
      assert.throws(() => acquireLock(path, 'run x', 600), /run x is in use by process/);
      assert.ok(Date.now() - t1 >= 550, `waited only ${Date.now() - t1} ms`);
      // The holder lets go while we wait (a worker deletes the file after 300 ms).
      const releaser = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').unlinkSync(${JSON.stringify(path)}), 300)`], { stdio: 'ignore' });
      const t2 = Date.now();
      const lock = acquireLock(path, 'run x', 10_000);
      assert.ok(Date.now() - t2 >= 250 && Date.now() - t2 < 9_000, `took ${Date.now() - t2} ms`);
      assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
      lock.release();
      releaser.kill();
    } finally {
      live.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
