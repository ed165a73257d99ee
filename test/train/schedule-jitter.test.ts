/**
 * The trainer with --checkpoint-schedule and --jitter: checkpoints exactly at the schedule's
 * epochs, a stopped run resumes from an irregular checkpoint to the same bytes as an uninterrupted
 * one and analyses; the jitter moves the initial weights (seeded or --init-from) by at most 1 ulp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseRuns } from '../../src/analysis/pipeline.js';
import { readNeuronFourier } from '../../src/analysis/results.js';
import { ulpJitter } from '../../src/core/rng.js';
import { loadKernels } from '../../src/engine/index.js';
import { DEFAULTS, type TrainConfig } from '../../src/config/config.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { PARAM_NAMES, isWeight } from '../../src/model/params.js';
import { Store } from '../../src/store/store.js';
import { initialParams, train } from '../../src/train/trainer.js';

const SMALL: TrainConfig = { ...DEFAULTS, p: 23, dModel: 32, dMlp: 64, nHeads: 2, dHead: 16, epochs: 40, checkpointSchedule: '0:12:5,12:40:9' };
const k = loadKernels({ threads: 1, quiet: true });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'gb-schedule-'));

test('an irregular schedule checkpoints exactly its epochs; a stopped run resumes to the same bytes and analyses', async () => {
  const a = tmp(), b = tmp();
  const sa = Store.open(a), sb = Store.open(b);
  try {
    const whole = train(sa, k, SMALL);
    const want = [0, 5, 10, 12, 21, 30, 39, 40];
    assert.deepEqual(sa.listCheckpoints(whole.run_id).map((c) => c.epoch), want);
    // Stop after epoch 25: the last checkpoint is 21, so the rerun resumes from there.
    train(sb, k, SMALL, { stopAfter: 25 });
    const resumed = train(sb, k, SMALL);
    assert.equal(resumed.resumed_from, 21);
    assert.deepEqual(sb.listCheckpoints(resumed.run_id).map((c) => c.epoch), want);
    for (const e of want) {
      const pa = sa.listCheckpoints(whole.run_id).find((c) => c.epoch === e)!.path;
      const pb = sb.listCheckpoints(resumed.run_id).find((c) => c.epoch === e)!.path;
      assert.deepEqual(loadCheckpoint(pb).params.flat, loadCheckpoint(pa).params.flat, `epoch ${e}`);
    }
    assert.deepEqual(sb.getMetrics(resumed.run_id), sa.getMetrics(whole.run_id));
    await analyseRuns(sb, [resumed.run_id], { jobs: 1 });
    assert.deepEqual(readNeuronFourier(sb, resumed.run_id).epochs.map((x) => x.epoch), want, 'every irregular checkpoint analysed');
  } finally {
    sa.close(); sb.close();
    rmSync(a, { recursive: true, force: true }); rmSync(b, { recursive: true, force: true });
  }
});

test('--jitter moves the seeded and the --init-from weights alike, each by at most 1 ulp; biases stay; J=0 is the plain init', () => {
  const plain = initialParams(SMALL);
  const jittered = initialParams({ ...SMALL, jitter: 5 });
  let moved = 0;
  for (const name of PARAM_NAMES) {
    const x = plain.t[name], y = jittered.t[name];
    for (let i = 0; i < x.length; i++) {
      if (!isWeight(name)) { assert.equal(y[i], x[i], name); continue; }
      // Independent: no float32 strictly between x and y (the midpoint rounds to one of them).
      const mid = Math.fround((x[i] + y[i]) / 2);
      assert.ok(mid === x[i] || mid === y[i], `${name}[${i}]: ${x[i]} → ${y[i]}`);
      if (x[i] !== y[i]) moved++;
    }
  }
  assert.ok(moved > plain.flat.length / 2, `${moved} weights moved`);
  assert.deepEqual(initialParams({ ...SMALL, jitter: 0 }).flat, plain.flat);
  // --init-from: the file's weights, jittered by the same pattern.
  const dir = tmp();
  const store = Store.open(dir);
  try {
    const r = train(store, k, { ...SMALL, epochs: 3 });
    const file = store.listCheckpoints(r.run_id).find((c) => c.epoch === 3)!.path;
    const fromFile = loadCheckpoint(file).params;
    const wantParams = loadCheckpoint(file).params;
    ulpJitter(PARAM_NAMES.filter(isWeight).map((n) => wantParams.t[n]), 5);
    assert.deepEqual(initialParams({ ...SMALL, initFrom: file, jitter: 5 }).flat, wantParams.flat);
    assert.notDeepEqual(wantParams.flat, fromFile.flat);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
