/**
 * Restricted and excluded loss: a closed form (logits built from key-frequency terms), direct
 * float64 sums over the p³ cube for random logits, and the cross-epoch analyzer over a store
 * (key frequencies from the last checkpoint's commitment, rows recomputed when they change).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restrictedLoss } from '../../../src/analysis/library/restricted-loss.js';
import { RESTRICTED_LOSS, RESTRICTED_LOSS_PARAMS, restrictedLossAnalyzer, type RestrictedLossSummary } from '../../../src/analysis/analyzers/restricted-loss.js';
import { NEURON_FOURIER } from '../../../src/analysis/analyzers/neuron-fourier.js';
import { EMBEDDING_FOURIER } from '../../../src/analysis/analyzers/embedding-fourier.js';
import { DEFAULT_OPTIONS, type AnalyzerOutput } from '../../../src/analysis/protocol/analyzer.js';
import { writeSafetensorsFile } from '../../../src/io/safetensors.js';
import { saveCheckpoint } from '../../../src/model/checkpoint.js';
import { Store } from '../../../src/store/store.js';
import { plainLogits } from '../../helpers/plain-model.js';
import { normal, randomParams, rng, smallConfig } from '../helpers.js';

/** Mean cross-entropy of rows (indices) of logits [n, p] against targets, by log Σ exp directly. */
function ce(L: ArrayLike<number>, p: number, rows: number[], target: (i: number) => number): number {
  let s = 0;
  for (const i of rows) {
    let mx = -Infinity;
    for (let c = 0; c < p; c++) mx = Math.max(mx, L[i * p + c]);
    let z = 0;
    for (let c = 0; c < p; c++) z += Math.exp(L[i * p + c] - mx);
    s += Math.log(z) + mx - L[i * p + target(i)];
  }
  return s / rows.length;
}

const close = (got: number | null, want: number, tol: number, what: string) => {
  assert.ok(got !== null, `${what} is null`);
  assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
};

const trainMask = (p: number, seed: number) => {
  const r = rng(seed), m = new Uint8Array(p * p);
  for (let i = 0; i < p * p; i++) m[i] = r() < 0.3 ? 1 : 0;
  return m;
};

test('logits made only of key-frequency terms cos/sin(w(a+b−c)), a per-class bias and a per-input constant: restricted loss = full loss, excluded loss = the bias alone, both shares 1', () => {
  const p = 13, keys = [2, 5];
  const r = rng(3), g = normal(r);
  const bias = Array.from({ length: p }, () => g());
  const perInput = Array.from({ length: p * p }, () => 3 * g());
  const amp = keys.map(() => [2 + r(), g()]);
  const L = new Float64Array(p * p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let c = 0; c < p; c++) {
    let v = bias[c] + perInput[a * p + b];
    keys.forEach((k, j) => {
      const x = (2 * Math.PI * k * (a + b - c)) / p;
      v += amp[j][0] * Math.cos(x) + amp[j][1] * Math.sin(x);
    });
    L[(a * p + b) * p + c] = v;
  }
  const train = trainMask(p, 9);
  const res = restrictedLoss(L, p, keys, train);
  const all = Array.from({ length: p * p }, (_, i) => i);
  const target = (i: number) => (Math.floor(i / p) + (i % p)) % p;
  close(res.restricted_loss, ce(L, p, all, target), 1e-10, 'restricted loss = loss');
  close(res.restricted_loss, res.loss, 1e-10, 'restricted loss = its own full loss');
  // Excluded: only the per-class bias is left (the per-input constant does not change a softmax).
  const trainRows = all.filter((i) => train[i]);
  const constant = new Float64Array(p * p * p);
  for (let i = 0; i < p * p; i++) for (let c = 0; c < p; c++) constant[i * p + c] = bias[c];
  close(res.excluded_loss, ce(constant, p, trainRows, target), 1e-10, 'excluded loss = loss of the bias');
  close(res.key_logit_fraction, 1, 1e-10, 'key share');
  close(res.trig_sum_fraction, 1, 1e-10, 'trig-sum share');
  // Coefficients on the unit cos/sin(w(a+b−c)): amplitude · √(p³/2) at the keys, 0 elsewhere.
  for (let k = 1; k <= (p - 1) / 2; k++) {
    const j = keys.indexOf(k);
    close(res.cos_coefficients[k - 1], j < 0 ? 0 : amp[j][0] * Math.sqrt(p ** 3 / 2), 1e-9, `γ_${k}`);
    close(res.sin_coefficients[k - 1], j < 0 ? 0 : amp[j][1] * Math.sqrt(p ** 3 / 2), 1e-9, `δ_${k}`);
  }
  // Removing one key alone leaves the other's terms: a lower loss than removing both.
  assert.ok(res.excluded_loss_per_key.every((x) => x !== null && x < res.excluded_loss!));
});

test('random logits: restricted, excluded and per-key excluded loss, accuracies and both shares equal direct float64 sums over the p³ cube', () => {
  const p = 11, keys = [1, 3, 4];
  const g = normal(rng(17));
  const L = Float64Array.from({ length: p ** 3 }, () => 2 * g());
  const train = trainMask(p, 4);
  const res = restrictedLoss(L, p, keys, train);
  const N = p * p;
  const all = Array.from({ length: N }, (_, i) => i);
  const trainRows = all.filter((i) => train[i]), testRows = all.filter((i) => !train[i]);
  const target = (i: number) => (Math.floor(i / p) + (i % p)) % p;
  // The two unit directions per key over the (a, b) grid, written out, and each column's projection.
  const dirs = (k: number) => [Math.cos, Math.sin].map((fn) => {
    const v = Array.from({ length: N }, (_, i) => fn((2 * Math.PI * k * (Math.floor(i / p) + (i % p))) / p));
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return v.map((x) => x / norm);
  });
  const projOf = (ks: number[]) => {
    const P = new Float64Array(N * p);
    for (const k of ks) for (const u of dirs(k)) for (let c = 0; c < p; c++) {
      let dot = 0;
      for (let i = 0; i < N; i++) dot += L[i * p + c] * u[i];
      for (let i = 0; i < N; i++) P[i * p + c] += dot * u[i];
    }
    return P;
  };
  const P = projOf(keys);
  const R = new Float64Array(N * p), E = new Float64Array(N * p);
  for (let c = 0; c < p; c++) {
    let mean = 0, pm = 0;
    for (let i = 0; i < N; i++) { mean += L[i * p + c] / N; pm += P[i * p + c] / N; }
    for (let i = 0; i < N; i++) { R[i * p + c] = P[i * p + c] + mean - pm; E[i * p + c] = L[i * p + c] - P[i * p + c]; }
  }
  close(res.restricted_loss, ce(R, p, all, target), 1e-10, 'restricted loss');
  close(res.restricted_loss_train, ce(R, p, trainRows, target), 1e-10, 'restricted loss (train)');
  close(res.restricted_loss_test, ce(R, p, testRows, target), 1e-10, 'restricted loss (test)');
  close(res.excluded_loss, ce(E, p, trainRows, target), 1e-10, 'excluded loss');
  close(res.loss, ce(L, p, all, target), 1e-12, 'loss');
  close(res.train_loss, ce(L, p, trainRows, target), 1e-12, 'train loss');
  close(res.test_loss, ce(L, p, testRows, target), 1e-12, 'test loss');
  keys.forEach((k, j) => {
    const Pk = projOf([k]);
    close(res.excluded_loss_per_key[j], ce(L.map((v, i) => v - Pk[i]), p, trainRows, target), 1e-10, `excluded loss without ${k}`);
  });
  const argmax = (X: Float64Array, i: number) => { let b = 0; for (let c = 1; c < p; c++) if (X[i * p + c] > X[i * p + b]) b = c; return b; };
  assert.equal(res.restricted_accuracy, all.filter((i) => argmax(R, i) === target(i)).length / N);
  assert.equal(res.excluded_accuracy, trainRows.filter((i) => argmax(E, i) === target(i)).length / trainRows.length);
  // Shares of the doubly centred logits.
  const rowMean = all.map((i) => { let s = 0; for (let c = 0; c < p; c++) s += L[i * p + c]; return s / p; });
  const colMean = Array.from({ length: p }, (_, c) => all.reduce((s, i) => s + L[i * p + c], 0) / N);
  const grand = colMean.reduce((s, x) => s + x, 0) / p;
  const Ldc = L.map((v, idx) => v - rowMean[Math.floor(idx / p)] - colMean[idx % p] + grand);
  const sq = (X: ArrayLike<number>) => { let s = 0; for (let i = 0; i < X.length; i++) s += X[i] * X[i]; return s; };
  const total = sq(Ldc);
  let kept = 0;
  for (const k of keys) for (const u of dirs(k)) for (let c = 0; c < p; c++) {
    let dot = 0;
    for (let i = 0; i < N; i++) dot += Ldc[i * p + c] * u[i];
    kept += dot * dot;
  }
  close(res.key_logit_fraction, kept / total, 1e-10, 'key share');
  let trig = 0;
  for (let k = 1; k <= (p - 1) / 2; k++) for (const [fn, got] of [[Math.cos, res.cos_coefficients], [Math.sin, res.sin_coefficients]] as const) {
    let dot = 0, nn = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let c = 0; c < p; c++) {
      const v = fn((2 * Math.PI * k * (a + b - c)) / p);
      dot += L[(a * p + b) * p + c] * v; nn += v * v;
    }
    close(got[k - 1], dot / Math.sqrt(nn), 1e-9, `coefficient ${fn.name} ${k}`);
    if (keys.includes(k)) trig += (dot * dot) / nn;
  }
  close(res.trig_sum_fraction, trig / total, 1e-10, 'trig-sum share');
  // The 3-D excluded loss: L minus γ_k times the unit cos(w_k(a+b−c)), summed over the keys.
  const E3 = Float64Array.from(L);
  for (const k of keys) {
    const v = (a: number, b: number, c: number) => Math.cos((2 * Math.PI * k * (a + b - c)) / p);
    let dot = 0, nn = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let c = 0; c < p; c++) { dot += L[(a * p + b) * p + c] * v(a, b, c); nn += v(a, b, c) ** 2; }
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let c = 0; c < p; c++) E3[(a * p + b) * p + c] -= (dot / nn) * v(a, b, c);
  }
  close(res.excluded_loss_3d, ce(E3, p, trainRows, target), 1e-10, '3-D excluded loss');
  // No split: the train/test fields are null and the all-pairs ones unchanged.
  const none = restrictedLoss(L, p, keys, null);
  assert.equal(none.excluded_loss, null);
  assert.equal(none.restricted_loss_test, null);
  assert.equal(none.restricted_loss, res.restricted_loss);
  assert.throws(() => restrictedLoss(L, p, [6], train), /outside 1\.\.5/);
});

/** A neuron_fourier artifact whose neurons commit (max frac 0.9) to `freqs` in turn, 2 neurons per frequency and the rest flat. */
function writeNeuronFourier(path: string, nFreq: number, m: number, freqs: number[]): void {
  const frac = new Float32Array(nFreq * m), flat = new Uint8Array(m).fill(1), dom = new Int32Array(m), f32 = new Float32Array(m);
  freqs.forEach((k, j) => { for (const n of [2 * j, 2 * j + 1]) { frac[(k - 1) * m + n] = 0.9; flat[n] = 0; dom[n] = k; } });
  const v = (data: Float32Array) => ({ dtype: 'F32' as const, shape: [m], data });
  writeSafetensorsFile(path, {
    frac: { dtype: 'F32', shape: [nFreq, m], data: frac }, variance: v(f32), flat: { dtype: 'U8', shape: [m], data: flat },
    a_only: v(f32), b_only: v(f32), joint: v(f32), dominant_frequency: { dtype: 'I32', shape: [m], data: dom }, dominant_fraction: v(f32),
  }, { analyzer: NEURON_FOURIER });
}

test('restricted_loss over a run: every checkpoint with the last checkpoint\'s committed frequencies, logits of the plain float64 model; a new last checkpoint that commits others recomputes the earlier rows', () => {
  const c = smallConfig(11, 16, 20);
  const p = c.p, nFreq = 5, m = c.dMlp;
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-restricted-'));
  const store = Store.open(dir);
  try {
    const runId = 'rl';
    store.createRun({ run_id: runId, p, seed: 1, data_seed: 598, epochs: 300, config_json: JSON.stringify({ ...c, dataSeed: 598, fracTrain: 0.3 }), engine: 'test', source: 'test' });
    mkdirSync(store.checkpointDir(runId), { recursive: true });
    mkdirSync(join(store.analysisDir(runId), NEURON_FOURIER), { recursive: true });
    const paramsAt = new Map<number, ReturnType<typeof randomParams>>();
    const add = (epoch: number, committed: number[]) => {
      const params = randomParams(c, 50 + epoch, 1.2 / Math.sqrt(c.dModel));
      paramsAt.set(epoch, params);
      const path = store.checkpointPath(runId, epoch);
      saveCheckpoint(path, params, { epoch: String(epoch) });
      store.addCheckpoint(runId, { epoch, step: epoch, path });
      // 2 of 20 neurons per committed frequency = 10 % of d_mlp: exactly the commitment share.
      const nf = join(store.analysisDir(runId), NEURON_FOURIER, `epoch-${epoch}.safetensors`);
      writeNeuronFourier(nf, nFreq, m, committed);
      store.putAnalysis(runId, epoch, NEURON_FOURIER, {}, {}, nf);
      store.putAnalysis(runId, epoch, EMBEDDING_FOURIER, {}, { key_frequencies: [1], gini: 0, key_share: 0.5, norms: [] });
    };
    const run = (todo: number[]) => {
      const out = new Map<number, AnalyzerOutput>();
      const checkpoints = store.listCheckpoints(runId).map((x) => ({ epoch: x.epoch, path: x.path })).sort((x, y) => x.epoch - y.epoch);
      restrictedLossAnalyzer.analyseEpochs({ runId, checkpoints, todo: new Set(todo), options: DEFAULT_OPTIONS, store }, (e, o) => {
        out.set(e, o);
        store.putAnalysis(runId, e, RESTRICTED_LOSS, RESTRICTED_LOSS_PARAMS, o.summary);
      });
      return out;
    };
    // The run's split, as train writes it.
    const train = trainMask(p, 21);
    writeFileSync(join(store.runDir(runId), 'split.json'), JSON.stringify({ train_indices: [...train.keys()].filter((i) => train[i]) }));
    add(0, [4]); add(100, [2, 5]); add(200, [2, 5]);
    const first = run([0, 100, 200]);
    assert.deepEqual([...first.keys()], [0, 100, 200]);
    for (const [epoch, o] of first) {
      const s = o.summary as RestrictedLossSummary;
      assert.deepEqual(s.key_frequencies, [2, 5]);
      assert.equal(s.key_frequency_source, 'committed');
      assert.equal(s.key_frequency_epoch, 200);
      // Independent: the plain model's float64 logits through the same measures.
      const params = paramsAt.get(epoch)!;
      const L = new Float64Array(p ** 3);
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) L.set(plainLogits(params, a, b), (a * p + b) * p);
      const want = restrictedLoss(L, p, [2, 5], train);
      close(s.restricted_loss, want.restricted_loss, 1e-5, `restricted loss at ${epoch}`);
      close(s.excluded_loss, want.excluded_loss!, 1e-5, `excluded loss at ${epoch}`);
      close(s.train_loss, want.train_loss!, 1e-5, `train loss at ${epoch}`);
      close(s.key_logit_fraction, want.key_logit_fraction!, 1e-4, `key share at ${epoch}`);
      close(s.trig_sum_fraction, want.trig_sum_fraction!, 1e-4, `trig-sum share at ${epoch}`);
    }
    // Nothing new and nothing stale: no row is computed.
    assert.equal(run([]).size, 0);
    // A new last checkpoint that commits frequency 3 only: it and every earlier row are recomputed.
    add(300, [3]);
    const second = run([300]);
    assert.deepEqual([...second.keys()], [0, 100, 200, 300]);
    for (const o of second.values()) assert.deepEqual((o.summary as RestrictedLossSummary).key_frequencies, [3]);
    // No committed frequency at the last checkpoint: the embedding's key frequencies, said so.
    add(400, []);
    const third = run([400]);
    assert.deepEqual([...third.keys()], [0, 100, 200, 300, 400]);
    const s = third.get(400)!.summary as RestrictedLossSummary;
    assert.deepEqual([s.key_frequencies, s.key_frequency_source, s.key_frequency_epoch], [[1], 'embedding', 400]);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
