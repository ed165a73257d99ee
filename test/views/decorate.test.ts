/**
 * Every time series, whatever view draws it, zooms and pans along its epochs, has tooltips, marks
 * the page's checkpoint when one is set and, for one run, shades the grokking windows underneath:
 * on a hand-made spec and on every view of a real (fixture) store's run.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { loadKernels } from '../../src/engine/index.js';
import { renderSvg } from '../../src/report/render.js';
import type { Store } from '../../src/store/store.js';
import { CHECKPOINT_PARAM, decorateTimeSeries } from '../../src/views/decorate.js';
import { WINDOW_COLOURS } from '../../src/views/figures/windows.js';
import { buildViews } from '../../src/views/index.js';
import { loadRunModel } from '../../src/views/model.js';
import { buildFixtureStore } from '../report/fixture.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const series = () => ({
  $schema: SCHEMA, width: 200, height: 100,
  data: { values: [0, 100, 200, 300, 400].map((epoch) => ({ epoch, v: epoch / 400 })) },
  mark: 'line', encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } },
});
const WINDOWS = [{ run: 'r', window: 'memorisation', start: 0, end: 100 }, { run: 'r', window: 'plateau', start: 100, end: 250 }];
const RULE = '#e15759';

/** A headless view of a Vega-Lite spec. */
async function viewOf(spec: object): Promise<vega.View> {
  const v = new vega.View(vega.parse(compile(spec as Parameters<typeof compile>[0]).spec), { renderer: 'none' });
  await v.runAsync();
  return v;
}

/** The rule marks' x positions in the scenegraph (the checkpoint rule is the only red rule). */
function redRules(view: vega.View): number[] {
  const out: number[] = [];
  const walk = (n: { marktype?: string; items?: unknown[]; stroke?: string; x?: number }): void => {
    if (n.marktype === 'rule') for (const it of (n.items ?? []) as { stroke?: string; x?: number }[]) { if (it.stroke === RULE) out.push(it.x ?? NaN); }
    for (const it of (n.items ?? []) as object[]) walk(it as never);
  };
  walk((view.scenegraph() as unknown as { root: never }).root);
  return out;
}

describe('time series decorations', () => {
  test('a single-unit series becomes a layer: windows under it, the checkpoint rule over it, zoom bound to x, tooltips', async () => {
    const d = decorateTimeSeries(series(), WINDOWS) as { layer: { mark: { type: string; tooltip?: unknown; clip?: boolean }; params?: { bind?: string; select: { encodings: string[] } }[] }[]; params: { name: string; value: unknown }[] };
    assert.deepEqual(d.layer.map((l) => l.mark.type), ['rect', 'line', 'rule']);
    assert.equal(d.layer[1].params?.[0].bind, 'scales');
    assert.deepEqual(d.layer[1].params?.[0].select.encodings, ['x']);
    assert.equal(d.layer[1].mark.tooltip, true);
    assert.equal(d.layer[1].mark.clip, true);
    assert.deepEqual(d.params, [{ name: CHECKPOINT_PARAM, value: null }]);
    const svg = await renderSvg(d);
    const count = (c: string) => svg.split(`fill="${c}"`).length - 1;
    for (const c of WINDOW_COLOURS.slice(0, 2)) assert.equal(count(c), 2, `window ${c}: its rectangle and its legend entry`);
    assert.equal(count(WINDOW_COLOURS[2]), 1, 'a window the run did not have: in the legend only');
  });

  test('the rule appears where the checkpoint parameter is set, and only then', async () => {
    const view = await viewOf(decorateTimeSeries(series(), null));
    assert.deepEqual(redRules(view), [], 'no checkpoint: no rule');
    await view.signal(CHECKPOINT_PARAM, 200).runAsync();
    const xs = redRules(view);
    assert.equal(xs.length, 1);
    assert.ok(Math.abs(xs[0] - 100) < 1e-9, `epoch 200 of 0–400 over 200 px is at x=100, got ${xs[0]}`);
    await view.signal(CHECKPOINT_PARAM, 400).runAsync();
    assert.ok(Math.abs(redRules(view)[0] - 200) < 1e-9, 'the rule follows the parameter');
    view.finalize();
  });

  test('a spec with no epoch axis comes back as it was, and the input spec is not changed', () => {
    const bar = { $schema: SCHEMA, data: { values: [{ k: 1, n: 2 }] }, mark: 'bar', encoding: { x: { field: 'k', type: 'ordinal' }, y: { field: 'n', type: 'quantitative' } } };
    assert.deepEqual(decorateTimeSeries(bar, WINDOWS), bar);
    const s = series(), copy = JSON.parse(JSON.stringify(s)) as unknown;
    decorateTimeSeries(s, WINDOWS);
    assert.deepEqual(s, copy);
  });

  describe('on every view of a real run', () => {
    let store: Store, dir: string, runId: string;
    before(async () => {
      ({ store, dir, runIds: [runId] } = await buildFixtureStore([{ p: 11, seed: 3, grokAt: 240, epochs: 400, checkpointEvery: 50, keys: [2, 4] }]));
    });
    after(() => { store?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

    test('each figure over epochs compiles, zooms, and draws the checkpoint rule at the slider\'s epoch; the windows are shaded', async () => {
      const m = loadRunModel(store, runId, 3);
      const figs = buildViews([m], 3, () => loadKernels({ quiet: true }), undefined, store);
      let series = 0;
      for (const f of figs) {
        const spec = f.spec as { $schema?: string; params?: { name: string }[] };
        if (!String(spec.$schema).includes('vega-lite')) continue;
        const text = JSON.stringify(spec);
        if (!spec.params?.some((p) => p.name === CHECKPOINT_PARAM)) {
          assert.ok(!/"field":"epoch","type":"quantitative"/.test(text) || /"facet"|"repeat"/.test(text), `${f.name}: an epoch axis without the checkpoint rule`);
          continue;
        }
        series++;
        assert.match(text, /"bind":"scales"/, `${f.name}: zoom`);
        const view = await viewOf(spec);
        assert.deepEqual(redRules(view), [], `${f.name}: no rule before a checkpoint is chosen`);
        await view.signal(CHECKPOINT_PARAM, m.epochs[2]).runAsync();
        assert.ok(redRules(view).length >= 1, `${f.name}: the rule at epoch ${m.epochs[2]}`);
        view.finalize();
        if (f.name !== 'training-curves') assert.match(text, /"field":"window"/, `${f.name}: the grokking windows`);
      }
      assert.ok(series >= 6, `time series found: ${series}`);
    });
  });
});
