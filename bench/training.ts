/**
 * Training speed for `npm run bench`, per kernel path (GROKBENCH_KERNELS, one child process per
 * path since the path is chosen once at load) and thread count:
 *   - early: ms/epoch of the default p=113 config from its seeded initialisation (epochs 5…);
 *   - late: ms/epoch continuing runs past grokking from their real late states (weights and the
 *     AdamW moments the run had, as a resume file): the demo preset (p=59, groks at about epoch
 *     440) after BENCH_LATE_EPOCHS (default 2000) epochs, and the default p=113 config (seed 999,
 *     data seed 598) after BENCH_LATE_P113_EPOCHS (default 12000; 0 skips), or the resume files
 *     given in BENCH_LATE_RESUME (comma-separated `runs/<id>/resume.safetensors` of p=113 runs at
 *     the default config). The states are trained in the parent on its own path (every path gives
 *     the same bits, so it is the state each path would reach itself) and kept in
 *     ~/.cache/grokbench/bench (keyed by the addon's build). Each is timed against the same
 *     config's epochs from initialisation: late/early;
 *   - GEMM GFLOP/s of the model's largest products and the machine's peak: core clock measured
 *     with dependent integer adds, one core's FMA throughput measured in registers, and
 *     peak = FMA units × lanes × 2 flops × clock × cores.
 * The worker mode (`node dist/bench/training.js worker STATE_FILE`) prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative, type NativeKernels } from '../src/engine/native.js';
import type { Kernels } from '../src/engine/kernels.js';
import { DEFAULTS, type TrainConfig } from '../src/config/config.js';
import { EpochLoop } from '../src/train/loop.js';

/** The demo preset (src/cli/demo.ts). */
export const LATE_CONFIG: TrainConfig = { ...DEFAULTS, p: 59, fracTrain: 0.5, lr: 3e-3, epochs: 1000, checkpointEvery: 50 };

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

/** A state past grokking to time late epochs from: a config and a resume file (weights and the AdamW moments the run had). */
export interface LateState { name: string; config: TrainConfig; file: string; epochs: number }

/**
 * Trains `config` for `epochs` epochs on `k` and saves its state (weights, AdamW moments, step) as
 * a resume file; returns the test loss at the end. A state saved before (same file name, which
 * names the config, the epochs and the addon's build) is reused: seeded runs are deterministic.
 */
export function makeLateState(k: Kernels, state: LateState): { testLoss: number; cached: boolean } {
  const loop = new EpochLoop(k, state.config);
  if (existsSync(state.file)) {
    loop.load(state.file);
    if (loop.epochsDone === state.epochs) { loop.epoch(); return { testLoss: loop.lastTest.loss, cached: true }; }
  }
  for (let i = 0; i < state.epochs; i++) loop.epoch();
  mkdirSync(dirname(state.file), { recursive: true });
  loop.save(state.file + '.tmp');
  renameSync(state.file + '.tmp', state.file);
  return { testLoss: loop.lastTest.loss, cached: false };
}

export interface LateTiming { name: string; earlyMs: number; lateMs: number; lateCpuMs: number; testLoss: number }

export interface PathResult {
  path: string; reason: string;
  threads: { threads: number; earlyMs: number; earlyCpuMs: number; gflops: number; flopsPerEpoch: number; late: LateTiming[] }[];
  gemm: { shape: string; threads: number; gflops: number }[];
  clockGHz: number; fmaPeak1: number; lanes: number;
}

function worker(states: LateState[], epochs: number): PathResult {
  const { kernels, reason } = loadNative();
  if (!kernels) throw new Error(reason);
  const nk = kernels as NativeKernels;
  const info = nk.kernelsInfo();
  const res: PathResult = { path: info.path, reason: info.reason, threads: [], gemm: [], clockGHz: nk.clockGHz(), fmaPeak1: 0, lanes: 0 };
  const peak = nk.fmaPeak(info.path === 'portable' ? 2e6 : 2e7);
  res.fmaPeak1 = peak.gflops; res.lanes = peak.lanes;
  const slow = info.path === 'portable';
  const n = slow ? 3 : epochs;
  for (const threads of [1, 2]) {
    nk.setThreads(threads);
    const { k, flops } = counting(nk);
    const loop = new EpochLoop(k, DEFAULTS);
    for (let i = 0; i < 5; i++) loop.epoch();
    const f0 = flops();
    const e = loop.time(n);
    const perEpoch = (flops() - f0) / n;
    // Late epochs: each state's config from its initialisation (epochs 3…) against the same
    // number of epochs continuing the state, with the moments the run had.
    const late: LateTiming[] = [];
    for (const st of states) {
      const early = new EpochLoop(nk, st.config);
      for (let i = 0; i < 3; i++) early.epoch();
      const le = early.time(slow ? 3 : Math.min(n, 50));
      const from = new EpochLoop(nk, st.config);
      from.load(st.file);
      for (let i = 0; i < 3; i++) from.epoch();
      const ll = from.time(slow ? 3 : Math.min(n, 50));
      late.push({ name: st.name, earlyMs: le.ms, lateMs: ll.ms, lateCpuMs: ll.cpuMs, testLoss: from.lastTest.loss });
    }
    res.threads.push({ threads, earlyMs: e.ms, earlyCpuMs: e.cpuMs, gflops: perEpoch / e.ms / 1e6, flopsPerEpoch: perEpoch, late });
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
export function runPath(path: string, states: LateState[], epochs: number): PathResult | { skipped: string } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'worker', JSON.stringify(states), String(epochs)],
    { encoding: 'utf8', env: { ...process.env, GROKBENCH_KERNELS: path } });
  if (r.status !== 0) return { skipped: (r.stderr.split('\n').find((l) => l.includes('GROKBENCH_KERNELS')) ?? r.stderr.trim().split('\n').pop() ?? 'failed') };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PathResult;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'worker') {
  process.stdout.write(JSON.stringify(worker(JSON.parse(process.argv[3]) as LateState[], Number(process.argv[4] ?? 100))) + '\n');
}
