/**
 * `grokbench sweep --executor slurm` against a real single-node Slurm (munged + slurmctld + slurmd
 * started here on localhost): 4 small runs through Slurm end byte-identical to the local sweep;
 * a sweep killed mid-way and run again adopts its tasks (no run trained twice) and loses nothing;
 * a task cancelled with scancel is resubmitted and resumes; Ctrl-C cancels the tasks.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/native.js';
import { assertSameStore } from '../helpers/stores.js';
import { readLedger, slurmDir } from '../../src/sweep/slurm.js';
import { type SlurmCluster, slurmUnavailable, startSlurm } from './slurm-cluster.js';

const BIN = join(packageRoot(), 'bin', 'grokbench');
const MODEL = ['--d-model', '16', '--d-mlp', '32', '--n-heads', '2', '--d-head', '8'];
const ARGS = ['--primes', '11,13', '--seeds', '1,2', '--epochs', '3000', '--checkpoint-every', '250', ...MODEL, '--no-analyze'];
const FINAL = 'epoch-003000.safetensors';

const unavailable = slurmUnavailable();
let cluster: SlurmCluster | undefined;
let work = '';
let refStore = '';

before(() => {
  if (unavailable) return;
  cluster = startSlurm(2);
  work = mkdtempSync(join(tmpdir(), 'grokbench-slurm-test-'));
  refStore = join(work, 'ref');
  const r = spawnSync(process.execPath, [BIN, 'sweep', ...ARGS, '--threads-per-job', '1', '--store', refStore], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const env = () => ({ ...cluster!.env, GROKBENCH_SLURM_POLL_MS: '300' });
const slurmArgs = (store: string) => [...ARGS, '--executor', 'slurm', '--cpus-per-task', '1', '--store', store];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function sweep(store: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'sweep', ...slurmArgs(store), '--json'], { encoding: 'utf8', env: env() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startSweep(store: string) {
  const child = spawn(process.execPath, [BIN, 'sweep', ...slurmArgs(store)], { stdio: ['ignore', 'ignore', 'pipe'], env: env() });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return { child, closed, stderr: () => stderr };
}

function checkpointFiles(store: string, id: string): string[] {
  const d = join(store, 'runs', id, 'checkpoints');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.safetensors')).sort() : [];
}

function runIds(store: string): string[] {
  const d = join(store, 'runs');
  return existsSync(d) ? readdirSync(d).filter((f) => !f.startsWith('.')) : [];
}

/** The output of every task of a store, by file name. */
function taskLogs(store: string): Map<string, string> {
  const d = join(slurmDir(store), 'logs');
  return new Map(existsSync(d) ? readdirSync(d).map((f) => [f, readFileSync(join(d, f), 'utf8')]) : []);
}

function squeue(): string {
  return spawnSync('squeue', ['-h', '-o', '%i %T'], { encoding: 'utf8', env: env() }).stdout.trim();
}

/** The store's database and checkpoint files equal the local sweep's, byte for byte. */
const assertSameAsLocal = (store: string): void => assertSameStore(store, refStore, 4, 13);

test('a sweep of 4 runs as Slurm array tasks gives checkpoints and metrics byte-identical to the local sweep', { skip: unavailable ?? false }, () => {
  const store = join(work, 'plain');
  const r = sweep(store);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.runs.map((x: { status: string }) => x.status), ['done', 'done', 'done', 'done']);
  assertSameAsLocal(store);
  // One job array, one task per run.
  const ledger = readLedger(store);
  assert.equal(ledger.length, 4);
  assert.equal(new Set(ledger.map((t) => t.jobId)).size, 1);
  assert.deepEqual(ledger.map((t) => t.taskId), [0, 1, 2, 3]);
  // Run again: everything is finished, nothing is submitted.
  const again = sweep(store);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout).runs.map((x: { status: string }) => x.status), ['already-done', 'already-done', 'already-done', 'already-done']);
  assert.equal(readLedger(store).length, 4);
});

test('a Slurm sweep killed mid-way and run again adopts its queued and running tasks: no run trained twice, nothing lost', { skip: unavailable ?? false }, async () => {
  const store = join(work, 'killed');
  const s = startSweep(store);
  // Mid-way: some run has checkpoints, some run is not finished.
  await waitFor('the Slurm sweep to be mid-way', () => {
    const ids = runIds(store);
    return ids.some((id) => checkpointFiles(store, id).length >= 3) && (ids.length < 4 || ids.some((id) => !checkpointFiles(store, id).includes(FINAL)));
  });
  s.child.kill('SIGKILL');
  assert.equal((await s.closed).signal, 'SIGKILL');
  assert.notEqual(squeue(), '', 'the tasks were gone before the rerun: nothing to adopt');
  const r = sweep(store);
  assert.equal(r.status, 0, r.stderr);
  assertSameAsLocal(store);
  // No new task was submitted: the 4 tasks of the first sweep trained everything, each from epoch 0 once.
  assert.equal(readLedger(store).length, 4);
  const logs = [...taskLogs(store).values()].join('\n');
  assert.equal(logs.match(/^grokbench: training /gm)?.length, 4, logs);
  assert.doesNotMatch(logs, /^grokbench: resuming /m);
  assert.equal(squeue(), '');
});

test('a task cancelled with scancel is resubmitted and its run resumes from its last checkpoint', { skip: unavailable ?? false }, async () => {
  const store = join(work, 'cancelled');
  const s = startSweep(store);
  let victim = '';
  await waitFor('a run with 3 checkpoints', () => {
    victim = runIds(store).find((id) => { const f = checkpointFiles(store, id); return f.length >= 3 && !f.includes(FINAL); }) ?? '';
    return victim !== '';
  });
  const task = readLedger(store).find((t) => t.runId === victim)!;
  const c = spawnSync('scancel', [`${task.jobId}_${task.taskId}`], { encoding: 'utf8', env: env() });
  assert.equal(c.status, 0, c.stderr);
  const end = await s.closed;
  assert.equal(end.code, 0, s.stderr());
  assert.match(s.stderr(), new RegExp(`sweep: ${victim}: task ${task.jobId}_${task.taskId} ended \\((CANCELLED|gone from squeue)\\).*resubmitting`));
  const ledger = readLedger(store).filter((t) => t.runId === victim);
  assert.equal(ledger.length, 2);
  const log = readFileSync(join(slurmDir(store), 'logs', `${ledger[1].jobId}_${ledger[1].taskId}.out`), 'utf8');
  const m = /^grokbench: resuming \S+ from epoch (\d+) of 3000/m.exec(log);
  assert.ok(m && Number(m[1]) >= 500, log);
  assertSameAsLocal(store);
});

test('Ctrl-C (SIGINT) of a Slurm sweep cancels its tasks; run again, it finishes the runs', { skip: unavailable ?? false }, async () => {
  const store = join(work, 'interrupted');
  const s = startSweep(store);
  await waitFor('a checkpoint', () => runIds(store).some((id) => checkpointFiles(store, id).length >= 2));
  s.child.kill('SIGINT');
  const end = await s.closed;
  assert.equal(end.code, 130, s.stderr());
  assert.match(s.stderr(), /^grokbench: sweep interrupted/m);
  assert.equal(squeue(), '', 'tasks still queued or running after Ctrl-C');
  const r = sweep(store);
  assert.equal(r.status, 0, r.stderr);
  assertSameAsLocal(store);
});
