/**
 * `npm run bench`: training speed of the default config (p=113, 3830 training pairs, d_model 128,
 * d_mlp 512, test evaluation every epoch) in ms/epoch and GFLOP/s of its matrix products, on the
 * native engine with 1 and 2 threads; the same config in PyTorch (bench/torch_baseline.py, run
 * with Debian's /usr/bin/python3) when python3-torch is installed, and the ratio; then the time
 * to analyse a full 251-checkpoint run (bench/analysis.ts), and outcome + neuron dynamics of such a
 * run from its stored artifacts (bench/outcome.ts).
 * Environment: BENCH_EPOCHS (default 200), BENCH_TORCH_EPOCHS (default 30), BENCH_SKIP_TORCH=1, BENCH_SKIP_ANALYSIS=1,
 * BENCH_SKIP_OUTCOME=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadKernels, engineDescription } from '../src/engine/index.js';
import type { Kernels, Vec } from '../src/engine/kernels.js';
import { packageRoot } from '../src/engine/native.js';
import { DEFAULTS } from '../src/model/config.js';
import { type Tables, GradWorkspace, Workspace, computeTables, evaluate, lossAndGrad, makeBatch } from '../src/model/model.js';
import { Params } from '../src/model/params.js';
import { initParams } from '../src/model/init.js';
import { makeSplit } from '../src/data/dataset.js';
import { AdamW } from '../src/train/adamw.js';

/** Wraps an engine to count the floating-point operations of its matrix products. */
function counting(k: Kernels): { k: Kernels; flops: () => number } {
  let flops = 0;
  const wrapped = Object.create(k) as Kernels;
  wrapped.gemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Vec, B: Vec, beta: number, C: Vec) => {
    flops += 2 * M * N * K;
    k.gemm(ta, tb, M, N, K, alpha, A, B, beta, C);
  };
  return { k: wrapped, flops: () => flops };
}

function benchTraining(base: Kernels, threads: number, epochs: number): { msPerEpoch: number; gflops: number; gflopPerEpoch: number } {
  base.setThreads(threads);
  const { k, flops } = counting(base);
  const c = DEFAULTS;
  const split = makeSplit(c.p, c.fracTrain, c.dataSeed);
  const trainB = makeBatch(c.p, Int32Array.from(split.train).sort()), testB = makeBatch(c.p, Int32Array.from(split.test).sort());
  const params = Params.zeros(c, (n) => k.alloc(n));
  params.flat.set(initParams(c, c.seed).flat);
  const grad = Params.zeros(c, (n) => k.alloc(n));
  const opt = new AdamW(k, params.flat.length, params.trainedRanges(false), c);
  const ws = new Workspace(k, params, Math.max(trainB.n, testB.n));
  const gw = new GradWorkspace(k, params, trainB.n);
  let tables: Tables | undefined;
  const epoch = () => {
    tables = computeTables(k, params, tables);
    lossAndGrad(k, params, tables, trainB, ws, gw, grad);
    evaluate(k, params, tables, testB, ws);
    opt.update(params.flat, grad.flat);
  };
  for (let i = 0; i < 5; i++) epoch();
  const f0 = flops();
  const t = performance.now();
  for (let i = 0; i < epochs; i++) epoch();
  const ms = (performance.now() - t) / epochs;
  const perEpoch = (flops() - f0) / epochs;
  return { msPerEpoch: ms, gflops: perEpoch / ms / 1e6, gflopPerEpoch: perEpoch / 1e9 };
}

async function main(): Promise<void> {
  const epochs = Number(process.env.BENCH_EPOCHS ?? 200);
  const k = loadKernels();
  console.log(`engine: ${engineDescription(k)}`);
  console.log(`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}`);
  const results: Record<string, number> = {};
  for (const threads of k.name === 'native' ? [1, 2] : [1]) {
    const r = benchTraining(k, threads, k.name === 'native' ? epochs : 3);
    results[`t${threads}`] = r.msPerEpoch;
    console.log(`train p=113 default config, ${threads} thread(s): ${r.msPerEpoch.toFixed(2)} ms/epoch, ` +
      `${r.gflops.toFixed(1)} GFLOP/s in matrix products (${r.gflopPerEpoch.toFixed(2)} GFLOP/epoch)`);
  }
  const best = Math.min(...Object.values(results));
  const py = '/usr/bin/python3';
  if (process.env.BENCH_SKIP_TORCH !== '1' && existsSync(py) && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) {
    const tEpochs = process.env.BENCH_TORCH_EPOCHS ?? '30';
    // glibc: keep freed blocks (up to its 32 MB mmap limit) instead of unmapping them every epoch.
    const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '4294967296' };
    let bestTorch = Infinity;
    for (const threads of ['1', '2']) {
      const r = spawnSync(py, [join(packageRoot(), 'bench', 'torch_baseline.py'), tEpochs, threads], { encoding: 'utf8', env });
      if (r.status !== 0) { console.log(`PyTorch baseline failed: ${r.stderr.split('\n').filter(Boolean).pop()}`); continue; }
      const t = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms_per_epoch: number; torch: string };
      bestTorch = Math.min(bestTorch, t.ms_per_epoch);
      console.log(`PyTorch ${t.torch} CPU, torch threads ${threads} (OpenBLAS its default), same config: ${t.ms_per_epoch.toFixed(1)} ms/epoch`);
    }
    if (Number.isFinite(bestTorch)) {
      console.log(`grokbench is ${(bestTorch / best).toFixed(1)}× faster than PyTorch's best setting here ` +
        `(grokbench ${best.toFixed(2)} ms/epoch on all cores; ${(bestTorch / results.t1).toFixed(1)}× on one thread)`);
    }
  } else console.log('PyTorch baseline skipped (Debian python3-torch not installed)');
  if (process.env.BENCH_SKIP_ANALYSIS !== '1') {
    const path = join(packageRoot(), 'dist', 'bench', 'analysis.js');
    if (existsSync(path)) {
      const { benchAnalysis } = await import(path) as { benchAnalysis: () => Promise<{ seconds: number; checkpoints: number }> };
      const a = await benchAnalysis();
      console.log(`analyse a full p=113 run (${a.checkpoints} checkpoints, 512 neurons): ${a.seconds.toFixed(1)} s`);
    }
  }
  if (process.env.BENCH_SKIP_OUTCOME !== '1') {
    const { benchOutcome } = await import(join(packageRoot(), 'dist', 'bench', 'outcome.js')) as typeof import('./outcome.js');
    const o = benchOutcome();
    console.log(`outcome + neuron dynamics of a p=113 run (${o.checkpoints} checkpoints, ${o.neurons} neurons) from stored artifacts: ${o.seconds.toFixed(2)} s (target ≤ 2 s)`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
