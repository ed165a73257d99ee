import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunAblation, interventionSections, sectionAblation, sectionAblationCurves, sectionBlobInit } from '../../src/study/interventions.js';
import { loadKernels } from '../../src/engine/index.js';
import { DEFAULTS } from '../../src/config/config.js';
import { Store } from '../../src/store/store.js';
import { train } from '../../src/train/trainer.js';

test('ablation section counts the runs where ablating a class costs more than as many random neurons', () => {
  const row = (id: string, accBlob: number | null, accRand: number | null): RunAblation => ({
    run_id: id, epoch: 10, acc: 1, blob: accBlob === null ? 0 : 5, acc_blob: accBlob, acc_blob_random: accRand,
    specialised: 5, acc_specialised: 0.5, acc_specialised_random: 0.9,
    curves: { by: 'specialization', mode: 'zero', random_seed: 0, most_first: [], least_first: [], random: [] },
  });
  const s = sectionAblation([row('a', 0.4, 0.9), row('b', 0.95, 0.9), row('c', null, null)])!;
  assert.match(s.answer, /in 1 of 2 runs with blob neurons \(1 runs have none\)/);
  assert.match(s.answer, /it is 3 of 3/);
  assert.equal(s.table!.rows.length, 3);
  assert.equal(sectionAblation([]), null);
  assert.equal(sectionAblationCurves([]), null);
  assert.equal(sectionBlobInit([]), null);
});

test('study over a store: the ablation rows of every run, and the blob_init sub-run beside its parent (0 neurons)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-study-iv-'));
  const store = Store.open(dir);
  try {
    const k = loadKernels({ threads: 1 });
    const config = { ...DEFAULTS, p: 31, dModel: 32, nHeads: 2, dHead: 16, dMlp: 64, epochs: 30, checkpointEvery: 10 };
    const parent = train(store, k, config);
    const f = join(dir, 'blob.json');
    writeFileSync(f, JSON.stringify({ type: 'blob_init', count: 8, seed: 1 }));
    const child = train(store, k, { ...config, intervention: f });
    const secs = interventionSections(store, k, [parent.run_id]);
    assert.deepEqual(secs.map((s) => s.id), ['ablation', 'ablation-curves', 'blob-init']);
    assert.equal(secs[0].table!.rows.length, 1);
    const rows = secs[2].table!.rows;
    assert.deepEqual(rows.map((r) => [r[1], r[2]]), [[parent.run_id, 0], [child.run_id, 8]]);
    assert.match(secs[2].answer, /0 neurons: 1 run\(s\).*8 neurons: 1 run\(s\)/);
    // The curves: from the unablated accuracy at 0 to every neuron ablated at d_mlp, in each order.
    const curves = secs[1].vegaLite as { data: { values: { order: string; ablated: number; acc: number }[] } };
    for (const order of ['most specialised first', 'least specialised first', 'random order']) {
      const pts = curves.data.values.filter((v) => v.order === order);
      assert.equal(pts[0].ablated, 0);
      assert.equal(pts[pts.length - 1].ablated, 64);
      assert.equal(pts[0].acc, secs[1].table!.rows[0][2]);
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
