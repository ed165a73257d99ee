/**
 * `grokbench figure`: one view of the catalog to files through the real command line, on a store
 * trained and analysed by the real pipeline: the list is the catalog, a view's CSV is its figure
 * table, SVG and PNG are real images, and bad input is one line with exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runCli as cli } from '../helpers/cli.js';
import { VIEWS, buildViews } from '../../src/views/index.js';
import { Store } from '../../src/store/store.js';
import { loadRunModel } from '../../src/views/model.js';
import { loadKernels } from '../../src/engine/index.js';
import { toCsv } from '../../src/views/csv.js';

const SMALL = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1'];

test('figure --list is the catalog; a view becomes its figures as CSV (the figure tables), SVG and PNG; bad input is one line, exit 2', async () => {
  const list = cli(['figure', '--list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((v) => v.name), VIEWS.map((v) => v.name));

  const store = mkdtempSync(join(tmpdir(), 'grokbench-figure-'));
  const out = mkdtempSync(join(tmpdir(), 'grokbench-figure-out-'));
  try {
    const t = cli(['train', '--store', store, ...SMALL, '--epochs', '60', '--checkpoint-every', '20', '--json']);
    assert.equal(t.status, 0, t.stderr);
    const id = JSON.parse(t.stdout).run_id as string;
    // Before analysis: the training curves (metrics) can be drawn, the neuron views cannot.
    const before = cli(['figure', 'mean', id, '--store', store, '--out', out]);
    assert.equal(before.status, 2);
    assert.equal(before.stderr.trim().split('\n').length, 1);
    assert.match(before.stderr, /needs neuron_fourier.*grokbench analyze/);
    assert.equal(cli(['analyze', '--store', store, '--jobs', '1']).status, 0);

    const r = cli(['figure', 'mean', id, '--store', store, '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const files = (JSON.parse(r.stdout) as { files: string[] }).files;
    const s = Store.open(store, { readonly: true });
    let names: string[];
    try {
      const figs = buildViews([loadRunModel(s, id, 3)], 3, () => loadKernels({ quiet: true }), ['mean'], s);
      names = figs.map((f) => f.name);
      assert.equal(names.length, 2, 'mean coarseness and mean specialization');
      for (const f of figs) assert.equal(readFileSync(join(out, `${f.name}.csv`), 'utf8'), toCsv(f.table), `${f.name}.csv is the figure's table`);
    } finally { s.close(); }
    assert.deepEqual(files.map((f) => f.slice(out.length + 1)).sort(), names.flatMap((n) => [`${n}.csv`, `${n}.png`, `${n}.svg`]).sort());
    for (const n of names) {
      assert.match(readFileSync(join(out, `${n}.svg`), 'utf8'), /^<svg[\s\S]*<path/);
      const png = PNG.sync.read(readFileSync(join(out, `${n}.png`)));
      assert.ok(png.width > 200 && png.height > 100, `${n}.png ${png.width}×${png.height}`);
    }
    const csvOnly = mkdtempSync(join(tmpdir(), 'grokbench-figure-csv-'));
    assert.equal(cli(['figure', 'training-curves', '--store', store, '--out', csvOnly, '--format', 'csv']).status, 0);
    assert.deepEqual(readdirSync(csvOnly), ['training-curves.csv']);
    rmSync(csvOnly, { recursive: true, force: true });

    for (const [args, msg] of [
      [['figure', 'no-such-view', '--store', store], /unknown view no-such-view/],
      [['figure', 'mean', '--store', store, '--format', 'jpg'], /--format must be/],
      [['figure', 'mean-overlay', id, '--store', store], /compares runs/],
      [['figure', '--store', store], /name a view/],
    ] as const) {
      const b = cli([...args, '--out', join(out, 'bad')]);
      assert.equal(b.status, 2, `${args.join(' ')}: ${b.stderr}`);
      assert.equal(b.stderr.trim().split('\n').length, 1);
      assert.match(b.stderr, msg);
    }
    assert.ok(!existsSync(join(out, 'bad')), 'nothing written on bad input');
  } finally {
    rmSync(store, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});
