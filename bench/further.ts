/**
 * Cost of each checkpoint analyzer on one default p=113 checkpoint (one thread, this engine; the
 * curvature analyzer at a flatness-only epoch), the projected time of all of them for a
 * 251-checkpoint run (0, 100, …, 25000) on 2 cores, and the cost of the Hessian (float64 Lanczos,
 * at epoch 0 and every 5000) with the accuracy of its finite-difference Hessian-vector products.
 * The parameter trajectory is cross-epoch (row i of its Gram matrices costs i·P): it is timed for
 * real on 251 synthetic p=113 checkpoints (initial weights plus a drift), one pass in one thread, as
 * the pipeline runs it after the checkpoint analyzers.
 * BENCH_FURTHER_E2E=1 also runs the real pipeline (analyseRuns, 2 workers) on 251 synthetic p=113
 * checkpoints at epochs 50, 150, …, 25050 (none a multiple of 5000, so no Hessian) with flatness at
 * every 1250 epochs (10 checkpoints; the default stride gives 11 on a 0, 100, … run) and reports its
 * wall and CPU time.
 * Run: node dist/bench/further.js  (BENCH_FURTHER_REPS, default 3; BENCH_FURTHER_HESSIAN=0 skips it)
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OPTIONS, type CheckpointContext } from '../src/analysis/protocol/analyzer.js';
import { listAnalyzers } from '../src/analysis/registry.js';
import { activationMaps } from '../src/analysis/library/activations.js';
import { LossOracle, topHessianEigenvalue } from '../src/analysis/library/curvature.js';
import { CURVATURE, CURVATURE_EVERY, HESSIAN_EVERY } from '../src/analysis/analyzers/curvature.js';
import { PARAMETER_TRAJECTORY, parameterTrajectoryAnalyzer } from '../src/analysis/analyzers/parameter-trajectory.js';
import { assembleSymmetric, flattenWeights, trajectoryFromGram, TRAJECTORY_PARTS } from '../src/analysis/library/parameter-trajectory.js';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint.js';
import { Params } from '../src/model/params.js';
import { analyseRuns } from '../src/analysis/pipeline.js';
import { Store } from '../src/store/store.js';
import { ReferenceKernels } from '../src/engine/reference.js';
import { Scratch } from '../src/analysis/library/scratch.js';
import { makeSplit } from '../src/data/dataset.js';
import { loadKernels } from '../src/engine/index.js';
import { DEFAULTS } from '../src/config/config.js';
import { initParams } from '../src/model/init.js';
import { makeBatch } from '../src/model/model.js';
import type { LoadedCheckpoint } from '../src/model/checkpoint.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FurtherBench {
  perAnalyzerMs: Record<string, number>;
  /** Projected seconds for a 251-checkpoint run (epochs 0..25000 step 100) on 2 cores, Hessian aside. */
  run251s: number;
  /** The same in CPU time of this process (less sensitive to other load on a shared machine). */
  perAnalyzerCpuMs: Record<string, number>;
  run251CpuS: number;
  /** Drawing the flatness directions, once per worker (included in run251s). */
  directionsMs: number;
  /** The parameter trajectory over 251 checkpoints: the cross-epoch pass (reading every checkpoint once, all rows) in one thread, reading alone, the run's PCA (included in run251s). */
  trajectory: { rowsMs: number; readMs: number; pcaMs: number; runS: number; rowsCpuMs: number; runCpuS: number };
  hessian: { ms: number; gradients: number; eigenvalue: number; relativeError: number; stepAgreement: number; reluFlips: number; iterations: number; converged: boolean } | null;
}

export function benchFurther(): FurtherBench {
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
  const perAnalyzerMs: Record<string, number> = {}, perAnalyzerCpuMs: Record<string, number> = {};
  try {
    // As in the pipeline, one context per checkpoint shared by every analyzer (in registration order),
    // so the first analyzer that needs the forward pass over all p² pairs pays for it (shared-forward.ts).
    const analyzers = listAnalyzers().filter((a) => a.name !== PARAMETER_TRAJECTORY);
    let curvatureFirstMs = 0, curvatureFirstCpuMs = 0;
    for (const a of analyzers) perAnalyzerMs[a.name] = Infinity;
    for (let r = 0; r < reps; r++) {
      let acts: Float32Array | undefined;
      const ctx: CheckpointContext = {
        kernels: k, scratch, checkpoint, checkpointPath: join(dir, 'checkpoints', 'epoch-002500.safetensors'), epoch: CURVATURE_EVERY, runId: null,
        options: DEFAULT_OPTIONS, activations: () => (acts ??= activationMaps(k, params, scratch)),
      };
      for (const a of analyzers) {
        const t0 = performance.now(), c0 = process.cpuUsage();
        a.analyseCheckpoint(ctx);
        const ms = performance.now() - t0, c = process.cpuUsage(c0), cpu = (c.user + c.system) / 1000;
        if (r === 0 && a.name === CURVATURE) { curvatureFirstMs = ms; curvatureFirstCpuMs = cpu; }
        perAnalyzerMs[a.name] = Math.min(perAnalyzerMs[a.name], ms);
        perAnalyzerCpuMs[a.name] = Math.min(perAnalyzerCpuMs[a.name] ?? Infinity, cpu);
      }
    }
    // 251 checkpoints: every analyzer at each, flatness at 0 and every CURVATURE_EVERY (11 of them).
    const epochs = Array.from({ length: 251 }, (_, i) => i * 100);
    const flatN = epochs.filter((e) => e % CURVATURE_EVERY === 0).length;
    let coreMs = 0;
    for (const [n, ms] of Object.entries(perAnalyzerMs)) coreMs += n === CURVATURE ? ms * flatN : ms * epochs.length;
    // Each of the 2 workers draws the 50 flatness directions once (curvature.ts cachedUnitDirections).
    const directionsMs = Math.max(0, curvatureFirstMs - perAnalyzerMs[CURVATURE]);
    coreMs += 2 * directionsMs;
    let coreCpuMs = 2 * Math.max(0, curvatureFirstCpuMs - perAnalyzerCpuMs[CURVATURE]);
    for (const [n, ms] of Object.entries(perAnalyzerCpuMs)) coreCpuMs += n === CURVATURE ? ms * flatN : ms * epochs.length;
    const trajectory = benchTrajectory(dir, params, epochs);
    const run251s = coreMs / 2 / 1000 + trajectory.runS;
    const run251CpuS = coreCpuMs / 2 / 1000 + trajectory.runCpuS;
    if (process.env.BENCH_FURTHER_HESSIAN === '0') return { perAnalyzerMs, perAnalyzerCpuMs, run251s, run251CpuS, directionsMs, trajectory, hessian: null };
    const oracle = new LossOracle(new ReferenceKernels('f64'), params, makeBatch(DEFAULTS.p, Int32Array.from(split.train).sort()), params.trainedRanges(false));
    const t0 = performance.now();
    const h = topHessianEigenvalue(oracle);
    const ms = performance.now() - t0;
    return {
      perAnalyzerMs, perAnalyzerCpuMs, run251s, run251CpuS, directionsMs, trajectory,
      hessian: { ms, gradients: h.gradients, eigenvalue: h.eigenvalue, relativeError: h.relativeError, stepAgreement: h.stepAgreement, reluFlips: h.reluFlips, iterations: h.iterations, converged: h.converged },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 251 checkpoints θ_i = θ_0 + (i/250)·A + (i/250)²·B (A, B ~ 0.05·N(0, 1)); every trajectory row in order, one thread. */
function benchTrajectory(dir: string, params: Params, epochs: number[]): FurtherBench['trajectory'] {
  const cpDir = join(dir, 'checkpoints');
  let state = 12345;
  const rand = (): number => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 - 0.5; };
  const A = Float32Array.from(params.flat, () => 0.1 * rand()), B = Float32Array.from(params.flat, () => 0.1 * rand());
  const paths = epochs.map((e, i) => {
    const t = i / (epochs.length - 1);
    const th = Params.zeros(params.config, (n) => new Float32Array(n));
    for (let j = 0; j < th.flat.length; j++) th.flat[j] = params.flat[j] + t * A[j] + t * t * B[j];
    const path = join(cpDir, `epoch-${String(e).padStart(6, '0')}.safetensors`);
    saveCheckpoint(path, th, { epoch: String(e) });
    return path;
  });
  let t0 = performance.now();
  for (const path of paths) flattenWeights(loadCheckpoint(path).params);
  const readMs = performance.now() - t0;
  const rows: Record<string, Float64Array>[] = [];
  const steps: Record<string, number[]> = { embedding: [], attention: [], mlp: [] };
  t0 = performance.now();
  const c0 = process.cpuUsage();
  // The cross-epoch analyzer as the pipeline calls it: one pass over the checkpoints, in this thread.
  const store = Store.open(join(dir, 'store'));
  parameterTrajectoryAnalyzer.analyseEpochs({
    runId: 'bench', checkpoints: epochs.map((epoch, i) => ({ epoch, path: paths[i] })), todo: new Set(epochs), options: DEFAULT_OPTIONS, store,
  }, (_epoch, out) => {
    const row: Record<string, Float64Array> = {};
    for (const part of TRAJECTORY_PARTS) row[part] = out.tensors[`gram_${part}`].data as Float64Array;
    rows.push(row);
    const sq = (out.summary as { step_sq: Record<string, number> | null }).step_sq;
    if (sq) for (const part of TRAJECTORY_PARTS) steps[part].push(sq[part]);
  });
  const rowsMs = performance.now() - t0;
  const cu = process.cpuUsage(c0), rowsCpuMs = (cu.user + cu.system) / 1000;
  store.close();
  t0 = performance.now();
  const gram = Object.fromEntries(TRAJECTORY_PARTS.map((part) => [part, assembleSymmetric(rows.map((r) => r[part]))])) as Record<(typeof TRAJECTORY_PARTS)[number], Float64Array>;
  trajectoryFromGram(epochs, gram, steps as Record<(typeof TRAJECTORY_PARTS)[number], number[]>);
  const pcaMs = performance.now() - t0;
  return { rowsMs, readMs, pcaMs, runS: (rowsMs + pcaMs) / 1000, rowsCpuMs, runCpuS: (rowsCpuMs + pcaMs) / 1000 };
}

/** The real pipeline, 2 workers, on 251 synthetic p=113 checkpoints (see the header). */
export async function benchPipeline(): Promise<{ wallS: number; cpuS: number; checkpoints: number; flatness: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-bench-e2e-'));
  const store = Store.open(dir);
  try {
    const params = initParams(DEFAULTS, DEFAULTS.seed);
    const runId = 'bench-e2e';
    store.createRun({ run_id: runId, p: DEFAULTS.p, seed: DEFAULTS.seed, data_seed: DEFAULTS.dataSeed, epochs: 25050, config_json: JSON.stringify(DEFAULTS), engine: 'bench', source: 'bench' });
    mkdirSync(store.checkpointDir(runId), { recursive: true });
    const split = makeSplit(DEFAULTS.p, DEFAULTS.fracTrain, DEFAULTS.dataSeed);
    writeFileSync(join(store.runDir(runId), 'split.json'), JSON.stringify({ train_indices: Array.from(split.train), test_indices: Array.from(split.test) }));
    let state = 777;
    const rand = (): number => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 - 0.5; };
    const A = Float32Array.from(params.flat, () => 0.1 * rand());
    const epochs = Array.from({ length: 251 }, (_, i) => 50 + 100 * i);
    epochs.forEach((e, i) => {
      const th = Params.zeros(params.config, (n) => new Float32Array(n));
      for (let j = 0; j < th.flat.length; j++) th.flat[j] = params.flat[j] * (1 - 0.6 * i / 250) + (i / 250) * A[j];
      const path = store.checkpointPath(runId, e);
      saveCheckpoint(path, th, { epoch: String(e) });
      store.addCheckpoint(runId, { epoch: e, step: e, path });
    });
    const t0 = performance.now(), c0 = process.cpuUsage();
    await analyseRuns(store, [runId], { jobs: Number(process.env.BENCH_FURTHER_E2E_JOBS ?? 2), curvatureEvery: 1250 });
    const c = process.cpuUsage(c0);
    return { wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6, checkpoints: epochs.length, flatness: epochs.filter((e) => e % 1250 === 0).length };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.env.BENCH_FURTHER_E2E === '1') {
    const e = await benchPipeline();
    console.log(`pipeline (analyseRuns, 2 workers), ${e.checkpoints} p=113 checkpoints, flatness at ${e.flatness}, no Hessian: ${e.wallS.toFixed(1)} s wall, ${e.cpuS.toFixed(1)} s CPU`);
  }
  const r = benchFurther();
  for (const [n, ms] of Object.entries(r.perAnalyzerMs)) console.log(`${n.padEnd(26)} ${ms.toFixed(1)} ms/checkpoint, CPU ${r.perAnalyzerCpuMs[n].toFixed(1)} ms (1 thread; curvature: flatness only)`);
  console.log(`curvature: drawing the 50 flatness directions ${(r.directionsMs / 1000).toFixed(1)} s once per worker (then cached)`);
  const tr = r.trajectory;
  console.log(`${PARAMETER_TRAJECTORY.padEnd(26)} 251 rows in one cross-epoch pass ${(tr.rowsMs / 1000).toFixed(1)} s, one thread (of which reading the 251 checkpoints ≈ ${(tr.readMs / 1000).toFixed(1)} s), run PCA ${tr.pcaMs.toFixed(0)} ms`);
  console.log(`all analyzers, 251-checkpoint p=113 run, 2 cores (flatness at 0 and every ${CURVATURE_EVERY}, Hessian aside): ${r.run251s.toFixed(1)} s wall, ${r.run251CpuS.toFixed(1)} s from CPU times (target ≤ 60 s)`);
  const h = r.hessian;
  if (h) console.log(`Hessian (float64, at 0 and every ${HESSIAN_EVERY}): ${(h.ms / 1000).toFixed(0)} s each, ${h.iterations} Lanczos steps (converged ${h.converged}), ${h.gradients} gradients, ` +
    `λ=${h.eigenvalue.toPrecision(6)}, step agreement ${h.stepAgreement.toExponential(1)}, ReLU flips within ±h ${h.reluFlips}, |λ − second difference|/|λ| = ${h.relativeError.toExponential(1)}`);
}
