/**
 * The further-analyzer figures of report/figures/further-more.ts on a small real store (fixture.ts,
 * analysed by the real pipeline): which figures exist, their tables against the stored artifacts
 * and independent recomputation, and every spec rendered by Vega.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { EFFDIM_CROSSOVER, type EffdimCrossover } from '../../src/analysis/analyzers/effdim-crossover.js';
import { readParameterTrajectory } from '../../src/analysis/analyzers/parameter-trajectory.js';
import { moreFurtherFigures } from '../../src/views/figures/further-more.js';
import { renderSvg } from '../../src/report/render.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import type { Store } from '../../src/store/store.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';
import { effdimTrajectorySections } from '../../src/study/effdim.js';
import { buildFixtureStore } from './fixture.js';

let store: Store, dir: string, runIds: string[], figures: Figure[];

before(async () => {
  ({ store, dir, runIds } = await buildFixtureStore([
    { p: 13, seed: 1, grokAt: 300, epochs: 400, checkpointEvery: 50, keys: [2, 5] },
    { p: 11, seed: 2, grokAt: null, epochs: 300, checkpointEvery: 50, keys: [3] },
  ]));
  figures = moreFurtherFigures(store, runIds.map((id) => loadRunModel(store, id, 3)));
});
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

const fig = (name: string): Figure => {
  const f = figures.find((x) => x.name === name);
  assert.ok(f, `figure ${name}`);
  return f;
};

test('the figures of the stored results are there and every spec renders', async () => {
  assert.deepEqual(figures.map((f) => f.name).sort(), [
    'further-effdim-crossover', 'further-geometry', 'further-input-trace-classes', 'further-input-trace-graduation',
    'further-trajectory', 'further-trajectory-variance', 'further-trajectory-velocity', 'further-viability-aliasing',
  ]);
  for (const f of figures) {
    const svg = await renderSvg(f.spec, f.name);
    assert.match(svg, /^<svg/, f.name);
    assert.ok(svg.length > 3000, `${f.name} has content`);
    assert.ok(f.table.rows.length > 0, `${f.name} has data`);
  }
});

test('graduation counts equal a direct count over the stored correct tensors; class accuracies are the stored ones', () => {
  const grad = fig('further-input-trace-graduation').table.rows;
  const cls = fig('further-input-trace-classes').table.rows;
  for (const id of runIds) {
    const label = loadRunModel(store, id, 3).label;
    const rows = store.getAnalyses(id, 'input_trace').filter((a) => a.path);
    const correct = rows.map((a) => readSafetensorsFile(a.path!).getInt32('correct'));
    const p = store.getRun(id)!.p;
    const want = new Map<number, number>();
    for (let i = 0; i < p * p; i++) {
      for (let j = 0; j + 2 < correct.length; j++) {
        if (correct[j][i] && correct[j + 1][i] && correct[j + 2][i]) { want.set(rows[j].epoch, (want.get(rows[j].epoch) ?? 0) + 1); break; }
      }
    }
    const got = new Map<number, number>();
    for (const [run, epoch, , n] of grad) if (run === label) got.set(epoch as number, (got.get(epoch as number) ?? 0) + (n as number));
    assert.deepEqual([...got].sort((a, b) => a[0] - b[0]), [...want].sort((a, b) => a[0] - b[0]), label);
    const last = rows.at(-1)!;
    const acc = readSafetensorsFile(last.path!).getFloat32('class_accuracy');
    const shown = cls.filter((r) => r[0] === label && r[1] === last.epoch);
    assert.equal(shown.length, p);
    shown.forEach((r) => assert.ok(Math.abs((r[3] as number) - acc[r[2] as number]) < 1e-3));
  }
});

test('trajectory table is the run PCA (PC1–PC3 per checkpoint), crossover rules are the stored epochs, and the study has both sections', () => {
  const path = fig('further-trajectory').table.rows;
  for (const id of runIds) {
    const label = loadRunModel(store, id, 3).label;
    const t = readParameterTrajectory(store, id)!;
    const pca = t.groups.embedding.pca;
    const mine = path.filter((r) => r[0] === label && r[1] === 'embedding');
    assert.deepEqual(mine.map((r) => r[3]), t.epochs);
    mine.forEach((r, i) => {
      for (let c = 0; c < 3; c++) assert.ok(Math.abs((r[4 + c] as number) - pca.projections[i * pca.k + c]) <= 1e-3 * Math.abs(pca.projections[i * pca.k + c]) + 1e-9);
    });
    // Only W_E moves in the fixture: the attention and MLP groups do not move at all.
    assert.equal(t.groups.attention.pca.explainedVariance[0], 0);
    assert.ok(t.groups.embedding.pca.explainedVarianceRatio[0] > 0.5);
  }
  const spec = fig('further-effdim-crossover').spec as { data: { values: { kind: string; run: string; event?: string; epoch: number }[] } };
  for (const id of runIds) {
    const label = loadRunModel(store, id, 3).label;
    const cx = store.getAnalyses<EffdimCrossover>(id, EFFDIM_CROSSOVER).at(-1)!.summary;
    const rule = spec.data.values.find((v) => v.kind === 'event' && v.run === label && v.event === 'crossover');
    assert.equal(rule?.epoch ?? null, cx.cross_over_epoch);
  }
  const sections = effdimTrajectorySections(store, runIds);
  assert.deepEqual(sections.map((s) => s.id), ['further-effdim-crossover', 'further-trajectory']);
  assert.equal(sections[1].table!.rows.length, runIds.length * 4);
});
