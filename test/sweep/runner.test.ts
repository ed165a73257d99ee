/** The sweep runner with real `grokbench train` children on a tiny model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/native.js';
import { DEFAULTS, type TrainConfig } from '../../src/config/config.js';
import { Store } from '../../src/store/store.js';
import { planSweep } from '../../src/sweep/plan.js';
import { type ChildExit, type ChildProgress, SweepRunner, parseProgressLine } from '../../src/sweep/runner.js';

const BIN = join(packageRoot(), 'bin', 'grokbench');
const TINY: TrainConfig = { ...DEFAULTS, dModel: 16, dMlp: 32, nHeads: 2, dHead: 8, checkpointEvery: 250 };

test('parseProgressLine reads progress lines and ignores everything else', () => {
  const p = parseProgressLine('{"type":"progress","run_id":"x","epoch":5,"epochs":9,"train_loss":1.5,"test_loss":null,"test_acc":0.25,"rate":12}');
  assert.deepEqual(p, { epoch: 5, epochs: 9, trainLoss: 1.5, testLoss: null, testAcc: 0.25, rate: 12 });
  assert.equal(parseProgressLine('run p11-s1: 100 epochs in 1s'), null);
  assert.equal(parseProgressLine('{"type":"other","epoch":1,"epochs":2}'), null);
  assert.equal(parseProgressLine('{"type":"progress",'), null);
});

test('runner trains every run to the end; an interrupt forwards the signal, starts nothing more and leaves the run partial in the store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-sweep-runner-'));
  try {
    const runs = planSweep([11], [1, 2], { ...TINY, epochs: 300 });
    const seen = new Map<string, ChildProgress[]>();
    const exits = await new SweepRunner(runs, {
      bin: BIN, storeDir: dir, jobs: 2, threadsPerJob: 1,
      onProgress: (r, p) => seen.set(r.runId, [...(seen.get(r.runId) ?? []), p]),
    }).run();
    assert.deepEqual([...exits.keys()].sort(), runs.map((r) => r.runId).sort());
    for (const r of runs) {
      assert.equal(exits.get(r.runId)!.outcome, 'ok');
      const ps = seen.get(r.runId)!;
      assert.equal(ps[ps.length - 1].epoch, 300);
      for (let i = 1; i < ps.length; i++) assert.ok(ps[i].epoch > ps[i - 1].epoch);
    }

    // A long run, stopped with SIGTERM once it has made progress; the queued run never starts.
    const [long, queued] = planSweep([11], [3, 4], { ...TINY, epochs: 200_000 });
    let exit: ChildExit | undefined;
    const runner: SweepRunner = new SweepRunner([long, queued], {
      bin: BIN, storeDir: dir, jobs: 1, threadsPerJob: 1,
      onProgress: (_r, p) => { if (p.epoch >= 500) runner.interrupt('SIGTERM'); },
      onExit: (_r, e) => { exit = e; },
    });
    const stopped = await runner.run();
    assert.equal(runner.interrupted, 'SIGTERM');
    assert.deepEqual([...stopped.keys()], [long.runId]);
    assert.equal(exit?.outcome, 'interrupted');
    assert.equal(exit?.signal, 'SIGTERM');
    const store = Store.open(dir);
    try {
      const row = store.getRun(long.runId)!;
      assert.equal(row.status, 'training');
      assert.ok(row.epochs_done >= 250 && row.epochs_done < 200_000, `epochs_done ${row.epochs_done}`);
      assert.equal(store.getRun(queued.runId), undefined);
    } finally { store.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a child ended by SIGINT (Ctrl-C on the terminal) interrupts the sweep instead of failing the run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-sweep-runner-'));
  try {
    const [long, queued] = planSweep([11], [5, 6], { ...TINY, epochs: 200_000 });
    let pid: number | undefined;
    let sent = false;
    const runner = new SweepRunner([long, queued], {
      bin: BIN, storeDir: dir, jobs: 1, threadsPerJob: 1,
      onStart: (_r, p) => { pid = p; },
      onProgress: (_r, p) => { if (p.epoch >= 250 && !sent) { sent = true; process.kill(pid!, 'SIGINT'); } },
    });
    const exits = await runner.run();
    assert.equal(runner.interrupted, 'SIGINT');
    assert.deepEqual([...exits.keys()], [long.runId]);
    assert.equal(exits.get(long.runId)!.outcome, 'interrupted');
    assert.equal(exits.get(long.runId)!.signal, 'SIGINT');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
