/** `grokbench outcome` and the outcome in `grokbench runs --json`, through the real command line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { buildBenchStore } from '../report/bench-store.js';
import { TS_ENGINE, runCli } from '../helpers/cli.js';


const cli = (args: string[]) => runCli(args, TS_ENGINE);

test('outcome: the variant table per run (class, onset, dynamics, data seed and jitter), stored; runs --json carries it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-outcome-cli-'));
  try {
    const ids = buildBenchStore(dir, { epochs: 1000, every: 100, dMlp: 64, runs: [{ p: 13, seed: 1, grokAt: 600 }, { p: 13, seed: 2, grokAt: null }] });
    const store = Store.open(dir);
    const run = store.getRun(ids[1])!;
    store.updateRun(ids[1], { config_json: JSON.stringify({ ...JSON.parse(run.config_json), jitter: 3 }) });
    // The grokking run's final test loss is set to 1e-7: healthy; the other never descends.
    store.appendMetrics(ids[0], [{ epoch: 1000, train_loss: 1e-7, train_acc: 1, test_loss: 1e-7, test_acc: 1 }]);
    store.close();

    const r = cli(['outcome', '--store', dir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, any>[];
    assert.deepEqual(rows.map((x) => x.run_id), ids);
    const [g, n] = rows;
    assert.equal(g.outcome.performance_classification, 'healthy');
    assert.equal(g.outcome.second_descent_onset_epoch, 580, 'the fixture curve drops at grokAt − 20');
    assert.equal(g.outcome.test_loss_threshold_first_epoch, 1000);
    assert.equal(g.outcome.epoch_convention, 'steps');
    assert.match(g.outcome.epoch_note, /e − 1/);
    assert.equal(g.outcome.test_eval_every, 1);
    assert.equal(n.outcome.performance_classification, 'no_second_descent');
    assert.deepEqual([g.jitter, n.jitter, g.data_seed], [0, 3, 598]);
    assert.equal(g.dynamics.checkpoints, 11);
    assert.ok(Array.isArray(g.dynamics.final_committed_frequencies));
    // The run's own key frequencies (its last embedding_fourier summary) with their viability.
    const kf = g.outcome.key_frequencies;
    assert.equal(kf.epoch, 1000);
    assert.ok(kf.frequencies.length > 0);
    assert.deepEqual(kf.per_frequency.map((f: { aliasing_risk: number }) => f.aliasing_risk), kf.frequencies.map((k: number) => k / 6));
    // Stored as the run's `outcome` analysis.
    const s = Store.open(dir, { readonly: true });
    const stored = s.getAnalyses<{ performance_classification: string }>(ids[0], 'outcome');
    s.close();
    assert.equal(stored.length, 1);
    assert.equal(stored[0].epoch, 1000);
    assert.equal(stored[0].summary.performance_classification, 'healthy');
    // The table names the classes and the epoch convention.
    const t = cli(['outcome', ids[0], '--store', dir]);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /healthy/);
    assert.match(t.stdout, /grokked = healthy \| late_grokker/);
    // runs --json carries the outcome too.
    const runs = JSON.parse(cli(['runs', '--store', dir, '--json']).stdout) as Record<string, any>[];
    assert.deepEqual(runs.map((x) => x.outcome.performance_classification), ['healthy', 'no_second_descent']);
    assert.equal(runs[1].jitter, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('outcome of an unknown run: one-line error, exit 2, store unchanged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-outcome-bad-'));
  try {
    buildBenchStore(dir, { epochs: 200, every: 100, dMlp: 16, runs: [{ p: 7, seed: 1, grokAt: null }] });
    const before = readFileSync(join(dir, 'grokbench.sqlite'));
    const r = cli(['outcome', 'nope', '--store', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^grokbench: no run nope/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(readFileSync(join(dir, 'grokbench.sqlite')).equals(before), 'the store file is unchanged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
