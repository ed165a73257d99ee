/**
 * `grokbench sweep --executor slurm` against a real single-node Slurm (munged + slurmctld + slurmd
 * started here on localhost): 4 small runs through Slurm end byte-identical to the local sweep;
 * a sweep killed mid-way and run again adopts its tasks (no run trained twice) and loses nothing;
 * a task cancelled with scancel is resubmitted and resumes; Ctrl-C cancels the tasks and the rerun
 * submits only the unfinished runs, each resuming. `analyze --executor slurm` gives the local
 * analysis byte for byte, adopts a queued task on rerun, and resubmits a cancelled one, which
 * continues where it stopped. One Slurm instance serves every test of this file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/native.js';
import { listAnalyzers, listCrossEpochAnalyzers } from '../../src/analysis/registry.js';
import { assertSameStore } from '../helpers/stores.js';
import { readLedger, slurmDir } from '../../src/sweep/slurm.js';
import { ANALYZE_LEDGER, type AnalysisTaskRecord } from '../../src/sweep/slurm-analyze.js';
import { RunFolderStore } from '../../src/store/run-folder.js';
import { Store } from '../../src/store/store.js';
import { analysisRows, assertSameAnalysis } from './analysis-compare.js';
import { type SlurmCluster, slurmUnavailable, startSlurm } from './slurm-cluster.js';

const BIN = join(packageRoot(), 'bin', 'grokbench');
const MODEL = ['--d-model', '16', '--d-mlp', '32', '--n-heads', '2', '--d-head', '8'];
const ARGS = ['--primes', '11,13', '--seeds', '1,2', '--epochs', '3000', '--checkpoint-every', '250', ...MODEL, '--no-analyze'];
const FINAL = 'epoch-003000.safetensors';

const unavailable = slurmUnavailable();
// A skipped test says why (node's runner prints the reason); say it once more where it cannot be missed.
if (unavailable) process.stderr.write(`# Slurm tests skipped: ${unavailable}\n`);
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

test('Ctrl-C (SIGINT) of a Slurm sweep cancels its tasks; run again, it submits only the unfinished runs, each resuming from its last checkpoint', { skip: unavailable ?? false }, async () => {
  const store = join(work, 'interrupted');
  const s = startSweep(store);
  await waitFor('a checkpoint', () => runIds(store).some((id) => checkpointFiles(store, id).length >= 2));
  s.child.kill('SIGINT');
  const end = await s.closed;
  assert.equal(end.code, 130, s.stderr());
  assert.match(s.stderr(), /^grokbench: sweep interrupted/m);
  assert.equal(squeue(), '', 'tasks still queued or running after Ctrl-C');
  // What the cancelled tasks left: each run's folder state (finished or not, and its epoch).
  const folder = new RunFolderStore(store);
  const at = new Map(runIds(store).flatMap((id) => { const row = folder.getRun(id); return row ? [[id, row] as const] : []; }));
  const unfinished = [...at].filter(([, r]) => !(r.status === 'done' && r.epochs_done === 3000)).map(([id]) => id);
  assert.ok(unfinished.length > 0, 'every run finished before the interrupt: nothing left to show');
  const before = readLedger(store).length;
  const r = sweep(store);
  assert.equal(r.status, 0, r.stderr);
  assertSameAsLocal(store);
  // No duplicate work: one new task per unfinished run (runs with no folder yet were never started), none for a finished one,
  // and each resumed from the epoch its folder had reached (or the checkpoint before, when cancelled between a commit and its resume file).
  const fresh = readLedger(store).slice(before);
  const never = JSON.parse(r.stdout).runs.map((x: { run_id: string }) => x.run_id).filter((id: string) => !at.has(id));
  assert.deepEqual(fresh.map((t) => t.runId).sort(), [...unfinished, ...never].sort());
  for (const t of fresh) {
    const log = readFileSync(join(slurmDir(store), 'logs', `${t.jobId}_${t.taskId}.out`), 'utf8');
    const row = at.get(t.runId);
    if (!row || row.epochs_done === 0) { assert.match(log, /^grokbench: (training|resuming \S+ from epoch 0 )/m, log); continue; }
    const m = /^grokbench: resuming \S+ from epoch (\d+) of 3000/m.exec(log);
    assert.ok(m && (Number(m[1]) === row.epochs_done || Number(m[1]) === row.epochs_done - 250), `${t.runId} at ${row.epochs_done}: ${log}`);
  }
});

/** A copy of a store (no process has it open). */
function copyStore(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

function analyze(store: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'analyze', '--store', store, '--json', ...args], { encoding: 'utf8', env: env() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startAnalyze(store: string, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'analyze', '--store', store, '--executor', 'slurm', '--cpus-per-task', '1', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: env() });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return { child, closed, stderr: () => stderr };
}

const analyzeLedger = (store: string) => readLedger<AnalysisTaskRecord>(store, ANALYZE_LEDGER);

/** The reference store analysed locally (made once, shared by the analysis tests). */
let localAnalysis: { store: string; json: string } | undefined;
function analysedLocally(): { store: string; json: string } {
  if (!localAnalysis) {
    const store = copyStore(refStore, join(work, 'analyze-local'));
    const l = analyze(store, '--jobs', '1');
    assert.equal(l.status, 0, l.stderr);
    localAnalysis = { store, json: l.stdout };
  }
  return localAnalysis;
}

test('analyze --executor slurm: one array task per run, results identical to a local analysis; run again, nothing is submitted', { skip: unavailable ?? false }, () => {
  const { store: local, json: localJson } = analysedLocally();
  const l = { stdout: localJson };
  const store = copyStore(refStore, join(work, 'analyze-slurm'));
  const r = analyze(store, '--executor', 'slurm', '--cpus-per-task', '1');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout), ldoc = JSON.parse(l.stdout);
  assert.equal(doc.executor, 'slurm');
  assert.deepEqual(doc.failed, []);
  assert.equal(doc.checkpoints_analysed, 4 * 13);
  assert.equal(ldoc.checkpoints_analysed, 4 * 13);
  // The same per-run results as the local analysis (coarseness first/last, grokking time, key frequencies).
  const pick = (d: { runs: Record<string, unknown>[] }) => d.runs.map(({ run_id, checkpoints, grokking, first, last, key_frequencies }) => ({ run_id, checkpoints, grokking, first, last, key_frequencies }));
  assert.deepEqual(pick(doc), pick(ldoc));
  // Every database row and every artifact byte for byte.
  assertSameAnalysis(store, local, 4 * 13 * 2);
  // And the dashboard's overview of every run kept, as a local analysis keeps it.
  const db = Store.open(store, { readonly: true });
  try {
    const kept = db.currentRunOverviews();
    assert.deepEqual([...kept.keys()].sort(), db.listRuns().map((x) => x.run_id).sort());
  } finally { db.close(); }
  // One job array, one task per run; the tasks wrote no database (only their folders' results).
  const ledger = analyzeLedger(store);
  assert.equal(ledger.length, 4);
  assert.equal(new Set(ledger.map((t) => t.jobId)).size, 1);
  assert.deepEqual(ledger.map((t) => t.taskId), [0, 1, 2, 3]);
  for (const t of ledger) assert.ok(readdirSync(join(store, 'runs', t.runId, 'analysis-results')).length === 1);
  // Run again: everything is analysed, nothing is submitted, nothing changes.
  const again = analyze(store, '--executor', 'slurm');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).checkpoints_analysed, 0);
  assert.equal(analyzeLedger(store).length, 4);
  assertSameAnalysis(store, local, 4 * 13 * 2);
});

test('Ctrl-C (SIGINT) of analyze --executor slurm cancels its tasks; run again, it analyses everything, identical to local', { skip: unavailable ?? false }, async () => {
  const { store: local } = analysedLocally();
  const store = copyStore(refStore, join(work, 'analyze-interrupted'));
  // Held, so that the tasks are surely still queued when Ctrl-C comes.
  const a = startAnalyze(store, '--sbatch-arg=--hold');
  await waitFor('the analysis tasks to be submitted', () => analyzeLedger(store).length === 4);
  await waitFor('the tasks to be queued', () => squeue().includes('PENDING'));
  a.child.kill('SIGINT');
  const end = await a.closed;
  assert.equal(end.code, 130, a.stderr());
  assert.match(a.stderr(), /^grokbench: analysis interrupted; run the same command again/m);
  assert.equal(squeue(), '', 'tasks still queued or running after Ctrl-C');
  assert.ok(!existsSync(join(store, '.analyze.lock')));
  const r = analyze(store, '--executor', 'slurm');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).checkpoints_analysed, 4 * 13);
  assert.equal(analyzeLedger(store).length, 8);
  assertSameAnalysis(store, local, 4 * 13 * 2);
});

test('an analysis task that keeps failing (a damaged checkpoint) is retried, then its run is reported failed in one line; what it analysed is kept', { skip: unavailable ?? false }, () => {
  const store = copyStore(refStore, join(work, 'analyze-failing'));
  const id = runIds(store).sort()[0];
  const cp = join(store, 'runs', id, 'checkpoints', 'epoch-000500.safetensors');
  writeFileSync(cp, readFileSync(cp).subarray(0, 100));
  const r = analyze(store, id, '--executor', 'slurm');
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('grokbench: '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^grokbench: analysis of run ${id} failed: task \\d+_0 ended \\((?:[A-Z_]+|gone from squeue)\\): ${id} epoch 500: .*; 3 attempt\\(s\\) in a row made no progress$`));
  assert.deepEqual(JSON.parse(r.stdout).failed.map((f: { run_id: string }) => f.run_id), [id]);
  // Attempts: the first (epochs 0 and 250 analysed, then the failure), then 3 that made no progress.
  assert.equal(analyzeLedger(store).filter((t) => t.runId === id).length, 4);
  // The checkpoints before the damaged one were merged into the database.
  const { store: local } = analysedLocally();
  // Analyzers that read other analyzers' stored rows (global_centroid_pca, restricted_loss) run
  // once a task's rows are merged into the database, which a failed run never reaches: the rows
  // kept are those of the analyzers that read the checkpoints alone.
  const own = new Set([...listAnalyzers(), ...listCrossEpochAnalyzers()].filter((a) => ('requires' in a ? a.requires : []).length === 0).map((a) => a.name));
  const rows = (dir: string) => analysisRows(dir).filter((x) => x.run_id === id && x.epoch < 500 && x.path !== null && own.has(x.analyzer));
  assert.ok(rows(local).length > 0);
  assert.deepEqual(rows(store), rows(local));
  assert.equal(squeue(), '');
});

test('analyze --executor slurm killed while its task is queued: run again, it adopts the task; the task cancelled with scancel mid-way is resubmitted and continues; results identical to local', { skip: unavailable ?? false }, async () => {
  // One run with many checkpoints, so that its analysis takes long enough to be cancelled mid-way.
  const base = join(work, 'analyze-long');
  const t = spawnSync(process.execPath, [BIN, 'train', '--p', '13', '--seed', '1', '--epochs', '3000', '--checkpoint-every', '40', ...MODEL, '--threads', '1', '--store', base, '--json'], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stderr);
  const id = JSON.parse(t.stdout).run_id as string;
  const local = copyStore(base, join(work, 'analyze-long-local'));
  const l = analyze(local, '--jobs', '1');
  assert.equal(l.status, 0, l.stderr);
  const store = copyStore(base, join(work, 'analyze-long-slurm'));

  // 1. Submitted held (it stays queued), then the submitting process is killed outright.
  const a = startAnalyze(store, '--sbatch-arg=--hold');
  await waitFor('the analysis task to be submitted', () => analyzeLedger(store).length === 1);
  const [first] = analyzeLedger(store);
  await waitFor('the task to be queued', () => squeue().includes('PENDING'));
  a.child.kill('SIGKILL');
  assert.equal((await a.closed).signal, 'SIGKILL');

  // 2. Run again (not held): it adopts the queued task instead of submitting another.
  const b = startAnalyze(store);
  await waitFor('the rerun to adopt the queued task', () => /already queued or running \(adopted\)/.test(b.stderr()));
  assert.equal(analyzeLedger(store).length, 1);
  const rel = spawnSync('scontrol', ['release', first.jobId], { encoding: 'utf8', env: env() });
  assert.equal(rel.status, 0, rel.stderr);

  // 3. Cancelled mid-way: resubmitted, and the new task continues where the first stopped.
  const results = join(store, 'runs', id, 'analysis-results');
  const written = () => (existsSync(results) ? readdirSync(results).flatMap((k) => readdirSync(join(results, k))).filter((f) => f.endsWith('.json')).length : 0);
  await waitFor('8 checkpoints analysed', () => written() >= 8);
  const c = spawnSync('scancel', [`${first.jobId}_${first.taskId}`], { encoding: 'utf8', env: env() });
  assert.equal(c.status, 0, c.stderr);
  const end = await b.closed;
  assert.equal(end.code, 0, b.stderr());
  assert.match(b.stderr(), new RegExp(`analyze: ${id}: task ${first.jobId}_${first.taskId} ended \\((CANCELLED|gone from squeue)\\).*resubmitting`));
  const ledger = analyzeLedger(store);
  assert.equal(ledger.length, 2);
  const log1 = readFileSync(join(slurmDir(store), 'logs', `${first.jobId}_${first.taskId}.out`), 'utf8');
  assert.match(log1, new RegExp(`^analyze: analysing ${id}: 76 checkpoint\\(s\\)$`, 'm'));
  const log2 = readFileSync(join(slurmDir(store), 'logs', `${ledger[1].jobId}_${ledger[1].taskId}.out`), 'utf8');
  const m = new RegExp(`^analyze: analysing ${id}: (\\d+) checkpoint\\(s\\) \\((\\d+) done before\\)$`, 'm').exec(log2);
  assert.ok(m && Number(m[2]) >= 8 && Number(m[1]) + Number(m[2]) === 76, log2);
  assert.equal(squeue(), '');
  assertSameAnalysis(store, local, 76 * 2);
});
