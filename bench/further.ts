/**
 * Cost of each checkpoint analyzer on one default p=113 checkpoint (one thread, this engine), and
 * of the Hessian's power iteration, with the accuracy of its finite-difference Hessian-vector
 * products (the Rayleigh quotient against the second difference of the loss along the eigenvector).
 * Run: node dist/bench/further.js  (BENCH_FURTHER_REPS, default 3)
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listAnalyzers, DEFAULT_OPTIONS, type CheckpointContext } from '../src/analysis/analyzer.js';
import { activationMaps } from '../src/analysis/activations.js';
import { LossOracle, topHessianEigenvalue } from '../src/analysis/curvature.js';
import { Scratch } from '../src/analysis/scratch.js';
import { makeSplit } from '../src/data/dataset.js';
import { loadKernels } from '../src/engine/index.js';
import { DEFAULTS } from '../src/model/config.js';
import { initParams } from '../src/model/init.js';
import { makeBatch } from '../src/model/model.js';
import type { LoadedCheckpoint } from '../src/model/checkpoint.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function benchFurther(): { perAnalyzerMs: Record<string, number>; hessian: { ms: number; gradients: number; eigenvalue: number; relativeError: number; iterations: number } } {
  const reps = Number(process.env.BENCH_FURTHER_REPS ?? 3);
  const k = loadKernels({ threads: 1, quiet: true });
  const params = initParams(DEFAULTS, DEFAULTS.seed);
  const config = { p: DEFAULTS.p, dModel: DEFAULTS.dModel, nHeads: DEFAULTS.nHeads, dHead: DEFAULTS.dHead, dMlp: DEFAULTS.dMlp, act: 'relu' as const };
  const checkpoint = { config, params, metadata: {} } as unknown as LoadedCheckpoint;
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-bench-further-'));
  const split = makeSplit(DEFAULTS.p, DEFAULTS.fracTrain, DEFAULTS.dataSeed);
  mkdirSync(join(dir, 'checkpoints'));
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ train_indices: Array.from(split.train), test_indices: Array.from(split.test) }));
  const scratch = new Scratch();
  const perAnalyzerMs: Record<string, number> = {};
  try {
    for (const a of listAnalyzers()) {
      let best = Infinity;
      for (let r = 0; r < reps; r++) {
        let acts: Float32Array | undefined;
        const ctx: CheckpointContext = {
          kernels: k, scratch, checkpoint, checkpointPath: join(dir, 'checkpoints', 'epoch-000100.safetensors'), epoch: 100, runId: null,
          options: DEFAULT_OPTIONS, activations: () => (acts ??= activationMaps(k, params, scratch)),
        };
        const t0 = performance.now();
        a.analyseCheckpoint(ctx);
        best = Math.min(best, performance.now() - t0);
      }
      perAnalyzerMs[a.name] = best;
    }
    const oracle = new LossOracle(k, params, makeBatch(DEFAULTS.p, Int32Array.from(split.train).sort()), params.trainedRanges(false));
    const t0 = performance.now();
    const h = topHessianEigenvalue(oracle);
    const ms = performance.now() - t0;
    return { perAnalyzerMs, hessian: { ms, gradients: h.gradients, eigenvalue: h.eigenvalue, relativeError: h.relativeError, iterations: h.iterations } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = benchFurther();
  for (const [n, ms] of Object.entries(r.perAnalyzerMs)) console.log(`${n.padEnd(20)} ${ms.toFixed(1)} ms/checkpoint (1 thread; curvature at a non-Hessian epoch)`);
  console.log(`hessian power iteration: ${r.hessian.ms.toFixed(0)} ms, ${r.hessian.iterations} iterations, ${r.hessian.gradients} gradients, ` +
    `λ=${r.hessian.eigenvalue.toPrecision(5)}, |λ − second difference|/|λ| = ${r.hessian.relativeError.toExponential(2)}`);
}
