/**
 * Runs a sweep's trainings as child processes (`node BIN train … --progress-jsonl`), `jobs` at a
 * time, and reports their progress and exits through callbacks. It prints nothing.
 *
 * A child is killed safely at any instant: training commits checkpoint, metrics and resume state
 * atomically, so a killed run loses at most the epochs since its last checkpoint and resumes
 * byte-identically. `interrupt` forwards a signal to every child and starts no new one; children
 * also stop by themselves when this process dies, even by SIGKILL (`--exit-with-parent PID`: the
 * child exits at its next epoch once its parent process id is no longer ours). A child ended by
 * SIGINT (Ctrl-C reaches the whole process group) interrupts the sweep the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type SweepRun, trainArgs } from './plan.js';
import type { Progress } from '../train/trainer.js';

/** A training child's progress line: the trainer's Progress without its run id and ETA. */
export type ChildProgress = Omit<Progress, 'runId' | 'etaSeconds'>;

export interface ChildExit {
  /** 'ok': exit status 0; 'failed': another status or a signal; 'interrupted': ended by `interrupt`. */
  outcome: 'ok' | 'failed' | 'interrupted';
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child's last line on stderr (its one-line error), without the `grokbench: ` prefix. */
  message: string | null;
  wallSeconds: number;
}

export interface RunnerOptions {
  /** The `grokbench` launcher script (bin/grokbench). */
  bin: string;
  storeDir: string;
  jobs: number;
  threadsPerJob: number;
  env?: NodeJS.ProcessEnv;
  onStart?: (run: SweepRun, pid: number | undefined) => void;
  onProgress?: (run: SweepRun, p: ChildProgress) => void;
  onExit?: (run: SweepRun, e: ChildExit) => void;
}

/** Parses one line of `train --progress-jsonl` output; null for anything else. */
export function parseProgressLine(line: string): ChildProgress | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let v: Record<string, unknown>;
  try { v = JSON.parse(t) as Record<string, unknown>; } catch { return null; }
  if (v === null || v.type !== 'progress' || typeof v.epoch !== 'number' || typeof v.epochs !== 'number') return null;
  const num = (x: unknown): number | null => (typeof x === 'number' ? x : null);
  return {
    epoch: v.epoch, epochs: v.epochs, trainLoss: num(v.train_loss) ?? NaN, testLoss: num(v.test_loss),
    testAcc: num(v.test_acc), rate: num(v.rate) ?? 0,
  };
}

/** Calls `onLine` for every complete line of a stream. */
function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => { if (buf) onLine(buf); buf = ''; });
}

export class SweepRunner {
  private readonly queue: SweepRun[];
  private readonly live = new Map<ChildProcess, SweepRun>();
  private stopping: NodeJS.Signals | null = null;

  constructor(runs: readonly SweepRun[], private readonly opts: RunnerOptions) {
    if (!Number.isInteger(opts.jobs) || opts.jobs < 1) throw new RangeError(`jobs must be a positive integer, got ${opts.jobs}`);
    this.queue = [...runs];
  }

  /** The signal `interrupt` was first called with, or null. */
  get interrupted(): NodeJS.Signals | null { return this.stopping; }

  /** Train every run; resolves when every started child has exited (with each run's exit). */
  run(): Promise<Map<string, ChildExit>> {
    const results = new Map<string, ChildExit>();
    return new Promise((resolve) => {
      const next = (): void => {
        while (this.stopping === null && this.live.size < this.opts.jobs && this.queue.length > 0) this.launch(this.queue.shift()!, done);
        if (this.live.size === 0) resolve(results);
      };
      const done = (run: SweepRun, e: ChildExit): void => {
        results.set(run.runId, e);
        this.opts.onExit?.(run, e);
        next();
      };
      next();
    });
  }

  /** Start no new run and pass `signal` on to every running child. */
  interrupt(signal: NodeJS.Signals): void {
    this.stopping ??= signal;
    for (const child of this.live.keys()) child.kill(signal);
  }

  private launch(run: SweepRun, done: (run: SweepRun, e: ChildExit) => void): void {
    const t0 = performance.now();
    const args = [this.opts.bin, ...trainArgs(run, this.opts.threadsPerJob, this.opts.storeDir, process.pid)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.opts.env ?? process.env });
    this.live.set(child, run);
    this.opts.onStart?.(run, child.pid);
    let lastErr: string | null = null;
    let finished = false;
    lines(child.stdout, (line) => {
      const p = parseProgressLine(line);
      if (p) this.opts.onProgress?.(run, p);
    });
    lines(child.stderr, (line) => {
      const t = line.trim();
      if (t) lastErr = t.replace(/^grokbench: /, '');
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      if (finished) return;
      finished = true;
      this.live.delete(child);
      // Ctrl-C on a terminal reaches the children too, possibly before our own handler runs: a
      // child ended by SIGINT means the user stops the sweep, not that the run failed.
      if (signal === 'SIGINT') this.interrupt('SIGINT');
      const outcome: ChildExit['outcome'] = code === 0 ? 'ok' : this.stopping !== null ? 'interrupted' : 'failed';
      const message = spawnError ? `cannot start ${process.execPath}: ${spawnError.message}`
        : code === 0 ? null : lastErr ?? (signal ? `killed by ${signal}` : `exit status ${code}`);
      done(run, { outcome, code, signal, message, wallSeconds: (performance.now() - t0) / 1000 });
    };
    child.on('error', (err) => finish(null, null, err));
    // 'close' comes after the output streams ended, so the last stderr line has been read.
    child.on('close', (code, signal) => finish(code, signal));
  }
}
