/**
 * Outcome + neuron dynamics of a full default-sized run from stored artifacts: a synthetic store
 * (test/report/bench-store.ts: 251 neuron_fourier artifacts of p=113 × 512 neurons and 25,001
 * metric rows, in the analyzers' own format) read back and reduced by analysis/outcome.ts and
 * analysis/dynamics.ts, as `grokbench outcome` does. Setup is not timed. Target: ≤ 2 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { neuronDynamics, readDynamicsInput } from '../src/analysis/dynamics.js';
import { outcomeOfRun } from '../src/analysis/outcome.js';
import { Store } from '../src/store/store.js';
import { buildBenchStore } from '../test/report/bench-store.js';

export function benchOutcome(): { seconds: number; checkpoints: number; neurons: number } {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-bench-outcome-'));
  try {
    const [runId] = buildBenchStore(dir, { runs: [{ p: 113, seed: 999, grokAt: 14000 }] });
    const store = Store.open(dir, { readonly: true });
    try {
      const t0 = performance.now();
      const run = store.getRun(runId)!;
      const o = outcomeOfRun(store, run);
      const d = neuronDynamics(readDynamicsInput(store, runId));
      const seconds = (performance.now() - t0) / 1000;
      if (!o || d.epochs.length !== 251 || d.dMlp !== 512) throw new Error(`unexpected bench run: ${d.epochs.length} checkpoints × ${d.dMlp}`);
      return { seconds, checkpoints: d.epochs.length, neurons: d.dMlp };
    } finally { store.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly: node dist/bench/outcome.js
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = benchOutcome();
  console.log(`outcome + neuron dynamics of a p=113 run (${r.checkpoints} checkpoints, ${r.neurons} neurons) from stored artifacts: ${r.seconds.toFixed(2)} s (target ≤ 2 s)`);
}
