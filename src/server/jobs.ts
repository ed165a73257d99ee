/**
 * Jobs of the dashboard: `train`, `sweep` and `analyze` started from the browser, each run as a
 * `grokbench` child process on the server's store. A job's form is validated by the CLI's own
 * code (model/config.ts SETTINGS rows through `checkSetting` and `validateConfig`) before anything
 * starts; paths cannot be given from the browser. A train job analyses its new checkpoints as they
 * land (a `grokbench analyze RUN` child at a time) and once more when training ends.
 *
 * Jobs are kept in STORE/serve-jobs.json (atomic writes), so they survive a page reload and a
 * server restart: a job that was running when the server stopped is shown as `interrupted` and can
 * be resumed (the same command again; training resumes from the run's last checkpoint).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { badInput } from '../core/errors.js';
import { selectedAnalyzers } from '../analysis/registry.js';
import {
  DEFAULTS, SETTING_KEYS, checkSetting, configArgs, runId, settingOf, validateConfig, type SettingKey, type TrainConfig,
} from '../config/config.js';
import { packageRoot } from '../engine/native.js';
import { writeFileAtomic } from '../core/atomic.js';
import type { Store } from '../store/store.js';
import { RUN_ID } from './http.js';
import { commaList } from '../core/lists.js';

export type JobKind = 'train' | 'sweep' | 'analyze';
export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface Job {
  id: string;
  kind: JobKind;
  /** The form as submitted (strings), kept for resume. */
  form: Record<string, string>;
  /** The grokbench arguments (after the command). */
  args: string[];
  /** Runs the job trains or analyses (a sweep's are found as they appear). */
  runIds: string[];
  status: JobStatus;
  /** What the job is doing now, or why it ended. */
  message: string;
  started: string;
  ended: string | null;
  pid: number | null;
  /** Each run's progress (a train job's one run; a sweep's every run, from its plan), as the child reports it. */
  runs?: JobRun[];
}

/** One run of a job: its state in the job and its last reported epoch. */
export interface JobRun {
  run_id: string;
  state: 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'interrupted';
  epoch: number;
  epochs: number;
  test_acc: number | null;
}

/** The settings a browser may set: every row of SETTINGS except file paths. */
export function formSettings(): { key: SettingKey; flag: string; kind: string; default: unknown; help: string; choices?: readonly string[]; scope: string; sweepList?: string }[] {
  return SETTING_KEYS.map((k) => ({ key: k, row: settingOf(k) }))
    .filter(({ row }) => row.kind !== 'path')
    .map(({ key, row }) => ({ key, flag: row.flag, kind: row.kind, default: row.default, help: row.help, choices: row.choices, scope: row.scope, sweepList: row.sweepList }));
}

/** One form value parsed by its settings row, then checked by the row (the CLI's checks). */
function parseSetting(key: SettingKey, raw: string): unknown {
  const row = settingOf(key);
  const v = raw.trim();
  let value: unknown;
  switch (row.kind) {
    case 'int': value = /^-?\d+$/.test(v) ? Number(v) : v; break;
    case 'number': value = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v; break;
    case 'flag': value = v === 'true' || v === 'on' || v === '1' ? true : v === 'false' || v === '' || v === '0' ? false : v; break;
    case 'schedule': value = v === '' ? null : v.replace(/\s+/g, ''); break;
    case 'path': throw badInput(`${row.flag}: file paths cannot be given from the browser`);
    default: value = v;
  }
  const problem = checkSetting(row, value);
  if (problem) throw badInput(problem);
  return value;
}

function intList(name: string, v: string | undefined): number[] | null {
  if (v === undefined || v.trim() === '') return null;
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((s) => !/^\d+$/.test(s))) throw badInput(`${name} must be a comma-separated list of integers, got '${v}'`);
  if (parts.length > 64) throw badInput(`${name}: at most 64 values from the browser`);
  return parts.map(Number);
}

/**
 * The grokbench arguments of a job from its form, validated like the command line (throws a
 * one-line badInput). Unknown form fields are refused.
 */
export function jobArgs(kind: string, form: Record<string, string>, store: Store): { kind: JobKind; args: string[]; runIds: string[] } {
  const known = new Set<string>(SETTING_KEYS);
  if (kind === 'analyze') {
    const given = commaList(form.runs);
    for (const k of Object.keys(form)) if (k !== 'runs' && k !== 'analyzers') throw badInput(`analyze: unknown field ${k}`);
    const analyzers = commaList(form.analyzers);
    selectedAnalyzers(analyzers); // an unknown name: the one-line error, with the known ones
    if (given.length === 0) throw badInput('analyze: name at least one run (ids, unique prefixes, or all)');
    // 'all': every run of the store; otherwise ids or unique prefixes, resolved as the command line does.
    const ids = given.length === 1 && given[0] === 'all' ? store.listRuns().map((r) => r.run_id)
      : [...new Set(given.map((g) => {
        if (!RUN_ID.test(g)) throw badInput(`no run ${g} in the store`);
        return store.resolveRun(g).run_id;
      }))];
    if (ids.length === 0) throw badInput('analyze: the store has no runs');
    return { kind, args: ['analyze', ...(analyzers.length ? ['--analyzers', analyzers.join(',')] : []), ...ids], runIds: ids };
  }
  if (kind !== 'train' && kind !== 'sweep') throw badInput(`unknown job kind '${kind}' (train, sweep or analyze)`);
  const lists = kind === 'sweep' ? { primes: 'p', seeds: 'seed', dataSeeds: 'dataSeed' } as const : null;
  const parsed: Partial<Record<SettingKey, unknown>> = {};
  for (const [k, v] of Object.entries(form)) {
    if (lists && k in lists) continue;
    if (!known.has(k)) throw badInput(`${kind}: unknown field ${k}`);
    if (v.trim() === '' && settingOf(k as SettingKey).kind !== 'flag') continue;
    parsed[k as SettingKey] = parseSetting(k as SettingKey, v);
  }
  const base = { ...DEFAULTS, ...parsed } as TrainConfig;
  if (kind === 'train') {
    validateConfig(base);
    return { kind, args: ['train', ...configArgs(base)], runIds: [runId(base)] };
  }
  // sweep: p × seed × data seed from lists; every combination validated as the CLI would.
  const primes = intList('--primes', form.primes) ?? [base.p];
  const seeds = intList('--seeds', form.seeds) ?? [base.seed];
  const dataSeeds = intList('--data-seeds', form.dataSeeds) ?? [base.dataSeed];
  if (primes.length * seeds.length * dataSeeds.length > 64) throw badInput('sweep: at most 64 runs from the browser');
  for (const p of primes) for (const seed of seeds) for (const dataSeed of dataSeeds) validateConfig({ ...base, p, seed, dataSeed });
  const runFlags = configArgs(base).filter((_, i, a) => {
    // keep only the 'run'-scope flags (and their values): the grid comes as lists
    const flag = a[i].startsWith('--') ? a[i] : a[i - 1];
    const key = SETTING_KEYS.find((k) => settingOf(k).flag === flag);
    return key !== undefined && settingOf(key).scope === 'run';
  });
  return {
    kind,
    args: ['sweep', '--primes', primes.join(','), '--seeds', seeds.join(','), '--data-seeds', dataSeeds.join(','), '--jobs', '1', '--no-report', ...runFlags],
    runIds: [],
  };
}

export interface JobsEvents { onChange(job: Job): void }

/** The job table of one store. */
export class Jobs {
  private readonly file: string;
  private readonly jobs = new Map<string, Job>();
  private readonly children = new Map<string, ChildProcess>();
  private readonly analysers = new Map<string, ChildProcess>();
  private readonly analysedCount = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private closed = false;

  constructor(private readonly store: Store, private readonly events: JobsEvents) {
    this.file = join(store.dir, 'serve-jobs.json');
    if (existsSync(this.file)) {
      try {
        const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Job[];
        for (const j of saved) {
          if (j.status === 'running') {
            Object.assign(j, { status: 'interrupted', message: 'the server stopped while this job ran; resume it to continue', pid: null });
            for (const r of j.runs ?? []) if (r.state === 'running' || r.state === 'queued') r.state = 'interrupted';
          }
          this.jobs.set(j.id, j);
        }
      } catch { /* an unreadable job table starts empty; the file is rewritten on the next change */ }
      this.save();
    }
    this.timer = setInterval(() => this.poll(), 1000);
    this.timer.unref();
  }

  /** STORE/serve-logs/JOB.log: what the job's children printed (their stderr and non-progress stdout), with its commands. */
  private logPath(id: string): string {
    return join(this.store.dir, 'serve-logs', `${id}.log`);
  }

  private log(id: string, text: string): void {
    if (this.closed || text === '') return;
    try {
      mkdirSync(join(this.store.dir, 'serve-logs'), { recursive: true });
      appendFileSync(this.logPath(id), text.endsWith('\n') ? text : text + '\n');
    } catch { /* a log that cannot be written does not stop the job */ }
  }

  /** A job and the last `lines` lines of its log (null for an unknown job). */
  detail(id: string, lines = 400): { job: Job; log: string[]; log_lines: number } | null {
    const job = /^[a-z0-9-]{1,40}$/.test(id) ? this.jobs.get(id) : undefined;
    if (!job) return null;
    let all: string[] = [];
    try { all = readFileSync(this.logPath(id), 'utf8').split('\n').filter((l) => l !== ''); } catch { /* no output yet */ }
    return { job, log: all.slice(-lines), log_lines: all.length };
  }

  list(): Job[] {
    return [...this.jobs.values()].sort((a, b) => b.started.localeCompare(a.started));
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Validate and start a job (throws badInput for a bad form). */
  start(kind: string, form: Record<string, string>): Job {
    const { kind: k, args, runIds } = jobArgs(kind, form, this.store);
    const id = `${Date.now().toString(36)}-${(this.seq++).toString(36)}`;
    const job: Job = { id, kind: k, form, args, runIds, status: 'running', message: 'starting', started: new Date().toISOString(), ended: null, pid: null };
    this.jobs.set(id, job);
    this.launch(job);
    return job;
  }

  /** Start an interrupted, failed or cancelled job again with the same form. */
  resume(id: string): Job {
    const old = this.jobs.get(id);
    if (!old) throw badInput(`no job ${id}`);
    if (old.status === 'running') throw badInput(`job ${id} is running`);
    return this.start(old.kind, old.form);
  }

  cancel(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw badInput(`no job ${id}`);
    if (job.status !== 'running') throw badInput(`job ${id} is not running (${job.status})`);
    job.status = 'cancelled';
    job.message = 'cancelled';
    job.ended = new Date().toISOString();
    this.children.get(id)?.kill('SIGTERM');
    this.changed(job);
    return job;
  }

  /**
   * Stop: the jobs still running are interrupted (saved so, with their runs) and their children
   * stopped (SIGTERM; a training run keeps its last checkpoint and resumes from it), so no process
   * trains on behind a server that says it does not.
   */
  close(): void {
    let any = false;
    for (const [id, child] of this.children) {
      const job = this.jobs.get(id);
      if (job && job.status === 'running') {
        Object.assign(job, { status: 'interrupted', message: 'the server stopped while this job ran; resume it to continue', pid: null, ended: new Date().toISOString() });
        for (const r of job.runs ?? []) if (r.state === 'running' || r.state === 'queued') r.state = 'interrupted';
        any = true;
      }
      child.kill('SIGTERM');
    }
    for (const c of this.analysers.values()) c.kill('SIGTERM');
    if (any && !this.closed) this.save();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Kill every child this server started (used by tests and on shutdown signals). */
  killAll(): void {
    for (const c of [...this.children.values(), ...this.analysers.values()]) c.kill('SIGTERM');
  }

  private grokbench(args: string[], progress = false): ChildProcess {
    const bin = join(packageRoot(), 'bin', 'grokbench');
    return spawn(process.execPath, [bin, ...args, '--store', this.store.dir, ...(progress ? ['--progress-jsonl'] : [])], { stdio: ['ignore', progress ? 'pipe' : 'ignore', 'pipe'] });
  }

  /** One line of a child's --progress-jsonl output (train: its epochs; sweep: its plan and each run's changes). */
  private progressLine(job: Job, line: string): void {
    let m: { type?: string; run_id?: string; runs?: JobRun[]; state?: JobRun['state']; epoch?: number; epochs?: number; test_acc?: number | null };
    try { m = JSON.parse(line) as typeof m; } catch { return; } // the sweep's closing table, not progress
    if (m.type === 'plan' && Array.isArray(m.runs)) {
      job.runs = m.runs.map((r) => ({ run_id: r.run_id, state: r.state, epoch: r.epoch, epochs: r.epochs, test_acc: null }));
      job.runIds = job.runs.map((r) => r.run_id);
      this.changed(job);
      return;
    }
    if ((m.type !== 'progress' && m.type !== 'run') || typeof m.run_id !== 'string') return;
    job.runs ??= [];
    let r = job.runs.find((x) => x.run_id === m.run_id);
    if (!r) { r = { run_id: m.run_id, state: 'running', epoch: 0, epochs: 0, test_acc: null }; job.runs.push(r); }
    const stateChanged = m.state !== undefined && m.state !== r.state;
    if (m.state !== undefined) r.state = m.state;
    if (typeof m.epoch === 'number') r.epoch = m.epoch;
    if (typeof m.epochs === 'number') r.epochs = m.epochs;
    if (m.test_acc !== undefined && m.test_acc !== null) r.test_acc = m.test_acc;
    if (job.kind === 'sweep') {
      const done = job.runs.filter((x) => x.state === 'done' || x.state === 'skipped').length;
      job.message = `${done} of ${job.runs.length} run(s) finished`;
    } else job.message = `epoch ${r.epoch} / ${r.epochs}`;
    this.changed(job, stateChanged);
  }

  private launch(job: Job): void {
    const child = this.grokbench(job.args, job.kind !== 'analyze');
    this.log(job.id, `$ grokbench ${job.args.join(' ')}   (${new Date().toISOString()})`);
    job.pid = child.pid ?? null;
    job.message = 'running';
    if (job.kind === 'train') job.runs = [{ run_id: job.runIds[0], state: 'running', epoch: 0, epochs: Number(job.args[job.args.indexOf('--epochs') + 1]) || DEFAULTS.epochs, test_acc: null }];
    this.children.set(job.id, child);
    if (child.stdout) {
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (s: string) => {
        buf += s;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          if (!line.startsWith('{')) this.log(job.id, line); // the sweep's closing table and other words
          this.progressLine(job, line);
          buf = buf.slice(nl + 1);
        }
      });
    }
    let lastLine = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      const lines = s.split(/[\r\n]+/).map((l) => l.trim()).filter((l) => l !== '');
      if (lines.length) lastLine = lines[lines.length - 1];
      this.log(job.id, lines.join('\n'));
    });
    child.on('error', (err) => { lastLine = `grokbench: ${err.message}`; });
    child.on('close', (code) => {
      this.children.delete(job.id);
      this.log(job.id, `(exit ${code ?? 'by signal'})`);
      job.pid = null;
      // Runs still going when the child ended: finished (train, exit 0), else cut short.
      for (const r of job.runs ?? []) {
        if (r.state !== 'running' && r.state !== 'queued') continue;
        if (code === 0 && job.kind === 'train') Object.assign(r, { state: 'done', epoch: r.epochs });
        else r.state = code !== 0 && job.status === 'running' && r.state === 'running' ? 'failed' : 'interrupted';
      }
      if (job.status !== 'running') { this.changed(job); return; }
      if (code !== 0) {
        Object.assign(job, { status: 'failed', message: lastLine || `exit ${code}`, ended: new Date().toISOString() });
        this.changed(job);
        return;
      }
      if (job.kind === 'train') {
        // Analyse what is left, then the job is done.
        job.message = 'analysing';
        this.changed(job);
        this.analyse(job, () => {
          if (job.status === 'running') Object.assign(job, { status: 'done', message: 'done', ended: new Date().toISOString() });
          this.changed(job);
        });
        return;
      }
      Object.assign(job, { status: 'done', message: 'done', ended: new Date().toISOString() });
      this.changed(job);
    });
    this.changed(job);
  }

  /** Analyse a train job's run (one analyze child per run at a time); `then` after it ends. */
  private analyse(job: Job, then?: () => void): void {
    const id = job.runIds[0];
    if (this.analysers.has(id)) {
      if (then) this.analysers.get(id)!.once('close', () => this.analyse(job, then));
      return;
    }
    const n = this.store.listCheckpoints(id).length;
    const child = this.grokbench(['analyze', id]);
    this.analysers.set(id, child);
    child.stderr?.resume();
    child.on('close', () => {
      this.analysers.delete(id);
      this.analysedCount.set(id, n);
      this.events.onChange(job);
      then?.();
    });
  }

  /** Every second: a train job whose run has new checkpoints gets them analysed. */
  private poll(): void {
    for (const job of this.jobs.values()) {
      if (job.status !== 'running' || job.kind !== 'train' || !this.children.has(job.id)) continue;
      const id = job.runIds[0];
      if (!this.store.getRun(id)) continue;
      const n = this.store.listCheckpoints(id).length;
      if (n > (this.analysedCount.get(id) ?? 0) && !this.analysers.has(id)) this.analyse(job);
    }
  }

  /** Tell the browsers; `persist` false for a progress tick (the table is written on every other change). */
  private changed(job: Job, persist = true): void {
    if (this.closed) return;
    if (persist) this.save();
    this.events.onChange(job);
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.list(), null, 1) + '\n');
  }
}
