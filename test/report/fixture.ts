/**
 * A small real store for the report tests: runs whose checkpoints are real parameter files (a
 * seeded initialisation whose embedding drifts towards a few Fourier frequencies over "training",
 * so that neurons become periodic), plausible per-epoch metrics (memorisation, then grokking or
 * not), analysed by the real pipeline.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseRuns } from '../../src/analysis/pipeline.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { DEFAULTS, type TrainConfig } from '../../src/config/config.js';
import { initParams } from '../../src/model/init.js';
import type { MetricRow } from '../../src/store/store.js';
import { Store } from '../../src/store/store.js';

export interface FixtureRun {
  p: number;
  seed: number;
  /** Epoch whose test loss first drops below 0.01, or null: never. */
  grokAt: number | null;
  epochs: number;
  checkpointEvery: number;
  /** The frequencies the embedding drifts towards. */
  keys: number[];
}

export const SMALL = { dModel: 16, nHeads: 2, dHead: 8, dMlp: 32 };

/** Loss/accuracy curves: memorise by epochs/4, grok at grokAt (if any). */
export function fixtureMetrics(r: FixtureRun): MetricRow[] {
  const rows: MetricRow[] = [];
  const mem = Math.round(r.epochs / 4);
  for (let e = 0; e <= r.epochs; e++) {
    const train = Math.max(1e-6, 4.6 * Math.exp(-e / (mem / 6)));
    const trainAcc = Math.min(1, e / mem);
    let test: number, testAcc: number;
    if (r.grokAt !== null && e >= r.grokAt - 20) {
      test = 0.012 * Math.exp(-(e - (r.grokAt - 1)) / 15) + 1e-4;
      testAcc = Math.min(1, 0.6 + (e - r.grokAt + 20) / 30);
    } else {
      test = 4.8 + 0.3 * Math.sin(e / 7);
      testAcc = Math.min(0.1, e / (10 * r.epochs));
    }
    rows.push({ epoch: e, train_loss: train, train_acc: trainAcc, test_loss: test, test_acc: testAcc });
  }
  return rows;
}

/** Create the runs (checkpoints, metrics) in a new store and analyse them with the real pipeline. */
export async function buildFixtureStore(runs: FixtureRun[], dir = mkdtempSync(join(tmpdir(), 'grokbench-report-'))): Promise<{ store: Store; dir: string; runIds: string[] }> {
  const store = Store.open(dir);
  const runIds: string[] = [];
  for (const r of runs) {
    const config: TrainConfig = { ...DEFAULTS, ...SMALL, p: r.p, seed: r.seed, epochs: r.epochs, checkpointEvery: r.checkpointEvery };
    const runId = `p${r.p}-s${r.seed}-fixture`;
    store.createRun({ run_id: runId, p: r.p, seed: r.seed, data_seed: config.dataSeed, epochs: r.epochs, config_json: JSON.stringify(config), engine: 'fixture', source: 'grokbench' });
    mkdirSync(store.checkpointDir(runId), { recursive: true });
    const init = initParams(config, r.seed);
    const WE0 = Float32Array.from(init.t['embed.W_E']);
    const d = config.dModel;
    for (let e = 0; e <= r.epochs; e += r.checkpointEvery) {
      const t = e / r.epochs;
      const WE = init.t['embed.W_E'];
      for (let a = 0; a < r.p; a++) {
        for (let j = 0; j < d; j++) {
          const k = r.keys[j % r.keys.length];
          const phase = (2 * Math.PI * j) / d;
          const target = 0.6 * Math.cos((2 * Math.PI * k * a) / r.p + phase);
          WE[a * d + j] = (1 - t) * WE0[a * d + j] + t * target;
        }
      }
      const path = store.checkpointPath(runId, e);
      saveCheckpoint(path, init, { config: JSON.stringify(config) });
      store.addCheckpoint(runId, { epoch: e, step: e, path });
    }
    const metrics = fixtureMetrics(r);
    store.appendMetrics(runId, metrics);
    const mem = metrics.find((m) => m.train_acc >= 0.99)?.epoch ?? null;
    const grok = metrics.find((m) => m.test_loss !== null && m.test_loss < 0.01)?.epoch ?? null;
    store.updateRun(runId, { epochs_done: r.epochs, status: 'done', memorise_epoch: mem, grok_epoch: grok });
    runIds.push(runId);
  }
  await analyseRuns(store, runIds, { jobs: 1 });
  return { store, dir, runIds };
}
