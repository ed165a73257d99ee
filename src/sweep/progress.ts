/**
 * The sweep's combined progress: per-run state, the overall ETA, and the text of the display.
 * Pure functions over plain objects; the command line decides where and how often to draw.
 */
export type RunState = 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'interrupted';

export interface RunProgress {
  runId: string;
  p: number;
  seed: number;
  state: RunState;
  /** Last epoch reported (or stored, before the run starts). */
  epoch: number;
  epochs: number;
  testAcc: number | null;
  /** Epochs per second of the child since it started training; 0 until measured. */
  rate: number;
}

/** Relative cost of one epoch: full-batch training and evaluation touch all p² pairs. */
export function epochCost(p: number): number {
  return p * p;
}

const isActive = (r: RunProgress): boolean => r.state === 'running';
const isPending = (r: RunProgress): boolean => r.state === 'queued';

/**
 * Seconds until every run is finished: each running run needs its remaining epochs at its own
 * measured rate; a queued run needs its remaining epochs at the mean measured per-job speed
 * (in pair-epochs per second, so a larger p is slower); queued runs go to the job slot that frees
 * first, as the sweep schedules them. NaN until some running run has a measured rate.
 */
export function estimateEtaSeconds(runs: readonly RunProgress[], jobs: number): number {
  const active = runs.filter(isActive);
  const measured = active.filter((r) => r.rate > 0);
  const pending = runs.filter(isPending);
  if (active.length === 0 && pending.length === 0) return 0;
  if (measured.length === 0) return NaN;
  const speed = measured.reduce((s, r) => s + r.rate * epochCost(r.p), 0) / measured.length;
  const slots: number[] = active.map((r) => (r.rate > 0 ? Math.max(0, r.epochs - r.epoch) / r.rate : Math.max(0, r.epochs - r.epoch) * epochCost(r.p) / speed));
  while (slots.length < Math.max(1, jobs)) slots.push(0);
  for (const r of pending) {
    let i = 0;
    for (let j = 1; j < slots.length; j++) if (slots[j] < slots[i]) i = j;
    slots[i] += Math.max(0, r.epochs - r.epoch) * epochCost(r.p) / speed;
  }
  return Math.max(...slots);
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export interface SweepCounts { total: number; finished: number; failed: number; running: number; queued: number; epochsDone: number; epochsTotal: number }

export function counts(runs: readonly RunProgress[]): SweepCounts {
  const c: SweepCounts = { total: runs.length, finished: 0, failed: 0, running: 0, queued: 0, epochsDone: 0, epochsTotal: 0 };
  for (const r of runs) {
    if (r.state === 'done' || r.state === 'skipped') c.finished++;
    else if (r.state === 'failed') c.failed++;
    else if (r.state === 'running') c.running++;
    else if (r.state === 'queued') c.queued++;
    c.epochsDone += Math.min(r.epoch, r.epochs);
    c.epochsTotal += r.epochs;
  }
  return c;
}

/** `runs 3/8 done (1 failed), 2 training, 3 queued · epochs 12345/200000 · ETA 41m20s` */
export function headline(runs: readonly RunProgress[], jobs: number): string {
  const c = counts(runs);
  const parts = [`runs ${c.finished}/${c.total} done${c.failed ? ` (${c.failed} failed)` : ''}`];
  if (c.running) parts.push(`${c.running} training`);
  if (c.queued) parts.push(`${c.queued} queued`);
  const eta = estimateEtaSeconds(runs, jobs);
  return `sweep: ${parts.join(', ')} · epochs ${c.epochsDone}/${c.epochsTotal} · ETA ${duration(eta)}`;
}

/** One active run: `p97-s485  epoch 12000/25000  test acc 45.1%  24 ep/s`. */
export function runLine(r: RunProgress, idWidth = r.runId.length): string {
  const w = String(r.epochs).length;
  const acc = r.testAcc === null ? '     -' : `${(100 * r.testAcc).toFixed(1).padStart(5)}%`;
  const rate = r.rate > 0 ? `${r.rate >= 100 ? r.rate.toFixed(0) : r.rate.toFixed(1)} ep/s` : 'starting';
  return `${r.runId.padEnd(idWidth)}  epoch ${String(r.epoch).padStart(w)}/${r.epochs}  test acc ${acc}  ${rate}`;
}

/** The live block: the headline, then one indented line per running run. */
export function statusBlock(runs: readonly RunProgress[], jobs: number): string[] {
  const active = runs.filter(isActive);
  const w = Math.max(0, ...active.map((r) => r.runId.length));
  return [headline(runs, jobs), ...active.map((r) => `  ${runLine(r, w)}`)];
}

/** The same on one line, for logs (no TTY). */
export function statusLine(runs: readonly RunProgress[], jobs: number): string {
  const active = runs.filter(isActive);
  return [headline(runs, jobs), ...active.map((r) => runLine(r))].join(' | ');
}
