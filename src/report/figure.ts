/**
 * One named view of the catalog (views/index.ts) to files: each of its figures as SVG, PNG and/or
 * CSV, for the runs given (every run of the store that has the view's data when none are named).
 * `grokbench figure NAME` is this; the report writes every view the same way.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { badInput, describeOsError, failure } from '../core/errors.js';
import { loadKernels } from '../engine/index.js';
import type { Store } from '../store/store.js';
import { toCsv } from '../views/csv.js';
import { buildViews, storedResults, viewEntry, viewHasData, viewNeeds } from '../views/index.js';
import { disambiguateLabels, loadRunModel } from '../views/model.js';
import type { RunData } from '../views/types.js';
import { finishSvg, renderSvg, svgToPng } from './render.js';

export type FigureFormat = 'svg' | 'png' | 'csv';
export const FIGURE_FORMATS: readonly FigureFormat[] = ['svg', 'png', 'csv'];

export interface FigureFilesOptions { formats?: readonly FigureFormat[]; lowFreqs?: number }

/** Write view `name` of `runIds` to outDir; the files written. */
export async function writeViewFigures(store: Store, name: string, runIds: string[], outDir: string, o: FigureFilesOptions = {}): Promise<string[]> {
  const view = viewEntry(name);
  const K = o.lowFreqs ?? 3;
  const formats = o.formats ?? FIGURE_FORMATS;
  const named = runIds.length > 0;
  const ids = named ? [...new Set(runIds.map((id) => store.resolveRun(id).run_id))] : store.listRuns().map((r) => r.run_id);
  const withData = ids.filter((id) => viewHasData(view, storedResults(store, id), store.hasMetrics(id)));
  const missing = ids.find((id) => !withData.includes(id));
  if (named && missing !== undefined) throw badInput(`view ${name} needs ${viewNeeds(view)}, which run ${missing} does not have (run grokbench analyze ${missing} first)`);
  const runs: RunData[] = withData.map((id) => loadRunModel(store, id, K));
  if (runs.length === 0) throw badInput(`no run in store ${store.dir} has the data of view ${name} (${viewNeeds(view)})`);
  if (view.scope === 'runs' && runs.length < 2) throw badInput(`view ${name} compares runs: name two or more`);
  disambiguateLabels(runs);
  const kernels = loadKernels({ quiet: true });
  const figures = buildViews(runs, K, () => kernels, [name], store);
  if (figures.length === 0) throw badInput(`view ${name} has nothing to draw for these runs`);
  const out = resolve(outDir);
  if (existsSync(out) && !statSync(out).isDirectory()) throw badInput(`--out ${outDir} is a file, not a directory`);
  try { mkdirSync(out, { recursive: true }); } catch (err) { throw failure(`cannot create ${outDir}: ${describeOsError(err)}`); }
  const files: string[] = [];
  const write = (path: string, data: string | Uint8Array): void => {
    try { writeFileAtomic(path, data); } catch (err) { throw failure(`cannot write ${path}: ${describeOsError(err)}`); }
    files.push(path);
  };
  for (const f of figures) {
    if (formats.includes('csv')) write(join(out, `${f.name}.csv`), toCsv(f.table));
    if (!formats.includes('svg') && !formats.includes('png')) continue;
    const svg = finishSvg(await renderSvg(f.staticSpec ?? f.spec, f.name));
    if (formats.includes('svg')) write(join(out, `${f.name}.svg`), svg);
    if (formats.includes('png')) write(join(out, `${f.name}.png`), await svgToPng(svg, f.pngScale ?? 2));
  }
  return files;
}
