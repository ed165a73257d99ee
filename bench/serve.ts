/**
 * `npm run bench:serve`: the dashboard's two timing targets (issue 13), measured with a real browser
 * (Debian's Chromium through playwright-core) against a real `grokbench serve` process on a real store:
 *   - home page usable ≤ 1 s: from navigation start to the variant table drawn with every run's row
 *     (the page's own clock, `performance.now()` when it sets `data-home-ms`; the table is drawn
 *     first from the runs table alone) and to every column filled (outcome, grok epochs, frequencies:
 *     every run's read model, `data-home-full-ms`); the first load after
 *     the server starts (every run's read model loaded from the store) in a browser with an empty
 *     cache, then warm reloads, then loads in fresh browser contexts (empty cache, warm server);
 *   - the neuron grid of one p=113 checkpoint (512 maps of 113×113) ≤ 500 ms after the slider
 *     moves: from the slider's `input` event to the grid of the new epoch painted and the next
 *     frame begun (two animation frames), for checkpoints the server has not computed yet (maps
 *     from the checkpoint through the engine) and again once they are cached; the maps request's
 *     own time (server + transfer, from the browser's resource timing) is shown beside it.
 *   - a run page ≤ 1.5 s to its last figure: from navigation start to the first tab's figures all
 *     drawn (the page's `data-ready-ms`), in fresh browser contexts;
 *   - a slider step ≤ 100 ms: one step to the neighbouring checkpoint once the page has shown the
 *     grid (the explorer fetches the neighbours' maps in the background after drawing a grid).
 * Without --store it measures the two stores issue 27 names, built once (not timed) and kept in
 * ~/.cache/grokbench/bench-serve/ (GROKBENCH_BENCH_CACHE overrides): 30 analysed p=113 runs of the
 * default model (seeds 1–30, --epochs 300 --checkpoint-every 50: 7 checkpoints each) and 1,000
 * small analysed runs (p=7, d_mlp 16, one seed, jitters 0–999, 20 epochs); `--only p113|small`
 * picks one. With --store DIR it measures DIR (its first p=113 run with analysed checkpoints, or
 * --run ID, for the grid); the server opens DIR read-write as `grokbench serve` does (SQLite may
 * touch its files): give a copy of a store you must not change.
 *
 *   node dist/bench/serve.js [--store DIR] [--run ID] [--only p113|small] [--rounds 5]
 *                            [--cpu-prof DIR] [--trace FILE]
 * --cpu-prof DIR writes the server's V8 CPU profile there (node --cpu-prof); --trace FILE writes
 * Chromium's performance timeline of the grid measurements (open in chrome://tracing or Perfetto).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageRoot } from '../src/engine/native.js';

const BIN = join(packageRoot(), 'bin', 'grokbench');
const CHROMIUM = '/usr/bin/chromium';
const HOME_TARGET_MS = 1000;
const RUN_PAGE_TARGET_MS = 1500;
const GRID_TARGET_MS = 500;
const STEP_TARGET_MS = 100;
/**
 * Bump when the stores' recipe changes (a cached store of another version is rebuilt, except a
 * version-1 store: analysed before analysis kept each run's overview, it is brought up by
 * `grokbench analyze`, which keeps the overviews it lacks).
 */
const STORE_VERSION = '2';

function grokbench(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`grokbench ${args.join(' ')}: ${(r.stderr || '').trim().split('\n').pop()}`);
  return r.stdout;
}

/** A `grokbench serve --json` child on a free port; resolves with its URLs once it listens. */
function startServe(store: string, cpuProf: string | undefined): Promise<{ child: ChildProcess; url: string; open: string }> {
  const node = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  const child = spawn(process.execPath, [...node, BIN, 'serve', '--store', store, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        const j = JSON.parse(out.slice(0, nl)) as { url: string; open: string };
        resolve({ child, url: j.url, open: j.open });
      }
    });
    child.on('exit', (code) => reject(new Error(`grokbench serve exited (${code}): ${err.trim()}`)));
  });
}

function stopServe(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const ms = (x: number): string => `${Math.round(x)} ms`;
const verdict = (x: number, target: number): string => (x <= target ? `target ≤ ${target} ms met` : `target ≤ ${target} ms MISSED`);

/** Load the home page; the page's own time to the variant table drawn, and its load event. */
async function homeLoad(page: Page, url: string, runs: number, reload: boolean): Promise<{ usable: number; complete: number; load: number }> {
  if (reload) await page.reload(); else await page.goto(url);
  await page.waitForSelector(`body[data-runs="${runs}"][data-home-ms][data-home-full-ms]`, { timeout: 60_000 });
  await page.waitForLoadState('load');
  return page.evaluate(() => ({
    usable: Number(document.body.dataset.homeMs),
    complete: Number(document.body.dataset.homeFullMs),
    load: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
  }));
}

/** Move the slider to index i; ms from the input event to the new grid painted, and the maps request's own time. */
function moveSlider(page: Page, i: number, epoch: number): Promise<{ total: number; request: number }> {
  return page.evaluate(([i, epoch]) => new Promise<{ total: number; request: number }>((resolve, reject) => {
    const body = document.body, s = document.getElementById('epoch-slider') as HTMLInputElement;
    performance.clearResourceTimings();
    const t0 = performance.now();
    const timer = setTimeout(() => reject(new Error(`grid of epoch ${epoch} not drawn in 60 s`)), 60_000);
    const done = (): void => {
      obs.disconnect();
      clearTimeout(timer);
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const total = performance.now() - t0;
        const r = performance.getEntriesByType('resource').find((e) => e.name.includes(`/maps?epoch=${epoch}`)) as PerformanceResourceTiming | undefined;
        resolve({ total, request: r ? r.responseEnd - r.startTime : NaN });
      }));
    };
    const obs = new MutationObserver(() => { if (body.dataset.gridReady === '1' && body.dataset.gridEpoch === String(epoch)) done(); });
    obs.observe(body, { attributes: true });
    s.value = String(i);
    s.dispatchEvent(new Event('input'));
  }), [i, epoch] as const);
}

interface Args { run?: string; rounds: number; cpuProf?: string; trace?: string }

/** A cached bench store (built once, not timed; an interrupted build resumes): its directory. */
function benchStore(name: 'p113' | 'small'): string {
  const root = process.env.GROKBENCH_BENCH_CACHE ?? join(os.homedir(), '.cache', 'grokbench', 'bench-serve');
  const dir = join(root, name), stamp = join(dir, 'BENCH_STORE_VERSION');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === STORE_VERSION) return dir;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === '1') {
    const t0 = performance.now();
    grokbench(['analyze', '--store', dir, '--json']);
    writeFileSync(stamp, STORE_VERSION);
    console.log(`store ${name}: version 1 brought up (overviews kept) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return dir;
  }
  // A store of another recipe is rebuilt; one without a stamp is an interrupted build, resumed: the
  // sweep skips the runs it finished and `analyze` analyses what is left.
  if (existsSync(stamp)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const sweep = name === 'p113'
    ? ['--primes', '113', '--seeds', Array.from({ length: 30 }, (_, i) => i + 1).join(','), '--epochs', '300', '--checkpoint-every', '50']
    : ['--primes', '7', '--seeds', '1', '--jitters', '0-999', '--epochs', '20', '--checkpoint-every', '10', '--d-mlp', '16'];
  console.log(`store ${name}: building in ${dir} (once; not timed) …`);
  grokbench(['sweep', ...sweep, '--store', dir, '--no-report', '--json']);
  grokbench(['analyze', '--store', dir, '--json']);
  writeFileSync(stamp, STORE_VERSION);
  console.log(`store ${name}: built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return dir;
}

/** Load a run page in a fresh context; ms from navigation start to the first tab's last figure drawn. */
async function runPageLoad(browser: Browser, url: string, viewport: { width: number; height: number }): Promise<number> {
  const c = await browser.newContext({ viewport });
  try {
    const pg = await c.newPage();
    await pg.goto(url);
    await pg.waitForSelector('body[data-ready-ms]', { timeout: 60_000 });
    return Number(await pg.getAttribute('body', 'data-ready-ms'));
  } finally { await c.close(); }
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      store: { type: 'string' }, run: { type: 'string' }, only: { type: 'string' }, rounds: { type: 'string', default: '5' },
      'cpu-prof': { type: 'string' }, trace: { type: 'string' },
    },
  });
  if (!existsSync(CHROMIUM)) { console.log(`bench:serve skipped: no ${CHROMIUM} (Debian's chromium package)`); return; }
  if (a.only !== undefined && a.only !== 'p113' && a.only !== 'small') throw new Error(`--only p113 or small, not ${a.only}`);
  const args: Args = { run: a.run, rounds: Math.max(1, Number(a.rounds)), cpuProf: a['cpu-prof'], trace: a.trace };
  if (a.store) { await measure(a.store, args, true); return; }
  for (const name of ['p113', 'small'] as const) {
    if (a.only && a.only !== name) continue;
    const dir = benchStore(name);
    console.log(`\n=== store ${name === 'p113' ? '30 analysed p=113 runs' : '1,000 small analysed runs'} ===`);
    await measure(dir, args, name === 'p113');
  }
}

/** Every measurement over one store; the grid's only where it has a p=113 run (`grid`). */
async function measure(store: string, a: Args, grid: boolean): Promise<void> {
  const rounds = a.rounds;
  const runs = JSON.parse(grokbench(['runs', '--store', store, '--json'])) as { run_id: string; p: number }[];
  let server: Awaited<ReturnType<typeof startServe>> | null = null;
  let browser: Browser | null = null;
  try {
    const t0 = performance.now();
    server = await startServe(store, a.cpuProf);
    console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} core(s); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other work slows every number below)`);
    console.log(`server: grokbench serve listening after ${ms(performance.now() - t0)}; store ${store}, ${runs.length} run(s)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const viewport = { width: 1400, height: 1000 };

    // ---- home ---------------------------------------------------------------------------------
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const cold = await homeLoad(page, server.open, runs.length, false);
    console.log(`home, first load after the server started (empty browser cache): usable ${ms(cold.usable)} — ${verdict(cold.usable, HOME_TARGET_MS)}; ` +
      `every column filled ${ms(cold.complete)} — ${verdict(cold.complete, HOME_TARGET_MS)}; load event ${ms(cold.load)}`);
    const warm: { usable: number; complete: number }[] = [], fresh: { usable: number; complete: number }[] = [];
    for (let i = 0; i < rounds; i++) warm.push(await homeLoad(page, server.open, runs.length, true));
    for (let i = 0; i < rounds; i++) {
      const c = await browser.newContext({ viewport });
      const pg = await c.newPage();
      fresh.push(await homeLoad(pg, server.open, runs.length, false));
      await c.close();
    }
    const line = (xs: { usable: number; complete: number }[]): string => {
      const u = xs.map((x) => x.usable), c = xs.map((x) => x.complete);
      return `usable median ${ms(median(u))}, max ${ms(Math.max(...u))} — ${verdict(Math.max(...u), HOME_TARGET_MS)}; every column filled median ${ms(median(c))}, max ${ms(Math.max(...c))}`;
    };
    console.log(`home, reload ×${rounds}: ${line(warm)}`);
    console.log(`home, new browser context (empty cache) ×${rounds}: ${line(fresh)}`);

    // ---- run page -----------------------------------------------------------------------------
    {
      const token = new URL(server.open).searchParams.get('token') ?? '';
      const target = runs.find((r) => r.p === 113 && (!a.run || r.run_id === a.run)) ?? runs[runs.length - 1];
      const url = `${server.url}/run/${encodeURIComponent(target.run_id)}?token=${token}`;
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) times.push(await runPageLoad(browser, url, viewport));
      console.log(`run page of ${target.run_id} (first tab, every figure drawn), new browser context ×${rounds}: ${times.map(Math.round).join(', ')} ms; ` +
        `median ${ms(median(times))}, max ${ms(Math.max(...times))} — ${verdict(Math.max(...times), RUN_PAGE_TARGET_MS)}`);
    }
    if (!grid) { await ctx.close(); console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`); return; }

    // ---- neuron grid --------------------------------------------------------------------------
    type RunInfo = { run_id: string; p: number; d_mlp: number; epochs: number[] };
    const infos: RunInfo[] = [];
    for (const r of runs.filter((x) => x.p === 113 && (!a.run || x.run_id === a.run))) {
      const token = new URL(server.open).searchParams.get('token') ?? '';
      const res = await fetch(`${server.url}/api/run/${encodeURIComponent(r.run_id)}`, { headers: { 'x-grokbench-token': token } });
      infos.push(await res.json() as RunInfo);
    }
    const info = infos.find((x) => x.epochs.length >= 2);
    if (!info) throw new Error(`no p=113 run${a.run ? ` ${a.run}` : ''} with two or more analysed checkpoints in ${store}`);
    await page.goto(`${server.url}/run/${encodeURIComponent(info.run_id)}?tab=explorer`);
    await page.waitForSelector('body[data-grid-ready="1"]', { timeout: 120_000 });
    const nMaps = (await page.getAttribute('body', 'data-grid-order'))!.split(',').length;
    // Checkpoints other than the last (already shown), spread over the run, each first uncached then cached.
    const others = info.epochs.slice(0, -1).map((e, i) => ({ e, i }));
    const n = Math.min(rounds, others.length);
    const pick = Array.from({ length: n }, (_, j) => others[Math.round((j * (others.length - 1)) / Math.max(1, n - 1))]);
    if (a.trace) await browser.startTracing(page, { path: a.trace, screenshots: false });
    const first: { total: number; request: number }[] = [], again: { total: number; request: number }[] = [];
    for (const { e, i } of pick) first.push(await moveSlider(page, i, e));
    // Back over the same checkpoints: the server keeps the last 4 checkpoints' maps.
    for (const { e, i } of pick.slice(-Math.min(4, pick.length)).reverse()) again.push(await moveSlider(page, i, e));
    if (a.trace) await browser.stopTracing();
    const show = (xs: { total: number; request: number }[]): string => xs.map((x) => `${Math.round(x.total)} (request ${Math.round(x.request)})`).join(', ');
    console.log(`neuron grid of ${info.run_id} (${nMaps} maps of ${info.p}×${info.p}), slider moved to epochs ${pick.map((x) => x.e).join(', ')}:`);
    console.log(`  maps not yet computed by the server: ${show(first)} ms; median ${ms(median(first.map((x) => x.total)))}, max ${ms(Math.max(...first.map((x) => x.total)))} — ${verdict(Math.max(...first.map((x) => x.total)), GRID_TARGET_MS)}`);
    console.log(`  maps cached by the server: ${show(again)} ms; median ${ms(median(again.map((x) => x.total)))}, max ${ms(Math.max(...again.map((x) => x.total)))} — ${verdict(Math.max(...again.map((x) => x.total)), GRID_TARGET_MS)}`);
    // One step of the slider, as a user steps (or play plays) from a grid they have looked at:
    // the explorer has fetched the neighbours' maps in the background meanwhile (given 3 s here).
    const steps: { total: number; request: number }[] = [];
    let at = Number(await page.$eval('#epoch-slider', (e) => (e as HTMLInputElement).value));
    for (let k = 0; k < Math.min(rounds, info.epochs.length - 1); k++) {
      await page.waitForTimeout(3000);
      at = at > 0 ? at - 1 : at + 1;
      steps.push(await moveSlider(page, at, info.epochs[at]));
    }
    console.log(`  one slider step to the neighbouring checkpoint, 3 s after the grid was drawn: ${steps.map((x) => Math.round(x.total)).join(', ')} ms; ` +
      `median ${ms(median(steps.map((x) => x.total)))}, max ${ms(Math.max(...steps.map((x) => x.total)))} — ${verdict(Math.max(...steps.map((x) => x.total)), STEP_TARGET_MS)}`);
    if (errors.length) console.log(`page errors: ${errors.join(' | ')}`);
    console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await ctx.close();
  } finally {
    await browser?.close();
    if (server) await stopServe(server.child);
  }
}

main().catch((e: unknown) => { console.error(`bench:serve: ${e instanceof Error ? e.message : String(e)}`); process.exit(1); });
