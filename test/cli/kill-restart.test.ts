/**
 * kill -9 at random instants of `analyze`, `export`, `import`, `report` and of one training child
 * of a `sweep`, then the same command again: the result equals an uninterrupted run's (database
 * rows, artifacts, exported and imported files, the report), and nothing is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, runCli as cli } from '../helpers/cli.js';

const SMALL = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1'];
const tmp = (what: string) => mkdtempSync(join(tmpdir(), `grokbench-kill-${what}-`));

function ok(args: string[]): string {
  const r = cli(args);
  assert.equal(r.status, 0, `grokbench ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** SHA-256 of every file under dir (relative paths), store databases and run-state files aside. */
function tree(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name), rel = relative(dir, p);
      if (skip(rel)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Start `grokbench args…`, SIGKILL it after `ms` (if still running). Resolves to whether it was killed. */
function killAfter(args: string[], ms: number): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) => child.on('exit', (_c, signal) => { clearTimeout(timer); resolve(signal === 'SIGKILL'); }));
}

const analysisRows = (store: string) => {
  const db = new Database(join(store, 'grokbench.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT run_id, epoch, analyzer, params, summary_json FROM analysis ORDER BY run_id, epoch, analyzer').all();
  } finally { db.close(); }
};

let base: { store: string; id: string } | undefined;
/** A trained (not analysed) run, copied for each test. */
function trainedStore(): { store: string; id: string } {
  if (!base) {
    const store = tmp('base');
    const id = JSON.parse(ok(['train', '--store', store, ...SMALL, '--epochs', '1500', '--checkpoint-every', '50', '--json'])).run_id as string;
    base = { store, id };
  }
  const copy = tmp('store');
  cpSync(base.store, copy, { recursive: true });
  return { store: copy, id: base.id };
}

test('analyze killed three times then rerun: the same analysis rows and artifacts as one clean analysis, and a clean verify', async () => {
  const a = trainedStore(), b = trainedStore();
  const t0 = performance.now();
  ok(['analyze', '--store', a.store, '--jobs', '2']);
  const took = performance.now() - t0;
  // Kills at 20 %, 45 % and 70 % of a clean analysis's time (each rerun has less left to do).
  let kills = 0;
  for (const f of [0.2, 0.45, 0.7]) if (await killAfter(['analyze', '--store', b.store, '--jobs', '2'], f * took * (0.9 + 0.2 * Math.random()))) kills++;
  assert.ok(kills >= 1, 'at least one kill landed mid-analysis');
  ok(['analyze', '--store', b.store, '--jobs', '2']);
  assert.deepEqual(analysisRows(b.store), analysisRows(a.store));
  const arts = (s: string) => tree(join(s, 'runs', a.id, 'analysis'));
  assert.deepEqual(arts(b.store), arts(a.store));
  assert.equal(JSON.parse(ok(['verify', '--store', b.store, '--json'])).damaged, 0);
});

test('export, import and report killed midway then rerun give what an uninterrupted one gives; no staging folder is left', async () => {
  const { store, id } = trainedStore();
  ok(['analyze', '--store', store, '--jobs', '2']);
  // export
  const ex1 = tmp('ex1'), ex2 = tmp('ex2');
  ok(['export', id, '--store', store, '--miscope', ex1]);
  await killAfter(['export', id, '--store', store, '--miscope', ex2], 250 + Math.random() * 250);
  const exAgain = cli(['export', id, '--store', store, '--miscope', ex2]);
  // A kill after the folder was moved into place leaves the export done: the rerun then says it exists (exit 2).
  assert.ok(exAgain.status === 0 || (exAgain.status === 2 && /already exists/.test(exAgain.stderr)), exAgain.stderr);
  assert.deepEqual(tree(ex2), tree(ex1));
  // import of that export
  const im1 = tmp('im1'), im2 = tmp('im2');
  const folder = join(ex1, ...readdirSync(ex1).slice(0, 1));
  ok(['import', folder, '--store', im1]);
  await killAfter(['import', folder, '--store', im2], 300 + Math.random() * 300);
  const again = cli(['import', folder, '--store', im2]);
  // A kill after the commit leaves the run imported: the rerun then says it exists (exit 2); either way the store equals the clean import.
  assert.ok(again.status === 0 || /already exists/.test(again.stderr), again.stderr);
  assert.equal(ok(['runs', '--store', im2, '--json']), ok(['runs', '--store', im1, '--json']));
  const iid = (JSON.parse(ok(['runs', '--store', im1, '--json'])) as { run_id: string }[])[0].run_id;
  assert.equal(ok(['metrics', iid, '--store', im2, '--json']), ok(['metrics', iid, '--store', im1, '--json']));
  const runFiles = (s: string) => tree(join(s, 'runs'), (rel) => rel.endsWith('progress.json') || rel.endsWith('.lock'));
  assert.deepEqual(runFiles(im2), runFiles(im1));
  // report
  const r1 = tmp('rep1'), r2 = tmp('rep2');
  ok(['report', '--store', store, '--out', r1]);
  await killAfter(['report', '--store', store, '--out', r2], 1500 + Math.random() * 1000);
  ok(['report', '--store', store, '--out', r2]);
  const notHtml = (rel: string) => rel === 'report.html';
  assert.deepEqual(tree(r2, notHtml), tree(r1, notHtml));
  // report.html says when it was generated; apart from that it is the same.
  const html = (d: string) => readFileSync(join(d, 'report.html'), 'utf8').replace(/generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, 'generated …');
  assert.equal(html(r2), html(r1));
});

test('a sweep whose training child is killed reports that run failed; the sweep run again finishes it byte-identical to an uninterrupted sweep', async () => {
  const args = ['sweep', '--primes', '23,29', '--seeds', '1', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads-per-job', '1', '--epochs', '3000', '--checkpoint-every', '500', '--jobs', '2', '--no-analyze', '--json'];
  const a = tmp('sw1'), b = tmp('sw2');
  ok([...args, '--store', a]);
  const parent = spawn(process.execPath, [BIN, ...args, '--store', b], { stdio: ['ignore', 'pipe', 'pipe'] });
  let killed = false;
  const poll = setInterval(() => {
    if (killed) return;
    const kids = spawnSync('pgrep', ['-P', String(parent.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    if (kids.length > 0 && existsSync(join(b, 'grokbench.sqlite'))) { killed = true; spawnSync('kill', ['-9', kids[0]]); }
  }, 100);
  const code = await new Promise<number | null>((resolve) => parent.on('exit', (c) => resolve(c)));
  clearInterval(poll);
  assert.ok(killed, 'a child was killed');
  assert.equal(code, 1, 'the sweep reports a failed run');
  ok([...args, '--store', b]);
  const files = (s: string) => tree(join(s, 'runs'), (rel) => rel.endsWith('progress.json') || rel.endsWith('run.json') || rel.endsWith('.lock'));
  assert.deepEqual(files(b), files(a));
  const states = (s: string) => (JSON.parse(ok(['runs', '--store', s, '--json'])) as { status: string }[]).map((r) => r.status);
  assert.deepEqual(states(b), ['done', 'done']);
});
