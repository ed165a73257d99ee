/** Assertions over whole run stores (sweeps: an interrupted or Slurm sweep against an uninterrupted local one). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';

/** Checkpoint file names per run directory of a store. */
export function checkpointFiles(store: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const runs = join(store, 'runs');
  if (!existsSync(runs)) return out;
  for (const id of readdirSync(runs)) {
    if (id.startsWith('.')) continue;
    const d = join(runs, id, 'checkpoints');
    out.set(id, existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.safetensors')).sort() : []);
  }
  return out;
}

/**
 * Store `actual` holds the same `runs` runs as `expected`, each with the same row, metrics and
 * `checkpointsPerRun` checkpoints, byte for byte, and no stray checkpoint file.
 */
export function assertSameStore(actual: string, expected: string, runs: number, checkpointsPerRun: number): void {
  const a = Store.open(expected, { readonly: true }), b = Store.open(actual, { readonly: true });
  try {
    const ids = a.listRuns().map((r) => r.run_id).sort();
    assert.equal(ids.length, runs);
    assert.deepEqual(b.listRuns().map((r) => r.run_id).sort(), ids);
    for (const id of ids) {
      const ra = a.getRun(id)!, rb = b.getRun(id)!;
      assert.deepEqual([rb.status, rb.epochs_done, rb.memorise_epoch, rb.grok_epoch], [ra.status, ra.epochs_done, ra.memorise_epoch, ra.grok_epoch]);
      assert.deepEqual(b.getMetrics(id), a.getMetrics(id), `${id} metrics`);
      const ca = a.listCheckpoints(id), cb = b.listCheckpoints(id);
      assert.equal(ca.length, checkpointsPerRun);
      assert.deepEqual(cb.map((c) => c.epoch), ca.map((c) => c.epoch));
      for (let i = 0; i < ca.length; i++) assert.ok(readFileSync(cb[i].path).equals(readFileSync(ca[i].path)), `${id} epoch ${ca[i].epoch} differs`);
    }
    assert.deepEqual(checkpointFiles(actual), checkpointFiles(expected));
  } finally { a.close(); b.close(); }
}
