/**
 * The neuron-group views (views/figures/neuron-groups.ts) on a small real store analysed by the real
 * pipeline: the fixture's last checkpoint has an embedding made of frequencies 2 and 5 only, so
 * every neuron's θ = W_E[:p]·W_in holds those two frequencies alone and neuron_grouping puts it in
 * group k=2 or k=5; both views build through the catalog and every spec renders.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { NEURON_GROUPING, type NeuronGroupingSummary } from '../../src/analysis/analyzers/neuron-grouping.js';
import { PARAMETER_DMD, type ParameterDmdSummary } from '../../src/analysis/analyzers/parameter-dmd.js';
import { loadKernels } from '../../src/engine/index.js';
import { renderSvg } from '../../src/report/render.js';
import type { Store } from '../../src/store/store.js';
import { buildViews, storedResults, viewEntry, viewHasData } from '../../src/views/index.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';
import { buildFixtureStore } from './fixture.js';

let store: Store, dir: string, runIds: string[], figures: Figure[];

before(async () => {
  ({ store, dir, runIds } = await buildFixtureStore([{ p: 13, seed: 1, grokAt: 300, epochs: 1100, checkpointEvery: 100, keys: [2, 5] }]));
  figures = buildViews(runIds.map((id) => loadRunModel(store, id, 3)), 3, () => loadKernels(), ['neuron-groups', 'parameter-dmd'], store);
});
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

test('at the last checkpoint every neuron is in the group of frequency 2 or 5, and parameter_dmd takes those two groups from it', () => {
  const rows = store.getAnalyses<NeuronGroupingSummary>(runIds[0], NEURON_GROUPING);
  assert.equal(rows.length, 12);
  const last = rows.at(-1)!.summary;
  assert.equal(last.method, 'argmax_by_basis');
  assert.equal(last.n_groups, 6);
  assert.equal(last.n_unassigned, 0);
  assert.deepEqual(last.n_per_group.flatMap((c, g) => (c > 0 ? [g + 1] : [])), [2, 5]);
  const dmd = store.getAnalyses<ParameterDmdSummary>(runIds[0], PARAMETER_DMD).at(-1)!.summary;
  assert.equal(dmd.reference_epoch, 1100);
  assert.deepEqual(dmd.populated_groups, [1, 4]);
  assert.deepEqual(Object.keys(dmd.groups).sort(), ['1', '4']);
});

test('both views have data once analysed, build their figures through the catalog, and every spec renders with data', async () => {
  const has = storedResults(store, runIds[0]);
  for (const name of ['neuron-groups', 'parameter-dmd']) assert.ok(viewHasData(viewEntry(name), has, true), name);
  assert.equal(viewEntry('parameter-dmd').family, 'neuron groups');
  assert.deepEqual(figures.map((f) => f.name), ['neuron-groups', 'neuron-groups-separation', 'parameter-dmd-eigenvalues', 'parameter-dmd-eigenvalues-zoom', 'parameter-dmd-residuals']);
  for (const f of figures) {
    const svg = await renderSvg(f.spec, f.name);
    assert.match(svg, /^<svg/, f.name);
    assert.ok(f.table.rows.length > 0, `${f.name} has data`);
  }
  const sizes = figures[0].table.rows.filter((r) => r[1] === 1100 && (r[4] as number) > 0).map((r) => r[2]);
  assert.deepEqual(sizes.sort(), ['k=2', 'k=5']);
  assert.match(figures[2].caption, /reference epoch 1100, 2 groups/);
});
