/**
 * The trainer's guards on what it reads back from the store: a damaged split.json is refused
 * before anything changes; a resume file ahead of the database (its commit lost to a power cut)
 * does not leave a gap in the metrics; and one run has one writer at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKernels } from '../../src/engine/index.js';
import { DEFAULTS, type TrainConfig } from '../../src/config/config.js';
import { SQLITE_FILE, Store } from '../../src/store/store.js';
import { RunFolderStore, type TrainStore } from '../../src/store/run-folder.js';
import { train } from '../../src/train/trainer.js';
import { grokbenchError } from '../helpers/errors.js';

const SMALL: TrainConfig = { ...DEFAULTS, p: 23, dModel: 32, dMlp: 64, nHeads: 2, dHead: 16, epochs: 40, checkpointEvery: 10 };
const k = loadKernels({ threads: 1, quiet: true });

function tmp(): string { return mkdtempSync(join(tmpdir(), 'gb-trainer-')); }

test('a split.json with an index outside 0..p²-1 is refused (exit 2) before the run changes', () => {
  const dir = tmp();
  const store = Store.open(dir);
  try {
    const r = train(store, k, SMALL, { stopAfter: 15 });
    const splitPath = join(store.runDir(r.run_id), 'split.json');
    const split = JSON.parse(readFileSync(splitPath, 'utf8')) as { train_indices: number[]; test_indices: number[] };
    const before = { run: store.getRun(r.run_id), metrics: store.getMetrics(r.run_id), cps: store.listCheckpoints(r.run_id) };
    for (const [what, edit, pattern] of [
      ['out of range', (s: typeof split) => { s.train_indices[3] = 23 * 23 + 5; }, /train_indices\[3\] = 534 is outside 0\.\.528/],
      ['negative', (s: typeof split) => { s.test_indices[0] = -1; }, /test_indices\[0\] = -1 is outside/],
      ['twice', (s: typeof split) => { s.train_indices[1] = s.train_indices[0]; }, /holds pair index \d+ twice/],
      ['not a number', (s: typeof split) => { (s.train_indices as unknown[])[0] = 'x'; }, /train_indices\[0\] is "x"/],
    ] as const) {
      const bad = structuredClone(split);
      edit(bad);
      writeFileSync(splitPath, JSON.stringify(bad));
      assert.throws(() => train(store, k, SMALL), grokbenchError(2, pattern), what);
      assert.deepEqual({ run: store.getRun(r.run_id), metrics: store.getMetrics(r.run_id), cps: store.listCheckpoints(r.run_id) }, before, what);
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lost last database commit (resume file ahead of epochs_done) resumes without a gap, to the uninterrupted run', () => {
  const a = tmp(), b = tmp();
  try {
    const sa = Store.open(a);
    const whole = train(sa, k, SMALL);
    const wantMetrics = sa.getMetrics(whole.run_id);
    sa.close();

    // Train to epoch 25; keep a copy of the database as it was just before the commit of epoch 20.
    const sb = Store.open(b);
    const db = join(b, SQLITE_FILE);
    let commits = 0;
    sb.beforeCommitHook = () => {
      if (++commits !== 3) return; // commits at epochs 0, 10, 20: the third
      for (const ext of ['', '-wal']) if (existsSync(db + ext)) copyFileSync(db + ext, join(b, `before${ext}`));
    };
    const part = train(sb, k, SMALL, { stopAfter: 25 });
    assert.equal(sb.getRun(part.run_id)!.epochs_done, 20);
    sb.close();
    // The power cut: the commit of epoch 20 never reached the disk; the resume file (step 20) did.
    for (const ext of ['', '-wal', '-shm']) rmSync(db + ext, { force: true });
    for (const ext of ['', '-wal']) if (existsSync(join(b, `before${ext}`))) copyFileSync(join(b, `before${ext}`), db + ext);
    const sb2 = Store.open(b);
    try {
      assert.equal(sb2.getRun(part.run_id)!.epochs_done, 10, 'the database lost its last commit');
      const r = train(sb2, k, SMALL);
      assert.equal(r.outcome, 'trained');
      const got = sb2.getMetrics(r.run_id);
      assert.deepEqual(got.map((m) => m.epoch), wantMetrics.map((m) => m.epoch), 'no gap in the metrics');
      assert.deepEqual(got, wantMetrics);
      for (const cp of sb2.listCheckpoints(r.run_id)) {
        assert.ok(readFileSync(cp.path).equals(readFileSync(join(a, 'runs', r.run_id, 'checkpoints', cp.path.split('/').pop()!))), `epoch ${cp.epoch}`);
      }
    } finally {
      sb2.close();
    }
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('a resume from before its last checkpoint drops that checkpoint from the index before its file, so no reader finds an indexed checkpoint missing', () => {
  const dir = tmp();
  try {
    const folder = new RunFolderStore(dir);
    const first = train(folder, k, SMALL, { stopAfter: 15 });
    const resume = folder.resumePath(first.run_id);
    for (const ext of ['', '.sha256']) copyFileSync(resume + ext, join(dir, `resume-at-10${ext}`));
    train(folder, k, SMALL, { stopAfter: 25 });
    assert.deepEqual(folder.listCheckpoints(first.run_id).map((c) => c.epoch), [0, 10, 20]);
    // Cancelled between the commit of epoch 20 and its resume file: the resume file is still epoch 10's.
    for (const ext of ['', '.sha256']) copyFileSync(join(dir, `resume-at-10${ext}`), resume + ext);
    // What a reader of the folder sees at every step of the trainer (a sweep collects folders while their tasks run).
    const seen: string[] = [];
    const check = (when: string) => {
      for (const c of new RunFolderStore(dir).listCheckpoints(first.run_id)) if (!existsSync(c.path)) seen.push(`${when}: checkpoint ${c.epoch} indexed, its file gone`);
    };
    const watched = new Proxy(folder, {
      get(target, name, receiver) {
        const v = Reflect.get(target, name, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => { check(`before ${String(name)}`); const r = (v as (...a: unknown[]) => unknown).apply(target, args); check(`after ${String(name)}`); return r; };
      },
    }) as TrainStore;
    const r = train(watched, k, SMALL);
    assert.equal(r.resumed_from, 10);
    assert.deepEqual(seen, []);
    assert.deepEqual(folder.listCheckpoints(r.run_id).map((c) => c.epoch), [0, 10, 20, 30, 40]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run locked by a live process is refused with a one-line error naming it; a dead process\'s lock is taken over', () => {
  const dir = tmp();
  const store = Store.open(dir);
  try {
    const r = train(store, k, SMALL, { stopAfter: 12 });
    const lockPath = join(dir, 'runs', `.${r.run_id}.lock`);
    assert.ok(!existsSync(lockPath), 'released after training');
    // Another live process of this host (our parent) holds the run.
    const live = { pid: process.ppid, host: hostname(), since: '2020-01-01T00:00:00.000Z' };
    writeFileSync(lockPath, JSON.stringify(live));
    const before = store.getMetrics(r.run_id);
    assert.throws(() => train(store, k, SMALL), grokbenchError(1, new RegExp(`run ${r.run_id} is in use by process ${process.ppid} on ${hostname()}`)));
    assert.deepEqual(store.getMetrics(r.run_id), before);
    assert.equal(readFileSync(lockPath, 'utf8'), JSON.stringify(live), 'the live owner keeps its lock');
    // Another host: its processes cannot be checked, so the lock holds too.
    writeFileSync(lockPath, JSON.stringify({ ...live, pid: 1, host: 'elsewhere.example' }));
    assert.throws(() => train(store, k, SMALL), grokbenchError(1, /is in use by process 1 on elsewhere\.example/));
    // A process of this host that has died: its lock is taken over and the run finishes.
    writeFileSync(lockPath, JSON.stringify({ ...live, pid: 2 ** 22 + 12345 }));
    const done = train(store, k, SMALL);
    assert.equal(done.outcome, 'trained');
    assert.equal(store.getRun(r.run_id)!.epochs_done, 40);
    assert.ok(!existsSync(lockPath));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
