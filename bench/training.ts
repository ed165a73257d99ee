/**
 * Training speed for `npm run bench`, per kernel path (GROKBENCH_KERNELS, one child process per
 * path since the path is chosen once at load) and thread count:
 *   - early: ms/epoch of the default p=113 config from its seeded initialisation (epochs 5…);
 *   - late: ms/epoch continuing a run past grokking. The state (weights and AdamW moments) comes
 *     from training the demo preset (p=59, groks at about epoch 450) for BENCH_LATE_EPOCHS
 *     (default 2000) epochs in the parent, on its own path: every path gives the same bits, so it
 *     is the state each path would reach itself. Its early epochs are timed the same way;
 *   - late, p=113 (BENCH_LATE_CHECKPOINTS: comma-separated checkpoint files of a p=113 run at the
 *     default config, e.g. its epoch-9000 and epoch-25000 weights): ms/epoch of the default config
 *     continuing from each checkpoint's weights (AdamW moments fresh: the epoch's work does not
 *     depend on them beyond their subnormals), against the same epochs from initialisation;
 *   - GEMM GFLOP/s of the model's largest products and the machine's peak: core clock measured
 *     with dependent integer adds, one core's FMA throughput measured in registers, and
 *     peak = FMA units × lanes × 2 flops × clock × cores.
 * The worker mode (`node dist/bench/training.js worker STATE_FILE`) prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNative, type NativeKernels } from '../src/engine/native.js';
import type { Kernels, Vec } from '../src/engine/kernels.js';
import { DEFAULTS, type TrainConfig } from '../src/model/config.js';
import { type Tables, GradWorkspace, Workspace, computeTables, evaluate, lossAndGrad, makeBatch } from '../src/model/model.js';
import { Params } from '../src/model/params.js';
import { initParams } from '../src/model/init.js';
import { makeSplit } from '../src/data/dataset.js';
import { AdamW } from '../src/train/adamw.js';
import { loadCheckpoint } from '../src/model/checkpoint.js';

/** The demo preset (src/cli/demo.ts). */
export const LATE_CONFIG: TrainConfig = { ...DEFAULTS, p: 59, fracTrain: 0.5, lr: 3e-3, epochs: 1000, checkpointEvery: 50 };

/** A training loop as the trainer runs it (tables, loss and gradient, test evaluation every epoch, AdamW). */
class Loop {
  readonly params: Params;
  readonly opt: AdamW;
  private readonly grad: Params;
  private readonly ws: Workspace;
  private readonly gw: GradWorkspace;
  private readonly trainB; private readonly testB;
  private tables: Tables | undefined;
  flops = 0;
  lastTestLoss = NaN;
  constructor(readonly k: Kernels, readonly c: TrainConfig) {
    const split = makeSplit(c.p, c.fracTrain, c.dataSeed);
    this.trainB = makeBatch(c.p, Int32Array.from(split.train).sort());
    this.testB = makeBatch(c.p, Int32Array.from(split.test).sort());
    this.params = Params.zeros(c, (n) => k.alloc(n));
    this.params.flat.set(initParams(c, c.seed).flat);
    this.grad = Params.zeros(c, (n) => k.alloc(n));
    this.opt = new AdamW(k, this.params.flat.length, this.params.trainedRanges(false), c);
    this.ws = new Workspace(k, this.params, Math.max(this.trainB.n, this.testB.n));
    this.gw = new GradWorkspace(k, this.params, this.trainB.n);
  }
  epoch(): void {
    const k = this.k;
    this.tables = computeTables(k, this.params, this.tables);
    lossAndGrad(k, this.params, this.tables, this.trainB, this.ws, this.gw, this.grad);
    this.lastTestLoss = evaluate(k, this.params, this.tables, this.testB, this.ws).loss;
    this.opt.update(this.params.flat, this.grad.flat);
  }
  /** ms/epoch (wall) and CPU ms/epoch over `n` epochs. */
  time(n: number): { ms: number; cpuMs: number } {
    const c0 = process.cpuUsage(), t0 = performance.now();
    for (let i = 0; i < n; i++) this.epoch();
    const cu = process.cpuUsage(c0);
    return { ms: (performance.now() - t0) / n, cpuMs: (cu.user + cu.system) / 1000 / n };
  }
  save(file: string): void {
    const f = (v: Vec) => Buffer.from(new Float32Array(v).buffer);
    writeFileSync(file, Buffer.concat([Buffer.from(new Float64Array([this.opt.step]).buffer), f(this.params.flat), f(this.opt.m), f(this.opt.v)]));
  }
  load(file: string): void {
    const b = readFileSync(file);
    const n = this.params.flat.length;
    this.opt.step = new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + 8))[0];
    const all = new Float32Array(b.buffer.slice(b.byteOffset + 8, b.byteOffset + 8 + 12 * n));
    this.params.flat.set(all.subarray(0, n)); this.opt.m.set(all.subarray(n, 2 * n)); this.opt.v.set(all.subarray(2 * n, 3 * n));
  }
}

/** Counts the flops of the engine's GEMMs, including those inside gemmBatch and the fused mlpLoss and mlpBackward. */
function counting(k: Kernels): { k: Kernels; flops: () => number } {
  let flops = 0;
  const wrapped = Object.create(k) as Kernels;
  wrapped.gemm = (ta, tb, M, N, K, alpha, A, B, beta, C) => { flops += 2 * M * N * K; k.gemm(ta, tb, M, N, K, alpha, A, B, beta, C); };
  wrapped.gemmBatch = (calls) => { for (const c of calls) flops += 2 * c[2] * c[3] * c[4]; k.gemmBatch(calls); };
  wrapped.mlpLoss = (...args) => { flops += 2 * args[0] * args[2] * args[3]; return k.mlpLoss(...args); };
  wrapped.mlpBackward = (...args) => { flops += 2 * args[0] * args[2] * args[3]; k.mlpBackward(...args); };
  return { k: wrapped, flops: () => flops };
}

/** Trains the late preset for `epochs` epochs, saves its state, and times its first and last 100 epochs. */
export function makeLateState(k: Kernels, epochs: number, file: string): { earlyMs: number; lateMs: number; testLoss: number } {
  const loop = new Loop(k, LATE_CONFIG);
  const early = loop.time(100);
  for (let i = 100; i < epochs - 100; i++) loop.epoch();
  const late = loop.time(100);
  loop.save(file);
  return { earlyMs: early.ms, lateMs: late.ms, testLoss: loop.lastTestLoss };
}

export interface PathResult {
  path: string; reason: string;
  threads: { threads: number; earlyMs: number; earlyCpuMs: number; gflops: number; lateEarlyMs: number; lateMs: number; lateCpuMs: number;
    checkpoints: { file: string; ms: number; testLoss: number }[] }[];
  gemm: { shape: string; threads: number; gflops: number }[];
  clockGHz: number; fmaPeak1: number; lanes: number;
}

function worker(stateFile: string, epochs: number): PathResult {
  const { kernels, reason } = loadNative();
  if (!kernels) throw new Error(reason);
  const nk = kernels as NativeKernels;
  const info = nk.kernelsInfo();
  const res: PathResult = { path: info.path, reason: info.reason, threads: [], gemm: [], clockGHz: nk.clockGHz(), fmaPeak1: 0, lanes: 0 };
  const peak = nk.fmaPeak(info.path === 'portable' ? 2e6 : 2e7);
  res.fmaPeak1 = peak.gflops; res.lanes = peak.lanes;
  const slow = info.path === 'portable';
  for (const threads of [1, 2]) {
    nk.setThreads(threads);
    const { k, flops } = counting(nk);
    const loop = new Loop(k, DEFAULTS);
    for (let i = 0; i < 5; i++) loop.epoch();
    const f0 = flops();
    const e = loop.time(slow ? 3 : epochs);
    const perEpoch = (flops() - f0) / (slow ? 3 : epochs);
    const late = new Loop(nk, LATE_CONFIG);
    const le = late.time(slow ? 3 : 50);
    late.load(stateFile);
    const ll = late.time(slow ? 3 : 50);
    const checkpoints: { file: string; ms: number; testLoss: number }[] = [];
    for (const file of (process.env.BENCH_LATE_CHECKPOINTS ?? '').split(',').filter(Boolean)) {
      const from = new Loop(nk, DEFAULTS);
      from.params.flat.set(loadCheckpoint(file, from.params.config).params.flat);
      for (let i = 0; i < 3; i++) from.epoch();
      checkpoints.push({ file, ms: from.time(slow ? 3 : epochs).ms, testLoss: from.lastTestLoss });
    }
    res.threads.push({ threads, earlyMs: e.ms, earlyCpuMs: e.cpuMs, gflops: perEpoch / e.ms / 1e6, lateEarlyMs: le.ms, lateMs: ll.ms, lateCpuMs: ll.cpuMs, checkpoints });
    // The model's largest products (train forward/backward, evaluation) one by one.
    for (const [M, N, K, ta, tb] of [[8939, 113, 512, false, false], [512, 113, 3830, true, false], [3830, 512, 113, false, true], [908, 512, 128, false, false]] as const) {
      const A = new Float32Array(M * K).fill(0.5), B = new Float32Array(K * N).fill(0.25), C = new Float32Array(M * N);
      nk.gemm(ta, tb, M, N, K, 1, A, B, 0, C);
      const reps = slow ? 1 : 20;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) nk.gemm(ta, tb, M, N, K, 1, A, B, 0, C);
      res.gemm.push({ shape: `${M}×${K}·${K}×${N}${ta ? ' (Aᵀ)' : ''}${tb ? ' (Bᵀ)' : ''}`, threads, gflops: 2 * M * N * K * reps / (performance.now() - t0) / 1e6 });
    }
  }
  return res;
}

/** Runs the worker for `path` in a child process; null with the reason when the path is not available. */
export function runPath(path: string, stateFile: string, epochs: number): PathResult | { skipped: string } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'worker', stateFile, String(epochs)],
    { encoding: 'utf8', env: { ...process.env, GROKBENCH_KERNELS: path } });
  if (r.status !== 0) return { skipped: (r.stderr.split('\n').find((l) => l.includes('GROKBENCH_KERNELS')) ?? r.stderr.trim().split('\n').pop() ?? 'failed') };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PathResult;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'worker') {
  process.stdout.write(JSON.stringify(worker(process.argv[3], Number(process.argv[4] ?? 100))) + '\n');
}
