/**
 * The home table of a large store in a real browser (Debian's Chromium): 150 runs show 100 to a
 * page, sorting and the filter act on every run, and every run is one click away.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pageOf } from '../../src/browser/dom.js';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { Store } from '../../src/store/store.js';

const N = 150, PAGE_ROWS = 100;
let dir: string, s: RunningServer, browser: Browser, page: Page;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grokbench-home-pages-'));
  const store = Store.open(dir);
  for (let i = 0; i < N; i++) {
    const run_id = `p${i % 2 ? 7 : 11}-s${i}`;
    store.createRun({ run_id, p: i % 2 ? 7 : 11, seed: i, data_seed: 598, epochs: 10, config_json: '{}', engine: 'test', source: 'test' });
    store.appendMetrics(run_id, [{ epoch: 10, train_loss: 1, train_acc: 0.5, test_loss: 2 + i, test_acc: 0.1 }]);
    store.updateRun(run_id, { status: 'done', epochs_done: 10 });
  }
  store.close();
  s = await startServer({ storeDir: dir, port: 0, token: 'home-pages-token-0123456789' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage();
});
after(async () => { await browser?.close(); await s?.close(); rmSync(dir, { recursive: true, force: true }); });

const shownRuns = (): Promise<string[]> => page.$$eval('table#runs tr[data-run]', (rs) => rs.map((r) => r.getAttribute('data-run')!));

test('pageOf clamps the page and covers every row once', () => {
  assert.deepEqual(pageOf(0, 3, 100), { first: 0, end: 0, page: 0, pages: 1 });
  assert.deepEqual(pageOf(250, 2, 100), { first: 200, end: 250, page: 2, pages: 3 });
  assert.deepEqual(pageOf(250, 9, 100), { first: 200, end: 250, page: 2, pages: 3 });
  assert.deepEqual(pageOf(250, -1, Infinity), { first: 0, end: 250, page: 0, pages: 1 });
});

test('150 runs: 100 on the first page in sort order, the other 50 on the next, all on one page on request, the filter over every run', async () => {
  await page.goto(s.openUrl);
  await page.waitForSelector(`body[data-runs="${N}"][data-complete="1"]`);
  const first = await shownRuns();
  assert.equal(first.length, PAGE_ROWS);
  assert.match((await page.textContent('#runs-pager'))!, /runs 1–100 of 150/);
  assert.ok(first.slice(0, 75).every((id) => id.startsWith('p7-')) && first.slice(75).every((id) => id.startsWith('p11-')), 'ascending p: the 75 p=7 runs, then p=11');
  await page.click('#runs-next');
  const second = await shownRuns();
  assert.equal(second.length, N - PAGE_ROWS);
  assert.equal(new Set([...first, ...second]).size, N, 'the two pages hold every run once');
  await page.click('#runs-all');
  assert.equal((await shownRuns()).length, N);
  await page.click('#runs-paged');
  await page.fill('#filter', 'p=11');
  const filtered = await shownRuns();
  assert.equal(filtered.length, 75, 'the filter reaches runs of every page');
  assert.equal(await page.textContent('#runs-pager'), '', 'one page: no pager');
  await page.fill('#filter', '');
  await page.click('th[data-key="final_test_loss"]');
  await page.click('th[data-key="final_test_loss"]');
  assert.equal((await shownRuns())[0], 'p7-s149', 'sorting acts on every run: the largest final test loss first');
});
