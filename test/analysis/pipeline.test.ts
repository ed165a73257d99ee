import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationMaps } from '../../src/analysis/library/activations.js';
import { neuronFourier } from '../../src/analysis/library/coarseness.js';
import { analyseRuns, artifactPath } from '../../src/analysis/pipeline.js';
import { coarsenessValues, readEmbeddingFourier, readNeuronFourier, summaryStats } from '../../src/analysis/results.js';
import { embeddingFourier } from '../../src/analysis/library/embedding.js';
import { loadKernels } from '../../src/engine/index.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import type { ModelConfig } from '../../src/config/config.js';
import { Store } from '../../src/store/store.js';
import { randomParams, smallConfig } from './helpers.js';

function tinyStore(runs: string[], epochs = [0, 100, 200], c: ModelConfig = smallConfig(11, 16, 32)): { store: Store; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-analysis-'));
  const store = Store.open(dir);
  runs.forEach((runId, r) => {
    store.createRun({ run_id: runId, p: c.p, seed: r, data_seed: 598, epochs: 200, config_json: JSON.stringify(c), engine: 'test', source: 'test' });
    mkdirSync(store.checkpointDir(runId), { recursive: true });
    epochs.forEach((epoch, i) => {
      const path = store.checkpointPath(runId, epoch);
      saveCheckpoint(path, randomParams(c, 1000 * r + i), { epoch: String(epoch) });
      store.addCheckpoint(runId, { epoch, step: epoch, path });
    });
    store.appendMetrics(runId, epochs.map((epoch, i) => ({
      epoch, train_loss: 1, train_acc: i === 0 ? 0.1 : 1, test_loss: i === 2 ? 0.001 : 2, test_acc: i === 2 ? 1 : 0.2,
    })));
  });
  return { store, dir };
}

test('the pipeline analyses every checkpoint of a tiny real store once; a second call analyses nothing new', async () => {
  const { store, dir } = tinyStore(['tiny']);
  try {
    const first = await analyseRuns(store, ['tiny'], { jobs: 1 });
    assert.equal(first.tasks, 3);
    assert.deepEqual({ ...first.runs[0], runSummaries: undefined },
      { runId: 'tiny', checkpoints: 3, alreadyDone: 0, computed: 3, resummarised: 0, runSummaries: undefined });
    assert.deepEqual(first.runs[0].runSummaries.grokking,
      { grok_epoch: 200, grok_epoch_acc: 200, memorise_epoch: 100, acc_half_epoch: 200, stays_below: true });
    for (const e of [0, 100, 200]) {
      assert.ok(existsSync(join(dir, 'runs', 'tiny', 'analysis', 'neuron_fourier', `epoch-${String(e).padStart(6, '0')}.safetensors`)));
      assert.ok(existsSync(artifactPath(store, 'tiny', 'embedding_fourier', e)));
    }
    const second = await analyseRuns(store, ['tiny'], { jobs: 1 });
    assert.equal(second.tasks, 0);
    assert.equal(second.runs[0].alreadyDone, 3);

    // What was stored equals a direct computation from the checkpoint.
    const run = readNeuronFourier(store, 'tiny');
    assert.deepEqual(run.epochs.map((e) => e.epoch), [0, 100, 200]);
    assert.equal(run.p, 11); assert.equal(run.dMlp, 32); assert.equal(run.nFreq, 5);
    const k = loadKernels({ quiet: true });
    const params = randomParams(smallConfig(11, 16, 32), 1); // the weights of epoch 100
    const direct = neuronFourier(k, activationMaps(k, params), 11, 32);
    assert.deepEqual(Array.from(run.epochs[1].frac), Array.from(direct.frac));
    assert.deepEqual(Array.from(run.epochs[1].flat), Array.from(direct.flat));
    const rows = store.getAnalyses<{ mean_coarseness: number | null; low_freqs: number }>('tiny', 'neuron_fourier');
    assert.equal(rows.length, 3);
    const stats = summaryStats(coarsenessValues(run.epochs[1], 5, 32, 3));
    assert.equal(rows[1].summary.mean_coarseness, stats.mean_coarseness);
    assert.equal(rows[1].summary.low_freqs, 3);
    const emb = readEmbeddingFourier(store, 'tiny');
    assert.equal(emb.length, 3);
    const wantEmb = embeddingFourier(params.t['embed.W_E'], 11, 16);
    assert.deepEqual(emb[1].keyFrequencies, wantEmb.keyFrequencies);
    assert.ok(Math.abs(emb[1].gini - wantEmb.gini) < 1e-12);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('--analyzers computes the chosen ones, what they require and the core, and nothing else; analysing everything later adds the rest', async () => {
  const { store, dir } = tinyStore(['tiny']);
  try {
    const names = () => new Set(['neuron_fourier', 'embedding_fourier', 'weight_norm', 'neuron_grouping', 'parameter_dmd', 'llc', 'attention', 'grokking', 'outcome']
      .filter((a) => store.getAnalyses('tiny', a).length > 0));
    // parameter_dmd (a run analyzer) requires neuron_grouping (a checkpoint analyzer).
    await analyseRuns(store, ['tiny'], { jobs: 1, analyzers: ['weight_norm', 'parameter_dmd'] });
    assert.deepEqual(names(), new Set(['neuron_fourier', 'embedding_fourier', 'weight_norm', 'neuron_grouping', 'parameter_dmd', 'grokking', 'outcome']));
    const core = store.getAnalyses('tiny', 'neuron_fourier').map((r) => r.summary);
    const again = await analyseRuns(store, ['tiny'], { jobs: 1, analyzers: ['weight_norm'] });
    assert.equal(again.tasks, 0, 'nothing chosen is left to compute');
    const all = await analyseRuns(store, ['tiny'], { jobs: 1 });
    assert.equal(all.tasks, 3, 'every checkpoint still lacks the analyzers not chosen before');
    assert.ok(names().has('llc') && names().has('attention'));
    assert.deepEqual(store.getAnalyses('tiny', 'neuron_fourier').map((r) => r.summary), core, 'the core rows are not recomputed');
    await assert.rejects(analyseRuns(store, ['tiny'], { jobs: 1, analyzers: ['nonesuch'] }), /unknown analyzer nonesuch/);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('new options re-summarise from the stored artifacts without recomputing; a lost artifact is recomputed', async () => {
  const { store, dir } = tinyStore(['tiny']);
  try {
    await analyseRuns(store, ['tiny'], { jobs: 1 });
    const again = await analyseRuns(store, ['tiny'], { jobs: 1, lowFreqs: 1, flatAsZero: true });
    assert.equal(again.runs[0].computed, 0);
    assert.equal(again.runs[0].resummarised, 3);
    const k1 = store.getAnalyses<{ low_freqs: number; flat_as_zero: boolean; num_flat_neurons: number }>('tiny', 'neuron_fourier', { version: 1, low_freqs: 1, flat_as_zero: true });
    assert.equal(k1.length, 3);
    assert.equal(k1[0].summary.low_freqs, 1);
    assert.equal(k1[0].summary.flat_as_zero, true);
    assert.equal(k1[0].summary.num_flat_neurons, 0); // flat neurons are scored 0, not left out
    // The changed options replaced the old rows: one row per checkpoint, none stale beside it.
    const all = store.getAnalyses<{ low_freqs: number }>('tiny', 'neuron_fourier');
    assert.deepEqual(all.map((r) => [r.epoch, r.summary.low_freqs]), [[0, 1], [100, 1], [200, 1]]);
    assert.equal(readNeuronFourier(store, 'tiny').epochs.length, 3);
    unlinkSync(artifactPath(store, 'tiny', 'neuron_fourier', 100));
    const repair = await analyseRuns(store, ['tiny'], { jobs: 1 });
    assert.equal(repair.runs[0].computed, 1);
    assert.equal(repair.runs[0].resummarised, 2);
    assert.deepEqual(store.getAnalyses<{ low_freqs: number }>('tiny', 'neuron_fourier').map((r) => r.summary.low_freqs), [3, 3, 3]);
    assert.equal(readNeuronFourier(store, 'tiny').epochs.length, 3);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('worker threads give the same results as analysing in this thread', async () => {
  const a = tinyStore(['r1', 'r2']);
  const b = tinyStore(['r1', 'r2']);
  try {
    const seen: number[] = [];
    const par = await analyseRuns(a.store, ['r1', 'r2'], { jobs: 2, onProgress: (p) => seen.push(p.done) });
    assert.equal(par.jobs, 2);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
    await analyseRuns(b.store, ['r1', 'r2'], { jobs: 1 });
    for (const run of ['r1', 'r2']) {
      const x = readNeuronFourier(a.store, run), y = readNeuronFourier(b.store, run);
      assert.deepEqual(x.epochs.map((e) => Array.from(e.frac)), y.epochs.map((e) => Array.from(e.frac)));
    }
  } finally {
    a.store.close(); b.store.close();
    rmSync(a.dir, { recursive: true, force: true }); rmSync(b.dir, { recursive: true, force: true });
  }
});

test('an unreadable checkpoint is skipped and reported (run, epoch, one-line error); the others are analysed; bad options still stop it', async () => {
  const { store, dir } = tinyStore(['bad'], [0, 100, 200]);
  try {
    const path = store.checkpointPath('bad', 100);
    rmSync(path);
    mkdirSync(path); // a directory where the file should be
    const params = { version: 1, low_freqs: 3, flat_as_zero: false };
    // Three tasks on two worker threads, then the same in this thread.
    for (const jobs of [2, 1]) {
      const res = await analyseRuns(store, ['bad'], { jobs });
      assert.deepEqual(res.damaged.map((d) => [d.runId, d.epoch]), [['bad', 100]], `jobs ${jobs}`);
      assert.match(res.damaged[0].message, /is a directory/);
      assert.ok(!res.damaged[0].message.includes('\n'));
      assert.deepEqual([...store.analysedEpochs('bad', 'neuron_fourier', params)].sort((a, b) => a - b), [0, 200], 'the checkpoints before and after it are analysed');
    }
    await assert.rejects(analyseRuns(store, ['nope']), { message: /no run nope/, exitCode: 2 });
    await assert.rejects(analyseRuns(store, ['bad'], { lowFreqs: 0 }), { message: /--low-freqs/ });
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});
