/**
 * Analysis by Slurm tasks without SQLite on the nodes (`grokbench analyze --executor slurm`).
 *
 * The submitting process plans each run's analysis from the database (the checkpoints some
 * analyzer has not analysed with these options) and writes the plan to
 * `<store>/slurm/analyze/<run>-<options key>.json`. The run's task (`grokbench analyze
 * --slurm-plan FILE`) reads only that plan and the run's files, and writes only its run folder:
 * the artifacts (`runs/<id>/analysis/<analyzer>/epoch-N.safetensors`, atomic, as a local analysis
 * writes them) and then, per checkpoint, the rows the database is to hold:
 * ```
 * runs/<id>/analysis-results/<options key>/epoch-000100.json   {rows: [{epoch, analyzer, params, summary_json, path}]}
 * ```
 * (atomic; the commit point of that checkpoint). The submitting process, as it follows the tasks,
 * and `grokbench collect` merge these rows into the database, one transaction per run. The rows
 * are the very text a local analysis stores, so the two give the same database.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { type AnalysisOptions } from '../analysis/protocol/analyzer.js';
import { getAnalyzer } from '../analysis/registry.js';
import { type Task, type TaskResult, executeTasks } from '../analysis/pipeline.js';
import { badInput, failure } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { describeOsError } from '../core/errors.js';
import { type RawAnalysisRow, type Store, canonicalJson, checkRunId } from '../store/store.js';

/** The folder of a run's analysis results, beside `analysis/`. */
export const RESULTS_DIR = 'analysis-results';
const RESULT_FILE = /^epoch-(\d{6,})\.json$/;

/** A short key of the analysis options (results and plans of different options never mix). */
export function optionsKey(options: AnalysisOptions): string {
  return createHash('sha256').update(canonicalJson(options)).digest('hex').slice(0, 12);
}

/** What a task is given: its run's checkpoints to analyse (absolute paths). */
export interface AnalysisPlan {
  format: 'grokbench-analysis-plan';
  version: 1;
  store_dir: string;
  run_id: string;
  options_key: string;
  tasks: Task[];
}

export function planPath(storeDir: string, runId: string, key: string): string {
  return join(storeDir, 'slurm', 'analyze', `${runId}-${key}.json`);
}

export function writePlan(storeDir: string, runId: string, options: AnalysisOptions, tasks: readonly Task[]): string {
  const key = optionsKey(options);
  const path = planPath(storeDir, runId, key);
  mkdirSync(join(storeDir, 'slurm', 'analyze'), { recursive: true });
  const plan: AnalysisPlan = { format: 'grokbench-analysis-plan', version: 1, store_dir: resolve(storeDir), run_id: runId, options_key: key, tasks: [...tasks] };
  writeFileAtomic(path, JSON.stringify(plan) + '\n');
  return path;
}

function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? badInput(`no ${what} ${path}`) : failure(`cannot read ${path}: ${describeOsError(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw failure(`${path} is damaged (not valid JSON)`);
  }
}

export function readPlan(path: string): AnalysisPlan {
  const v = readJsonFile(path, 'analysis plan') as AnalysisPlan;
  if (v === null || typeof v !== 'object' || v.format !== 'grokbench-analysis-plan' || typeof v.run_id !== 'string' || !Array.isArray(v.tasks)
    || typeof v.store_dir !== 'string' || typeof v.options_key !== 'string') {
    throw failure(`${path} is not a grokbench analysis plan`);
  }
  checkRunId(v.run_id);
  return v;
}

function resultsDir(storeDir: string, runId: string, key: string): string {
  return join(storeDir, 'runs', runId, RESULTS_DIR, key);
}

function resultPath(storeDir: string, runId: string, key: string, epoch: number): string {
  return join(resultsDir(storeDir, runId, key), `epoch-${String(epoch).padStart(6, '0')}.json`);
}

interface ResultFile { format: 'grokbench-analysis-results'; version: 1; run_id: string; epoch: number; rows: RawAnalysisRow[] }

/** The rows of one results file, checked; a damaged file is a one-line failure naming it. */
function readResultFile(path: string, runId: string, epoch: number): RawAnalysisRow[] {
  const v = readJsonFile(path, 'analysis results') as ResultFile;
  const bad = (why: string) => failure(`${path} is damaged (${why}); remove it and analyse again`);
  if (v === null || typeof v !== 'object' || v.format !== 'grokbench-analysis-results' || !Array.isArray(v.rows)) throw bad('not grokbench analysis results');
  if (v.run_id !== runId || v.epoch !== epoch) throw bad(`it is for ${v.run_id} epoch ${v.epoch}`);
  for (const r of v.rows) {
    if (r === null || typeof r !== 'object' || r.epoch !== epoch || typeof r.analyzer !== 'string' || typeof r.params !== 'string'
      || typeof r.summary_json !== 'string' || !(r.path === null || typeof r.path === 'string')) throw bad('a row is malformed');
    try { JSON.parse(r.params); JSON.parse(r.summary_json); } catch { throw bad('a row holds invalid JSON'); }
    if (r.path !== null && (isAbsolute(r.path) || r.path.split(/[\\/]/).includes('..'))) throw bad('a row has a path outside the store');
  }
  return v.rows;
}

/** The epochs of a run whose results hold a row for every item of their task (options `key`). */
export function completedEpochs(storeDir: string, plan: Pick<AnalysisPlan, 'run_id' | 'options_key' | 'tasks'>, known: Set<number> = new Set()): Set<number> {
  for (const t of plan.tasks) {
    if (known.has(t.epoch)) continue;
    const path = resultPath(storeDir, plan.run_id, plan.options_key, t.epoch);
    if (!existsSync(path)) continue;
    let rows: RawAnalysisRow[];
    try { rows = readResultFile(path, plan.run_id, t.epoch); } catch { continue; }
    const have = new Set(rows.map((r) => `${r.analyzer}\n${r.params}`));
    if (t.items.every((it) => have.has(`${it.analyzer}\n${canonicalJson(getAnalyzer(it.analyzer).params(t.options))}`))) known.add(t.epoch);
  }
  return known;
}

/**
 * A Slurm task's work (`grokbench analyze --slurm-plan FILE`): analyse the plan's checkpoints not
 * yet done (a resubmitted task skips what its predecessor finished) on `jobs` threads, writing
 * the artifacts and each checkpoint's results file; never the database.
 */
export async function runAnalysisPlan(path: string, jobs: number, say: (line: string) => void): Promise<{ analysed: number; skipped: number }> {
  const plan = readPlan(path);
  const storeDir = plan.store_dir;
  const done = completedEpochs(storeDir, plan);
  const todo = plan.tasks.filter((t) => !done.has(t.epoch));
  say(`analysing ${plan.run_id}: ${todo.length} checkpoint(s)${done.size ? ` (${done.size} done before)` : ''}`);
  if (todo.length === 0) return { analysed: 0, skipped: done.size };
  const dir = resultsDir(storeDir, plan.run_id, plan.options_key);
  try { mkdirSync(dir, { recursive: true }); } catch (err) { throw failure(`cannot create ${dir}: ${describeOsError(err)}`); }
  const record = (t: Task, results: TaskResult[]): void => {
    const file = resultPath(storeDir, plan.run_id, plan.options_key, t.epoch);
    // Keep the rows of analyzers an earlier task of these options wrote for this checkpoint.
    let rows: RawAnalysisRow[] = [];
    if (existsSync(file)) { try { rows = readResultFile(file, plan.run_id, t.epoch); } catch { rows = []; } }
    for (const r of results) {
      const a = getAnalyzer(r.analyzer);
      const row: RawAnalysisRow = { epoch: t.epoch, analyzer: a.name, params: canonicalJson(a.params(t.options)), summary_json: JSON.stringify(r.summary) ?? 'null', path: relative(storeDir, r.path) };
      rows = [...rows.filter((x) => !(x.analyzer === row.analyzer && x.params === row.params)), row];
    }
    const out: ResultFile = { format: 'grokbench-analysis-results', version: 1, run_id: plan.run_id, epoch: t.epoch, rows };
    writeFileAtomic(file, JSON.stringify(out) + '\n');
  };
  await executeTasks(todo, Math.max(1, Math.min(jobs, todo.length)), record);
  say(`analysed ${plan.run_id}: ${todo.length} checkpoint(s)`);
  return { analysed: todo.length, skipped: done.size };
}

/** The runs of a store with analysis results in their folders. */
export function runsWithResults(storeDir: string): string[] {
  const runs = join(storeDir, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs).filter((id) => !id.startsWith('.') && existsSync(join(runs, id, RESULTS_DIR))).sort();
}

/** Every results row of a run's folder (all option sets), checked; a damaged file throws. */
export function readRunResults(storeDir: string, runId: string): RawAnalysisRow[] {
  const base = join(storeDir, 'runs', runId, RESULTS_DIR);
  if (!existsSync(base)) return [];
  const rows: RawAnalysisRow[] = [];
  for (const key of readdirSync(base).sort()) {
    if (key.startsWith('.')) continue;
    const dir = join(base, key);
    for (const f of readdirSync(dir).sort()) {
      const m = RESULT_FILE.exec(f);
      if (m) rows.push(...readResultFile(join(dir, f), runId, Number(m[1])));
    }
  }
  return rows;
}

export interface CollectAnalysesResult {
  /** Runs with rows newly written into the database, and how many. */
  merged: { run_id: string; rows: number }[];
  /** Runs whose results the database already held. */
  unchanged: string[];
}

/** The analysis results of `runIds` (default: every run with results), read and checked; a damaged file throws. */
export function readAnalyses(storeDir: string, runIds?: readonly string[]): { id: string; rows: RawAnalysisRow[] }[] {
  return (runIds ?? runsWithResults(storeDir)).map((id) => ({ id, rows: readRunResults(storeDir, id) })).filter((r) => r.rows.length > 0);
}

/** Write results read by readAnalyses, one transaction per run; runs the database does not know (not yet collected) are left for later. */
export function applyAnalyses(store: Store, pending: readonly { id: string; rows: RawAnalysisRow[] }[]): CollectAnalysesResult {
  const res: CollectAnalysesResult = { merged: [], unchanged: [] };
  for (const { id, rows } of pending) {
    if (!store.getRun(id)) continue;
    const n = store.mergeAnalyses(id, rows);
    if (n > 0) res.merged.push({ run_id: id, rows: n }); else res.unchanged.push(id);
  }
  return res;
}

/**
 * Merge the analysis results of `runIds` (default: every run with results) into the database:
 * every folder is read and checked first (a damaged one throws before anything is written), then
 * each run's rows go in as one transaction. Rows already stored identically are not rewritten.
 */
export function collectAnalyses(store: Store, runIds?: readonly string[]): CollectAnalysesResult {
  return applyAnalyses(store, readAnalyses(store.dir, runIds?.filter((id) => store.getRun(id))));
}
