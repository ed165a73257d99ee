/**
 * Time to analyse a full default run: a temporary store with 251 checkpoints of the default p=113
 * model (d_model 128, d_mlp 512; seeded initial weights, one seed per checkpoint) indexed as one
 * run, then `analyseRuns` over it with the default jobs (every core). Setup is not timed.
 * Environment: BENCH_ANALYSIS_CHECKPOINTS (default 251), BENCH_ANALYSIS_JOBS.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseRuns } from '../src/analysis/pipeline.js';
import { saveCheckpoint } from '../src/model/checkpoint.js';
import { DEFAULTS } from '../src/config/config.js';
import { makeSplit } from '../src/data/dataset.js';
import { initParams } from '../src/model/init.js';
import { Store } from '../src/store/store.js';

export async function benchAnalysis(): Promise<{ seconds: number; checkpoints: number; cpuSeconds: number }> {
  const n = Number(process.env.BENCH_ANALYSIS_CHECKPOINTS ?? 251);
  const jobs = process.env.BENCH_ANALYSIS_JOBS ? Number(process.env.BENCH_ANALYSIS_JOBS) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-bench-analysis-'));
  const store = Store.open(dir);
  try {
    const runId = 'bench-p113';
    store.createRun({ run_id: runId, p: DEFAULTS.p, seed: DEFAULTS.seed, data_seed: DEFAULTS.dataSeed, epochs: (n - 1) * 100,
                      config_json: JSON.stringify(DEFAULTS), engine: 'bench', source: 'bench' });
    mkdirSync(store.checkpointDir(runId), { recursive: true });
    // The run's split, as `train` writes it (gradient flow and curvature evaluate the training loss).
    const split = makeSplit(DEFAULTS.p, DEFAULTS.fracTrain, DEFAULTS.dataSeed);
    writeFileSync(join(store.runDir(runId), 'split.json'), JSON.stringify({ train_indices: Array.from(split.train), test_indices: Array.from(split.test) }));
    for (let i = 0; i < n; i++) {
      const epoch = i * 100;
      const path = store.checkpointPath(runId, epoch);
      saveCheckpoint(path, initParams(DEFAULTS, DEFAULTS.seed + i), { epoch: String(epoch) });
      store.addCheckpoint(runId, { epoch, step: epoch, path });
    }
    const t0 = performance.now(), c0 = process.cpuUsage();
    const res = await analyseRuns(store, [runId], { jobs });
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (res.tasks !== n) throw new Error(`analysed ${res.tasks} checkpoints, expected ${n}`);
    // CPU seconds of every thread of this process (workers included): a load-independent figure.
    return { seconds, checkpoints: n, cpuSeconds: (c.user + c.system) / 1e6 };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly: node dist/bench/analysis.js
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchAnalysis().then((r) => console.log(`analysis: ${r.checkpoints} checkpoints in ${r.seconds.toFixed(1)} s (${r.cpuSeconds.toFixed(1)} CPU s)`));
}
