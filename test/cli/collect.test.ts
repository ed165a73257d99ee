/**
 * `grokbench collect` on its own (no Slurm): run folders written by `train --folder-only` (what a
 * Slurm task writes) are merged into the database and equal a local `train` of the same runs;
 * merging twice changes nothing; a run killed mid-way (and a half-written file) shows in progress
 * up to its last checkpoint and finishes after it resumes; a damaged folder is a one-line error and
 * the database is left exactly as it was.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE, Store } from '../../src/store/store.js';
import { BIN, runCli } from '../helpers/cli.js';
import { assertSameStore } from '../helpers/stores.js';

const MODEL = ['--d-model', '16', '--d-mlp', '32', '--n-heads', '2', '--d-head', '8', '--threads', '1'];
const SHORT = ['--epochs', '600', '--checkpoint-every', '200', ...MODEL];
const LONG = ['--epochs', '8000', '--checkpoint-every', '500', ...MODEL];

let work = '';
let ref = '';
before(() => { work = mkdtempSync(join(tmpdir(), 'grokbench-collect-')); ref = join(work, 'ref'); });
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

function ok(args: string[]): string {
  const r = runCli(args);
  assert.equal(r.status, 0, `grokbench ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Every row of every table of a store's database (what "changes nothing" is checked against). */
function dump(store: string): string {
  const db = new Database(join(store, SQLITE_FILE), { readonly: true, fileMustExist: true });
  try {
    const tables = ['meta', 'runs', 'metrics', 'checkpoints', 'analysis'];
    return JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM ${t}`).raw().all().map((r) => JSON.stringify(r)).sort()));
  } finally { db.close(); }
}

const runId = (json: string): string => (JSON.parse(json) as { run_id: string }).run_id;
const collect = (store: string, ...runs: string[]) => runCli(['collect', ...runs, '--store', store, '--json']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function createStore(dir: string): void { Store.open(dir).close(); }

test('collect merges a run folder written by train --folder-only; the database equals a local train; merging twice changes nothing', () => {
  const store = join(work, 'a');
  createStore(store);
  const id = runId(ok(['train', '--p', '11', '--seed', '1', ...SHORT, '--folder-only', '--store', store, '--json']));
  // Trained into its folder only: the database does not know the run yet.
  assert.deepEqual(JSON.parse(ok(['runs', '--store', store, '--json'])), []);
  assert.ok(existsSync(join(store, 'runs', id, 'progress.json')));
  assert.equal(runId(ok(['train', '--p', '11', '--seed', '1', ...SHORT, '--store', ref, '--json'])), id);

  const first = collect(store);
  assert.equal(first.status, 0, first.stderr);
  const doc = JSON.parse(first.stdout);
  assert.deepEqual([doc.merged, doc.unchanged, doc.in_progress], [[id], [], []]);
  assertSameStore(store, ref, 1, 4);

  const before = dump(store);
  const second = collect(store);
  assert.equal(second.status, 0, second.stderr);
  assert.deepEqual([JSON.parse(second.stdout).merged, JSON.parse(second.stdout).unchanged], [[], [id]]);
  assert.equal(dump(store), before);
  // A run named on the command line that has no folder: bad input, nothing changes.
  const nope = runCli(['collect', 'no-such-run', '--store', store]);
  assert.equal(nope.status, 2);
  assert.match(nope.stderr, /^grokbench: run no-such-run has no folder state/);
  assert.equal(nope.stderr.trim().split('\n').length, 1);
  assert.equal(dump(store), before);
});

test('a run killed mid-way (and a half-written file) is collected in progress, up to its last checkpoint; resumed, it is collected finished', async () => {
  const store = join(work, 'b');
  createStore(store);
  const args = ['train', '--p', '13', '--seed', '2', ...LONG, '--folder-only', '--store', store];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
  const closed = new Promise<NodeJS.Signals | null>((r) => child.on('close', (_c, s) => r(s)));
  // Kill it (SIGKILL: no clean-up) once it has committed two checkpoints past epoch 0.
  let id = '';
  const t0 = Date.now();
  for (;;) {
    const ids = existsSync(join(store, 'runs')) ? readdirSync(join(store, 'runs')).filter((f) => !f.startsWith('.')) : [];
    id = ids[0] ?? '';
    const p = id ? join(store, 'runs', id, 'progress.json') : '';
    let done = 0;
    try { done = (JSON.parse(readFileSync(p, 'utf8')) as { run: { epochs_done: number } }).run.epochs_done; } catch { /* not yet */ }
    if (done >= 1000) break;
    assert.ok(Date.now() - t0 < 120_000, 'training never reached epoch 1000');
    await sleep(20);
  }
  child.kill('SIGKILL');
  assert.equal(await closed, 'SIGKILL');
  const state = JSON.parse(readFileSync(join(store, 'runs', id, 'progress.json'), 'utf8')) as { run: { epochs_done: number; epochs: number; status: string } };
  const at = state.run.epochs_done;
  assert.ok(at >= 1000 && at < 8000, `killed at epoch ${at}`);
  // As if the kill had also come in the middle of the next commit: a metrics segment past the
  // committed epoch (written, its progress.json not yet) and a half-written temp progress file.
  const seg = join(store, 'runs', id, 'metrics', `rows-${String(at + 1).padStart(6, '0')}-${String(at + 500).padStart(6, '0')}.json`);
  if (!existsSync(seg)) writeFileSync(seg, JSON.stringify([{ epoch: at + 1, train_loss: 9, train_acc: 0, test_loss: null, test_acc: null }]));
  writeFileSync(join(store, 'runs', id, `.progress.json.${process.pid}.0123abcd.tmp`), '{"format":"grokbench-run-folder","version":1,"run":{"run_id":');

  const r = collect(store);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.merged, [id]);
  assert.deepEqual(doc.in_progress, [{ run_id: id, status: 'training', epochs_done: at, epochs: 8000 }]);
  const human = runCli(['collect', '--store', store]);
  assert.match(human.stdout, new RegExp(`collect: ${id} in progress: ${at}/8000 epochs`));
  const runs = JSON.parse(ok(['runs', '--store', store, '--json'])) as { run_id: string; status: string; epochs_done: number }[];
  assert.deepEqual(runs.map((x) => [x.run_id, x.status, x.epochs_done]), [[id, 'interrupted', at]]);
  const s = Store.open(store, { readonly: true });
  try {
    const m = s.getMetrics(id);
    assert.equal(m[m.length - 1].epoch, at, 'metrics past the last commit were merged');
    assert.equal(s.listCheckpoints(id).at(-1)!.epoch, at);
  } finally { s.close(); }

  // Resumed in its folder to the end, collected: the same run as a local train, byte for byte.
  const resumed = runCli([...args]);
  assert.equal(resumed.status, 0, resumed.stderr);
  // From its last resume state: the last checkpoint, or the one before when the kill fell between a commit and its resume file.
  const from = Number(new RegExp(`resuming ${id} from epoch (\\d+) of 8000`).exec(resumed.stderr)?.[1]);
  assert.ok(from === at || from === at - 500, resumed.stderr);
  const again = collect(store);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual([JSON.parse(again.stdout).merged, JSON.parse(again.stdout).in_progress], [[id], []]);
  const refOnly = join(work, 'ref-b');
  createStore(refOnly);
  ok(['train', '--p', '13', '--seed', '2', ...LONG, '--store', refOnly]);
  assertSameStore(store, refOnly, 1, 17);
});

test('a damaged run folder or analysis result is a one-line error and the database is left as it was', () => {
  const store = join(work, 'c');
  createStore(store);
  const good = runId(ok(['train', '--p', '11', '--seed', '3', ...SHORT, '--folder-only', '--store', store, '--json']));
  const bad = runId(ok(['train', '--p', '11', '--seed', '4', ...SHORT, '--folder-only', '--store', store, '--json']));
  const progress = join(store, 'runs', bad, 'progress.json');
  const intact = readFileSync(progress, 'utf8');
  const before = dump(store);

  const expectRefused = (pattern: RegExp): void => {
    const r = collect(store);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(dump(store), before, 'the database changed');
  };
  // Truncated progress.json.
  writeFileSync(progress, intact.slice(0, intact.length / 2));
  expectRefused(new RegExp(`^grokbench: run folder .*${bad} is damaged: .*not valid JSON; nothing was merged`));
  // Valid JSON, but an indexed checkpoint file is gone.
  writeFileSync(progress, intact);
  const cp = join(store, 'runs', bad, 'checkpoints', 'epoch-000400.safetensors');
  const saved = join(work, 'saved.safetensors');
  copyFileSync(cp, saved);
  unlinkSync(cp);
  expectRefused(/^grokbench: run folder .* is damaged: checkpoint file runs\/.*epoch-000400\.safetensors is missing; nothing was merged/);
  copyFileSync(saved, cp);
  // A metrics segment that is not a list of rows.
  const segs = readdirSync(join(store, 'runs', bad, 'metrics'));
  const segPath = join(store, 'runs', bad, 'metrics', segs[0]);
  const segText = readFileSync(segPath, 'utf8');
  writeFileSync(segPath, '{"rows": 1}');
  expectRefused(/^grokbench: run folder .* is damaged: .*is not a list of metric rows/);
  writeFileSync(segPath, segText);
  // A damaged analysis result (what an analysis task writes) in a run the database already has.
  const ok1 = collect(store);
  assert.equal(ok1.status, 0, ok1.stderr);
  assert.deepEqual(JSON.parse(ok1.stdout).merged.sort(), [bad, good].sort());
  const merged = dump(store);
  const res = join(store, 'runs', good, 'analysis-results', '0123456789ab');
  mkdirSync(res, { recursive: true });
  writeFileSync(join(res, 'epoch-000200.json'), '{"format":"grokbench-analysis-results","version":1,"run_id":"x","epoch":200,"rows":[]}');
  const r = collect(store);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^grokbench: .*epoch-000200\.json is damaged \(it is for x epoch 200\); remove it and analyse again\n$/);
  assert.equal(dump(store), merged);
});
