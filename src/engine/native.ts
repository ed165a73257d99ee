/**
 * The native engine: the N-API addon (native/addon.c, the glue, over the pure C kernels declared in
 * native/kernels.h; built by node-gyp at install), float32, with its own GEMM and element-wise
 * kernels in the path chosen from CPUID feature bits (or GROKBENCH_KERNELS). `loadNative()` returns null when the addon is missing or fails to load.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GemmCall, Kernels, Vec } from './kernels.js';

interface Addon {
  gemm(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Vec, B: Vec, beta: number, C: Vec): void;
  gemmBatch(calls: GemmCall[]): void;
  mixTokens(...args: unknown[]): void;
  attnWeights(...args: unknown[]): void;
  mixTokensBackward(...args: unknown[]): void;
  addRow(M: number, N: number, A: Vec, row: Vec): void;
  reluBackward(n: number, pre: Vec, dX: Vec): void;
  crossEntropy(N: number, V: number, logits: Vec, targets: Int32Array, dLogits: Vec | null, scale: number): [number, number];
  colSum(M: number, N: number, A: Vec, out: Vec, accumulate: boolean): void;
  mlpLoss(...args: unknown[]): [number, number];
  mlpBackward(...args: unknown[]): void;
  adamw(...args: unknown[]): void;
  setThreads(n: number): void;
  getThreads(): number;
  kernelsInfo(): [string, string];
  clockGHz(): number;
  fmaPeak(iters: number): [number, number];
}

/** The package root (two levels above dist/src/engine or src/engine). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

export const ADDON_PATH = join(packageRoot(), 'build', 'Release', 'grokbench_native.node');

class NativeKernels implements Kernels {
  readonly name = 'native' as const;
  readonly precision = 'f32' as const;
  constructor(private readonly a: Addon) {}
  /** The kernel path in use (avx512, avx2, portable) and why it was chosen. */
  kernelsInfo(): { path: string; reason: string } {
    const [path, reason] = this.a.kernelsInfo();
    return { path, reason };
  }
  /** For the bench: the core clock in GHz measured with dependent integer adds (best of 5). */
  clockGHz(): number { return this.a.clockGHz(); }
  /** For the bench: one thread's multiply-add throughput in this path's registers (GFLOP/s) and its float32 lanes. */
  fmaPeak(iters: number): { gflops: number; lanes: number } {
    const [gflops, lanes] = this.a.fmaPeak(iters);
    return { gflops, lanes };
  }
  alloc(n: number): Vec { return new Float32Array(n); }
  setThreads(n: number): void { this.a.setThreads(n); }
  getThreads(): number { return this.a.getThreads(); }
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Vec, B: Vec, beta: number, C: Vec): void {
    this.a.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
  }
  gemmBatch(calls: GemmCall[]): void { this.a.gemmBatch(calls); }
  mixTokens(N: number, H: number, p: number, width: number, a: Int32Array, b: Int32Array, w: Vec, tables: Vec, base: Vec, out: Vec, relu: boolean, preOut: Vec | null): void {
    this.a.mixTokens(N, H, p, width, a, b, w, tables, base, out, relu, preOut);
  }
  attnWeights(N: number, H: number, p: number, a: Int32Array, b: Int32Array, S: Vec, w: Vec): void {
    this.a.attnWeights(N, H, p, a, b, S, w);
  }
  mixTokensBackward(N: number, H: number, p: number, width: number, a: Int32Array, b: Int32Array, w: Vec, tables: Vec, dOut: Vec, dTables: Vec, dS: Vec): void {
    this.a.mixTokensBackward(N, H, p, width, a, b, w, tables, dOut, dTables, dS);
  }
  addRow(M: number, N: number, A: Vec, row: Vec): void { this.a.addRow(M, N, A, row); }
  reluBackward(n: number, pre: Vec, dX: Vec): void { this.a.reluBackward(n, pre, dX); }
  crossEntropy(N: number, V: number, logits: Vec, targets: Int32Array, dLogits: Vec | null, scale: number): { lossSum: number; correct: number } {
    const [lossSum, correct] = this.a.crossEntropy(N, V, logits, targets, dLogits, scale);
    return { lossSum, correct };
  }
  colSum(M: number, N: number, A: Vec, out: Vec, accumulate: boolean): void { this.a.colSum(M, N, A, out, accumulate); }
  mlpLoss(N: number, H: number, p: number, m: number, a: Int32Array, b: Int32Array, S: Vec, wOut: Vec | null,
          P: Vec, basePre: Vec, postOut: Vec | null, OU: Vec, baseU: Vec, WoutU: Vec, targets: Int32Array,
          dLogits: Vec | null, scale: number): { lossSum: number; correct: number } {
    const [lossSum, correct] = this.a.mlpLoss(N, H, p, m, a, b, S, wOut, P, basePre, postOut, OU, baseU, WoutU, targets, dLogits, scale);
    return { lossSum, correct };
  }
  mlpBackward(N: number, H: number, p: number, m: number, a: Int32Array, b: Int32Array, w: Vec, P: Vec, post: Vec,
              dLogits: Vec, WoutU: Vec, dpre: Vec | null, dP: Vec, dS: Vec, dBasePre: Vec): void {
    this.a.mlpBackward(N, H, p, m, a, b, w, P, post, dLogits, WoutU, dpre, dP, dS, dBasePre);
  }
  adamw(ranges: Int32Array, param: Vec, grad: Vec, m: Vec, v: Vec, lr: number, beta1: number, beta2: number, eps: number, wd: number, step: number): void {
    this.a.adamw(ranges, param, grad, m, v, lr, beta1, beta2, eps, wd, step);
  }
}

export type { NativeKernels };

/** The native engine, or null (with the reason) when the addon cannot be loaded. */
export function loadNative(): { kernels: NativeKernels | null; reason: string; badKernelsSetting?: boolean } {
  if (!existsSync(ADDON_PATH)) return { kernels: null, reason: `native addon not built (${ADDON_PATH} missing)` };
  // OpenMP's idle threads spin before sleeping; on a 2-core machine shared with other work a long
  // spin takes the core from the thread that has work (measured: 10× slower epochs under load at
  // libgomp's default). A short spin keeps most of the benefit when the machine is idle.
  if (process.env.GOMP_SPINCOUNT === undefined && process.env.OMP_WAIT_POLICY === undefined) process.env.GOMP_SPINCOUNT = '10000';
  try {
    const require = createRequire(import.meta.url);
    return { kernels: new NativeKernels(require(ADDON_PATH) as Addon), reason: '' };
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    // A GROKBENCH_KERNELS value this CPU (or build) cannot honour is the user's setting, not a broken build.
    if (msg.startsWith('GROKBENCH_KERNELS')) return { kernels: null, reason: msg, badKernelsSetting: true };
    return { kernels: null, reason: `native addon failed to load: ${msg}` };
  }
}
