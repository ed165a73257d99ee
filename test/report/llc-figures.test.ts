/**
 * The local learning coefficient's figures (views/figures/llc.ts) on a small trained store analysed
 * by the real pipeline: the view builds through the catalog, every spec renders, and the tables are
 * the stored summaries and the stored chain traces.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LLC, type LlcSummary } from '../../src/analysis/analyzers/llc.js';
import { readStoredArtifact } from '../../src/analysis/artifact.js';
import { analyseRuns } from '../../src/analysis/pipeline.js';
import { loadKernels } from '../../src/engine/index.js';
import { renderSvg } from '../../src/report/render.js';
import { Store } from '../../src/store/store.js';
import { buildViews, storedResults, viewEntry, viewHasData } from '../../src/views/index.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';

let store: Store, dir: string, runId: string, figures: Figure[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grokbench-llc-fig-'));
  const tr = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'grokbench'), 'train', '--store', dir, '--p', '11', '--d-model', '16', '--d-mlp', '32',
    '--n-heads', '2', '--d-head', '8', '--epochs', '200', '--checkpoint-every', '100', '--frac-train', '0.5', '--lr', '0.01'], { encoding: 'utf8' });
  assert.equal(tr.status, 0, tr.stderr);
  store = Store.open(dir);
  runId = store.listRuns()[0].run_id;
  await analyseRuns(store, [runId], { jobs: 1, llcEvery: 100 });
  figures = buildViews([loadRunModel(store, runId, 3)], 3, () => loadKernels(), ['further-llc'], store);
});
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

test('further-llc has data once analysed, sits in the landscape family, and both of its figures render', async () => {
  assert.ok(viewHasData(viewEntry('further-llc'), storedResults(store, runId), true));
  assert.equal(viewEntry('further-llc').family, 'landscape');
  assert.deepEqual(figures.map((f) => f.name), ['further-llc', 'further-llc-chains']);
  for (const f of figures) {
    assert.match(await renderSvg(f.spec, f.name), /^<svg/, f.name);
    assert.ok(f.table.rows.length > 0, f.name);
  }
});

test('the λ̂ table is every computed checkpoint\'s mean ± std, and the trace table the last checkpoint\'s stored chains', () => {
  const rows = store.getAnalyses<LlcSummary>(runId, LLC).filter((a) => a.summary.computed);
  assert.deepEqual(rows.map((a) => a.epoch), [0, 100, 200]);
  const t = figures[0].table.rows;
  assert.deepEqual(t.map((r) => r[1]), [0, 100, 200]);
  rows.forEach((a, i) => {
    assert.ok(Math.abs((t[i][2] as number) - a.summary.llc_mean!) <= 1e-3 * Math.abs(a.summary.llc_mean!) + 1e-9);
    assert.ok((t[i][3] as number) <= (t[i][2] as number) && (t[i][2] as number) <= (t[i][4] as number));
  });
  const art = readStoredArtifact(store, runId, LLC, 200);
  const tr = figures[1].table.rows;
  assert.equal(tr.length, art.tensors!.traces.data.length);
  assert.ok(tr.every((r) => r[1] === 200));
  assert.equal(tr.filter((r) => r[5] === 'burn-in').length, 2 * rows[2].summary.burnin!);
  assert.match(figures[0].caption, /nβ = n\/ln n/);
});
