/**
 * Intervention runs (train --intervention): sub-run identity and provenance, the frequency-gain
 * window's effect and resume, ablation during training (closed form: an ablated neuron's input
 * weights only decay), and blob_init's epoch-0 neurons measured as asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationMaps } from '../../src/analysis/library/activations.js';
import { coarsenessFromFractions, concentrationFromFractions, neuronFourier } from '../../src/analysis/library/coarseness.js';
import { loadKernels } from '../../src/engine/index.js';
import { packageRoot } from '../../src/engine/native.js';
import { DEFAULTS, type TrainConfig, runId } from '../../src/config/config.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { Store } from '../../src/store/store.js';
import { train } from '../../src/train/trainer.js';

const BIN = join(packageRoot(), 'bin', 'grokbench');
const base: TrainConfig = { ...DEFAULTS, p: 31, fracTrain: 0.7, lr: 3e-3, dMlp: 64, dModel: 32, nHeads: 2, dHead: 16, epochs: 300, checkpointEvery: 100 };

function withStore(fn: (store: Store, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-iv-'));
  const store = Store.open(dir);
  try { fn(store, dir); } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
}

function ivFile(dir: string, name: string, spec: object): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(spec));
  return f;
}

test('frequency_gain: a sub-run <parent>-iv-<hash> with provenance; identical to its parent until the window, different within it; resume inside the window ends identically', () => {
  withStore((store, dir) => {
    const k = loadKernels({ threads: 1 });
    const parent = train(store, k, base);
    const spec = { type: 'frequency_gain', target_frequencies: [2, 5], gain: { 2: 0.2, 5: 3 }, epoch_start: 100, epoch_end: 250, ramp_epochs: 20 };
    const config = { ...base, intervention: ivFile(dir, 'fg.json', spec) };
    // The same spec with its keys in another order is the same run.
    assert.equal(runId(config), runId({ ...base, intervention: ivFile(dir, 'fg2.json', Object.fromEntries(Object.entries(spec).reverse())) }));
    const r = train(store, k, config);
    assert.match(r.run_id, new RegExp(`^${parent.run_id}-iv-[0-9a-f]{8}$`));
    const runJson = JSON.parse(readFileSync(join(store.runDir(r.run_id), 'run.json'), 'utf8'));
    assert.equal(runJson.parent_run_id, parent.run_id);
    assert.equal(runJson.intervention_hash, r.run_id.slice(-8));
    assert.deepEqual(runJson.intervention, { ...spec, gain: { 2: 0.2, 5: 3 } });
    const dirs = JSON.parse(readFileSync(join(store.runDir(r.run_id), 'intervention-directions.json'), 'utf8'));
    assert.equal(dirs.epoch, 101, 'directions from W_E after the unhooked step of epoch_start');
    const pm = store.getMetrics(parent.run_id), im = store.getMetrics(r.run_id);
    for (let e = 0; e <= 100; e++) assert.deepEqual(im[e], pm[e], `epoch ${e} is before the hook`);
    assert.equal(im[101].test_loss, pm[101].test_loss, 'W_101 is unhooked (ramp factor 0 at epoch 100)');
    assert.notEqual(im[101].train_loss, pm[101].train_loss, 'the training pass of epoch 101 is hooked (factor 1/20)');
    assert.notEqual(im[200].test_loss, pm[200].test_loss);
    // Killed at epoch 180 (inside the window, after the directions were taken), resumed from checkpoint 100: the same final weights.
    withStore((store2) => {
      train(store2, k, config, { stopAfter: 180 });
      const resumed = train(store2, k, config);
      assert.equal(resumed.resumed_from, 100);
      const a = loadCheckpoint(store.checkpointPath(r.run_id, 300)).params.flat, b = loadCheckpoint(store2.checkpointPath(r.run_id, 300)).params.flat;
      assert.deepEqual(b, a);
    });
  });
});

test('ablate (zero) during training: the ablated neurons get no gradient, so their input weights only decay, W_in ← (1 − lr·wd)·W_in each step', () => {
  withStore((store, dir) => {
    const k = loadKernels({ threads: 1 });
    const neurons = [3, 10, 40];
    const r = train(store, k, { ...base, epochs: 50, checkpointEvery: 50, intervention: ivFile(dir, 'ab.json', { type: 'ablate', neurons, mode: 'zero' }) });
    const w0 = loadCheckpoint(store.checkpointPath(r.run_id, 0)).params.t['blocks.0.mlp.W_in'];
    const w50 = loadCheckpoint(store.checkpointPath(r.run_id, 50)).params.t['blocks.0.mlp.W_in'];
    const m = base.dMlp, decay = 1 - base.lr * base.wd;
    let moved = 0;
    for (let x = 0; x < base.dModel; x++) {
      for (const n of neurons) {
        const want = w0[x * m + n] * decay ** 50;
        assert.ok(Math.abs(w50[x * m + n] - want) <= 1e-5 * Math.abs(want) + 1e-12, `W_in[${x}, ${n}]: ${w50[x * m + n]} vs ${want}`);
      }
      moved = Math.max(moved, Math.abs(w50[x * m + 0] - w0[x * m + 0] * decay ** 50));
    }
    assert.ok(moved > 1e-4, 'a neuron that is not ablated learns');
    const ivJson = JSON.parse(readFileSync(join(store.runDir(r.run_id), 'intervention.json'), 'utf8'));
    assert.deepEqual(ivJson.neurons, neurons);
  });
});

test('ablate (every neuron, mean) during training: the model never gets beyond chance on the test set', () => {
  withStore((store, dir) => {
    const k = loadKernels({ threads: 1 });
    const all = Array.from({ length: base.dMlp }, (_, n) => n);
    const r = train(store, k, { ...base, epochs: 200, intervention: ivFile(dir, 'all.json', { type: 'ablate', neurons: all, mode: 'mean' }) });
    const best = Math.max(...store.getMetrics(r.run_id).map((m) => m.test_acc ?? 0));
    const n = 31 * 31 - Math.floor(31 * 31 * 0.7);
    assert.ok(best < 1 / 31 + 5 * Math.sqrt((1 / 31) * (30 / 31) / n), `best test accuracy ${best}`);
  });
});

test('blob_init: the chosen neurons measure at epoch 0 as recorded, with their assigned low dominant frequency and high coarseness', () => {
  withStore((store, dir) => {
    const k = loadKernels({ threads: 1 });
    const config = { ...DEFAULTS, p: 59, epochs: 1, checkpointEvery: 1, dModel: 64, dMlp: 128 };
    const r = train(store, k, { ...config, intervention: ivFile(dir, 'blob.json', { type: 'blob_init', count: 16, seed: 7, frequencies: [1, 2, 3] }) });
    const rec = JSON.parse(readFileSync(join(store.runDir(r.run_id), 'intervention.json'), 'utf8')).epoch0_neurons as
      { neuron: number; frequency: number; coarseness_k3: number; specialization: number; dominant_frequency: number }[];
    assert.equal(rec.length, 16);
    // Measured independently from the stored epoch-0 checkpoint.
    const ck = loadCheckpoint(store.checkpointPath(r.run_id, 0));
    const nf = neuronFourier(k, activationMaps(k, ck.params), 59, 128);
    const c = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, 128, 3, false);
    const s = concentrationFromFractions(nf.frac, nf.flat, nf.nFreq, 128);
    const chosen = new Set(rec.map((x) => x.neuron));
    let sumChosen = 0;
    for (const x of rec) {
      assert.equal(x.coarseness_k3, c[x.neuron]);
      assert.equal(x.specialization, s[x.neuron]);
      assert.equal(x.dominant_frequency, x.frequency, `neuron ${x.neuron}: dominant frequency ${x.dominant_frequency}, built at ${x.frequency}`);
      assert.ok([1, 2, 3].includes(x.frequency));
      sumChosen += x.coarseness_k3;
    }
    const others = Array.from(c).filter((v, n) => !chosen.has(n) && !Number.isNaN(v));
    const meanOthers = others.reduce((a, b) => a + b, 0) / others.length;
    assert.ok(sumChosen / 16 > 0.5, `mean coarseness of the blob-initialised neurons ${sumChosen / 16}`);
    assert.ok(meanOthers < 0.2, `the others stay as drawn (mean ${meanOthers})`);
    // Only the chosen neurons' input weights changed.
    withStore((s2) => {
      const plain = train(s2, k, config);
      const w = loadCheckpoint(s2.checkpointPath(plain.run_id, 0)).params;
      for (const name of Object.keys(w.t) as (keyof typeof w.t)[]) {
        if (name === 'blocks.0.mlp.W_in') continue;
        assert.deepEqual(ck.params.t[name], w.t[name], name);
      }
      const a = ck.params.t['blocks.0.mlp.W_in'], b = w.t['blocks.0.mlp.W_in'];
      for (let i = 0; i < a.length; i++) if (!chosen.has(i % 128)) assert.equal(a[i], b[i]);
      // scale 'weight_norm' (the default): each chosen column keeps (at most) its drawn L2 norm.
      const colNorm = (W: Float32Array, n: number): number => { let q = 0; for (let x = 0; x < 64; x++) q += W[x * 128 + n] ** 2; return Math.sqrt(q); };
      for (const n of chosen) assert.ok(colNorm(a, n) <= colNorm(b, n) * (1 + 1e-5), `neuron ${n}: |W_in column| ${colNorm(a, n)} > drawn ${colNorm(b, n)}`);
    });
  });
});

test("blob_init scale 'activation': the closest fit to the blob, at more than 5× the weight-norm columns' norm (what 'weight_norm' avoids)", () => {
  withStore((store, dir) => {
    const k = loadKernels({ threads: 1 });
    const config = { ...DEFAULTS, p: 59, epochs: 1, checkpointEvery: 1, dModel: 64, dMlp: 128 };
    const spec = { type: 'blob_init', count: 16, seed: 7, frequencies: [1, 2, 3] };
    const byNorm = train(store, k, { ...config, intervention: ivFile(dir, 'n.json', spec) });
    const byAct = train(store, k, { ...config, intervention: ivFile(dir, 'a.json', { ...spec, scale: 'activation' }) });
    assert.notEqual(byNorm.run_id, byAct.run_id);
    const W = (id: string) => loadCheckpoint(store.checkpointPath(id, 0)).params.t['blocks.0.mlp.W_in'];
    const wn = W(byNorm.run_id), wa = W(byAct.run_id);
    const rec = JSON.parse(readFileSync(join(store.runDir(byAct.run_id), 'intervention.json'), 'utf8')).epoch0_neurons as { neuron: number }[];
    const colNorm = (w: Float32Array, n: number): number => { let q = 0; for (let x = 0; x < 64; x++) q += w[x * 128 + n] ** 2; return Math.sqrt(q); };
    for (const x of rec) {
      assert.ok(colNorm(wa, x.neuron) > 5 * colNorm(wn, x.neuron), `neuron ${x.neuron}: ${colNorm(wa, x.neuron)} vs ${colNorm(wn, x.neuron)}`);
    }
  });
});

test('train --intervention with a missing or bad file: one line, exit 2, no run created', () => {
  withStore((_store, dir) => {
    const bad = ivFile(dir, 'bad.json', { type: 'frequency_gain', target_frequencies: [40], gain: {}, epoch_start: 0, epoch_end: 5 });
    for (const f of [join(dir, 'missing.json'), bad]) {
      const r = spawnSync(process.execPath, [BIN, 'train', '--store', dir, '--p', '31', '--epochs', '5', '--intervention', f], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^grokbench: [^\n]+\n$/);
    }
    assert.ok(!existsSync(join(dir, 'runs')) || readdirSync(join(dir, 'runs')).length === 0, 'no run directory');
  });
});
