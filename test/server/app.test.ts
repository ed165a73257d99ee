/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * server on a real store: the variant table, the neuron explorer, jobs started from the browser
 * (live progress, outcome, cancel, reload, restart), with no console errors and no request that
 * leaves the server. With GROKBENCH_SCREENSHOTS=DIR it also saves a screenshot of every page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { furtherSections } from '../../src/study/further.js';
import { interventionSections } from '../../src/study/interventions.js';
import { Store } from '../../src/store/store.js';
import { loadRunModel } from '../../src/views/model.js';
import { buildViews, VIEWS } from '../../src/views/index.js';
import { toCsv } from '../../src/views/csv.js';
import { loadKernels } from '../../src/engine/index.js';
import { buildFixtureStore } from '../report/fixture.js';

const TOKEN = 'browser-test-token-0123456789';
const SHOTS = process.env.GROKBENCH_SCREENSHOTS;
let s: RunningServer;
let dir: string;
let profile: string;
let browser: Browser;
let page: Page;
const problems: string[] = [];

async function shot(name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, name), fullPage: true });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Fill the jobs page's train form (opening "more settings") and start it; the job's id. */
async function startTrainJob(fields: Record<string, string>): Promise<string> {
  await page.goto(`${s.url}/jobs?token=${TOKEN}`);
  await page.waitForSelector('#job-form input[name="p"]');
  await page.click('#job-form summary');
  for (const [k, v] of Object.entries(fields)) await page.fill(`#job-form input[name="${k}"]`, v);
  await page.click('#job-start');
  await page.waitForSelector('#job-message:has-text("started job")');
  return (await page.textContent('#job-message'))!.replace('started job ', '');
}

/** The grid's tile of neuron n (one canvas, tiles in the page's sort order): its position and RGBA pixels. */
async function tile(n: number): Promise<{ x: number; y: number; T: number; dpr: number; pixels: number[] }> {
  return page.$eval('#grid-canvas', (c, n) => {
    const canvas = c as HTMLCanvasElement;
    const k = document.body.dataset.gridOrder!.split(',').indexOf(String(n));
    const T = Number(canvas.dataset.tile), G = Number(canvas.dataset.gap), C = Number(canvas.dataset.cols);
    const x = (k % C) * (T + G), y = Math.floor(k / C) * (T + G);
    return { x, y, T, dpr: window.devicePixelRatio, pixels: Array.from(canvas.getContext('2d')!.getImageData(x, y, T, T).data) };
  }, n);
}

async function openServer(): Promise<void> {
  s = await startServer({ storeDir: dir, port: 0, token: TOKEN });
  await page.route(/.*/, (route) => {
    const u = route.request().url();
    if (u.startsWith(s.url + '/')) return route.continue();
    problems.push(`request left the server: ${u}`);
    return route.abort();
  });
}

describe('grokbench serve in a browser', () => {
  before(async () => {
    const f = await buildFixtureStore([
      { p: 11, seed: 1, grokAt: 200, epochs: 300, checkpointEvery: 20, keys: [2, 4] },
      { p: 13, seed: 1, grokAt: null, epochs: 300, checkpointEvery: 20, keys: [3] },
    ]);
    f.store.close();
    dir = f.dir;
    profile = mkdtempSync(join(tmpdir(), 'grokbench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    browser = { close: () => context.close() } as unknown as Browser;
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await openServer();
  });

  after(async () => {
    s?.jobs.killAll();
    await s?.close();
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('home lists every run of the store with its MIScope outcome, sortable and filterable', async () => {
    await page.goto(s.openUrl);
    await page.waitForSelector('body[data-runs="2"][data-complete="1"]');
    const store = Store.open(dir, { readonly: true });
    try {
      for (const r of store.listRuns()) {
        const cls = await page.textContent(`tr[data-run="${r.run_id}"] td[data-col="outcome"]`);
        const m = loadRunModel(store, r.run_id, 3);
        assert.equal(cls, m.outcome?.performance_classification ?? '–');
        assert.equal(await page.textContent(`tr[data-run="${r.run_id}"] td[data-col="analysed"]`), `${m.epochs.length} / ${m.checkpoints.size}`, 'analysed k / n checkpoints');
      }
    } finally { store.close(); }
    assert.equal(await page.getAttribute('table#runs tr[data-run] >> nth=0', 'data-run'), 'p11-s1-fixture', 'ascending p at first');
    await page.click('th[data-key="p"]'); // descending p
    assert.equal(await page.getAttribute('table#runs tr[data-run] >> nth=0', 'data-run'), 'p13-s1-fixture');
    await page.click('th[data-key="p"]'); // ascending again
    assert.equal(await page.getAttribute('table#runs tr[data-run] >> nth=0', 'data-run'), 'p11-s1-fixture');
    await page.fill('#filter', 'p=11');
    assert.equal(await page.locator('table#runs tr[data-run]').count(), 1);
    await page.fill('#filter', '');
    await shot('serve-home.png');
  });

  test('the epoch slider changes the neuron grid, and clicking a neuron opens its map, spectrum and history', async () => {
    await page.goto(`${s.url}/run/p11-s1-fixture?tab=explorer`);
    await page.waitForSelector('body[data-grid-ready="1"]');
    assert.equal((await page.getAttribute('body', 'data-grid-order'))!.split(',').length, 32, 'one tile per neuron');
    const pixels = async (n: number) => (await tile(n)).pixels.join(',');
    const last = await page.getAttribute('body', 'data-grid-epoch');
    assert.equal(last, '300');
    const before = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(pixels));
    await page.$eval('#epoch-slider', (e) => { (e as HTMLInputElement).value = '0'; e.dispatchEvent(new Event('input')); });
    await page.waitForSelector('body[data-grid-epoch="0"][data-grid-ready="1"]');
    const after0 = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(pixels));
    assert.ok(before.some((b, i) => b !== after0[i]), 'some neuron map differs between epoch 300 and epoch 0');
    await page.$eval('#epoch-slider', (e) => { (e as HTMLInputElement).value = '15'; e.dispatchEvent(new Event('input')); });
    await page.waitForSelector('body[data-grid-epoch="300"][data-grid-ready="1"]');
    const t5 = await tile(5);
    await page.click('#grid-canvas', { position: { x: (t5.x + t5.T / 2) / t5.dpr, y: (t5.y + t5.T / 2) / t5.dpr } });
    await page.waitForSelector('#detail[data-neuron="5"] #neuron-map');
    assert.match((await page.textContent('#neuron-title'))!, /neuron #5 at epoch 300/);
    // The tile is the opened map sampled nearest-neighbour: tile pixel (x, y) = map cell (s(y), s(x)).
    const expected = await page.$eval('#neuron-map', (c, T) => {
      const p = (c as HTMLCanvasElement).width, d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, p, p).data, out: number[] = [];
      const s = (t: number) => Math.min(p - 1, Math.floor(((t + 0.5) * p) / T));
      for (let y = 0; y < T; y++) for (let x = 0; x < T; x++) { const i = 4 * (s(y) * p + s(x)); out.push(d[i], d[i + 1], d[i + 2], d[i + 3]); }
      return out.join(',');
    }, t5.T);
    assert.equal(t5.pixels.join(','), expected, 'the opened map is the grid tile of that neuron');
    assert.equal(await page.$eval('#grid-sel', (e) => (e as HTMLElement).style.display), 'block', 'the clicked tile is outlined');
    await page.waitForSelector('#neuron-history canvas');
    await page.waitForSelector('#neuron-spectrum');
    await shot('serve-run-explorer.png');
  });

  test('the sort control reorders the neuron grid by the chosen value, highest first', async () => {
    await page.goto(`${s.url}/run/p11-s1-fixture?tab=explorer`);
    await page.waitForSelector('body[data-grid-ready="1"]');
    const order = async () => (await page.getAttribute('body', 'data-grid-order'))!.split(',').map(Number);
    const bySpec = await order();
    await page.selectOption('#sort-by', 'index');
    assert.deepEqual(await order(), Array.from({ length: 32 }, (_, i) => i), 'neuron index order');
    await page.selectOption('#sort-by', 'coarseness');
    const byCoarse = await order();
    const epoch = Number(await page.getAttribute('body', 'data-grid-epoch'));
    const values = await page.evaluate(async (epoch) => {
      const buf = await (await fetch(`/api/run/p11-s1-fixture/maps?epoch=${epoch}`)).arrayBuffer();
      const n = new DataView(buf).getUint32(0, true);
      return JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as { coarseness: (number | null)[]; specialization: (number | null)[] };
    }, epoch);
    const sorted = (v: (number | null)[]) => Array.from({ length: 32 }, (_, i) => i).sort((a, b) => (v[b] ?? -1) - (v[a] ?? -1) || a - b);
    assert.deepEqual(byCoarse, sorted(values.coarseness), 'coarseness order, highest first');
    assert.deepEqual(bySpec, sorted(values.specialization), 'specialization order, highest first');
    assert.notDeepEqual(byCoarse, bySpec, 'the two orders differ on this run');
  });

  test('the run page has a tab for each view family with data, and a tab shows exactly the catalog\'s figures of its views', async () => {
    await page.goto(`${s.url}/run/p11-s1-fixture`);
    await page.waitForSelector('#figs[data-ready="training"]');
    const families = await page.$$eval('#view-tabs button', (bs) => bs.map((b) => (b as HTMLElement).dataset.family));
    const store = Store.open(dir, { readonly: true });
    try {
      const m = loadRunModel(store, 'p11-s1-fixture', 3);
      const withData = VIEWS.filter((v) => v.scope === 'run' && (v.needs.length === 0 || v.needs.every((a) => store.countAnalyses(m.runId, a) > 0)));
      const expected: string[] = [...new Set(withData.map((v) => v.family))];
      expected.splice(1, 0, 'explorer');
      assert.deepEqual(families, expected, 'one tab per family, in catalog order, the explorer after the training curves');
      assert.ok(families.includes('neurons') && !families.includes('comparison'), 'no comparison views on a run page');
      const kern = () => loadKernels({ quiet: true });
      for (const family of ['neurons', 'frequencies']) {
        await page.click(`#view-tabs button[data-family="${family}"]`);
        await page.waitForSelector(`#figs[data-ready="${family}"]`);
        const shown = await page.$$eval('#figs .fig', (fs) => fs.map((f) => (f as HTMLElement).dataset.name));
        const names = withData.filter((v) => v.family === family).map((v) => v.name);
        assert.deepEqual(shown, buildViews([m], 3, kern, names, store).map((f) => f.name), family);
        assert.equal(await page.$$eval('#figs .fig canvas', (c) => c.length), shown.length, `every ${family} figure drawn`);
      }
      const get = (path: string) => fetch(`${s.url}${path}`, { headers: { 'x-grokbench-token': TOKEN } });
      assert.equal((await get('/api/run/p11-s1-fixture/view/no-such-view')).status, 400, 'an unknown view is bad input');
      assert.equal((await get('/api/run/p11-s1-fixture/view/mean-overlay')).status, 404, 'a comparison view is not a run view');
      for (const v of VIEWS.filter((x) => x.scope === 'run' && !withData.includes(x))) {
        const res = await get(`/api/run/p11-s1-fixture/view/${v.name}`);
        assert.equal(res.status, 404, `${v.name} has no data for this run`);
        assert.match((await res.json() as { error: string }).error, /needs /);
      }
      const one = await (await get('/api/run/p11-s1-fixture/view/dynamics')).json() as { figures: { name: string; csv: string }[] };
      const built = buildViews([m], 3, kern, ['dynamics'], store);
      assert.deepEqual(one.figures.map((f) => f.name), built.map((f) => f.name));
      // Each figure's data downloads as CSV: exactly its table; the figure's menu saves PNG or SVG.
      const csv = await get(one.figures[0].csv);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="${built[0].name}.csv"`));
      assert.equal(await csv.text(), toCsv(built[0].table));
      assert.equal((await get('/api/run/p11-s1-fixture/view/dynamics/csv?figure=nope')).status, 404);
      await page.click('#view-tabs button[data-family="frequencies"]');
      await page.waitForSelector('#figs[data-ready="frequencies"]');
      assert.equal(await page.locator('#figs .fig h3 a.csv').count(), await page.locator('#figs .fig').count(), 'a CSV link on every figure');
      assert.ok(await page.locator('#figs .fig .vega-embed details').count() > 0, "vega-embed's export menu (PNG, SVG)");
    } finally { store.close(); }
  });

  test('an empty store says so in words, and an unknown run is a page that says so (404), not raw JSON', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'grokbench-empty-'));
    const e = await startServer({ storeDir: emptyDir, port: 0, token: TOKEN });
    const p2 = await page.context().newPage();
    try {
      const errors: string[] = [];
      p2.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await p2.goto(e.openUrl);
      await p2.waitForSelector('#runs-empty:has-text("no runs yet")');
      assert.equal(await p2.locator('table#runs th').count(), 0, 'no bare table headers');
      assert.deepEqual(errors, []);
      const res = await fetch(`${s.url}/run/p99-s9-nothere`, { headers: { 'x-grokbench-token': TOKEN } });
      assert.equal(res.status, 404);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const text = await res.text();
      assert.match(text, /There is no run p99-s9-nothere in this store\./);
      assert.ok(!text.includes('/app.js') && !text.startsWith('{'), 'a page in words');
    } finally {
      await p2.close();
      await e.close();
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  test('the URL keeps the tab, epoch, neuron, sort and tile size: a link opens the run page as it was left', async () => {
    await page.goto(`${s.url}/run/p11-s1-fixture?tab=explorer`);
    await page.waitForSelector('body[data-grid-ready="1"]');
    await page.selectOption('#sort-by', 'index');
    await page.selectOption('#tile-size', '24');
    await page.$eval('#epoch-slider', (e) => { (e as HTMLInputElement).value = '0'; e.dispatchEvent(new Event('input')); });
    await page.waitForSelector('body[data-grid-epoch="0"][data-grid-ready="1"]');
    const t = await tile(3);
    assert.equal(t.T, Math.round(24 * t.dpr), 'the tiles have the chosen size');
    await page.click('#grid-canvas', { position: { x: (t.x + t.T / 2) / t.dpr, y: (t.y + t.T / 2) / t.dpr } });
    await page.waitForSelector('#detail[data-neuron="3"]');
    await page.click('#view-tabs button[data-family="neurons"]');
    await page.waitForSelector('#figs[data-ready="neurons"]');
    const url = new URL(page.url());
    assert.deepEqual(Object.fromEntries(url.searchParams), { tab: 'neurons', epoch: '0', neuron: '3', sort: 'index', tile: '24' });
    await page.goto(`${s.url}/run/p11-s1-fixture?tab=explorer`);
    await page.waitForSelector('body[data-grid-ready="1"][data-grid-epoch="300"]');
    await page.goto(url.toString());
    await page.waitForSelector('#figs[data-ready="neurons"]');
    assert.equal(await page.getAttribute('body', 'data-checkpoint'), '0', 'the link opens at its checkpoint');
    await page.click('#view-tabs button[data-family="explorer"]');
    await page.waitForSelector('body[data-grid-ready="1"][data-grid-epoch="0"]');
    await page.waitForSelector('#detail[data-neuron="3"] #neuron-map');
    assert.equal(await page.$eval('#sort-by', (e) => (e as HTMLSelectElement).value), 'index');
    assert.equal(await page.$eval('#tile-size', (e) => (e as HTMLSelectElement).value), '24');
    assert.match((await page.textContent('#neuron-title'))!, /neuron #3 at epoch 0/);
  });

  test('the one checkpoint slider moves every figure of the tab: the rule on each time series, the per-checkpoint histogram; play steps to the end', async () => {
    await page.goto(`${s.url}/run/p11-s1-fixture?tab=neurons`);
    await page.waitForSelector('#figs[data-ready="neurons"]');
    const state = () => page.evaluate(() => {
      const vs = (window as unknown as { grokbenchViews?: Record<string, { signal(k: string): unknown }> }).grokbenchViews ?? {};
      const sig = (n: string, k: string): unknown => { try { return vs[n]?.signal(k); } catch { return undefined; } };
      const hist = vs['coarseness-histogram-animated'];
      return {
        names: Object.keys(vs),
        rules: Object.keys(vs).filter((n) => sig(n, 'checkpoint') !== undefined).map((n) => sig(n, 'checkpoint')),
        ei: sig('coarseness-histogram-animated', 'ei'),
        image: hist ? (hist as unknown as { toImageURL(t: string): Promise<string> }).toImageURL('png') : Promise.resolve(''),
      };
    }).then(async (x) => ({ ...x, image: await x.image }));
    const at300 = await state();
    await shot('serve-run-neurons.png');
    assert.ok(at300.names.includes('coarseness-histogram-animated'), at300.names.join(','));
    assert.ok(at300.rules.length >= 2 && at300.rules.every((e) => e === 300), `every time series marks epoch 300: ${at300.rules.join(',')}`);
    await page.$eval('#epoch-slider', (e) => { (e as HTMLInputElement).value = '2'; e.dispatchEvent(new Event('input')); });
    await page.waitForSelector('body[data-checkpoint="40"]');
    await page.waitForTimeout(100);
    const at40 = await state();
    assert.ok(at40.rules.every((e) => e === 40), `the rules moved to epoch 40: ${at40.rules.join(',')}`);
    assert.equal(at40.ei, 2, 'the histogram shows checkpoint 2');
    assert.notEqual(at40.image, at300.image, 'the histogram drawn at epoch 40 differs from epoch 300');
    await page.$eval('#epoch-slider', (e) => { (e as HTMLInputElement).value = '12'; e.dispatchEvent(new Event('input')); });
    await page.click('#play');
    await page.waitForSelector('body[data-playing="0"][data-checkpoint="300"]', { timeout: 15000 });
    assert.equal(await page.$eval('#epoch-slider', (e) => (e as HTMLInputElement).value), '15');
  });

  test('the view browser draws any view side by side over the chosen runs, a comparison view once over them, at the chosen checkpoint', async () => {
    const ids = ['p11-s1-fixture', 'p13-s1-fixture'];
    await page.goto(`${s.url}/views?view=dynamics&runs=${ids.join(',')}`);
    await page.waitForSelector('body[data-ready="1"]');
    const store = Store.open(dir, { readonly: true });
    try {
      const kern = () => loadKernels({ quiet: true });
      const cols = await page.$$eval('#view-out .column', (cs) => cs.map((c) => ({ run: (c as HTMLElement).dataset.run, figs: [...c.querySelectorAll('.fig')].map((f) => (f as HTMLElement).dataset.name) })));
      assert.deepEqual(cols.map((c) => c.run), ids, 'one column per run, in the order asked');
      for (const c of cols) assert.deepEqual(c.figs, buildViews([loadRunModel(store, c.run!, 3)], 3, kern, ['dynamics'], store).map((f) => f.name), c.run);
      assert.equal(await page.$$eval('#view-out .fig canvas', (c) => c.length), cols.flatMap((c) => c.figs).length, 'every figure drawn');
      await page.selectOption('#view', 'mean-overlay');
      await page.waitForSelector('body[data-ready="1"] #view-out .figs .fig');
      const shown = await page.$$eval('#view-out .fig', (fs) => fs.map((f) => (f as HTMLElement).dataset.name));
      assert.deepEqual(shown, buildViews(ids.map((id) => loadRunModel(store, id, 3)), 3, kern, ['mean-overlay'], store).map((f) => f.name), 'a comparison view over both runs at once');
      assert.equal(new URL(page.url()).searchParams.get('view'), 'mean-overlay');
    } finally { store.close(); }
    await page.selectOption('#view', 'training-curves');
    await page.waitForSelector('body[data-ready="1"] #view-out .column');
    await page.$eval('#epoch-slider', (e) => { (e as HTMLInputElement).value = '1'; e.dispatchEvent(new Event('input')); });
    await page.waitForSelector('body[data-checkpoint="20"]');
    assert.equal(new URL(page.url()).searchParams.get('epoch'), '20');
    const get = (u: string) => fetch(s.url + u, { headers: { 'x-grokbench-token': TOKEN } }).then((r) => r.status);
    assert.equal(await get('/api/views/no-such-view?runs=p11-s1-fixture'), 400, 'an unknown view is bad input');
    assert.equal(await get('/api/views/dynamics'), 400, 'no runs named');
    await shot('serve-views.png');
  });

  test('compare shows overlays and the study answers for the selected runs', async () => {
    await page.goto(`${s.url}/`);
    await page.waitForSelector('body[data-runs="2"]');
    await page.check('input[data-run="p11-s1-fixture"]');
    await page.check('input[data-run="p13-s1-fixture"]');
    await page.click('#compare');
    await page.waitForSelector('body[data-ready="1"]');
    assert.ok(await page.locator('.answer').count() >= 3);
    assert.ok(await page.locator('.fig canvas').count() >= 2);
    await shot('serve-compare.png');
  });

  test("the study page answers the seed's questions over every run of the store, with the comparison figures", async () => {
    await page.goto(`${s.url}/`);
    await page.click('#nav-study');
    await page.waitForSelector('body[data-ready="1"]');
    assert.match((await page.textContent('h1'))!, /^Study/);
    assert.equal(await page.getAttribute('#nav-study', 'class'), 'here');
    assert.equal((await page.textContent('#compare-runs'))!.split(' · ').length, 2, 'every run of the store');
    const names = await page.$$eval('.fig', (fs) => fs.map((f) => (f as HTMLElement).dataset.name));
    assert.ok(names.some((n) => /^early-.*-vs-grok$/.test(n ?? '')), `the early-vs-grok comparison: ${names.join(', ')}`);
    assert.ok(await page.locator('.answer').count() >= 3);
    assert.equal(await page.locator('#left-out').count(), 0, 'both runs are finished and analysed');
    // The sections beyond the seed's five, as the report has them, come when computed.
    await page.waitForSelector('body[data-further-ready="1"]');
    const further = await page.$$eval('#further-sections .answer', (as) => as.map((x) => (x as HTMLElement).dataset.section));
    const store = Store.open(dir, { readonly: true });
    try {
      const ids = store.listRuns().map((r) => r.run_id);
      const expected = [...interventionSections(store, loadKernels({ quiet: true }), ids), ...furtherSections(store, ids)].map((x) => x.id);
      assert.deepEqual(further, expected);
      assert.ok(expected.length >= 3, `the further analyzers' sections: ${expected.join(', ')}`);
    } finally { store.close(); }
    await shot('serve-study.png');
  });

  test('a training job started from the browser appears, progresses live, is analysed and shows its outcome', async () => {
    // Long enough (about 8 s even on an idle machine; the row's epoch moves at each checkpoint) for the
    // live epoch to be seen changing.
    const id = await startTrainJob({ p: '13', epochs: '20000', checkpointEvery: '2000', dMlp: '32', dModel: '16', nHeads: '2', dHead: '8' });
    const job = s.jobs.get(id)!;
    assert.equal(job.kind, 'train');
    const runId = job.runIds[0];
    // Live on the jobs page: the job's run shows its epoch moving.
    const jobEpochs = new Set<string>();
    for (let i = 0; i < 100 && jobEpochs.size < 2 && s.jobs.get(id)!.status === 'running'; i++) {
      jobEpochs.add((await page.textContent(`tr[data-job="${id}"] tr[data-run="${runId}"] td.run-epoch`).catch(() => '')) ?? '');
      await page.waitForTimeout(100);
    }
    // Live on home: the run's row appears and its epoch moves without a reload.
    await page.goto(s.url + '/');
    await page.waitForSelector(`tr[data-run="${runId}"]`, { timeout: 120_000 });
    const seen = new Set<string>();
    for (let i = 0; i < 600 && s.jobs.get(id)!.status === 'running'; i++) {
      seen.add((await page.textContent(`tr[data-run="${runId}"] td[data-col="epochs_done"]`).catch(() => '')) ?? '');
      await page.waitForTimeout(200);
    }
    assert.ok(seen.size >= 2, `the epoch cell changed live: ${[...seen].join(' | ')}`);
    assert.ok(jobEpochs.size >= 2 || s.jobs.get(id)!.status !== 'running', `the job's run epoch changed live: ${[...jobEpochs].join(' | ')}`);
    await page.waitForSelector(`tr[data-run="${runId}"] td[data-col="epochs_done"]:has-text("20000 / 20000")`, { timeout: 120_000 });
    await page.goto(s.url + '/jobs');
    await page.waitForSelector(`tr[data-job="${id}"][data-status="done"]`, { timeout: 120_000 });
    assert.equal(await page.textContent(`tr[data-job="${id}"] tr[data-run="${runId}"] td.run-epoch`), '20000 / 20000');
    assert.equal(await page.getAttribute(`tr[data-job="${id}"] tr[data-run="${runId}"]`, 'data-state'), 'done');
    // The job's own page: its command, state, run and log, reached from the jobs table.
    await page.click(`tr[data-job="${id}"] a[href="/job/${id}"]`);
    await page.waitForSelector('body[data-job-status="done"]');
    assert.equal(await page.textContent('#job-command'), 'grokbench ' + job.args.join(' '));
    assert.equal(await page.getAttribute(`tr[data-run="${runId}"]`, 'data-state'), 'done');
    const log = (await page.textContent('#job-log'))!;
    assert.match(log, new RegExp(`^\\$ grokbench ${job.args[0]} `, 'm'), 'the command opens the log');
    assert.match(log, /\(exit 0\)$/m, 'and its exit closes it');
    await shot('serve-job.png');
    const missing = await fetch(`${s.url}/api/jobs/nope`, { headers: { 'x-grokbench-token': TOKEN } });
    assert.equal(missing.status, 404);
    await page.goto(`${s.url}/run/${runId}`);
    await page.waitForSelector('#outcome-class');
    const store = Store.open(dir, { readonly: true });
    try {
      const m = loadRunModel(store, runId, 3);
      assert.equal(await page.textContent('#outcome-class'), m.outcome!.performance_classification);
      assert.equal(m.epochs.length, 11, 'every checkpoint analysed');
    } finally { store.close(); }
    await page.click('#view-tabs button[data-family="explorer"]');
    await page.waitForSelector('body[data-grid-ready="1"]');
  });

  test('cancel stops a running job; a reload keeps the jobs; a restarted server shows a running job as interrupted and resumes it', async () => {
    const startLong = (): Promise<string> => startTrainJob({ p: '17', epochs: '1000000', dMlp: '32' });
    const id = await startLong();
    await page.waitForSelector(`tr[data-job="${id}"][data-status="running"]`);
    const pid = s.jobs.get(id)!.pid!;
    assert.ok(alive(pid));
    // Cancel once the run has committed something (so it is in the store, cut short).
    const trained = (): boolean => {
      const st = Store.open(dir, { readonly: true });
      try { return st.listRuns().some((r) => r.p === 17 && r.epochs_done > 0); } finally { st.close(); }
    };
    for (let i = 0; i < 200 && !trained(); i++) await page.waitForTimeout(100);
    await page.click(`tr[data-job="${id}"] button.cancel`);
    await page.waitForSelector(`tr[data-job="${id}"][data-status="cancelled"]`);
    for (let i = 0; i < 50 && alive(pid); i++) await page.waitForTimeout(100);
    assert.ok(!alive(pid), 'the training process is gone');
    await page.reload();
    await page.waitForSelector(`tr[data-job="${id}"][data-status="cancelled"]`);
    assert.equal(await page.getAttribute(`tr[data-job="${id}"] tr[data-run]`, 'data-state'), 'interrupted', "the cancelled job's run shows as cut short");
    assert.equal(await page.locator('tr[data-job][data-status="done"]').count(), 1, 'the finished job is still listed');
    // The home table and the run page say the same: interrupted, its class only provisional.
    const cut = (await page.getAttribute(`tr[data-job="${id}"] tr[data-run]`, 'data-run'))!;
    await page.goto(`${s.url}/?token=${TOKEN}`);
    await page.waitForSelector(`tr[data-run="${cut}"] td[data-col="status"]`);
    await page.waitForSelector('body[data-complete="1"]');
    assert.equal(await page.textContent(`tr[data-run="${cut}"] td[data-col="status"]`), 'interrupted');
    assert.match((await page.textContent(`tr[data-run="${cut}"] td[data-col="outcome"]`))!, /^provisional \(/);
    await page.goto(`${s.url}/run/${cut}`);
    await page.waitForSelector('#outcome-class');
    assert.match((await page.textContent('#outcome-class'))!, /^provisional: .* so far \(interrupted at epoch \d+ of 1000000/);
    // The job analyses checkpoints as they land, so how many are analysed by now depends on timing.
    assert.match((await page.textContent('#run-status'))!, /status interrupted .* \d+ analysed · d_mlp 32 /);
    await page.goto(`${s.url}/jobs?token=${TOKEN}`);

    const id2 = await startLong();
    await page.waitForSelector(`tr[data-job="${id2}"][data-status="running"]`);
    const pid2 = s.jobs.get(id2)!.pid!;
    await s.close(); // the server stops while the job runs: it stops the job's child too
    for (let i = 0; i < 100 && alive(pid2); i++) await page.waitForTimeout(100);
    assert.ok(!alive(pid2), 'no training process left behind a stopped server');
    await page.unroute(/.*/);
    await openServer();
    await page.goto(`${s.url}/jobs?token=${TOKEN}`);
    await page.waitForSelector(`tr[data-job="${id2}"][data-status="interrupted"]`);
    assert.match((await page.textContent(`tr[data-job="${id2}"] td.job-progress`))!, /server stopped/);
    await page.click(`tr[data-job="${id2}"] button.resume`);
    await page.waitForSelector('tr[data-job][data-status="running"]');
    const resumed = s.jobs.list().find((j) => j.status === 'running')!;
    assert.deepEqual(resumed.form, s.jobs.get(id2)!.form);
    s.jobs.cancel(resumed.id);
  });

  test('a sweep started from the jobs page shows each of its runs progressing, and the nav links the pages', async () => {
    await page.goto(`${s.url}/?token=${TOKEN}`);
    await page.click('#nav-jobs');
    await page.waitForSelector('#job-form input[name="p"]');
    await page.selectOption('#job-kind', 'sweep');
    await page.fill('#job-form input[name="primes"]', '11,13');
    await page.fill('#job-form input[name="seeds"]', '5');
    await page.click('#job-form summary');
    for (const [k, v] of Object.entries({ epochs: '3000', checkpointEvery: '1000', dMlp: '16', dModel: '16', nHeads: '2', dHead: '8' })) await page.fill(`#job-form input[name="${k}"]`, v);
    await page.click('#job-start');
    await page.waitForSelector('#job-message:has-text("started job")');
    const id = (await page.textContent('#job-message'))!.replace('started job ', '');
    // The sweep's plan lists both runs (queued or running) before they finish.
    await page.waitForSelector(`tr[data-job="${id}"] tr[data-run] >> nth=1`, { timeout: 60_000 });
    const states = new Set<string>();
    for (let i = 0; i < 1200 && s.jobs.get(id)!.status === 'running'; i++) {
      for (const st of await page.$$eval(`tr[data-job="${id}"] tr[data-run]`, (rs) => rs.map((r) => r.getAttribute('data-state')!))) states.add(st);
      await page.waitForTimeout(100);
    }
    await page.waitForSelector(`tr[data-job="${id}"][data-status="done"]`, { timeout: 120_000 });
    const runs = await page.$$eval(`tr[data-job="${id}"] tr[data-run]`, (rs) => rs.map((r) => [r.getAttribute('data-run'), r.getAttribute('data-state'), r.querySelector('td.run-epoch')!.textContent]));
    assert.equal(runs.length, 2);
    for (const [run, state, epoch] of runs) {
      assert.match(run!, /^p1[13]-s5-/);
      assert.equal(state, 'done');
      assert.equal(epoch, '3000 / 3000');
    }
    assert.ok(states.has('running') || states.has('queued'), `a run was seen before it finished: ${[...states].join(',')}`);
    assert.match((await page.textContent(`tr[data-job="${id}"] td.job-progress`))!, /2 of 2 run\(s\) finished|done/);
    await shot('serve-jobs.png');
  });

  test('no console errors and no request left the server', () => {
    assert.deepEqual(problems, []);
  });
});
