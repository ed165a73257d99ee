/**
 * `grokbench sweep` through the real command line on a tiny model: end to end with analysis and
 * report, kills (SIGTERM, SIGKILL) and restarts ending byte-identical to an uninterrupted sweep,
 * a failed run, bad input, and a finished sweep that trains nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OPTIONS } from '../../src/analysis/protocol/analyzer.js';
import { listAnalyzers } from '../../src/analysis/registry.js';
import { packageRoot } from '../../src/engine/native.js';
import { DEFAULTS, runId } from '../../src/config/config.js';
import { Store } from '../../src/store/store.js';
import { assertSameStore, checkpointFiles } from '../helpers/stores.js';

const BIN = join(packageRoot(), 'bin', 'grokbench');
const MODEL = ['--d-model', '16', '--d-mlp', '32', '--n-heads', '2', '--d-head', '8'];
const GRID = ['--primes', '11,13', '--seeds', '1,2'];
const SMALL = [...GRID, '--epochs', '150', '--checkpoint-every', '25', ...MODEL];
// Long enough (a few seconds per run) for a kill to land in the middle.
const LONG = [...GRID, '--epochs', '4000', '--checkpoint-every', '250', ...MODEL, '--no-analyze'];
const LONG_FINAL = 'epoch-004000.safetensors';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'sweep', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp(): string { return mkdtempSync(join(tmpdir(), 'grokbench-sweep-')); }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Processes (other than us) whose command line mentions `needle`. */
function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try { if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name)); } catch { /* gone */ }
  }
  return pids;
}

/** Start a sweep, wait until `ready` says it is mid-way, send `signal`, wait for it and its children to end. */
async function interruptedSweep(args: string[], store: string, signal: NodeJS.Signals, ready: () => boolean) {
  const child = spawn(process.execPath, [BIN, 'sweep', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  child.stdout.resume();
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, sig) => r({ code, signal: sig })));
  await waitFor('the sweep to be mid-way', ready);
  child.kill(signal);
  const end = await closed;
  // Its training children must not outlive it.
  await waitFor('the sweep\'s children to exit', () => processesWith(store).length === 0, 15_000);
  return { ...end, stderr };
}

/** Some run has made new checkpoints since `before`, and some run is not finished. */
function midway(store: string, before: Map<string, string[]>): () => boolean {
  return () => {
    const now = checkpointFiles(store);
    let progressed = false, unfinished = now.size < 4;
    for (const [id, files] of now) {
      if (files.length >= (before.get(id)?.length ?? 0) + 2) progressed = true;
      if (!files.includes(LONG_FINAL)) unfinished = true;
    }
    return progressed && unfinished;
  };
}

test('a sweep trains every prime × seed run, analyses them and writes the report; --json is the one document on stdout', () => {
  const dir = tmp();
  try {
    const store = join(dir, 'store'), out = join(dir, 'report');
    const r = cli([...SMALL, '--store', store, '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc).sort(), ['jobs', 'report', 'runs', 'threads_per_job', 'wall_s']);
    assert.equal(doc.jobs * doc.threads_per_job >= 1, true);
    assert.deepEqual(doc.runs.map((x: { p: number; seed: number }) => [x.p, x.seed]), [[11, 1], [11, 2], [13, 1], [13, 2]]);
    assert.equal(doc.report, join(out, 'report.html'));
    assert.ok(statSync(doc.report).size > 1000);
    const s = Store.open(store, { readonly: true });
    try {
      for (const run of doc.runs) {
        const expectedId = runId({ ...DEFAULTS, p: run.p, seed: run.seed, epochs: 150, checkpointEvery: 25, dModel: 16, dMlp: 32, nHeads: 2, dHead: 8 });
        assert.equal(run.run_id, expectedId);
        assert.equal(run.status, 'done');
        assert.equal(run.epochs_done, 150);
        assert.ok(run.wall_s > 0);
        const row = s.getRun(run.run_id)!;
        assert.equal(row.status, 'done');
        assert.equal(row.epochs_done, 150);
        const m = s.getMetrics(run.run_id);
        assert.equal(m.length, 151);
        assert.equal(run.final_test_acc, m[150].test_acc);
        assert.equal(run.memorise_epoch, row.memorise_epoch);
        const epochs = s.listCheckpoints(run.run_id).map((c) => c.epoch);
        assert.deepEqual(epochs, [0, 25, 50, 75, 100, 125, 150]);
        for (const a of listAnalyzers()) assert.equal(s.analysedEpochs(run.run_id, a.name, a.params(DEFAULT_OPTIONS)).size, 7, a.name);
      }
    } finally { s.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a second sweep of finished runs trains nothing and leaves every run as it was', () => {
  const dir = tmp();
  try {
    const store = join(dir, 'store');
    const first = cli([...SMALL, '--store', store, '--no-report', '--json']);
    assert.equal(first.status, 0, first.stderr);
    const before = new Map([...checkpointFiles(store)].map(([id, fs]) => [id, fs.map((f) => statSync(join(store, 'runs', id, 'checkpoints', f)).mtimeMs)]));
    const s0 = Store.open(store, { readonly: true });
    const rows0 = s0.listRuns().map((r) => ({ ...r }));
    s0.close();
    const second = cli([...SMALL, '--store', store, '--no-report', '--json']);
    assert.equal(second.status, 0, second.stderr);
    const doc = JSON.parse(second.stdout);
    for (const run of doc.runs) {
      assert.equal(run.status, 'already-done');
      assert.equal(run.wall_s, 0);
      assert.equal(run.epochs_done, 150);
    }
    const firstDoc = JSON.parse(first.stdout);
    assert.deepEqual(doc.runs.map((x: { final_test_acc: number }) => x.final_test_acc), firstDoc.runs.map((x: { final_test_acc: number }) => x.final_test_acc));
    const after = new Map([...checkpointFiles(store)].map(([id, fs]) => [id, fs.map((f) => statSync(join(store, 'runs', id, 'checkpoints', f)).mtimeMs)]));
    assert.deepEqual(after, before);
    const s1 = Store.open(store, { readonly: true });
    assert.deepEqual(s1.listRuns(), rows0);
    s1.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a sweep stopped by SIGTERM, then killed by SIGKILL, then restarted ends byte-identical to an uninterrupted sweep', async () => {
  const dir = tmp();
  try {
    const ref = join(dir, 'ref'), cut = join(dir, 'cut');
    const whole = cli([...LONG, '--store', ref]);
    assert.equal(whole.status, 0, whole.stderr);

    const term = await interruptedSweep([...LONG, '--store', cut], cut, 'SIGTERM', midway(cut, new Map()));
    assert.equal(term.code, 143, term.stderr);
    assert.match(term.stderr, /^grokbench: sweep interrupted; run the same command again to resume/m);
    const afterTerm = checkpointFiles(cut);
    assert.ok([...afterTerm.values()].some((f) => !f.includes(LONG_FINAL)), 'SIGTERM came after the sweep had finished');

    const kill = await interruptedSweep([...LONG, '--store', cut], cut, 'SIGKILL', midway(cut, afterTerm));
    assert.equal(kill.signal, 'SIGKILL');
    const s = Store.open(cut, { readonly: true });
    const unfinished = s.listRuns().filter((r) => r.status !== 'done').length + (4 - s.listRuns().length);
    s.close();
    assert.ok(unfinished > 0, 'SIGKILL came after the sweep had finished');

    const rest = cli([...LONG, '--store', cut, '--json']);
    assert.equal(rest.status, 0, rest.stderr);
    assert.ok(JSON.parse(rest.stdout).runs.some((r: { status: string }) => r.status === 'done'));

    assertSameStore(cut, ref, 4, 17);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a second sweep on a store that a sweep is using gets a one-line error and changes nothing', async () => {
  const dir = tmp();
  try {
    const store = join(dir, 'store');
    const first = spawn(process.execPath, [BIN, 'sweep', ...LONG, '--store', store], { stdio: ['ignore', 'ignore', 'pipe'] });
    first.stderr.resume();
    const closed = new Promise<number | null>((r) => first.on('close', (code) => r(code)));
    await waitFor('the first sweep to train', () => [...checkpointFiles(store).values()].some((f) => f.length >= 2));
    const before = checkpointFiles(store);
    const second = cli([...LONG, '--store', store, '--json']);
    assert.equal(second.status, 1, second.stderr);
    assert.equal(second.stdout, '');
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(lines[0], new RegExp(`^grokbench: store .* \\(a sweep\\) is in use by process ${first.pid} on `));
    // It started no run: every checkpoint it could have written would be the first sweep's.
    for (const [id, files] of before) assert.ok((checkpointFiles(store).get(id)?.length ?? 0) >= files.length);
    first.kill('SIGTERM');
    assert.equal(await closed, 143);
    // Once the first has ended, the store is free again.
    assert.equal(existsSync(join(store, '.sweep.lock')), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a failed run is reported in one line, the others finish, and the sweep exits 1', () => {
  const dir = tmp();
  try {
    const store = join(dir, 'store');
    // A run of the grid that diverged earlier: training it again fails at once.
    const config = { ...DEFAULTS, p: 13, seed: 2, epochs: 150, checkpointEvery: 25, dModel: 16, dMlp: 32, nHeads: 2, dHead: 8 };
    const bad = runId(config);
    const s = Store.open(store);
    s.createRun({ run_id: bad, p: 13, seed: 2, data_seed: config.dataSeed, epochs: 150, config_json: JSON.stringify(config), engine: 'x', source: 'grokbench', status: 'diverged' });
    s.close();
    const r = cli([...SMALL, '--store', store, '--no-analyze', '--json']);
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^grokbench: run ${bad} failed: run ${bad} diverged earlier`));
    const doc = JSON.parse(r.stdout);
    for (const run of doc.runs) {
      if (run.run_id === bad) { assert.equal(run.status, 'failed'); assert.match(run.error, /diverged earlier/); }
      else assert.equal(run.status, 'done');
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('bad input gives one grokbench: line and exit status 2 before anything starts', () => {
  const dir = tmp();
  try {
    const store = join(dir, 'store');
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, 'x');
    const cases: [string[], RegExp][] = [
      [['--primes', '11', '--seeds', '1', '--out', aFile], /--out .* is a file/],
      [['--primes', '11,15', '--seeds', '1'], /--primes: 15 must be prime/],
      [['--primes', '11,x', '--seeds', '1'], /--primes must be a comma-separated list of integers/],
      [['--preset', 'nope'], /unknown preset 'nope'/],
      [['--seeds', '1'], /--primes is required/],
      [['--primes', '11'], /--seeds is required/],
      [['--primes', '11', '--seeds', '1', '--jobs', '0'], /--jobs must be at least 1/],
      [['--primes', '11', '--seeds', '1', '--epochs', '0'], /--epochs/],
      [['--primes', '11', '--seeds', '1', '--p', '11'], /unknown option '--p'/],
      [['--primes', '11', '--seeds', '1', '--threads', '1', '--threads-per-job', '2'], /disagree/],
    ];
    for (const [args, re] of cases) {
      const r = cli([...args, '--store', store]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^grokbench: /);
      assert.match(lines[0], re);
      assert.equal(existsSync(store), false, `${args.join(' ')} created the store`);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
