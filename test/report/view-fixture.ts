/**
 * The fixture of the figure tests: one analysed p = 13 run (frequencies 2 and 5, grokking at 300)
 * built before a file's tests and removed after them, and the catalog views under test built from
 * it; `assertViewsRender` checks what every such file checks first.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { loadKernels } from '../../src/engine/index.js';
import { renderSvg } from '../../src/report/render.js';
import type { Store } from '../../src/store/store.js';
import { buildViews, storedResults, viewEntry, viewHasData } from '../../src/views/index.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';
import { buildFixtureStore } from './fixture.js';

export interface ViewFixture { store: Store; dir: string; runIds: string[]; figures: Figure[] }

/** Registers the before/after hooks; the returned object is filled once `before` has run. */
export function viewFixture(views: readonly string[], checkpointEvery = 100): ViewFixture {
  const fx = {} as ViewFixture;
  before(async () => {
    Object.assign(fx, await buildFixtureStore([{ p: 13, seed: 1, grokAt: 300, epochs: 400, checkpointEvery, keys: [2, 5] }]));
    fx.figures = buildViews(fx.runIds.map((id) => loadRunModel(fx.store, id, 3)), 3, () => loadKernels(), [...views], fx.store);
  });
  after(() => { fx.store.close(); rmSync(fx.dir, { recursive: true, force: true }); });
  return fx;
}

/** Each view has data once analysed and sits in its family's tab; the figures are `names`, each spec renders to SVG over rows of data. */
export async function assertViewsRender(fx: ViewFixture, families: Record<string, string>, names: string[]): Promise<void> {
  const has = storedResults(fx.store, fx.runIds[0]);
  for (const [name, family] of Object.entries(families)) {
    assert.ok(viewHasData(viewEntry(name), has, true), name);
    assert.equal(viewEntry(name).family, family, name);
  }
  assert.deepEqual(fx.figures.map((f) => f.name), names);
  for (const f of fx.figures) {
    assert.match(await renderSvg(f.spec, f.name), /^<svg/, f.name);
    assert.ok(f.table.rows.length > 0, `${f.name} has data`);
  }
}
