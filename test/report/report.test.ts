/**
 * The report, end to end on a small real store (real checkpoint files, real metrics rows, analysed
 * by the real pipeline): every figure file and CSV, the CSVs against the stored analysis, the
 * pixels of a heatmap against the values, and report.html in headless Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { scheme } from 'vega';
import { NEURON_FOURIER, type NeuronFourierSummary } from '../../src/analysis/analyzers/neuron-fourier.js';
import {
  coarsenessValues, concentrationValues, grokkingTimes, readEmbeddingFourier, readNeuronFourier, summaryStats,
} from '../../src/analysis/results.js';
import { packageRoot } from '../../src/engine/native.js';
import { parseCsv } from '../../src/views/csv.js';
import { furtherFigures } from '../../src/views/figures/further.js';
import { moreFurtherFigures } from '../../src/views/figures/further-more.js';
import { activationDmdFigures, globalCentroidPcaFigures } from '../../src/views/figures/centroid-dmd.js';
import { progressFigures } from '../../src/views/figures/further-progress.js';
import { neuronGroupFigures, parameterDmdFigures } from '../../src/views/figures/neuron-groups.js';
import { fourierNucleationFigures, fourierQualityFigures } from '../../src/views/figures/fourier-quality.js';
import { freqGroupWeightGeometryFigures, intragroupManifoldFigures, neuronGroupPcaFigures } from '../../src/views/figures/neuron-group-pca.js';
import { reprGeometryFigures } from '../../src/views/figures/repr-geometry.js';
import { neuronWeightFourierFigures } from '../../src/views/figures/neuron-weight-fourier.js';
import { variantSummaryFigures } from '../../src/views/figures/variant-summary.js';
import { loadRunModel } from '../../src/views/model.js';
import { galleryEpochs } from '../../src/report/gallery.js';
import { writeReport, type ReportResult } from '../../src/report/index.js';
import type { ReportStudy } from '../../src/views/types.js';
import type { Store } from '../../src/store/store.js';
import { buildFixtureStore, type FixtureRun } from './fixture.js';

const RUNS: FixtureRun[] = [
  { p: 11, seed: 1, grokAt: 200, epochs: 300, checkpointEvery: 20, keys: [2, 4] },
  { p: 11, seed: 2, grokAt: null, epochs: 300, checkpointEvery: 20, keys: [5] },
  { p: 13, seed: 1, grokAt: 150, epochs: 300, checkpointEvery: 20, keys: [1, 3] },
  { p: 13, seed: 2, grokAt: 250, epochs: 300, checkpointEvery: 20, keys: [6, 2] },
];

/** The figures every multi-run report has (galleries and answers come on top). */
const BASE_FIGURES = [
  'training-curves', 'coarseness-histogram-animated', 'coarseness-histogram-grid', 'specialization-histogram-grid',
  'mean-coarseness', 'mean-coarseness-overlay', 'mean-specialization', 'mean-specialization-overlay',
  'coarseness-neuron-heatmap', 'coarseness-neuron-heatmap-sorted', 'specialization-neuron-heatmap', 'specialization-neuron-heatmap-sorted',
  'early-coarseness-vs-grok', 'early-specialization-vs-grok', 'coarseness-count-over-time', 'specialization-count-over-time',
  'embedding-spectrum', 'embedding-spectrum-first-last', 'reference-coarseness-p11', 'reference-coarseness-p13',
  'specialised-per-frequency', 'commitment-timeline', 'transient-frequencies',
];

const CHROMIUM = '/usr/bin/chromium';

let store: Store;
let storeDir: string;
let runIds: string[];
let out: string;
let result: ReportResult;

function csv(name: string): { head: string[]; rows: string[][] } {
  const all = parseCsv(readFileSync(join(out, 'data', `${name}.csv`), 'utf8'));
  return { head: all[0], rows: all.slice(1) };
}

function col(t: { head: string[] }, name: string): number {
  const i = t.head.indexOf(name);
  assert.ok(i >= 0, `column ${name} in ${t.head.join(',')}`);
  return i;
}

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

function storedSummaries(runId: string): Map<number, NeuronFourierSummary> {
  return new Map(store.getAnalyses<NeuronFourierSummary>(runId, NEURON_FOURIER).map((r) => [r.epoch, r.summary]));
}

function labelOf(runId: string): string {
  const r = store.getRun(runId)!;
  return `p=${r.p}, seed=${r.seed}, data seed ${r.data_seed}`;
}

describe('the report of a small real store', () => {
  before(async () => {
    ({ store, dir: storeDir, runIds } = await buildFixtureStore(RUNS));
    out = mkdtempSync(join(tmpdir(), 'grokbench-report-out-'));
    result = await writeReport(store, runIds, out);
  });

  after(() => {
    store?.close();
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
    if (out) rmSync(out, { recursive: true, force: true });
  });

  describe('report files', () => {
    test('every figure is written as SVG and PNG with its data as CSV, none of them trivial', () => {
      const names = new Set<string>(BASE_FIGURES);
      for (const id of runIds) {
        const r = store.getRun(id)!;
        const run = {
          epochs: store.listCheckpoints(id).map((c) => c.epoch), checkpoints: new Map(store.listCheckpoints(id).map((c) => [c.epoch, c.path])),
          grok: grokkingTimes(store.getMetrics(id)),
        };
        assert.equal(r.status, 'done');
        for (const g of galleryEpochs(run as never)) for (const m of ['coarseness', 'specialization']) names.add(`gallery-${id}-e${g.epoch}-${m}`);
      }
      const answers = JSON.parse(readFileSync(join(out, 'data', 'answers.json'), 'utf8')) as ReportStudy;
      assert.ok(answers.sections.length >= 5, 'the cross-run answers are there');
      const figFiles = readdirSync(join(out, 'figures'));
      for (const n of names) {
        const svg = readFileSync(join(out, 'figures', `${n}.svg`), 'utf8');
        assert.match(svg, /^<svg[^>]+width="\d+"[^>]+height="\d+"/, `${n}.svg is an SVG with a size`);
        assert.ok(svg.length > 5000 && /<text|<image/.test(svg), `${n}.svg has content`);
        const png = PNG.sync.read(readFileSync(join(out, 'figures', `${n}.png`)));
        assert.ok(png.width > 200 && png.height > 150, `${n}.png is ${png.width}×${png.height}`);
        const colours = new Set<number>();
        for (let i = 0; i < png.data.length; i += 4 * 7) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
        assert.ok(colours.size > 20, `${n}.png shows something (${colours.size} colours)`);
        const t = csv(n);
        assert.ok(t.head.length >= 2 && t.rows.length >= 1, `${n}.csv has data`);
      }
      // Every figure in the directory is accounted for: the base ones, the galleries, the answers' own,
      // and the further analyzers' (views/figures/further*.ts, centroid-dmd.ts, neuron-groups.ts, fourier-quality.ts) for those whose results the fixture has.
      const models = runIds.map((id) => loadRunModel(store, id, 3));
      const further = new Set([...furtherFigures(store, models), ...moreFurtherFigures(store, models), ...progressFigures(store, models),
        ...globalCentroidPcaFigures(store, models), ...activationDmdFigures(store, models), ...neuronGroupFigures(store, models), ...parameterDmdFigures(store, models),
        ...fourierQualityFigures(store, models), ...fourierNucleationFigures(store, models)].map((f) => f.name));
      for (const n of further) names.add(n);
      // …and the frequency-group geometry analyzers' (views/figures/neuron-group-pca.ts).
      for (const f of [...neuronGroupPcaFigures(store, models), ...freqGroupWeightGeometryFigures(store, models), ...intragroupManifoldFigures(store, models)]) names.add(f.name);
      for (const f of reprGeometryFigures(store, models)) names.add(f.name);
      for (const f of neuronWeightFourierFigures(store, models)) names.add(f.name);
      for (const f of variantSummaryFigures(store, models)) names.add(f.name);
      const answerFigs = figFiles.filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4)).filter((n) => !names.has(n));
      const named = new Set(answers.sections.filter((s) => s.vegaLite).map((s) => s.figure ?? `answer-${s.id}`));
      for (const n of answerFigs) assert.ok(named.has(n) || n.startsWith('answer-'), `unexpected figure ${n}`);
      for (const s of answers.sections) if (s.table) assert.ok(existsSync(join(out, 'data', `answer-${s.id}.csv`)), `answer-${s.id}.csv`);
      assert.ok(result.files.includes(join(out, 'report.html')));
      assert.ok(result.seconds > 0);
    });

    test('mean, percentiles, counts and histograms in the CSVs equal the stored analysis summaries', () => {
      const mean = csv('mean-coarseness'), counts = csv('coarseness-count-over-time'), grid = csv('coarseness-histogram-grid');
      const conc = csv('mean-specialization'), concCounts = csv('specialization-count-over-time');
      for (const id of runIds) {
        const sums = storedSummaries(id);
        assert.ok(sums.size >= 16);
        const rows = mean.rows.filter((r) => r[col(mean, 'run_id')] === id);
        assert.equal(rows.length, sums.size, 'one row per analysed checkpoint');
        for (const r of rows) {
          const s = sums.get(Number(r[col(mean, 'epoch')]))!;
          for (const [c, k] of [['mean', 'mean_coarseness'], ['std', 'std_coarseness'], ['median', 'median_coarseness'], ['p25', 'p25_coarseness'], ['p75', 'p75_coarseness']] as const) {
            if (s[k] === null) assert.equal(r[col(mean, c)], '');
            else close(Number(r[col(mean, c)]), s[k]!, 1e-12, `${id} ${c}`);
          }
          assert.equal(Number(r[col(mean, 'flat_neurons')]), s.num_flat_neurons);
        }
        for (const r of counts.rows.filter((x) => x[col(counts, 'run_id')] === id)) {
          const s = sums.get(Number(r[col(counts, 'epoch')]))!;
          for (const t of ['0.6', '0.7', '0.8'] as const) assert.equal(Number(r[col(counts, `count_gt_${t}`)]), s[`num_blob_neurons_${t}`]);
        }
        for (const r of conc.rows.filter((x) => x[col(conc, 'run_id')] === id)) {
          const s = sums.get(Number(r[col(conc, 'epoch')]))!;
          close(Number(r[col(conc, 'mean')]), s.concentration.mean!, 1e-12, `${id} concentration mean`);
        }
        for (const r of concCounts.rows.filter((x) => x[col(concCounts, 'run_id')] === id)) {
          const s = sums.get(Number(r[col(concCounts, 'epoch')]))!;
          assert.equal(Number(r[col(concCounts, 'count_gt_0.7')]), s.concentration.above['0.7']);
        }
        const gridRows = grid.rows.filter((x) => x[col(grid, 'run_id')] === id);
        assert.ok(gridRows.length >= 40, 'two columns of 20 bins at least');
        for (const r of gridRows) {
          const s = sums.get(Number(r[col(grid, 'epoch')]))!;
          const bin = Math.round(Number(r[col(grid, 'bin_lo')]) * 20);
          assert.equal(Number(r[col(grid, 'count')]), s.coarseness_histogram[bin], `${id} bin ${bin}`);
        }
      }
    });

    test('the neuron heatmap CSV holds every neuron\'s coarseness at every checkpoint', () => {
      const t = csv('coarseness-neuron-heatmap');
      for (const id of runIds) {
        const nf = readNeuronFourier(store, id);
        const rows = t.rows.filter((r) => r[col(t, 'run_id')] === id);
        assert.equal(rows.length, nf.epochs.length);
        nf.epochs.forEach((e, i) => {
          const c = coarsenessValues(e, nf.nFreq, nf.dMlp, 3);
          assert.equal(Number(rows[i][col(t, 'epoch')]), e.epoch);
          for (let n = 0; n < nf.dMlp; n++) {
            const cell = rows[i][col(t, `n${n}`)];
            if (Number.isNaN(c[n])) assert.equal(cell, '', 'flat neuron: empty cell');
            else close(Number(cell), c[n], 1e-6, `${id} epoch ${e.epoch} neuron ${n}`);
          }
        });
      }
    });

    test('training curves, grokking times and the embedding spectrum CSVs come from the store', () => {
      const tc = csv('training-curves');
      const early = csv('early-coarseness-vs-grok');
      const emb = csv('embedding-spectrum');
      for (const id of runIds) {
        const metrics = store.getMetrics(id);
        const rows = tc.rows.filter((r) => r[col(tc, 'run_id')] === id);
        assert.equal(rows.length, metrics.length, 'short runs are not thinned');
        rows.forEach((r, i) => {
          assert.equal(Number(r[col(tc, 'epoch')]), metrics[i].epoch);
          assert.equal(Number(r[col(tc, 'test_loss')]), metrics[i].test_loss);
          assert.equal(Number(r[col(tc, 'train_acc')]), metrics[i].train_acc);
        });
        const g = grokkingTimes(metrics);
        const sums = storedSummaries(id);
        for (const r of early.rows.filter((x) => x[col(early, 'run_id')] === id)) {
          assert.equal(r[col(early, 'grok_epoch')], g.grok_epoch === null ? '' : String(g.grok_epoch));
          assert.equal(r[col(early, 'grokked')], String(g.grok_epoch !== null));
          assert.equal(Number(r[col(early, 'plotted_y')]), g.grok_epoch ?? store.getRun(id)!.epochs);
          close(Number(r[col(early, 'mean_coarseness')]), sums.get(Number(r[col(early, 'epoch_used')]))!.mean_coarseness!, 1e-12, 'early mean');
        }
        const ef = readEmbeddingFourier(store, id);
        const er = emb.rows.filter((x) => x[col(emb, 'run_id')] === id);
        assert.equal(er.length, ef.length * ef[0].norms.length);
        for (const r of er) {
          const e = ef.find((x) => x.epoch === Number(r[col(emb, 'epoch')]))!;
          const k = Number(r[col(emb, 'k')]);
          close(Number(r[col(emb, 'norm')]), e.norms[k - 1], 1e-8 * Math.abs(e.norms[k - 1]), 'norm');
          assert.equal(r[col(emb, 'is_key')], String(e.keyFrequencies.includes(k)));
        }
      }
    });
  });

  describe('a figure\'s pixels show its data', () => {
    test('each pixel of the coarseness heatmap raster has the colour of that neuron\'s value at that checkpoint', () => {
      const svg = readFileSync(join(out, 'figures', 'coarseness-neuron-heatmap.svg'), 'utf8');
      const images = [...svg.matchAll(/<image[^>]*href="data:image\/png;base64,([^"]+)"[^>]*width="([\d.]+)" height="([\d.]+)"/g)];
      assert.equal(images.length, runIds.length, 'one raster per run');
      const rb = scheme('redblue') as (t: number) => string;
      const rgb = (s: string): number[] => {
        const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(s);
        if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
        const v = parseInt(s.slice(1), 16);
        return [v >> 16, (v >> 8) & 255, v & 255];
      };
      runIds.forEach((id, i) => {
        const png = PNG.sync.read(Buffer.from(images[i][1], 'base64'));
        const nf = readNeuronFourier(store, id);
        assert.equal(png.width, nf.dMlp, 'one column per neuron');
        assert.equal(png.height, nf.epochs.length, 'one row per checkpoint (evenly spaced here)');
        let flat = 0;
        nf.epochs.forEach((e, row) => {
          const c = coarsenessValues(e, nf.nFreq, nf.dMlp, 3);
          for (let n = 0; n < nf.dMlp; n++) {
            const o = 4 * (row * png.width + n);
            const got = [png.data[o], png.data[o + 1], png.data[o + 2]];
            // Blue for 0, red for 1 (reversed RdBu), 255 levels; flat neurons grey.
            const want = Number.isNaN(c[n]) ? [200, 200, 200] : rgb(rb(1 - Math.round(c[n] * 254) / 254));
            if (Number.isNaN(c[n])) flat++;
            assert.deepEqual(got, want, `${id} epoch ${e.epoch} neuron ${n} (coarseness ${c[n]})`);
          }
        });
        const s = summaryStats(coarsenessValues(nf.epochs[0], nf.nFreq, nf.dMlp, 3));
        assert.ok(flat >= s.num_flat_neurons, 'flat neurons are drawn grey');
      });
    });

    test('the animated histogram at its last frame counts every non-flat neuron once per run', () => {
      const t = csv('coarseness-histogram-animated');
      const frames = Math.max(...t.rows.map((r) => Number(r[col(t, 'frame')])));
      for (const id of runIds) {
        const nf = readNeuronFourier(store, id);
        const last = nf.epochs[nf.epochs.length - 1];
        const c = coarsenessValues(last, nf.nFreq, nf.dMlp, 3);
        const live = Array.from(c).filter((v) => !Number.isNaN(v)).length;
        const bins = t.head.map((h, i) => (h.startsWith('bin_') ? i : -1)).filter((i) => i >= 0);
        assert.equal(bins.length, 20);
        const rows = t.rows.filter((r) => r[col(t, 'run_id')] === id && r[col(t, 'metric')] === 'coarseness' && Number(r[col(t, 'frame')]) === frames);
        assert.equal(rows.length, 1);
        const counts = bins.map((i) => Number(rows[0][i]));
        assert.equal(counts.reduce((s, x) => s + x, 0), live);
        assert.deepEqual(counts, summaryStats(c).coarseness_histogram);
        assert.equal(Number(rows[0][col(t, 'flat_neurons')]), nf.dMlp - live);
        const concRows = t.rows.filter((r) => r[col(t, 'run_id')] === id && r[col(t, 'metric')] === 'specialization' && Number(r[col(t, 'frame')]) === frames);
        const f = concentrationValues(last, nf.nFreq, nf.dMlp);
        assert.equal(bins.reduce((s, i) => s + Number(concRows[0][i]), 0), Array.from(f).filter((v) => !Number.isNaN(v)).length);
      }
    });
  });

  describe('report.html in headless Chromium', () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    before(async () => {
      assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is needed (Debian package chromium)`);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.route(/^(?!file:|data:)/, (route) => { problems.push(`network request: ${route.request().url()}`); return route.abort(); });
      await page.goto('file://' + join(out, 'report.html'));
      await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
    });

    after(async () => { await browser?.close(); });

    test('opens offline with no console errors and every figure drawn', async () => {
      const figs = await page.$$eval('figure.fig', (fs) => fs.map((f) => {
        const v = f.querySelector('.vis');
        const svg = v?.querySelector('svg');
        return { name: (f as HTMLElement).dataset.name!, rendered: (v as HTMLElement | null)?.dataset.rendered === '1', marks: svg ? svg.querySelectorAll('path, rect, image, text, line').length : 0 };
      }));
      const names = figs.map((f) => f.name);
      for (const n of BASE_FIGURES.filter((x) => !x.endsWith('-sorted'))) assert.ok(names.includes(n), `${n} is in the page`);
      for (const f of figs) assert.ok(f.rendered && f.marks > 20, `${f.name} rendered (${f.marks} marks)`);
      const drawn = await page.$$eval('#gallery canvas[data-drawn="1"]', (c) => c.length);
      assert.ok(drawn >= 17, `gallery maps and spectrum drawn (${drawn})`);
      assert.deepEqual(problems, []);
    });

    test('moving the epoch slider changes the histogram', async () => {
      const vis = page.locator('#vis-coarseness-histogram-animated');
      const before = await vis.locator('svg').innerHTML();
      const slider = vis.locator('input[type=range]');
      assert.equal(await slider.count(), 1);
      const max = await slider.getAttribute('max');
      await slider.evaluate((el, v) => { (el as HTMLInputElement).value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, max);
      await page.waitForFunction((b) => document.querySelector('#vis-coarseness-histogram-animated svg')!.innerHTML !== b, before, { timeout: 10_000 });
      const texts = await vis.locator('svg text').allTextContents();
      assert.ok(texts.some((t) => t.includes(`checkpoint ${max} of ${max}: epoch 300`)), 'the title names the new frame');
      assert.ok(!texts.some((t) => t.includes(`checkpoint 0 of ${max}`)));
      assert.deepEqual(problems, []);
    });

    test('unticking a run removes its line from the overlay', async () => {
      const count = (): Promise<number> => page.locator('#vis-mean-coarseness-overlay svg .mark-line path').count();
      const n0 = await count();
      assert.equal(n0, runIds.length);
      await page.locator(`#run-toggles input[value="${labelOf(runIds[0])}"]`).uncheck();
      await page.waitForFunction((n) => document.querySelectorAll('#vis-mean-coarseness-overlay svg .mark-line path').length < n, n0, { timeout: 10_000 });
      assert.equal(await count(), n0 - 1);
      await page.locator(`#run-toggles input[value="${labelOf(runIds[0])}"]`).check();
      assert.deepEqual(problems, []);
    });

    test('hovering shows values: the heatmap read-out and chart tooltips', async () => {
      const img = page.locator('#vis-coarseness-neuron-heatmap svg image').first();
      await img.scrollIntoViewIfNeeded();
      const box = (await img.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.99);
      await page.waitForFunction(() => [...document.querySelectorAll('#vis-coarseness-neuron-heatmap svg text')].some((t) => /^epoch 300 · neuron \d+ · coarseness ≈ (\d|no value)/.test(t.textContent ?? '')));
      const point = page.locator('#vis-early-coarseness-vs-grok svg .mark-symbol path').first();
      await point.scrollIntoViewIfNeeded();
      await point.hover({ force: true });
      await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 10_000 });
      assert.match((await page.locator('#vg-tooltip-element').textContent()) ?? '', /grokking epoch/);
      assert.deepEqual(problems, []);
    });

    test('clicking a gallery neuron shows its map and power spectrum', async () => {
      const cells = page.locator('#gallery .g-cell canvas');
      const target = cells.nth(5);
      const n = await target.getAttribute('data-neuron');
      await target.click();
      await page.waitForFunction((id) => document.querySelector('#gallery .g-detail h4')?.textContent?.startsWith(`neuron #${id} `), n);
      await page.waitForSelector('#gallery-spectrum[data-drawn="1"]');
      assert.deepEqual(problems, []);
    });
  });

  describe('answers and the command line', () => {
    test('a StudyAnswers object becomes headings, sentences, tables, CSVs and a figure', async () => {
      const answers: ReportStudy = {
        sections: [
          { id: 'q1', question: 'Does the thing happen?', answer: 'It does in 3 of 4 runs.', table: { columns: ['run', 'value'], rows: [['a', 1], ['b, "quoted"', null]] } },
          {
            id: 'q2', question: 'When?', answer: 'Early.', figure: 'answer-when',
            vegaLite: { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
          },
        ],
      };
      const dir = mkdtempSync(join(tmpdir(), 'grokbench-report-answers-'));
      try {
        await writeReport(store, runIds.slice(0, 2), dir, { answers, galleryEpochs: [0] });
        const html = readFileSync(join(dir, 'report.html'), 'utf8');
        assert.ok(html.includes('Does the thing happen?') && html.includes('It does in 3 of 4 runs.') && html.includes('b, &quot;quoted&quot;'));
        assert.deepEqual(parseCsv(readFileSync(join(dir, 'data', 'answer-q1.csv'), 'utf8')), [['run', 'value'], ['a', '1'], ['b, "quoted"', '']]);
        assert.deepEqual(JSON.parse(readFileSync(join(dir, 'data', 'answers.json'), 'utf8')), answers);
        assert.ok(statSync(join(dir, 'figures', 'answer-when.png')).size > 1000);
        assert.ok(existsSync(join(dir, 'figures', 'answer-when.svg')));
        assert.ok(existsSync(join(dir, 'figures', `gallery-${runIds[0]}-e0-coarseness.png`)), 'gallery at the requested epoch');
        assert.ok(!existsSync(join(dir, 'figures', `gallery-${runIds[0]}-e300-coarseness.png`)), 'and only there');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('grokbench report prints the path of report.html, or {out, files, seconds} with --json', () => {
      const bin = join(packageRoot(), 'bin', 'grokbench');
      const dir = mkdtempSync(join(tmpdir(), 'grokbench-report-cli-'));
      try {
        const plain = spawnSync(bin, ['report', runIds[2], '--store', storeDir, '--out', join(dir, 'a'), '--epochs', '0'], { encoding: 'utf8' });
        assert.equal(plain.status, 0, plain.stderr);
        assert.equal(plain.stdout.trim(), join(dir, 'a', 'report.html'));
        assert.ok(existsSync(join(dir, 'a', 'report.html')));
        const json = spawnSync(bin, ['report', runIds[2], '--store', storeDir, '--out', join(dir, 'b'), '--epochs', '0', '--json'], { encoding: 'utf8' });
        assert.equal(json.status, 0, json.stderr);
        const doc = JSON.parse(json.stdout) as { out: string; files: string[]; seconds: number };
        assert.equal(doc.out, join(dir, 'b'));
        assert.ok(doc.files.includes(join(dir, 'b', 'report.html')) && doc.files.length > 40 && doc.seconds > 0);
        const bad = spawnSync(bin, ['report', 'no-such-run', '--store', storeDir, '--out', join(dir, 'c')], { encoding: 'utf8' });
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /^grokbench: no run no-such-run in store .*\n$/);
        const badK = spawnSync(bin, ['report', '--store', storeDir, '--out', join(dir, 'c'), '--low-freqs', '0'], { encoding: 'utf8' });
        assert.equal(badK.status, 2);
        assert.equal(badK.stderr.split('\n').length, 2, 'one line');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
