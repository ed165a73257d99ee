import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSplit } from '../../src/data/dataset.js';
import { ReferenceKernels } from '../../src/engine/index.js';
import { packageRoot } from '../../src/engine/native.js';
import type { ModelConfig } from '../../src/config/config.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { Params, paramShapes } from '../../src/model/params.js';
import { checkNotInStore, executeImport, parseMetricsCsv, planImport } from '../../src/interop/import.js';
import { Store } from '../../src/store/store.js';
import { analyseRuns } from '../../src/analysis/pipeline.js';
import { listAnalyzers, listCrossEpochAnalyzers } from '../../src/analysis/registry.js';
import { type RawTensor, assembleSafetensors, attentionBuffers, bf16Bytes, f16Bytes, f32Bytes, f64Bytes } from '../helpers/independent-safetensors.js';
import { fillRandom, plainLogits, plainLoss } from '../helpers/plain-model.js';

const CFG: ModelConfig = { p: 7, dModel: 8, nHeads: 2, dHead: 4, dMlp: 16, act: 'relu' };

/** Weights with values exactly representable in every dtype tested (multiples of 1/64 below 2). */
function exactParams(config: ModelConfig, seed: number): Params<Float32Array> {
  const params = Params.zeros(config, (n) => new Float32Array(n));
  fillRandom(params.flat, seed, 1.5);
  for (let i = 0; i < params.flat.length; i++) params.flat[i] = Math.round(params.flat[i] * 64) / 64;
  return params;
}

function tensorsOf(params: Params<Float32Array>, dtype: 'F32' | 'F16' | 'BF16' | 'F64'): Record<string, RawTensor> {
  const enc = { F32: f32Bytes, F16: f16Bytes, BF16: bf16Bytes, F64: f64Bytes }[dtype];
  const out: Record<string, RawTensor> = {};
  for (const { name, shape } of paramShapes(params.config)) out[name] = { dtype, shape, bytes: enc(params.t[name]) };
  return out;
}

/** Accuracy of a pair set computed with the test's own plain model (not src/model). */
function plainAccuracy(params: Params, indices: ArrayLike<number>): number {
  const p = params.config.p;
  let ok = 0;
  for (let i = 0; i < indices.length; i++) {
    const a = Math.floor(indices[i] / p), b = indices[i] % p;
    const logits = plainLogits(params, a, b);
    let best = 0;
    for (let o = 1; o < p; o++) if (logits[o] > logits[best]) best = o;
    if (best === (a + b) % p) ok++;
  }
  return ok / indices.length;
}

interface Variant { dir: string; weights: Map<number, Params<Float32Array>>; trainLosses: number[]; testLosses: number[] }

/** A MIScope variant folder written the way MIScope writes it, bytes assembled here. */
function writeVariant(root: string, opts: { labels?: number[]; numEpochs?: number; maskDtype?: 'BOOL' | 'U8'; seed?: number } = {}): Variant {
  const labels = opts.labels ?? [0, 2, 5];
  const numEpochs = opts.numEpochs ?? 6;
  const seed = opts.seed ?? 999;
  const dir = join(root, `modulo_addition_1layer_p${CFG.p}_seed${seed}_dseed598`);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const weights = new Map<number, Params<Float32Array>>();
  for (const e of labels) {
    const params = exactParams(CFG, 1000 * seed + e + 1);
    weights.set(e, params);
    const tensors = { ...attentionBuffers(opts.maskDtype ?? 'BOOL'), ...tensorsOf(params, 'F32') };
    writeFileSync(join(dir, 'checkpoints', `checkpoint_epoch_${String(e).padStart(5, '0')}.safetensors`), assembleSafetensors(tensors));
  }
  const split = makeSplit(CFG.p, 0.3, 598);
  // MIScope's records: test_losses[e] of the checkpoint labelled e, train_losses[e + 1] of the same weights.
  const trainLosses = Array.from({ length: numEpochs }, (_, i) => 2 - i / 10);
  const testLosses = Array.from({ length: numEpochs }, (_, i) => 2.5 - i / 20);
  for (const [e, w] of weights) {
    testLosses[e] = plainLoss(w, split.test);
    if (e + 1 < numEpochs) trainLosses[e + 1] = plainLoss(w, split.train);
  }
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({
    train_losses: trainLosses, test_losses: testLosses, train_indices: Array.from(split.train),
    test_indices: Array.from(split.test), checkpoint_epochs: labels, num_epochs: numEpochs,
  }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    n_layers: 1, n_heads: CFG.nHeads, d_model: CFG.dModel, d_head: CFG.dHead, d_mlp: CFG.dMlp, act_fn: 'relu',
    normalization_type: null, d_vocab: CFG.p + 1, d_vocab_out: CFG.p, n_ctx: 3, seed, prime: CFG.p, model_seed: seed,
    data_seed: 598, training_fraction: 0.3,
  }, null, 2));
  return { dir, weights, trainLosses, testLosses };
}

function withTmp(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gb-import-'));
    try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

const k = new ReferenceKernels('f32');

test('a MIScope variant folder (bytes written by the test, with mask and IGNORE buffers) becomes an honest run', withTmp(async (tmp) => {
  const v = writeVariant(join(tmp, 'results'));
  const plans = planImport([v.dir]);
  assert.equal(plans.length, 1);
  const store = Store.open(join(tmp, 'store'));
  try {
    checkNotInStore(store, plans);
    const r = executeImport(store, k, plans[0], 'test-engine');
    assert.equal(r.run_id, 'miscope-p7-s999-d598-e6');
    const row = store.getRun(r.run_id)!;
    assert.equal(row.status, 'imported');
    assert.equal(row.source, 'miscope');
    assert.deepEqual([row.p, row.seed, row.data_seed, row.epochs, row.epochs_done], [7, 999, 598, 6, 6]);

    // Checkpoints: MIScope's label as the epoch, one more optimiser step than the label.
    const cps = store.listCheckpoints(r.run_id);
    assert.deepEqual(cps.map((c) => [c.epoch, c.step, c.label]),
      [[0, 1, 'checkpoint_epoch_00000'], [2, 3, 'checkpoint_epoch_00002'], [5, 6, 'checkpoint_epoch_00005']]);
    for (const c of cps) {
      assert.ok(c.path.startsWith(store.runDir(r.run_id)));
      assert.deepEqual(loadCheckpoint(c.path).params.flat, v.weights.get(c.epoch)!.flat, `weights of epoch ${c.epoch}`);
    }

    // Metrics: every epoch's recorded losses; accuracies at the checkpoints, as an independent model computes them.
    const split = makeSplit(CFG.p, 0.3, 598);
    const m = store.getMetrics(r.run_id);
    assert.deepEqual(m.map((x) => x.epoch), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(m.map((x) => x.train_loss), v.trainLosses);
    assert.deepEqual(m.map((x) => x.test_loss), v.testLosses);
    for (const x of m) {
      const w = v.weights.get(x.epoch);
      if (!w) { assert.ok(Number.isNaN(x.train_acc)); assert.equal(x.test_acc, null); continue; }
      assert.equal(x.train_acc, plainAccuracy(w, split.train), `train acc at ${x.epoch}`);
      assert.equal(x.test_acc, plainAccuracy(w, split.test), `test acc at ${x.epoch}`);
    }
    assert.equal(r.split_matches_data_seed, true);

    const runJson = JSON.parse(readFileSync(join(store.runDir(r.run_id), 'run.json'), 'utf8'));
    assert.equal(runJson.import.source, 'miscope');
    assert.equal(runJson.p, 7);
    assert.equal(runJson.dataSeed, 598);
    assert.match(runJson.import.epoch_convention, /e \+ 1/);
    const splitJson = JSON.parse(readFileSync(join(store.runDir(r.run_id), 'split.json'), 'utf8'));
    assert.deepEqual(splitJson.train_indices, Array.from(split.train));
    assert.deepEqual(splitJson.test_indices, Array.from(split.test));

    // analyze treats it like any other run.
    const res = await analyseRuns(store, [r.run_id], { jobs: 1 });
    assert.equal(res.runs[0].computed, 3);
    for (const a of [...listAnalyzers(), ...listCrossEpochAnalyzers()]) {
      assert.deepEqual(store.getAnalyses(r.run_id, a.name).map((x) => x.epoch), [0, 2, 5], a.name);
    }

    // The same folder again is refused before anything is written.
    assert.throws(() => checkNotInStore(store, planImport([v.dir])), /already exists/);
  } finally {
    store.close();
  }
}));

test('a folder of MIScope variants (grouped by family, as in MIScope results/) becomes one run per variant; a U8 mask is ignored like a BOOL one', withTmp((tmp) => {
  const root = join(tmp, 'results', 'modulo_addition_1layer');
  writeVariant(root, { seed: 485, maskDtype: 'U8' });
  writeVariant(root, { seed: 999, labels: [1, 3] });
  const plans = planImport([join(tmp, 'results')]);
  assert.deepEqual(plans.map((p) => p.runId).sort(), ['miscope-p7-s485-d598-e6', 'miscope-p7-s999-d598-e6']);
  const store = Store.open(join(tmp, 'store'));
  try {
    for (const pl of plans) executeImport(store, k, pl, 'test-engine');
    assert.equal(store.listRuns().length, 2);
    assert.deepEqual(store.listCheckpoints('miscope-p7-s999-d598-e6').map((c) => c.step), [2, 4]);
  } finally {
    store.close();
  }
}));

test('the miniature MIScope run trained by PyTorch imports with its recorded losses reproduced, one step after each label', withTmp((tmp) => {
  const fixture = join(packageRoot(), 'test', 'fixtures', 'torch', 'miscope');
  const [plan] = planImport([fixture]);
  const store = Store.open(join(tmp, 'store'));
  try {
    const r = executeImport(store, k, plan, 'test-engine');
    assert.equal(r.split_matches_data_seed, true);
    assert.ok(r.loss_check !== null);
    // Same weights, float32 logits here and in PyTorch, float64 loss in both: agreement to ~1e-7.
    assert.ok(r.loss_check.test_max_abs_diff < 1e-6, `test loss diff ${r.loss_check.test_max_abs_diff}`);
    assert.ok(r.loss_check.train_max_abs_diff !== null && r.loss_check.train_max_abs_diff < 1e-6);
    // Were the labels the step count instead, the losses would be one optimiser step off:
    const meta = JSON.parse(readFileSync(join(fixture, 'modulo_addition_1layer_p11_seed999_dseed598', 'metadata.json'), 'utf8'));
    const oneStep = Math.min(...meta.test_losses.slice(1).map((x: number, i: number) => Math.abs(x - meta.test_losses[i])));
    assert.ok(oneStep > 100 * r.loss_check.test_max_abs_diff, `one step changes the test loss by ${oneStep}`);
  } finally {
    store.close();
  }
}));

test('checkpoint files written independently in F16, BF16 and F64 import as one run with --split and --metrics', withTmp((tmp) => {
  const files: string[] = [];
  const weights = new Map<number, Params<Float32Array>>();
  (['F16', 'BF16', 'F64'] as const).forEach((dtype, i) => {
    const epoch = [0, 100, 250][i];
    const params = exactParams(CFG, 77 + i);
    weights.set(epoch, params);
    const path = join(tmp, `model_${dtype.toLowerCase()}_step${epoch}.safetensors`);
    // The BF16 file carries its epoch in metadata (its name's number is ignored then); the others in the name.
    const meta = dtype === 'BF16' ? { epoch: String(epoch), step: String(epoch + 1) } : undefined;
    const named = dtype === 'BF16' ? path.replace('step100', 'v2') : path;
    writeFileSync(named, assembleSafetensors({ ...tensorsOf(params, dtype), ...attentionBuffers() }, meta));
    files.push(named);
  });
  const split = makeSplit(CFG.p, 0.5, 3);
  const splitFile = join(tmp, 'split.json');
  writeFileSync(splitFile, JSON.stringify({ train_indices: Array.from(split.train) }));
  const csv = join(tmp, 'metrics.csv');
  writeFileSync(csv, 'epoch,train_loss,test_loss\n0,2.5,2.6\n50,1.0,2.0\n100,0.5,\n');
  const [plan] = planImport(files, { split: splitFile, metrics: csv, name: 'mine' });
  const store = Store.open(join(tmp, 'store'));
  try {
    const r = executeImport(store, k, plan, 'test-engine');
    assert.equal(r.run_id, 'mine');
    assert.equal(store.getRun('mine')!.source, 'import');
    const cps = store.listCheckpoints('mine');
    assert.deepEqual(cps.map((c) => [c.epoch, c.step]), [[0, 0], [100, 101], [250, 250]]);
    for (const c of cps) assert.deepEqual(loadCheckpoint(c.path).params.flat, weights.get(c.epoch)!.flat);
    const m = new Map(store.getMetrics('mine').map((x) => [x.epoch, x]));
    assert.deepEqual([...m.keys()], [0, 50, 100, 250]);
    assert.equal(m.get(0)!.train_loss, 2.5); // the CSV's values are kept...
    assert.equal(m.get(0)!.train_acc, plainAccuracy(weights.get(0)!, split.train)); // ...and gaps filled in
    assert.equal(m.get(100)!.test_acc, plainAccuracy(weights.get(100)!, split.test));
    assert.ok(m.get(100)!.test_loss! > 0); // computed where the CSV left it empty
    assert.equal(m.get(50)!.test_acc, null);
    assert.equal(m.get(250)!.test_acc, plainAccuracy(weights.get(250)!, split.test));
  } finally {
    store.close();
  }
}));

test('a single checkpoint file without any epoch number imports as epoch 0 and without metrics', withTmp((tmp) => {
  const path = join(tmp, 'final.safetensors');
  writeFileSync(path, assembleSafetensors(tensorsOf(exactParams(CFG, 5), 'F32')));
  const [plan] = planImport([path]);
  assert.match(plan.runId, /^import-p7-[0-9a-f]{8}$/);
  const store = Store.open(join(tmp, 'store'));
  try {
    executeImport(store, k, plan, 'test-engine');
    assert.deepEqual(store.listCheckpoints(plan.runId).map((c) => c.epoch), [0]);
    assert.deepEqual(store.getMetrics(plan.runId), []);
    assert.equal(store.getRun(plan.runId)!.seed, -1);
  } finally {
    store.close();
  }
}));

test('parseMetricsCsv reads grokbench metrics CSV and rejects malformed tables', () => {
  const rows = parseMetricsCsv('epoch,train_loss,train_acc,test_loss,test_acc\n1,0.5,0.9,,\n0,1,0.1,2,0.05\n', 'm.csv');
  assert.deepEqual(rows, [
    { epoch: 0, train_loss: 1, train_acc: 0.1, test_loss: 2, test_acc: 0.05 },
    { epoch: 1, train_loss: 0.5, train_acc: 0.9, test_loss: null, test_acc: null },
  ]);
  for (const [text, re] of [
    ['', /empty/], ['epoch,loss\n1,2\n', /unknown column/], ['train_loss\n1\n', /no epoch column/],
    ['epoch,train_loss\n1,2,3\n', /3 fields/], ['epoch,train_loss\nx,1\n', /not a non-negative integer/],
    ['epoch,train_loss\n1,abc\n', /not a number/], ['epoch,train_acc\n1,1.5\n', /between 0 and 1/],
    ['epoch,train_loss\n1,1\n1,2\n', /twice/], ['epoch,train_loss\n', /no rows/],
  ] as const) {
    assert.throws(() => parseMetricsCsv(text, 'm.csv'), re);
  }
});
