/**
 * The training set of the run a checkpoint belongs to, for analyzers that evaluate the training
 * loss (gradient flow, curvature). A store's checkpoint lives at `runs/<id>/checkpoints/…`; the
 * run's split is `runs/<id>/split.json` (written by `train` and by `import` when the split is
 * known). Without it the run's `run.json` (p, data_seed, frac_train) gives the seeded split; with
 * neither the split is unknown (null) and such analyzers record that instead of guessing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeSplit, parseSplitJson } from '../../data/dataset.js';
import { makeBatch, type Batch } from '../../model/model.js';

export interface TrainSet { batch: Batch; source: 'split.json' | 'run.json' }

const cache = new Map<string, TrainSet | null>();

/** The training pair indices of the run stored in `runDir` (split.json, else run.json's seeded split), sorted, or null. */
export function trainIndicesOfRunDir(runDir: string, p: number): { indices: Int32Array; source: TrainSet['source'] } | null {
  const splitPath = join(runDir, 'split.json');
  const runPath = join(runDir, 'run.json');
  if (existsSync(splitPath)) {
    const split = parseSplitJson(readFileSync(splitPath, 'utf8'), p, splitPath);
    return { indices: Int32Array.from(split.train).sort(), source: 'split.json' };
  }
  if (existsSync(runPath)) {
    const cfg = JSON.parse(readFileSync(runPath, 'utf8')) as { p?: number; dataSeed?: number; fracTrain?: number; splitFile?: string };
    if (cfg.p === p && typeof cfg.dataSeed === 'number' && typeof cfg.fracTrain === 'number' && !cfg.splitFile) {
      return { indices: Int32Array.from(makeSplit(p, cfg.fracTrain, cfg.dataSeed).train).sort(), source: 'run.json' };
    }
  }
  return null;
}

/** The training batch (pairs in increasing index order, as the trainer uses them) or null. */
export function trainSetOf(checkpointPath: string | undefined, p: number): TrainSet | null {
  if (!checkpointPath) return null;
  const runDir = dirname(dirname(checkpointPath));
  const key = `${runDir}\0${p}`;
  if (cache.has(key)) return cache.get(key)!;
  const t = trainIndicesOfRunDir(runDir, p);
  const out: TrainSet | null = t && { batch: makeBatch(p, t.indices), source: t.source };
  cache.set(key, out);
  return out;
}
