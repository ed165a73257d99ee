/**
 * `grokbench train`, `runs` and `metrics` through the real command line: JSON shapes, resume
 * after kill -9 ending byte-identical to an uninterrupted run, finished runs, divergence, and
 * every kind of bad input giving one `grokbench: ` line, exit status 2 and an untouched store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { BIN, runCli } from '../helpers/cli.js';

const SMALL = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1'];

const cli = runCli;

function tmp(): string { return mkdtempSync(join(tmpdir(), 'grokbench-train-')); }

/** Every file under dir with its SHA-256 and mtime: a store "untouched" keeps this exactly. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex') + ':' + st.mtimeMs;
    }
  };
  walk(dir);
  return out;
}

test('train --json prints the docs/design.md result object; runs and metrics --json have their shapes', () => {
  const store = tmp();
  const r = cli(['train', '--store', store, ...SMALL, '--epochs', '20', '--checkpoint-every', '10', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(res).sort(), ['epochs', 'final', 'grok_epoch', 'memorise_epoch', 'run_id', 'wall_s']);
  assert.deepEqual(Object.keys(res.final).sort(), ['epoch', 'test_acc', 'test_loss', 'train_acc', 'train_loss']);
  assert.equal(res.final.epoch, 20);
  const runs = JSON.parse(cli(['runs', '--store', store, '--json']).stdout);
  assert.equal(runs.length, 1);
  assert.deepEqual(Object.keys(runs[0]).sort(), ['data_seed', 'epochs', 'epochs_done', 'grok_epoch', 'jitter', 'memorise_epoch', 'outcome', 'p', 'run_id', 'seed', 'status']);
  assert.equal(runs[0].outcome.performance_classification, 'no_second_descent', 'MIScope class of a 20-epoch run');
  assert.equal(runs[0].status, 'done');
  assert.equal(runs[0].epochs_done, 20);
  const metrics = JSON.parse(cli(['metrics', res.run_id, '--store', store, '--json']).stdout);
  assert.equal(metrics.length, 21, 'epochs 0..20');
  assert.deepEqual(Object.keys(metrics[0]).sort(), ['epoch', 'test_acc', 'test_loss', 'train_acc', 'train_loss']);
  assert.equal(metrics[20].test_loss, res.final.test_loss);
  const csv = cli(['metrics', res.run_id, '--store', store]).stdout.trim().split('\n');
  assert.equal(csv[0], 'epoch,train_loss,train_acc,test_loss,test_acc');
  assert.equal(csv.length, 22);
  const ckpts = readdirSync(join(store, 'runs', res.run_id, 'checkpoints')).sort();
  assert.deepEqual(ckpts, ['epoch-000000.safetensors', 'epoch-000000.safetensors.sha256', 'epoch-000010.safetensors', 'epoch-000010.safetensors.sha256',
    'epoch-000020.safetensors', 'epoch-000020.safetensors.sha256'], 'each checkpoint with its SHA-256 beside it');
  // A finished run: says so and exits 0 without training.
  const again = cli(['train', '--store', store, ...SMALL, '--epochs', '20', '--checkpoint-every', '10']);
  assert.equal(again.status, 0);
  assert.match(again.stdout, /already finished/);
});

test('--eval-every leaves test metrics null between evaluations', () => {
  const store = tmp();
  const r = cli(['train', '--store', store, ...SMALL, '--epochs', '10', '--eval-every', '5', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(cli(['metrics', JSON.parse(r.stdout).run_id, '--store', store, '--json']).stdout);
  assert.equal(m[3].test_loss, null);
  assert.notEqual(m[5].test_loss, null);
  assert.notEqual(m[10].test_loss, null);
});

test('a run killed with SIGKILL mid-training resumes to checkpoints byte-identical to an uninterrupted run; a second writer meanwhile is refused', async () => {
  // Long enough (seconds) that the kill lands while it trains; the second progress line comes after ≥ 500 ms.
  const epochs = 6000;
  const args = [...SMALL, '--epochs', String(epochs), '--checkpoint-every', '200'];
  const a = tmp(), b = tmp();
  assert.equal(cli(['train', '--store', a, ...args]).status, 0);
  const child = spawn(process.execPath, [BIN, 'train', '--store', b, ...args, '--progress-jsonl'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0, killedAt = -1;
  let second: ReturnType<typeof cli> | undefined;
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const epoch = (JSON.parse(line) as { epoch: number }).epoch;
        if (++lines < 2 || killedAt >= 0 || epoch >= epochs) continue;
        killedAt = epoch;
        // While it trains, a second process on the same run is refused with one line.
        second = cli(['train', '--store', b, ...args]);
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 300);
      }
    });
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  assert.equal(exit.signal, 'SIGKILL', `the child was killed mid-run (exit ${exit.code}, ${lines} progress lines)`);
  assert.ok(second, 'the second writer ran');
  assert.equal(second.status, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`^grokbench: run \\S+ is in use by process ${child.pid} on \\S+ since [^\\n]*\\n$`));
  // The next run takes over the dead process's lock and resumes from a checkpoint after the start.
  const r = cli(['train', '--store', b, ...args]);
  assert.equal(r.status, 0, r.stderr);
  const resumed = /grokbench: resuming (\S+) from epoch (\d+) of \d+/.exec(r.stderr);
  assert.ok(resumed, `the next run resumed: ${r.stderr}`);
  assert.ok(Number(resumed[2]) >= 200 && Number(resumed[2]) < epochs, `resumed from ${resumed[2]} (kill decided at epoch ${killedAt})`);
  const id = resumed[1];
  const ca = join(a, 'runs', id, 'checkpoints'), cb = join(b, 'runs', id, 'checkpoints');
  const files = readdirSync(ca).sort();
  assert.deepEqual(readdirSync(cb).sort(), files);
  assert.equal(files.length, 62, "31 checkpoints, each with its checksum");
  for (const f of files) assert.ok(readFileSync(join(ca, f)).equals(readFileSync(join(cb, f))), `${f} differs`);
  const ma = cli(['metrics', id, '--store', a, '--json']).stdout, mb = cli(['metrics', id, '--store', b, '--json']).stdout;
  assert.equal(ma, mb);
});

test('--init-from and --split-file restart a run from weights and a split made elsewhere, to the same weights', () => {
  const store = tmp();
  const args = [...SMALL, '--epochs', '30', '--checkpoint-every', '10'];
  const a = JSON.parse(cli(['train', '--store', store, ...args, '--json']).stdout);
  const dirA = join(store, 'runs', a.run_id);
  const b = cli(['train', '--store', store, ...args, '--seed', '7', '--data-seed', '8', '--json',
    '--init-from', join(dirA, 'checkpoints', 'epoch-000000.safetensors'), '--split-file', join(dirA, 'split.json')]);
  assert.equal(b.status, 0, b.stderr);
  const rb = JSON.parse(b.stdout);
  assert.notEqual(rb.run_id, a.run_id);
  assert.deepEqual(rb.final, a.final, 'same start and split: same losses');
  const fa = readSafetensorsFile(join(dirA, 'checkpoints', 'epoch-000030.safetensors'));
  const fb = readSafetensorsFile(join(store, 'runs', rb.run_id, 'checkpoints', 'epoch-000030.safetensors'));
  assert.deepEqual(fb.names(), fa.names());
  for (const name of fa.names()) assert.deepEqual(fb.getFloat32(name), fa.getFloat32(name), name);
});

test('a diverging run stops with a clear message and keeps its last good checkpoint', () => {
  const store = tmp();
  const r = cli(['train', '--store', store, ...SMALL, '--epochs', '200', '--checkpoint-every', '5', '--lr', '1e30', '--wd', '0']);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[lines.length - 1], /^grokbench: run .* diverged at epoch \d+ .*last good checkpoint is epoch \d+/);
  const runs = JSON.parse(cli(['runs', '--store', store, '--json']).stdout);
  assert.equal(runs[0].status, 'diverged');
  const dir = join(store, 'runs', runs[0].run_id, 'checkpoints');
  assert.ok(readdirSync(dir).length >= 1);
  const again = cli(['train', '--store', store, ...SMALL, '--epochs', '200', '--checkpoint-every', '5', '--lr', '1e30', '--wd', '0']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /diverged earlier/);
});

test('bad input gives one grokbench: line, exit 2, and leaves the store untouched', () => {
  const store = tmp();
  assert.equal(cli(['train', '--store', store, ...SMALL, '--epochs', '10', '--checkpoint-every', '5']).status, 0);
  const runDir = join(store, 'runs', readdirSync(join(store, 'runs'))[0]);
  const aFile = join(tmp(), 'file');
  writeFileSync(aFile, 'not a directory');
  const corrupt = join(tmp(), 'corrupt.safetensors');
  const good = readFileSync(join(runDir, 'checkpoints', 'epoch-000010.safetensors'));
  writeFileSync(corrupt, good.subarray(0, good.length - 100));
  const garbage = join(tmp(), 'garbage.safetensors');
  writeFileSync(garbage, Buffer.from('this is not a safetensors file at all'));
  const cases: [string, string[]][] = [
    ['non-prime p', ['--p', '21']], ['too small p', ['--p', '1']], ['non-integer p', ['--p', '2.5']],
    ['word p', ['--p', 'abc']], ['frac-train 0', ['--frac-train', '0']], ['frac-train above 1', ['--frac-train', '1.5']],
    ['zero epochs', ['--epochs', '0']], ['negative epochs', ['--epochs', '-5']], ['unknown flag', ['--bogus']],
    ['truncated init checkpoint', ['--init-from', corrupt]], ['garbage init checkpoint', ['--init-from', garbage]],
    ['missing init checkpoint', ['--init-from', join(store, 'nope.safetensors')]],
  ];
  const before = snapshot(store);
  for (const [what, extra] of cases) {
    const r = cli(['train', '--store', store, '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', ...extra]);
    assert.equal(r.status, 2, `${what}: exit ${r.status}, stderr ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    assert.match(lines[0], /^grokbench: /, what);
    assert.equal(r.stdout, '', what);
  }
  assert.deepEqual(snapshot(store), before, 'store untouched');
  const asFile = cli(['train', '--store', aFile, ...SMALL, '--epochs', '5']);
  assert.equal(asFile.status, 2);
  assert.match(asFile.stderr, /^grokbench: store path .* is a file/);
  // A corrupt resume file: the partly trained run refuses to resume, store untouched.
  const partial = tmp();
  const child = cli(['train', '--store', partial, ...SMALL, '--epochs', '40', '--checkpoint-every', '10']);
  assert.equal(child.status, 0);
  const rid = readdirSync(join(partial, 'runs'))[0];
  // Make it look partly done again with a damaged resume file.
  const resume = join(partial, 'runs', rid, 'resume.safetensors');
  const bytes = readFileSync(resume);
  writeFileSync(resume, bytes.subarray(0, 50));
  const db = new Database(join(partial, 'grokbench.sqlite'));
  db.prepare("UPDATE runs SET status = 'training', epochs_done = 30").run();
  db.close();
  const snap = snapshot(partial);
  const r = cli(['train', '--store', partial, ...SMALL, '--epochs', '40', '--checkpoint-every', '10']);
  // Its checksum finds it first (exit 1: stored data is damaged); the run is then `failed` with that error, and nothing else changed.
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr.trim(), /^grokbench: .*resume\.safetensors is damaged: its SHA-256 is not the one recorded/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const after = snapshot(partial);
  const failureFile = Object.keys(after).find((f) => f.endsWith('failure.json'));
  assert.ok(failureFile, 'the failure is recorded');
  delete after[failureFile];
  assert.deepEqual(after, snap);
  const runs = JSON.parse(cli(['runs', '--store', partial, '--json']).stdout) as { status: string; error: string }[];
  assert.equal(runs[0].status, 'failed');
  assert.match(runs[0].error, /resume\.safetensors is damaged/);
  // Without its checksum file (written by an older grokbench), the truncated file is still refused: bad input, exit 2.
  rmSync(resume + '.sha256');
  const r2 = cli(['train', '--store', partial, ...SMALL, '--epochs', '40', '--checkpoint-every', '10']);
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr.trim(), /^grokbench: .*resume\.safetensors: truncated file/);
});


test('bad settings are refused before the store is opened: a new --store directory is never created', () => {
  const missing = join(tmp(), 'missing.safetensors');
  const cases: [string, string[], RegExp][] = [
    ['non-prime p', ['--p', '21'], /--p must be prime/],
    ['33 heads (the native engine takes 32)', ['--n-heads', '33'], /--n-heads must be at most 32/],
    ['bad schedule', ['--checkpoint-schedule', '0:10'], /--checkpoint-schedule/],
    ['schedule and every', ['--checkpoint-schedule', 'miscope', '--checkpoint-every', '50'], /not both/],
    ['negative jitter', ['--jitter', '-1'], /--jitter/],
    ['gelu', ['--act', 'gelu'], /--act/],
    ['missing init file', ['--init-from', missing], /missing\.safetensors/],
    ['too many threads', ['--threads', '999'], /--threads must be between 1 and 256/],
  ];
  for (const [what, extra, re] of cases) {
    const store = join(tmp(), 'new-store');
    const r = cli(['train', '--store', store, '--epochs', '2', ...extra]);
    assert.equal(r.status, 2, `${what}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, what);
    assert.match(r.stderr, new RegExp(`^grokbench: .*${re.source}`), what);
    assert.ok(!existsSync(store), `${what}: ${store} not created`);
  }
});
