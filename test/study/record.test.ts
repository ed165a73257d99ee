/**
 * Run records (src/study/record.ts): a record gives the study and `grokbench outcome --json`
 * exactly what the store gives (so a study rebuilt from committed records is the store's study),
 * survives its gzip'd JSON file bit for bit, and is refused with a one-line error when it is not a
 * record. And the committed docs/miscope-30 is what `grokbench study` rebuilds from its records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { loadStudyRun, studyRunFromSource } from '../../src/study/study.js';
import { readRecord, recordOfRun, recordStudySource, recordVariantRow, writeRecord } from '../../src/study/record.js';
import { computeStudy, computeStudyFromData } from '../../src/study/sections.js';
import { packageRoot } from '../../src/engine/native.js';
import { buildBenchStore } from '../report/bench-store.js';
import { TS_ENGINE, runCli } from '../helpers/cli.js';

const cli = (args: string[]) => runCli(args, TS_ENGINE);
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x));

test('a run record gives the study and outcome --json exactly what the store gives, through its file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-record-'));
  try {
    const ids = buildBenchStore(join(dir, 'store'), { epochs: 1000, every: 100, dMlp: 64, runs: [{ p: 13, seed: 1, grokAt: 600 }, { p: 13, seed: 2, grokAt: null }, { p: 17, seed: 3, grokAt: 800 }] });
    const store = Store.open(join(dir, 'store'));
    store.appendMetrics(ids[0], [{ epoch: 1000, train_loss: 1e-7, train_acc: 1, test_loss: 1e-7, test_acc: 1 }]);
    for (const id of ids) store.updateRun(id, { status: 'done' });
    const recs = ids.map((id) => readRecord(writeRecord(join(dir, 'records'), recordOfRun(store, id))));
    assert.deepEqual(recs.map((r) => r.run.run_id), ids);
    for (const [i, id] of ids.entries()) {
      // The study's view of the run, from the record and from the store.
      assert.equal(json(studyRunFromSource(recordStudySource(recs[i]))), json(loadStudyRun(store, id)), `study data of ${id}`);
      assert.ok(recs[i].final_weights_sha256 && /^[0-9a-f]{64}$/.test(recs[i].final_weights_sha256!));
      assert.equal(recs[i].neurons.low_k, 6);
    }
    // The whole study, and every row of outcome --json.
    assert.equal(json(computeStudyFromData(recs.map((r) => studyRunFromSource(recordStudySource(r))))), json(computeStudy(store, ids)));
    store.close();
    const r = cli(['outcome', '--store', join(dir, 'store'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.stringify(recs.map(recordVariantRow), null, 2) + '\n', r.stdout);
    assert.equal(JSON.parse(r.stdout)[0].outcome.performance_classification, 'healthy');

    // `grokbench study` over the records writes the same outcomes, and the same bytes twice.
    const s1 = cli(['study', '--records', join(dir, 'records'), '--out', join(dir, 'out1'), '--expect', `${ids[0]},p99-s1-00000000`]);
    assert.equal(s1.status, 0, s1.stderr);
    assert.equal(readFileSync(join(dir, 'out1', 'outcomes.json'), 'utf8'), r.stdout);
    const readme = readFileSync(join(dir, 'out1', 'README.md'), 'utf8');
    assert.match(readme, /healthy 1, late_grokker 0, degraded 1, degraded_rebound 0, no_second_descent 1: 1 of 3 grokked/);
    assert.match(readme, /Not yet trained \(no record\): p99-s1-00000000\./);
    assert.ok(cli(['study', '--records', join(dir, 'records'), '--out', join(dir, 'out2')]).status === 0);
    for (const f of ['outcomes.json', 'answers.json']) assert.equal(readFileSync(join(dir, 'out2', f), 'utf8'), readFileSync(join(dir, 'out1', f), 'utf8'));

    // An unfinished run gets no record when named; bad record files are one-line errors.
    const st = Store.open(join(dir, 'store'));
    st.updateRun(ids[1], { status: 'training' });
    st.close();
    const bad = cli(['record', ids[1], '--store', join(dir, 'store'), '--out', join(dir, 'records2')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^grokbench: run .* is not finished \(training/);
    writeFileSync(join(dir, 'records', 'p5-s1-deadbeef.json.gz'), 'not gzip');
    const garbled = cli(['study', '--records', join(dir, 'records'), '--out', join(dir, 'out3')]);
    assert.equal(garbled.status, 2);
    assert.match(garbled.stderr, /^grokbench: .*p5-s1-deadbeef\.json\.gz: not a run record/);
    assert.equal(garbled.stderr.trim().split('\n').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const M30 = join(packageRoot(), 'docs', 'miscope-30');
test('docs/miscope-30 (README, outcomes.json, answers.json) is exactly what grokbench study rebuilds from its committed records',
  { skip: existsSync(join(M30, 'records')) ? false : 'docs/miscope-30/records not committed' }, () => {
    const out = mkdtempSync(join(tmpdir(), 'grokbench-m30-'));
    try {
      const committed = JSON.parse(readFileSync(join(M30, 'study-command.json'), 'utf8')) as string[];
      const args = committed.map((a) => a.replace('{dir}', M30).replace('{out}', out));
      const r = cli(args);
      assert.equal(r.status, 0, r.stderr);
      for (const f of ['outcomes.json', 'answers.json', 'README.md']) {
        assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(M30, f), 'utf8'), `${f} differs from the committed one`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

test('verify-record retrains a recorded run and finds the same split, metrics, final weights and outcome; a changed record is reported (exit 1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-verify-record-'));
  try {
    const store = join(dir, 'store');
    const t = cli(['train', '--p', '11', '--seed', '3', '--epochs', '300', '--d-model', '16', '--d-mlp', '32', '--n-heads', '2', '--d-head', '8', '--checkpoint-every', '100', '--store', store, '--json']);
    assert.equal(t.status, 0, t.stderr);
    const id = (JSON.parse(t.stdout) as { run_id: string }).run_id;
    const s = Store.open(store);
    const file = writeRecord(join(dir, 'records'), recordOfRun(s, id));
    s.close();
    const ok = cli(['verify-record', file, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    const res = JSON.parse(ok.stdout) as { ok: boolean; checks: Record<string, boolean> };
    assert.deepEqual(res.checks, { run_id: true, split_sha256: true, final_weights_sha256: true, metrics: true, outcome: true });
    const rec = readRecord(file);
    rec.final_weights_sha256 = '0'.repeat(64);
    rec.metrics.test_loss[200] = 0.5;
    const bad = writeRecord(join(dir, 'changed'), rec);
    const r = cli(['verify-record', bad]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /DIFFERENT .*final_weights_sha256 differs, metrics differs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
