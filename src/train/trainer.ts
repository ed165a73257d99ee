/**
 * A training run: full-batch AdamW on the train split, metrics every epoch, checkpoints, resume.
 *
 * Epoch e means "after e optimiser steps". The metrics row of epoch e are the train and test
 * loss/accuracy of the weights W_e (the train values come from the forward pass of step e+1, so
 * they cost nothing extra); checkpoint epoch-e holds W_e. Commit order at a checkpoint epoch c:
 * checkpoint file (atomic) → SQLite transaction (metrics ≤ c, checkpoint row, epochs_done = c) →
 * resume file (W_c, AdamW moments, step c). A kill anywhere leaves a resume file at some
 * checkpoint c' ≤ c; resuming from it recomputes epochs c'..c identically (the computation is
 * deterministic), so the finished run is byte-identical to an uninterrupted one.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GrokbenchError, badInput, failure } from '../core/errors.js';
import type { Kernels, Vec } from '../engine/kernels.js';
import { engineDescription } from '../engine/index.js';
import { type TrainConfig, runId as makeRunId, validateConfig } from '../config/config.js';
import { loadCheckpoint, saveCheckpoint } from '../model/checkpoint.js';
import { initParams } from '../model/init.js';
import { type Batch, type Tables, GradWorkspace, Workspace, computeTables, evaluate, lossAndGrad, makeBatch } from '../model/model.js';
import { PARAM_NAMES, Params, isWeight } from '../model/params.js';
import { type Split, makeSplit, readSplitFile } from '../data/dataset.js';
import { ulpJitter } from '../core/rng.js';
import { checkpointPredicate } from '../config/schedule.js';
import { writeFileAtomic, removeStaleTemps } from '../core/atomic.js';
import { type MetricRow, type RunRow, Store } from '../store/store.js';
import { MirroredStore, type TrainStore } from '../store/run-folder.js';
import { AdamW } from './adamw.js';
import { loadResume, resumeStep, saveResume } from './resume.js';
import { provenance, readInterventionFile } from '../model/interventions.js';
import { TrainingIntervention } from './interventions.js';
import { hasGrokked, isMemorised } from '../metrics/grokking.js';
import { removeWithChecksum } from '../io/checksum.js';
import { clearRunFailure, readRunFailure, recordRunFailure } from '../store/store.js';


export interface Progress {
  runId: string;
  epoch: number;
  epochs: number;
  trainLoss: number;
  testLoss: number | null;
  testAcc: number | null;
  /** Epochs per second since this process started training. */
  rate: number;
  etaSeconds: number;
}

export interface TrainResult {
  run_id: string;
  epochs: number;
  final: { epoch: number; train_loss: number; train_acc: number; test_loss: number | null; test_acc: number | null };
  memorise_epoch: number | null;
  grok_epoch: number | null;
  wall_s: number;
  /** 'trained' (ran to the end now), 'already-done' (nothing to do). */
  outcome: 'trained' | 'already-done';
  resumed_from: number | null;
  engine: string;
}

export interface TrainOptions {
  /** Called after every epoch (cheap); throttle display in the caller. */
  onProgress?: (p: Progress) => void;
  /** Called once when the run starts or resumes. */
  onStart?: (info: { runId: string; runDir: string; resumedFrom: number | null; epochs: number }) => void;
  /** Stop after this epoch (testing: simulates a kill without one). */
  stopAfter?: number;
  /** Wait this long for the run's lock held by a live process of this host (a sweep's child: its predecessor's orphan). */
  lockWaitMs?: number;
}

/** The split as stored in runs/<id>/split.json. */
interface SplitJson { train_indices: number[]; test_indices: number[] }

/** Whether epoch e is checkpointed: by --checkpoint-schedule, else every --checkpoint-every (epoch 0 and the last always). */
function checkpointEpochs(c: TrainConfig): (e: number) => boolean {
  return checkpointPredicate(c.epochs, c.checkpointEvery, c.checkpointSchedule);
}

/**
 * Everything a new run reads from files, checked (one-line badInput) without writing anything:
 * the config, the split (file or seeded) and the --init-from checkpoint's shapes. The command
 * line calls it before it opens (or creates) the store.
 */
export function readRunInputs(config: TrainConfig): Split {
  validateConfig(config);
  const split = config.splitFile ? readSplitFile(config.splitFile, config.p) : makeSplit(config.p, config.fracTrain, config.dataSeed);
  if (config.initFrom) {
    const init = loadCheckpoint(config.initFrom);
    const c = init.config;
    if (c.p !== config.p || c.dModel !== config.dModel || c.nHeads !== config.nHeads || c.dHead !== config.dHead || c.dMlp !== config.dMlp) {
      throw badInput(`${config.initFrom}: its shapes (p=${c.p}, d_model=${c.dModel}, heads=${c.nHeads}, d_head=${c.dHead}, d_mlp=${c.dMlp}) do not match the run's settings`);
    }
  }
  return split;
}

/** The initial weights W_0: the seeded init or --init-from's weights, then the --jitter of every weight (W_ tensors). */
export function initialParams(config: TrainConfig): Params<Float32Array> {
  const init = config.initFrom ? loadCheckpoint(config.initFrom, config).params : initParams(config, config.seed, config.initOrder);
  ulpJitter(PARAM_NAMES.filter(isWeight).map((name) => init.t[name]), config.jitter);
  return init;
}

/** Resolve the run of a config in the store: create it, or return the existing row. */
export function prepareRun(store: TrainStore, config: TrainConfig, engine: string): { row: RunRow; created: boolean } {
  validateConfig(config);
  const id = makeRunId(config);
  const existing = store.getRun(id);
  if (existing) {
    const stored = JSON.parse(existing.config_json) as Partial<TrainConfig>;
    if (existing.source === 'grokbench' && stored.initOrder === undefined && !stored.initFrom) {
      throw badInput(`run ${id} was trained before grokbench drew initial weights in TransformerLens 2.x's order ` +
        `(and before the loss-gradient fix); its results are superseded: train into a new --store`);
    }
    return { row: existing, created: false };
  }
  // Check the inputs that come from files before creating anything.
  const split = readRunInputs(config);
  const dir = store.runDir(id);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const splitJson: SplitJson = { train_indices: Array.from(split.train), test_indices: Array.from(split.test) };
  writeFileAtomic(join(dir, 'split.json'), JSON.stringify(splitJson));
  const iv = config.intervention ? provenance(makeRunId({ ...config, intervention: null }), readInterventionFile(config.intervention, config.p, config.dMlp)) : {};
  writeFileAtomic(join(dir, 'run.json'), JSON.stringify({ run_id: id, ...config, engine, ...iv }, null, 2) + '\n');
  const row = store.createRun({
    run_id: id, p: config.p, seed: config.seed, data_seed: config.dataSeed, epochs: config.epochs,
    config_json: JSON.stringify(config), engine, source: 'grokbench',
  });
  return { row, created: true };
}

/** Train (or resume, or confirm finished) the run of `config`. */
export function train(storeIn: TrainStore, k: Kernels, config: TrainConfig, opts: TrainOptions = {}): TrainResult {
  const t0 = performance.now();
  // Into the database, every change is mirrored into the run's folder too (grokbench repair rebuilds from it).
  const store = storeIn instanceof Store ? new MirroredStore(storeIn) : storeIn;
  const engine = engineDescription(k);
  const { row: prepared } = prepareRun(store, config, engine);
  // One writer per run: a second process training (or importing) this run gets a one-line error.
  const lock = store.lockRun(prepared.run_id, opts.lockWaitMs);
  const dir = store.runDir(prepared.run_id);
  const previous = readRunFailure(dir);
  try {
    clearRunFailure(dir);
    return trainLocked(store, k, config, opts, store.getRun(prepared.run_id) ?? prepared, t0, engine);
  } catch (err) {
    if (err instanceof GrokbenchError && err.exitCode === 2) {
      // Bad input was refused before the run changed: its state stays what it was.
      if (previous) recordRunFailure(dir, previous.message, previous.epoch);
    } else {
      // The run's state is then `failed` with this error (Store.runState), not `training` forever.
      recordRunFailure(dir, (err instanceof Error ? err.message : String(err)).split('\n')[0], store.getRun(prepared.run_id)?.epochs_done ?? null);
    }
    throw err;
  } finally {
    lock.release();
  }
}

/**
 * Where training starts: the resume state (weights and AdamW moments) when there is a usable one,
 * with the rows and checkpoints after it dropped (they are recomputed identically); otherwise the
 * initial weights (and an intervention's change to them) at epoch 0, with nothing kept.
 */
function startingPoint(store: TrainStore, k: Kernels, row: RunRow, config: TrainConfig, params: Params<Vec>, opt: AdamW,
  intervention: TrainingIntervention | null): { start: number; resumed: boolean } {
  const id = row.run_id, resumePath = store.resumePath(id);
  // The resume file is written after its checkpoint's database commit. A resume file ahead of
  // epochs_done means that commit was lost (power loss): its metrics are gone, so start again
  // from epoch 0 rather than leave a gap (training is deterministic: the run ends the same).
  if (existsSync(resumePath) && resumeStep(resumePath) <= row.epochs_done) {
    const start = loadResume(resumePath, config, params, opt);
    // The index first, then the files: a reader of the run (a sweep collecting its folder while
    // this task resumes), or a kill in between, never finds an indexed checkpoint whose file is gone.
    const dropped = store.listCheckpoints(id).filter((cp) => cp.epoch > start);
    store.deleteCheckpointsAfter(id, start);
    for (const cp of dropped) removeWithChecksum(cp.path);
    store.deleteMetricsAfter(id, start);
    return { start, resumed: true };
  }
  params.flat.set(initialParams(config).flat);
  intervention?.atInit(k, params);
  store.deleteMetricsAfter(id, -1);
  store.deleteCheckpointsAfter(id, -1);
  return { start: 0, resumed: false };
}

/** The body of `train`, with the run's lock held; `row` is the run as it is now. */
function trainLocked(store: TrainStore, k: Kernels, config: TrainConfig, opts: TrainOptions, row: RunRow, t0: number, engine: string): TrainResult {
  const id = row.run_id;
  const dir = store.runDir(id);
  if (row.status === 'diverged') {
    throw failure(`run ${id} diverged earlier (see grokbench metrics ${id}); change --lr or other settings to train a new run`);
  }
  if (row.status === 'imported') throw badInput(`run ${id} was imported, not trained here; it cannot be trained further`);
  const metricsSoFar = () => store.getMetrics(id);
  if (row.status === 'done' && row.epochs_done >= config.epochs) {
    const m = metricsSoFar();
    return {
      run_id: id, epochs: config.epochs, final: finalOf(m[m.length - 1]), memorise_epoch: row.memorise_epoch,
      grok_epoch: row.grok_epoch, wall_s: (performance.now() - t0) / 1000, outcome: 'already-done', resumed_from: null, engine,
    };
  }
  // The stored split is checked like any split file before anything changes: its indices reach the kernels.
  const split = readSplitFile(join(dir, 'split.json'), config.p);
  removeStaleTemps(dir);
  removeStaleTemps(join(dir, 'checkpoints'));

  // Samples in pair order (a-major): consecutive samples share table rows, which keeps them in cache.
  const trainB = makeBatch(config.p, split.train.slice().sort());
  const testB = makeBatch(config.p, split.test.slice().sort());

  const alloc = (n: number) => k.alloc(n);
  const params = Params.zeros(config, alloc);
  const grad = Params.zeros(config, alloc);
  const opt = new AdamW(k, params.flat.length, params.trainedRanges(config.trainBiases), config);
  const resumePath = store.resumePath(id);
  const intervention = config.intervention
    ? new TrainingIntervention(readInterventionFile(config.intervention, config.p, config.dMlp), dir, makeRunId({ ...config, intervention: null }))
    : null;
  const { start, resumed } = startingPoint(store, k, row, config, params, opt, intervention);
  const resumedFrom = resumed ? start : null;
  opts.onStart?.({ runId: id, runDir: dir, resumedFrom, epochs: config.epochs });
  store.updateRun(id, { status: 'training', engine });

  // Grokking bookkeeping from the metrics kept so far.
  let memorise: number | null = null, grok: number | null = null;
  for (const m of metricsSoFar()) {
    if (memorise === null && isMemorised(m)) memorise = m.epoch;
    if (grok === null && hasGrokked(m)) grok = m.epoch;
  }

  const n = Math.max(trainB.n, testB.n);
  const ws = new Workspace(k, params, n);
  const gw = new GradWorkspace(k, params, trainB.n);
  const meta = (epoch: number): Record<string, string> => ({
    format: 'grokbench-checkpoint', run_id: id, epoch: String(epoch), step: String(epoch),
    config: JSON.stringify(config), engine,
  });
  let pending: MetricRow[] = [];
  const tLoop = performance.now();
  let last: MetricRow | null = null;

  const record = (e: number, trainRes: { loss: number; acc: number }, testRes: { loss: number; acc: number } | null): void => {
    const row: MetricRow = { epoch: e, train_loss: trainRes.loss, train_acc: trainRes.acc, test_loss: testRes?.loss ?? null, test_acc: testRes?.acc ?? null };
    pending.push(row);
    last = row;
    if (memorise === null && isMemorised(row)) memorise = e;
    if (grok === null && hasGrokked(row)) grok = e;
    const done = e - start + 1;
    const rate = done / Math.max(1e-9, (performance.now() - tLoop) / 1000);
    opts.onProgress?.({ runId: id, epoch: e, epochs: config.epochs, trainLoss: row.train_loss, testLoss: row.test_loss,
      testAcc: row.test_acc, rate, etaSeconds: (config.epochs - e) / rate });
  };
  const checkpoint = (e: number, final: boolean): void => {
    const path = store.checkpointPath(id, e);
    saveCheckpoint(path, params, meta(e));
    store.commitProgress(id, {
      metrics: pending, checkpoint: { epoch: e, step: e, path }, epochsDone: e,
      status: final ? 'done' : 'training', memorise_epoch: memorise, grok_epoch: grok,
    });
    pending = [];
    saveResume(resumePath, params, opt, meta(e));
  };
  const diverged = (e: number, loss: number): never => {
    // Keep everything up to the last good checkpoint (already committed); record the reason.
    store.updateRun(id, { status: 'diverged' });
    const cps = store.listCheckpoints(id);
    throw failure(`run ${id} diverged at epoch ${e} (train loss ${loss}); its last good checkpoint is epoch ${cps.length ? cps[cps.length - 1].epoch : 0}`);
  };

  let tables: Tables | undefined;
  // An intervention's training-pass hooks (issue 15); the attention-output hook needs tables of its own.
  let hookedTables: Tables | undefined;
  const trainTables = (e: number) => {
    const hooks = intervention?.trainHooks(e, params, k);
    if (hooks?.attnOut) hookedTables = computeTables(k, params, hookedTables, hooks);
    return { hooks, t: hooks?.attnOut ? hookedTables! : tables! };
  };
  const isCheckpoint = checkpointEpochs(config);
  for (let e = start; e < config.epochs; e++) {
    tables = computeTables(k, params, tables);
    const th = trainTables(e);
    const tr = lossAndGrad(k, params, th.t, trainB, ws, gw, grad, th.hooks);
    if (!Number.isFinite(tr.loss)) diverged(e, tr.loss);
    const te = e % config.evalEvery === 0 ? evaluate(k, params, tables, testB, ws, intervention?.evalHooks(e)) : null;
    record(e, tr, te);
    if (isCheckpoint(e)) checkpoint(e, false);
    if (opts.stopAfter !== undefined && e >= opts.stopAfter) {
      return partialResult();
    }
    opt.update(params.flat, grad.flat);
  }
  // The final weights: evaluate both splits (no gradient).
  const E = config.epochs;
  tables = computeTables(k, params, tables);
  const th = trainTables(E);
  const tr = evaluate(k, params, th.t, trainB, ws, th.hooks);
  if (!Number.isFinite(tr.loss)) diverged(E, tr.loss);
  record(E, tr, evaluate(k, params, tables, testB, ws, intervention?.evalHooks(E)));
  checkpoint(E, true);
  return partialResult('trained');

  function partialResult(outcome: 'trained' | 'already-done' = 'trained'): TrainResult {
    return {
      run_id: id, epochs: config.epochs, final: finalOf(last), memorise_epoch: memorise, grok_epoch: grok,
      wall_s: (performance.now() - t0) / 1000, outcome, resumed_from: resumedFrom, engine,
    };
  }
}

function finalOf(m: MetricRow | null | undefined): TrainResult['final'] {
  if (!m) return { epoch: 0, train_loss: NaN, train_acc: NaN, test_loss: null, test_acc: null };
  return { epoch: m.epoch, train_loss: m.train_loss, train_acc: m.train_acc, test_loss: m.test_loss, test_acc: m.test_acc };
}

export type { Batch };
