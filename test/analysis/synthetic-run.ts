/** A run in a store whose checkpoints are parameters given by a formula (for cross-epoch and run-tier analyzer tests). */
import { mkdirSync } from 'node:fs';
import type { ModelConfig } from '../../src/config/config.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { Params } from '../../src/model/params.js';
import type { Store } from '../../src/store/store.js';

/** Parameters whose i-th value is `value(i)`. */
export function paramsAlong(c: ModelConfig, value: (i: number) => number): Params<Float32Array> {
  const pr = Params.zeros(c, (k) => new Float32Array(k));
  for (let i = 0; i < pr.flat.length; i++) pr.flat[i] = value(i);
  return pr;
}

/**
 * Creates run `runId` (seed 1, data seed 598, `epochs` planned) and returns `add(list)`, which writes
 * a checkpoint of `at(epoch)` for each epoch of the list and records it in the store.
 */
export function syntheticRun(store: Store, runId: string, c: ModelConfig, epochs: number, at: (epoch: number) => Params<Float32Array>): (list: number[]) => void {
  store.createRun({ run_id: runId, p: c.p, seed: 1, data_seed: 598, epochs, config_json: JSON.stringify(c), engine: 'test', source: 'test' });
  mkdirSync(store.checkpointDir(runId), { recursive: true });
  return (list) => {
    for (const epoch of list) {
      const path = store.checkpointPath(runId, epoch);
      saveCheckpoint(path, at(epoch), { epoch: String(epoch) });
      store.addCheckpoint(runId, { epoch, step: epoch, path });
    }
  };
}
