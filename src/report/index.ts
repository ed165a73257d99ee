/**
 * `writeReport`: the report of some runs of a store, written to a directory:
 *   report.html          one self-contained interactive page (opens offline)
 *   figures/NAME.svg|png every figure as an image (Vega rendered in Node, resvg for PNG)
 *   data/NAME.csv        the data behind each figure
 *   data/answers.json, data/answer-<id>.csv   the cross-run answers (several runs)
 * Figures are built from the stored analyses (collect.ts), never by recomputing them, except the
 * galleries' activation maps, which come from the checkpoints through the engine.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StudyRunData } from '../study/study.js';
import { computeStudyFromData } from '../study/sections.js';
import { interventionSections } from '../study/interventions.js';
import { furtherSections } from '../study/further.js';
import { type Kernels, loadKernels } from '../engine/index.js';
import { badInput, failure } from '../core/errors.js';
import { removeStaleTemps, writeFileAtomic } from '../core/atomic.js';
import { describeOsError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { disambiguateLabels, isAnalysed, loadRunModel } from '../views/model.js';
import { toCsv } from '../views/csv.js';
import { VL_CONFIG, VL_SCHEMA } from '../views/figures/common.js';
import { frameEpochs } from '../views/figures/distribution.js';
import { buildViews } from '../views/index.js';
import { buildGallery, galleryFigures, type GalleryRun } from './gallery.js';
import { answerFileId, buildHtml } from './html.js';
import { finishSvg, renderSvg, svgToPng } from './render.js';
import type { Figure, ReportOptions, ReportStudy, RunData } from '../views/types.js';

export type { Figure, ReportOptions, ReportStudy, StudySection } from '../views/types.js';

export interface ReportResult {
  /** Absolute paths of every file written. */
  files: string[];
  seconds: number;
}

/**
 * The figures of the runs (everything but the galleries and the answers), in report order: every
 * named view (those of the analyzers' stored results when a store is given).
 */
export function buildFigures(runs: RunData[], K: number, kernels: Kernels = loadKernels({ quiet: true }), store: Store | null = null): Figure[] {
  return buildViews(runs, K, () => kernels, undefined, store);
}

/** A study section's own Vega-Lite spec as a figure (upgraded to the bundled Vega-Lite major version). */
export function answerFigures(answers: ReportStudy, taken: Set<string>): { figures: Figure[]; byId: Map<string, string> } {
  const figures: Figure[] = [];
  const byId = new Map<string, string>();
  for (const s of answers.sections) {
    if (!s.vegaLite) continue;
    let name = s.figure && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.figure) && !taken.has(s.figure) ? s.figure : `answer-${s.id}`;
    while (taken.has(name)) name += '-x';
    taken.add(name);
    const v = s.vegaLite as Record<string, unknown>;
    const spec = { ...v, $schema: VL_SCHEMA, config: { ...VL_CONFIG, ...(v.config as object | undefined) } };
    figures.push({
      name, section: 'answers', title: s.question, caption: s.answer, spec,
      table: s.table ? { columns: s.table.columns, rows: s.table.rows } : { columns: ['note'], rows: [['the figure carries its own data']] },
    });
    byId.set(s.id, name);
  }
  return { figures, byId };
}

/**
 * Write the report of `runIds` (all runs of the store when empty) to `outDir`. Runs without any
 * analysed checkpoint are an error when named, and skipped when taken from the store.
 */
export async function writeReport(store: Store, runIds: string[], outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const t0 = performance.now();
  const K = opts.lowFreqs ?? 3;
  if (!Number.isInteger(K) || K < 1) throw badInput(`--low-freqs must be an integer ≥ 1, got ${K}`);
  const named = runIds.length > 0;
  const ids = named ? [...new Set(runIds.map((id) => store.resolveRun(id).run_id))] : store.listRuns().map((r) => r.run_id);
  if (ids.length === 0) throw badInput(`no runs in store ${store.dir}`);
  const runs: RunData[] = [];
  const studyRuns: StudyRunData[] = [];
  for (const id of ids) {
    if (!isAnalysed(store, id)) {
      if (named) throw badInput(`run ${id} has no analysed checkpoints (run grokbench analyze ${id} first)`);
      continue;
    }
    const run = loadRunModel(store, id, K);
    studyRuns.push(run.study!);
    run.study = null;
    runs.push(run);
  }
  if (runs.length === 0) throw badInput(`no analysed runs in store ${store.dir} (run grokbench analyze first)`);
  disambiguateLabels(runs);

  const kernels = loadKernels({ quiet: true });
  const figures = buildFigures(runs, K, kernels, store);
  const galleries: GalleryRun[] = [];
  for (const r of runs) {
    const g = buildGallery(kernels, r, opts.galleryEpochs);
    galleries.push(g);
    figures.push(...galleryFigures(g));
  }
  const answers = opts.answers !== undefined ? opts.answers
    : studyRuns.filter((r) => !r.unfinished).length > 1 ? computeStudyFromData(studyRuns, { K }) : null;
  studyRuns.length = 0; // the study's per-checkpoint arrays are no longer needed
  if (answers) answers.sections.push(...interventionSections(store, kernels, runs.map((r) => r.runId)));
  if (answers) answers.sections.push(...furtherSections(store, runs.map((r) => r.runId)));
  const ans = answers ? answerFigures(answers, new Set(figures.map((f) => f.name))) : { figures: [], byId: new Map<string, string>() };
  figures.push(...ans.figures);

  const out = resolve(outDir);
  const figDir = join(out, 'figures'), dataDir = join(out, 'data');
  // --out naming a file is bad input; any other failure to create or write is the system's (exit 1).
  if (existsSync(out) && !statSync(out).isDirectory()) throw badInput(`--out ${outDir} is a file, not a directory`);
  try {
    mkdirSync(figDir, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw failure(`cannot create report directory ${outDir}: ${describeOsError(err)}`);
  }
  removeStaleTemps(out); // a report.html temp left by a report that was killed midway
  const files: string[] = [];
  // Report files are not store files: plain writes, except report.html (atomic, the file people open).
  const write = (path: string, data: string | Uint8Array): void => {
    try { writeFileSync(path, data); } catch (err) { throw failure(`cannot write ${path}: ${describeOsError(err)}`); }
    files.push(path);
  };

  // SVGs are rendered one after the other (Vega runs on this thread); PNGs on resvg's thread pool.
  const pending: Promise<void>[] = [];
  for (const f of figures) {
    write(join(dataDir, `${f.name}.csv`), toCsv(f.table));
    const svg = finishSvg(await renderSvg(f.staticSpec ?? f.spec, f.name));
    // Written: drop what report.html does not need (keeps the heap small for the rest).
    f.table = { columns: f.table.columns, rows: [] };
    f.staticSpec = undefined;
    if (f.hideInHtml) f.spec = {};
    write(join(figDir, `${f.name}.svg`), svg);
    const png = svgToPng(svg, f.pngScale ?? 2).then((buf) => write(join(figDir, `${f.name}.png`), buf));
    png.catch(() => { /* handled where it is awaited */ });
    pending.push(png);
    if (pending.length > 3) await pending.shift(); // at most 4 in flight; Vega carries on meanwhile
  }
  await Promise.all(pending);

  if (answers) {
    write(join(dataDir, 'answers.json'), JSON.stringify(answers, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v), 2) + '\n');
    for (const s of answers.sections) if (s.table) write(join(dataDir, `answer-${answerFileId(s.id)}.csv`), toCsv(s.table));
  }
  const html = buildHtml({
    title: opts.title ?? (runs.length === 1 ? `grokbench report: ${runs[0].label}` : `grokbench report: ${runs.length} runs`),
    generated: `generated ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} from store ${store.dir}`,
    K, runs, figures, galleries, answers, answerFigures: ans.byId, frames: frameEpochs(runs).length,
  });
  writeFileAtomic(join(out, 'report.html'), html);
  files.push(join(out, 'report.html'));
  return { files, seconds: (performance.now() - t0) / 1000 };
}
